"""Every internal link of the public pages, and every page of the sitemap, answers 200.

A crawler over the site as served (Datasette's in-process client): the public pages (landing, downloads,
search, coverage, dictionary, the lists of towns, meetings and projects with some of their filters and
pages, and every town, meeting and project page the sitemap lists) are fetched and
every internal `href` and `src` in them is requested; Datasette's own pages listed in the sitemap are
requested too (their links are Datasette's own, not crawled). The Swedish versions of the public pages
(/sv/…) are crawled as well, and every link they have to a public page stays in Swedish."""

from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit
from xml.etree import ElementTree

LISTS = ("/towns", "/meetings", "/projects")
PUBLIC = (
    "/",
    "/downloads",
    "/search?q=music",
    "/coverage",
    "/dictionary",
    *LISTS,
    "/meetings?page=2",
    "/meetings?kind=general+meeting",
    "/meetings?country=SE&status=held",
    "/meetings?year=2018",
    "/projects?programme=-",
    "/projects?year=2019",
    "/towns?status=former",
)
OWN_PAGES = ("/town/", "/meeting/", "/project/")
CRAWLED_LANGUAGE = "sv"  # one language besides English is crawled in full; the sitemap lists them all
PUBLIC += tuple(f"/{CRAWLED_LANGUAGE}{p}" for p in PUBLIC)
OWN_PAGES += tuple(f"/{CRAWLED_LANGUAGE}{p}" for p in OWN_PAGES)


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.found.append(value)


def internal_links(html: str, page: str) -> set[str]:
    parser = Links()
    parser.feed(html)
    out = set()
    for link in parser.found:
        link, _ = urldefrag(link)
        parts = urlsplit(link)
        if parts.scheme or parts.netloc or not link:  # another site, or only a fragment of this page
            continue
        out.add(link if link.startswith("/") else page.rsplit("/", 1)[0] + "/" + link)
    return out


async def sitemap_paths(ds) -> list[str]:
    r = await ds.client.get("/sitemap.xml")
    assert r.status_code == 200
    locs = [e.text for e in ElementTree.fromstring(r.text).iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    return [urlsplit(loc).path + (f"?{urlsplit(loc).query}" if urlsplit(loc).query else "") for loc in locs]


async def test_every_internal_link_of_the_public_pages_and_every_sitemap_page_answers_200(ds):
    sitemap = await sitemap_paths(ds)
    pages = list(dict.fromkeys([*PUBLIC, *(p for p in sitemap if p == "/" or p.startswith(OWN_PAGES))]))
    assert any(p.startswith("/town/") for p in pages) and any(p.startswith("/meeting/") for p in pages)
    assert set(LISTS) <= set(sitemap)
    assert any(p.startswith(f"/{CRAWLED_LANGUAGE}/town/") for p in pages) and f"/{CRAWLED_LANGUAGE}/" in pages
    links: dict[str, str] = {}  # link -> a page it is on
    broken = []
    for page in pages:
        r = await ds.client.get(page)
        if r.status_code != 200:
            broken.append(f"{page} answers {r.status_code}")
            continue
        for link in internal_links(r.text, page):
            links.setdefault(link, page)
            english = page[len(CRAWLED_LANGUAGE) + 1 :]  # the switcher's link to this page in English
            if page.startswith(f"/{CRAWLED_LANGUAGE}/") and link.startswith(OWN_PAGES[:3]) and link != english:
                broken.append(f"{link} (linked from {page}) leaves the page's language")
    for path in sitemap:
        links.setdefault(path, "/sitemap.xml")
    for link, page in sorted(links.items()):
        r = await ds.client.get(link)
        if r.status_code != 200:
            broken.append(f"{link} (linked from {page}) answers {r.status_code}")
    assert broken == []
    assert len(links) > 100  # the crawl reached the whole site, not one page


def test_the_crawler_finds_internal_links_and_leaves_out_other_sites_and_fragments():
    html = (
        '<a href="/town/a">a</a><a href="#main">skip</a><img src="/assets/x.png">'
        '<a href="https://example.org/">other</a><a href="/downloads#top">d</a><a href="b">rel</a>'
    )
    assert internal_links(html, "/town/x") == {"/town/a", "/assets/x.png", "/downloads", "/town/b"}
