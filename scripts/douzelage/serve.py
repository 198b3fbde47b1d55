"""Stage 6: serve the site. Datasette, set up once from the built package, answering in several processes.

Datasette answers every request in one Python process, so one core does all the work however many the
machine has. The database is immutable, so any number of processes can serve it side by side: this one
sets Datasette up, then forks `workers` processes that share what was set up (copy-on-write), and each
runs uvicorn on its own listening socket, all bound to the one port with SO_REUSEPORT, so the kernel
spreads new connections over them. (One socket shared by all would not do: asyncio accepts every waiting
connection at once, so the first worker to wake would take them all.) The sockets are made here with
their protocol named (IPPROTO_TCP), so asyncio switches Nagle's algorithm off on every connection, as it
does when uvicorn opens the socket itself for a single process (uvicorn's own --workers makes its socket
without, and each small response then waits 40 ms for a delayed ACK). This process keeps the port bound,
without listening, until the workers have stopped.

Hardening (issue 12): a second server on a port in use stops at once (`PortInUse`, exit code 2): the
workers' SO_REUSEPORT would otherwise let it share the port, and the kernel would split the requests
between the old data and the new. Every request is answered as if addressed to the one base URL
($DOUZELAGE_BASE_URL, else the address served), so no answer copies a Host header a client sent. The
workers speak HTTP through scripts/http_protocol.py (limits on the request head, a header timeout) and
answer through scripts/client_limits.py (per-address limits, accounted across the workers).

Everything Datasette is told (files, metadata, settings, templates, plugins) is in `datasette_kwargs`,
which the tests' in-process client uses too.
"""

from __future__ import annotations

import fcntl
import gc
import json
import os
import signal
import socket
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from douzelage.files import load_yaml
from douzelage.forking import die_with_parent
from douzelage.layout import BASE_URL_ENV, DB_FILE, INSPECT_FILE, METADATA, PACKAGE, SITE

# Datasette's settings for a public, read-only site: site/site.yaml says which and why.
SETTINGS = load_yaml(SITE / "site.yaml")["settings"]


def datasette_kwargs(package: Path = PACKAGE, metadata: Path = METADATA) -> dict:
    """Datasette's arguments for the built package: the database immutable, with its inspect file (the
    row counts), our metadata, settings, templates, plugins and static files, and CORS for scripts."""
    inspect_file = package / INSPECT_FILE
    return {
        "immutables": [str(package / DB_FILE)],
        "metadata": json.loads(metadata.read_text(encoding="utf-8")),
        "inspect_data": json.loads(inspect_file.read_text(encoding="utf-8")) if inspect_file.exists() else None,
        "settings": SETTINGS,
        "cors": True,
        "template_dir": str(SITE / "templates"),
        "plugins_dir": str(SITE / "plugins"),
        "static_mounts": [("assets", str(SITE / "static")), ("downloads", str(package))],
    }


def default_workers() -> int:
    return len(os.sched_getaffinity(0))


class PortInUse(Exception):
    """Another process (perhaps another `douzelage serve`) already answers on the port."""


def served_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(
    package: Path = PACKAGE,
    metadata: Path = METADATA,
    host: str = "127.0.0.1",
    port: int = 8001,
    workers: int | None = None,
    trusted: frozenset[bytes] = frozenset(),
) -> None:
    """Serve until stopped (SIGINT or SIGTERM stops the workers, then this process). `trusted`: the
    addresses (as client_limits.address_bytes gives them) the per-client limits do not apply to."""
    import uvicorn
    from datasette.app import Datasette

    from douzelage.serving.client_limits import ClientTable, count_sql_time, limited

    address = (host, port)
    claim = _claim(address)  # fails here, once, if the port is taken
    base_url = (os.environ.get(BASE_URL_ENV) or served_url(host, port)).rstrip("/")
    os.environ[BASE_URL_ENV] = base_url  # the catalogue and the JSON-LD say the same
    datasette = Datasette(**datasette_kwargs(package, metadata))
    count_sql_time(datasette)
    app = limited(with_base_url(datasette.app(), base_url), ClientTable(), trusted)
    holder = _socket(address)
    count = workers or default_workers()
    gc.freeze()  # what is set up now stays shared: the collector will not touch (and copy) it
    print(
        f"Serving {served_url(host, port)}/ as {base_url}/ with {count} worker processes (Ctrl-C stops)",
        file=sys.stderr,
        flush=True,
    )
    children = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:  # a worker
            die_with_parent()
            _run_worker(uvicorn, datasette, app, address)
            os._exit(0)
        children.append(pid)
    _wait_for(children)
    holder.close()
    claim.close()


def _claim(address: tuple[str, int]):
    """A lock that only one server holds per port, and a check that nothing else listens there."""
    lock = open(Path(tempfile.gettempdir()) / f"douzelage-serve-{address[1]}.lock", "w")  # noqa: SIM115 (held)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise PortInUse(
            f"port {address[1]} is in use by another `douzelage serve`: stop it first, "
            f"or choose another port (--port, or PORT=... make serve)"
        ) from None
    probe = socket.socket(socket.AF_INET6 if ":" in address[0] else socket.AF_INET, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # not SO_REUSEPORT: fails if anyone listens
    try:
        probe.bind(address)
    except OSError as e:
        lock.close()
        raise PortInUse(
            f"cannot listen on {address[0]}:{address[1]}: {e.strerror}; stop what uses the port, "
            f"or choose another (--port, or PORT=... make serve)"
        ) from None
    finally:
        probe.close()
    return lock


def with_base_url(app, base_url: str):
    """The ASGI app, seeing every request as addressed to base_url (its scheme and host), whatever the
    request's Host header says: every absolute URL Datasette and the plugins write derives from it."""
    parts = urlsplit(base_url)
    host = parts.netloc.encode("idna" if not parts.netloc.isascii() else "ascii")

    async def addressed(scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            headers = [(k, v) for k, v in scope.get("headers", []) if k != b"host"] + [(b"host", host)]
            scope = dict(scope, headers=headers, scheme=parts.scheme)
        return await app(scope, receive, send)

    return addressed


def _socket(address: tuple[str, int]) -> socket.socket:
    sock = socket.socket(
        socket.AF_INET6 if ":" in address[0] else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP
    )
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def _run_worker(uvicorn, datasette, app, address: tuple[str, int]) -> None:
    import asyncio

    asyncio.run(datasette.invoke_startup())  # the plugins' startup hooks, in this process
    from douzelage.serving.http_protocol import MAX_HEAD, BoundedH11Protocol

    listener = _socket(address)
    listener.listen(2048)
    config = uvicorn.Config(
        app,
        lifespan="on",
        log_level="warning",
        access_log=False,
        http=BoundedH11Protocol,
        h11_max_incomplete_event_size=2 * MAX_HEAD,
    )
    uvicorn.Server(config).run(sockets=[listener])


def _wait_for(children: list[int]) -> None:
    def stop(signum, _frame):
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for pid in children:
        while True:
            try:
                os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
            except ChildProcessError:
                break
