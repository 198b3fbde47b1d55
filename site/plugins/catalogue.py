"""The catalogue on the site: /catalogue (DCAT-AP, content-negotiated), schema.org JSON-LD for the
landing page, and the data dictionary for /dictionary.

Every one is a file the build wrote into the served package folder (Datasette's `downloads` static
mount): dcat/catalogue.{ttl,rdf,jsonld}, meta/schema-org.jsonld and meta/dictionary.json. The site
reads them and imports nothing from the build, so it shows exactly what was built, except for the base
of its addresses: the build writes the configured base URL, and a site served elsewhere
($DOUZELAGE_BASE_URL, else the address served: scripts/douzelage/serve.py) says its own.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import Response

from douzelage.serving.site_plugins import sibling

BASE_URL_ENV = "DOUZELAGE_BASE_URL"  # as douzelage.layout names it (set by `douzelage serve`)
MEDIA_TYPES = {"ttl": "text/turtle", "rdf": "application/rdf+xml", "jsonld": "application/ld+json"}
# What a client may ask for in Accept, and the view that answers: the RDF formats, the JSON-LD also as plain
# JSON, and an HTML page for people (browsers ask for text/html first).
ACCEPTED = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/turtle": "ttl",
    "application/rdf+xml": "rdf",
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
}
DEFAULT = "ttl"  # no Accept, or */*: the catalogue as harvesters have always read it


def _i18n():
    """The language plugin (site/plugins/i18n.py): its catalogues and the formatting of dates and numbers."""
    return sibling(__file__, "i18n")


def _package(datasette) -> Path | None:
    return sibling(__file__, "downloads_page").package_folder(datasette)


def _negotiate(accept: str) -> str | None:
    """The view the Accept header prefers (by q, then by specificity, then by order); Turtle when it names
    none but allows anything; None when it allows none of them."""
    best: tuple | None = None
    for order, part in enumerate(accept.split(",")):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0 or not media:
            continue
        if media in ACCEPTED:
            candidate = (q, 2, -order, ACCEPTED[media])
        elif media == "*/*":
            candidate = (q, 0, -order, DEFAULT)
        elif media == "text/*":
            candidate = (q, 1, -order, "ttl")
        elif media == "application/*":
            candidate = (q, 1, -order, "jsonld")
        else:
            continue
        if best is None or candidate[:3] > best[:3]:
            best = candidate
    if not accept.strip():
        return DEFAULT
    return best[3] if best else None


async def catalogue(datasette, request):
    ext = request.url_vars.get("ext") or _negotiate(request.headers.get("accept", ""))
    headers = {"Vary": "Accept", "Access-Control-Allow-Origin": "*"}
    lang = _i18n().request_language(request)
    _, _n = _i18n().translator(lang)
    if ext is None:
        return Response.text(
            _(
                "The catalogue is available as text/html, text/turtle, application/rdf+xml and "
                "application/ld+json; the Accept header of this request allows none of them. Ask for one of "
                "these, or open /catalogue.ttl, /catalogue.rdf or /catalogue.jsonld."
            ),
            status=406,
            headers=headers,
        )
    package = _package(datasette)
    path = package / "dcat" / f"catalogue.{'jsonld' if ext == 'html' else ext}" if package else None
    if path is None or not path.exists():
        return Response.text(_("The catalogue has not been built: run `douzelage build`."), status=404)
    if ext == "html":
        context = catalogue_view(json.loads(rebased(path.read_text(encoding="utf-8"))), lang)
        html = await datasette.render_template("catalogue.html", context, request=request, view_name="catalogue")
        return Response.html(html, headers=headers)
    return Response(
        rebased(path.read_text(encoding="utf-8")),
        content_type=f"{MEDIA_TYPES[ext]}; charset=utf-8",
        headers=headers,
    )


def _text_in(value, language: str = "en") -> str | None:
    """A JSON-LD literal (plain, {"@value"}, or a list of language-tagged ones) as text: in `language` if
    the catalogue has it, else in English, else the first."""
    if value is None:
        return None
    if isinstance(value, list):
        if not value:
            return None
        for wanted in (language, "en"):
            tagged = [v for v in value if isinstance(v, dict) and v.get("@language") == wanted]
            if tagged:
                return _text_in(tagged[0], language)
        return _text_in(value[0], language)
    if isinstance(value, dict):
        return str(value.get("@value", value.get("@id", "")))
    return str(value)


def _ids(value) -> list[str]:
    values = value if isinstance(value, list) else [value] if value else []
    return [v["@id"] for v in values if isinstance(v, dict) and "@id" in v]


def _first_id(value) -> str | None:
    ids = _ids(value)
    return ids[0] if ids else None


def _last(uri: str | None) -> str | None:
    return uri.rstrip("/").rsplit("/", 1)[-1] if uri else None


def catalogue_view(doc: dict, lang: str = "en") -> dict:
    """What the HTML view of the catalogue shows, read from the JSON-LD the build wrote: the catalogue, its
    dataset, the data service and each distribution with its format, licence, size and checksum; its titles
    and descriptions in `lang` where the catalogue has them in that language (else in English)."""

    def text(value) -> str | None:
        return _text_in(value, lang)

    def keywords(values) -> list[str]:  # the keywords in `lang` if it has any, else the English ones
        by_language: dict[str | None, set[str]] = {}
        for k in values if isinstance(values, list) else [values]:
            by_language.setdefault(k.get("@language") if isinstance(k, dict) else None, set()).add(_text_in(k) or "")
        chosen = by_language.get(lang) or by_language.get("en") or set().union(*by_language.values())
        return sorted(chosen - {""})

    nodes = {n["@id"]: n for n in doc.get("@graph", []) if "@id" in n}

    def of_type(kind: str) -> list[dict]:
        return [n for n in nodes.values() if n.get("@type") == kind]

    def node(ref) -> dict:
        ids = _ids(ref)
        return nodes.get(ids[0], {}) if ids else {}

    def licence(ref) -> dict | None:
        uri = _first_id(ref)
        return {"url": uri, "code": _last(uri)} if uri else None

    catalog = (of_type("dcat:Catalog") or [{}])[0]
    dataset = node(catalog.get("dcat:dataset")) or (of_type("dcat:Dataset") or [{}])[0]
    service = node(catalog.get("dcat:service"))
    temporal = node(dataset.get("dct:temporal"))
    distributions = []
    for ref in _ids(dataset.get("dcat:distribution")):
        d = nodes.get(ref, {})
        size = text(d.get("dcat:byteSize"))
        media = _first_id(d.get("dcat:mediaType"))
        distributions.append(
            {
                "title": text(d.get("dct:title")),
                "description": text(d.get("dct:description")),
                "url": _first_id(d.get("dcat:downloadURL")) or _first_id(d.get("dcat:accessURL")),
                "format": _last(_first_id(d.get("dct:format"))),
                "media_type": media.split("/media-types/", 1)[-1] if media else None,
                "bytes": int(size) if size and size.isdigit() else None,
                "licence": licence(d.get("dct:license")),
                "sha256": text(node(d.get("spdx:checksum")).get("spdx:checksumValue")),
            }
        )
    distributions.sort(key=lambda d: str(d["title"] or ""))
    return {
        "catalog": {
            "title": text(catalog.get("dct:title")),
            "description": text(catalog.get("dct:description")),
            "publisher": text(node(catalog.get("dct:publisher")).get("foaf:name")),
            "issued": text(catalog.get("dct:issued")),
            "modified": text(catalog.get("dct:modified")),
            "licence": licence(catalog.get("dct:license")),
            "homepage": _first_id(catalog.get("foaf:homepage")),
        },
        "dataset": {
            "title": text(dataset.get("dct:title")),
            "description": text(dataset.get("dct:description")),
            "version": text(dataset.get("dcat:version")),
            "keywords": keywords(dataset.get("dcat:keyword", [])),
            "themes": [
                text(nodes.get(t, {}).get("skos:prefLabel")) or _last(t) for t in _ids(dataset.get("dcat:theme"))
            ],
            "start": text(temporal.get("dcat:startDate")),
            "end": text(temporal.get("dcat:endDate")),
        },
        "service": {
            "title": text(service.get("dct:title")),
            "description": text(service.get("dct:description")),
            "endpoint": _first_id(service.get("dcat:endpointURL")),
            "documentation": _first_id(service.get("dcat:endpointDescription")),
        }
        if service
        else None,
        "distributions": distributions,
        "formats": [{"ext": ext, "media_type": media} for ext, media in MEDIA_TYPES.items()],
    }


def rebased(text: str) -> str:
    """The catalogue with the base URL it was built with replaced by the one served (if set)."""
    served = os.environ.get(BASE_URL_ENV, "").rstrip("/")
    built = re.search(r"(https?://[^\s\"'<>]+?)/catalogue\b", text)
    if not served or built is None or built.group(1) == served:
        return text
    return text.replace(built.group(1) + "/", served + "/")


@hookimpl
def register_routes():
    return [(r"^/catalogue(\.(?P<ext>ttl|rdf|jsonld|html))?$", catalogue)]


def _text(path: Path) -> str | None:
    """A built file's text, read once per version of the file; None if it has not been built."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return _read(path, stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _read(path: Path, size: int, mtime_ns: int) -> str:
    return path.read_text(encoding="utf-8")


@hookimpl
def extra_template_vars(template, datasette):
    package = _package(datasette)
    if package is None:
        return {}
    if template == "index.html":
        jsonld = _text(package / "meta" / "schema-org.jsonld")  # written script-safe by the build
        return {"schema_org_jsonld": rebased(jsonld).strip() if jsonld else None, "catalogue_url": "/catalogue"}
    if template == "pages/dictionary.html":
        text = _text(package / "meta" / "dictionary.json")
        return {"data_dictionary": json.loads(text) if text else None}
    return {}
