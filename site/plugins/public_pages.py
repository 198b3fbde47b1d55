"""The pages for the public: the landing page's numbers, map and timeline, a page per town, meeting and
project, and one search box.

Datasette's own pages are made for people who know tables; these read the same database and present it
with human labels and dates written for people. Every query they run is named in site/site.yaml (the
`pages` section; the search page runs the `search` canned query, so the search API and the page agree);
this module keeps only the routes and the formatting for people. It reads the files the build wrote and
imports nothing from the build.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

import yaml
from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.utils.asgi import Response
from jinja2 import pass_context
from markupsafe import Markup, escape

from douzelage.serving.site_plugins import sibling

SITE_YAML = Path(__file__).resolve().parent.parent / "site.yaml"


def _i18n():
    """The language plugin (site/plugins/i18n.py): its catalogues and the formatting of dates and numbers."""
    return sibling(__file__, "i18n")


EN = "en"


def _tr(lang: str):
    return _i18n().translator(lang)


def human_date(value, lang: str = EN) -> str:
    """'2018-05-11' → '11 May 2018' ('11 maj 2018' in Swedish); a year stays a year; nothing → ''."""
    if not value:
        return ""
    text = str(value)
    if len(text) == 10:
        d = date.fromisoformat(text)
        return f"{d.day} {d:%B} {d.year}" if lang == EN else _i18n().format_date(d, lang)
    return text


def human_dates(start, end, lang: str = EN) -> str:
    """A date range as people write it: '11–12 May 2018', '28 September – 1 October 2023'."""
    _, _n = _tr(lang)
    if not start:
        return _("date not known")
    s = date.fromisoformat(start)
    e = date.fromisoformat(end) if end else s
    if lang != EN:
        return _i18n().format_date_range(s, e, lang)
    if e == s:
        return human_date(start)
    if (s.year, s.month) == (e.year, e.month):
        return f"{s.day}–{e.day} {e:%B} {e.year}"
    if s.year == e.year:
        return f"{s.day} {s:%B} – {e.day} {e:%B} {e.year}"
    return f"{human_date(start)} – {human_date(end)}"


def meeting_when(start, end, year=None, lang: str = EN) -> str:
    """A meeting's dates; where the sources give only its year, the year and that the dates are not known."""
    _, _n = _tr(lang)
    if not start and year:
        return _("%(year)s, dates not known", year=year)
    return human_dates(start, end, lang)


def year_range(start, end, lang: str = EN) -> str:
    """2019, 2022 → '2019–2022'; one year alone stays alone; neither → 'years not stated'."""
    _, _n = _tr(lang)
    return "–".join(str(y) for y in dict.fromkeys((start, end)) if y) or _("years not stated")


def position_text(latitude, longitude, lang: str = EN) -> str:
    _, _n = _tr(lang)
    if latitude is None or longitude is None:
        return _("not stated")
    lat, lon = abs(latitude), abs(longitude)
    if lang != EN:
        lat, lon = (_i18n().babel_format_decimal(v, format="0.######", locale=lang) for v in (lat, lon))
    # the compass letters: N(orth), S(outh), E(ast), W(est)
    ns = _("N") if latitude >= 0 else _("S")
    ew = _("E") if longitude >= 0 else _("W")
    return f"{lat}° {ns}, {lon}° {ew}"


def population_text(population, year, lang: str = EN) -> str | None:
    """'10 870 inhabitants (2023)', the number grouped as the language groups it."""
    _, _n = _tr(lang)
    if not population:
        return None
    number = f"{population:,}".replace(",", "\u202f") if lang == EN else _i18n().format_number(population, lang)
    text = _n("%(number)s inhabitant", "%(number)s inhabitants", population, number=number)
    return _("%(population)s (%(year)s)", population=text, year=year) if year else text


def grant_text(grant_eur, lang: str = EN) -> str | None:
    if not grant_eur:
        return None
    if lang == EN:
        return f"{grant_eur:,.0f} EUR".replace(",", "\u202f")
    return _i18n().format_number(round(grant_eur), lang) + " EUR"


def _joined(joined, earliest=None, latest=None) -> tuple[str, dict]:
    """What the sources say of when a town joined: a kind and its years."""
    if joined:
        return "year", {"year": joined}
    if earliest and earliest == latest:
        return "inferred", {"year": earliest}
    if earliest and latest:
        return "between", {"earliest": earliest, "latest": latest}
    if latest:
        return "by", {"year": latest}
    if earliest:
        return "after", {"year": earliest}
    return "unknown", {}


def _joined_phrase(kind: str, years: dict, lang: str) -> str:
    _, _n = _tr(lang)
    if kind == "year":
        return _("since %(year)s", **years)
    if kind == "inferred":
        return _("since %(year)s (inferred from the sources)", **years)
    if kind == "between":
        return _("joined between %(earliest)s and %(latest)s", **years)
    if kind == "by":
        return _("joined by %(year)s", **years)
    if kind == "after":
        return _("joined in %(year)s or later", **years)
    return _("join year not stated by our sources")


def joined_text(joined, earliest=None, latest=None, lang: str = EN) -> str:
    """When a town joined, saying no more than the sources: a year, a range from the evidence, or nothing."""
    return _joined_phrase(*_joined(joined, earliest, latest), lang)


def membership_text(town: dict, membership: dict | None, lang: str = EN) -> str:
    """'Member since 1998 (founder member)', 'Member (joined by 2019)', 'Former member: from 1997 to 2016'."""
    _, _n = _tr(lang)
    m = membership or {}
    kind, years = _joined(town.get("joined"), m.get("joined_earliest"), m.get("joined_latest"))
    if town.get("status") == "former":
        left = town.get("left")
        if kind == "year":
            text = (
                _("Former member: from %(year)s to %(left)s", left=left, **years)
                if left
                else _("Former member: from %(year)s", **years)
            )
        elif kind == "inferred":
            text = (
                _("Former member: from %(year)s (inferred from the sources) to %(left)s", left=left, **years)
                if left
                else _("Former member: from %(year)s (inferred from the sources)", **years)
            )
        else:
            joined = _joined_phrase(kind, years, lang)
            text = (
                _("Former member (%(joined)s) to %(left)s", joined=joined, left=left)
                if left
                else _("Former member (%(joined)s)", joined=joined)
            )
    elif kind == "year":
        text = _("Member since %(year)s", **years)
    elif kind == "inferred":
        text = _("Member since %(year)s (inferred from the sources)", **years)
    else:
        text = _("Member (%(joined)s)", joined=_joined_phrase(kind, years, lang))
    return _("%(membership)s (founder member)", membership=text) if m.get("founder") else text


PAST_PLANNED = "announced; no source says it took place"


def status_text(
    status: str, start_date=None, end_date=None, year=None, today: date | None = None, lang: str = EN
) -> str:
    """Whether a meeting took place, saying no more than the sources: 'held'; 'planned' while its date is
    ahead (or not known); once the date has passed with no report of the event, that it was announced."""
    _, _n = _tr(lang)
    if status != "planned":
        return term(status, lang)
    today = today or date.today()
    last = end_date or start_date
    if last:
        past = date.fromisoformat(last) < today
    else:
        past = year is not None and year < today.year
    return _("announced; no source says it took place") if past else _("planned")


def term(value, lang: str = EN) -> str:
    """A word of the data's vocabularies (a meeting's kind and status, a town's role) in `lang`; a word
    not listed stays as the data has it."""
    _, _n = _tr(lang)
    terms = {
        "held": _("held"),
        "planned": _("planned"),
        "current": _("current"),
        "former": _("former"),
        "general meeting": _("general meeting"),
        "education meeting": _("education meeting"),
        "exchange": _("exchange"),
        "music festival": _("music festival"),
        "study visit": _("study visit"),
        "youth meeting": _("youth meeting"),
        "other": _("other"),
        "lead": _("lead"),
        "partner": _("partner"),
        "host": _("host"),
        "town": _("town"),
        "meeting": _("meeting"),
        "project": _("project"),
        "source": _("source"),
    }
    return terms.get(value, value) if value is not None else ""


def towns_named_text(named: int, represented, lang: str = EN) -> str:
    """How many towns the sources name beside how many were represented, and what is not known."""
    _, _n = _tr(lang)
    if represented is None:
        return (
            _n(
                "The sources name %(num)s town that took part; how many towns were represented in all is not known.",
                "The sources name %(num)s towns that took part; how many towns were represented in all is not known.",
                named,
            )
            if named
            else _("No source read lists the towns that took part, nor how many were represented.")
        )
    if named == 0:
        return _n(
            "%(num)s town was represented; no source read names it.",
            "%(num)s towns were represented; no source read names them.",
            represented,
        )
    if named < represented:
        return _n(
            "The sources name %(named)s of the %(num)s town represented; the rest are not named in any source read.",
            "The sources name %(named)s of the %(num)s towns represented; the rest are not named in any source read.",
            represented,
            named=named,
        )
    if named == represented:
        return _n(
            "%(num)s town was represented, and the sources name it.",
            "%(num)s towns were represented, and the sources name them all.",
            represented,
        )
    return _n(
        "The sources name %(named)s towns, host included; the source of the figure counts %(num)s town represented.",
        "The sources name %(named)s towns, host included; the source of the figure counts %(num)s towns represented.",
        represented,
        named=named,
    )


_SOURCE_ID = re.compile(r"(?<![\w.-])[a-z0-9]+(?:-[a-z0-9]+)+(?![\w-])")
_COLUMN = re.compile(r"(?<![\w.])[a-z]+(?:_[a-z]+)+(?![\w])")


def _column_titles(datasette) -> dict[str, str]:
    """Each column written with underscores, as a word a person reads: its title in the Table Schemas of
    the served package's datapackage.json (the file the build wrote)."""
    folder = dict(datasette.static_mounts or []).get("downloads")
    path = Path(folder) / "datapackage.json" if folder else None
    if path is None or not path.is_file():
        return {}
    stat = path.stat()
    return _titles_of(path, stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=2)
def _titles_of(path: Path, size: int, mtime_ns: int) -> dict[str, str]:
    titles: dict[str, str] = {}
    for r in json.loads(path.read_text(encoding="utf-8"))["resources"]:
        for f in r.get("schema", {}).get("fields", []):
            if "_" in f["name"]:
                titles.setdefault(f["name"], f["title"][:1].lower() + f["title"][1:])
    return titles


async def _public_notes(db, rows: list[dict], key: str = "note") -> None:
    """Give each row `<key>_html`: its note as the public reads it. A source named by its id becomes a link
    titled by the source; a column named as in the files becomes its title; the rest is escaped text."""
    texts = [r.get(key) or "" for r in rows]
    wanted = sorted({m for t in texts for m in _SOURCE_ID.findall(t)})
    sources = (
        {r["id"]: r for r in await _rows(db, "public_note_sources", {"ids": json.dumps(wanted)})} if wanted else {}
    )
    titles = _column_titles(db.ds)

    def cited(match) -> str:
        s = sources.get(match.group(0))
        if s is None:
            return str(escape(match.group(0)))
        return f'<a href="{escape(s["url"])}">{escape(s["title"])}</a>' if s["url"] else str(escape(s["title"]))

    for r, text in zip(rows, texts):
        out, at = [], 0
        for m in _SOURCE_ID.finditer(text):
            out.append(_words(text[at : m.start()], titles))
            out.append(cited(m))
            at = m.end()
        out.append(_words(text[at:], titles))
        r[f"{key}_html"] = Markup("".join(out))


def _words(text: str, titles: dict[str, str]) -> str:
    return str(escape(_COLUMN.sub(lambda m: titles.get(m.group(0), m.group(0)), text)))


def page_queries() -> dict[str, str]:
    """The SQL of the public pages, by name: the `pages` section of site/site.yaml (read once per version)."""
    stat = SITE_YAML.stat()
    return _page_queries(stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=2)
def _page_queries(size: int, mtime_ns: int) -> dict[str, str]:
    return yaml.safe_load(SITE_YAML.read_text(encoding="utf-8"))["pages"]


async def _rows(db, name: str, params: dict | None = None) -> list[dict]:
    """Run the page query `name` of site/site.yaml; rows as dicts."""
    return [dict(r) for r in (await db.execute(page_queries()[name], params or {})).rows]


async def _claims(db, table: str, record: str) -> list[dict]:
    """What each source says about one record, where sources differ; the value used first."""
    claims = await _rows(db, "claims", {"table": table, "record": record})
    titles = _column_titles(db.ds)
    for c in claims:
        c["field_title"] = titles.get(c["field"], c["field"])
    await _public_notes(db, claims)
    return claims


async def _not_found(datasette, request, title: str, message: str) -> Response:
    html = await datasette.render_template(
        "error.html", {"ok": False, "error": message, "status": 404, "title": title}, request=request
    )
    return Response.html(html, status=404)


def _row_url(datasette, db, table: str, key: str) -> str:
    return datasette.urls.row(db.name, table, key)


def _map_points(datasette, lang: str, towns: list[dict], this: str | None = None) -> list[dict]:
    """The towns with a position, as town-map.js draws them; `this` (the page's own town, a meeting's host,
    a project's lead) is marked."""
    return [
        {
            "id": t["id"],
            "name": t["name"],
            "country_name": t["country_name"],
            "latitude": t["latitude"],
            "longitude": t["longitude"],
            "status": t["status"],
            "url": _page_url(datasette, lang, f"/town/{t['id']}"),
            **({"this": True} if t["id"] == this else {}),
        }
        for t in towns
        if t["latitude"] is not None and t["longitude"] is not None
    ]


def _page_url(datasette, lang: str, path: str) -> str:
    """The address of a public page in the language of the page that links to it."""
    return _i18n().localize(datasette, datasette.urls.path(path), lang)


def _lang(request) -> str:
    return _i18n().request_language(request)


async def landing(datasette, request=None) -> dict:
    db = datasette.get_database()
    lang = _lang(request)
    towns = await _rows(db, "landing_towns")
    meetings = await _rows(db, "landing_meetings")
    numbers = (await _rows(db, "landing_numbers"))[0]
    years_active = date.today().year - numbers["first_year"] if numbers["first_year"] else None
    for t in towns:
        t["url"] = _page_url(datasette, lang, f"/town/{t['id']}")
        t["membership"] = membership_text(t, t, lang)
    timeline: dict[str, list] = {}
    undated = []
    for m in meetings:
        m["when"] = meeting_when(m["start_date"], m["end_date"], m["year"], lang)
        m["status_text"] = status_text(m["status"], m["start_date"], m["end_date"], m["year"], lang=lang)
        m["url"] = _page_url(datasette, lang, f"/meeting/{m['id']}")
        m["host_url"] = _page_url(datasette, lang, f"/town/{m['host']}") if m["host"] else None
        if m["start_date"] or m["year"]:
            timeline.setdefault(m["start_date"][:4] if m["start_date"] else str(m["year"]), []).append(m)
        else:
            undated.append(m)
    queries = await datasette.get_canned_queries(db.name, None)
    map_towns = [
        {k: t[k] for k in ("id", "name", "country_name", "latitude", "longitude", "status", "url")}
        for t in towns
        if t["latitude"] is not None and t["longitude"] is not None
    ]
    return {
        "towns": towns,
        "map_towns_json": json.dumps(map_towns, ensure_ascii=False),
        "numbers": {**numbers, "years_active": years_active},
        "timeline": sorted(timeline.items(), reverse=True),
        "undated_meetings": undated,
        "canned_queries": [
            {
                "name": name,
                "title": q.get("title", name),
                "description": q.get("description", ""),
                "url": datasette.urls.query(db.name, name),
            }
            for name, q in queries.items()
            if name not in ("search", "meetings_feed")
        ],
        "database_name": db.name,
        "has_coverage_page": _template_exists(datasette, "pages/coverage.html"),
    }


def _template_exists(datasette, name: str) -> bool:
    try:
        datasette.jinja_env.get_template(name)
        return True
    except Exception:
        return False


async def town_page(request, datasette):
    db = datasette.get_database()
    town_id = request.url_vars["id"]
    lang = _lang(request)
    _, _n = _tr(lang)
    found = await _rows(db, "town", {"id": town_id})
    if not found:
        return await _not_found(
            datasette,
            request,
            _("Town not found"),
            _("No member town has the id “%(id)s”. The landing page lists them all.", id=town_id),
        )
    town = found[0]
    memberships = await _rows(db, "town_memberships", {"id": town_id})
    hosted = await _rows(db, "town_hosted", {"id": town_id})
    attended = await _rows(db, "town_attended", {"id": town_id})
    projects = await _rows(db, "town_projects", {"id": town_id})
    nearest = await _rows(db, "town_nearest", {"id": town_id})
    sources = await _rows(db, "town_sources", {"id": town_id})
    claims = await _claims(db, "towns", town_id)
    for m in hosted + attended:
        m["when"] = meeting_when(m["start_date"], m["end_date"], m.get("year"), lang)
        m["url"] = _page_url(datasette, lang, f"/meeting/{m['id']}")
    for m in hosted:
        m["status_text"] = status_text(m["status"], m["start_date"], m["end_date"], m["year"], lang=lang)
    await _public_notes(db, [town])
    for p in projects:
        p["url"] = _page_url(datasette, lang, f"/project/{p['id']}")
        p["years"] = year_range(p["start_year"], p["end_year"], lang)
        p["role_text"] = term(p["role"], lang)
    for t in nearest:
        t["url"] = _page_url(datasette, lang, f"/town/{t['id']}")
    map_points = [
        {
            "id": town["id"],
            "name": town["name"],
            "country_name": town["country_name"],
            "latitude": town["latitude"],
            "longitude": town["longitude"],
            "status": town["status"],
            "url": _page_url(datasette, lang, f"/town/{town['id']}"),
            "this": True,
        }
    ]
    map_points += [
        {k: t[k] for k in ("id", "name", "country_name", "latitude", "longitude", "status", "url")} for t in nearest
    ]
    context = {
        "town": town,
        "membership": membership_text(town, memberships[0] if memberships else None, lang),
        "hosted": hosted,
        "attended": attended,
        "projects": projects,
        "nearest": nearest,
        "sources": sources,
        "claims": claims,
        "map_towns_json": json.dumps(map_points, ensure_ascii=False),
        "map_points": map_points,
        "population_text": population_text(town.get("population"), town.get("population_year"), lang),
        "position_text": position_text(town["latitude"], town["longitude"], lang),
        "row_url": _row_url(datasette, db, "towns", town_id),
        "json_url": datasette.urls.row(db.name, "towns", town_id, format="json"),
    }
    return Response.html(await datasette.render_template("town.html", context, request=request, view_name="town"))


async def meeting_page(request, datasette):
    db = datasette.get_database()
    meeting_id = request.url_vars["id"]
    lang = _lang(request)
    _, _n = _tr(lang)
    found = await _rows(db, "meeting", {"id": meeting_id})
    if not found:
        return await _not_found(
            datasette,
            request,
            _("Meeting not found"),
            _("No meeting has the id “%(id)s”; the landing page's timeline lists them.", id=meeting_id),
        )
    meeting = found[0]
    towns = await _rows(db, "meeting_towns", {"id": meeting_id, "host": meeting["host"]})
    claims = await _claims(db, "meetings", meeting_id)
    await _public_notes(db, [meeting])
    for t in towns:
        t["url"] = _page_url(datasette, lang, f"/town/{t['id']}")
        t["role_text"] = term(t["role"], lang)
    on_map = list(towns)
    if meeting["host"] and all(t["id"] != meeting["host"] for t in towns):  # a host no participant list names
        host = {
            "id": meeting["host"],
            "name": meeting["host_name"],
            "country_name": meeting["host_country"],
            "latitude": meeting["host_latitude"],
            "longitude": meeting["host_longitude"],
            "status": meeting["host_status"],
        }
        on_map.insert(0, host)
    map_points = _map_points(datasette, lang, on_map, meeting["host"])
    context = {
        "map_towns_json": json.dumps(map_points, ensure_ascii=False),
        "map_points": map_points,
        "meeting": meeting,
        "when": meeting_when(meeting["start_date"], meeting["end_date"], meeting["year"], lang),
        "status_text": status_text(
            meeting["status"], meeting["start_date"], meeting["end_date"], meeting["year"], lang=lang
        ),
        "kind_text": term(meeting["kind"], lang),
        "towns_named_text": towns_named_text(len(towns), meeting["towns_represented"], lang),
        "towns": towns,
        "claims": claims,
        "host_url": _page_url(datasette, lang, f"/town/{meeting['host']}") if meeting["host"] else None,
        "row_url": _row_url(datasette, db, "meetings", meeting_id),
        "json_url": datasette.urls.row(db.name, "meetings", meeting_id, format="json"),
    }
    return Response.html(await datasette.render_template("meeting.html", context, request=request, view_name="meeting"))


async def project_page(request, datasette):
    db = datasette.get_database()
    project_id = request.url_vars["id"]
    lang = _lang(request)
    _, _n = _tr(lang)
    found = await _rows(db, "project", {"id": project_id})
    if not found:
        return await _not_found(
            datasette, request, _("Project not found"), _("No project has the id “%(id)s”.", id=project_id)
        )
    project = found[0]
    towns = await _rows(db, "project_towns", {"id": project_id})
    claims = await _claims(db, "projects", project_id)
    await _public_notes(db, [project])
    for t in towns:
        t["url"] = _page_url(datasette, lang, f"/town/{t['id']}")
        t["role_text"] = term(t["role"], lang)
    map_points = _map_points(datasette, lang, towns, project["lead"])
    context = {
        "map_towns_json": json.dumps(map_points, ensure_ascii=False),
        "map_points": map_points,
        "project": project,
        "years": year_range(project["start_year"], project["end_year"], lang),
        "towns": towns,
        "claims": claims,
        "grant_text": grant_text(project["grant_eur"], lang),
        "lead_url": _page_url(datasette, lang, f"/town/{project['lead']}") if project["lead"] else None,
        "row_url": _row_url(datasette, db, "projects", project_id),
        "json_url": datasette.urls.row(db.name, "projects", project_id, format="json"),
    }
    return Response.html(await datasette.render_template("project.html", context, request=request, view_name="project"))


SEARCH_KINDS = ("town", "meeting", "project", "source")
_WORD = re.compile(r"\w+\*?")


def fts_words(q: str) -> str:
    """The words of a search as FTS5 phrases ('oxel* "foo' → '"oxel"* "foo"'), for a search that is not valid
    FTS5 syntax; '' if it holds no word at all."""
    return " ".join(f'"{w[:-1]}"*' if w.endswith("*") else f'"{w}"' for w in _WORD.findall(q))


async def search(datasette, db, q: str) -> dict:
    """Run the `search` canned query with `q` as FTS5 syntax (prefix*, OR, AND, NOT, "a phrase"); if SQLite
    cannot read it as FTS5, with its words instead. What was searched for, the rows, and what went wrong."""
    query = await datasette.get_canned_query(db.name, "search", None)
    found = {"searched": q, "words_only": False, "nothing_to_search": False, "too_slow": False, "rows": []}
    for match in (q, fts_words(q)):
        if not match:
            found["nothing_to_search"] = True
            return found
        try:
            found["rows"] = [dict(r) for r in (await db.execute(query["sql"], {"q": match})).rows]
            found["searched"] = match
            return found
        except QueryInterrupted:
            found["too_slow"] = True
            return found
        except sqlite3.Error:  # not valid FTS5 (an unclosed quote, a lone operator): try its words
            found["words_only"] = True
    found["nothing_to_search"] = True
    return found


async def search_page(request, datasette):
    db = datasette.get_database()
    lang = _lang(request)
    _, _n = _tr(lang)
    q = (request.args.get("q") or "").strip()
    found = await search(datasette, db, q) if q else None
    groups = []
    if found:
        by_kind: dict[str, list] = {}
        for r in found["rows"]:
            r["url"] = (
                datasette.urls.row(db.name, "sources", r["id"])
                if r["kind"] == "source"
                else _page_url(datasette, lang, f"/{r['kind']}/{r['id']}")
            )
            r["kind_text"] = term(r["kind"], lang)
            # the search query's own words for what it does not know (site/site.yaml), in the page's language
            if r.get("detail") == "date not known":
                r["detail"] = _("date not known")
            elif r.get("detail") == "programme not stated":
                r["detail"] = _("programme not stated")
            elif r.get("detail") and r["kind"] == "meeting":
                r["detail"] = human_date(r["detail"], lang)
            by_kind.setdefault(r["kind"], []).append(r)
        groups = [
            {"kind": kind, "rows": by_kind[kind], "matches": by_kind[kind][0]["matches"]}
            for kind in SEARCH_KINDS
            if kind in by_kind
        ]
    context = {
        "q": q,
        "found": found,
        "groups": groups,
        "total": sum(g["matches"] for g in groups),
        "examples": [
            {"q": example, "url": _page_url(datasette, lang, "/search") + "?" + urlencode({"q": example})}
            for example in ("oxel*", "granville OR sherborne", '"general meeting"', "music NOT youth")
        ],
        "api_url": datasette.urls.query(db.name, "search", format="json"),
    }
    return Response.html(await datasette.render_template("search.html", context, request=request, view_name="search"))


@hookimpl
def register_routes():
    return [
        (r"^/town/(?P<id>[a-z0-9][a-z0-9-]*)$", town_page),
        (r"^/meeting/(?P<id>[a-z0-9][a-z0-9-]*)$", meeting_page),
        (r"^/project/(?P<id>[a-z0-9][a-z0-9-]*)$", project_page),
        (r"^/search$", search_page),
    ]


@hookimpl
def extra_template_vars(view_name, datasette, request):
    if view_name != "index":
        return {}

    async def inner():
        return {"site": await landing(datasette, request)}

    return inner


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path("/assets/site.css")]


@hookimpl
def prepare_jinja2_environment(env):
    @pass_context
    def date_filter(context, value):
        return human_date(value, _lang(context.get("request")))

    env.filters["human_date"] = date_filter
