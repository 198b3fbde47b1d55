"""The small maps of the meeting, project and town pages and their key, in headless Debian Chromium against
a real `douzelage serve` of the real data. Map tiles cannot load here (no network): the maps are checked by
their markers, drawn by site/static/town-map.js with the Leaflet this site serves; every expected marker
is counted with SQL in the database the site serves."""

import pytest


def markers(page) -> dict[str, str]:
    page.wait_for_selector("#town-map[data-markers]")
    found = page.locator("#town-map .town-marker").evaluate_all("els => els.map(e => [e.dataset.town, e.className])")
    return dict(found)


def legend_items(page) -> list[str]:
    return [t.strip() for t in page.locator("#map-legend .legend-item").all_inner_texts()]


def test_a_meeting_page_maps_its_host_and_the_towns_named_as_taking_part(page, site_url, sql, screenshots):
    meeting, host, host_name = sql(
        "select m.id, m.host, t.name from meetings m join towns t on t.id = m.host "
        "where t.latitude is not null order by (select count(*) from meeting_towns where meeting = m.id) desc, m.id"
    )[0]
    on_map = {
        r[0]
        for r in sql(
            "select id from towns where latitude is not null and longitude is not null and (id = ? or id in "
            "(select town from meeting_towns where meeting = ?))",
            host,
            meeting,
        )
    }
    assert len(on_map) > 1
    page.goto(f"{site_url}/meeting/{meeting}", wait_until="domcontentloaded")
    drawn = markers(page)
    assert set(drawn) == on_map
    assert [t for t, c in drawn.items() if "town-marker-this" in c] == [host]
    assert f"the host, {host_name}" in legend_items(page)
    page.locator("#map-heading").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "meeting-map.png")


def test_a_meeting_whose_host_no_participant_list_names_is_still_on_its_map(page, site_url, sql):
    meeting, host = sql(
        "select m.id, m.host from meetings m join towns t on t.id = m.host where t.latitude is not null "
        "and not exists (select 1 from meeting_towns where meeting = m.id and town = m.host) order by m.id"
    )[0]
    page.goto(f"{site_url}/meeting/{meeting}", wait_until="domcontentloaded")
    drawn = markers(page)
    assert host in drawn and "town-marker-this" in drawn[host]


def test_a_meeting_with_no_host_maps_only_the_towns_named_and_marks_none(page, site_url, sql):
    meeting = sql("select id from meetings where host is null order by id")[0][0]
    named = {
        r[0]
        for r in sql(
            "select t.id from meeting_towns mt join towns t on t.id = mt.town "
            "where mt.meeting = ? and t.latitude is not null and t.longitude is not null",
            meeting,
        )
    }
    page.goto(f"{site_url}/meeting/{meeting}", wait_until="domcontentloaded")
    assert "host not stated by our sources" in page.locator("p.lede").inner_text()
    if not named:
        assert page.locator("#town-map").count() == 0
        return
    drawn = markers(page)
    assert set(drawn) == named
    assert not any("town-marker-this" in c for c in drawn.values())
    assert not any(t.startswith("the host") for t in legend_items(page))


def test_a_project_page_maps_its_lead_and_partner_towns(page, site_url, sql, screenshots):
    project, lead, lead_name = sql(
        "select p.id, p.lead, t.name from projects p join towns t on t.id = p.lead "
        "order by (select count(*) from project_towns where project = p.id) desc, p.id"
    )[0]
    on_map = {
        r[0]
        for r in sql(
            "select t.id from project_towns pt join towns t on t.id = pt.town "
            "where pt.project = ? and t.latitude is not null and t.longitude is not null",
            project,
        )
    }
    page.goto(f"{site_url}/project/{project}", wait_until="domcontentloaded")
    drawn = markers(page)
    assert set(drawn) == on_map and len(on_map) > 1
    assert [t for t, c in drawn.items() if "town-marker-this" in c] == [lead]
    assert f"the lead town, {lead_name}" in legend_items(page)
    page.locator("#map-heading").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "project-map.png")


@pytest.mark.parametrize("status", ["current", "former"])
def test_the_town_pages_map_has_a_key_to_its_markers(page, site_url, sql, screenshots, status):
    """The key names the town itself and the kinds of the other markers, and no kind that is not drawn."""
    town, name = sql(
        "select t.id, t.name from towns t where t.latitude is not null and ? in (select o.status from "
        "distances_both d join towns o on o.id = d.other where d.town = t.id order by d.km limit 5) order by t.id",
        status,
    )[0]
    page.goto(f"{site_url}/town/{town}", wait_until="domcontentloaded")
    drawn = markers(page)
    legend = page.locator("#map-legend")
    assert legend.is_visible()
    kinds = {c.split("town-marker-")[1].split()[0] for t, c in drawn.items() if t != town}
    expected = [name] + [f"{k} member" for k in ("current", "former") if k in kinds]
    assert legend_items(page) == expected
    assert f"{status} member" in expected
    # each key's swatch looks like its marker: the current ones by their colour, the former by their dashes
    look = {"current": "backgroundColor", "former": "borderStyle"}
    for kind in kinds:
        style = f"e => getComputedStyle(e).{look[kind]}"
        swatch = legend.locator(f".dot-{kind}").evaluate(style)
        assert swatch == page.locator(f"#town-map .town-marker-{kind}:not(.town-marker-this)").first.evaluate(style), (
            kind
        )
    this_swatch = legend.locator(".dot-this").evaluate("e => getComputedStyle(e).backgroundColor")
    this_marker = page.locator("#town-map .town-marker-this").evaluate("e => getComputedStyle(e).backgroundColor")
    assert this_swatch == this_marker
    page.locator("#map-heading").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / f"town-map-key-{status}.png")
