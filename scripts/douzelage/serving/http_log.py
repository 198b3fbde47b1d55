"""One short line in the site's log for each request it refuses (a 4xx), however long or odd the request.

The site's plugins and its HTTP server both write them; a line is at most LOG_LINE_MAX characters, with
the client's address, the method, the start of the path and query, and what was wrong.
"""

from __future__ import annotations

import re
import sys

LOG_LINE_MAX = 300


def log_line(status: int, scope: dict, message: str) -> None:
    client = (scope.get("client") or ("-",))[0]
    query = scope.get("query_string") or b""
    target = scope.get("path", "") + ("?" + query.decode("latin-1") if query else "")
    text = " ".join(re.sub(r"<[^>]*>", " ", str(message)).split())
    line = f"douzelage: {status} {client} {str(scope.get('method', '-'))[:20]} {target[:120]}: {text}"
    sys.stderr.write(line[:LOG_LINE_MAX].encode("ascii", "backslashreplace").decode("ascii") + "\n")
    sys.stderr.flush()
