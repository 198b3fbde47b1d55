"""The public pages in the towns' languages: every message translated, the language chosen by the URL, the
alternates and the switcher, dates and numbers written as each language writes them (checked against
babel's own formatting of the values in the database, not against strings written here)."""

import importlib.util
import re
import sqlite3
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from markupsafe import escape

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "site" / "locale"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_n": (1, 2)}  # as `make i18n-extract` (-k _n:1,2)
LANGUAGES = sorted(p.parent.parent.name for p in LOCALE.glob("*/LC_MESSAGES/messages.po"))
PUBLIC = [
    "/",
    "/downloads",
    "/search?q=music",
    "/coverage",
    "/dictionary",
    "/town/oxelosund",
    "/guide",
    "/api",
    "/towns",
    "/meetings?year=2018",
]


@pytest.fixture(scope="module")
def sql(db_path):
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row

    def run(query: str) -> list[dict]:
        return [dict(r) for r in conn.execute(query)]

    yield run
    conn.close()


def plugin(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "site" / "plugins" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def extracted() -> Catalog:
    """The messages the templates and plugins use now, extracted by babel with the repository's babel.cfg
    into a catalogue in memory (a temporary .pot, never written)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    pot = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        pot.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return pot


def catalogue(lang: str) -> Catalog:
    with (LOCALE / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def problems(pot: Catalog, po: Catalog) -> list[str]:
    """What keeps `po` from translating every message of `pot`: a message missing, fuzzy or untranslated
    (any plural form empty), or a translation whose placeholders differ from the message's."""
    out = []
    for message in pot:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        found = po.get(message.id)
        if found is None:
            out.append(f"missing: {key!r}")
            continue
        strings = found.string if isinstance(found.string, tuple | list) else (found.string,)
        if found.fuzzy:
            out.append(f"fuzzy: {key!r}")
        if not all(strings):
            out.append(f"untranslated: {key!r}")
        wanted = set(re.findall(r"%\((\w+)\)s", " ".join(message.id if isinstance(message.id, tuple) else [key])))
        for s in strings:
            if s and set(re.findall(r"%\((\w+)\)s", s)) - wanted:
                out.append(f"unknown placeholder in {s!r}")
    return out


def test_the_site_speaks_at_least_swedish_french_and_german():
    assert {"sv", "fr", "de"} <= set(LANGUAGES)
    assert plugin("i18n").languages() == ["en", *LANGUAGES]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_of_the_templates_and_plugins_is_translated(lang):
    pot = extracted()
    assert len(pot) > 150  # the extraction read the templates and the plugins
    assert problems(pot, catalogue(lang)) == []
    assert not [m for m in catalogue(lang) if m.id and m.fuzzy]  # no fuzzy entry left in the file either


def test_a_message_the_catalogue_lacks_fails_the_check():
    pot = extracted()
    po = catalogue("sv")
    pot.add("A sentence no catalogue has yet")
    pot.add(("%(num)s new town", "%(num)s new towns"))
    assert set(problems(pot, po)) == {"missing: '%(num)s new town'", "missing: 'A sentence no catalogue has yet'"}
    po.add("A sentence no catalogue has yet", "", flags=["fuzzy"])
    assert "fuzzy: 'A sentence no catalogue has yet'" in problems(pot, po)
    assert "untranslated: 'A sentence no catalogue has yet'" in problems(pot, po)


def test_the_guides_questions_in_site_yaml_are_messages_and_their_sql_is_not():
    """The worked questions and their explanations (site/site.yaml `guide:`) are extracted as messages
    (babel.cfg's site_yaml extractor), so a catalogue that lacks one fails the test above; the SQL is not."""
    guide = yaml.safe_load((ROOT / "site" / "site.yaml").read_text(encoding="utf-8"))["guide"]
    ids = {m.id for m in extracted() if m.id}
    texts = {q[key] for q in guide for key in ("question", "how")}
    assert len(texts) == 2 * len(guide) >= 20
    assert texts <= ids
    assert not {q["sql"] for q in guide} & ids
    pot = extracted()
    pot.add("Which town is new in the guide?")
    assert problems(pot, catalogue("sv")) == ["missing: 'Which town is new in the guide?'"]


def test_the_committed_template_of_messages_is_what_the_templates_use():
    """site/locale/messages.pot is what `make i18n-extract` writes: run it after changing a message."""
    with (LOCALE / "messages.pot").open("rb") as f:
        committed = {m.id for m in read_po(f) if m.id}
    assert committed == {m.id for m in extracted() if m.id}


# --- the language chosen by the URL ----------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", PUBLIC)
async def test_every_public_page_answers_in_every_language_with_its_alternates(ds, lang, path):
    r = await ds.client.get(f"/{lang}{path}")
    assert r.status_code == 200
    assert f'<html lang="{lang}">' in r.text and r.headers["content-language"] == lang
    hreflang = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', r.text))
    assert set(hreflang) == {"en", "x-default", *LANGUAGES}
    assert hreflang["x-default"] == hreflang["en"] and hreflang["en"].endswith(path)
    assert hreflang[lang].endswith(f"/{lang}{path}" if path != "/" else f"/{lang}/")
    switcher = r.text.split('<ul class="lang-switch"', 1)[1].split("</ul>", 1)[0]
    assert f'hreflang="{lang}" lang="{lang}" aria-current="true"' in switcher
    assert switcher.count("<a ") == len(LANGUAGES) + 1


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_guide_api_and_catalogue_speak_the_pages_language(ds, lang):
    """/guide, /api and the catalogue's HTML view in `lang`: their headings and the guide's worked questions as
    the catalogue translates them (read from the .po file, not written here), the SQL as it is, the links to
    the other public pages in the same language."""
    i18n = plugin("i18n")
    guide = yaml.safe_load((ROOT / "site" / "site.yaml").read_text(encoding="utf-8"))["guide"]
    pages = {
        "/guide": "A guide to the data",
        "/api": "The JSON API",
        "/catalogue": "Data catalogue",
    }
    for path, heading in pages.items():
        r = await ds.client.get(f"/{lang}{path}", headers={"Accept": "text/html"})
        assert r.status_code == 200 and f'<html lang="{lang}">' in r.text
        translated = i18n.gettext(lang, heading)
        assert translated != heading and f"<h1>{escape(translated)}</h1>" in r.text
        own = re.findall(r'href="(/[^"]*)"', r.text.split("<main", 1)[1])
        public = [u for u in own if re.match(r"/(sv/|fr/|de/)?(guide|api|downloads|dictionary|catalogue)$", u)]
        assert public and all(u.startswith(f"/{lang}/") for u in public)
        if path == "/guide":
            for q in guide:
                assert f"<h3>{escape(i18n.gettext(lang, q['question']))}</h3>" in r.text
                assert i18n.gettext(lang, q["question"]) != q["question"]
                assert f"<code>{escape(q['sql'])}</code>" in r.text


async def test_english_stays_at_the_root_and_says_so(ds):
    r = await ds.client.get("/town/oxelosund")
    assert r.status_code == 200 and '<html lang="en">' in r.text and "content-language" not in r.headers
    assert 'hreflang="en" lang="en" aria-current="true"' in r.text
    assert (await ds.client.get("/en/town/oxelosund")).status_code == 404  # English has no prefix


@pytest.mark.parametrize(
    "path", ["/douzelage", "/douzelage/towns?country=SE", "/douzelage/towns.json", "/-/versions.json", "/sitemap.xml"]
)
async def test_datasettes_own_pages_and_files_are_not_translated_and_their_prefix_redirects(ds, path):
    r = await ds.client.get(f"/sv{path}")
    assert r.status_code == 302 and r.headers["location"] == path
    page = await ds.client.get(path.replace(".json", ""))
    if page.headers["content-type"].startswith("text/html"):  # a page of Datasette's own: in English only
        assert 'class="lang-switch"' not in page.text and "hreflang" not in page.text


async def test_the_bare_prefix_goes_to_the_languages_landing_page(ds):
    r = await ds.client.get("/sv?x=1")
    assert r.status_code == 302 and r.headers["location"] == "/sv/?x=1"


async def test_links_of_a_page_keep_its_language(ds):
    html = (await ds.client.get("/sv/town/oxelosund")).text
    links = re.findall(r'href="(/[^"]*)"', html)
    own = [u for u in links if re.match(r"/(sv/)?(town|meeting|project|search|downloads|coverage)\b", u)]
    assert len(own) > 10
    assert [u for u in own if not u.startswith("/sv/") and u != "/town/oxelosund"] == []  # but the switcher's


# --- dates, numbers and sentences by language --------------------------------------------------------------


async def test_a_swedish_town_page_writes_dates_and_numbers_as_swedish_does(ds, sql):
    one_day = sql(
        "select host, start_date from meetings where host is not null and start_date is not null "
        "and (end_date is null or end_date = start_date) order by id limit 1"
    )[0]
    town = sql("select id, population from towns where population is not null order by population desc limit 1")[0]
    html = (await ds.client.get(f"/sv/town/{one_day['host']}")).text
    assert format_date(date.fromisoformat(one_day["start_date"]), "long", locale="sv") in html
    html = (await ds.client.get(f"/sv/town/{town['id']}")).text
    assert format_decimal(town["population"], locale="sv") in html


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_sentence_built_in_python_is_translated_whole(lang):
    pages = plugin("public_pages")
    for english, translated in [
        (pages.towns_named_text(1, 27), pages.towns_named_text(1, 27, lang)),
        (pages.towns_named_text(3, None), pages.towns_named_text(3, None, lang)),
        (
            pages.membership_text({"joined": 1998}, {"founder": 1}),
            pages.membership_text({"joined": 1998}, {"founder": 1}, lang),
        ),
        (pages.joined_text(None, 2004, 2008), pages.joined_text(None, 2004, 2008, lang)),
        (pages.meeting_when(None, None, 2014), pages.meeting_when(None, None, 2014, lang)),
    ]:
        assert translated != english
        assert re.findall(r"\d+", translated) == re.findall(r"\d+", english)  # the same figures, in order
    d = date(2018, 5, 11)
    assert pages.human_date("2018-05-11", lang) == format_date(d, "long", locale=lang)
    assert pages.human_dates("2018-05-11", None, lang) == format_date(d, "long", locale=lang)


def test_plurals_follow_the_language():
    pages = plugin("public_pages")
    assert pages.towns_named_text(1, None, "sv") != pages.towns_named_text(2, None, "sv").replace("2", "1")
    assert pages.population_text(10870, 2010, "sv") == f"{format_decimal(10870, locale='sv')} invånare (2010)"


async def test_the_sitemap_lists_every_public_page_in_every_language_with_its_alternates(ds):
    r = await ds.client.get("/sitemap.xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    root = ElementTree.fromstring(r.text)
    locs = {u.find("s:loc", ns).text: u for u in root.findall("s:url", ns)}
    for lang in LANGUAGES:
        assert f"http://localhost/{lang}/town/oxelosund" in locs and f"http://localhost/{lang}/" in locs
    alternates = {
        a.get("hreflang"): a.get("href") for a in locs["http://localhost/sv/town/oxelosund"].findall("x:link", ns)
    }
    assert alternates == {
        "en": "http://localhost/town/oxelosund",
        "x-default": "http://localhost/town/oxelosund",
        **{lang: f"http://localhost/{lang}/town/oxelosund" for lang in LANGUAGES},
    }
    assert not locs["http://localhost/douzelage/towns"].findall("x:link", ns)  # Datasette's pages: one language
    assert "http://localhost/sv/douzelage/towns" not in locs


@pytest.mark.parametrize("path", ["/sv//elsewhere.example/x.png", "/sv/\\elsewhere.example/x.png", "/sv///a.b/c.css"])
async def test_a_prefixed_address_never_redirects_to_another_site(ds, path):
    r = await ds.client.get(path)
    assert r.status_code < 500
    location = r.headers.get("location", "/")
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
