"""The record itself, on the real data: every member since 1991 with its period, every doubt kept."""

import csv
import io
from collections import defaultdict
from pathlib import Path

from douzelage.layout import DATABASE_NAME


def rows(package: Path, table: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO((package / "data" / f"{table}.csv").read_text(encoding="utf-8"))))


def test_every_town_has_a_membership_period_or_an_honest_range(package):
    memberships = rows(package, "memberships")
    towns = {t["id"] for t in rows(package, "towns")}
    assert {m["town"] for m in memberships} == towns
    for m in memberships:
        if not m["joined"]:
            assert m["joined_earliest"] and m["joined_latest"], f"{m['id']}: no year and no closed range"
            assert int(m["joined_earliest"]) >= 1991 and m["note"], m["id"]
            assert m["founder"] == "false", m["id"]


def test_the_twelve_founders_signed_in_1991(package):
    founders = [m for m in rows(package, "memberships") if m["founder"] == "true"]
    assert len(founders) == 12 and {m["joined"] for m in founders} == {"1991"}


def test_thirty_towns_have_been_members_and_two_were_replaced(package):
    """12 founders, 3 later, 5 in 2004, 8 since 2007, and two countries that changed their town."""
    towns = rows(package, "towns")
    assert len(towns) == 30
    former = {t["id"]: t for t in towns if t["status"] == "former"}
    assert set(former) == {"karkkila", "prienai"}
    assert all(former[t]["left"] for t in former)


def test_within_a_country_a_successor_joins_no_earlier_than_its_predecessor_left(package):
    country = {t["id"]: t["country"] for t in rows(package, "towns")}
    periods = defaultdict(list)
    for m in rows(package, "memberships"):
        start = int(m["joined"] or m["joined_latest"])
        periods[country[m["town"]]].append((start, int(m["left"]) if m["left"] else None, m["town"]))
    for code, ps in periods.items():
        ps.sort(key=lambda p: (p[1] is None, p[0]))
        for (_, left, town), (start, _, successor) in zip(ps, ps[1:]):
            assert left is not None and left <= start, (code, town, successor)


def test_every_meeting_with_a_number_is_a_general_or_youth_meeting_and_numbers_are_unique(package):
    general = [m for m in rows(package, "meetings") if m["kind"] == "general meeting" and m["number"]]
    numbers = [int(m["number"]) for m in general]
    assert len(numbers) == len(set(numbers))
    by_number = {int(m["number"]): m for m in general}
    assert by_number[32]["host"] == "turi" and by_number[40]["host"] == "siret"


def test_year_is_given_only_for_meetings_without_a_start_date(package):
    for m in rows(package, "meetings"):
        assert not (m["year"] and m["start_date"]), m["id"]


def test_a_preferred_claim_agrees_with_the_main_table(package):
    tables = {
        name: {r["id"]: r for r in rows(package, name)} for name in ("towns", "memberships", "meetings", "projects")
    }
    for c in rows(package, "claims"):
        if c["preferred"] != "true":
            continue
        row = tables[c["table_name"]][c["record"]]
        used = f"{row['latitude']},{row['longitude']}" if c["field"] == "position" else row[c["field"]]
        assert used == c["value"], (c["table_name"], c["record"], c["field"], c["value"], used)


def test_a_disputed_fact_has_at_most_one_preferred_value(package):
    preferred = defaultdict(set)
    for c in rows(package, "claims"):
        if c["preferred"] == "true":
            preferred[(c["table_name"], c["record"], c["field"])].add(c["value"])
    assert all(len(v) == 1 for v in preferred.values()), {k: v for k, v in preferred.items() if len(v) > 1}


def _disputed(package) -> set[tuple]:
    values = defaultdict(set)
    for c in rows(package, "claims"):
        values[(c["table_name"], c["record"], c["field"])].add(c["value"])
    return {k for k, v in values.items() if len(v) > 1}


async def test_one_canned_query_lists_every_disputed_fact_with_its_sources(ds, package):
    r = await ds.client.get(f"/{DATABASE_NAME}/disputed_facts.json?_shape=array&_size=max")
    assert r.status_code == 200
    listed = r.json()
    expected = _disputed(package)
    assert {(x["table_name"], x["record"], x["field"]) for x in listed} == expected
    claims = rows(package, "claims")
    in_dispute = [c for c in claims if (c["table_name"], c["record"], c["field"]) in expected]
    # every claim on a disputed fact, each once, with what it says and who says it (not only as many rows)
    said = ["table_name", "record", "field", "value", "source", "note"]
    assert sorted(tuple(str(x[k] or "") for k in said) for x in listed) == sorted(
        tuple(c[k] for k in said) for c in in_dispute
    )
    assert sorted((x["source"], x["preferred"]) for x in listed) == sorted(
        (c["source"], int(c["preferred"] == "true")) for c in in_dispute
    )
    sources = {s["id"]: s for s in rows(package, "sources")}
    assert all(
        (x["source_title"], x["source_url"]) == (sources[x["source"]]["title"], sources[x["source"]]["url"])
        for x in listed
    )
    assert all(x["source_url"].startswith("http") and x["source_title"] for x in listed)
    assert ("towns", "zvolen", "position") in expected and (
        "meetings",
        "general-meeting-2009-altea",
        "number",
    ) in expected


# --- corrections found by checking the cited pages (issue 11) ------------------------------------------


def _claims(package: Path, table: str, record: str, field: str) -> dict[tuple[str, str], str]:
    return {
        (c["source"], c["value"]): c["preferred"]
        for c in rows(package, "claims")
        if (c["table_name"], c["record"], c["field"]) == (table, record, field)
    }


def test_houffalize_2002_counts_the_18_towns_its_minutes_list_as_present(package):
    [meeting] = [m for m in rows(package, "meetings") if m["id"] == "general-meeting-2002-houffalize"]
    present = [t for t in rows(package, "meeting_towns") if t["meeting"] == meeting["id"]]
    assert meeting["towns_represented"] == "18" == str(len(present))
    assert {t["source"] for t in present} == {meeting["source"]}


def test_judenburg_joined_in_1999_as_the_town_says_with_the_memo_of_2000_kept_as_a_claim(package):
    [m] = [m for m in rows(package, "memberships") if m["town"] == "judenburg"]
    assert (m["joined"], m["source"]) == ("1999", "judenburg-at-europaplakette-2009")
    assert _claims(package, "memberships", m["id"], "joined") == {
        ("judenburg-at-europaplakette-2009", "1999"): "true",
        ("judenburg-at-staedtepartnerschaften-2009", "1999"): "false",
        ("coe-pace-europe-prize-2006", "2000"): "false",
    }
    assert "second-hand" in m["note"] and "town's own" in m["note"]  # the note says which and why
    [town] = [t for t in rows(package, "towns") if t["id"] == "judenburg"]
    assert town["joined"] == "1999"


def test_sherborne_2014_keeps_the_announced_dates_as_claims_and_no_held_dates(package):
    [m] = [m for m in rows(package, "meetings") if m["id"] == "music-festival-2014-sherborne"]
    assert (m["start_date"], m["end_date"], m["year"], m["status"]) == ("", "", "2014", "held")
    for field, value in [("start_date", "2014-07-13"), ("end_date", "2014-07-20")]:
        assert _claims(package, "meetings", m["id"], field) == {
            ("sherborne-douzelage-newsletter-2013-09", value): "false"
        }


def test_the_president_elected_in_2024_is_named_as_he_writes_his_name(package):
    [m] = [m for m in rows(package, "meetings") if m["id"] == "general-meeting-2024-sherborne"]
    assert "Shane Smyth" in m["description"] and "Smith" not in m["description"]
    sources = {s["id"]: s for s in rows(package, "sources")}
    assert "Shane Smyth" in sources["shanesmyth-com-douzelage"]["title"]
    assert "shanesmyth-com-douzelage" in m["note"]


def test_oxelosund_2018_cites_the_180_in_the_workshops_from_the_english_text_of_the_page(package):
    assert _claims(package, "meetings", "general-meeting-2018-oxelosund", "workshop_participants") == {
        ("oxelosund-se-douzelage-2018-en", "180"): "false",
        ("oxelosund-se-douzelage-2018-sv", "182"): "true",
    }
    sources = {s["id"]: s for s in rows(package, "sources")}
    [m] = [m for m in rows(package, "meetings") if m["id"] == "general-meeting-2018-oxelosund"]
    english = [c for c in rows(package, "claims") if c["source"] == "oxelosund-se-douzelage-2018-en"]
    for text in [sources["oxelosund-se-douzelage-2018-en"]["note"], m["note"], *(c["note"] for c in english)]:
        assert not any(w in text for w in ("could not", "NOT visible", "unverified", "could read", "reported to")), text
    assert sources["oxelosund-se-douzelage-2018-en"]["url"] == sources["oxelosund-se-douzelage-2018-sv"]["url"]


def test_where_two_sources_give_the_same_value_one_claim_is_preferred(package):
    preferred = defaultdict(int)
    for c in rows(package, "claims"):
        preferred[(c["table_name"], c["record"], c["field"])] += c["preferred"] == "true"
    assert max(preferred.values()) == 1
