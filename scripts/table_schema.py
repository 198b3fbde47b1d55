"""The Table Schemas (scripts/schema/*.json) are the one definition of every column.

This module reads them and turns each field into a caster: text cell -> typed value, or the reason it
is not one. The casters follow the Frictionless Table Schema rules for the types and constraints we
use (frictionless itself stays the reference validator of the published package; see the tests).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache

from .layout import SCHEMA, TABLES

TRUE_VALUES = {"true", "True", "TRUE", "1"}
FALSE_VALUES = {"false", "False", "FALSE", "0"}
SQL_TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER",
             "date": "TEXT", "year": "INTEGER"}


@lru_cache(maxsize=None)
def schema(table: str) -> dict:
    return json.loads((SCHEMA / f"{table}.json").read_text(encoding="utf-8"))


def package_metadata() -> dict:
    return json.loads((SCHEMA / "package.json").read_text(encoding="utf-8"))


def field_names(table: str) -> list[str]:
    return [f["name"] for f in schema(table)["fields"]]


def fields(table: str) -> list[dict]:
    return schema(table)["fields"]


def all_schemas() -> dict[str, dict]:
    return {t: schema(t) for t in TABLES}


class CastError(ValueError):
    def __init__(self, rule: str, message: str, hint: str = ""):
        super().__init__(message)
        self.rule, self.message, self.hint = rule, message, hint


_INT = re.compile(r"[+-]?[0-9]+")
_NUM = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_YEAR = re.compile(r"[0-9]{4}")


def _integer(text: str) -> int:
    if _INT.fullmatch(text):
        return int(text)
    if re.fullmatch(r"[0-9]{1,3}([ ,.'\u00a0\u202f][0-9]{3})+", text):
        raise CastError("type", "is not a whole number: it has a thousands separator",
                        f"write the digits alone, e.g. {re.sub(r'[^0-9]', '', text)}")
    raise CastError("type", "is not a whole number", "write digits only, e.g. 170")


def _number(text: str) -> float:
    if _NUM.fullmatch(text):
        return float(text)
    if re.fullmatch(r"[+-]?[0-9]+,[0-9]+", text):
        raise CastError("type", "is not a number: it has a decimal comma",
                        f"use a decimal point, e.g. {text.replace(',', '.')}")
    raise CastError("type", "is not a number", "write a decimal number with a point, e.g. 58.6704")


def _boolean(text: str) -> bool:
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    raise CastError("type", "is not true or false", "write true or false")


def _date(text: str) -> str:
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise CastError("type", "is not a real calendar date", "check the day and month") from None
    if re.fullmatch(r"[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{2,4}", text):
        raise CastError("type", "is a date in a local format, which is ambiguous (day/month or month/day?)",
                        "write it as YYYY-MM-DD, e.g. 2018-05-11")
    raise CastError("type", "is not a date", "write it as YYYY-MM-DD, e.g. 2018-05-11")


def _year(text: str) -> int:
    if _YEAR.fullmatch(text):
        return int(text)
    raise CastError("type", "is not a year", "write four digits, e.g. 1998")


CASTERS = {"string": str, "integer": _integer, "number": _number, "boolean": _boolean,
           "date": _date, "year": _year}


def caster(field: dict):
    """Return a function: cell text -> typed value or None; raises CastError with a hint."""
    to_type = CASTERS[field["type"]]
    c = field.get("constraints", {})
    required = c.get("required", False)
    enum = c.get("enum")
    pattern = re.compile(c["pattern"]) if "pattern" in c else None
    lo, hi = c.get("minimum"), c.get("maximum")

    def cast(text: str):
        if text == "":
            if required:
                raise CastError("required", "is required but empty", f"fill in the {field['title'].lower()}")
            return None
        value = to_type(text)
        if enum is not None and value not in enum:
            raise CastError("enum", "is not one of the allowed values", "use one of: " + ", ".join(enum))
        if pattern is not None and not pattern.fullmatch(text):
            raise CastError("pattern", f"does not have the expected form {c['pattern']}",
                            _pattern_hint(field["name"]))
        if lo is not None and value < lo:
            raise CastError("minimum", f"is below the minimum {lo}", f"{field['title']} must be at least {lo}")
        if hi is not None and value > hi:
            raise CastError("maximum", f"is above the maximum {hi}", f"{field['title']} must be at most {hi}")
        return value

    return cast


def _pattern_hint(name: str) -> str:
    if name in ("url", "website", "report_url"):
        return "write an absolute address starting with https:// or http://"
    if name == "country":
        return "write the two capital letters of ISO 3166-1, e.g. SE"
    if name == "wikidata":
        return "write the item id, e.g. Q123"
    if name == "field":
        return "write the column name in lowercase, e.g. participants (or position for latitude,longitude)"
    if name == "language":
        return "write the two-letter ISO 639-1 code, e.g. sv"
    if name == "published":
        return "write YYYY, YYYY-MM or YYYY-MM-DD"
    if name == "source_crs":
        return "write the EPSG code, e.g. EPSG:3006"
    return "ids are lowercase ASCII words joined by hyphens, e.g. bad-kotzting"


def sql_type(field: dict) -> str:
    return SQL_TYPES[field["type"]]
