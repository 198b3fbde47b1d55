"""The site as a person uses it: headless Debian Chromium, driven by Playwright, against a real `datasette`.

Map tiles cannot load here (no network), so the map is checked by its markers, which are drawn by our
script with Leaflet from this site. Screenshots of each step go to test-output/ for a human to look at."""

import hashlib
import sqlite3

import pytest

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def towns(db_path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    rows = dict(conn.execute("select id, name from towns where latitude is not null and longitude is not null"))
    conn.close()
    return rows


def test_landing_page_map_shows_one_marker_per_member_town(page, site_url, towns, screenshots):
    page.goto(site_url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("#town-map[data-markers]")
    markers = page.locator("#town-map .town-marker")
    assert markers.count() == len(towns)
    assert set(markers.evaluate_all("els => els.map(e => e.dataset.town)")) == set(towns)
    assert page.locator("#town-map .town-marker-former").count() >= 1  # former members told apart
    for label in markers.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))"):
        assert label  # each marker has a text alternative
    page.screenshot(path=screenshots / "landing-desktop.png", full_page=True)


def test_clicking_a_town_on_the_map_opens_its_page(page, site_url, screenshots):
    page.goto(site_url + "/", wait_until="domcontentloaded")
    page.locator('#town-map .town-marker[data-town="oxelosund"]').click()
    page.locator(".leaflet-popup").get_by_role("link", name="Oxelösund").click()
    page.wait_for_url("**/town/oxelosund")
    assert page.locator("h1").inner_text().startswith("Oxelösund")
    assert page.get_by_role("heading", name="Meetings hosted (3)").is_visible()
    page.wait_for_selector("#town-map[data-markers]")
    assert page.locator("#town-map .town-marker-this").count() == 1
    page.screenshot(path=screenshots / "town-oxelosund-desktop.png", full_page=True)


def test_a_marker_is_reached_and_opened_with_the_keyboard(page, site_url):
    page.goto(site_url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("#town-map[data-markers]")
    marker = page.locator('#town-map .town-marker[data-town="granville"]')
    assert marker.get_attribute("tabindex") == "0"
    marker.focus()
    page.keyboard.press("Enter")
    assert page.locator(".leaflet-popup").get_by_role("link", name="Granville").is_visible()


def test_a_search_from_the_landing_page_finds_oxelosund(page, site_url, screenshots):
    page.goto(site_url + "/", wait_until="domcontentloaded")
    page.get_by_label("Search towns, meetings and projects").fill("Oxelosund")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=Oxelosund")
    page.screenshot(path=screenshots / "search-oxelosund.png", full_page=True)
    page.locator(".results").get_by_role("link", name="Oxelösund", exact=True).click()
    page.wait_for_url("**/town/oxelosund")


def test_a_canned_query_runs_from_its_form(page, site_url, screenshots):
    page.goto(site_url + "/", wait_until="domcontentloaded")
    page.get_by_role("link", name="The meetings of a given year").click()
    page.get_by_label("year").fill("2022")
    page.get_by_role("button", name="Run SQL").click()
    page.wait_for_url("**/meetings_in_year?*year=2022*")
    table = page.locator("table.rows-and-columns")
    assert "46th Douzelage General Meeting, Škofja Loka" in table.inner_text()
    page.screenshot(path=screenshots / "canned-query-meetings-in-2022.png", full_page=True)


def test_each_download_link_returns_its_file(page, site_url, package, screenshots):
    page.goto(site_url + "/", wait_until="domcontentloaded")
    page.get_by_role("link", name="Downloads", exact=True).first.click()
    page.wait_for_url("**/downloads")
    rows = page.locator("table.downloads tbody tr")
    # every file of the package but the manifest the list is read from (meta/manifest.json)
    assert rows.count() == sum(1 for p in package.rglob("*") if p.is_file()) - 1
    for i in range(rows.count()):
        row = rows.nth(i)
        path = row.get_attribute("data-path")
        href = row.locator("a[download]").get_attribute("href")
        body = page.request.get(site_url + href).body()
        assert body == (package / path).read_bytes(), path
        assert hashlib.sha256(body).hexdigest() in row.inner_text(), path
    page.screenshot(path=screenshots / "downloads-desktop.png", full_page=True)


@pytest.mark.parametrize(
    "path, name",
    [
        ("/", "landing"),
        ("/town/skofja-loka", "town-skofja-loka"),
        ("/meeting/general-meeting-2022-skofja-loka", "meeting-2022"),
        ("/project/actage-juniors-for-seniors", "project-actage"),
        ("/downloads", "downloads"),
        ("/search?q=music", "search-music"),
        ("/douzelage/towns", "table-towns"),
        ("/sv/town/oxelosund", "town-oxelosund-sv"),
        ("/de/", "landing-de"),
        ("/fr/meeting/general-meeting-2018-oxelosund", "meeting-2018-fr"),
    ],
)
def test_pages_fit_a_phone_screen(browser, site_url, screenshots, path, name):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(site_url + path, wait_until="domcontentloaded")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px on a phone"
        assert page.locator("img:not([alt])").count() == 0
        page.screenshot(path=screenshots / f"{name}-phone.png", full_page=True)
    finally:
        context.close()


def test_the_skip_link_takes_the_keyboard_to_the_content(page, site_url):
    page.goto(site_url + "/town/granville", wait_until="domcontentloaded")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_a_meeting_page_reads_true_to_a_person(page, site_url, screenshots):
    """What the sources name beside what was represented; a note's source as a link titled by the source."""
    page.goto(site_url + "/meeting/general-meeting-2018-oxelosund", wait_until="domcontentloaded")
    said = page.locator("p.towns-named").inner_text()
    assert said == "The sources name 1 of the 27 towns represented; the rest are not named in any source read."
    note = page.locator("dt:has-text('Note') + dd")
    link = note.get_by_role("link", name="GM Newsletter 1")
    assert link.get_attribute("href") == "https://douzelage.eu/gm-newsletter-1/"
    assert "douzelage-eu-gm-newsletter-1-2018" not in page.locator("main").inner_text()
    assert "workshop_participants" not in page.locator("main").inner_text()
    page.screenshot(path=screenshots / "meeting-oxelosund-2018.png", full_page=True)


def test_a_past_meeting_still_planned_reads_as_announced(page, site_url):
    page.goto(site_url + "/meeting/general-meeting-2003-holstebro", wait_until="domcontentloaded")
    assert page.locator("dt:has-text('Status') + dd").inner_text() == "announced; no source says it took place"
    page.goto(site_url + "/", wait_until="domcontentloaded")
    tags = page.locator("li:has(a:has-text('Holstebro (autumn 2003)')) .tag")
    assert tags.inner_text() == "announced; no source says it took place"


def test_the_coverage_page_says_none_known_for_a_year_with_no_known_general_meeting(page, site_url):
    page.goto(site_url + "/coverage", wait_until="domcontentloaded")
    row = page.locator("tr.no-general-meeting").first
    assert row.locator("td").nth(2).inner_text() == "none known"
    assert "none held" not in page.locator("body").inner_text()


# --- the towns' languages -------------------------------------------------------------------------------


def test_the_switcher_goes_from_english_to_swedish_and_back(page, site_url, screenshots):
    page.goto(site_url + "/", wait_until="domcontentloaded")
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator(".lang-switch").get_by_role("link", name="Svenska").click()
    page.wait_for_url(site_url + "/sv/")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.locator(".lang-switch a[aria-current]").inner_text() == "Svenska"
    assert page.locator("h1").inner_text() != "The Douzelage, in open data"  # the interface is translated
    page.screenshot(path=screenshots / "landing-sv-desktop.png", full_page=True)
    page.locator(".lang-switch").get_by_role("link", name="English").click()
    page.wait_for_url(site_url + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "The Douzelage, in open data"


def test_the_hreflang_alternates_of_a_page_are_there_and_each_answers(page, site_url):
    page.goto(site_url + "/sv/town/oxelosund", wait_until="domcontentloaded")
    links = page.locator('head link[rel="alternate"][hreflang]').evaluate_all(
        "els => els.map(e => [e.hreflang, e.href])"
    )
    alternates = dict(links)
    assert {"en", "sv", "fr", "de", "x-default"} <= set(alternates)
    assert alternates["x-default"] == alternates["en"] == site_url + "/town/oxelosund"
    for lang, url in alternates.items():
        r = page.request.get(url)
        assert r.status == 200, f"{lang}: {url} answers {r.status}"
        if lang != "x-default":
            assert f'<html lang="{lang}">' in r.text()


def test_a_swedish_town_page_writes_its_dates_in_swedish(page, site_url, db_path, screenshots):
    from datetime import date

    from babel.dates import format_date
    from babel.numbers import format_decimal

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    host, start = conn.execute(
        "select host, start_date from meetings where host is not null and start_date is not null"
        " and (end_date is null or end_date = start_date) order by id limit 1"
    ).fetchone()
    population = conn.execute("select population from towns where id = ?", (host,)).fetchone()[0]
    conn.close()
    page.goto(site_url + f"/sv/town/{host}", wait_until="domcontentloaded")
    assert page.locator("html").get_attribute("lang") == "sv"
    expected = format_date(date.fromisoformat(start), "long", locale="sv")  # e.g. '11 maj 2018'
    assert expected in page.locator("main .when").all_inner_texts()
    if population:
        assert format_decimal(population, locale="sv") in page.locator("main dl.facts").inner_text()
    page.screenshot(path=screenshots / f"town-{host}-sv-desktop.png", full_page=True)


def test_the_links_of_a_swedish_page_stay_in_swedish(page, site_url):
    page.goto(site_url + "/sv/town/oxelosund", wait_until="domcontentloaded")
    hrefs = page.locator("main a[href^='/'], header .site-nav a, header a.site-name").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    public = [h for h in hrefs if h.split("?")[0].split("/")[-1].count(".") == 0 and not h.startswith("/douzelage")]
    assert len(public) > 10
    assert [h for h in public if not h.startswith("/sv/")] == []  # the switcher aside, every public link
    page.locator("main").get_by_role("link", name="Sigulda", exact=True).first.click()
    page.wait_for_url("**/sv/town/sigulda")
    assert page.locator("html").get_attribute("lang") == "sv"
