"""`douzelage serve` itself (scripts/douzelage/serve.py): worker processes that answer side by side, and that all stop
with it. A real process and a real HTTP client; nothing here measures speed (`make bench` does)."""

import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import _free_port, serve_command

from douzelage.layout import DATABASE_NAME

RUNAWAY = "with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r"


@pytest.fixture
def server(built, package):
    port = _free_port()
    proc = subprocess.Popen(
        serve_command(built, package, port, workers=2),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        try:
            if httpx.get(f"{base}/-/versions.json", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    yield proc, base
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def workers(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_the_other_worker_answers_while_one_runs_a_slow_query(server):
    """The kernel spreads new connections over the workers by a hash of their addresses, so of a dozen
    connections some are on the worker that is free (all twelve on the busy one: 1 in 4,096). Each comes
    from an address of its own (127.0.0.x): twelve at once from one address would be more than one client
    may ask at once (scripts/client_limits.py). The twelve connections are opened (and answered once)
    before the slow query starts, so a loaded machine's time to connect does not count."""
    proc, base = server
    assert len(workers(proc.pid)) == 2
    quick_path = f"/{DATABASE_NAME}/towns.json?_shape=array&_size=1"
    clients = [httpx.Client(transport=httpx.HTTPTransport(local_address=f"127.0.0.{100 + i}")) for i in range(12)]
    try:
        for c in clients:
            assert c.get(base + quick_path, timeout=30).status_code == 200  # the connection is open
        done = {}

        def get(name, client, path, params=None):
            r = client.get(base + path, params=params, timeout=30)
            done[name] = (time.monotonic(), r.status_code)

        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.99")) as slow_client:
            slow = threading.Thread(target=get, args=("slow", slow_client, f"/{DATABASE_NAME}.json", {"sql": RUNAWAY}))
            slow.start()
            time.sleep(0.2)  # the slow query is running in one worker now
            quick = [threading.Thread(target=get, args=(i, c, quick_path)) for i, c in enumerate(clients)]
            for t in quick:
                t.start()
            for t in [slow, *quick]:
                t.join()
    finally:
        for c in clients:
            c.close()
    assert done["slow"][1] == 400  # stopped by sql_time_limit_ms
    assert all(done[i][1] == 200 for i in range(12))
    assert min(done[i][0] for i in range(12)) < done["slow"][0]  # answered without waiting for it


def test_stopping_the_server_stops_every_worker(server):
    proc, _ = server
    pids = workers(proc.pid)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    for pid in pids:
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.1)
        assert not Path(f"/proc/{pid}").exists(), f"worker {pid} outlived the server"
