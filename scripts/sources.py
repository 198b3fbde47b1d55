"""Stage 1: read the hand-curated CSV files in sources/, keeping where every cell came from.

A municipal officer edits these files in a spreadsheet or a text editor. What is unambiguous is
accepted and normalised (a byte-order mark, Windows line endings, spaces around a value, blank lines);
what is ambiguous (another encoding, another delimiter, missing or unknown columns) is a Problem.

Rows are streamed, never held all at once: the files may hold millions of rows.
"""
from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .layout import DERIVED_FIELDS, DERIVED_TABLES, ROOT, SOURCES, TABLES
from .problems import Problem
from .table_schema import field_names

csv.field_size_limit(1 << 24)


@dataclass
class RawTable:
    name: str
    file: str                                   # path relative to the repository root
    path: Path | None = None
    header: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)   # grows while rows() is consumed

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line number, cells in `header` order); blank lines skipped; problems recorded.

        Cells are not yet stripped of surrounding spaces: casting does that (model.py), in the same pass.
        """
        if self.path is None:
            return
        with self.path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, strict=True)
            width = len(self.header)
            try:
                next(reader)
                for cells in reader:
                    if len(cells) != width:
                        if not any(c.strip() for c in cells):
                            continue                       # a blank line, harmless
                        self.problems.append(Problem(
                            self.file, reader.line_num, None, ",".join(cells), "row-length",
                            f"has {len(cells)} cells but the header has {width}",
                            "check for a missing or extra comma; quote values that contain commas"))
                        continue
                    yield reader.line_num, cells
            except UnicodeDecodeError as e:
                self.problems.append(_encoding_problem(self.file, self.path, e, reader.line_num + 1))
            except csv.Error as e:
                self.problems.append(Problem(self.file, reader.line_num, None, None, "csv",
                                             f"cannot be read as CSV: {e}", "check the quotes on this line"))


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


def _encoding_problem(file: str, path: Path, e: UnicodeDecodeError, line: int) -> Problem:
    head = path.read_bytes()[:4]
    guess = "UTF-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "Windows-1252 or Latin-1"
    return Problem(file, line, None, None, "encoding",
                   f"is not UTF-8 (byte {e.object[e.start]:#04x}; it looks like {guess})",
                   "save the file as 'CSV UTF-8' in the spreadsheet, or re-encode it to UTF-8")


def read_table(table: str, path: Path) -> RawTable:
    """Open a source file and check its header; its rows are read later, as a stream."""
    file = _display(path)
    raw = RawTable(table, file)
    expected = source_columns(table)
    if not path.exists():
        raw.problems.append(Problem(file, None, None, None, "missing-file", "the file does not exist",
                                    f"create it with the header: {','.join(expected)}"))
        return raw
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            first = f.readline()
    except UnicodeDecodeError as e:
        raw.problems.append(_encoding_problem(file, path, e, 1))
        return raw
    if not first.strip():
        raw.problems.append(Problem(file, None, None, None, "empty-file", "the file is empty or starts with a blank line",
                                    f"the first line must be the header: {','.join(expected)}"))
        return raw
    header = [h.strip() for h in next(csv.reader([first]))]
    if len(header) == 1 and any(d in header[0] for d in ";\t|"):
        delim = next(d for d in ";\t|" if d in header[0])
        raw.problems.append(Problem(file, 1, None, header[0], "delimiter",
                                    f"the columns are separated by {delim!r}, not by commas",
                                    "save as comma-separated CSV (in a spreadsheet: 'CSV UTF-8 (comma delimited)')"))
        return raw
    header_problems = _check_header(file, header, expected)
    if header_problems:
        raw.problems += header_problems
        return raw
    raw.path, raw.header = path, header
    return raw


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
    for c in sorted({c for c in header if header.count(c) > 1}):
        problems.append(Problem(file, 1, c, None, "duplicate-column", "this column appears twice", "keep one"))
    return problems


def read_sources(folder: Path = SOURCES) -> dict[str, RawTable]:
    return {table: read_table(table, folder / f"{table}.csv") for table in source_tables()}
