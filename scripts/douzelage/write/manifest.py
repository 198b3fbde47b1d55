"""The files the site shows, written by the build into the package, so the site reads files and imports
nothing from the build: meta/manifest.json (every file with its title, bytes, SHA-256 and licence: the
downloads page), meta/schema-org.jsonld (the landing page's schema.org Dataset) and, beside them,
meta/dictionary.json (the /dictionary page; written by dictionary.py). They are swapped in with the rest.
"""

from __future__ import annotations

import json
from pathlib import Path

from douzelage.files import file_stats
from douzelage.write import schema_org

META = "meta"
MANIFEST = f"{META}/manifest.json"
SCHEMA_ORG = f"{META}/schema-org.jsonld"
# What the files that are not Data Package resources are, for people; anything else is listed by name.
KNOWN = {
    "douzelage-datapackage.zip": (0, "The whole Data Package, zipped: descriptor, CSV files and GeoJSON"),
    "datapackage.json": (1, "Data Package descriptor: every table's schema, licence and sources"),
    "douzelage.db": (2, "SQLite database, as served by this site"),
    "douzelage.geojson": (3, "GeoJSON map of the member towns and meetings (RFC 7946, WGS84)"),
    "README.md": (4, "Data dictionary"),
    "dcat/catalogue.ttl": (5, "DCAT-AP catalogue record (Turtle)"),
    "dcat/catalogue.rdf": (5, "DCAT-AP catalogue record (RDF/XML)"),
    "dcat/catalogue.jsonld": (5, "DCAT-AP catalogue record (JSON-LD)"),
    "meta/dictionary.json": (6, "Data dictionary (JSON)"),
    "meta/schema-org.jsonld": (6, "schema.org Dataset description (JSON-LD)"),
}


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_schema_org(out: Path) -> None:
    """The schema.org JSON-LD, written so it can stand as is inside <script type="application/ld+json">."""
    path = out / SCHEMA_ORG
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(schema_org.script_text(schema_org.dataset(out)) + "\n", encoding="utf-8")


def manifest(out: Path, descriptor: dict) -> list[dict]:
    """Every file of the package folder but the manifest itself, in the order the downloads page shows them."""
    package_licences = descriptor.get("licenses", [])
    resources = {r.get("path"): r for r in descriptor.get("resources", []) if isinstance(r.get("path"), str)}
    listed = []
    for path in sorted(p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")):
        relative = path.relative_to(out).as_posix()
        if relative == MANIFEST:
            continue
        resource = resources.get(relative, {})
        order, title = KNOWN.get(relative, (10 if resource else 20, resource.get("title") or relative))
        licences = resource.get("licenses") or package_licences
        stats = file_stats(path)
        listed.append(
            {
                "path": relative,
                "title": title,
                "description": resource.get("description", ""),
                "bytes": stats["bytes"],
                "sha256": stats["hash"].removeprefix("sha256:"),
                "licence": licences[0].get("name") if licences else None,
                "licence_title": licences[0].get("title") if licences else None,
                "licence_url": licences[0].get("path") if licences else None,
                "_order": order,
            }
        )
    listed.sort(key=lambda f: (f["_order"], f["path"]))
    for f in listed:
        del f["_order"]
    return listed


def write_manifest(out: Path, descriptor: dict) -> None:
    """Written last, once every other file of the package is final."""
    write_json(out / MANIFEST, manifest(out, descriptor))
