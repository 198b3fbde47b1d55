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

BASE_URL_ENV = "DOUZELAGE_BASE_URL"  # as douzelage.layout names it (set by `douzelage serve`)
MEDIA_TYPES = {"ttl": "text/turtle", "rdf": "application/rdf+xml", "jsonld": "application/ld+json"}


def _package(datasette) -> Path | None:
    mounts = dict(datasette.static_mounts or [])
    return Path(mounts["downloads"]) if "downloads" in mounts else None


def _negotiate(accept: str) -> str:
    """The RDF format named first in the Accept header; Turtle if none is."""
    found = [(accept.find(media), ext) for ext, media in MEDIA_TYPES.items() if media in accept]
    return min(found)[1] if found else "ttl"


async def catalogue(datasette, request):
    ext = request.url_vars.get("ext") or _negotiate(request.headers.get("accept", ""))
    package = _package(datasette)
    path = package / "dcat" / f"catalogue.{ext}" if package else None
    if path is None or not path.exists():
        return Response.text("The catalogue has not been built: run `douzelage build`.", status=404)
    return Response(
        rebased(path.read_text(encoding="utf-8")),
        content_type=f"{MEDIA_TYPES[ext]}; charset=utf-8",
        headers={"Vary": "Accept", "Access-Control-Allow-Origin": "*"},
    )


def rebased(text: str) -> str:
    """The catalogue with the base URL it was built with replaced by the one served (if set)."""
    served = os.environ.get(BASE_URL_ENV, "").rstrip("/")
    built = re.search(r"(https?://[^\s\"'<>]+?)/catalogue\b", text)
    if not served or built is None or built.group(1) == served:
        return text
    return text.replace(built.group(1) + "/", served + "/")


@hookimpl
def register_routes():
    return [(r"^/catalogue(\.(?P<ext>ttl|rdf|jsonld))?$", catalogue)]


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
