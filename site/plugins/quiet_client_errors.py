"""Answer the public's mistakes without flooding the log.

Datasette prints a full traceback, local variables included, for every error when `rich` is installed
(frictionless brings it in). On a public SQL site most errors are the visitor's — a refused write, a
query over the time limit, a page that does not exist — so for those (status below 500) the traceback is
skipped; the visitor still gets Datasette's own error page, and real server errors still print theirs.
Datasette has no setting for this, so its handler's `rich` is wrapped once, when the plugin loads.
"""
from __future__ import annotations

import sys

from datasette import handle_exception as default_handler
from datasette.utils.asgi import Base400
from datasette.views.base import DatasetteError


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


if default_handler.rich is not None and not isinstance(default_handler.rich, QuietForClientErrors):
    default_handler.rich = QuietForClientErrors(default_handler.rich)
