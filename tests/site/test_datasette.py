"""The site: Datasette's own test client in process, and one real `datasette` process over HTTP."""

import httpx

from douzelage.layout import DATABASE_NAME


async def test_towns_json_lists_every_current_member(ds):
    r = await ds.client.get(f"/{DATABASE_NAME}/towns.json?status=current&_shape=array&_size=max")
    assert r.status_code == 200
    towns = r.json()
    assert len(towns) == 28 and len({t["country"] for t in towns}) == 28


async def test_table_page_shows_title_description_licence_and_source(ds):
    r = await ds.client.get(f"/{DATABASE_NAME}/towns")
    assert r.status_code == 200
    html = r.text
    assert "Member towns" in html and "CC-BY-4.0" in html and "Oxelösund" in html


async def test_column_descriptions_come_from_the_table_schema(ds, descriptor):
    towns = next(r for r in descriptor["resources"] if r["name"] == "towns")
    latitude = next(f for f in towns["schema"]["fields"] if f["name"] == "latitude")
    r = await ds.client.get("/-/metadata.json")
    described = r.json()["databases"][DATABASE_NAME]["tables"]["towns"]["columns"]["latitude"]
    assert described.startswith(latitude["description"]) and "degree" in described


async def test_canned_query_meetings_by_host(ds):
    r = await ds.client.get(f"/{DATABASE_NAME}/meetings_by_host.json?town=oxelosund&_shape=array")
    assert r.status_code == 200
    assert any(m["start_date"] == "2018-05-11" and m["participants"] == 170 for m in r.json())


async def test_canned_query_members_by_year_joined(ds):
    r = await ds.client.get(f"/{DATABASE_NAME}/members_by_year_joined.json?_shape=array")
    years = {row["year_joined"]: row for row in r.json()}
    assert "Oxelösund" in years[1998]["names"]
    assert years[1991]["towns"] >= 12


async def test_canned_query_nearest_towns(ds):
    r = await ds.client.get(f"/{DATABASE_NAME}/nearest_towns.json?town=granville&_shape=array")
    rows = r.json()
    assert rows[0]["town"] == "sherborne"  # across the Channel
    assert [row["km"] for row in rows] == sorted(row["km"] for row in rows)


async def test_full_text_search_finds_a_town_without_its_diacritics(ds):
    r = await ds.client.get(f"/{DATABASE_NAME}/towns.json?_search=Oxelosund&_shape=array")
    assert [t["id"] for t in r.json()] == ["oxelosund"]


async def test_downloads_are_served(ds, package):
    for path in ["datapackage.json", "data/towns.csv", "douzelage.geojson", "douzelage-datapackage.zip"]:
        r = await ds.client.get(f"/downloads/{path}")
        assert r.status_code == 200, path
        assert r.content == (package / path).read_bytes()


async def test_the_map_plugin_is_on_the_towns_page(ds):
    r = await ds.client.get(f"/{DATABASE_NAME}/towns")
    assert "datasette-cluster-map" in r.text


def test_a_real_datasette_process_serves_towns_over_http(site_url):
    r = httpx.get(f"{site_url}/{DATABASE_NAME}/towns.json?_shape=array&_size=max", timeout=10)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    assert "oxelosund" in {t["id"] for t in r.json()}
    db = httpx.get(f"{site_url}/{DATABASE_NAME}.db", timeout=10)
    assert db.status_code == 200 and db.content[:16] == b"SQLite format 3\x00"
    # immutable and read-only: a write is refused
    w = httpx.get(f"{site_url}/{DATABASE_NAME}.json", params={"sql": "delete from towns"}, timeout=10)
    assert w.status_code == 400
