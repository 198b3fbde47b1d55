"""The public pages, rendered once per version of the data and kept: as cheap as a static file (issue 16).

The landing page runs its queries and builds its JSON-LD on every request (~85 req/s at 10 concurrent,
against several times that for /-/versions.json). What it shows depends only on the served database, the
site's own files (templates, plugins, static files, site.yaml) and the day (a planned meeting whose date
has passed reads "announced; no source says it took place", status_text in public_pages.py). So each
answer is kept in memory, per worker process, keyed by

    (the data's version, the site's version, today's date, scheme, host, path, the normalised query)

and answered again without running Datasette: a dictionary look-up and one send.

- The data's version is the SHA-256 of the build's manifest (meta/manifest.json in the served package
  folder, which lists the SHA-256 of every file, the database included), read once, when the app is
  made (before `douzelage serve` forks its workers, so they agree on every ETag): the database is
  immutable, and Datasette keeps the file it opened at startup, so a new build is served (and cached)
  by a new server. Without a manifest, the database file's size, mtime and inode stand in.
- The date is in the key and in the ETag, so a page that says "planned" yesterday and "announced; no
  source says it took place" today is rendered again the first time it is asked for today; a client or a
  CDN keeps a copy for at most `max-age` (5 minutes) past midnight.
- Only GET (and HEAD, from a kept answer) of the paths in CACHED, with an optional language prefix
  (/sv/...). A query string is normalised to the parameters the path allows (sorted); a request with any
  other parameter is not cached at all, so no parameter can put a page into the cache under another
  page's key. The Host header is part of the key, and `douzelage serve` rewrites it to the one base URL
  before Datasette sees it (scripts/douzelage/serve.py), so a forged Host cannot poison the cache either.
- Kept: a 200 with no Set-Cookie and no Vary beyond Cookie and Authorization (an answer negotiated on
  another header, such as Accept, is not one answer per URL), whole, up to MAX_ENTRY_BYTES. The memory
  is bounded: least recently used answers go first once the kept bodies pass MAX_BYTES.
- Every kept answer has a strong ETag (a hash of the data's version and the bytes of the body: the same
  bytes, the same tag) and `Cache-Control: public, max-age=300`; If-None-Match with that tag is answered
  304 with no body.
- A request with one of Datasette's cookies (ds_actor: signed in; ds_messages) or an Authorization
  header is neither answered from nor put in the cache: that is what Datasette's `Vary: Cookie,
  Authorization` is about.

This wrapper runs inside `douzelage serve`'s per-client limits (scripts/douzelage/serving/client_limits.py):
a kept answer still counts against its client's concurrent requests, and costs no SQL time, so it spends
nothing from the client's bucket. A client that has emptied its bucket with its own queries is refused
kept pages too until it refills, as it is refused everything: the limits decide before the cache is
asked, and a reader of pages never empties it. It is the outermost of the plugins' wrappers (trylast), so it sees the
path as the client wrote it, language prefix included, and a kept answer skips the work inside (the
request guard has nothing to refuse in a GET of an allowed path with allowed parameters).
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl

MAX_BYTES = 64 << 20  # per worker process
MAX_ENTRY_BYTES = 4 << 20
CACHE_CONTROL = b"public, max-age=300"
SITE = Path(__file__).resolve().parent.parent  # templates, plugins, static files and site.yaml
MANIFEST = "meta/manifest.json"

# The public pages that depend only on the data (and the day), each with the query parameters it may take.
# An optional two-letter language prefix (/sv/, /fr/town/...) is allowed before each.
_ID = r"[a-z0-9][a-z0-9-]*"
CACHED: list[tuple[str, frozenset[str]]] = [
    (r"/?", frozenset()),
    (rf"/town/{_ID}", frozenset()),
    (rf"/meeting/{_ID}", frozenset()),
    (rf"/project/{_ID}", frozenset()),
    (r"/towns|/meetings|/projects", frozenset({"country", "year", "kind", "status", "programme", "page"})),
    (r"/downloads|/downloads\.json|/coverage|/guide|/api", frozenset()),
    (r"/robots\.txt|/sitemap\.xml", frozenset()),
]
LANGUAGE_PREFIX = r"(?:/[a-z]{2})?"
_PATTERNS = [(re.compile(f"{LANGUAGE_PREFIX}(?:{p})"), allowed) for p, allowed in CACHED]


def cache_key_query(path: str, query_string: bytes) -> str | None:
    """The query string as it is kept (the allowed parameters, sorted), or None if this request is not
    to be cached: a path not listed, or a parameter the path does not take."""
    for pattern, allowed in _PATTERNS:
        if pattern.fullmatch(path):
            params = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
            if any(k not in allowed for k, _ in params):
                return None
            return urlencode(sorted(params))
    return None


def data_version(datasette) -> str:
    """The served data's version: the SHA-256 of the build's manifest, else the database file's stat."""
    h = hashlib.sha256()
    folder = dict(datasette.static_mounts or []).get("downloads")
    manifest = Path(folder) / MANIFEST if folder else None
    if manifest is not None and manifest.is_file():
        h.update(manifest.read_bytes())
    else:
        for db in datasette.databases.values():
            if db.path:
                s = Path(db.path).stat()
                h.update(f"{db.path} {s.st_size} {s.st_mtime_ns} {s.st_ino}".encode())
    return h.hexdigest()


def site_version() -> str:
    """The site's own files (what renders the data), hashed: a new template is a new page."""
    h = hashlib.sha256()
    for path in sorted(p for p in SITE.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(str(path.relative_to(SITE)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


class PageCache:
    """The kept answers of one process, least recently used first."""

    def __init__(self, max_bytes: int = MAX_BYTES):
        self.max_bytes = max_bytes
        self.bytes = 0
        self.entries: OrderedDict[tuple, tuple[list, bytes, bytes]] = OrderedDict()

    def get(self, key: tuple):
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: tuple, headers: list, body: bytes, etag: bytes) -> None:
        if key in self.entries:
            self.bytes -= len(self.entries.pop(key)[1])
        self.entries[key] = (headers, body, etag)
        self.bytes += len(body)
        while self.bytes > self.max_bytes and self.entries:
            _, (_, old, _) = self.entries.popitem(last=False)
            self.bytes -= len(old)


def _header(headers, name: bytes) -> bytes | None:
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def _matches(if_none_match: bytes | None, etag: bytes) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix(b"W/") for t in if_none_match.split(b",")]
    return b"*" in tags or etag in tags


def _uncacheable_request(headers) -> bool:
    cookie = _header(headers, b"cookie") or b""
    return b"ds_" in cookie or _header(headers, b"authorization") is not None


def _varies_beyond_identity(vary: bytes | None) -> bool:
    """Whether an answer depends on a request header other than those the cache already keeps out
    (Datasette says `Vary: Cookie, Authorization` on every page: the signed-in actor)."""
    names = {n.strip().lower() for n in (vary or b"").split(b",")} - {b""}
    return bool(names - {b"cookie", b"authorization", b"accept-encoding"})


async def _send_kept(send, method: str, headers: list, body: bytes, etag: bytes, if_none_match) -> None:
    if _matches(if_none_match, etag):
        kept = [
            (k, v)
            for k, v in headers
            if k.lower() in (b"cache-control", b"etag", b"vary", b"access-control-allow-origin")
        ]
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


@hookimpl(trylast=True)  # applied last, so outermost: it sees the path as the client sent it
def asgi_wrapper(datasette):
    def wrap(app):
        cache = PageCache()
        # once, when the app is made: `douzelage serve` makes it before it forks the workers, so they all
        # give one page the same ETag
        version = data_version(datasette) + site_version()

        async def cached(scope, receive, send):
            if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
                return await app(scope, receive, send)
            query = cache_key_query(scope.get("path", ""), scope.get("query_string", b""))
            headers = scope.get("headers", [])
            if query is None or _uncacheable_request(headers):
                return await app(scope, receive, send)
            host = _header(headers, b"host") or b""
            key = (version, date.today().isoformat(), scope.get("scheme"), host, scope["path"], query)
            if_none_match = _header(headers, b"if-none-match")
            kept = cache.get(key)
            if kept is not None:
                return await _send_kept(send, scope["method"], *kept, if_none_match)
            if scope["method"] == "HEAD":
                return await app(scope, receive, send)
            await _render_and_keep(app, scope, receive, send, cache, key, version, if_none_match)

        return cached

    return wrap


async def _render_and_keep(app, scope, receive, send, cache, key, version, if_none_match) -> None:
    """Run the page; keep a whole 200 with no Set-Cookie nor Vary, else pass the answer on as it comes."""
    start: dict | None = None
    chunks: list[bytes] = []
    size = 0
    passing = False

    async def capture(message):
        nonlocal start, size, passing
        if passing:
            return await send(message)
        if message["type"] == "http.response.start":
            hs = message.get("headers", [])
            if (
                message["status"] != 200
                or _header(hs, b"set-cookie") is not None
                or _varies_beyond_identity(_header(hs, b"vary"))
            ):
                passing = True
                return await send(message)
            start = message
            return None
        if message["type"] != "http.response.body":
            return await send(message)
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > MAX_ENTRY_BYTES:  # too big to keep: send what came, and the rest as it comes
            passing = True
            await send(start)
            await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": True})
            if not message.get("more_body"):
                await send({"type": "http.response.body", "body": b""})
            return None
        if not message.get("more_body"):
            body = b"".join(chunks)
            etag = b'"' + hashlib.sha256(version.encode() + b"\0" + body).hexdigest()[:40].encode() + b'"'
            hs = [
                (k, v)
                for k, v in start.get("headers", [])
                if k.lower() not in (b"content-length", b"etag", b"cache-control")
            ]
            hs += [
                (b"content-length", str(len(body)).encode()),
                (b"etag", etag),
                (b"cache-control", CACHE_CONTROL),
            ]
            cache.put(key, hs, body, etag)
            await _send_kept(send, "GET", hs, body, etag, if_none_match)
        return None

    await app(scope, receive, capture)
