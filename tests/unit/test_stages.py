"""Each stage of the pipeline on its own, on tiny sources made here from real rows: three towns (Granville,
Oxelösund, Sherborne), their memberships and two meetings. read → load → derive → check → report."""

import csv
import io
from pathlib import Path

import pytest
from pyproj import Geod

from douzelage import report
from douzelage.check import rules
from douzelage.derive import derive
from douzelage.layout import SOURCES
from douzelage.load.model import Model, load
from douzelage.problems import Found
from douzelage.read.sources import read_sources, source_columns

TOWNS = ["granville", "oxelosund", "sherborne"]
MEETINGS = ["exchange-2023-granville-triangle", "study-visit-2018-oxelosund-music-school-sherborne"]
KEEP = {
    "towns": lambda r: r["id"] in TOWNS,
    "memberships": lambda r: r["town"] in TOWNS,
    "meetings": lambda r: r["id"] in MEETINGS,
    "meeting_towns": lambda r: r["meeting"] in MEETINGS and r["town"] in TOWNS,
    "projects": lambda r: False,
    "project_towns": lambda r: False,
    "claims": lambda r: (
        (r["table_name"], r["record"]) in {("towns", t) for t in TOWNS} | {("meetings", m) for m in MEETINGS}
    ),
    "sources": lambda r: True,
}


def write(folder: Path, table: str, rows: list[dict]) -> None:
    out = io.StringIO(newline="")
    w = csv.DictWriter(out, source_columns(table), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    (folder / f"{table}.csv").write_text(out.getvalue(), encoding="utf-8")


def real_rows(table: str) -> list[dict]:
    with (SOURCES / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if KEEP[table](r)]


@pytest.fixture
def tiny(tmp_path) -> Path:
    """sources/ cut down to three towns and two meetings (every source row kept: rows cite them)."""
    folder = tmp_path / "sources"
    folder.mkdir()
    for table in KEEP:
        write(folder, table, real_rows(table))
    return folder


@pytest.fixture
def loaded(tiny, tmp_path):
    raw, problems = read_sources(tiny)
    assert problems == []
    model = Model(tmp_path / "tiny.db")
    found = load(model, raw)
    yield model, found
    model.close()


def set_cell(folder: Path, table: str, key: str, column: str, value: str) -> int:
    """Change one cell of the tiny sources; returns the line of its row."""
    rows = list(csv.DictReader((folder / f"{table}.csv").open(encoding="utf-8", newline="")))
    i = next(i for i, r in enumerate(rows) if r["id"] == key)
    rows[i][column] = value
    write(folder, table, rows)
    return i + 2


# --- read --------------------------------------------------------------------------------------------


def test_read_gives_each_row_with_its_line_and_leaves_what_it_found_to_the_caller(tiny):
    raw, problems = read_sources(tiny)
    found = Found()
    rows = list(raw["towns"].rows(found))
    assert problems == [] and found == Found()
    assert [(line, cells[0]) for line, cells in rows] == [(2, "granville"), (3, "oxelosund"), (4, "sherborne")]
    assert raw["towns"].header == source_columns("towns")


def test_read_reports_a_misspelt_column_by_file_row_and_column(tiny):
    text = (tiny / "towns.csv").read_text(encoding="utf-8").replace("native_name", "native_nmae", 1)
    (tiny / "towns.csv").write_text(text, encoding="utf-8")
    _, problems = read_sources(tiny)
    assert [(Path(p.file).name, p.row, p.column, p.rule) for p in problems] == [
        ("towns.csv", 1, "native_nmae", "renamed-column")
    ]


# --- load --------------------------------------------------------------------------------------------


def test_load_casts_every_row_and_finds_nothing_wrong(loaded):
    model, found = loaded
    assert found == Found()
    assert [t["id"] for t in model.rows("towns")] == TOWNS
    assert model.rows("towns", "id = ?", ("oxelosund",))[0]["latitude"] == 58.66667


def test_load_returns_a_bad_cell_as_a_problem_with_file_row_column_and_rule(tiny, tmp_path):
    line = set_cell(tiny, "towns", "sherborne", "latitude", "50,94694")
    raw, _ = read_sources(tiny)
    model = Model(tmp_path / "bad.db")
    found = load(model, raw)
    model.close()
    assert [(Path(p.file).name, p.row, p.column, p.rule) for p in found.problems] == [
        ("towns.csv", line, "latitude", "decimal-comma")
    ]


# --- derive ------------------------------------------------------------------------------------------


def test_derive_fills_membership_summary_countries_and_distances(loaded):
    model, _ = loaded
    assert derive(model) == []
    towns = {t["id"]: t for t in model.rows("towns")}
    assert {(t["id"], t["status"], t["joined"]) for t in towns.values()} == {
        ("granville", "current", 1991),
        ("oxelosund", "current", 1998),
        ("sherborne", "current", 1991),
    }
    assert [c["code"] for c in model.rows("countries")] == ["FR", "GB", "SE"]
    distances = {(d["town_a"], d["town_b"]): d["km"] for d in model.rows("distances")}
    assert set(distances) == {("granville", "oxelosund"), ("granville", "sherborne"), ("oxelosund", "sherborne")}
    g, s = towns["granville"], towns["sherborne"]
    metres = Geod(ellps="WGS84").inv(g["longitude"], g["latitude"], s["longitude"], s["latitude"])[2]
    assert distances[("granville", "sherborne")] == pytest.approx(metres / 1000, abs=0.05)


# --- check -------------------------------------------------------------------------------------------


def test_check_finds_nothing_wrong_in_the_tiny_record(loaded):
    model, _ = loaded
    derive(model)
    assert rules.check(model) == []


def test_check_reports_a_host_that_was_not_yet_a_member(tiny, tmp_path):
    line = set_cell(tiny, "meetings", "exchange-2023-granville-triangle", "host", "oxelosund")
    set_cell(tiny, "memberships", "oxelosund-1998", "joined", "2024")
    raw, _ = read_sources(tiny)
    model = Model(tmp_path / "host.db")
    assert load(model, raw) == Found() and derive(model) == []
    problems = rules.check(model)
    model.close()
    assert [(Path(p.file).name, p.row, p.column, p.rule) for p in problems] == [
        ("meetings.csv", line, "host", "host-not-member")
    ]


# --- report ------------------------------------------------------------------------------------------


def test_report_is_made_from_the_checked_tables(loaded):
    model, _ = loaded
    derive(model)
    assert rules.check(model) == []
    coverage = report.compute(model.conn)
    assert [t["town"] for t in coverage["coverage_towns"]] == TOWNS
    years = coverage["coverage_years"]
    assert years[0]["year"] == report.FIRST_YEAR and years[-1]["year"] == 2023
    assert next(y for y in years if y["year"] == 2023)["meeting_ids"] == "exchange-2023-granville-triangle"
    report.insert(model.conn, coverage)
    assert len(model.rows("coverage_towns")) == 3
