"""The hand-kept descriptor of the sources, sources/datapackage.json: the one definition of every table and column.

It is a Data Package of the source files themselves (`frictionless validate sources/datapackage.json`
checks them before any build) with one key frictionless ignores, `derived`: the columns, references and
tables the build adds, each with where it goes (`after`) and which module makes it (`derivedBy`). Every
other definition derives from it here: the published descriptor's schemas (package.py), the SQLite tables
(load/model.py), the reader's expected headers (read/sources.py), Datasette's descriptions
(site_metadata.py), the dictionary and the benchmark's naive descriptor (the sources descriptor itself).
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache

from douzelage.layout import SOURCES_DESCRIPTOR

SQL_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "number": "REAL",
    "boolean": "INTEGER",
    "date": "TEXT",
    "year": "INTEGER",
}
PACKAGE_KEYS_NOT_PUBLISHED = {"resources", "derived"}


def sources_descriptor() -> dict:
    """sources/datapackage.json, parsed once per version of the file (a release rewrites its version)."""
    stat = SOURCES_DESCRIPTOR.stat()
    return _parsed(stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _parsed(size: int, mtime_ns: int) -> dict:
    return json.loads(SOURCES_DESCRIPTOR.read_text(encoding="utf-8"))


def _derived() -> dict:
    return sources_descriptor()["derived"]


def _insert_after(items: list, after: str | None, item, name=lambda x: x) -> None:
    at = 0 if after is None else next(i for i, x in enumerate(items) if name(x) == after) + 1
    items.insert(at, item)


def _published() -> dict[str, dict]:
    """Every published resource in order, name -> {title, description, schema (if a table)}."""
    stat = SOURCES_DESCRIPTOR.stat()
    return _published_of(stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _published_of(size: int, mtime_ns: int) -> dict[str, dict]:
    out: list[dict] = []
    for r in sources_descriptor()["resources"]:
        s = copy.deepcopy(r["schema"])
        for f in s["fields"]:
            f.pop("hint", None)  # how to explain a bad value: for the loader, not published
        extra = _derived()["fields"].get(r["name"])
        if extra:
            for f in reversed(extra["fields"]):
                _insert_after(s["fields"], extra["after"], f, lambda f: f["name"])
        keys = _derived()["foreignKeys"].get(r["name"])
        if keys:  # references to derived tables come first
            s = {**{k: v for k, v in s.items() if k != "foreignKeys"}, "foreignKeys": keys + s.get("foreignKeys", [])}
        out.append({"name": r["name"], "title": r["title"], "description": r["description"], "schema": s})
    for d in _derived()["resources"]:
        item = {k: d[k] for k in ("name", "title", "description", "schema") if k in d}
        _insert_after(out, d["after"], item, lambda x: x["name"])
    return {r["name"]: r for r in out}


def schema(table: str) -> dict:
    """The published Table Schema of a table (derived columns and references included)."""
    return _published()[table]["schema"]


def package_metadata() -> dict:
    """The package's own keys (name, title, version, licences, ...), as published."""
    return copy.deepcopy({k: v for k, v in sources_descriptor().items() if k not in PACKAGE_KEYS_NOT_PUBLISHED})


def resource_texts() -> dict[str, dict]:
    """Title and description of every published resource (the tables and the map)."""
    return {n: {"title": r["title"], "description": r["description"]} for n, r in _published().items()}


def field_names(table: str) -> list[str]:
    return [f["name"] for f in schema(table)["fields"]]


def fields(table: str) -> list[dict]:
    """The published fields of a table, each with its "hint" from sources/datapackage.json where it has one
    (the kind of value, which the loader's explanations use; see load/cast.py)."""
    hints = _hints()
    return [
        {**f, "hint": hints[(table, f["name"])]} if (table, f["name"]) in hints else f for f in schema(table)["fields"]
    ]


def _hints() -> dict[tuple[str, str], str]:
    return {
        (r["name"], f["name"]): f["hint"]
        for r in sources_descriptor()["resources"]
        for f in r["schema"]["fields"]
        if "hint" in f
    }


def sql_type(field: dict) -> str:
    return SQL_TYPES[field["type"]]


# Tables in the order they are published and loaded: every table after the ones it refers to.
TABLES = [n for n, r in _published().items() if "schema" in r]
# Tables the build makes, with no file in sources/; the report's are made after the checks.
DERIVED_TABLES = {d["name"] for d in _derived()["resources"] if "schema" in d}
REPORT_TABLES = [d["name"] for d in _derived()["resources"] if d.get("report")]
# Columns of published tables that the build derives, so they have no column in the source file.
DERIVED_FIELDS = {t: {f["name"] for f in d["fields"]} for t, d in _derived()["fields"].items()}


def all_schemas() -> dict[str, dict]:
    return {t: schema(t) for t in TABLES}
