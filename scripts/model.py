"""Stage 2: the typed model. Cast every cell by its Table Schema, then derive what follows from the facts.

Derived here, and nowhere else:
- towns.latitude/longitude from a position given in another reference system (source_crs, x, y);
- towns.status, towns.joined, towns.left from the memberships;
- the countries table (names from ISO 3166-1 via pycountry) and the distances between member towns.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import pycountry

from . import geo
from .layout import TABLES
from .problems import Problem
from .sources import RawTable
from .table_schema import CastError, caster, field_names, fields

COUNTRIES_SOURCE = "iso-3166-pycountry"
DISTANCE_SOURCE = "method-pyproj-geod"


@dataclass
class Table:
    name: str
    file: str | None = None                                # source file, None for derived tables
    rows: list[dict] = field(default_factory=list)
    lines: list[int | None] = field(default_factory=list)  # source line of each row

    def where(self, i: int) -> tuple[str, int | None]:
        return (self.file or f"(derived table {self.name})", self.lines[i] if self.lines else None)


Model = dict[str, Table]


def cast_table(raw: RawTable) -> tuple[Table, list[Problem]]:
    casters = {f["name"]: caster(f) for f in fields(raw.name)}
    names = field_names(raw.name)
    table, problems = Table(raw.name, raw.file), []
    for line, cells in raw.rows:
        row, ok = {}, True
        for name in names:
            text = cells.get(name, "")
            try:
                row[name] = casters[name](text)
            except CastError as e:
                ok = False
                problems.append(Problem(raw.file, line, name, text, e.rule, e.message, e.hint))
        if ok:
            table.rows.append(row)
            table.lines.append(line)
    return table, problems


def build_model(raw: dict[str, RawTable]) -> tuple[Model, list[Problem]]:
    model: Model = {}
    problems: list[Problem] = []
    for name, rt in raw.items():
        model[name], found = cast_table(rt)
        problems += found
    problems += derive_positions(model["towns"])
    derive_membership_summary(model["towns"], model["memberships"])
    model["countries"] = derive_countries(model["towns"])
    model["distances"] = derive_distances(model["towns"], model["memberships"])
    return {t: model[t] for t in TABLES}, problems


def derive_positions(towns: Table) -> list[Problem]:
    problems = []
    for i, t in enumerate(towns.rows):
        given = [t["source_x"] is not None, t["source_y"] is not None, t["source_crs"] is not None]
        if not any(given):
            continue
        file, line = towns.where(i)
        if not all(given):
            problems.append(Problem(file, line, "source_crs", t["source_crs"], "position",
                                    "a projected position needs all three of source_crs, source_x and source_y",
                                    "fill in the missing ones, or give latitude/longitude instead"))
            continue
        try:
            lat, lon = geo.to_wgs84(t["source_crs"], t["source_x"], t["source_y"])
        except ValueError as e:
            problems.append(Problem(file, line, "source_crs", t["source_crs"], "position", str(e),
                                    "check the EPSG code and that x is the easting and y the northing"))
            continue
        if t["latitude"] is None and t["longitude"] is None:
            t["latitude"], t["longitude"] = lat, lon
    return problems


def derive_membership_summary(towns: Table, memberships: Table) -> None:
    by_town: dict[str, list[dict]] = {}
    for m in memberships.rows:
        by_town.setdefault(m["town"], []).append(m)
    for t in towns.rows:
        periods = by_town.get(t["id"], [])
        if not periods:
            t["status"] = t["joined"] = t["left"] = None
            continue
        current = any(p["left"] is None for p in periods)
        t["status"] = "current" if current else "former"
        joins = [p["joined"] for p in periods]
        t["joined"] = None if None in joins else min(joins)
        t["left"] = None if current else max(p["left"] for p in periods)


def derive_countries(towns: Table) -> Table:
    table = Table("countries")
    for code in sorted({t["country"] for t in towns.rows if t["country"]}):
        country = pycountry.countries.get(alpha_2=code)
        if country is None:
            continue          # reported by the rules as an unknown country code
        table.rows.append({"code": code, "name": country.name, "source": COUNTRIES_SOURCE})
    return table


def derive_distances(towns: Table, memberships: Table) -> Table:
    members = {m["town"] for m in memberships.rows}
    placed = sorted((t["id"], t["latitude"], t["longitude"]) for t in towns.rows
                    if t["id"] in members and t["latitude"] is not None and t["longitude"] is not None)
    table = Table("distances")
    for (a, lat1, lon1), (b, lat2, lon2) in combinations(placed, 2):
        table.rows.append({"town_a": a, "town_b": b, "km": geo.distance_km(lat1, lon1, lat2, lon2),
                           "source": DISTANCE_SOURCE})
    return table
