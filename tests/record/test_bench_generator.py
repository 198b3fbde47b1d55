"""The benchmark's synthetic sources (bench/generate.py): deterministic, valid, and true to the Douzelage rules.

Nothing here measures time; the benchmark itself (`make bench`) is not a test.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from douzelage.read.sources import source_columns, source_tables

ROOT = Path(__file__).resolve().parents[2]
DOUZELAGE = Path(sys.executable).parent / "douzelage"


def generate(towns: int, out: Path, seed: int | None = None) -> Path:
    cmd = [sys.executable, str(ROOT / "bench" / "generate.py"), "--towns", str(towns), "--out", str(out)]
    subprocess.run(cmd + (["--seed", str(seed)] if seed is not None else []), check=True, capture_output=True)
    return out


def read(folder: Path, table: str) -> list[dict]:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return generate(30, tmp_path_factory.mktemp("bench") / "30")


@pytest.fixture(scope="module")
def thousand(tmp_path_factory) -> Path:
    return generate(1000, tmp_path_factory.mktemp("bench") / "1000")


def test_the_same_seed_gives_byte_identical_files_and_another_seed_does_not(small, tmp_path):
    again = generate(30, tmp_path / "again")
    other = generate(30, tmp_path / "other", seed=7)
    for table in source_tables():
        assert (small / f"{table}.csv").read_bytes() == (again / f"{table}.csv").read_bytes(), table
    assert (small / "towns.csv").read_bytes() != (other / "towns.csv").read_bytes()


def test_thirty_towns_pass_douzelage_validate_with_the_source_headers(small):
    result = subprocess.run([str(DOUZELAGE), "validate", "--sources", str(small)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    for table in source_tables():
        with open(small / f"{table}.csv", encoding="utf-8") as f:
            assert f.readline().rstrip("\n").split(",") == source_columns(table)
    assert len(read(small, "towns")) == 30


def test_names_come_in_latin_greek_and_cyrillic_scripts(thousand):
    native = " ".join(t["native_name"] for t in read(thousand, "towns"))
    assert any("\u0370" <= c <= "\u03ff" for c in native), "no Greek name"
    assert any("\u0400" <= c <= "\u04ff" for c in native), "no Cyrillic name"
    assert any(c in native for c in "äöüéèçñšžłőă"), "no Latin name with diacritics"


def test_at_most_one_member_town_per_country_in_any_year(thousand):
    country = {t["id"]: t["country"] for t in read(thousand, "towns")}
    periods = defaultdict(list)
    for m in read(thousand, "memberships"):
        joined = int(m["joined"] or m["joined_earliest"])
        periods[country[m["town"]]].append((joined, int(m["left"] or 9999)))
    for code, spans in periods.items():
        spans.sort()
        for (_, left), (joined, _) in zip(spans, spans[1:]):
            assert left < joined, f"{code}: two members at once {spans}"


def test_hosts_and_attendees_were_members_in_the_year_of_the_meeting(thousand):
    spans = defaultdict(list)
    for m in read(thousand, "memberships"):
        spans[m["town"]].append((int(m["joined"] or m["joined_latest"]), int(m["left"] or 9999)))
    member = lambda town, year: any(a <= year <= b for a, b in spans.get(town, []))  # noqa: E731
    year = {}
    for meeting in read(thousand, "meetings"):
        year[meeting["id"]] = int(meeting["start_date"][:4])
        assert member(meeting["host"], year[meeting["id"]]), meeting["id"]
    attendance = read(thousand, "meeting_towns")
    assert attendance
    for row in attendance:
        assert member(row["town"], year[row["meeting"]]), row
