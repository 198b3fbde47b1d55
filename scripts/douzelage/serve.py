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

Everything Datasette is told (files, metadata, settings, templates, plugins) is in `datasette_kwargs`,
which the tests' in-process client uses too.
"""
from __future__ import annotations

import gc
import json
import os
import signal
import socket
import sys
from pathlib import Path

from douzelage.files import load_yaml
from douzelage.forking import die_with_parent
from douzelage.layout import DB_FILE, INSPECT_FILE, METADATA, PACKAGE, SITE

# Datasette's settings for a public, read-only site: site/site.yaml says which and why.
SETTINGS = load_yaml(SITE / "site.yaml")["settings"]


def datasette_kwargs(package: Path = PACKAGE, metadata: Path = METADATA) -> dict:
    """Datasette's arguments for the built package: the database immutable, with its inspect file (the
    row counts), our metadata, settings, templates, plugins and static files, and CORS for scripts."""
    inspect_file = package / INSPECT_FILE
    return {"immutables": [str(package / DB_FILE)],
            "metadata": json.loads(metadata.read_text(encoding="utf-8")),
            "inspect_data": json.loads(inspect_file.read_text(encoding="utf-8")) if inspect_file.exists() else None,
            "settings": SETTINGS, "cors": True,
            "template_dir": str(SITE / "templates"), "plugins_dir": str(SITE / "plugins"),
            "static_mounts": [("assets", str(SITE / "static")), ("downloads", str(package))]}


def default_workers() -> int:
    return len(os.sched_getaffinity(0))


def serve(package: Path = PACKAGE, metadata: Path = METADATA, host: str = "127.0.0.1", port: int = 8001,
          workers: int | None = None) -> None:
    """Serve until stopped (SIGINT or SIGTERM stops the workers, then this process)."""
    import uvicorn
    from datasette.app import Datasette

    datasette = Datasette(**datasette_kwargs(package, metadata))
    app = datasette.app()
    address = (host, port)
    holder = _socket(address)                        # fails here, once, if the port is taken
    count = workers or default_workers()
    gc.freeze()                  # what is set up now stays shared: the collector will not touch (and copy) it
    print(f"Serving http://{host}:{port}/ with {count} worker processes (Ctrl-C stops)", file=sys.stderr, flush=True)
    children = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:                                  # a worker
            die_with_parent()
            _run_worker(uvicorn, datasette, app, address)
            os._exit(0)
        children.append(pid)
    _wait_for(children)
    holder.close()


def _socket(address: tuple[str, int]) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in address[0] else socket.AF_INET, socket.SOCK_STREAM,
                         socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def _run_worker(uvicorn, datasette, app, address: tuple[str, int]) -> None:
    import asyncio
    asyncio.run(datasette.invoke_startup())           # the plugins' startup hooks, in this process
    listener = _socket(address)
    listener.listen(2048)
    config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
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
