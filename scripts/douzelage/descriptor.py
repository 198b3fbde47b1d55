"""The Table Schemas and the package's metadata: the one definition of every table and column.

Every other part of the build asks here: the reader for a source file's columns, the loader for the
SQLite tables, the writers for the published descriptor, Datasette's descriptions and the dictionary.
"""
from __future__ import annotations

import json
from functools import lru_cache

from douzelage.layout import DERIVED_FIELDS, DERIVED_TABLES, REPORT_TABLES, SCHEMA, TABLES

__all__ = ["DERIVED_FIELDS", "DERIVED_TABLES", "REPORT_TABLES", "TABLES", "all_schemas", "field_names", "fields",
           "package_metadata", "resource_texts", "schema", "sql_type"]

SQL_TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER",
             "date": "TEXT", "year": "INTEGER"}


@lru_cache(maxsize=None)
def schema(table: str) -> dict:
    return json.loads((SCHEMA / f"{table}.json").read_text(encoding="utf-8"))


def package_metadata() -> dict:
    return json.loads((SCHEMA / "package.json").read_text(encoding="utf-8"))


def resource_texts() -> dict[str, dict]:
    """Title and description of every resource (the tables and the map)."""
    return json.loads((SCHEMA / "resources.json").read_text(encoding="utf-8"))


def field_names(table: str) -> list[str]:
    return [f["name"] for f in schema(table)["fields"]]


def fields(table: str) -> list[dict]:
    return schema(table)["fields"]


def all_schemas() -> dict[str, dict]:
    return {t: schema(t) for t in TABLES}


def sql_type(field: dict) -> str:
    return SQL_TYPES[field["type"]]
