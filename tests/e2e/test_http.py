"""Safe to run in public, checked with a real HTTP client against a real `datasette` process: hostile SQL is
refused or stopped and the site keeps answering; robots, sitemap, CORS, the Atom feed and GeoJSON are served."""

import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import geojson
import httpx
import pytest
from protego import Protego

from douzelage.layout import DATABASE_NAME

DB = DATABASE_NAME
LOCALE = Path(__file__).resolve().parents[2] / "site" / "locale"


def run_sql(base: str, sql: str) -> httpx.Response:
    return httpx.get(f"{base}/{DB}.json", params={"sql": sql}, timeout=30)


@pytest.mark.parametrize(
    "sql",
    [
        "delete from towns",
        "with x as (select 1) delete from towns",
        "update towns set name = 'x'",
        "insert into towns (id) values ('x')",
        "drop table towns",
        "create table t(x)",
        "attach database '/tmp/other.db' as other",
        "select 1; attach database ':memory:' as other",
        "pragma query_only = 0",
        "pragma writable_schema = 1",
        "select * from pragma_query_only(0)",
        "select load_extension('/usr/lib/x86_64-linux-gnu/mod_spatialite')",
    ],
)
def test_hostile_sql_is_refused_and_changes_nothing(site_url, site_log, sql):
    r = run_sql(site_url, sql)
    assert r.status_code == 400
    assert r.json()["ok"] is False and r.json()["error"]
    towns = httpx.get(f"{site_url}/{DB}/towns.json?_shape=array&_size=max", timeout=10).json()
    assert len(towns) == 30 and all(t["name"] != "x" for t in towns)
    assert "Traceback" not in site_log.read_text(errors="replace")  # the visitor's mistake, not the server's


def test_a_runaway_recursive_query_is_stopped_and_the_site_still_answers(site_url):
    r = run_sql(site_url, "with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r")
    assert r.status_code == 400 and "too long" in r.json()["error"]
    again = run_sql(site_url, "select count(*) as n from towns")
    assert again.status_code == 200 and again.json()["rows"] == [[30]]


def test_a_query_cannot_make_a_giant_value(site_url):
    r = run_sql(site_url, "select length(randomblob(1000000000)) as n")
    assert r.status_code == 400 and "too big" in r.json()["error"]
    assert run_sql(site_url, "select length(randomblob(1000)) as n").json()["rows"] == [[1000]]


def test_a_query_returns_at_most_the_row_limit(site_url):
    r = run_sql(site_url, "with recursive r(i) as (select 1 union all select i + 1 from r limit 5000) select i from r")
    data = r.json()
    assert r.status_code == 200 and data["truncated"] is True and len(data["rows"]) == 1000


def test_the_read_api_sends_cors_headers(site_url):
    for path in [f"/{DB}/towns.json", f"/{DB}/meetings_by_host.json?town=granville", "/downloads.json"]:
        r = httpx.get(site_url + path, headers={"Origin": "https://example.org"}, timeout=10)
        assert r.status_code == 200 and r.headers.get("access-control-allow-origin") == "*", path


def test_robots_keep_crawlers_off_sql_and_faceted_pages_but_not_the_content(site_url):
    r = httpx.get(f"{site_url}/robots.txt", timeout=10)
    assert r.status_code == 200
    robots = Protego.parse(r.text)
    for path in [
        f"/{DB}?sql=select+1",
        f"/{DB}.json?sql=select+1",
        f"/{DB}/towns?_facet=country",
        f"/{DB}/meetings?kind=exchange&_facet=host",
        f"/{DB}/meetings_by_host?town=granville",
        "/search?q=music",
    ]:
        assert not robots.can_fetch(site_url + path, "AnyBot"), path
    for path in ["/", "/town/oxelosund", "/downloads", f"/{DB}/towns", f"/{DB}/meetings_in_year"]:
        assert robots.can_fetch(site_url + path, "AnyBot"), path
    assert list(robots.sitemaps) == [f"{site_url}/sitemap.xml"]


def test_the_sitemap_lists_the_pages_worth_indexing_and_each_answers(site_url):
    r = httpx.get(f"{site_url}/sitemap.xml", timeout=10)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = [loc.text for loc in ET.fromstring(r.content).findall("s:url/s:loc", ns)]
    towns = httpx.get(f"{site_url}/{DB}/towns.json?_shape=array&_col=id&_size=max", timeout=10).json()
    expected = {
        f"{site_url}/",
        f"{site_url}/downloads",
        f"{site_url}/{DB}/towns",
        f"{site_url}/{DB}/meetings",
        f"{site_url}/{DB}/projects",
        f"{site_url}/{DB}/towns_by_meetings_hosted",
    }
    expected |= {f"{site_url}/town/{t['id']}" for t in towns}
    for kind, table in (("meeting", "meetings"), ("project", "projects")):
        rows = httpx.get(f"{site_url}/{DB}/{table}.json?_shape=array&_col=id&_size=max", timeout=10).json()
        expected |= {f"{site_url}/{kind}/{row['id']}" for row in rows}
    languages = sorted(p.parent.parent.name for p in LOCALE.glob("*/LC_MESSAGES/messages.po"))
    public = {u for u in expected if f"/{DB}" not in u}
    expected |= {u.replace(site_url, f"{site_url}/{lang}", 1) for u in public for lang in languages}  # /sv/town/…
    assert expected <= set(urls)
    assert not [u for u in urls if "?" in u or "_fts" in u]
    with httpx.Client(timeout=30) as client:
        assert [u for u in urls if client.get(u).status_code != 200] == []


def test_an_atom_feed_of_meetings(site_url):
    url = f"{site_url}/{DB}/meetings_feed.atom"
    r = httpx.get(url, timeout=10)
    feed = feedparser.parse(r.content, response_headers={**r.headers, "content-location": url})  # as a reader would
    assert r.status_code == 200 and not feed.bozo and feed.version == "atom10"
    assert feed.entries and all(e.link.startswith(f"{site_url}/meeting/") for e in feed.entries)
    newest = feed.entries[0]
    assert httpx.get(newest.link, timeout=10).status_code == 200
    landing = httpx.get(site_url + "/", timeout=10).text
    assert 'type="application/atom+xml"' in landing


def test_geojson_out_of_a_query_that_returns_positions(site_url):
    sql = "select name, latitude, longitude from towns where country = 'SE'"
    r = httpx.get(f"{site_url}/{DB}.geojson", params={"sql": sql}, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    collection = geojson.loads(r.text)
    assert collection.is_valid
    assert [f["properties"]["name"] for f in collection["features"]] == ["Oxelösund"]
    lon, lat = collection["features"][0]["geometry"]["coordinates"]
    assert 16 < lon < 18 and 58 < lat < 59
