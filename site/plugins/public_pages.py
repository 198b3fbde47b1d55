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
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from datasette import hookimpl
from datasette.utils import escape_fts
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

SITE_YAML = Path(__file__).resolve().parent.parent / "site.yaml"


def human_date(value) -> str:
    """'2018-05-11' → '11 May 2018'; a year stays a year; nothing → ''."""
    if not value:
        return ""
    text = str(value)
    if len(text) == 10:
        d = date.fromisoformat(text)
        return f"{d.day} {d:%B} {d.year}"
    return text


def human_dates(start, end) -> str:
    """A date range as people write it: '11–12 May 2018', '28 September – 1 October 2023'."""
    if not start:
        return "date not known"
    s = date.fromisoformat(start)
    e = date.fromisoformat(end) if end else s
    if e == s:
        return human_date(start)
    if (s.year, s.month) == (e.year, e.month):
        return f"{s.day}–{e.day} {e:%B} {e.year}"
    if s.year == e.year:
        return f"{s.day} {s:%B} – {e.day} {e:%B} {e.year}"
    return f"{human_date(start)} – {human_date(end)}"


def meeting_when(start, end, year=None) -> str:
    """A meeting's dates; where the sources give only its year, the year and that the dates are not known."""
    if not start and year:
        return f"{year}, dates not known"
    return human_dates(start, end)


def year_range(start, end) -> str:
    """2019, 2022 → '2019–2022'; one year alone stays alone; neither → 'years not stated'."""
    return "–".join(str(y) for y in dict.fromkeys((start, end)) if y) or "years not stated"


def position_text(latitude, longitude) -> str:
    if latitude is None or longitude is None:
        return "not stated"
    return f"{abs(latitude)}° {'N' if latitude >= 0 else 'S'}, {abs(longitude)}° {'E' if longitude >= 0 else 'W'}"


def joined_text(joined, earliest=None, latest=None) -> str:
    """When a town joined, saying no more than the sources: a year, a range from the evidence, or nothing."""
    if joined:
        return f"since {joined}"
    if earliest and earliest == latest:
        return f"since {earliest} (inferred from the sources)"
    if earliest and latest:
        return f"joined between {earliest} and {latest}"
    if latest:
        return f"joined by {latest}"
    if earliest:
        return f"joined in {earliest} or later"
    return "join year not stated by our sources"


def membership_text(town: dict, membership: dict | None) -> str:
    """'Member since 1998 (founder member)', 'Member (joined by 2019)', 'Former member: from 1997 to 2016'."""
    m = membership or {}
    since = joined_text(town.get("joined"), m.get("joined_earliest"), m.get("joined_latest"))
    founder = " (founder member)" if m.get("founder") else ""
    if town.get("status") == "former":
        left = f" to {town['left']}" if town.get("left") else ""
        if since.startswith("since "):
            return f"Former member: from {since[len('since ') :]}{left}{founder}"
        return f"Former member ({since}){left}{founder}"
    return f"Member {since}{founder}" if since.startswith("since ") else f"Member ({since}){founder}"


PAST_PLANNED = "announced; no source says it took place"


def status_text(status: str, start_date=None, end_date=None, year=None, today: date | None = None) -> str:
    """Whether a meeting took place, saying no more than the sources: 'held'; 'planned' while its date is
    ahead (or not known); once the date has passed with no report of the event, that it was announced."""
    if status != "planned":
        return status
    today = today or date.today()
    last = end_date or start_date
    if last:
        past = date.fromisoformat(last) < today
    else:
        past = year is not None and year < today.year
    return PAST_PLANNED if past else "planned"


def towns_named_text(named: int, represented) -> str:
    """How many towns the sources name beside how many were represented, and what is not known."""
    if represented is None:
        return (
            (
                f"The sources name {named} town{'s' if named != 1 else ''} that took part; how many towns were "
                "represented in all is not known."
            )
            if named
            else "No source read lists the towns that took part, nor how many were represented."
        )
    if named == 0:
        return f"{represented} towns were represented; no source read names them."
    if named < represented:
        return (
            f"The sources name {named} of the {represented} towns represented; the rest are not named in any "
            "source read."
        )
    if named == represented:
        return f"{represented} towns were represented, and the sources name them all."
    return (
        f"The sources name {named} towns, host included; the source of the figure counts {represented} towns "
        "represented."
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


def _map_points(datasette, towns: list[dict], this: str | None = None) -> list[dict]:
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
            "url": datasette.urls.path(f"/town/{t['id']}"),
            **({"this": True} if t["id"] == this else {}),
        }
        for t in towns
        if t["latitude"] is not None and t["longitude"] is not None
    ]


async def landing(datasette) -> dict:
    db = datasette.get_database()
    towns = await _rows(db, "landing_towns")
    meetings = await _rows(db, "landing_meetings")
    numbers = (await _rows(db, "landing_numbers"))[0]
    years_active = date.today().year - numbers["first_year"] if numbers["first_year"] else None
    for t in towns:
        t["url"] = datasette.urls.path(f"/town/{t['id']}")
        t["membership"] = membership_text(t, t)
    timeline: dict[str, list] = {}
    undated = []
    for m in meetings:
        m["when"] = meeting_when(m["start_date"], m["end_date"], m["year"])
        m["status_text"] = status_text(m["status"], m["start_date"], m["end_date"], m["year"])
        m["url"] = datasette.urls.path(f"/meeting/{m['id']}")
        m["host_url"] = datasette.urls.path(f"/town/{m['host']}") if m["host"] else None
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
    found = await _rows(db, "town", {"id": town_id})
    if not found:
        return await _not_found(
            datasette,
            request,
            "Town not found",
            f"No member town has the id “{town_id}”. The landing page lists them all.",
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
        m["when"] = meeting_when(m["start_date"], m["end_date"], m.get("year"))
        m["url"] = datasette.urls.path(f"/meeting/{m['id']}")
    for m in hosted:
        m["status_text"] = status_text(m["status"], m["start_date"], m["end_date"], m["year"])
    await _public_notes(db, [town])
    for p in projects:
        p["url"] = datasette.urls.path(f"/project/{p['id']}")
        p["years"] = year_range(p["start_year"], p["end_year"])
    for t in nearest:
        t["url"] = datasette.urls.path(f"/town/{t['id']}")
    map_points = [
        {
            "id": town["id"],
            "name": town["name"],
            "country_name": town["country_name"],
            "latitude": town["latitude"],
            "longitude": town["longitude"],
            "status": town["status"],
            "url": datasette.urls.path(f"/town/{town['id']}"),
            "this": True,
        }
    ]
    map_points += [
        {k: t[k] for k in ("id", "name", "country_name", "latitude", "longitude", "status", "url")} for t in nearest
    ]
    context = {
        "town": town,
        "membership": membership_text(town, memberships[0] if memberships else None),
        "hosted": hosted,
        "attended": attended,
        "projects": projects,
        "nearest": nearest,
        "sources": sources,
        "claims": claims,
        "map_towns_json": json.dumps(map_points, ensure_ascii=False),
        "map_points": map_points,
        "population_text": (
            f"{town['population']:,}".replace(",", "\u202f")
            + " inhabitants"
            + (f" ({town['population_year']})" if town.get("population_year") else "")
        )
        if town.get("population")
        else None,
        "position_text": position_text(town["latitude"], town["longitude"]),
        "row_url": _row_url(datasette, db, "towns", town_id),
        "json_url": datasette.urls.row(db.name, "towns", town_id, format="json"),
    }
    return Response.html(await datasette.render_template("town.html", context, request=request, view_name="town"))


async def meeting_page(request, datasette):
    db = datasette.get_database()
    meeting_id = request.url_vars["id"]
    found = await _rows(db, "meeting", {"id": meeting_id})
    if not found:
        return await _not_found(
            datasette,
            request,
            "Meeting not found",
            f"No meeting has the id “{meeting_id}”; the landing page's timeline lists them.",
        )
    meeting = found[0]
    towns = await _rows(db, "meeting_towns", {"id": meeting_id, "host": meeting["host"]})
    claims = await _claims(db, "meetings", meeting_id)
    await _public_notes(db, [meeting])
    for t in towns:
        t["url"] = datasette.urls.path(f"/town/{t['id']}")
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
    map_points = _map_points(datasette, on_map, meeting["host"])
    context = {
        "map_towns_json": json.dumps(map_points, ensure_ascii=False),
        "map_points": map_points,
        "meeting": meeting,
        "when": meeting_when(meeting["start_date"], meeting["end_date"], meeting["year"]),
        "status_text": status_text(meeting["status"], meeting["start_date"], meeting["end_date"], meeting["year"]),
        "towns_named_text": towns_named_text(len(towns), meeting["towns_represented"]),
        "towns": towns,
        "claims": claims,
        "host_url": datasette.urls.path(f"/town/{meeting['host']}") if meeting["host"] else None,
        "row_url": _row_url(datasette, db, "meetings", meeting_id),
        "json_url": datasette.urls.row(db.name, "meetings", meeting_id, format="json"),
    }
    return Response.html(await datasette.render_template("meeting.html", context, request=request, view_name="meeting"))


async def project_page(request, datasette):
    db = datasette.get_database()
    project_id = request.url_vars["id"]
    found = await _rows(db, "project", {"id": project_id})
    if not found:
        return await _not_found(datasette, request, "Project not found", f"No project has the id “{project_id}”.")
    project = found[0]
    towns = await _rows(db, "project_towns", {"id": project_id})
    claims = await _claims(db, "projects", project_id)
    await _public_notes(db, [project])
    for t in towns:
        t["url"] = datasette.urls.path(f"/town/{t['id']}")
    map_points = _map_points(datasette, towns, project["lead"])
    context = {
        "map_towns_json": json.dumps(map_points, ensure_ascii=False),
        "map_points": map_points,
        "project": project,
        "years": year_range(project["start_year"], project["end_year"]),
        "towns": towns,
        "claims": claims,
        "grant_text": f"{project['grant_eur']:,.0f} EUR".replace(",", "\u202f") if project["grant_eur"] else None,
        "lead_url": datasette.urls.path(f"/town/{project['lead']}") if project["lead"] else None,
        "row_url": _row_url(datasette, db, "projects", project_id),
        "json_url": datasette.urls.row(db.name, "projects", project_id, format="json"),
    }
    return Response.html(await datasette.render_template("project.html", context, request=request, view_name="project"))


async def search_page(request, datasette):
    db = datasette.get_database()
    q = (request.args.get("q") or "").strip()
    results, error = [], None
    if q:
        query = await datasette.get_canned_query(db.name, "search", None)
        try:
            results = [dict(r) for r in (await db.execute(query["sql"], {"q": escape_fts(q)})).rows]
        except Exception as e:  # an FTS syntax the escaping did not anticipate: say so, don't crash
            error = str(e)
    for r in results:
        r["url"] = datasette.urls.path(f"/{r['kind']}/{r['id']}")
    context = {
        "q": q,
        "results": results,
        "error": error,
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
def extra_template_vars(view_name, datasette):
    if view_name != "index":
        return {}

    async def inner():
        return {"site": await landing(datasette)}

    return inner


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path("/assets/site.css")]


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["human_date"] = human_date
