"""The list pages for the public: /towns, /meetings and /projects.

Datasette's table pages are made for people who know tables; these list the same rows a page at a time,
with the filters a reader asks for (country, status, kind, year, programme), a count of what matches, a
link from each row to its page, and the raw table one click away with the same filters. Every query is
named in the `pages` section of site/site.yaml; this module keeps only the routes, the checking of the
GET parameters (a value no choice list offers is a 400 page that says which and what to choose, never a
500) and the formatting for people, which it takes from public_pages.py so that both say the same.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response

PAGE_SIZE = 25


def _public_pages():
    """public_pages.py (a plugin Datasette loads by path, so not importable by name): its formatting."""
    path = Path(__file__).resolve().parent / "public_pages.py"
    spec = importlib.util.spec_from_file_location("douzelage_site_public_pages", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_pp = _public_pages()


def _(message: str) -> str:
    """Marks a message of this module for the catalogues (`make i18n-extract`); it is translated into the
    page's language when the page is made (`_pp._tr(lang)`)."""
    return message


def _n(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message with a plural form for the catalogues; translated by the number when the page is made."""
    return singular, plural


async def _rows(db, name: str, params: dict | None = None) -> list[dict]:
    """Run the page query `name` of site/site.yaml; rows as dicts."""
    return [dict(r) for r in (await db.execute(_pp.page_queries()[name], params or {})).rows]


class Filter(NamedTuple):
    name: str  # the GET parameter
    label: str  # the label of its choice list
    any_label: str  # the choice that means no filter
    options_query: str  # the page query that lists its choices (value, label)
    not_offered: str  # what a value outside the choices is told, a whole sentence with %(value)s
    data_param: str | None = None  # the Datasette table filter it maps to, where it maps to one
    data_where: str | None = None  # else a `_where` clause, {value} replaced by the checked value
    none_where: str | None = None  # the `_where` clause for the choice '-' (not stated)
    terms: bool = False  # its choices are words of the data's vocabularies, shown in the page's language


class ListPage(NamedTuple):
    path: str
    table: str
    title: str
    query: str
    count_query: str
    filters: tuple[Filter, ...]
    count_all: str  # "All %(total)s meetings"
    count_some: tuple[str, str]  # singular and plural: "%(num)s of %(total)s meetings match these filters"
    empty: str  # no row matches
    form_label: str  # the filters' form, for assistive technology
    past_end: str  # a page past the last, whole sentences with %(number)s, %(num)s and %(pages)s
    past_end_one: str  # the same when the list fits on one page


TOWNS = ListPage(
    path="/towns",
    table="towns",
    title=_("Member towns"),
    query="list_towns",
    count_query="list_towns_count",
    count_all=_("All %(total)s towns"),
    count_some=_n("%(num)s of %(total)s towns matches these filters", "%(num)s of %(total)s towns match these filters"),
    empty=_("No town in this record matches all of these filters."),
    form_label=_("Filter the towns"),
    past_end=_("There is no page %(number)s: the %(num)s towns listed fill %(pages)s pages."),
    past_end_one=_("There is no page %(number)s: the towns listed fit on one page."),
    filters=(
        Filter(
            "country",
            _("Country"),
            _("All countries"),
            "list_town_countries",
            _("“%(value)s” is not a country of the member towns; choose one from the list “Country” below."),
            data_param="country",
        ),
        Filter(
            "status",
            _("Membership"),
            _("Current and former members"),
            "list_town_statuses",
            _("“%(value)s” is not a membership status; choose current or former from the list “Membership” below."),
            data_param="status",
            terms=True,
        ),
    ),
)
MEETINGS = ListPage(
    path="/meetings",
    table="meetings",
    title=_("Meetings"),
    query="list_meetings",
    count_query="list_meetings_count",
    count_all=_("All %(total)s meetings"),
    count_some=_n(
        "%(num)s of %(total)s meetings matches these filters", "%(num)s of %(total)s meetings match these filters"
    ),
    empty=_("No meeting in this record matches all of these filters."),
    form_label=_("Filter the meetings"),
    past_end=_("There is no page %(number)s: the %(num)s meetings listed fill %(pages)s pages."),
    past_end_one=_("There is no page %(number)s: the meetings listed fit on one page."),
    filters=(
        Filter(
            "kind",
            _("Kind"),
            _("All kinds"),
            "list_meeting_kinds",
            _("“%(value)s” is not a kind of meeting in this record; choose one from the list “Kind” below."),
            data_param="kind",
            terms=True,
        ),
        Filter(
            "year",
            _("Year"),
            _("All years"),
            "list_meeting_years",
            _("No meeting in this record is of the year “%(value)s”; choose a year from the list “Year” below."),
            data_where="coalesce(cast(substr(start_date, 1, 4) as integer), year) = {value}",
        ),
        Filter(
            "status",
            _("Status"),
            _("Held and planned"),
            "list_meeting_statuses",
            _("“%(value)s” is not the status of a meeting in this record; choose one from the list “Status” below."),
            data_param="status",
            terms=True,
        ),
        Filter(
            "country",
            _("Host country"),
            _("All host countries"),
            "list_meeting_countries",
            _("No meeting in this record was hosted in “%(value)s”; choose one from the list “Host country” below."),
            data_where="host in (select id from towns where country = '{value}')",
        ),
    ),
)
PROJECTS = ListPage(
    path="/projects",
    table="projects",
    title=_("Joint projects"),
    query="list_projects",
    count_query="list_projects_count",
    count_all=_("All %(total)s projects"),
    count_some=_n(
        "%(num)s of %(total)s projects matches these filters", "%(num)s of %(total)s projects match these filters"
    ),
    empty=_("No project in this record matches all of these filters."),
    form_label=_("Filter the projects"),
    past_end=_("There is no page %(number)s: the %(num)s projects listed fill %(pages)s pages."),
    past_end_one=_("There is no page %(number)s: the projects listed fit on one page."),
    filters=(
        Filter(
            "programme",
            _("Programme"),
            _("All programmes"),
            "list_project_programmes",
            _("No project in this record is of the programme “%(value)s”; choose one from the list “Programme” below."),
            data_param="programme",
            none_where="programme is null",
        ),
        Filter(
            "year",
            _("Year"),
            _("All years"),
            "list_project_years",
            _("No project in this record ran in the year “%(value)s”; choose a year from the list “Year” below."),
            data_where="coalesce(start_year, end_year) <= {value} and coalesce(end_year, start_year) >= {value}",
        ),
    ),
)


def _one(request, name: str, tr) -> tuple[str, str | None]:
    """The value of a GET parameter given at most once; '' when absent; a problem when given twice."""
    values = request.args.getlist(name)
    if len(values) > 1:
        return "", tr(_("“%(name)s” is given %(count)s times; give it once."), name=name, count=len(values))
    return (values[0].strip() if values else ""), None


def _data_url(datasette, db, page: ListPage, chosen: dict[str, str]) -> str:
    """The raw Datasette table with the same filters: a column filter where one maps, else `_where`."""
    args: list[tuple[str, str]] = []
    for f in page.filters:
        value = chosen.get(f.name)
        if not value:
            continue
        if value == "-" and f.none_where:
            args.append(("_where", f.none_where))
        elif f.data_param:
            args.append((f.data_param, value))
        elif f.data_where:  # the value is one of the choices offered, so it is a year or a country code
            args.append(("_where", f.data_where.format(value=value)))
    url = datasette.urls.table(db.name, page.table)
    return url + ("?" + urlencode(args) if args else "")


def _page_url(datasette, lang: str, page: ListPage, chosen: dict[str, str], number: int) -> str:
    """A page of the list, with these filters, in the language of the page that links to it."""
    args = [(f.name, chosen[f.name]) for f in page.filters if chosen.get(f.name)]
    if number > 1:
        args.append(("page", str(number)))
    return _pp._page_url(datasette, lang, page.path) + ("?" + urlencode(args) if args else "")


def _town(datasette, lang: str, row: dict) -> dict:
    row["url"] = _pp._page_url(datasette, lang, f"/town/{row['id']}")
    row["membership"] = _pp.membership_text(row, row, lang)
    return row


def _meeting(datasette, lang: str, row: dict) -> dict:
    row["url"] = _pp._page_url(datasette, lang, f"/meeting/{row['id']}")
    row["when"] = _pp.meeting_when(row["start_date"], row["end_date"], row["year"], lang)
    row["kind_text"] = _pp.term(row["kind"], lang)
    row["status_text"] = _pp.status_text(row["status"], row["start_date"], row["end_date"], row["year"], lang=lang)
    row["host_url"] = _pp._page_url(datasette, lang, f"/town/{row['host']}") if row["host"] else None
    return row


def _project(datasette, lang: str, row: dict) -> dict:
    row["url"] = _pp._page_url(datasette, lang, f"/project/{row['id']}")
    row["years"] = _pp.year_range(row["start_year"], row["end_year"], lang)
    row["lead_url"] = _pp._page_url(datasette, lang, f"/town/{row['lead']}") if row["lead"] else None
    return row


FORMAT = {"towns": _town, "meetings": _meeting, "projects": _project}


async def list_page(request, datasette, page: ListPage):
    db = datasette.get_database()
    lang = _pp._lang(request)
    tr, tr_n = _pp._tr(lang)
    problems: list[str] = []
    chosen: dict[str, str] = {}
    choices = []
    for f in page.filters:
        options = await _rows(db, f.options_query)
        value, problem = _one(request, f.name, tr)
        offered = {str(o["value"]) for o in options}
        if problem:
            problems.append(problem)
        elif value and value not in offered:
            problems.append(tr(f.not_offered, value=value))
        else:
            chosen[f.name] = value
        for o in options:
            if str(o["value"]) == "-":
                o["label"] = tr(_("not stated"))
            elif f.terms:
                o["label"] = _pp.term(o["label"], lang)
        choices.append(
            {
                "name": f.name,
                "label": tr(f.label),
                "any_label": tr(f.any_label),
                "options": options,
                "value": chosen.get(f.name, ""),
            }
        )
    params = {f.name: chosen.get(f.name, "") for f in page.filters}
    counts = (await _rows(db, page.count_query, params))[0]
    pages = max(1, -(-counts["matched"] // PAGE_SIZE))
    number_text, problem = _one(request, "page", tr)
    number = 1
    if problem:
        problems.append(problem)
    elif number_text:
        if not (number_text.isascii() and number_text.isdigit()) or len(number_text) > 9 or int(number_text) < 1:
            problems.append(
                tr(
                    _("“page” must be a whole number from 1 to %(pages)s; it is “%(value)s”."),
                    pages=pages,
                    value=number_text,
                )
            )
        else:
            number = int(number_text)
    given_empty = [k for k in (*params, "page") if k in request.args and not (request.args.get(k) or "").strip()]
    if not problems and given_empty:
        # the form sends its empty choices ("all"): answer with the list's own address, without them
        return Response.redirect(_page_url(datasette, lang, page, chosen, number), status=302)
    status = 400 if problems else 200
    if not problems and number > pages:
        said = page.past_end if pages > 1 else page.past_end_one
        problems.append(tr(said, number=number, num=counts["matched"], pages=pages))
        status = 404
    rows = []
    if not problems:
        rows = await _rows(db, page.query, {**params, "limit": PAGE_SIZE, "offset": (number - 1) * PAGE_SIZE})
        rows = [FORMAT[page.table](datasette, lang, r) for r in rows]
    filtered = any(chosen.values())
    if filtered:
        count_text = tr_n(*page.count_some, counts["matched"], total=counts["total"])
    else:
        count_text = tr(page.count_all, total=counts["total"])
    context = {
        "list": page,
        "title": tr(page.title),
        "form_label": tr(page.form_label),
        "count_text": count_text,
        "empty_text": tr(page.empty),
        "choices": choices,
        "rows": rows,
        "problems": problems,
        "matched": counts["matched"],
        "total": counts["total"],
        "filtered": filtered,
        "first": (number - 1) * PAGE_SIZE + 1,
        "last": (number - 1) * PAGE_SIZE + len(rows),
        "page_number": number,
        "pages": pages,
        "previous_url": _page_url(datasette, lang, page, chosen, number - 1) if 1 < number <= pages else None,
        "next_url": _page_url(datasette, lang, page, chosen, number + 1) if number < pages else None,
        "clear_url": _pp._page_url(datasette, lang, page.path) if filtered or problems else None,
        "data_url": _data_url(datasette, db, page, chosen),
        "json_url": _data_url(datasette, db, page, chosen).replace(
            datasette.urls.table(db.name, page.table), datasette.urls.table(db.name, page.table, format="json"), 1
        ),
    }
    html = await datasette.render_template(
        f"list-{page.table}.html", context, request=request, view_name=f"list-{page.table}"
    )
    return Response.html(html, status=status)


async def towns_list(request, datasette):
    return await list_page(request, datasette, TOWNS)


async def meetings_list(request, datasette):
    return await list_page(request, datasette, MEETINGS)


async def projects_list(request, datasette):
    return await list_page(request, datasette, PROJECTS)


@hookimpl
def register_routes():
    return [(r"^/towns$", towns_list), (r"^/meetings$", meetings_list), (r"^/projects$", projects_list)]
