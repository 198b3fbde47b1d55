"""Stage 4b: the GeoJSON map (RFC 7946), written with the `geojson` library.

Towns are Points at their position; meetings are Points at their host town. Positions are
[longitude, latitude] in WGS84 with 5 decimal places (about 1 m); no `crs` member. A town whose
position no source gives has a null geometry, as RFC 7946 allows, so it is still listed.
Properties are the columns of the towns and meetings Table Schemas. Features are written one at a
time, so the map of 100,000 towns never sits in memory whole.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geojson

from douzelage.descriptor import field_names, fields
from douzelage.files import file_stats, read_only
from douzelage.geo import PRECISION

TOWN_PROPERTIES = [n for n in field_names("towns") if n not in ("latitude", "longitude")]
MEETING_PROPERTIES = field_names("meetings")
_BOOLEAN = {f["name"] for t in ("towns", "meetings") for f in fields(t) if f["type"] == "boolean"}


def _point(lat, lon):
    if lat is None or lon is None:
        return None
    point = geojson.Point((lon, lat), precision=PRECISION)
    if not point.is_valid:
        raise ValueError(f"invalid GeoJSON position {lon}, {lat}: {point.errors()}")
    return point


def _props(names, values) -> dict:
    return {n: (bool(v) if n in _BOOLEAN and v is not None else v) for n, v in zip(names, values)}


def _feature(id: str, geometry, properties: dict) -> dict:
    """What geojson.Feature(id=, geometry=, properties=) holds, as a plain dict: 400,000 of them at scale."""
    return {"type": "Feature", "id": id, "geometry": geometry, "properties": properties}


def features(conn: sqlite3.Connection):
    cols = ", ".join(f'"{n}"' for n in TOWN_PROPERTIES)
    for row in conn.execute(f"SELECT latitude, longitude, {cols} FROM towns ORDER BY id"):
        props = {"feature": "town", **_props(TOWN_PROPERTIES, row[2:])}
        yield _feature(f"town/{props['id']}", _point(row[0], row[1]), props)
    hosts = {}  # meetings share their host's Point
    cols = ", ".join(f'm."{n}"' for n in MEETING_PROPERTIES)
    for row in conn.execute(f"""SELECT t.latitude, t.longitude, t.name, {cols}
                                FROM meetings m LEFT JOIN towns t ON t.id = m.host ORDER BY m.id"""):
        if row[:2] not in hosts:
            hosts[row[:2]] = _point(row[0], row[1])
        props = {"feature": "meeting", **_props(MEETING_PROPERTIES, row[3:]), "host_name": row[2]}
        yield _feature(f"meeting/{props['id']}", hosts[row[:2]], props)


def write_map(db: Path, path: Path) -> dict:
    """The map of the database `db`, written to `path`; returns the file's size and SHA-256."""
    with read_only(db) as conn:
        write_geojson(conn, path)
    return file_stats(path)


def write_geojson(conn: sqlite3.Connection, path: Path) -> int:
    """Write the FeatureCollection a feature at a time; returns the number of features.

    Positions are checked by the geojson library as they are made (_point); a Feature is valid by
    construction (an id, a geometry or null, a properties object).
    """
    n = 0
    encode = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode
    with path.open("w", encoding="utf-8") as f:
        f.write('{"type": "FeatureCollection", "features": [')
        for feature in features(conn):
            f.write(("\n" if n == 0 else ",\n") + encode(feature))
            n += 1
        f.write("\n]}\n")
    return n
