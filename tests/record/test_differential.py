"""Frictionless stays the reference for the Table Schema rules (issue 6).

The build checks cells in Python and keys in SQLite (model.py, rules.py), not through frictionless, for
speed. So every bad-input case in tests/bad_inputs/ also goes through `frictionless validate` of the same
source files, described by the same Table Schemas (the benchmark's descriptor, bench/run.py), and the two
must agree where the Table Schema decides:

- every row frictionless rejects, the build rejects too (in the same file, at the same row); and
- every row the build rejects for a Table Schema rule (type, required, enum, pattern, minimum, maximum,
  primary key, foreign key), frictionless rejects too.

Both are compared on the file the case breaks. (Frictionless then also reports, in the files that refer
to it, every reference to a row it rejected; the build says each bad row once, by design.) The build's
own rules (one member per country, members at meetings, positions inside their country...) go beyond
the Table Schema, so frictionless has nothing to say about them; the few places where the build
deliberately reads more (or less) than frictionless are listed in DIFFERENCES, each with its reason, so
a new disagreement fails here.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from frictionless import validate
from test_bad_input_files import FIXTURES, apply_fixture

from douzelage.layout import SOURCES
from douzelage.pipeline import compile_model
from douzelage.problems import DataError

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for bench/
from bench.run import naive_descriptor  # noqa: E402

HEADER = 1  # a problem the build reports on the header line concerns the whole file
SCHEMA_RULES = {"type", "required", "enum", "pattern", "minimum", "maximum", "primary-key", "foreign-key"}

# fixture -> why the two may disagree there (the build's report for each is checked in test_bad_input_files.py)
DIFFERENCES = {
    "towns/number-too-large.cells.csv": "SQLite stores integers in 64 bits: the build refuses a population "
    "of 10^20, which frictionless (Python integers) accepts",
    "towns/spaces-around-values.lines.csv": "the build trims spaces around a value and says so in a notice "
    "(spreadsheets add them); frictionless rejects such a number",
    # A claim's value is a string column to frictionless; the build casts it by the Table Schema of the
    # column the claim is about (table_name, field), which a Table Schema cannot express.
    "claims/value-impossible-date.append.csv": "the build reads the claim's value as a meetings.start_date, a "
    "date, so 2018-02-30 is refused; to frictionless it is a string",
    "claims/value-negative-count.append.csv": "the build reads the claim's value as meetings.participants, a "
    "count of at least 0; to frictionless it is a string",
}

# a listed difference that goes away fails too (strict): then its entry should go
CASES = [
    pytest.param(case, marks=pytest.mark.xfail(reason=DIFFERENCES[case], strict=True)) if case in DIFFERENCES else case
    for case in sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*.csv"))
]


def frictionless_rows(folder: Path) -> set[tuple[str, int | None]]:
    """(file name, row) of every error frictionless reports; row None for the file or its header."""
    report = validate(str(naive_descriptor(folder)))
    found = set()
    for task in report.tasks:
        file = Path(task.place).name if task.place else None
        for error in task.errors:
            found.add((file, getattr(error, "row_number", None)))
    if report.errors:  # the package itself (e.g. a file it cannot open)
        found.add((None, None))
    return found


def build_rows(folder: Path) -> tuple[set, set]:
    """(file name, row) of every problem the build reports, and of those that break a Table Schema rule."""
    try:
        compile_model(folder).model.close()
        return set(), set()
    except DataError as e:
        problems = e.problems
    every = {(Path(p.file).name, p.row) for p in problems}
    return every, {(Path(p.file).name, p.row) for p in problems if p.rule in SCHEMA_RULES}


@pytest.mark.parametrize("case", CASES)
def test_frictionless_and_the_build_agree_on_the_table_schema_rules(case, tmp_path):
    folder = tmp_path / "sources"
    shutil.copytree(SOURCES, folder)
    apply_fixture(FIXTURES / case, folder)
    file = f"{Path(case).parent.name}.csv"  # the file the case breaks
    reference = {row for f, row in frictionless_rows(folder) if f == file}
    every, schema_rows = build_rows(folder)
    ours = {None if row == HEADER else row for f, row in every if f == file}
    for row in reference:  # what frictionless rejects, the build rejects
        assert row is None or row in ours or None in ours, (row, sorted(ours, key=str))
    for f, row in schema_rows:  # what the build calls a schema error, frictionless does too
        if f == file:
            assert row in reference or None in reference, (row, sorted(reference, key=str))
