"""Canned queries and SQL results for people: ids link to their pages, and a query that takes a town offers
the member towns to choose from.

A result's column named town, host, lead, meeting, project or source holds an id; it becomes a link to the
public page of that town, meeting or project (a source to its row). Only query results (`table` is None):
table pages keep Datasette's own links to the rows. A canned query with a `town` parameter gets the member
towns as a list to choose from (and as suggestions in the input), and, when it returns no rows for the town
typed, a hint to choose one (site/templates/query-douzelage.html); a canned query with a `meeting`
parameter gets the meetings, the same way."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

import yaml
from datasette import hookimpl
from markupsafe import Markup, escape

SITE_YAML = Path(__file__).resolve().parent.parent / "site.yaml"
ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
PAGES = {"town": "town", "host": "town", "lead": "town", "other": "town", "meeting": "meeting", "project": "project"}
CHOICES = ("town", "meeting")  # the parameters offered as a list, each from the `<param>_choices` page query
RECORD_TABLES = {"towns": "town", "meetings": "meeting", "projects": "project"}


def page_of(column: str, row) -> str | None:
    """The kind of page an id in `column` of `row` leads to ('town', 'meeting', 'project', 'source')."""
    if column in PAGES:
        return PAGES[column]
    if column == "source":
        return "source"
    keys = row.keys() if hasattr(row, "keys") else ()
    if column == "record" and "table_name" in keys:
        return RECORD_TABLES.get(row["table_name"])
    if column == "record" and "activity" in keys:
        return "meeting" if row["activity"] in ("hosted", "attended") else "project"
    return None


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if table is not None or not isinstance(value, str) or not ID.match(value):
        return None
    kind = page_of(column, row)
    if kind is None:
        return None
    url = (
        datasette.urls.row(database, "sources", value) if kind == "source" else datasette.urls.path(f"/{kind}/{value}")
    )
    return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')


@hookimpl
def extra_template_vars(template, database, request, datasette):
    if not template or not template.startswith("query-") or request is None or database is None:
        return {}

    async def inner():
        name = request.path.rstrip("/").rsplit("/", 1)[-1]
        query = await datasette.get_canned_query(database, name, None)
        params = (query or {}).get("params") or []
        db = datasette.get_database(database)
        found = {}
        for param in CHOICES:
            if param not in params:
                continue
            rows = [dict(r) for r in (await db.execute(_choices_sql(param))).rows]
            for r in rows:
                r["url"] = datasette.urls.query(database, name) + "?" + urlencode({param: r["id"]})
            found[f"{param}_choices"] = rows
        return found

    return inner


def _choices_sql(param: str) -> str:
    """The query of the choices for a parameter (named here, so a test finds every page query used)."""
    return {"town": _page_query("town_choices"), "meeting": _page_query("meeting_choices")}[param]


def _page_query(name: str) -> str:
    """A query of the pages section of site/site.yaml, by name."""
    return _pages()[name]


@lru_cache(maxsize=1)
def _pages() -> dict:
    return yaml.safe_load(SITE_YAML.read_text(encoding="utf-8"))["pages"]
