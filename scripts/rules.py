"""Stage 3: check the typed model as a whole. Cell types were checked while casting (model.py);
here come the rules that span rows and tables: keys, references, and the rules of the domain.
Every problem is collected; nothing stops at the first.
"""
from __future__ import annotations

import pycountry

from .model import Model, Table
from .problems import Problem
from .table_schema import schema


def check(model: Model) -> list[Problem]:
    problems: list[Problem] = []
    for name, table in model.items():
        problems += check_primary_key(table)
        problems += check_foreign_keys(table, model)
    problems += check_countries(model["towns"])
    problems += check_positions(model["towns"])
    problems += check_periods(model["memberships"], "joined", "left", "joined")
    problems += check_periods(model["memberships"], "joined_earliest", "joined_latest", "joined_latest")
    problems += check_periods(model["meetings"], "start_date", "end_date", "end_date")
    problems += check_periods(model["projects"], "start_year", "end_year", "end_year")
    return problems


def check_primary_key(table: Table) -> list[Problem]:
    key = schema(table.name)["primaryKey"]
    seen: dict[tuple, int] = {}
    problems = []
    for i, row in enumerate(table.rows):
        value = tuple(row[k] for k in key)
        if value in seen:
            file, line = table.where(i)
            _, first = table.where(seen[value])
            problems.append(Problem(file, line, ",".join(key), ",".join(map(str, value)), "primary-key",
                                    f"repeats the key of row {first}",
                                    "give each row its own id, or merge the two rows"))
        else:
            seen[value] = i
    return problems


def check_foreign_keys(table: Table, model: Model) -> list[Problem]:
    problems = []
    for fk in schema(table.name).get("foreignKeys", []):
        target = fk["reference"]["resource"]
        ref_fields = fk["reference"]["fields"]
        known = {tuple(r[f] for f in ref_fields) for r in model[target].rows}
        for i, row in enumerate(table.rows):
            value = tuple(row[f] for f in fk["fields"])
            if None in value or value in known:
                continue
            file, line = table.where(i)
            problems.append(Problem(file, line, ",".join(fk["fields"]), ",".join(map(str, value)), "foreign-key",
                                    f"matches no {','.join(ref_fields)} in the {target} table",
                                    f"check the spelling, or add the row to sources/{target}.csv first"
                                    if target not in ("countries",) else
                                    "use an ISO 3166-1 alpha-2 code"))
    return problems


def check_countries(towns: Table) -> list[Problem]:
    problems = []
    for i, t in enumerate(towns.rows):
        if t["country"] and pycountry.countries.get(alpha_2=t["country"]) is None:
            file, line = towns.where(i)
            problems.append(Problem(file, line, "country", t["country"], "country",
                                    "is not an ISO 3166-1 alpha-2 country code",
                                    "use the two-letter code, e.g. SE for Sweden, GB for the United Kingdom"))
    return problems


def check_positions(towns: Table) -> list[Problem]:
    problems = []
    for i, t in enumerate(towns.rows):
        file, line = towns.where(i)
        if (t["latitude"] is None) != (t["longitude"] is None):
            problems.append(Problem(file, line, "latitude", None, "position",
                                    "has only one of latitude and longitude", "give both, or neither"))
        if t["latitude"] is not None and t["position_source"] is None:
            problems.append(Problem(file, line, "position_source", None, "citation",
                                    "a position needs the source it comes from",
                                    "put the id of the source (sources/sources.csv) in position_source"))
    return problems


def check_periods(table: Table, start: str, end: str, column: str) -> list[Problem]:
    problems = []
    for i, row in enumerate(table.rows):
        if row[start] is not None and row[end] is not None and row[start] > row[end]:
            file, line = table.where(i)
            problems.append(Problem(file, line, column, str(row[end]), "order",
                                    f"{end} ({row[end]}) is before {start} ({row[start]})",
                                    "check both values; they may be swapped"))
    return problems
