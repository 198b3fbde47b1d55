"""The coverage report: compiled from the database, published as tables and as the /coverage page."""

import csv
import io
import re
import sqlite3
from pathlib import Path

from douzelage.descriptor import REPORT_TABLES
from douzelage.layout import DATABASE_NAME
from douzelage.report import compute, ranges


def rows(package: Path, table: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO((package / "data" / f"{table}.csv").read_text(encoding="utf-8"))))


def numbers_in(text: str) -> set[int]:
    out = set()
    for part in filter(None, (text or "").split(", ")):
        lo, _, hi = part.partition("-")
        out |= set(range(int(lo), int(hi or lo) + 1))
    return out


def expected_gaps(package) -> set[int]:
    """Computed here from meetings.csv, independently of scripts/douzelage/report.py."""
    numbers = {int(m["number"]) for m in rows(package, "meetings") if m["kind"] == "general meeting" and m["number"]}
    return set(range(1, max(numbers) + 1)) - numbers


def test_ranges_are_written_compactly():
    assert ranges([9, 2, 3, 4, 7, 10]) == "2-4, 7, 9-10"
    assert ranges([]) == ""


def test_the_report_has_a_row_for_every_year_from_the_charter_to_the_latest_meeting(package):
    years = [int(r["year"]) for r in rows(package, "coverage_years")]
    latest = max(
        int((m["start_date"] or m["year"])[:4]) for m in rows(package, "meetings") if m["start_date"] or m["year"]
    )
    assert years == list(range(1991, latest + 1))


def test_the_report_lists_every_gap_in_the_general_meeting_numbering(package):
    listed = set().union(*(numbers_in(r["numbers_missing"]) for r in rows(package, "coverage_years")))
    gaps = expected_gaps(package)
    assert listed == gaps
    assert {2, 33, 36} <= gaps and not {32, 40, 47, 48} & gaps


def test_a_missing_number_sits_in_the_years_between_its_numbered_neighbours(package):
    by_year = {int(r["year"]): numbers_in(r["numbers_missing"]) for r in rows(package, "coverage_years")}
    assert 33 in by_year[2008] and 33 in by_year[2009] and 33 not in by_year[2010]  # 32nd 2008, 34th 2009
    assert 36 in by_year[2012] and 36 not in by_year[2015]  # 34th 2009, 39th 2014


def test_a_numbered_meeting_without_a_year_is_shown_where_its_number_puts_it(package):
    by_year = {int(r["year"]): r for r in rows(package, "coverage_years")}
    assert (
        "3 Bellagio" in by_year[1992]["numbers_undated"] and not by_year[2018]["numbers_undated"]
    )  # 1st 1991, 10th 1996
    assert "49 Preveza" in by_year[2024]["numbers_undated"]  # after the 48th, 2024


def test_missing_figures_are_listed_per_meeting(package):
    by_year = {int(r["year"]): r for r in rows(package, "coverage_years")}
    assert "general-meeting-2010-susice: dates, participants, towns represented" in by_year[2010]["missing_figures"]
    assert by_year[2017]["missing_figures_count"] == "0"  # Bad Kötzting: dates, 160 people, 27 towns


def test_years_without_a_general_meeting_are_flagged(package):
    flags = {int(r["year"]): r["general_meeting_known"] for r in rows(package, "coverage_years")}
    assert flags[2008] == "true" and flags[2013] == "false"


def test_the_town_report_names_each_blank_field(package):
    towns = {t["id"]: t for t in rows(package, "towns")}
    report = {r["town"]: r for r in rows(package, "coverage_towns")}
    assert set(report) == set(towns)
    for town_id, t in towns.items():
        missing = report[town_id]["missing"].split(", ") if report[town_id]["missing"] else []
        for field in ("website", "wikidata", "geonames", "population"):
            assert (field in missing) == (t[field] == ""), (town_id, field)
        assert len(missing) == int(report[town_id]["missing_count"])
    assert "joined" in report["siret"]["missing"] and "2008-2014" in report["siret"]["membership"]
    assert "joined" not in (report["oxelosund"]["missing"] or "")


def test_the_report_is_in_the_package_and_the_database(package, descriptor, db_path):
    names = [r["name"] for r in descriptor["resources"]]
    assert all(name in names for name in REPORT_TABLES)
    with sqlite3.connect(db_path) as conn:
        for name in REPORT_TABLES:
            n = conn.execute(f"select count(*) from {name}").fetchone()[0]
            assert n == len(rows(package, name)) > 0


def test_the_report_is_computed_from_the_database_alone(db_path, package):
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        tables = compute(conn)
    assert [r["year"] for r in tables["coverage_years"]] == [int(r["year"]) for r in rows(package, "coverage_years")]


async def test_the_coverage_page_shows_the_numbering_gaps_and_both_tables(ds, package):
    r = await ds.client.get("/coverage")
    assert r.status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", " ", r.text).split())
    assert "Numbers missing from the sequence: " + ranges(sorted(expected_gaps(package))) in text
    assert "Zvolen" in text and "2024" in text
    assert f'href="/{DATABASE_NAME}/coverage_years"' in r.text and f'href="/{DATABASE_NAME}/disputed_facts"' in r.text


def test_a_real_datasette_process_serves_the_coverage_page(site_url):
    """The page needs the datasette-template-sql plugin, found by a real `datasette serve` as installed."""
    import httpx

    r = httpx.get(f"{site_url}/coverage", timeout=10)
    assert r.status_code == 200 and "Numbers missing from the sequence" in r.text
    plugins = httpx.get(f"{site_url}/-/plugins.json", timeout=10).json()
    assert "datasette-template-sql" in {p["name"] for p in plugins}


async def test_the_coverage_page_says_none_known_not_none_held_for_years_without_a_known_general_meeting(ds, package):
    """General Meetings were held in most such years; the record just does not know them."""
    html = (await ds.client.get("/coverage")).text
    unknown = [r["year"] for r in rows(package, "coverage_years") if r["general_meeting_known"] == "false"]
    assert unknown and "none held" not in html
    cells = re.findall(r"<tr class=\"no-general-meeting\">\s*<td>(\d{4})</td>.*?</td>\s*<td>([^<]*)</td>", html, re.S)
    assert [year for year, _ in cells] == unknown
    assert {said for _, said in cells} == {"none known"}
