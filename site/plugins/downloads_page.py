"""The downloads page: every file of the published package folder with its size, SHA-256 and licence.

The list is the build's manifest of the folder Datasette serves at /downloads/ (the `downloads` static
mount): meta/manifest.json, written last by the build and swapped in with the files it lists, so every
hash is of the bytes served. Titles and licences come from datapackage.json, through the manifest.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from datasette import hookimpl
from datasette.utils import add_cors_headers
from datasette.utils.asgi import Response

BASE_URL_ENV = "DOUZELAGE_BASE_URL"  # as douzelage.layout names it (set by `douzelage serve`)
MOUNT = "downloads"
MANIFEST = "meta/manifest.json"


def package_folder(datasette) -> Path | None:
    for prefix, folder in datasette.static_mounts:
        if prefix == MOUNT:
            return Path(folder)
    return None


def site_base_url(datasette, request) -> str:
    """The site's absolute address without a trailing slash: $DOUZELAGE_BASE_URL (which `douzelage serve` sets
    to the configured or the served address), else the address this request came to."""
    return (os.environ.get(BASE_URL_ENV) or datasette.absolute_url(request, "/")).rstrip("/")


def human_size(size: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return str(size)


def files(datasette) -> list[dict]:
    """The build's manifest of the package, with each file's address on this site and its size for people."""
    folder = package_folder(datasette)
    if folder is None or not (folder / MANIFEST).is_file():
        return []
    listed = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return [
        {
            "path": f["path"],
            "url": datasette.urls.path(f"/{MOUNT}/{f['path']}"),
            "title": f["title"],
            "description": f["description"],
            "bytes": f["bytes"],
            "size": human_size(f["bytes"]),
            "sha256": f["sha256"],
            "licence": f["licence"],
            "licence_title": f["licence_title"],
            "licence_url": f["licence_url"],
        }
        for f in listed
    ]


async def downloads_page(request, datasette):
    listed = files(datasette)
    if request.url_vars.get("format") == "json":
        response = Response.json(listed)
        if datasette.cors:
            add_cors_headers(response.headers)
        return response
    context = {
        "files": listed,
        "json_url": datasette.urls.path("/downloads.json"),
        "time_limit_ms": datasette.setting("sql_time_limit_ms"),
        "max_rows": datasette.setting("max_returned_rows"),
        "site_base_url": site_base_url(datasette, request),
    }
    return Response.html(
        await datasette.render_template("downloads.html", context, request=request, view_name="downloads")
    )


@hookimpl
def register_routes():
    return [(r"^/downloads(/|\.(?P<format>json))?$", downloads_page)]
