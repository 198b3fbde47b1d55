"""The build on the real sources: what it publishes, and that it publishes the same bytes every time."""

import csv
import hashlib
import io
from pathlib import Path

import pycountry

from douzelage.layout import SOURCES
from douzelage.publish import build

EU_MEMBER_STATES = {
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
}


def rows(package: Path, table: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO((package / "data" / f"{table}.csv").read_text(encoding="utf-8"))))


def test_every_eu_member_state_and_the_uk_has_exactly_one_current_member_town(package):
    current = [t for t in rows(package, "towns") if t["status"] == "current"]
    countries = sorted(t["country"] for t in current)
    assert set(countries) == EU_MEMBER_STATES | {"GB"}
    assert len(countries) == len(set(countries)) == 28
    assert any(t["name"] == "Sherborne" and t["country"] == "GB" for t in current)


def test_every_current_member_has_a_wgs84_position_with_its_source(package):
    for t in rows(package, "towns"):
        if t["status"] == "current":
            assert -90 <= float(t["latitude"]) <= 90 and -180 <= float(t["longitude"]) <= 180, t["id"]
            assert t["position_source"], t["id"]


def test_country_codes_are_real_iso_3166_codes(package):
    for c in rows(package, "countries"):
        assert pycountry.countries.get(alpha_2=c["code"]).name == c["name"]


def test_every_row_of_every_table_cites_a_known_source(package, descriptor):
    known = {s["id"] for s in rows(package, "sources")}
    for resource in descriptor["resources"]:
        if resource["name"] in ("sources", "map"):
            continue
        for r in rows(package, resource["name"]):
            assert r["source"] in known, (resource["name"], r)


def test_oxelosund_2018_meeting_keeps_each_figure_with_the_text_that_states_it(package):
    meeting = next(
        m
        for m in rows(package, "meetings")
        if m["host"] == "oxelosund" and m["start_date"] == "2018-05-11" and m["kind"] == "general meeting"
    )
    assert meeting["end_date"] == "2018-05-12"
    assert "integration" in meeting["theme"].lower()
    assert meeting["funding"] == "Europe for Citizens"
    assert "report" in meeting["description"].lower()
    sources = {s["id"]: s for s in rows(package, "sources")}
    claims = [c for c in rows(package, "claims") if c["record"] == meeting["id"]]
    said = {(c["field"], c["value"], sources[c["source"]]["language"]) for c in claims}
    assert ("participants", "170", "sv") in said
    assert ("towns_represented", "27", "sv") in said
    assert ("workshop_participants", "182", "sv") in said
    assert ("workshop_participants", "180", "en") in said
    # the main table uses one figure and says which claim it is
    preferred = [c for c in claims if c["field"] == "workshop_participants" and c["preferred"] == "true"]
    assert [c["value"] for c in preferred] == [meeting["workshop_participants"]]


def test_oxelosund_joined_in_1998(package):
    joined = [m["joined"] for m in rows(package, "memberships") if m["town"] == "oxelosund"]
    assert joined == ["1998"]


def test_distances_cover_every_pair_of_placed_member_towns(package):
    placed = [t for t in rows(package, "towns") if t["latitude"]]
    n = len(placed)
    d = rows(package, "distances")
    assert len(d) == n * (n - 1) // 2
    granville_sherborne = next(r for r in d if {r["town_a"], r["town_b"]} == {"granville", "sherborne"})
    assert 150 < float(granville_sherborne["km"]) < 250  # across the Channel


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_two_builds_from_the_same_sources_are_byte_identical(tmp_path):
    build(SOURCES, tmp_path / "a" / "datapackage", tmp_path / "a" / "metadata.json")
    build(SOURCES, tmp_path / "b" / "datapackage", tmp_path / "b" / "metadata.json")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")


def test_committed_package_and_metadata_are_what_the_sources_compile_to(package, built):
    """datapackage/ and metadata.json are generated and committed: they must be current."""
    root = Path(__file__).resolve().parents[2]
    generated = [
        "datapackage.json",
        "douzelage.geojson",
        "README.md",
        *[f"{d}/{p.name}" for d in ("data", "dcat", "meta") for p in (package / d).iterdir()],
    ]
    for name in generated:
        assert (root / "datapackage" / name).read_bytes() == (package / name).read_bytes(), (
            f"datapackage/{name} is stale: run `make build` and commit"
        )
    assert (root / "metadata.json").read_bytes() == (built / "metadata.json").read_bytes(), (
        "metadata.json is stale: run `make build` and commit"
    )


def test_a_file_read_by_a_second_process_builds_the_same_bytes(tmp_path, monkeypatch):
    """Large files are read and cast in a forked process (model.PARALLEL_BYTES): same result."""
    from douzelage.load import model

    build(SOURCES, tmp_path / "a" / "datapackage", tmp_path / "a" / "metadata.json")
    monkeypatch.setattr(model, "PARALLEL_BYTES", 0)
    build(SOURCES, tmp_path / "b" / "datapackage", tmp_path / "b" / "metadata.json")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")


def test_bad_rows_read_by_a_second_process_are_reported_the_same(sources_copy, monkeypatch):
    import pytest

    from douzelage.load import model
    from douzelage.pipeline import compile_model
    from douzelage.problems import DataError

    towns = sources_copy / "towns.csv"
    towns.write_text(towns.read_text(encoding="utf-8").replace("58.66667", "200", 1), encoding="utf-8")
    with pytest.raises(DataError) as here:
        compile_model(sources_copy)
    monkeypatch.setattr(model, "PARALLEL_BYTES", 0)
    with pytest.raises(DataError) as there:
        compile_model(sources_copy)
    assert here.value.problems == there.value.problems
    row = next(i for i, line in enumerate(towns.read_text(encoding="utf-8").split("\n"), 1) if ",200," in line)
    assert [(p.file.rsplit("/", 1)[-1], p.row, p.column, p.value, p.rule) for p in here.value.problems] == [
        ("towns.csv", row, "latitude", "200", "maximum")
    ]
