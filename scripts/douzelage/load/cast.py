"""Casting: a text cell to its typed value by its Table Schema field, or the reason, for a person, it is not one.

The casters follow the Frictionless Table Schema rules for the types and constraints we use (frictionless
itself stays the reference validator of the sources and of the published package; see the tests), and
explain a failure in a person's words: a decimal comma, a thousands separator, a local date format.
`row_caster` makes one function per file that casts a whole row.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pycountry

TRUE_VALUES = {"true", "True", "TRUE", "1"}
FALSE_VALUES = {"false", "False", "FALSE", "0"}


class CastError(ValueError):
    def __init__(self, rule: str, message: str, hint: str = ""):
        super().__init__(message)
        self.rule, self.message, self.hint = rule, message, hint


_INT = re.compile(r"[+-]?[0-9]+")
_NUM = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_YEAR = re.compile(r"[0-9]{4}")
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}([ ,.'\u00a0\u202f][0-9]{3})+")
_DMS = re.compile(
    r"([0-9]+(?:\.[0-9]+)?)\s*°\s*(?:([0-9]+(?:\.[0-9]+)?)\s*[′']\s*)?"
    r"(?:([0-9]+(?:\.[0-9]+)?)\s*(?:″|''|\")\s*)?([NSEWnsew])?"
)


def _integer(text: str) -> int:
    if _INT.fullmatch(text):
        return int(text)
    if _GROUPED.fullmatch(text):
        raise CastError(
            "thousands-separator",
            "is not a whole number: it has a thousands separator",
            f"write the digits alone: {re.sub(r'[^0-9+-]', '', text)}",
        )
    if re.fullmatch(r"[+-]?[0-9]+\.0+", text):
        raise CastError(
            "type",
            "is not a whole number (a spreadsheet may have formatted it as a decimal)",
            f"write {text.split('.')[0]}",
        )
    raise CastError("type", "is not a whole number", "write digits only, e.g. 170")


def _number(text: str) -> float:
    if _NUM.fullmatch(text):
        value = float(text)
        if value != value or value in (float("inf"), float("-inf")):
            raise CastError("type", "is too large to be a number", "check the value")
        return value
    if re.fullmatch(r"[+-]?[0-9]+,[0-9]+", text):
        raise CastError(
            "decimal-comma", "is not a number: it has a decimal comma", f"use a decimal point: {text.replace(',', '.')}"
        )
    if re.fullmatch(r"[+-]?[0-9]{1,3}([.  '\u00a0\u202f][0-9]{3})+,[0-9]+", text):
        raise CastError(
            "decimal-comma",
            "is not a number: it has thousands separators and a decimal comma",
            f"write {re.sub(r'[^0-9+-]', '', text.split(',')[0])}.{text.split(',')[1]}",
        )
    if re.fullmatch(r"[+-]?[0-9]{1,3}([,  '\u00a0\u202f][0-9]{3})+(\.[0-9]+)?", text):
        raise CastError(
            "thousands-separator",
            "is not a number: it has thousands separators",
            f"write {re.sub(r'[^0-9.+-]', '', text)}",
        )
    dms = _DMS.fullmatch(text.strip())
    if dms and "°" in text:
        d, m, s_, hemi = dms.groups()
        value = float(d) + float(m or 0) / 60 + float(s_ or 0) / 3600
        if hemi and hemi.upper() in "SW":
            value = -value
        raise CastError(
            "degrees-minutes",
            "is in degrees, minutes and seconds, not decimal degrees",
            f"write {round(value, 5)} (south and west are negative)",
        )
    raise CastError("type", "is not a number", "write a decimal number with a point, e.g. 58.6704")


_SPREADSHEET_BOOLEANS = {
    "yes",
    "no",
    "y",
    "n",
    "ja",
    "nein",
    "oui",
    "non",
    "wahr",
    "falsch",
    "vrai",
    "faux",
    "x",
    "t",
    "f",
    "sí",
    "si",
    "waar",
    "onwaar",
}


def _boolean(text: str) -> bool:
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    if text.lower() in _SPREADSHEET_BOOLEANS:
        raise CastError(
            "type", "is not true or false (a word or a spreadsheet's localised boolean)", "write true or false"
        )
    raise CastError("type", "is not true or false", "write true or false")


def _date(text: str) -> str:
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise CastError("type", "is not a real calendar date", "check the day and month") from None
    raise _date_error(text)


def _date_error(text: str) -> CastError:
    local = re.fullmatch(r"([0-9]{1,2})[./-]([0-9]{1,2})[./-]([0-9]{4})", text)
    if local:
        a, b, y = (int(g) for g in local.groups())
        options = []
        for day, month, label in ((a, b, "day first"), (b, a, "month first")):
            try:
                options.append(f"{dt.date(y, month, day).isoformat()} ({label})")
            except ValueError:
                pass
        if len(options) == 1:
            return CastError(
                "date-format",
                "is a date in a local format, not YYYY-MM-DD",
                f"write it as YYYY-MM-DD: {options[0].split()[0]}",
            )
        return CastError(
            "date-format",
            "is a date in a local format, which is ambiguous (day/month or month/day?)",
            "write it as YYYY-MM-DD: " + " or ".join(options) if options else "check the date",
        )
    if re.fullmatch(r"[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{2}", text):
        return CastError(
            "date-format",
            "is a date with a two-digit year, which is ambiguous",
            "write it as YYYY-MM-DD, e.g. 2018-05-11",
        )
    ymd = re.fullmatch(r"([0-9]{4})[./-]([0-9]{1,2})[./-]([0-9]{1,2})", text)
    if ymd:
        y, m, d = (int(g) for g in ymd.groups())
        try:
            return CastError("date-format", "is not written as YYYY-MM-DD", f"write {dt.date(y, m, d).isoformat()}")
        except ValueError:
            return CastError("type", "is not a real calendar date", "check the day and month")
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9:.]+", text):
        return CastError("date-format", "has a time of day; only the date is wanted", f"write {text[:10]}")
    if re.fullmatch(r"[0-9]{5}(\.0+)?", text):
        return CastError(
            "date-format",
            "looks like a spreadsheet's date serial number",
            "format the cell as text in the form YYYY-MM-DD before saving",
        )
    return CastError("type", "is not a date", "write it as YYYY-MM-DD, e.g. 2018-05-11")


def _year(text: str) -> int:
    if _YEAR.fullmatch(text):
        return int(text)
    if re.fullmatch(r"[0-9]{4}\.0+", text):
        raise CastError("type", "is not a year (a spreadsheet may have formatted it as a decimal)", f"write {text[:4]}")
    if re.search(r"[0-9]{4}", text):
        raise CastError(
            "type",
            "is not a plain year",
            "write four digits only; if the year is uncertain, leave it blank and say so in note "
            "(memberships have joined_earliest/joined_latest for a range)",
        )
    raise CastError("type", "is not a year", "write four digits, e.g. 1998")


CASTERS: dict[str, Callable[[str], Any]] = {
    "string": str,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "date": _date,
    "year": _year,
}


def caster(field: dict):
    """Return a function: cell text -> typed value or None; raises CastError with a hint."""
    to_type = CASTERS[field["type"]]
    c = field.get("constraints", {})
    required = c.get("required", False)
    enum = c.get("enum")
    pattern = re.compile(c["pattern"]) if "pattern" in c else None
    lo, hi = c.get("minimum"), c.get("maximum")
    is_uri = field.get("format") == "uri"

    def cast(text: str):
        if text == "":
            if required:
                raise CastError("required", "is required but empty", f"fill in the {field['title'].lower()}")
            return None
        value = to_type(text)
        if enum is not None and value not in enum:
            raise CastError("enum", "is not one of the allowed values", _enum_hint(text, enum))
        if pattern is not None and not pattern.fullmatch(text):
            raise CastError(
                "pattern", f"does not have the expected form {c['pattern']}", _pattern_hint(field.get("hint"), text)
            )
        if is_uri:
            _check_uri(text)
        if lo is not None and value < lo:
            raise CastError("minimum", f"is below the minimum {lo}", f"{field['title']} must be at least {lo}")
        if hi is not None and value > hi:
            hint = f"{field['title']} must be at most {hi}"
            if field.get("hint") == "latitude" and abs(value) <= 180:
                hint += "; it may be the longitude: are latitude and longitude swapped?"
            raise CastError("maximum", f"is above the maximum {hi}", hint)
        return value

    return cast


def _enum_hint(text: str, enum: list[str]) -> str:
    close = [e for e in enum if e.lower() == text.lower().strip()] or difflib.get_close_matches(
        text.lower(), enum, n=1, cutoff=0.6
    )
    allowed = "use one of: " + ", ".join(enum)
    return f"did you mean {close[0]!r}? {allowed}" if close else allowed


def _check_uri(text: str) -> None:
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:  # e.g. an unbalanced [ in the host
        host = ""
    if "." not in host and host != "localhost":
        raise CastError(
            "uri",
            "is not an absolute web address with a host name",
            "write the full address as the browser shows it, e.g. https://www.oxelosund.se/",
        )


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


# The kinds of value a field's "hint" may name (sources/datapackage.json; the lint's profile lists them too).
HINT_KINDS = {"column-name", "country", "epsg", "language", "latitude", "partial-date", "web-address", "wikidata"}


def _pattern_hint(kind: str | None, text: str = "") -> str:
    """How to fix a value that does not match its pattern. `kind` is the field's "hint" in
    sources/datapackage.json (what kind of value the column holds); a field without one holds an id."""
    if kind == "web-address":
        if re.fullmatch(r"(www\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/\S*)?", text):
            return f"write the absolute address: https://{text}"
        if text.startswith("//"):
            return f"write the absolute address: https:{text}"
        return "write an absolute address starting with https:// or http://"
    if kind == "country":
        if re.fullmatch(r"[A-Za-z]{2}", text):
            return f"write the two capital letters: {text.upper()}"
        try:
            found = pycountry.countries.lookup(text)
            return f"write the ISO 3166-1 code: {found.alpha_2} for {found.name}"
        except LookupError:
            return "write the two capital letters of ISO 3166-1, e.g. SE"
    if kind == "wikidata":
        qid = re.search(r"[Qq]([1-9][0-9]*)", text)
        return f"write the item id only: Q{qid.group(1)}" if qid else "write the item id, e.g. Q123"
    if kind == "column-name":
        return "write the column name in lowercase, e.g. participants (or position for latitude,longitude)"
    if kind == "language":
        try:
            lang = pycountry.languages.lookup(text)
            if getattr(lang, "alpha_2", None):
                return f"write the two-letter ISO 639-1 code: {lang.alpha_2} for {lang.name}"
        except LookupError:
            pass
        return "write the two-letter ISO 639-1 code, e.g. sv"
    if kind == "partial-date":
        return "write YYYY, YYYY-MM or YYYY-MM-DD"
    if kind == "epsg":
        if re.fullmatch(r"(?i)(epsg)?[: ]*[0-9]+", text.strip()):
            return f"write EPSG:{re.sub(r'[^0-9]', '', text)}"
        return "write the EPSG code, e.g. EPSG:3006"
    suggestion = slug(text)
    if suggestion and suggestion != text:
        return f"ids are lowercase ASCII words joined by hyphens: {suggestion}"
    return "ids are lowercase ASCII words joined by hyphens, e.g. bad-kotzting"


def row_caster(row_fields: list[dict]):
    """A function (line, cells) -> [line, typed values...] for one file's columns, or CastError.

    It is generated once per file so that each cell costs one dict look-up, not a function call: ids and
    codes repeat across millions of rows, so each distinct text is cast once (by `caster`)
    and remembered; a free-text column is only stripped.
    """
    env: dict[str, Any] = {"MISS": object()}
    body = [
        "def cast_row(line, cells):",
        f"    {', '.join(f'a{i}' for i in range(len(row_fields)))}, = [c.strip() for c in cells]",
    ]
    for i, field in enumerate(row_fields):
        c = field.get("constraints", {})
        free_text = field["type"] == "string" and not (set(c) - {"required"}) and "format" not in field
        env[f"c{i}"] = remembered = _Remembered(caster(field))
        if free_text and not c.get("required"):
            body.append(f"    v{i} = a{i} or None")
        elif free_text:
            body.append(f"    v{i} = a{i} if a{i} else c{i}(a{i})")
        else:
            env[f"s{i}"] = remembered.seen
            body += [f"    v{i} = s{i}.get(a{i}, MISS)", f"    if v{i} is MISS: v{i} = c{i}(a{i})"]
    body.append(f"    return [line, {', '.join(f'v{i}' for i in range(len(row_fields)))}]")
    exec("\n".join(body), env)
    return env["cast_row"]


class _Remembered:
    """Cast each distinct text once: ids and codes repeat across millions of rows."""

    def __init__(self, cast: Callable[[str], Any], size: int = 100_000):
        self.cast, self.size = cast, size
        self.seen: dict[str, Any] = {}

    def __call__(self, text: str) -> Any:
        try:
            return self.seen[text]
        except KeyError:
            value = self.cast(text)  # raises CastError for a bad cell, which is not remembered
            if len(self.seen) < self.size:
                self.seen[text] = value
            return value
