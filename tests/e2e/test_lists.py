"""The list pages (/towns, /meetings, /projects) as a person uses them: headless Debian Chromium, driven by
Playwright, against a real `douzelage serve` of the real data. Every number the tests expect is counted
with SQL in the database file the site serves, so they hold as the data grows."""

import re

import pytest

PHONE = {"width": 390, "height": 844}
PAGE_SIZE = 25  # site/plugins/list_pages.py
MEETING_YEAR = "coalesce(cast(substr(start_date, 1, 4) as integer), year)"


def rows(page):
    return page.locator("table.list-table tbody tr")


def row_links(page) -> list[str]:
    return rows(page).locator("td:first-child a").evaluate_all("els => els.map(e => e.getAttribute('href'))")


def count_text(page) -> str:
    return page.locator("p.list-count").inner_text()


@pytest.mark.parametrize(
    "name, path, table",
    [("Towns", "/towns", "towns"), ("Meetings", "/meetings", "meetings"), ("Projects", "/projects", "projects")],
)
def test_the_navigation_goes_to_the_readable_lists(page, site_url, sql, screenshots, name, path, table):
    page.goto(site_url + "/", wait_until="domcontentloaded")
    page.locator("ul.site-nav").get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(f"**{path}")
    total = sql(f"select count(*) from {table}")[0][0]
    assert count_text(page).startswith(f"All {total} {table}")
    assert rows(page).count() == min(total, PAGE_SIZE)
    page.screenshot(path=screenshots / f"list-{table}-desktop.png", full_page=True)


def test_filtering_meetings_by_kind_lists_only_that_kind_and_counts_them(page, site_url, sql, screenshots):
    kind, expected = sql("select kind, count(*) from meetings group by kind order by count(*) desc limit 1 offset 1")[0]
    total = sql("select count(*) from meetings")[0][0]
    page.goto(site_url + "/meetings", wait_until="domcontentloaded")
    page.get_by_label("Kind").select_option(kind)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r".*/meetings\?kind=.*"))
    assert count_text(page).startswith(f"{expected} of {total} meetings match these filters")
    assert rows(page).count() == min(expected, PAGE_SIZE)
    kinds = rows(page).locator("td:nth-child(3)").all_inner_texts()
    assert set(kinds) == {kind}
    assert page.get_by_label("Kind").input_value() == kind  # the form shows what is chosen
    ids = {h.rsplit("/", 1)[1] for h in row_links(page)}
    assert ids <= {r[0] for r in sql("select id from meetings where kind = ?", kind)}
    page.screenshot(path=screenshots / "list-meetings-by-kind.png", full_page=True)


def test_filtering_meetings_by_year_and_host_country_matches_the_database(page, site_url, sql):
    country, year, expected = sql(
        f"select t.country, {MEETING_YEAR} as y, count(*) from meetings m join towns t on t.id = m.host "
        "where y is not null group by 1, 2 order by 3 desc, 1, 2 limit 1"
    )[0]
    page.goto(f"{site_url}/meetings?year={year}&country={country}", wait_until="domcontentloaded")
    assert rows(page).count() == expected
    wanted = sql(
        f"select m.id from meetings m join towns t on t.id = m.host where t.country = ? and {MEETING_YEAR} = ?",
        country,
        year,
    )
    assert sorted(h.rsplit("/", 1)[1] for h in row_links(page)) == sorted(r[0] for r in wanted)


def test_the_next_page_shows_the_next_meetings(page, site_url, sql):
    order = "order by coalesce(start_date, year) is null, coalesce(start_date, year || '') desc, title"
    ids = [r[0] for r in sql(f"select id from meetings {order}")]
    assert len(ids) > PAGE_SIZE  # else there is no second page to test
    page.goto(site_url + "/meetings", wait_until="domcontentloaded")
    first = [h.rsplit("/", 1)[1] for h in row_links(page)]
    assert first == ids[:PAGE_SIZE]
    page.get_by_role("link", name="Next page").click()
    page.wait_for_url("**/meetings?page=2")
    second = [h.rsplit("/", 1)[1] for h in row_links(page)]
    assert second == ids[PAGE_SIZE : 2 * PAGE_SIZE]
    assert f"showing {PAGE_SIZE + 1}–{PAGE_SIZE + len(second)}, page 2 of" in count_text(page)
    page.get_by_role("link", name="Previous page").click()
    page.wait_for_url("**/meetings")
    assert [h.rsplit("/", 1)[1] for h in row_links(page)] == first


def test_paging_keeps_the_filters(page, site_url, sql):
    status, n = sql("select status, count(*) from meetings group by 1 order by 2 desc limit 1")[0]
    assert n > PAGE_SIZE
    page.goto(f"{site_url}/meetings?status={status}", wait_until="domcontentloaded")
    page.get_by_role("link", name="Next page").click()
    page.wait_for_url(f"**/meetings?status={status}&page=2")
    assert set(rows(page).locator("td:nth-child(5)").all_inner_texts()) <= {
        status,
        "planned",
        "announced; no source says it took place",
    }
    assert rows(page).count() == min(n - PAGE_SIZE, PAGE_SIZE)


def test_each_row_links_to_its_page(page, site_url, sql):
    page.goto(site_url + "/projects", wait_until="domcontentloaded")
    link = rows(page).first.locator("td:first-child a")
    title = link.inner_text()
    link.click()
    page.wait_for_url("**/project/*")
    assert page.locator("h1").inner_text() == title
    assert sql("select count(*) from projects where id = ? and title = ?", page.url.rsplit("/", 1)[1], title) == [(1,)]


def test_towns_by_country_and_the_data_behind_the_list_has_the_same_rows(page, site_url, sql):
    country, name, expected = sql(
        "select t.country, c.name, count(*) from towns t join countries c on c.code = t.country "
        "group by 1 order by 3 desc, 1 limit 1"
    )[0]
    page.goto(site_url + "/towns", wait_until="domcontentloaded")
    page.get_by_label("Country").select_option(label=name)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/towns?country={country}")
    assert rows(page).count() == expected
    assert set(rows(page).locator("td:nth-child(2)").all_inner_texts()) == {name}
    page.get_by_role("link", name="The data behind this list").click()
    page.wait_for_url(f"**/douzelage/towns?country={country}")
    assert page.locator("table.rows-and-columns tbody tr").count() == expected


def test_the_data_behind_a_filtered_meetings_list_has_the_same_rows(page, site_url, sql):
    """Year and host country are not columns of the meetings table: they map to `_where` clauses."""
    country, year, expected = sql(
        f"select t.country, {MEETING_YEAR} as y, count(*) from meetings m join towns t on t.id = m.host "
        "where y is not null group by 1, 2 order by 3 desc, 1, 2 limit 1"
    )[0]
    page.goto(f"{site_url}/meetings?year={year}&country={country}", wait_until="domcontentloaded")
    listed = sorted(h.rsplit("/", 1)[1] for h in row_links(page))
    page.get_by_role("link", name="The data behind this list").click()
    page.wait_for_url("**/douzelage/meetings?*")
    assert page.locator("table.rows-and-columns tbody tr").count() == expected
    ids = page.locator("table.rows-and-columns tbody td.col-id").all_inner_texts()
    assert sorted(ids) == listed


def test_projects_by_programme_and_year_match_the_database(page, site_url, sql):
    programme, year = sql(
        "select programme, coalesce(start_year, end_year) from projects where programme is not null "
        "and coalesce(start_year, end_year) is not null group by 1 order by count(*) desc limit 1"
    )[0]
    expected = sql(
        "select count(*) from projects where programme = ? and coalesce(start_year, end_year) <= ? "
        "and coalesce(end_year, start_year) >= ?",
        programme,
        year,
        year,
    )[0][0]
    page.goto(site_url + "/projects", wait_until="domcontentloaded")
    page.get_by_label("Programme").select_option(programme)
    page.get_by_label("Year").select_option(str(year))
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r".*/projects\?programme=.*&year=.*"))
    assert rows(page).count() == expected
    assert set(rows(page).locator("td:nth-child(2)").all_inner_texts()) == {programme}
    not_stated = sql("select count(*) from projects where programme is null")[0][0]
    page.get_by_label("Programme").select_option(label="not stated")
    page.get_by_label("Year").select_option("")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/projects?programme=-")
    total = sql("select count(*) from projects")[0][0]
    assert count_text(page).startswith(f"{not_stated} of {total} projects")


@pytest.mark.parametrize(
    "query, says",
    [
        ("/meetings?page=0", "“page” must be a whole number from 1 to"),
        ("/meetings?page=abc", "“page” must be a whole number"),
        ("/meetings?page=-1", "“page” must be a whole number"),
        ("/meetings?page=99999999999999999999999", "“page” must be a whole number"),
        ("/meetings?page=%C2%B2", "“page” must be a whole number"),
        ("/meetings?year=1850", "No meeting in this record is of the year “1850”"),
        ("/meetings?year=2018%27%20or%201=1--", "No meeting in this record is of the year “2018' or 1=1--”"),
        ("/meetings?kind=party", "“party” is not a kind of meeting in this record"),
        ("/towns?country=ZZ", "“ZZ” is not a country of the member towns"),
        ("/towns?country=SE&country=FR", "“country” is given 2 times"),
        ("/projects?programme=%00", "No project in this record is of the programme"),
        ("/projects?year=%F0%9F%98%80", "No project in this record ran in the year “😀”"),
        ("/projects?page=1e3", "“page” must be a whole number"),
        ("/towns?status=%7Bvalue%7D", "“{value}” is not a membership status"),
    ],
)
def test_a_bad_parameter_gives_a_400_page_that_says_what_to_choose(page, site_url, query, says):
    response = page.goto(site_url + query, wait_until="domcontentloaded")
    assert response.status == 400
    problem = page.locator(".problems")
    assert says in problem.inner_text()
    assert problem.get_by_role("link", name="Show the whole list").is_visible()
    assert page.locator("form.list-filters select").count() >= 2  # the choices are there to fix it
    assert rows(page).count() == 0


def test_a_page_past_the_end_is_not_found(page, site_url, sql):
    total = sql("select count(*) from meetings")[0][0]
    pages = -(-total // PAGE_SIZE)
    response = page.goto(f"{site_url}/meetings?page={pages + 1}", wait_until="domcontentloaded")
    assert response.status == 404
    assert f"the {total} meetings listed fill {pages} pages" in page.locator(".problems").inner_text()


@pytest.mark.parametrize("path", ["/towns", "/meetings?page=2", "/projects?programme=-"])
def test_the_lists_fit_a_phone_screen(browser, site_url, screenshots, path):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(site_url + path, wait_until="domcontentloaded")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px on a phone"
        name = path.strip("/").replace("?", "-").replace("=", "-").replace("&", "-")
        page.screenshot(path=screenshots / f"list-{name}-phone.png", full_page=True)
    finally:
        context.close()


# --- Datasette's own table pages: the rows come first ---------------------------------------------------


@pytest.mark.parametrize("table", ["towns", "meetings", "projects"])
def test_a_table_page_folds_its_column_descriptions_and_shows_a_row_above_the_fold(
    page, site_url, sql, screenshots, table
):
    columns = [r[1] for r in sql(f"pragma table_info({table})")]
    page.goto(f"{site_url}/douzelage/{table}", wait_until="domcontentloaded")
    fold = page.locator("details.column-descriptions")
    assert fold.count() == 1 and fold.get_attribute("open") is None
    assert fold.locator("summary").inner_text() == f"What the {len(columns)} columns mean"
    described = fold.locator("dt")
    assert described.count() == len(columns) and not described.first.is_visible()
    first = page.locator("table.rows-and-columns tbody tr").first
    box = first.bounding_box()
    assert box is not None and box["y"] + 20 <= page.viewport_size["height"], f"the first row starts at {box}"
    page.screenshot(path=screenshots / f"table-{table}-desktop.png")
    fold.locator("summary").click()
    assert described.first.is_visible()
    assert described.all_inner_texts() == columns


def test_the_towns_table_map_is_drawn_after_the_rows(page, site_url, sql):
    with_position = sql("select count(*) from towns where latitude is not null")[0][0]
    page.goto(f"{site_url}/douzelage/towns", wait_until="domcontentloaded")
    page.wait_for_selector("#table-map .leaflet-container")
    table = page.locator("table.rows-and-columns").bounding_box()
    drawn = page.locator("#table-map .leaflet-container").bounding_box()
    assert drawn["y"] >= table["y"] + table["height"]
    page.wait_for_function(
        "n => [...document.querySelectorAll('#table-map .marker-cluster span')]"
        ".reduce((s, e) => s + Number(e.textContent), 0) + "
        "document.querySelectorAll('#table-map .leaflet-marker-icon:not(.marker-cluster)').length === n",
        arg=with_position,
    )


def test_a_list_in_swedish_keeps_its_language_and_its_counts(page, site_url, sql):
    kind, expected = sql("select kind, count(*) from meetings group by kind order by count(*) desc limit 1")[0]
    total = sql("select count(*) from meetings")[0][0]
    page.goto(f"{site_url}/sv/meetings", wait_until="domcontentloaded")
    assert page.locator("html").get_attribute("lang") == "sv"
    page.get_by_label("Typ").select_option(kind)
    page.get_by_role("button", name="Visa").click()
    page.wait_for_url(re.compile(r".*/sv/meetings\?kind=.*"))
    assert count_text(page).startswith(f"{expected} av {total} möten")
    assert all(h.startswith("/sv/meeting/") for h in row_links(page))
    assert rows(page).count() == min(expected, PAGE_SIZE)
