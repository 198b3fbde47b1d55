"""Stage 1: read the hand-curated CSV files in sources/, keeping where every cell came from.

A municipal officer edits these files in a spreadsheet or a text editor and will make every mistake
there is. What is unambiguous is accepted and normalised: a byte-order mark, Windows or old Mac line
endings, spaces around a value, blank lines, decomposed Unicode (stored composed, NFC, with a notice).
What is ambiguous is a Problem that says where and how to fix it: another encoding (and which one it
looks like), a spreadsheet file saved under a .csv name, another delimiter, missing, unknown or renamed
columns, rows with too many or too few cells (a decimal comma or thousands separator is named as such),
broken quotes and invisible control characters. Every problem of every file is reported in one run.

Rows are streamed, never held all at once (a source file may have millions of rows): `read_table`
checks the file and its header; `RawTable.rows(found)` yields the rows and adds their problems and notices
to `found`, which belongs to the caller (the loader returns it); the RawTable itself only says where the file is.
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from douzelage.descriptor import DERIVED_FIELDS, DERIVED_TABLES, TABLES, field_names, fields
from douzelage.layout import ROOT, SOURCES
from douzelage.problems import Found, Problem
from douzelage.read.decoding import SAVE_AS_CSV, decode

csv.field_size_limit(1 << 26)  # a long note or report cell is data, not an error (64 MiB per cell)
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MOJIBAKE_CODECS = {
    "cp1252": "Windows-1252 or Latin-1",
    "latin_1": "Latin-1",
    "iso8859_2": "Latin-2 (ISO-8859-2)",
    "cp1250": "Windows-1250",
}


def _read_as(byte_range: range) -> str:
    return re.escape(
        "".join(sorted({bytes([b]).decode(c, errors="ignore") for b in byte_range for c in _MOJIBAKE_CODECS} - {""}))
    )


# The lead byte of a UTF-8 character followed by a continuation byte, as read in those encodings ("Ã¶")
_MOJIBAKE_LEAD = re.compile(f"[{_read_as(range(0xC2, 0xF5))}][{_read_as(range(0x80, 0xC0))}]")
_NUMERIC_TYPES = {"integer", "number", "year"}


@dataclass
class RawTable:
    name: str
    file: str  # path relative to the repository root
    path: Path | None = None  # None when the file cannot be read at all
    header: list[str] = field(default_factory=list)
    header_line: int = 1
    # What the last reading of rows() could not give as rows: the cells of each line it skipped (a wrong
    # number of cells, a control character), and whether it stopped before the end (a broken quote or
    # byte). The loader counts them as refused, so the rules do not report references to them again.
    skipped: list[list[str]] = field(default_factory=list)
    stopped: bool = False

    def rows(self, found: Found) -> Iterator[tuple[int, list[str]]]:
        """(line where the row starts, cells in `header` order, NFC-normalised); blank lines skipped.
        What is wrong with a row, and what was normalised in it, is added to `found`.

        Cells keep their surrounding spaces: casting strips them (load/cast.py) in the same pass.
        """
        if self.path is None:
            return
        self.skipped, self.stopped = [], False
        trimmed: list[tuple[int, str]] = []
        width = len(self.header)
        with self.path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, strict=True)
            while True:
                start = reader.line_num + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except UnicodeDecodeError:
                    found.problems += decode(self.path.read_bytes(), self.file)[1]
                    self.stopped = True
                    break
                except csv.Error as e:
                    found.problems.append(_quote_problem(self.file, start, reader.line_num > start, str(e)))
                    self.stopped = True
                    break
                if start <= self.header_line:
                    continue  # blank lines before the header, and the header
                if len(cells) != width:
                    if any(c.strip() for c in cells):
                        found.problems.append(_row_length_problem(self.file, self.name, start, self.header, cells))
                        delim = next((d for d in DELIMITERS if len(cells) == 1 and cells[0].count(d) >= 2), ",")
                        self.skipped.append(cells[0].split(delim) if delim != "," else cells)
                    continue  # (a blank line is harmless and skipped)
                row = ",".join(cells)
                if not row.isascii():
                    if not unicodedata.is_normalized("NFC", row):
                        cells = self._composed(found, start, cells)
                if _CONTROL.search(row):
                    self._control_characters(found, start, cells)
                    self.skipped.append(cells)
                    continue
                if not row.isascii() and _MOJIBAKE_LEAD.search(row):
                    self._mojibake(found, start, cells)
                if " ," in row or ", " in row or row[:1].isspace() or row[-1:].isspace() or "\t" in row:
                    trimmed += [(start, n) for n, c in zip(self.header, cells) if c != c.strip() and c.strip()]
                yield start, cells
        if trimmed:
            first_line, first_col = trimmed[0]
            found.notices.append(
                Problem(
                    self.file,
                    first_line,
                    first_col,
                    None,
                    "trimmed-spaces",
                    f"{len(trimmed)} value(s) had spaces around them (the first is here); they were removed",
                    "nothing to do",
                )
            )

    def _composed(self, found: Found, line: int, cells: list[str]) -> list[str]:
        out = []
        for name, value in zip(self.header, cells):
            nfc = unicodedata.normalize("NFC", value)
            if nfc != value:
                found.notices.append(
                    Problem(
                        self.file,
                        line,
                        name,
                        nfc.strip(),
                        "unicode-nfc",
                        "was written in decomposed Unicode (a letter and a separate accent); "
                        "it was stored composed (NFC)",
                        "nothing to do; the value is the same text",
                    )
                )
            out.append(nfc)
        return out

    def _control_characters(self, found: Found, line: int, cells: list[str]) -> None:
        for name, value in zip(self.header, cells):
            control = _CONTROL.search(value)
            if control:
                found.problems.append(
                    Problem(
                        self.file,
                        line,
                        name,
                        value.strip(),
                        "control-character",
                        f"contains an invisible control character ({control.group()!r})",
                        "retype the value; it may have come from a copy and paste",
                    )
                )

    def _mojibake(self, found: Found, line: int, cells: list[str]) -> None:
        """Text that is UTF-8 read as a single-byte encoding ("Ã¶" for "ö"): it was converted twice."""
        for name, value in zip(self.header, cells):
            meant = mojibake_of(value)
            if meant is not None:
                text, codec = meant
                found.problems.append(
                    Problem(
                        self.file,
                        line,
                        name,
                        value.strip(),
                        "mojibake",
                        f"looks like UTF-8 read as {codec} (mojibake): it would read {text.strip()!r}",
                        f"write {text.strip()!r}; if the whole file looks like this, take it "
                        "from before it was converted and save it as UTF-8",
                    )
                )


def mojibake_of(value: str) -> tuple[str, str] | None:
    """(the text meant, the encoding it was misread as) if value is mojibake, else None."""
    if not _MOJIBAKE_LEAD.search(value):
        return None
    for codec, name in _MOJIBAKE_CODECS.items():
        try:
            text = value.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if text != value and any(ord(c) > 127 and not c.isspace() for c in text):
            return text, name
    return None


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


def _header_hint(table: str) -> str:
    return f"the first line must be the header: {','.join(source_columns(table))}"


def _guess_delimiter(first_line: str, expected: list[str]) -> str:
    """The delimiter that splits the header into the most expected column names."""

    def score(d: str) -> int:
        try:
            cells = next(csv.reader([first_line], delimiter=d))
        except (csv.Error, StopIteration):
            return 0
        return sum(c.strip().lower() in expected for c in cells) * 2 + (len(cells) > 1)

    return max(DELIMITERS, key=lambda d: (score(d), d == ","))


def _check_header(file: str, table: str, header: list[str], line: int = 1) -> list[Problem]:
    expected = source_columns(table)
    all_hint = _header_hint(table)
    problems = []
    missing = [c for c in expected if c not in header]
    renamed_to = set()
    for i, c in enumerate(header):
        if c in expected:
            continue
        if c == "":
            problems.append(
                Problem(
                    file,
                    line,
                    None,
                    None,
                    "empty-column-name",
                    f"column {i + 1} of the header has no name",
                    "delete the empty column (or a comma at the end of the header line); " + all_hint,
                )
            )
        elif c in DERIVED_FIELDS.get(table, set()):
            problems.append(
                Problem(
                    file,
                    line,
                    c,
                    c,
                    "derived-column",
                    "this column is computed by the build, so it cannot be given in the source",
                    f"delete the column; {c} is derived from sources/memberships.csv",
                )
            )
        else:
            close = difflib.get_close_matches(c.lower(), missing or expected, n=1, cutoff=0.6)
            if close and close[0] in missing:
                renamed_to.add(close[0])
                problems.append(
                    Problem(
                        file,
                        line,
                        c,
                        c,
                        "renamed-column",
                        f"is not a column of {table}; it looks like {close[0]!r} renamed or misspelt",
                        f"rename the column to {close[0]!r}",
                    )
                )
            else:
                problems.append(
                    Problem(
                        file,
                        line,
                        c,
                        c,
                        "unknown-column",
                        f"is not a column of {table}",
                        f"remove the column (or rename it); {all_hint}",
                    )
                )
    for c in missing:
        if c not in renamed_to:
            problems.append(
                Problem(
                    file,
                    line,
                    c,
                    None,
                    "missing-column",
                    "this column is missing from the header",
                    f"add the column {c!r}, even if it stays empty; {all_hint}",
                )
            )
    for c in sorted({c for c in header if c and header.count(c) > 1}):
        problems.append(
            Problem(file, line, c, c, "duplicate-column", "this column appears twice in the header", "keep one of them")
        )
    return problems


def _explain_extra_cells(table: str, header: list[str], cells: list[str]) -> tuple[str, str, str, str] | None:
    """If one surplus cell is a decimal comma or thousands separator in a numeric column, say so."""
    if len(cells) != len(header) + 1:
        return None
    types = {f["name"]: f["type"] for f in fields(table)}
    for i, name in enumerate(header):
        if types.get(name) not in _NUMERIC_TYPES:
            continue
        a, b = cells[i].strip(), cells[i + 1].strip()
        joined = f"{a},{b}"
        if re.fullmatch(r"[+-]?[0-9]{1,3}", a) and re.fullmatch(r"[0-9]{3}", b) and types[name] == "integer":
            return (name, joined, "thousands-separator", f"a thousands separator; write {a}{b} (digits only)")
        if re.fullmatch(r"[+-]?[0-9]+", a) and re.fullmatch(r"[0-9]+", b):
            return (name, joined, "decimal-comma", f"a decimal comma; write {a}.{b} with a decimal point")
    return None


def _row_length_problem(file: str, table: str, line: int, header: list[str], cells: list[str]) -> Problem:
    explained = _explain_extra_cells(table, header, cells)
    if explained:
        column, value, rule, hint = explained
        return Problem(
            file,
            line,
            column,
            value,
            rule,
            f"the row has {len(cells)} cells for {len(header)} columns: the comma in this number split it in two",
            hint,
        )
    delim = next((d for d in DELIMITERS if d != "," and len(cells) == 1 and cells[0].count(d) >= 2), None)
    if delim:
        return Problem(
            file,
            line,
            None,
            cells[0][:80],
            "delimiter",
            f"this row is separated by {DELIMITERS[delim]} ({delim!r}), not by commas",
            f"replace the {DELIMITERS[delim]} of this row by commas",
        )
    return Problem(
        file,
        line,
        None,
        ",".join(cells),
        "row-length",
        f"the row has {len(cells)} cells but the header has {len(header)} columns",
        "check for a missing or extra comma; put double quotes around a value that contains a comma",
    )


HEAD_BYTES = 1 << 16


def read_table(table: str, path: Path) -> tuple[RawTable, list[Problem]]:
    """Check a source file and its header; its rows are read later, as a stream, by `RawTable.rows(found)`."""
    file = _display(path)
    raw = RawTable(table, file)
    if not path.exists():
        return raw, [
            Problem(
                file, None, None, None, "missing-file", "the file does not exist", f"create it; {_header_hint(table)}"
            )
        ]
    if not path.is_file():
        return raw, [
            Problem(
                file,
                None,
                None,
                None,
                "not-a-file",
                "is not a file (a folder?)",
                f"replace it by the CSV file {path.name}",
            )
        ]
    try:
        with path.open("rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError as e:
        return raw, [
            Problem(
                file, None, None, None, "unreadable", f"cannot be read: {e.strerror}", "check the file's permissions"
            )
        ]
    if len(head) == HEAD_BYTES and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]  # whole lines only: no character cut in two
    text, problems = decode(head, file)
    if text is None:
        return raw, problems
    if not text.strip():
        return raw, [
            Problem(
                file,
                None,
                None,
                None,
                "empty-file",
                "the file is empty",
                f"restore it from git (git checkout -- {file}); {_header_hint(table)}",
            )
        ]
    expected = source_columns(table)
    before = text[: len(text) - len(text.lstrip("\r\n"))]
    header_line = before.count("\n") + before.replace("\r\n", "").count("\r") + 1
    first_line = text.lstrip("\r\n").splitlines()[0]
    if re.fullmatch(r"sep=.?", first_line.strip()):
        return raw, [
            Problem(
                file,
                header_line,
                None,
                first_line,
                "spreadsheet-sep-line",
                "starts with a spreadsheet's 'sep=' line instead of the header",
                "delete the first line; " + _header_hint(table),
            )
        ]
    delim = _guess_delimiter(first_line, expected)
    if delim != ",":
        return raw, [
            Problem(
                file,
                header_line,
                None,
                first_line[:80],
                "delimiter",
                f"the columns are separated by {DELIMITERS[delim]} ({delim!r}), not by commas",
                f"{SAVE_AS_CSV}; or replace the {DELIMITERS[delim]} by commas",
            )
        ]
    try:
        cells = next(csv.reader([first_line], strict=True))
    except csv.Error as e:
        return raw, [_quote_problem(file, header_line, False, str(e))]
    header = [unicodedata.normalize("NFC", c.strip()) for c in cells]
    problems = _check_header(file, table, header, header_line)
    if problems:
        return raw, problems
    raw.path, raw.header, raw.header_line = path, header, header_line
    return raw, []


def _quote_problem(file: str, line: int, spans_lines: bool, error: str) -> Problem:
    if spans_lines or "unexpected end of data" in error:
        return Problem(
            file,
            line,
            None,
            None,
            "quotes",
            "a value that starts with a double quote on this line is never closed "
            "(the following lines were read as part of it)",
            'add the closing " (inside a quoted value, write a quote as "")',
        )
    return Problem(
        file,
        line,
        None,
        None,
        "quotes",
        f"a double quote is misplaced ({error})",
        'put the whole value in double quotes and write each quote inside it as ""',
    )


def read_sources(folder: Path = SOURCES) -> tuple[dict[str, RawTable], list[Problem]]:
    """Every source file opened and its header checked; file-level problems of all of them."""
    tables, problems = {}, []
    for table in source_tables():
        raw, found = read_table(table, folder / f"{table}.csv")
        tables[table] = raw
        problems += found
    return tables, problems
