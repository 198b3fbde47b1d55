"""`douzelage serve` itself (scripts/serve.py): worker processes that answer side by side, and that all stop
with it. A real process and a real HTTP client; nothing here measures speed (`make bench` does)."""
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from scripts.layout import DATABASE_NAME
from tests.conftest import _free_port

RUNAWAY = "with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r"


@pytest.fixture
def server(built, package):
    port = _free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "douzelage"), "serve", "--out", str(package),
                             "--metadata", str(built / "metadata.json"), "--port", str(port), "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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


def test_a_second_worker_answers_while_the_first_runs_a_slow_query(server):
    proc, base = server
    assert len(workers(proc.pid)) == 2
    finished = {}

    def slow():
        r = httpx.get(f"{base}/{DATABASE_NAME}.json", params={"sql": RUNAWAY}, timeout=30)
        finished["slow"] = (time.monotonic(), r.status_code)

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.2)                        # the slow query is running in one worker now
    r = httpx.get(f"{base}/{DATABASE_NAME}/towns.json?_shape=array&_size=1", timeout=30)
    answered = time.monotonic()
    thread.join()
    assert r.status_code == 200 and len(r.json()) == 1
    assert finished["slow"][1] == 400       # stopped by sql_time_limit_ms
    assert answered < finished["slow"][0]   # the other worker did not wait for it


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
