"""Issue 16 §1 over real HTTP (httpx against a real `douzelage serve`, `site_url`): the catalogue chosen by
Accept, every curl example of /api, /downloads and /guide run as written, every worked question of the guide
answering with rows, canned queries that take a town's name, and a search box that no input breaks.
Expected values come from the built database and files, read here with sqlite3, json and rdflib."""

from __future__ import annotations

import html
import json
import os
import re
import shlex
import sqlite3
import unicodedata

import httpx
import pytest
from rdflib import Graph

from douzelage.files import load_yaml
from douzelage.layout import DATABASE_NAME, SITE

DB = DATABASE_NAME
SITE_YAML = load_yaml(SITE / "site.yaml")


def base_url(site_url: str) -> str:
    return os.environ.get("DOUZELAGE_BASE_URL", "").rstrip("/") or site_url


def curl_lines(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<pre class="curl">(.*?)</pre>', page, re.S)]


def run_curl(line: str) -> httpx.Response:
    """A `curl [-H 'Name: value'] [-O] 'URL'` line, run with httpx as curl would run it."""
    args = shlex.split(line)
    assert args[0] == "curl", line
    headers, url, i = {}, None, 1
    while i < len(args):
        if args[i] == "-H":
            name, _, value = args[i + 1].partition(":")
            headers[name.strip()] = value.strip()
            i += 2
        elif args[i].startswith("-"):
            i += 1
        else:
            url = args[i]
            i += 1
    assert url, line
    return httpx.get(url, headers=headers, timeout=30)


# --- the catalogue, by Accept --------------------------------------------------------------------------


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.mark.parametrize(
    "accept, media",
    [
        (BROWSER, "text/html"),
        ("text/html", "text/html"),
        ("text/turtle", "text/turtle"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/ld+json", "application/ld+json"),
        ("application/json", "application/ld+json"),
        ("text/turtle;q=0.5, text/html;q=0.4", "text/turtle"),
        ("application/ld+json;q=0.9, application/rdf+xml", "application/rdf+xml"),
        ("*/*", "text/turtle"),
        (None, "text/turtle"),
    ],
)
def test_the_catalogue_answers_in_the_format_accept_prefers(site_url, package, accept, media):
    headers = {"Accept": accept} if accept is not None else {}
    with httpx.Client(timeout=30) as c:
        if accept is None:
            c.headers.pop("accept", None)
        r = c.get(site_url + "/catalogue", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == media, (accept, r.headers)
    assert "accept" in r.headers["vary"].lower()
    built = Graph().parse(package / "dcat" / "catalogue.ttl")
    if media == "text/html":
        assert "<h1>Data catalogue</h1>" in r.text
    else:
        fmt = {"text/turtle": "turtle", "application/rdf+xml": "xml", "application/ld+json": "json-ld"}[media]
        assert len(Graph().parse(data=r.text, format=fmt)) == len(built)


def test_the_catalogue_says_which_formats_it_has_when_accept_allows_none(site_url):
    r = httpx.get(site_url + "/catalogue", headers={"Accept": "image/png"}, timeout=30)
    assert r.status_code == 406
    assert "text/turtle" in r.text and "/catalogue.jsonld" in r.text


def test_the_html_catalogue_lists_every_distribution_with_format_licence_and_bytes(site_url, package):
    doc = json.loads((package / "dcat" / "catalogue.jsonld").read_text(encoding="utf-8"))
    distributions = [n for n in doc["@graph"] if n["@type"] == "dcat:Distribution"]
    page = httpx.get(site_url + "/catalogue.html", timeout=30).text
    rows = re.findall(r'<tr data-url="([^"]+)">(.*?)</tr>', page, re.S)
    assert len(rows) == len(distributions)
    base = base_url(site_url)
    for url, cells in rows:
        assert url.startswith(base + "/"), url
        d = next(d for d in distributions if d["dcat:downloadURL"]["@id"].split("/", 3)[3] == url.split("/", 3)[3])
        assert f'data-bytes="{d["dcat:byteSize"]["@value"]}"' in cells
        assert "CC_BY_4_0" in cells and d["dct:title"]["@value"] in html.unescape(cells)
        assert httpx.head(url, timeout=30).status_code == 200, url  # the download it names is served
    for ext, media in (("ttl", "text/turtle"), ("rdf", "application/rdf+xml"), ("jsonld", "application/ld+json")):
        assert f'href="/catalogue.{ext}"' in page
        r = httpx.get(f"{site_url}/catalogue.{ext}", timeout=30)
        assert r.headers["content-type"].startswith(media)


# --- curl examples, run as written -----------------------------------------------------------------------


def test_every_curl_example_of_the_api_page_runs_and_returns_data(site_url):
    lines = curl_lines(httpx.get(site_url + "/api", timeout=30).text)
    assert len(lines) >= 10
    base = base_url(site_url)
    for line in lines:
        assert f"'{base}/" in line, line  # the site's own address, never '//douzelage'
        r = run_curl(line)
        assert r.status_code == 200, (line, r.text[:300])
        data = r.json()
        assert data, line
        if isinstance(data, dict) and "rows" in data:
            assert data["rows"], line


def test_the_api_examples_return_what_they_say(site_url, db_path):
    lines = {re.search(r"'([^']+)'$", line).group(1): line for line in curl_lines(httpx.get(site_url + "/api").text)}
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    swedish = {r for (r,) in conn.execute("select id from towns where status = 'current' and country = 'SE'")}
    either = {r for (r,) in conn.execute("select id from towns where name in ('Granville', 'Sherborne')")}
    conn.close()
    filtered = next(u for u in lines if "country=SE" in u)
    assert {t["id"] for t in httpx.get(filtered).json()} == swedish
    search = next(u for u in lines if "/search.json" in u)
    assert {r["id"] for r in httpx.get(search).json() if r["kind"] == "town"} == either
    paged = httpx.get(next(u for u in lines if "_size=10" in u)).json()
    assert len(paged["rows"]) == 10 and paged["next_url"].startswith(base_url(site_url) + "/")


def test_the_curl_example_of_the_downloads_page_runs(site_url, db_path):
    (line,) = curl_lines(httpx.get(site_url + "/downloads", timeout=30).text)
    assert "'//" not in line and f"'{base_url(site_url)}/" in line
    r = run_curl(line)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    (current,) = conn.execute("select count(*) from towns where status = 'current'").fetchone()
    conn.close()
    assert r.status_code == 200 and len(r.json()) == current


def test_the_guide_download_line_fetches_the_database_file(site_url, db_path):
    (line,) = [line for line in re.findall(r"curl -O '[^']+'", httpx.get(site_url + "/guide").text)]
    r = run_curl(line)
    assert r.status_code == 200 and r.content == db_path.read_bytes()


# --- the guide's worked questions ------------------------------------------------------------------------


def test_the_guide_has_ten_worked_questions_in_site_yaml(site_url):
    questions = SITE_YAML["guide"]
    assert len(questions) == 10
    page = httpx.get(site_url + "/guide", timeout=30).text
    for q in questions:
        assert html.escape(q["question"], quote=False) in page
        assert q["sql"].strip() and q["how"].strip()


@pytest.mark.parametrize("number", range(10))
def test_each_worked_question_runs_from_its_link_and_returns_rows(site_url, number):
    q = SITE_YAML["guide"][number]
    page = httpx.get(site_url + "/guide", timeout=30).text
    json_links = [html.unescape(h) for h in re.findall(r'<a class="run-json" href="([^"]+)"', page)]
    run_links = [html.unescape(h) for h in re.findall(r'<a class="run-sql" href="([^"]+)"', page)]
    assert len(json_links) == len(run_links) == len(SITE_YAML["guide"])
    r = httpx.get(site_url + json_links[number], timeout=30)
    assert r.status_code == 200 and r.json()["ok"], (q["question"], r.text[:300])
    assert r.json()["rows"], f"no rows: {q['question']}"
    assert r.json()["query"]["sql"] == q["sql"]
    page = httpx.get(site_url + run_links[number], timeout=30)
    assert page.status_code == 200 and '<table class="rows-and-columns">' in page.text


def test_the_guide_states_the_limits_of_site_yaml(site_url):
    page = httpx.get(site_url + "/guide", timeout=30).text
    settings = SITE_YAML["settings"]
    assert f"at most {settings['sql_time_limit_ms']:,} ms" in page
    assert f"at most {settings['max_returned_rows']:,} rows" in page


# --- canned queries take a town's name -----------------------------------------------------------------


def folded(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


TOWN_QUERIES = [name for name, q in SITE_YAML["queries"].items() if "town" in (q.get("params") or [])]


@pytest.mark.parametrize("query", TOWN_QUERIES)
def test_a_canned_query_with_a_town_takes_its_id_its_name_or_its_name_without_accents(site_url, db_path, query):
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    towns = conn.execute("select id, name, native_name from towns where name != id order by name").fetchall()
    conn.close()
    accented = [t for t in towns if folded(t[1]) != t[1]]
    assert accented, "the real data has towns with accents in their names"
    answered = 0
    with httpx.Client(base_url=site_url, timeout=30) as c:
        for town_id, name, native in accented + towns[:2]:
            by_id = c.get(f"/{DB}/{query}.json", params={"town": town_id, "_shape": "array"}).json()
            answered += bool(by_id)
            for typed in (name, folded(name), name.upper(), folded(name).lower(), native):
                rows = c.get(f"/{DB}/{query}.json", params={"town": typed, "_shape": "array"}).json()
                assert rows == by_id, (query, typed)
        assert answered, f"{query} found nothing for any of the towns tried"
        unknown = c.get(f"/{DB}/{query}.json", params={"town": "Atlantis", "_shape": "array"})
        assert unknown.status_code == 200 and unknown.json() == []


@pytest.mark.parametrize("typed", ['"', "'", "*", "NEAR(", "{name}:x", "a\\", "%", "x" * 2000, "Ö" * 100, "\u0301"])
def test_no_town_typed_breaks_a_canned_query(site_url, typed):
    for query in TOWN_QUERIES:
        r = httpx.get(f"{site_url}/{DB}/{query}", params={"town": typed}, timeout=30)
        assert r.status_code == 200, (query, typed, r.text[:300])


# --- the search box -----------------------------------------------------------------------------------------


HOSTILE = ['"', '""', "'", "*", "-", "AND", "OR", "NOT", "a OR", "NEAR(", "NEAR(a b, 999999999)", "(", ")", "^",
           "{title}: x", "title: music", "a:b", "\\", "%", "x" * 3000, "a" * 100 + "*", "🙂", "\u0000"]  # fmt: skip


@pytest.mark.parametrize("q", HOSTILE)
def test_no_search_text_gets_a_server_error(site_url, q):
    page = httpx.get(site_url + "/search", params={"q": q}, timeout=30)
    assert page.status_code == 200, (q, page.text[:300])
    api = httpx.get(f"{site_url}/{DB}/search.json", params={"q": q}, timeout=30)
    assert api.status_code < 500, (q, api.text[:300])
