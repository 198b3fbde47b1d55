"""The command line's contract: exit 0 valid, 1 invalid data, 2 wrong usage; a report people can act on
and JSON for tools; never a traceback for bad data."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_bad_input_files import CASES, FIXTURES, apply_fixture

DOUZELAGE = Path(sys.executable).parent / "douzelage"
PROBLEM_KEYS = {"file", "row", "column", "value", "rule", "message", "hint"}


def expected(fixture: str, changed: int | None) -> tuple:
    """(file, row, column, rule) of the problem test_bad_input_files.py says the fixture causes."""
    _, row, column, rule, *_ = next(c for c in CASES if c[0] == fixture)
    return (f"{fixture.split('/')[0]}.csv", changed if row == "@" else row, column, rule)


def run(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([str(DOUZELAGE), *args], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


def test_valid_sources_exit_0_with_an_empty_json_report(sources_copy):
    result = run("validate", "--sources", str(sources_copy), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"valid": True, "problems": [], "notices": []}


@pytest.mark.parametrize(
    "fixture",
    [
        "towns/windows-1252.csv",
        "towns/semicolons.csv",
        "towns/excel-workbook.csv",
        "towns/misspelt-column.csv",
        "towns/unclosed-quote.lines.csv",
        "meetings/date-day-month-ambiguous.cells.csv",
    ],
)
def test_bad_data_exits_1_with_every_field_of_the_problem_in_json(sources_copy, fixture):
    changed = apply_fixture(FIXTURES / fixture, sources_copy)
    result = run("validate", "--sources", str(sources_copy), "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False and report["problems"]
    for p in report["problems"]:
        assert set(p) == PROBLEM_KEYS and p["message"] and p["hint"], p
    where = [(Path(p["file"]).name, p["row"], p["column"], p["rule"]) for p in report["problems"]]
    assert where == [expected(fixture, changed)]


def test_the_text_report_says_where_what_and_how_to_fix_and_counts(sources_copy):
    meeting = apply_fixture(FIXTURES / "meetings/date-day-month-ambiguous.cells.csv", sources_copy)
    town = apply_fixture(FIXTURES / "towns/country-name.cells.csv", sources_copy)
    result = run("validate", "--sources", str(sources_copy))
    assert result.returncode == 1
    assert f"meetings.csv, row {meeting}, column 'start_date': " in result.stderr
    assert "(value '11/05/2018') [date-format]" in result.stderr
    assert (
        f"towns.csv, row {town}, column 'country': " in result.stderr and "(value 'Sweden') [pattern]" in result.stderr
    )
    assert "how to fix: write it as YYYY-MM-DD: 2018-05-11 (day first) or 2018-11-05 (month first)" in result.stderr
    assert "how to fix: write the ISO 3166-1 code: SE for Sweden" in result.stderr
    assert result.stderr.endswith("\n2 problem(s) in 2 file(s); nothing was written.\n")


def test_the_text_report_counts_problems_and_files(sources_copy):
    row = apply_fixture(FIXTURES / "memberships/founder-yes.cells.csv", sources_copy)
    assert apply_fixture(FIXTURES / "memberships/year-two-digits.cells.csv", sources_copy) == row  # one row
    result = run("validate", "--sources", str(sources_copy))
    assert result.returncode == 1
    assert result.stderr.count("how to fix:") == 2
    assert (
        f"memberships.csv, row {row}, column 'founder': " in result.stderr and "(value 'yes') [type]" in result.stderr
    )
    assert f"memberships.csv, row {row}, column 'joined': is not a year (value '98') [type]" in result.stderr
    assert result.stderr.endswith("2 problem(s) in 1 file(s); nothing was written.\n")


@pytest.mark.parametrize(
    "fixture", ["claims/value-impossible-date.append.csv", "claims/preferred-differs-from-table.cells.csv"]
)
def test_a_bad_claim_fails_the_build_and_nothing_is_published(sources_copy, tmp_path, fixture):
    out, metadata = tmp_path / "out", tmp_path / "metadata.json"
    assert run("build", "--sources", str(sources_copy), "--out", str(out), "--metadata", str(metadata)).returncode == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    changed = apply_fixture(FIXTURES / fixture, sources_copy)
    result = run("build", "--sources", str(sources_copy), "--out", str(out), "--metadata", str(metadata))
    assert result.returncode == 1
    file, row, column, rule = expected(fixture, changed)
    [said] = [line for line in result.stderr.splitlines() if not line.startswith(" ")][:-1]
    assert said.startswith(f"{sources_copy / file}, row {row}, column {column!r}: ") and said.endswith(f"[{rule}]")
    assert "how to fix:" in result.stderr and result.stderr.endswith(
        "1 problem(s) in 1 file(s); nothing was published.\n"
    )
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_normalised_value_is_noted_and_the_build_still_succeeds(sources_copy, tmp_path):
    changed = apply_fixture(FIXTURES / "towns/decomposed-unicode.cells.csv", sources_copy)
    result = run(
        "build",
        "--sources",
        str(sources_copy),
        "--out",
        str(tmp_path / "out"),
        "--metadata",
        str(tmp_path / "metadata.json"),
    )
    assert result.returncode == 0, result.stderr
    assert "note:" in result.stderr and "decomposed Unicode" in result.stderr and "[unicode-nfc]" in result.stderr
    assert "Kőszeg" in (tmp_path / "out" / "data" / "towns.csv").read_text(encoding="utf-8")
    report = json.loads(run("validate", "--sources", str(sources_copy), "--format", "json").stdout)
    assert report["valid"] is True and report["problems"] == []
    notices = [(Path(n["file"]).name, n["row"], n["column"], n["value"], n["rule"]) for n in report["notices"]]
    assert notices == [("towns.csv", changed, "native_name", "Kőszeg", "unicode-nfc")]


@pytest.mark.parametrize(
    "args, words",
    [
        (["validate", "--sources", "/nonexistent/sources"], "does not exist"),
        (["build", "--sources", "/nonexistent/sources"], "does not exist"),
        (["validate", "--sources", "{empty}"], "holds none of the source files"),
        (["build", "--out", "/nonexistent/parent/datapackage"], "does not exist"),
        (["build", "--metadata", "/nonexistent/parent/metadata.json"], "does not exist"),
        (["validate", "--format", "xml"], "'xml' is not one of"),
        (["lint", "--package", "{empty}"], "run `douzelage build` first"),
        (["frobnicate"], "No such command"),
    ],
)
def test_wrong_usage_exits_2_and_says_why(tmp_path, args, words):
    args = [a.replace("{empty}", str(tmp_path)) for a in args]
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert words in result.stderr


def test_lint_passes_on_a_fresh_build_and_fails_on_a_misspelt_key(built, tmp_path):
    package = tmp_path / "datapackage"
    shutil.copytree(built / "datapackage", package)
    meta = built / "metadata.json"
    assert run("lint", "--package", str(package), "--metadata", str(meta)).returncode == 0
    desc_path = package / "datapackage.json"
    desc = json.loads(desc_path.read_text(encoding="utf-8"))
    desc["licences"] = desc.pop("licenses")
    desc_path.write_text(json.dumps(desc), encoding="utf-8")
    result = run("lint", "--package", str(package), "--metadata", str(meta), "--format", "json")
    assert result.returncode == 1
    problems = json.loads(result.stdout)["problems"]
    assert [(p["file"], p["row"], p["column"], p["value"], p["rule"]) for p in problems] == [
        (str(desc_path), None, "(top level)", None, "schema-required"),  # licenses is required
        (str(desc_path), None, "(top level)", "licences", "unknown-key"),
    ]
    assert problems[1]["hint"] == "did you mean 'licenses'?"
