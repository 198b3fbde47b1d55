"""The downloads page: every file of the published package folder with its size, SHA-256 and licence.

The list is read from the folder Datasette serves at /downloads/ (the `downloads` static mount), at
request time, so it can never disagree with the files themselves: nothing is listed that is not there,
and every hash is of the bytes served. Titles and licences come from datapackage.json.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from datasette import hookimpl
from datasette.utils import add_cors_headers
from datasette.utils.asgi import Response

MOUNT = "downloads"
# What the files that are not Data Package resources are, for people; anything else is listed by name.
KNOWN = {
    "douzelage-datapackage.zip": (0, "The whole Data Package, zipped: descriptor, CSV files and GeoJSON"),
    "datapackage.json": (1, "Data Package descriptor: every table's schema, licence and sources"),
    "douzelage.db": (2, "SQLite database, as served by this site"),
    "douzelage.geojson": (3, "GeoJSON map of the member towns and meetings (RFC 7946, WGS84)"),
    "README.md": (4, "Data dictionary"),
    "dcat/catalog.ttl": (5, "DCAT-AP catalogue record (Turtle)"),
    "dcat/catalog.rdf": (5, "DCAT-AP catalogue record (RDF/XML)"),
    "dcat/catalog.jsonld": (5, "DCAT-AP catalogue record (JSON-LD)"),
}
_hashes: dict[tuple, str] = {}


def package_folder(datasette) -> Path | None:
    for prefix, folder in datasette.static_mounts:
        if prefix == MOUNT:
            return Path(folder)
    return None


def sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _hashes:
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _hashes[key] = digest.hexdigest()
    return _hashes[key]


def human_size(size: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return str(size)


def files(datasette) -> list[dict]:
    folder = package_folder(datasette)
    if folder is None or not folder.is_dir():
        return []
    descriptor_path = folder / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8")) if descriptor_path.exists() else {}
    package_licences = descriptor.get("licenses", [])
    resources = {r.get("path"): r for r in descriptor.get("resources", []) if isinstance(r.get("path"), str)}
    listed = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        relative = path.relative_to(folder).as_posix()
        resource = resources.get(relative, {})
        order, title = KNOWN.get(relative, (10 if resource else 20, resource.get("title") or relative))
        licences = resource.get("licenses") or package_licences
        size = path.stat().st_size
        listed.append({
            "path": relative,
            "url": datasette.urls.path(f"/{MOUNT}/{relative}"),
            "title": title,
            "description": resource.get("description", ""),
            "bytes": size,
            "size": human_size(size),
            "sha256": sha256(path),
            "licence": licences[0].get("name") if licences else None,
            "licence_title": licences[0].get("title") if licences else None,
            "licence_url": licences[0].get("path") if licences else None,
            "_order": order,
        })
    listed.sort(key=lambda f: (f["_order"], f["path"]))
    for f in listed:
        del f["_order"]
    return listed


async def downloads_page(request, datasette):
    listed = files(datasette)
    if request.url_vars.get("format") == "json":
        response = Response.json(listed)
        if datasette.cors:
            add_cors_headers(response.headers)
        return response
    context = {"files": listed, "json_url": datasette.urls.path("/downloads.json"),
               "time_limit_ms": datasette.setting("sql_time_limit_ms"),
               "max_rows": datasette.setting("max_returned_rows"),
               "base_url": datasette.absolute_url(request, "/").rstrip("/")}
    return Response.html(await datasette.render_template("downloads.html", context, request=request,
                                                         view_name="downloads"))


@hookimpl
def register_routes():
    return [(r"^/downloads(/|\.(?P<format>json))?$", downloads_page)]
