"""Stage 3, derive: what follows from the loaded facts, computed here and nowhere else.

- towns.latitude/longitude from a position given in another reference system (source_crs, x, y);
- towns.status, towns.joined, towns.left from the memberships;
- the countries table (names from ISO 3166-1 via pycountry);
- the distances between member towns (geodesic, pyproj).
Each derived row cites the method it comes from, a row of sources/sources.csv.
"""

from __future__ import annotations

from itertools import combinations, islice

import pycountry

from douzelage import geo
from douzelage.load.model import BATCH, Model
from douzelage.problems import Problem
from douzelage.report import METHOD_SOURCE

COUNTRIES_SOURCE = "iso-3166-pycountry"
DISTANCE_SOURCE = "method-pyproj-geod"
# The sources the derived tables cite: each must be a row of sources/sources.csv.
DERIVED_SOURCES = {COUNTRIES_SOURCE, DISTANCE_SOURCE, METHOD_SOURCE}


def derive(model: Model) -> list[Problem]:
    """Fill the derived columns and tables; a position that cannot be converted is a problem."""
    problems = derive_positions(model)
    derive_membership_summary(model)
    derive_countries(model)
    derive_distances(model)
    return problems


def derive_positions(model: Model) -> list[Problem]:
    problems, updates = [], []
    cur = model.conn.execute(
        "SELECT rowid, rowid, source_crs, source_x, source_y, latitude, longitude FROM towns "
        "WHERE coalesce(source_crs, source_x, source_y) IS NOT NULL"
    )
    for rowid, line, crs, x, y, lat0, lon0 in cur.fetchall():
        file = model.file("towns")
        if None in (crs, x, y):
            problems.append(
                Problem(
                    file,
                    line,
                    "source_crs",
                    crs,
                    "position",
                    "a projected position needs all three of source_crs, source_x and source_y",
                    "fill in the missing ones, or give latitude/longitude instead",
                )
            )
            continue
        try:
            lat, lon = geo.to_wgs84(crs, x, y)
        except ValueError as e:
            problems.append(
                Problem(
                    file,
                    line,
                    "source_crs",
                    crs,
                    "position",
                    str(e),
                    "check the EPSG code and that x is the easting and y the northing",
                )
            )
            continue
        if lat0 is None and lon0 is None:
            updates.append((lat, lon, rowid))
    with model.conn:
        model.conn.executemany("UPDATE towns SET latitude = ?, longitude = ? WHERE rowid = ?", updates)
    return problems


def derive_membership_summary(model: Model) -> None:
    model.conn.execute("""
        UPDATE towns SET
          status = s.status, joined = s.joined, "left" = s.last_left
        FROM (SELECT town,
                     CASE WHEN count(*) > count("left") THEN 'current' ELSE 'former' END AS status,
                     CASE WHEN count(*) = count(joined) THEN min(joined) END AS joined,
                     CASE WHEN count(*) = count("left") THEN max("left") END AS last_left
              FROM memberships GROUP BY town) AS s
        WHERE towns.id = s.town""")


def derive_countries(model: Model) -> None:
    codes = [
        r[0]
        for r in model.conn.execute("SELECT DISTINCT country FROM towns WHERE country IS NOT NULL ORDER BY country")
    ]
    rows = []
    for code in codes:
        country = pycountry.countries.get(alpha_2=code)
        if country is not None:  # an unknown code is reported by the rules
            rows.append((code, country.name, COUNTRIES_SOURCE))
    with model.conn:
        model.conn.executemany("INSERT INTO countries VALUES (?, ?, ?)", rows)


def derive_distances(model: Model) -> None:
    placed = model.conn.execute("""
        SELECT id, latitude, longitude FROM towns
        WHERE latitude IS NOT NULL AND longitude IS NOT NULL AND id IN (SELECT town FROM memberships)
        GROUP BY id ORDER BY id""").fetchall()
    rows = (
        (a, b, geo.distance_km(lat1, lon1, lat2, lon2), DISTANCE_SOURCE)
        for (a, lat1, lon1), (b, lat2, lon2) in combinations(placed, 2)
    )
    with model.conn:
        model.conn.execute("BEGIN")
        while batch := list(islice(rows, BATCH)):
            model.conn.executemany("INSERT INTO distances VALUES (?, ?, ?, ?)", batch)
