"""Answer the public's mistakes as such: a 4xx, in the page's format, and one short line in the log.

Datasette prints a full traceback, local variables included, for every error when `rich` is installed
(frictionless brings it in), and every failed SQL statement whole. On a public SQL site most errors are
the visitor's (a refused write, a query over the time limit, a page that does not exist), so for those
(status below 500) the traceback is skipped and one short line is written instead
(scripts/douzelage/serving/http_log.py); the visitor still gets Datasette's own error page (or JSON), and real
server errors still print
their traceback. Datasette has no setting for this, so its handler's `rich` is wrapped once, when the
plugin loads, and the served database is asked not to print failed statements (the line says it).

Datasette 0.65 raises DatasetteError with its default status 500 for request parameters it cannot use
(an unknown `_sort` or `_sort_desc` column, both at once, a `_through` naming no foreign key): a client
error, answered as 400. Parameters it parses without checking are refused before (request_guard.py).
"""

from __future__ import annotations

import sys
import warnings

from datasette import handle_exception as default_handler
from datasette import hookimpl
from datasette.utils.asgi import Base400, Response
from datasette.views.base import DatasetteError

from douzelage.serving.client_limits import TooMuchSql, too_many_answer
from douzelage.serving.http_log import log_line


def is_client_error(exception) -> bool:
    return isinstance(exception, (Base400, DatasetteError)) and getattr(exception, "status", 500) < 500


class QuietForClientErrors:
    """Stands in for the `rich` module in Datasette's exception handler."""

    def __init__(self, rich):
        self.rich = rich

    def get_console(self):
        return self

    def print_exception(self, **kwargs):
        if not is_client_error(sys.exc_info()[1]):
            self.rich.get_console().print_exception(**kwargs)


# When a facet's query fails, Datasette leaves the other facets' coroutines unawaited, and Python warns
# about each in three lines: the visitor's mistake (a bad _facet_array), already in its one line.
warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning, module="datasette")

if default_handler.rich is not None and not isinstance(default_handler.rich, QuietForClientErrors):
    default_handler.rich = QuietForClientErrors(default_handler.rich)


@hookimpl(tryfirst=True)
def handle_exception(datasette, request, exception):
    if isinstance(exception, TooMuchSql):  # the address's SQL turn or time (serving/client_limits.py)
        if exception.log:  # once in a while per address, as the other refusals (client_limits.py)
            log_line(429, request.scope, f"{exception} ({exception.refused} more refused since its last line)")
        body, kind = too_many_answer(exception.wait, request.path)
        headers = {"Retry-After": str(exception.wait), "Access-Control-Allow-Origin": "*"}
        return Response(body, status=429, headers=headers, content_type=kind)
    if isinstance(exception, DatasetteError) and exception.status == 500:
        exception.status = 400
    if is_client_error(exception):
        message = exception.message if isinstance(exception, DatasetteError) else exception.args[0]
        log_line(exception.status, request.scope, message)
    return None  # Datasette's own handler writes the page


@hookimpl
def startup(datasette):
    for db in datasette.databases.values():
        if not db.is_mutable and not getattr(db.execute, "quiet", False):
            db.execute = _without_sql_log(db.execute)


def _without_sql_log(execute):
    async def quiet_execute(
        sql, params=None, truncate=False, custom_time_limit=None, page_size=None, log_sql_errors=True
    ):
        return await execute(
            sql,
            params,
            truncate=truncate,
            custom_time_limit=custom_time_limit,
            page_size=page_size,
            log_sql_errors=False,
        )

    quiet_execute.quiet = True
    return quiet_execute
