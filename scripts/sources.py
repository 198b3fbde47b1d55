"""Stage 1: read the hand-curated CSV files in sources/, keeping where every cell came from.

A municipal officer edits these files in a spreadsheet or a text editor. What is unambiguous is
accepted and normalised (a byte-order mark, Windows line endings, spaces around a value, blank lines);
what is ambiguous (another encoding, another delimiter, missing or unknown columns) is a Problem.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .layout import DERIVED_FIELDS, DERIVED_TABLES, ROOT, SOURCES, TABLES
from .problems import Problem
from .table_schema import field_names


@dataclass
class RawTable:
    name: str
    file: str                         # path relative to the repository root
    rows: list[tuple[int, dict]]      # (line number, {column: text})


def source_columns(table: str) -> list[str]:
    derived = DERIVED_FIELDS.get(table, set())
    return [n for n in field_names(table) if n not in derived]


def source_tables() -> list[str]:
    return [t for t in TABLES if t not in DERIVED_TABLES]


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _decode(data: bytes, file: str, problems: list[Problem]) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        guess = "UTF-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "Windows-1252 or Latin-1"
        problems.append(Problem(file, line, None, None, "encoding",
                                f"is not UTF-8 (byte {data[e.start]:#04x} at offset {e.start}; it looks like {guess})",
                                "save the file as 'CSV UTF-8' in the spreadsheet, or re-encode it to UTF-8"))
        return None


def read_table(table: str, path: Path) -> tuple[RawTable, list[Problem]]:
    file = _display(path)
    problems: list[Problem] = []
    empty = RawTable(table, file, [])
    if not path.exists():
        return empty, [Problem(file, None, None, None, "missing-file", "the file does not exist",
                               f"create it with the header: {','.join(source_columns(table))}")]
    text = _decode(path.read_bytes(), file, problems)
    if text is None:
        return empty, problems
    if not text.strip():
        return empty, [Problem(file, None, None, None, "empty-file", "the file is empty",
                               f"it needs at least the header: {','.join(source_columns(table))}")]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    expected = source_columns(table)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as e:
        return empty, [Problem(file, 1, None, None, "csv", f"the header cannot be read as CSV: {e}", "")]
    if len(header) == 1 and any(d in header[0] for d in ";\t|"):
        delim = next(d for d in ";\t|" if d in header[0])
        return empty, [Problem(file, 1, None, header[0], "delimiter",
                               f"the columns are separated by {delim!r}, not by commas",
                               "save as comma-separated CSV (in a spreadsheet: 'CSV UTF-8 (comma delimited)')")]
    problems += _check_header(file, header, expected)
    if problems:
        return empty, problems
    rows = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue                      # a blank line, harmless
            if len(cells) != len(header):
                problems.append(Problem(file, line, None, ",".join(cells), "row-length",
                                        f"has {len(cells)} cells but the header has {len(header)}",
                                        "check for a missing or extra comma; quote values that contain commas"))
                continue
            rows.append((line, {h: c.strip() for h, c in zip(header, cells)}))
    except csv.Error as e:
        problems.append(Problem(file, reader.line_num, None, None, "csv", f"cannot be read as CSV: {e}",
                                "check the quotes on this line"))
    return RawTable(table, file, rows), problems


def _check_header(file: str, header: list[str], expected: list[str]) -> list[Problem]:
    problems = []
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    for c in missing:
        problems.append(Problem(file, 1, c, None, "missing-column", "this column is missing from the header",
                                f"add the column; the header must be: {','.join(expected)}"))
    for c in extra:
        problems.append(Problem(file, 1, c, None, "unknown-column",
                                "this column is not in the Table Schema (misspelt or renamed?)",
                                f"rename or remove it; the header must be: {','.join(expected)}"))
    dupes = {c for c in header if header.count(c) > 1}
    for c in sorted(dupes):
        problems.append(Problem(file, 1, c, None, "duplicate-column", "this column appears twice", "keep one"))
    return problems


def read_sources(folder: Path = SOURCES) -> tuple[dict[str, RawTable], list[Problem]]:
    tables, problems = {}, []
    for table in source_tables():
        raw, found = read_table(table, folder / f"{table}.csv")
        tables[table] = raw
        problems += found
    return tables, problems
