"""schema.org `Dataset` JSON-LD for the landing page, so dataset search engines find the data.

Search engines read schema.org, not DCAT; this says the same things as the DCAT-AP catalogue
(write/dcat.py) from the same sources: the built package, site/catalogue.yaml and CHANGELOG.md.
"""

from __future__ import annotations

import json
from pathlib import Path

from douzelage.write import changelog
from douzelage.write.dcat import KINDS, bbox_wkt, downloads, load_config, publisher_name, temporal_coverage


def dataset(package: Path, config: dict | None = None, changelog_path: Path = changelog.CHANGELOG) -> dict:
    config = config or load_config()
    base = config["base_url"]
    desc = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    publisher = {"@type": "Organization", "name": publisher_name(desc)}
    doc = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": f"{base}/catalogue#dataset",
        "name": desc["title"],
        "description": desc["description"],
        "url": f"{base}/",
        "version": desc["version"],
        "license": desc["licenses"][0]["path"],
        "keywords": desc.get("keywords", []),
        "inLanguage": "en",
        "isAccessibleForFree": True,
        "creator": publisher,
        "publisher": publisher,
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "name": config["en"]["catalogue_title"],
            "url": f"{base}/catalogue",
        },
        "distribution": [
            {"@type": "DataDownload", "name": title, "contentUrl": f"{base}/{url}", "encodingFormat": KINDS[kind][1]}
            for _key, kind, _path, url, title, _d in downloads(desc)
        ],
    }
    first, this = changelog.first_release(changelog_path), changelog.release_of(desc["version"], changelog_path)
    if first:
        doc["datePublished"] = first.date
    if this:
        doc["dateModified"] = this.date
    period = temporal_coverage(package, config["temporal_columns"])
    if period:
        doc["temporalCoverage"] = f"{period[0]}/{period[1]}"
    wkt = bbox_wkt(package)
    if wkt:
        (w, s), _, (e, n) = [tuple(p.split()) for p in wkt.removeprefix("POLYGON((").removesuffix("))").split(", ")[:3]]
        doc["spatialCoverage"] = {"@type": "Place", "geo": {"@type": "GeoShape", "box": f"{s} {w} {n} {e}"}}
    return doc


def script_text(doc: dict) -> str:
    """The JSON for a <script type="application/ld+json"> element: `<` escaped so it cannot close the tag."""
    return json.dumps(doc, ensure_ascii=False, indent=2).replace("<", "\\u003c")
