"""Refuse, before Datasette sees it, what a read-only site cannot answer and Datasette would answer with a 500.

- Methods. The site only reads: GET, HEAD and OPTIONS (CORS). Datasette looks a view's handler up by the
  method's name and calls it, so TRACE, PROPFIND or an invented method (or POST to a canned query, which
  here never writes) was a TypeError and a traceback; now it is a 405 with `Allow`.
- HTTP/2. A client that opens with the HTTP/2 preface (`PRI * HTTP/2.0`) gets a 400 saying to use 1.1.
- Parameters that Datasette parses without checking: `_through` (JSON naming a table, a column and a
  value), a list for `__in` / `__notin` (JSON), `_timelimit` (a whole number). A malformed one was a
  JSONDecodeError, KeyError or ValueError; now it is a 400 that names the parameter.

The answer is in the page's format (JSON for a .json path, else Datasette's error page) with one log line.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from datasette import hookimpl
from datasette.utils import add_cors_headers
from datasette.utils.asgi import Request, Response

from douzelage.serving.http_log import log_line

ALLOWED_METHODS = ("GET", "HEAD", "OPTIONS")


def _json_is(value: str, kind: type) -> bool:
    try:
        return isinstance(json.loads(value), kind)
    except ValueError:
        return False


def _through_ok(value: str) -> bool:
    try:
        through = json.loads(value)
    except ValueError:
        return False
    return isinstance(through, dict) and all(
        isinstance(through.get(k), (str, int, float)) for k in ("table", "column", "value")
    )


def problem(request: Request) -> tuple[int, str] | None:
    """(status, message) for a request the site must refuse, or None."""
    scope = request.scope
    if scope.get("http_version") not in (None, "1.0", "1.1") or request.method == "PRI":
        return 400, "This server speaks HTTP/1.1: send the request without the HTTP/2 preface."
    if request.method not in ALLOWED_METHODS:
        return 405, f"Method {request.method[:20]} is not allowed: this site only reads (GET, HEAD, OPTIONS)."
    for key, value in parse_qsl(request.query_string, keep_blank_values=True):
        if key == "_through" and not _through_ok(value):
            return (
                400,
                '_through must be JSON such as {"table": "memberships", "column": "town", "value": "sherborne"}.',
            )
        if key.endswith(("__in", "__notin")) and value.startswith("[") and not _json_is(value, list):
            return 400, f'{key[:60]} starts with [ but is not a JSON list: write ["a", "b"] or a,b.'
        if key == "_timelimit" and not value.strip().isdigit():
            return 400, "_timelimit must be a whole number of milliseconds."
    return None


async def error_response(
    datasette, request: Request, status: int, message: str, headers: dict | None = None
) -> Response:
    """The error as Datasette writes it: JSON for a .json path, else its error page."""
    headers = dict(headers or {})
    if datasette.cors:
        add_cors_headers(headers)
    info = {"ok": False, "error": message, "status": status, "title": None}
    if request.path.endswith(".json"):
        return Response.json(info, status=status, headers=headers)
    template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
    html = await template.render_async(
        dict(info, urls=datasette.urls, app_css_hash=datasette.app_css_hash(), menu_links=lambda: [])
    )
    return Response.html(html, status=status, headers=headers)


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def guarded(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            request = Request(scope, receive)
            found = problem(request)
            if found is None:
                return await app(scope, receive, send)
            status, message = found
            log_line(status, scope, message)
            headers = {"Allow": ", ".join(ALLOWED_METHODS)} if status == 405 else {}
            response = await error_response(datasette, request, status, message, headers)
            await response.asgi_send(send)

        return guarded

    return wrap
