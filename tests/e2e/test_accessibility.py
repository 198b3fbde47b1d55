"""Accessible to everyone (issue 16, §3): every public page passes an automated WCAG 2.1 AA audit (axe-core,
bundled by the PyPI package axe-playwright-python; no CDN) with no serious or critical violation, is usable
by keyboard alone (focus visible, a skip link, the map's content also as a list of links), and keeps its
layout on a phone (390 px) and at 200% zoom (a 1280 px window seen as 640 CSS px at twice the pixels).

Each page's findings, every impact, go to test-output/axe/<page>.json, and its screenshots at 1280 and
390 px to test-output/screenshots/<page>-<width>.png. To audit another page, add it to PUBLIC_PAGES (a
page of this site: skip link and <main> too) or DATASETTE_PAGES (Datasette's own table and SQL pages)."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from douzelage.layout import SITE

# name (the file names in test-output/) → path: every public page, a filtered list, and pages in Swedish
# (their text is longer than the English, and the skip link is translated).
PUBLIC_PAGES = {
    "landing": "/",
    "town": "/town/granville",
    "meeting": "/meeting/general-meeting-2018-oxelosund",
    "project": "/project/actage-juniors-for-seniors",
    "towns": "/towns",
    "meetings": "/meetings",
    "projects": "/projects",
    "meetings-filtered": "/meetings?country=SE&kind=general+meeting",
    "search": "/search?q=music",
    "search-empty": "/search",
    "downloads": "/downloads",
    "coverage": "/coverage",
    "dictionary": "/dictionary",
    "guide": "/guide",
    "api": "/api",
    "catalogue": "/catalogue",  # the HTML view: a browser asks for text/html
    "landing-sv": "/sv/",
    "town-sv": "/sv/town/granville",
    "meetings-sv": "/sv/meetings?year=2018",
}
DATASETTE_PAGES = {
    "table-towns": "/douzelage/towns",
    "row-town": "/douzelage/towns/granville",
    "sql": "/douzelage",
    "canned-query": "/douzelage/meetings_in_year?year=2022",
}
ALL_PAGES = {**PUBLIC_PAGES, **DATASETTE_PAGES}
WCAG_AA = {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}
BLOCKING = {"serious", "critical"}
WIDTHS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}
AXE = Axe()


def i18n():
    """The site's language plugin (site/plugins/i18n.py), for the text a page shows in its language."""
    spec = importlib.util.spec_from_file_location("i18n_under_test", SITE / "plugins" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(page, url: str) -> None:
    """Open the page and wait for what scripts draw (the map's markers), so the audit sees it whole."""
    page.goto(url, wait_until="load")
    if page.locator("#town-map").count():
        page.wait_for_selector("#town-map[data-markers]")


def scroll_width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


@pytest.fixture(scope="module")
def axe_output(screenshots):
    folder = screenshots / "axe"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def screenshot_folder(screenshots):
    folder = screenshots / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("name", list(ALL_PAGES))
def test_a_page_passes_the_wcag_aa_audit_at_desktop_and_phone_width(
    browser, site_url, axe_output, screenshot_folder, name
):
    findings, blocking = {}, []
    for width, viewport in WIDTHS.items():
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        try:
            load(page, site_url + ALL_PAGES[name])
            results = AXE.run(page).response
            page.screenshot(path=screenshot_folder / f"{name}-{width}.png", full_page=True)
        finally:
            context.close()
        violations = results["violations"]
        findings[width] = {
            "url": ALL_PAGES[name],
            "axe": results["testEngine"]["version"],
            "counts": {
                impact: sum(1 for v in violations if v["impact"] == impact)
                for impact in ("critical", "serious", "moderate", "minor")
            },
            "violations": violations,
        }
        blocking += [
            f"{width} px: {v['id']} ({v['impact']}) at {[n['target'] for n in v['nodes'][:5]]}: {v['help']}"
            for v in violations
            if v["impact"] in BLOCKING and WCAG_AA & set(v["tags"])
        ]
    (axe_output / f"{name}.json").write_text(json.dumps(findings, indent=1, ensure_ascii=False), encoding="utf-8")
    assert blocking == [], "\n".join(blocking)


@pytest.mark.parametrize("name", list(ALL_PAGES))
def test_a_page_does_not_scroll_sideways_on_a_phone_nor_at_200_percent_zoom(browser, site_url, name):
    for viewport, scale in (({"width": 390, "height": 844}, 1), ({"width": 640, "height": 450}, 2)):
        context = browser.new_context(viewport=viewport, device_scale_factor=scale)
        page = context.new_page()
        try:
            load(page, site_url + ALL_PAGES[name])
            width = scroll_width(page)
        finally:
            context.close()
        assert width <= viewport["width"], f"{ALL_PAGES[name]} is {width} px wide in a {viewport['width']} px window"


@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
def test_the_first_tab_reaches_a_skip_link_that_moves_focus_to_the_content(browser, site_url, name):
    context = browser.new_context(viewport=WIDTHS["1280"])
    page = context.new_page()
    try:
        load(page, site_url + PUBLIC_PAGES[name])
        page.keyboard.press("Tab")
        focused = page.evaluate("({text: document.activeElement.textContent, href: document.activeElement.hash})")
        lang = page.evaluate("document.documentElement.lang")
        prefix = re.match(r"/([a-z]{2})/", PUBLIC_PAGES[name])
        assert lang == (prefix.group(1) if prefix else "en")
        assert focused == {"text": i18n().gettext(lang, "Skip to content"), "href": "#main"}
        box = page.locator(".skip-link").bounding_box()
        assert box is not None and box["x"] >= 0 and box["y"] >= 0  # shown on screen while it has the focus
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        assert page.evaluate("document.activeElement.tagName") == "MAIN"
    finally:
        context.close()


def outline(page) -> dict:
    return page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return {style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor}; }"""
    )


@pytest.mark.parametrize(
    "path, selector",
    [
        ("/", ".site-nav a"),
        ("/", "#q"),
        ("/", ".search-box button"),
        ("/", "main table a"),
        ("/", "main details summary"),
        ("/", "#town-map .town-marker"),
        ("/douzelage/towns", "select[name='_filter_column']"),
        ("/towns", ".list-filters select"),
        ("/guide", "figure.schema-diagram a"),
    ],
)
def test_the_keyboard_focus_is_visible(browser, site_url, path, selector):
    """Reached by Tab, each kind of control draws an outline of at least 2 px (:focus-visible in
    site/static/site.css), in a colour that is not the page's background."""
    context = browser.new_context(viewport=WIDTHS["1280"])
    page = context.new_page()
    try:
        load(page, site_url + path)
        target = page.locator(selector).first
        target.evaluate("e => e.setAttribute('data-target', '')")
        for _ in range(400):  # Tab until the control has the focus, as a keyboard user would
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.hasAttribute('data-target')"):
                break
        else:
            pytest.fail(f"{selector} on {path} is not reached with Tab")
        found = outline(page)
        assert found["style"] != "none" and found["width"] >= 2, found
        assert found["color"] not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"), found
    finally:
        context.close()


@pytest.mark.parametrize("path, listing", [("/town/granville", "#nearest-heading + ol"), ("/", "table.towns-list")])
def test_the_maps_markers_are_also_a_list_of_links(browser, site_url, path, listing):
    """What the map shows a sighted mouse user is on the page as text: each marker's town is a link in
    the list beside the map (on a town page the town itself is the page)."""
    context = browser.new_context(viewport=WIDTHS["1280"])
    page = context.new_page()
    try:
        load(page, site_url + path)
        marked = set(
            page.locator("#town-map .town-marker:not(.town-marker-this)").evaluate_all(
                "els => els.map(e => e.dataset.town)"
            )
        )
        assert marked
        hrefs = page.locator(f"{listing} a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        listed = {m.group(1) for h in hrefs if (m := re.fullmatch(r".*/town/([a-z0-9-]+)", h))}
        assert marked <= listed, f"on the map but not in the list: {sorted(marked - listed)}"
    finally:
        context.close()
