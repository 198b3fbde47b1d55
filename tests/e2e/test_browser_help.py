"""Issue 16 §1 in a real Chromium (Playwright) against a real `douzelage serve`: the search box with FTS5
syntax and results grouped by kind, canned queries that take a town's name and link their ids, the guide
for journalists, the readable catalogue and the API page. Expected values are read from the built database
(sqlite3, with Python's own accent folding, not FTS5) and files; screenshots go to test-output/."""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata

import pytest

from douzelage.files import load_yaml
from douzelage.layout import SITE

PHONE = {"width": 390, "height": 844}
SEARCHED = {  # kind: table and the columns the search reads (site.yaml full_text)
    "town": "towns",
    "meeting": "meetings",
    "project": "projects",
    "source": "sources",
}


@pytest.fixture(scope="module")
def conn(db_path):
    c = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    yield c
    c.close()


def folded(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).lower()


def rows_with_a_word(conn, kind: str, test) -> set[str]:
    """The ids of `kind` whose searched columns hold a word for which test(word) holds (accents folded)."""
    table = SEARCHED[kind]
    columns = load_yaml(SITE / "site.yaml")["full_text"][table]
    found = set()
    for row in conn.execute(f"select id, {', '.join(columns)} from {table}"):
        words = re.findall(r"\w+", folded(" ".join(str(v) for v in row[1:] if v)))
        if any(test(w) for w in words):
            found.add(row[0])
    return found


def shown(page, kind: str) -> tuple[int, list[str]]:
    """The count in a kind's heading and the ids its links lead to."""
    heading = page.locator(f"#results-{kind}").inner_text()
    count = int(re.search(r"\((\d+)\)", heading).group(1))
    hrefs = page.locator(f'ul.results[data-kind="{kind}"] a').evaluate_all("els => els.map(e => e.pathname)")
    return count, [h.rstrip("/").rsplit("/", 1)[-1] for h in hrefs]


def test_a_prefix_search_finds_every_kind_and_counts_each(page, site_url, conn, screenshots):
    page.goto(site_url + "/search", wait_until="domcontentloaded")
    page.get_by_label("Words to find").fill("oxel*")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=oxel*")
    page.screenshot(path=screenshots / "search-prefix-oxel.png", full_page=True)
    total = 0
    for kind in SEARCHED:
        expected = rows_with_a_word(conn, kind, lambda w: w.startswith("oxel"))
        if not expected:
            assert page.locator(f"#results-{kind}").count() == 0
            continue
        count, ids = shown(page, kind)
        assert count == len(expected), kind
        assert set(ids) <= expected and len(ids) == min(count, 50), kind
        total += count
    assert total > 0
    assert page.locator("#results-heading").inner_text().startswith(f"{total} result")
    page.locator('ul.results[data-kind="town"]').get_by_role("link", name="Oxelösund", exact=True).click()
    page.wait_for_url("**/town/oxelosund")


def test_either_word_with_or(page, site_url, conn):
    page.goto(site_url + "/search?q=granville+OR+sherborne", wait_until="domcontentloaded")
    expected = {i for (i,) in conn.execute("select id from towns where name in ('Granville', 'Sherborne')")}
    count, ids = shown(page, "town")
    assert set(ids) == expected and count == len(expected)
    for kind in ("meeting", "project"):
        either = rows_with_a_word(conn, kind, lambda w: w in ("granville", "sherborne"))
        assert shown(page, kind)[0] == len(either), kind


def test_a_lone_quote_says_there_is_nothing_to_search_for(page, site_url):
    page.goto(site_url + '/search?q="', wait_until="domcontentloaded")
    alert = page.get_by_role("alert")
    assert "no word to search for" in alert.inner_text()
    assert page.locator("ul.results").count() == 0  # not the default search's results


def test_a_search_that_is_not_valid_syntax_searches_its_words_and_says_so(page, site_url, conn):
    page.goto(site_url + '/search?q=music+"oxel', wait_until="domcontentloaded")
    assert "searched for its words instead" in page.get_by_role("status").inner_text()
    both = rows_with_a_word(conn, "meeting", lambda w: w == "music") & rows_with_a_word(
        conn, "meeting", lambda w: w == "oxel"
    )
    assert page.locator("#results-meeting").count() == (1 if both else 0)


def test_every_example_under_the_search_box_finds_something(page, site_url):
    page.goto(site_url + "/search", wait_until="domcontentloaded")
    examples = page.locator("#search-help a")
    assert examples.count() >= 3
    for i in range(examples.count()):
        page.goto(site_url + "/search", wait_until="domcontentloaded")
        text = page.locator("#search-help a").nth(i).inner_text()
        page.locator("#search-help a").nth(i).click()
        page.wait_for_selector("#results-heading")
        assert not page.locator("#results-heading").inner_text().startswith("0 "), text
        assert page.get_by_role("status").count() == 0, text  # read as FTS5, not as its words


# --- canned queries --------------------------------------------------------------------------------------


def test_a_canned_query_takes_a_town_name_without_accents_and_links_the_ids(page, site_url, conn, screenshots):
    town_id, name = conn.execute(
        "select t.id, t.name from towns t where exists (select 1 from meetings m where m.host = t.id) "
        "and t.name != t.id order by (select count(*) from meetings where host = t.id) desc, t.id limit 1"
    ).fetchone()
    hosted = {i for (i,) in conn.execute("select id from meetings where host = ?", (town_id,))}
    page.goto(site_url + "/douzelage/meetings_by_host", wait_until="domcontentloaded")
    assert page.get_by_label("town").get_attribute("list") == "town-choices"
    options = page.locator("datalist#town-choices option").evaluate_all("els => els.map(e => e.value)")
    assert sorted(options) == sorted(n for (n,) in conn.execute("select name from towns"))
    page.get_by_label("town").fill(folded(name).upper())
    page.get_by_role("button", name="Run SQL").click()
    page.wait_for_selector("table.rows-and-columns")
    links = page.locator("table.rows-and-columns td.col-meeting a")
    assert set(links.evaluate_all("els => els.map(e => e.textContent)")) == hosted
    page.screenshot(path=screenshots / "canned-query-by-town-name.png", full_page=True)
    first = links.first.inner_text()
    links.first.click()
    page.wait_for_url(f"**/meeting/{first}")
    title = conn.execute("select title from meetings where id = ?", (first,)).fetchone()[0]
    assert page.locator("h1").inner_text().startswith(title[:20])


def test_an_unknown_town_gets_a_hint_and_the_towns_to_choose_from(page, site_url, conn):
    page.goto(site_url + "/douzelage/town_activity?town=Atlantis", wait_until="domcontentloaded")
    assert "No member town is called “Atlantis”" in page.get_by_role("status").inner_text()
    choices = page.locator("details.town-choices")
    assert choices.get_attribute("open") is not None
    names = dict(conn.execute("select name, id from towns"))
    assert sorted(choices.locator("a").all_inner_texts()) == sorted(names)
    choices.get_by_role("link", name="Sherborne", exact=True).click()
    page.wait_for_url("**/town_activity?town=sherborne")
    assert page.locator("table.rows-and-columns tbody tr").count() > 0
    assert page.get_by_role("status").count() == 0


def test_a_query_that_takes_a_meeting_offers_the_meetings(page, site_url, conn):
    page.goto(site_url + "/douzelage/meeting_travel_distances?meeting=no-such-meeting", wait_until="domcontentloaded")
    assert "No meeting has the id “no-such-meeting”" in page.get_by_role("status").inner_text()
    assert page.get_by_label("meeting").get_attribute("list") == "meeting-choices"
    choices = page.locator("details.meeting-choices a")
    assert choices.count() == conn.execute("select count(*) from meetings").fetchone()[0]
    meeting_id, title = conn.execute(
        "select m.id, m.title from meetings m where exists (select 1 from meeting_towns t where t.meeting = m.id) "
        "order by m.start_date desc limit 1"
    ).fetchone()
    page.locator("details.meeting-choices").get_by_role("link", name=title, exact=True).click()
    page.wait_for_url(f"**/meeting_travel_distances?meeting={meeting_id}")
    named = conn.execute("select count(*) from meeting_towns where meeting = ?", (meeting_id,)).fetchone()[0]
    assert page.locator("table.rows-and-columns tbody tr").count() == named + 1  # each town, and the total


# --- the guide ----------------------------------------------------------------------------------------------


def test_the_guide_is_reached_from_the_nav_and_the_database_page(page, site_url):
    page.goto(site_url + "/", wait_until="domcontentloaded")
    page.locator(".site-nav").get_by_role("link", name="SQL").click()
    page.wait_for_url("**/guide")
    assert page.locator("h1").inner_text() == "A guide to the data"
    page.goto(site_url + "/douzelage", wait_until="domcontentloaded")
    page.locator(".guide-link").get_by_role("link", name="The guide").click()
    page.wait_for_url("**/guide")


def test_the_guide_draws_every_table_and_every_foreign_key(page, site_url, descriptor, screenshots):
    page.goto(site_url + "/guide", wait_until="domcontentloaded")
    tables = {r["name"] for r in descriptor["resources"] if r.get("schema", {}).get("fields")}
    keys = {
        (f"{r['name']}.{a}", f"{fk['reference'].get('resource') or r['name']}.{b}")
        for r in descriptor["resources"]
        for fk in r.get("schema", {}).get("foreignKeys", [])
        for a, b in zip(fk["fields"], fk["reference"]["fields"])
    }
    drawn = page.locator("figure.schema-diagram g.schema-table").evaluate_all("els => els.map(e => e.dataset.table)")
    assert sorted(drawn) == sorted(tables)
    lines = page.locator("figure.schema-diagram path[data-from]").evaluate_all(
        "els => els.map(e => [e.dataset.from, e.dataset.to])"
    )
    assert {tuple(line) for line in lines} == keys and len(lines) == len(keys)
    listed = page.locator("table.joins-table tbody tr").evaluate_all("els => els.map(e => e.dataset.from)")
    assert sorted(listed) == sorted(a for a, _ in keys)
    figure = page.locator("figure.schema-diagram svg").bounding_box()
    for g in page.locator("figure.schema-diagram g.schema-table").all():  # every box inside the picture
        box = g.bounding_box()
        assert figure["x"] - 1 <= box["x"] and box["x"] + box["width"] <= figure["x"] + figure["width"] + 1
    page.locator("figure.schema-diagram").screenshot(path=screenshots / "guide-diagram.png")
    page.screenshot(path=screenshots / "guide-desktop.png", full_page=True)


def test_each_worked_question_runs_from_the_guide(page, site_url, screenshots):
    questions = load_yaml(SITE / "site.yaml")["guide"]
    page.goto(site_url + "/guide", wait_until="domcontentloaded")
    assert page.locator("ol.worked-questions > li").count() == len(questions) == 10
    for i, q in enumerate(questions):
        page.goto(site_url + "/guide", wait_until="domcontentloaded")
        item = page.locator("ol.worked-questions > li").nth(i)
        assert item.locator("h3").inner_text() == q["question"]
        item.get_by_role("link", name="Run it").click()
        page.wait_for_selector("table.rows-and-columns, .message-error")
        assert page.locator(".message-error").count() == 0, q["question"]
        assert page.locator("table.rows-and-columns tbody tr").count() > 0, q["question"]
        if i == 0:
            page.screenshot(path=screenshots / "guide-question-run.png", full_page=True)


def test_the_guide_gives_a_citation_the_limits_and_the_database_file(page, site_url, db_path):
    settings = load_yaml(SITE / "site.yaml")["settings"]
    page.goto(site_url + "/guide", wait_until="domcontentloaded")
    citation = page.locator("blockquote.citation")
    row_url = citation.locator("a").first.get_attribute("href")
    assert "/douzelage/towns/" in row_url
    assert page.request.get(row_url).status == 200
    limits = page.locator("#limits + ul").inner_text()
    assert f"{settings['sql_time_limit_ms']:,} ms" in limits and f"{settings['max_returned_rows']:,} rows" in limits
    href = page.locator("#everything ~ p a[download]").get_attribute("href")
    assert page.request.get(site_url + href).body() == db_path.read_bytes()


# --- developers ------------------------------------------------------------------------------------------


def test_the_catalogue_link_opens_a_page_a_person_reads(page, site_url, package, screenshots):
    doc = json.loads((package / "dcat" / "catalogue.jsonld").read_text(encoding="utf-8"))
    distributions = [n for n in doc["@graph"] if n["@type"] == "dcat:Distribution"]
    for start in ("/", "/downloads"):
        page.goto(site_url + start, wait_until="domcontentloaded")
        page.get_by_role("link", name="DCAT-AP catalogue").first.click()
        page.wait_for_url("**/catalogue")
        assert page.locator("h1").inner_text() == "Data catalogue"
    rows = page.locator("table.distributions tbody tr")
    assert rows.count() == len(distributions)
    sizes = sorted(int(b) for b in rows.locator("td[data-bytes]").evaluate_all("els => els.map(e => e.dataset.bytes)"))
    assert sizes == sorted(int(d["dcat:byteSize"]["@value"]) for d in distributions)
    page.screenshot(path=screenshots / "catalogue-desktop.png", full_page=True)
    for name, media in (
        ("Turtle", "text/turtle"),
        ("RDF/XML", "application/rdf+xml"),
        ("JSON-LD", "application/ld+json"),
    ):
        href = page.locator(".lede").get_by_role("link", name=name, exact=True).get_attribute("href")
        assert page.request.get(site_url + href).headers["content-type"].startswith(media)


def test_the_api_page_shows_examples_at_the_sites_address(page, site_url, screenshots):
    page.goto(site_url + "/api", wait_until="domcontentloaded")
    examples = page.locator("pre.curl").all_inner_texts()
    assert len(examples) >= 10
    assert all(re.match(r"curl (-H '[^']+' )?'https?://[^/]", e) for e in examples), examples
    page.screenshot(path=screenshots / "api-desktop.png", full_page=True)


@pytest.mark.parametrize("path, name", [("/guide", "guide"), ("/api", "api"), ("/catalogue", "catalogue")])
def test_the_help_pages_fit_a_phone_screen(browser, site_url, screenshots, path, name):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(site_url + path, wait_until="domcontentloaded")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    page.screenshot(path=screenshots / f"{name}-phone.png", full_page=True)
    context.close()
    assert overflow <= 1, f"{path} is {overflow}px wider than a phone screen"
