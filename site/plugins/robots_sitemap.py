"""robots.txt and sitemap.xml: keep crawlers off the SQL, faceted and filtered pages, and point them to
the pages worth indexing — the landing page, the lists of towns, meetings and projects, one page per
town, meeting and project, the tables, the canned questions and the downloads.

Every table, view and canned query gets its own `Disallow: /<db>/<name>?` line, so a parser that does
not know wildcards (Python's urllib.robotparser, many small crawlers) still keeps off the pages that
take parameters; the `*` lines are for the crawlers that do.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from datasette import hookimpl
from datasette.utils.asgi import Response


async def _names(datasette, db) -> list[str]:
    tables = await db.table_names()
    views = await db.view_names()
    queries = list((await datasette.get_canned_queries(db.name, None)).keys())
    return sorted(set(tables) | set(views) | set(queries))


async def robots_txt(request, datasette):
    db = datasette.get_database()
    base = datasette.urls.database(db.name)
    lines = [
        "User-agent: *",
        f"Disallow: {base}?",
        f"Disallow: {base}.json",
        f"Disallow: {base}.db",
        f"Disallow: {base}/*?",
        "Disallow: /*?sql=",
        "Disallow: /*&sql=",
        "Disallow: /*_facet",
        "Disallow: /search?",
        "Disallow: /towns?",
        "Disallow: /meetings?",
        "Disallow: /projects?",
    ]
    lines += [f"Disallow: {datasette.urls.table(db.name, name)}?" for name in await _names(datasette, db)]
    lines += ["", f"Sitemap: {datasette.absolute_url(request, datasette.urls.path('/sitemap.xml'))}", ""]
    return Response.text("\n".join(lines))


async def sitemap_xml(request, datasette):
    db = datasette.get_database()
    paths = [datasette.urls.instance(), datasette.urls.path("/downloads")]
    paths += [datasette.urls.path(p) for p in ("/towns", "/meetings", "/projects")]  # the list pages
    try:
        datasette.jinja_env.get_template("pages/coverage.html")
        paths.append(datasette.urls.path("/coverage"))
    except Exception:
        pass
    paths.append(datasette.urls.database(db.name))
    towns = (await db.execute("select id from towns order by id")).rows
    paths += [datasette.urls.path(f"/town/{row['id']}") for row in towns]
    for kind, table in (("meeting", "meetings"), ("project", "projects")):
        rows = (await db.execute(f"select id from {table} order by id")).rows
        paths += [datasette.urls.path(f"/{kind}/{row['id']}") for row in rows]
    hidden = set(await db.hidden_table_names())
    paths += [datasette.urls.table(db.name, t) for t in await db.table_names() if t not in hidden]
    paths += [datasette.urls.table(db.name, v) for v in await db.view_names()]
    paths += [datasette.urls.query(db.name, q) for q in await datasette.get_canned_queries(db.name, None)]
    urls = "".join(f"<url><loc>{escape(datasette.absolute_url(request, p))}</loc></url>\n" for p in paths)
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + urls + "</urlset>\n"
    )
    return Response(body, content_type="application/xml; charset=utf-8")


@hookimpl
def register_routes():
    return [(r"^/robots\.txt$", robots_txt), (r"^/sitemap\.xml$", sitemap_xml)]
