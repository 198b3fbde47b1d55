"""robots.txt and sitemap.xml: keep crawlers off the SQL, faceted and filtered pages, and point them to
the pages worth indexing — the landing page, the lists of towns, meetings and projects, one page per
town, meeting and project, the tables, the canned questions and the downloads. Each public page is listed
in every language of the site (English at /, the others under /sv/, /fr/, /de/…), each with its
alternates (xhtml:link hreflang, and x-default).

Every table, view and canned query gets its own `Disallow: /<db>/<name>?` line, so a parser that does
not know wildcards (Python's urllib.robotparser, many small crawlers) still keeps off the pages that
take parameters; the `*` lines are for the crawlers that do.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from datasette import hookimpl
from datasette.utils.asgi import Response

from douzelage.serving.site_plugins import sibling


def _i18n():
    """The language plugin (site/plugins/i18n.py): its catalogues and the formatting of dates and numbers."""
    return sibling(__file__, "i18n")


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
        *(f"Disallow: /{lang}/search?" for lang in _i18n().languages() if lang != _i18n().DEFAULT),
        *(
            f"Disallow: /{lang}/{name}?"
            for lang in _i18n().languages()
            if lang != _i18n().DEFAULT
            for name in ("towns", "meetings", "projects")
        ),
    ]
    lines += [f"Disallow: {datasette.urls.table(db.name, name)}?" for name in await _names(datasette, db)]
    lines += ["", f"Sitemap: {datasette.absolute_url(request, datasette.urls.path('/sitemap.xml'))}", ""]
    return Response.text("\n".join(lines))


async def sitemap_xml(request, datasette):
    db = datasette.get_database()
    i18n = _i18n()
    public = [datasette.urls.instance(), datasette.urls.path("/downloads")]
    public += [datasette.urls.path(p) for p in ("/towns", "/meetings", "/projects")]  # the list pages
    try:
        datasette.jinja_env.get_template("pages/coverage.html")
        public.append(datasette.urls.path("/coverage"))
    except Exception:
        pass
    public += [datasette.urls.path(p) for p in ("/guide", "/api", "/catalogue")]
    towns = (await db.execute("select id from towns order by id")).rows
    public += [datasette.urls.path(f"/town/{row['id']}") for row in towns]
    for kind, table in (("meeting", "meetings"), ("project", "projects")):
        rows = (await db.execute(f"select id from {table} order by id")).rows
        public += [datasette.urls.path(f"/{kind}/{row['id']}") for row in rows]
    paths = [datasette.urls.database(db.name)]
    hidden = set(await db.hidden_table_names())
    paths += [datasette.urls.table(db.name, t) for t in await db.table_names() if t not in hidden]
    paths += [datasette.urls.table(db.name, v) for v in await db.view_names()]
    paths += [datasette.urls.query(db.name, q) for q in await datasette.get_canned_queries(db.name, None)]

    def loc(path: str) -> str:
        return escape(datasette.absolute_url(request, path))

    entries = []
    for path in public:
        versions = [(lang, i18n.localize(datasette, path, lang)) for lang in i18n.languages()]
        links = "".join(
            f'<xhtml:link rel="alternate" hreflang="{lang}" href={quoteattr(datasette.absolute_url(request, p))}/>'
            for lang, p in versions
        )
        default = quoteattr(datasette.absolute_url(request, path))
        links += f'<xhtml:link rel="alternate" hreflang="x-default" href={default}/>'
        entries += [f"<url><loc>{loc(p)}</loc>{links}</url>\n" for _, p in versions]
    entries += [f"<url><loc>{loc(p)}</loc></url>\n" for p in paths]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
        + "".join(entries)
        + "</urlset>\n"
    )
    return Response(body, content_type="application/xml; charset=utf-8")


@hookimpl
def register_routes():
    return [(r"^/robots\.txt$", robots_txt), (r"^/sitemap\.xml$", sitemap_xml)]
