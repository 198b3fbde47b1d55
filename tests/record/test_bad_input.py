"""Bad input is refused with file, row and column, a non-zero exit, and nothing published is touched."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from douzelage.problems import DataError
from douzelage.publish import build

DOUZELAGE = Path(sys.executable).parent / "douzelage"


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_a_bad_latitude_names_file_row_and_column(sources_copy, tmp_path):
    towns = sources_copy / "towns.csv"
    row = line_of(towns, "oxelosund,")
    text = towns.read_text(encoding="utf-8").splitlines()
    cells = text[row - 1].split(",")
    header = text[0].split(",")
    cells[header.index("latitude")] = "58,6704"  # a spreadsheet's decimal comma, unquoted: shifts cells
    text[row - 1] = ",".join(cells)
    towns.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        build(sources_copy, tmp_path / "out", tmp_path / "metadata.json")
    assert [(Path(p.file).name, p.row, p.column, p.value, p.rule) for p in e.value.problems] == [
        ("towns.csv", row, "latitude", "58,6704", "decimal-comma")
    ], "the one cell, and no echo of the refused row in the files that refer to oxelosund"
    assert not (tmp_path / "out").exists()


def test_cli_reports_file_row_column_and_hint_and_exits_1(sources_copy, tmp_path):
    towns = sources_copy / "towns.csv"
    row = line_of(towns, "oxelosund,")
    replace_in(towns, "58.66667", "200")
    result = subprocess.run(
        [str(DOUZELAGE), "validate", "--sources", str(sources_copy)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert f"towns.csv, row {row}, column 'latitude'" in result.stderr
    assert "column 'latitude': is above the maximum 90 (value '200') [maximum]" in result.stderr
    assert "how to fix" in result.stderr
    assert "Traceback" not in result.stderr
    assert "1 problem(s)" in result.stderr, "one problem, and no echo of it in other tables"


def test_swapped_latitude_and_longitude_are_reported_as_swapped(sources_copy):
    towns = sources_copy / "towns.csv"
    row = line_of(towns, "oxelosund,")
    replace_in(towns, "58.66667,17.11667", "17.11667,58.66667")
    result = subprocess.run(
        [str(DOUZELAGE), "validate", "--sources", str(sources_copy)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert f"towns.csv, row {row}, column 'latitude'" in result.stderr and "[swapped]" in result.stderr
    assert "latitude 58.66667, longitude 17.11667" in result.stderr
    assert result.stderr.endswith("1 problem(s) in 1 file(s); nothing was written.\n")


def test_cli_json_report_lists_every_problem(sources_copy):
    replace_in(sources_copy / "towns.csv", "58.66667", "91.5")
    replace_in(sources_copy / "memberships.csv", "oxelosund,1998", "oxelosund,19x8")
    town, membership = (
        line_of(sources_copy / "towns.csv", "oxelosund,"),
        line_of(sources_copy / "memberships.csv", "oxelosund-"),
    )
    result = subprocess.run(
        [str(DOUZELAGE), "validate", "--sources", str(sources_copy), "--format", "json"], capture_output=True, text=True
    )
    assert result.returncode == 1
    problems = json.loads(result.stdout)["problems"]
    assert [(Path(p["file"]).name, p["row"], p["column"], p["value"], p["rule"]) for p in problems] == [
        ("memberships.csv", membership, "joined", "19x8", "type"),
        ("towns.csv", town, "latitude", "91.5", "maximum"),
    ]


def test_a_failed_build_leaves_the_published_package_byte_for_byte(sources_copy, tmp_path):
    out, meta = tmp_path / "datapackage", tmp_path / "metadata.json"
    build(sources_copy, out, meta)
    before = {p: hashlib.sha256(p.read_bytes()).digest() for p in [*out.rglob("*"), meta] if p.is_file()}
    replace_in(sources_copy / "meetings.csv", ",oxelosund,2018-05-11", ",atlantis,2018-05-11")
    row = line_of(sources_copy / "meetings.csv", ",atlantis,2018-05-11")
    result = subprocess.run(
        [str(DOUZELAGE), "build", "--sources", str(sources_copy), "--out", str(out), "--metadata", str(meta)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert (
        f"meetings.csv, row {row}, column 'host': matches no id in the towns table (value 'atlantis') [foreign-key]"
        in result.stderr
    )
    assert result.stderr.endswith("1 problem(s) in 1 file(s); nothing was published.\n")
    after = {p: hashlib.sha256(p.read_bytes()).digest() for p in [*out.rglob("*"), meta] if p.is_file()}
    assert after == before


def test_wrong_usage_exits_2():
    result = subprocess.run([str(DOUZELAGE), "build", "--no-such-option"], capture_output=True, text=True)
    assert result.returncode == 2
