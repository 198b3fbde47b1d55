"""Stage 2: the typed model, held in a SQLite staging database so that it scales to millions of rows.

Every cell is cast by its Table Schema as it streams in (table_schema.py); each staging table has the
schema's columns plus `_line`, the row's line in its source file, so later checks can say where a
problem is. Then what follows from the facts is derived here, and nowhere else:
- towns.latitude/longitude from a position given in another reference system (source_crs, x, y);
- towns.status, towns.joined, towns.left from the memberships;
- the countries table (names from ISO 3166-1 via pycountry) and the distances between member towns.
"""
from __future__ import annotations

import sqlite3
from itertools import combinations, islice
from pathlib import Path

import pycountry

from . import geo
from .layout import TABLES
from .problems import Problem
from .sources import RawTable
from .table_schema import CastError, caster, field_names, fields, schema, sql_type

COUNTRIES_SOURCE = "iso-3166-pycountry"
DISTANCE_SOURCE = "method-pyproj-geod"
BATCH = 10_000


class Model:
    """The staging database: one table per published table, typed, with `_line` for source rows."""

    def __init__(self, path: Path | str = ":memory:"):
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA temp_store=FILE")
        self.files: dict[str, str] = {}          # table -> source file it came from
        for table in TABLES:
            cols = ", ".join(f'"{f["name"]}" {sql_type(f)}' for f in fields(table))
            self.conn.execute(f'CREATE TABLE "{table}" ({cols}, _line INTEGER)')
        # keys of rows refused for a bad cell, so references to them are not reported a second time
        self.conn.execute("CREATE TABLE _refused_keys (tbl TEXT, key TEXT)")

    def rows(self, table: str, where: str = "1", params=()) -> list[dict]:
        """Rows as dicts in primary-key order (for tests and small tables)."""
        names = field_names(table)
        cols = ", ".join(f'"{n}"' for n in names)
        order = ", ".join(f'"{k}"' for k in schema(table)["primaryKey"])
        cur = self.conn.execute(f'SELECT {cols} FROM "{table}" WHERE {where} ORDER BY {order}', params)
        return [dict(zip(names, r)) for r in cur]

    def count(self, table: str) -> int:
        return self.conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]

    def file(self, table: str) -> str:
        return self.files.get(table, f"(derived table {table})")

    def close(self) -> None:
        self.conn.close()


def load_table(model: Model, raw: RawTable, problems: list[Problem]) -> None:
    """Stream a source file into its staging table, casting every cell; bad rows become Problems."""
    model.files[raw.name] = raw.file
    names = field_names(raw.name)
    by_name = {f["name"]: caster(f) for f in fields(raw.name)}
    position = {h: i for i, h in enumerate(raw.header)}
    # (index of the column in the source file or None for a derived column, caster)
    plan = [(position.get(n), by_name[n]) for n in names]
    sql = f'INSERT INTO "{raw.name}" VALUES ({", ".join("?" * (len(names) + 1))})'

    key = schema(raw.name)["primaryKey"]
    key_at = position.get(key[0]) if len(key) == 1 else None
    refused: list[str] = []

    def typed():
        for line, cells in raw.rows():
            try:
                row = [None if i is None else cast(cells[i]) for i, cast in plan]
            except CastError:
                problems.extend(_row_problems(raw, names, plan, line, cells))
                if key_at is not None:
                    refused.append(cells[key_at])
                continue
            row.append(line)
            yield row

    rows = typed()
    while batch := list(islice(rows, BATCH)):
        model.conn.executemany(sql, batch)
    model.conn.executemany("INSERT INTO _refused_keys VALUES (?, ?)", ((raw.name, k) for k in refused))
    problems.extend(raw.problems)


def _row_problems(raw: RawTable, names, plan, line: int, cells: list[str]) -> list[Problem]:
    found = []
    for name, (i, cast) in zip(names, plan):
        if i is None:
            continue
        try:
            cast(cells[i])
        except CastError as e:
            found.append(Problem(raw.file, line, name, cells[i], e.rule, e.message, e.hint))
    if raw.name == "towns":
        found = _explain_swapped(raw, line, cells, found)
    return found


def _explain_swapped(raw: RawTable, line: int, cells: list[str], found: list[Problem]) -> list[Problem]:
    """A latitude/longitude pair that is valid only when swapped is reported as swapped."""
    out_of_range = [p for p in found if p.column in ("latitude", "longitude") and p.rule in ("minimum", "maximum")]
    if not out_of_range:
        return found
    lat, lon = cells[raw.header.index("latitude")], cells[raw.header.index("longitude")]
    try:
        if abs(float(lon)) <= 90 and abs(float(lat)) <= 180:
            return [p for p in found if p not in out_of_range] + [Problem(
                raw.file, line, "latitude", f"{lat},{lon}", "swapped",
                "latitude and longitude look swapped: the pair is out of range as given and valid the other way round",
                f"swap them: latitude {lon}, longitude {lat}")]
    except ValueError:
        pass
    return found


def build_model(raw: dict[str, RawTable], path: Path | str = ":memory:") -> tuple[Model, list[Problem]]:
    model = Model(path)
    problems: list[Problem] = []
    for name, rt in raw.items():
        load_table(model, rt, problems)
    problems += derive_positions(model)
    derive_membership_summary(model)
    derive_countries(model)
    derive_distances(model)
    return model, problems


def derive_positions(model: Model) -> list[Problem]:
    problems, updates = [], []
    cur = model.conn.execute("SELECT rowid, _line, source_crs, source_x, source_y, latitude, longitude FROM towns "
                             "WHERE coalesce(source_crs, source_x, source_y) IS NOT NULL")
    for rowid, line, crs, x, y, lat0, lon0 in cur.fetchall():
        file = model.file("towns")
        if None in (crs, x, y):
            problems.append(Problem(file, line, "source_crs", crs, "position",
                                    "a projected position needs all three of source_crs, source_x and source_y",
                                    "fill in the missing ones, or give latitude/longitude instead"))
            continue
        try:
            lat, lon = geo.to_wgs84(crs, x, y)
        except ValueError as e:
            problems.append(Problem(file, line, "source_crs", crs, "position", str(e),
                                    "check the EPSG code and that x is the easting and y the northing"))
            continue
        if lat0 is None and lon0 is None:
            updates.append((lat, lon, rowid))
    model.conn.executemany("UPDATE towns SET latitude = ?, longitude = ? WHERE rowid = ?", updates)
    return problems


def derive_membership_summary(model: Model) -> None:
    model.conn.execute("CREATE INDEX IF NOT EXISTS staging_memberships_town ON memberships(town)")
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
    codes = [r[0] for r in model.conn.execute(
        "SELECT DISTINCT country FROM towns WHERE country IS NOT NULL ORDER BY country")]
    rows = []
    for code in codes:
        country = pycountry.countries.get(alpha_2=code)
        if country is not None:           # an unknown code is reported by the rules
            rows.append((code, country.name, COUNTRIES_SOURCE, None))
    model.conn.executemany("INSERT INTO countries VALUES (?, ?, ?, ?)", rows)


def derive_distances(model: Model) -> None:
    placed = model.conn.execute("""
        SELECT id, latitude, longitude FROM towns
        WHERE latitude IS NOT NULL AND longitude IS NOT NULL AND id IN (SELECT town FROM memberships)
        GROUP BY id ORDER BY id""").fetchall()
    rows = ((a, b, geo.distance_km(lat1, lon1, lat2, lon2), DISTANCE_SOURCE, None)
            for (a, lat1, lon1), (b, lat2, lon2) in combinations(placed, 2))
    while batch := list(islice(rows, BATCH)):
        model.conn.executemany("INSERT INTO distances VALUES (?, ?, ?, ?, ?)", batch)
