"""Stage 4b: the GeoJSON map (RFC 7946), written with the `geojson` library.

Towns are Points at their position; meetings are Points at their host town. Positions are
[longitude, latitude] in WGS84 with 5 decimal places (about 1 m); no `crs` member. A town whose
position no source gives has a null geometry, as RFC 7946 allows, so it is still listed.
Properties are the columns of the towns and meetings Table Schemas.
"""
from __future__ import annotations

import geojson

from .geo import PRECISION
from .model import Model
from .package import sorted_rows
from .table_schema import field_names

TOWN_PROPERTIES = [n for n in field_names("towns") if n not in ("latitude", "longitude")]
MEETING_PROPERTIES = [n for n in field_names("meetings")]


def _point(lat, lon):
    if lat is None or lon is None:
        return None
    return geojson.Point((lon, lat), precision=PRECISION)


def feature_collection(model: Model) -> geojson.FeatureCollection:
    towns = {t["id"]: t for t in model["towns"].rows}
    features = []
    for t in sorted_rows(model, "towns"):
        props = {"feature": "town", **{n: t[n] for n in TOWN_PROPERTIES}}
        features.append(geojson.Feature(id=f"town/{t['id']}", geometry=_point(t["latitude"], t["longitude"]),
                                        properties=props))
    for m in sorted_rows(model, "meetings"):
        host = towns.get(m["host"], {})
        props = {"feature": "meeting", **{n: m[n] for n in MEETING_PROPERTIES},
                 "host_name": host.get("name")}
        features.append(geojson.Feature(id=f"meeting/{m['id']}",
                                        geometry=_point(host.get("latitude"), host.get("longitude")),
                                        properties=props))
    return geojson.FeatureCollection(features)


def geojson_bytes(model: Model) -> bytes:
    fc = feature_collection(model)
    if not fc.is_valid:
        raise ValueError(f"invalid GeoJSON: {fc.errors()}")
    return (geojson.dumps(fc, sort_keys=True, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
