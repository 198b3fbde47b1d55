"""GeoJSON out of any table, view or query that returns `latitude` and `longitude` columns.

Add `.geojson` to the address of such a page. Each row becomes a Feature with a Point at
[longitude, latitude] (RFC 7946 order, WGS84, no `crs` member) and the other columns as properties;
a row without a position keeps its properties with a null geometry, as RFC 7946 allows.
"""

from __future__ import annotations

import json

from datasette import hookimpl
from datasette.utils.asgi import Response

LATITUDE, LONGITUDE = "latitude", "longitude"


def can_render(columns) -> bool:
    return LATITUDE in columns and LONGITUDE in columns


def feature(row: dict) -> dict:
    lat, lon = row.get(LATITUDE), row.get(LONGITUDE)
    geometry = {"type": "Point", "coordinates": [lon, lat]} if lat is not None and lon is not None else None
    properties = {k: v for k, v in row.items() if k not in (LATITUDE, LONGITUDE)}
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def render(columns, rows, request, data):
    if not can_render(columns):
        from datasette.views.base import DatasetteError

        raise DatasetteError("This data has no latitude and longitude columns, so it cannot be GeoJSON.", status=400)
    collection = {"type": "FeatureCollection", "features": [feature(dict(zip(columns, row))) for row in rows]}
    headers = {}
    if data.get("next_url"):
        headers["Link"] = f'<{data["next_url"].replace(".json", ".geojson", 1)}>; rel="next"'
    return Response(json.dumps(collection, ensure_ascii=False), content_type="application/geo+json", headers=headers)


@hookimpl
def register_output_renderer():
    return {"extension": "geojson", "render": render, "can_render": can_render}
