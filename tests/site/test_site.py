"""The site's own pages and outputs, through Datasette's test client in process: landing page, town pages,
search, downloads, canned queries, facets, GeoJSON and Atom output. Facts are checked against the SQLite
file read directly, files against hashlib; the browser and real-HTTP checks are in tests/e2e/."""

import hashlib
import importlib.util
import json
import re
import sqlite3

import feedparser
import geojson
import pytest

from douzelage.layout import DATABASE_NAME, SITE

DB = DATABASE_NAME


@pytest.fixture(scope="module")
def sql(db_path):
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    yield lambda query, *params: conn.execute(query, params).fetchall()
    conn.close()


@pytest.fixture(scope="module")
def metadata(built) -> dict:
    return json.loads((built / "metadata.json").read_text(encoding="utf-8"))


def plugin(name: str):
    spec = importlib.util.spec_from_file_location(name, SITE / "plugins" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the landing page -------------------------------------------------------------------------------


async def test_landing_page_states_the_key_numbers_from_the_database(ds, sql):
    html = (await ds.client.get("/")).text
    current = sql("select count(*) from towns where status = 'current'")[0][0]
    meetings = sql("select count(*) from meetings")[0][0]
    projects = sql("select count(*) from projects")[0][0]
    for number, label in [(current, "member towns"), (meetings, "meetings"), (projects, "joint projects")]:
        assert re.search(rf"<strong>{number}</strong> {label}", html), label


async def test_landing_map_data_has_every_town_with_a_position_and_its_status(ds, sql):
    html = (await ds.client.get("/")).text
    raw = re.search(r'data-towns="([^"]*)"', html).group(1)
    import html as html_lib

    towns = json.loads(html_lib.unescape(raw))
    expected = {r["id"]: r["status"] for r in sql("select id, status from towns where latitude is not null")}
    assert {t["id"]: t["status"] for t in towns} == expected
    assert {"current", "former"} <= set(expected.values())


async def test_landing_page_links_every_town_page_and_every_way_in(ds, sql):
    html = (await ds.client.get("/")).text
    for (town_id,) in sql("select id from towns"):
        assert f'href="/town/{town_id}"' in html
    for href in [
        "/search",
        "/downloads",
        f"/{DB}/towns",
        f"/{DB}/meetings",
        f"/{DB}/projects",
        "/catalogue",
        "/downloads/README.md",
        f"/{DB}/meetings_feed.atom",
    ]:
        assert f'href="{href}' in html, href


async def test_landing_page_timeline_writes_dates_for_people(ds):
    html = (await ds.client.get("/")).text
    assert "11–12 May 2018" in html and "28 September – 1 October 2023" in html
    assert "2018-05-11" not in html.split('data-towns="')[0].split("</header>")[-1]


async def test_landing_page_embeds_the_schema_org_dataset_json_ld(ds):
    html = (await ds.client.get("/")).text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert block, "no JSON-LD block on the landing page"
    data = json.loads(block.group(1))
    assert data["@context"].rstrip("/") == "https://schema.org" and data["@type"] == "Dataset"


# --- one page per town ------------------------------------------------------------------------------


async def test_every_town_has_a_page_with_its_name_and_country(ds, sql):
    for row in sql("select t.id, t.name, c.name as country from towns t join countries c on c.code = t.country"):
        r = await ds.client.get(f"/town/{row['id']}")
        assert r.status_code == 200, row["id"]
        assert f"<h1>{row['name']}" in r.text and row["country"] in r.text


async def test_town_page_shows_meetings_hosted_and_attended_projects_and_nearest_members(ds, sql):
    html = (await ds.client.get("/town/oxelosund")).text
    assert "Member since 1998" in html
    assert "43rd Douzelage General Meeting, Oxelösund" in html and "11–12 May 2018" in html
    attended = sql(
        "select m.title from meeting_towns mt join meetings m on m.id = mt.meeting "
        "where mt.town = 'oxelosund' and m.host != 'oxelosund'"
    )
    assert attended and all(title in html for (title,) in attended)
    nearest = [
        name
        for (name,) in sql(
            "select t.name from distances_both d join towns t on t.id = d.other "
            "where d.town = 'oxelosund' order by d.km limit 5"
        )
    ]
    positions = [html.index(f">{name}</a>, ") for name in nearest]
    assert positions == sorted(positions)


async def test_town_page_cites_its_sources_with_their_addresses(ds, sql):
    html = (await ds.client.get("/town/asikkala")).text
    cited = sql(
        "select s.title, s.url from sources s where s.id in (select source from towns where id = 'asikkala' "
        "union select position_source from towns where id = 'asikkala' "
        "union select source from memberships where town = 'asikkala')"
    )
    assert cited
    for _title, url in cited:
        assert f'href="{url}"' in html
    assert "Where sources disagree" in html  # Asikkala's position is disputed


async def test_a_former_member_says_so_with_its_years(ds, sql):
    [(joined, left)] = sql("select joined, left from memberships where town = 'karkkila'")
    html = (await ds.client.get("/town/karkkila")).text
    assert f"Former member: from {joined} to {left}" in html


async def test_every_meeting_has_a_page_with_its_towns_and_distances_from_the_host(ds, sql):
    for (meeting_id,) in sql("select id from meetings"):
        assert (await ds.client.get(f"/meeting/{meeting_id}")).status_code == 200, meeting_id
    html = (await ds.client.get("/meeting/general-meeting-2014-sigulda")).text
    assert "24–27 April 2014" in html and 'hosted by <a href="/town/sigulda">Sigulda</a>' in html
    towns = sql(
        "select t.name, d.km from meeting_towns mt join towns t on t.id = mt.town left join distances_both d "
        "on d.town = 'sigulda' and d.other = mt.town where mt.meeting = 'general-meeting-2014-sigulda'"
    )
    assert f"The sources name {len(towns)} towns that took part" in html  # Sigulda: no figure of towns represented
    for name, km in towns:
        assert f">{name}</a>" in html and (km is None or f"{km} km from the host" in html)
    assert (await ds.client.get("/meeting/no-such-meeting")).status_code == 404


async def test_a_meeting_page_says_how_many_of_the_towns_represented_the_sources_name(ds, sql):
    html = (await ds.client.get("/meeting/general-meeting-2018-oxelosund")).text
    [(named, represented)] = sql(
        "select (select count(*) from meeting_towns where meeting = m.id), towns_represented "
        "from meetings m where id = 'general-meeting-2018-oxelosund'"
    )
    assert (named, represented) == (1, 27)
    assert "The sources name 1 of the 27 towns represented; the rest are not named in any source read." in html
    assert "Towns taking part (1)" not in html
    houffalize = (await ds.client.get("/meeting/general-meeting-2002-houffalize")).text
    assert "18 towns were represented, and the sources name them all." in houffalize


@pytest.mark.parametrize(
    "named, represented, text",
    [
        (1, 27, "The sources name 1 of the 27 towns represented; the rest are not named in any source read."),
        (18, 18, "18 towns were represented, and the sources name them all."),
        (0, 14, "14 towns were represented; no source read names them."),
        (7, 6, "The sources name 7 towns, host included; the source of the figure counts 6 towns represented."),
        (3, None, "The sources name 3 towns that took part; how many towns were represented in all is not known."),
        (0, None, "No source read lists the towns that took part, nor how many were represented."),
    ],
)
def test_the_towns_taking_part_are_told_against_the_towns_represented(named, represented, text):
    assert plugin("public_pages").towns_named_text(named, represented) == text


async def test_a_past_meeting_still_planned_says_it_was_announced_and_not_that_it_took_place(ds, sql):
    past = [r["id"] for r in sql("select id from meetings where status = 'planned' and start_date < date('now')")]
    assert "general-meeting-2003-holstebro" in past
    for meeting_id in past:
        html = (await ds.client.get(f"/meeting/{meeting_id}")).text
        assert "<dt>Status</dt><dd>announced; no source says it took place</dd>" in html, meeting_id
    landing = (await ds.client.get("/")).text
    assert '<span class="tag">planned</span>' not in landing
    assert landing.count('<span class="tag">announced; no source says it took place</span>') == len(past)
    town = (await ds.client.get("/town/holstebro")).text
    assert '<span class="tag">announced; no source says it took place</span>' in town


@pytest.mark.parametrize(
    "status, start, end, year, text",
    [
        ("planned", "2026-05-07", "2026-05-10", None, "planned"),  # ahead of today
        ("planned", "2025-05-07", "2025-05-10", None, "announced; no source says it took place"),
        ("planned", "2026-04-01", "2026-04-03", None, "announced; no source says it took place"),
        ("planned", None, None, 2025, "announced; no source says it took place"),
        ("planned", None, None, 2026, "planned"),
        ("planned", None, None, None, "planned"),
        ("held", "2003-05-15", "2003-05-18", None, "held"),
    ],
)
def test_a_planned_meeting_is_called_planned_only_until_its_date(status, start, end, year, text):
    from datetime import date

    pages = plugin("public_pages")
    assert pages.status_text(status, start, end, year, today=date(2026, 4, 15)) == text


async def test_a_meeting_known_only_by_its_year_says_its_dates_are_not_known(ds):
    html = (await ds.client.get("/meeting/music-festival-2014-sherborne")).text
    assert "2014, dates not known" in html and "13 July" not in html.split('id="claims-heading"')[0]
    assert "2014-07-13" in html and "2014-07-20" in html  # the announced dates, as claims


def _visible_main(html: str) -> str:
    import html as html_lib

    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", main))


async def test_public_pages_name_no_internal_source_id_or_column_name_in_their_prose(ds, sql, descriptor):
    """Notes speak to people: a source a note names is shown by its title, a column by its title."""
    source_ids = [r[0] for r in sql("select id from sources")]
    columns = {
        f["name"] for r in descriptor["resources"] for f in r.get("schema", {}).get("fields", []) if "_" in f["name"]
    }
    pages = (
        [f"/town/{r[0]}" for r in sql("select id from towns")]
        + [f"/meeting/{r[0]}" for r in sql("select id from meetings")]
        + [f"/project/{r[0]}" for r in sql("select id from projects")]
    )
    for path in pages:
        text = _visible_main((await ds.client.get(path)).text)
        found = [i for i in source_ids if re.search(rf"(?<![\w./-]){re.escape(i)}(?![\w/-])", text)]
        named = [c for c in columns if re.search(rf"(?<![\w.]){c}(?!\w)", text)]
        assert not found and not named, (path, found, named)


async def test_a_source_a_note_names_is_linked_by_its_title(ds, sql):
    html = (await ds.client.get("/meeting/general-meeting-2018-oxelosund")).text
    [(title, url)] = sql("select title, url from sources where id = 'douzelage-eu-gm-newsletter-1-2018'")
    import html as html_lib

    note = html.split("<dt>Note</dt><dd>", 1)[1].split("</dd>", 1)[0]
    assert f'<a href="{html_lib.escape(url)}">{html_lib.escape(title)}</a>' in note
    assert "douzelage-eu-gm-newsletter-1-2018" not in _visible_main(html)


async def test_every_project_has_a_page_with_its_lead_and_partner_towns(ds, sql):
    for (project_id,) in sql("select id from projects"):
        assert (await ds.client.get(f"/project/{project_id}")).status_code == 200, project_id
    html = (await ds.client.get("/project/actage-juniors-for-seniors")).text
    partners = sql(
        "select t.name, pt.role from project_towns pt join towns t on t.id = pt.town "
        "where pt.project = 'actage-juniors-for-seniors'"
    )
    assert f"Member towns taking part ({len(partners)})" in html
    assert all(f">{name}</a>" in html for name, _ in partners)
    assert 'led by <a href="/town/skofja-loka">Škofja Loka</a>' in html and "2019–2022" in html
    assert (await ds.client.get("/project/no-such-project")).status_code == 404


async def test_the_datasette_row_of_a_town_links_to_its_page(ds):
    html = (await ds.client.get(f"/{DB}/towns/oxelosund")).text
    assert '<a href="/town/oxelosund">Read this town\'s page</a>' in html
    html = (await ds.client.get(f"/{DB}/meetings/general-meeting-2014-sigulda")).text
    assert '<a href="/meeting/general-meeting-2014-sigulda">Read this meeting\'s page</a>' in html


@pytest.mark.parametrize("path", ["/", "/town/granville", "/search?q=music", "/downloads", f"/{DB}/towns"])
async def test_every_page_states_its_language_and_offers_the_site_navigation(ds, path):
    html = (await ds.client.get(path)).text
    assert '<html lang="en">' in html
    assert '<ul class="site-nav">' in html and 'href="/search"' in html


async def test_an_unknown_town_is_a_404_not_an_error(ds):
    r = await ds.client.get("/town/atlantis")
    assert r.status_code == 404 and "atlantis" in r.text


def test_dates_are_written_for_people():
    pages = plugin("public_pages")
    assert pages.human_dates("2018-05-11", "2018-05-12") == "11–12 May 2018"
    assert pages.human_dates("2023-09-28", "2023-10-01") == "28 September – 1 October 2023"
    assert pages.human_dates("2002-12-30", "2003-01-02") == "30 December 2002 – 2 January 2003"
    assert pages.human_dates("2022-03-17", None) == "17 March 2022"
    assert pages.human_dates(None, None) == "date not known"
    assert pages.position_text(38.59861, -0.05194) == "38.59861° N, 0.05194° W"
    assert pages.year_range(2019, 2022) == "2019–2022" and pages.year_range(2018, 2018) == "2018"
    assert pages.year_range(None, None) == "years not stated"


def test_join_years_say_no_more_than_the_sources():
    pages = plugin("public_pages")
    assert pages.joined_text(1998) == "since 1998"
    assert pages.joined_text(None, 2004, 2008) == "joined between 2004 and 2008"
    assert pages.joined_text(None, None, 2019) == "joined by 2019"
    assert pages.joined_text(None, 2016, 2016) == "since 2016 (inferred from the sources)"
    assert pages.joined_text(None) == "join year not stated by our sources"


# --- search -------------------------------------------------------------------------------------------


async def test_one_search_box_finds_a_town_without_its_accents(ds):
    r = await ds.client.get("/search?q=Oxelosund")
    assert r.status_code == 200
    assert '<a href="/town/oxelosund">Oxelösund</a>' in r.text


async def test_search_covers_meetings_and_projects_too(ds, sql):
    html = (await ds.client.get("/search?q=Erasmus")).text
    projects = sql(
        "select p.title from projects_fts f join projects p on p.rowid = f.rowid where projects_fts match 'erasmus'"
    )
    assert projects and all(title in html for (title,) in projects)
    assert 'href="/project/' in html
    html = (await ds.client.get("/search?q=Sigulda")).text
    assert '<span class="kind">meeting</span>' in html and '<span class="kind">town</span>' in html


@pytest.mark.parametrize("q", ['"', "foo-", "AND", "*", "a OR", "(", "NEAR("])
async def test_search_survives_text_that_is_not_valid_fts_syntax(ds, q):
    r = await ds.client.get("/search", params={"q": q})
    assert r.status_code == 200


# --- downloads ------------------------------------------------------------------------------------------


async def test_downloads_page_lists_every_file_with_size_sha256_and_licence(ds, package):
    listed = {f["path"]: f for f in (await ds.client.get("/downloads.json")).json()}
    on_disk = {p.relative_to(package).as_posix(): p for p in package.rglob("*") if p.is_file()}
    assert set(listed) == set(on_disk) - {"meta/manifest.json"}  # the manifest lists every file but itself
    for path, f in listed.items():
        data = on_disk[path].read_bytes()
        assert f["bytes"] == len(data) and f["sha256"] == hashlib.sha256(data).hexdigest(), path
        assert f["licence"] == "CC-BY-4.0" and f["licence_url"].startswith("https://creativecommons.org/")
    html = (await ds.client.get("/downloads")).text
    for path, f in listed.items():
        assert f'href="/downloads/{path}"' in html and f["sha256"] in html


async def test_downloads_include_the_zip_each_csv_the_geojson_the_database_and_the_descriptor(ds, descriptor):
    listed = {f["path"]: f for f in (await ds.client.get("/downloads.json")).json()}
    expected = {"douzelage-datapackage.zip", "datapackage.json", "douzelage.geojson", "douzelage.db"}
    expected |= {r["path"] for r in descriptor["resources"]}
    assert expected <= set(listed)
    for resource in descriptor["resources"]:  # the hashes agree with the descriptor's own
        if "hash" in resource:
            assert resource["hash"] == "sha256:" + listed[resource["path"]]["sha256"]


# --- canned queries for journalists -------------------------------------------------------------------


def test_at_least_ten_canned_queries_each_with_a_title_and_a_description(metadata):
    queries = metadata["databases"][DB]["queries"]
    assert len(queries) >= 10
    for name, q in queries.items():
        assert q.get("title") and len(q.get("description", "")) > 40, name


async def test_every_canned_query_answers_with_its_default_parameters(ds, metadata):
    for name, _q in metadata["databases"][DB]["queries"].items():
        r = await ds.client.get(f"/{DB}/{name}.json?_shape=array")
        assert r.status_code == 200, (name, r.text[:300])
        assert r.json(), f"{name} returns no rows with its defaults"


@pytest.mark.parametrize(
    "name, params, expect",
    [
        ("meetings_by_host", {"town": "granville"}, ("host_name", "Granville")),
        ("meetings_in_year", {"year": "2022"}, ("title", "46th Douzelage General Meeting, Škofja Loka")),
        ("town_activity", {"town": "sherborne"}, ("what", "48th Douzelage General Meeting, Sherborne")),
        ("projects_by_programme", {"programme": "Erasmus+"}, ("programme", "Erasmus+")),
        ("towns_by_meetings_hosted", {"kind": "general meeting"}, ("town_name", "Sesimbra")),
        ("meeting_travel_distances", {"meeting": "general-meeting-2014-sigulda"}, ("host_name", "Sigulda")),
        ("disputed_facts", {"table": "towns"}, ("table_name", "towns")),
        ("members_in_year", {"year": "2010"}, ("town_name", "Prienai")),
        ("search", {"q": "music"}, ("kind", "meeting")),
    ],
)
async def test_canned_query_answers_for_a_given_parameter(ds, name, params, expect):
    r = await ds.client.get(f"/{DB}/{name}.json", params={**params, "_shape": "array"})
    rows = r.json()
    column, value = expect
    assert r.status_code == 200 and any(row[column] == value for row in rows), rows[:3]


async def test_sources_about_a_town_include_those_of_its_row_position_and_membership(ds, sql):
    rows = (await ds.client.get(f"/{DB}/sources_about_a_town.json?town=koszeg&_shape=array")).json()
    expected = {
        s
        for (s,) in sql(
            "select source from towns where id = 'koszeg' union select position_source "
            "from towns where id = 'koszeg' union select source from memberships "
            "where town = 'koszeg'"
        )
        if s
    }
    assert expected and expected <= {row["source"] for row in rows}


async def test_members_in_a_year_leave_out_towns_that_had_left(ds):
    rows = (await ds.client.get(f"/{DB}/members_in_year.json?year=2020&_shape=array")).json()
    names = {row["town_name"] for row in rows}
    assert "Oxelösund" in names and "Karkkila" not in names and "Prienai" not in names


async def test_travel_distances_add_up_to_their_total(ds):
    rows = (await ds.client.get(f"/{DB}/meeting_travel_distances.json?_shape=array")).json()
    total = rows[-1]
    assert total["town_name"].startswith("Total")
    assert total["km"] == pytest.approx(sum(r["km"] for r in rows[:-1] if r["km"] is not None), abs=0.5)


async def test_disputed_facts_only_lists_facts_with_more_than_one_value(ds):
    rows = (await ds.client.get(f"/{DB}/disputed_facts.json?_shape=array&_size=max")).json()
    values: dict = {}
    for row in rows:
        values.setdefault((row["table_name"], row["record"], row["field"]), set()).add(row["value"])
    assert values and all(len(v) > 1 for v in values.values())
    assert all(
        sum(r["in_main_table"] == "used" for r in rows if (r["table_name"], r["record"], r["field"]) == k) <= 1
        for k in values
    )


# --- facets and column descriptions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "table, facets",
    [
        ("towns", {"country", "status", "joined"}),
        ("meetings", {"kind", "start_date"}),
        ("projects", {"programme", "start_year"}),
    ],
)
async def test_tables_offer_facets_on_country_year_kind_and_programme(ds, table, facets):
    data = (await ds.client.get(f"/{DB}/{table}.json?_extra=facet_results")).json()
    assert facets <= set(data["facet_results"]), data["facet_results"].keys()


async def test_meetings_facet_by_year_and_its_links_select_that_year(ds, sql):
    data = (await ds.client.get(f"/{DB}/meetings.json?_extra=facet_results")).json()
    facet = data["facet_results"]["start_date"]
    assert facet["type"] == "year"
    counts = {r["value"]: r["count"] for r in facet["results"]}
    assert counts == {
        y: n
        for y, n in sql(
            "select substr(start_date, 1, 4), count(*) from meetings where start_date is not null group by 1"
        )
    }
    link = next(r["toggle_url"] for r in facet["results"] if r["value"] == "2018")
    rows = (await ds.client.get(link.replace("http://localhost", "").replace(".json?", ".json?_shape=array&"))).json()
    assert len(rows) == counts["2018"] and all(r["start_date"].startswith("2018") for r in rows)


def test_every_measured_column_states_its_unit(metadata):
    for table, t in metadata["databases"][DB]["tables"].items():
        for column, text in t.get("columns", {}).items():
            assert text.strip(), (table, column)
    towns = metadata["databases"][DB]["tables"]["towns"]["columns"]
    assert "Unit: degree" in towns["latitude"] and "Unit: inhabitants" in towns["population"]


# --- GeoJSON and Atom -------------------------------------------------------------------------------------


async def test_any_query_with_positions_comes_out_as_valid_geojson(ds, sql):
    r = await ds.client.get(f"/{DB}/towns.geojson?_size=max")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    collection = geojson.loads(r.text)
    assert collection.is_valid and len(collection["features"]) == sql("select count(*) from towns")[0][0]
    oxelosund = next(f for f in collection["features"] if f["properties"]["id"] == "oxelosund")
    lat, lon = sql("select latitude, longitude from towns where id = 'oxelosund'")[0]
    assert oxelosund["geometry"]["coordinates"] == [lon, lat]  # RFC 7946 order
    r = await ds.client.get(f"/{DB}/nearest_towns.geojson?town=granville")
    assert geojson.loads(r.text).is_valid and len(r.json()["features"]) == 10


async def test_a_query_without_positions_offers_no_geojson(ds):
    html = (await ds.client.get(f"/{DB}/members_by_year_joined")).text
    assert ".geojson" not in html
    assert (await ds.client.get(f"/{DB}/members_by_year_joined.geojson")).status_code == 400


async def test_atom_feed_lists_the_dated_meetings(ds, sql):
    r = await ds.client.get(f"/{DB}/meetings_feed.atom")
    feed = feedparser.parse(r.content)
    assert not feed.bozo and feed.version == "atom10"
    dated = sql("select count(*) from meetings where start_date is not null")[0][0]
    assert len(feed.entries) == min(dated, 50)
    assert {e.title for e in feed.entries} >= {"46th Douzelage General Meeting, Škofja Loka"}


# --- the SQL guard ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "attach database ':memory:' as other",
        "pragma query_only = 0",
        "pragma writable_schema = 1",
        "select load_extension('mod_spatialite')",
        "create temp table t(x)",
        "delete from towns",
    ],
)
def test_the_sql_guard_refuses_hostile_statements_inside_sqlite(db_path, statement):
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.set_authorizer(plugin("sql_guard").authorizer)
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute(statement)
    assert conn.execute("select count(*) from towns_fts where towns_fts match 'oxelosund'").fetchone() == (1,)
    assert conn.execute("pragma table_info(towns)").fetchall()


def test_only_server_errors_print_a_traceback():
    quiet = plugin("quiet_client_errors")
    printed = []

    class FakeRich:
        def get_console(self):
            return self

        def print_exception(self, **kwargs):
            printed.append(kwargs)

    wrapper = quiet.QuietForClientErrors(FakeRich())
    from datasette.views.base import DatasetteError

    for error, prints in [
        (DatasetteError("Statement must be a SELECT", status=400), False),
        (RuntimeError("a bug"), True),
    ]:
        printed.clear()
        try:
            raise error
        except Exception:
            wrapper.get_console().print_exception(show_locals=True)
        assert bool(printed) is prints, error


def test_the_per_client_counts_are_shared_by_forked_workers():
    """The workers are forked after the table is made (scripts/serve.py): what one admits, all see."""
    import os

    from douzelage.serving.client_limits import MAX_CONCURRENT, ClientTable

    table, key = ClientTable(), bytes(12) + bytes([192, 0, 2, 7])
    pid = os.fork()
    if pid == 0:  # a worker takes every slot of the address
        ok = all(table.admit(key, 1.0)[0] is not None for _ in range(MAX_CONCURRENT))
        os._exit(0 if ok else 1)
    assert os.waitpid(pid, 0)[1] == 0
    slot, wait, _, _ = table.admit(key, 1.0)  # so another worker refuses the next one
    assert slot is None and wait >= 1


def test_one_address_runs_its_sql_one_request_at_a_time_and_pays_for_it():
    """Two requests of one address: the second's statements wait for the first's turn to end
    (serving/client_limits.py), and once the first is charged more SQL time than the bucket holds, the
    address waits for it to refill; another address is not held up meanwhile."""
    from douzelage.serving.client_limits import CAPACITY_S, REFILL_PER_S, SQL_WAIT_S, ClientTable

    table, key, other = ClientTable(), bytes(15) + b"\x01", bytes(15) + b"\x02"
    first, second = table.admit(key, 1.0)[0], table.admit(key, 1.0)[0]
    assert first is not None and second is not None
    assert table.enter_sql(first, key, 1.0) == 0
    assert table.enter_sql(second, key, 1.0) == SQL_WAIT_S  # the address's turn is taken
    elsewhere = table.admit(other, 1.0)[0]
    assert elsewhere is not None and table.enter_sql(elsewhere, other, 1.0) == 0
    table.leave_sql(first, key, CAPACITY_S + 1.0, 2.0)  # a runaway statement, charged when it ends
    wait = table.enter_sql(second, key, 2.0)
    assert wait == pytest.approx(1.0 / REFILL_PER_S + 0.1)  # the bucket is 1 s short: until it refills
    assert table.enter_sql(second, key, 2.0 + wait) == 0


def test_a_trusted_address_is_not_limited_and_others_still_are():
    """`douzelage serve --trusted ADDRESS` (the benchmark's load generator): its requests pass however
    many are in flight, while another address past MAX_CONCURRENT gets 429."""
    import asyncio

    from douzelage.serving.client_limits import MAX_CONCURRENT, ClientTable, address_bytes, limited

    async def run() -> dict[str, list[int]]:
        hold = asyncio.Event()

        async def app(scope, receive, send):
            await hold.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        guarded = limited(app, ClientTable(slots=64), frozenset({address_bytes("192.0.2.1")}))
        statuses: dict[str, list[int]] = {"192.0.2.1": [], "192.0.2.2": []}

        async def one(address):
            async def send(message):
                if message["type"] == "http.response.start":
                    statuses[address].append(message["status"])
                    if message["status"] == 200:
                        assert any(name == b"server-timing" for name, _ in message["headers"])

            scope = {"type": "http", "client": (address, 1234), "path": "/x.json", "headers": []}
            await guarded(scope, None, send)

        tasks = [asyncio.create_task(one(a)) for a in statuses for _ in range(MAX_CONCURRENT + 3)]
        await asyncio.sleep(0.05)
        hold.set()
        await asyncio.gather(*tasks)
        return statuses

    statuses = asyncio.run(run())
    assert statuses["192.0.2.1"] == [200] * (MAX_CONCURRENT + 3)
    assert sorted(statuses["192.0.2.2"]) == [200] * MAX_CONCURRENT + [429] * 3


def test_serve_refuses_a_trusted_value_that_is_not_an_address(tmp_path):
    from click.testing import CliRunner

    from douzelage.cli import main

    (tmp_path / "douzelage.db").write_bytes(b"")
    (tmp_path / "metadata.json").write_text("{}")
    result = CliRunner().invoke(
        main,
        ["serve", "--out", str(tmp_path), "--metadata", str(tmp_path / "metadata.json"), "--trusted", "bench-box"],
    )
    assert result.exit_code == 2 and "--trusted" in result.output and "IP address" in result.output
