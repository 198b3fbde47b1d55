"""`make soak`: the site under ordinary traffic and four hostile clients, on loopback, for a bounded time.

Starts `douzelage serve` on a free loopback port, then runs 50 ordinary visitors at once (each its own
loopback address, 127.0.1.x, as separate people would be; each asks for a page, reads it for THINK_S,
then asks for the next: about 50 requests a second in all, well within what the site serves) for PHASE_S
seconds alone, then the same with four hostile clients (127.0.2.1-4) that loop the worst queries
(a runaway recursive query stopped by the time limit, printf with a huge precision, group_concat over
a cross join, an unknown _sort, a malformed _through) with four requests in flight each, for 2 x PHASE_S;
they run in a process of their own, so their loops do not slow the visitors' own clocks.
Writes bench/soak.json and bench/soak.md: requests, status counts, p50/p95/p99 of the ordinary traffic
with and without the attackers, the largest single request time, log bytes per refused request, and
the server's memory (all its processes, RSS) in the first and the last minute. Stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TIME_LIMIT_S = 1.0
THINK_S = (0.5, 1.5)
ORDINARY = [
    "/",
    "/douzelage/towns",
    "/douzelage/towns.json?_shape=array",
    "/town/oxelosund",
    "/town/sherborne",
    "/douzelage/meetings?_facet=kind",
    "/douzelage/search?q=music",
    "/douzelage/search.json?q=granville",
    "/downloads",
    "/-/versions.json",
    "/douzelage/nearest_towns?town=koszeg",
    "/robots.txt",
    "/douzelage/meetings_in_year.json?year=2016",
    "/catalogue",
]
HOSTILE = [
    "/douzelage.json?sql=" + "with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r",
    "/douzelage.json?sql=select printf('%25.*c', 2147483647, 'x')",
    "/douzelage.json?sql=select length(group_concat(a.name||b.name||c.name)) from towns a, towns b, towns c, towns d",
    "/douzelage/towns?_sort=nope",
    "/douzelage/towns?_through=nope",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    total = 0
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1)


def server_ms(response: httpx.Response) -> float:
    """How long the server itself worked on a request (its Server-Timing header), in ms; 0 if absent."""
    for part in response.headers.get("server-timing", "").split(","):
        name, _, dur = part.strip().partition(";dur=")
        if name == "app" and dur:
            return float(dur)
    return 0.0


async def visitor(base: str, address: str, until: float, out: list, server: list, status: dict, errors: list) -> None:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=30) as client:
        while time.monotonic() < until:
            path = random.choice(ORDINARY)
            started = time.monotonic()
            try:
                r = await client.get(path)
                out.append(time.monotonic() - started)
                server.append((server_ms(r), path))
                status[r.status_code] = status.get(r.status_code, 0) + 1
            except httpx.HTTPError as e:
                errors.append(f"{type(e).__name__} {path}")
            await asyncio.sleep(random.uniform(*THINK_S))


async def attacker(base: str, address: str, until: float, status: dict, times: list, server: list) -> None:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=30) as client:

        async def loop():
            while time.monotonic() < until:
                started = time.monotonic()
                try:
                    path = random.choice(HOSTILE)
                    r = await client.get(path)
                    status[r.status_code] = status.get(r.status_code, 0) + 1
                    server.append((server_ms(r), f"{r.status_code} {path}"))
                except httpx.HTTPError as e:
                    status[type(e).__name__] = status.get(type(e).__name__, 0) + 1
                times.append(time.monotonic() - started)

        await asyncio.gather(*(loop() for _ in range(4)))


def _attack(base: str, until: float, attackers: int, results) -> None:
    """The hostile clients, in a process of their own (so their loops do not slow the visitors' clock)."""
    status, times, server = {}, [], []

    async def run():
        await asyncio.gather(
            *(attacker(base, f"127.0.2.{i + 1}", until, status, times, server) for i in range(attackers))
        )

    asyncio.run(run())
    results.put((status, times, server))


async def phase(base: str, seconds: float, attackers: int, pid: int, memory: list) -> dict:
    until = time.monotonic() + seconds
    ordinary, server, status, errors, hostile_status, hostile_times, hostile_server = [], [], {}, [], {}, [], []
    tasks = [visitor(base, f"127.0.1.{i + 1}", until, ordinary, server, status, errors) for i in range(50)]
    results = multiprocessing.Queue()
    hostile = multiprocessing.Process(target=_attack, args=(base, until, attackers, results))
    if attackers:
        hostile.start()

    async def sample():
        while time.monotonic() < until:
            memory.append((time.monotonic(), rss_kib(pid)))
            await asyncio.sleep(5)

    await asyncio.gather(*tasks, sample())
    if attackers:
        hostile_status, hostile_times, hostile_server = results.get(timeout=120)
        hostile.join()
    return {
        "ordinary_requests": len(ordinary),
        "ordinary_status": status,
        "ordinary_connection_errors": len(errors),
        "ordinary_errors_sample": errors[:5],
        "ordinary_p50_ms": percentile(ordinary, 0.50),
        "ordinary_p95_ms": percentile(ordinary, 0.95),
        "ordinary_p99_ms": percentile(ordinary, 0.99),
        "ordinary_max_ms": percentile(ordinary, 1.0),
        "hostile_requests": len(hostile_times),
        "hostile_status": hostile_status,
        "hostile_max_ms": percentile(hostile_times, 1.0),
        "server_max_ms": round(max((ms for ms, _ in server + hostile_server), default=0.0), 1),
        "server_slowest": [f"{ms:.0f} ms {path}" for ms, path in sorted(server + hostile_server, reverse=True)[:5]],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase", type=float, default=60.0, help="seconds unattacked (the attack lasts twice as long)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "soak.json")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    port = free_port()
    log = Path(tempfile.mkdtemp()) / "serve.log"
    env = {k: v for k, v in os.environ.items() if k != "DOUZELAGE_BASE_URL"}
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "douzelage"), "serve", "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/-/versions.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        for path in ORDINARY:  # warm every worker's caches a little
            httpx.get(base + path, timeout=10)
        memory: list = []
        calm = asyncio.run(phase(base, args.phase, 0, proc.pid, memory))
        log_before = log.stat().st_size
        attacked = asyncio.run(phase(base, 2 * args.phase, 4, proc.pid, memory))
        log_bytes = log.stat().st_size - log_before
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    start, end = memory[0][0], memory[-1][0]
    first = [kib for t, kib in memory if t - start <= 60]
    last = [kib for t, kib in memory if end - t <= 60]
    refused = sum(n for code, n in attacked["hostile_status"].items() if str(code).startswith("4"))
    refused += sum(n for code, n in attacked["ordinary_status"].items() if str(code).startswith("4"))
    every_status = [calm["ordinary_status"], attacked["ordinary_status"], attacked["hostile_status"]]
    result = {
        "duration_s": 3 * args.phase,
        "workers": len(os.sched_getaffinity(0)),
        "ordinary_clients": 50,
        "hostile_clients": 4,
        "load_average_before_and_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "calm": calm,
        "attacked": attacked,
        "responses_5xx": sum(n for s in every_status for code, n in s.items() if str(code).startswith("5")),
        "p95_ratio_attacked_to_calm": round(attacked["ordinary_p95_ms"] / calm["ordinary_p95_ms"], 2),
        "largest_request_ms": max(
            calm["ordinary_max_ms"], attacked["ordinary_max_ms"], attacked["hostile_max_ms"] or 0
        ),
        "largest_server_time_ms": max(calm["server_max_ms"], attacked["server_max_ms"]),
        "refused_requests": refused,
        "log_bytes_during_attack": log_bytes,
        "log_bytes_per_refused_request": round(log_bytes / refused, 1) if refused else None,
        "memory_first_minute_kib": round(sum(first) / len(first)),
        "memory_last_minute_kib": round(sum(last) / len(last)),
    }
    result["memory_growth_percent"] = round(
        100 * (result["memory_last_minute_kib"] / result["memory_first_minute_kib"] - 1), 1
    )
    targets = {
        "no 5xx": result["responses_5xx"] == 0,
        "no connection errors for ordinary clients": calm["ordinary_connection_errors"]
        + attacked["ordinary_connection_errors"]
        == 0,
        "p95 under attack <= 3x calm": result["p95_ratio_attacked_to_calm"] <= 3,
        "no request runs over time limit + 0.5 s": result["largest_server_time_ms"] <= (TIME_LIMIT_S + 0.5) * 1000,
        "<= 1 KiB of log per refused request": (result["log_bytes_per_refused_request"] or 0) <= 1024,
        "memory growth <= 10%": result["memory_growth_percent"] <= 10,
    }
    result["targets_met"] = targets
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    md = [
        f"# Soak ({result['duration_s']:.0f} s, {result['workers']} workers, 50 visitors, 4 hostile clients)",
        "",
        "Written by `make soak` (bench/soak.py). Machine load average (1 min) before and after: "
        f"{result['load_average_before_and_after']} (the machine is shared; other work there slows both phases).",
        "",
        "| | calm | under attack |",
        "| --- | --- | --- |",
    ]
    for key in (
        "ordinary_requests",
        "ordinary_p50_ms",
        "ordinary_p95_ms",
        "ordinary_p99_ms",
        "ordinary_max_ms",
        "ordinary_connection_errors",
        "server_max_ms",
    ):
        md.append(f"| {key} | {calm[key]} | {attacked[key]} |")
    md += [
        "",
        f"- ordinary status counts: calm {calm['ordinary_status']}, attacked {attacked['ordinary_status']}",
        f"- hostile: {attacked['hostile_requests']} requests, status {attacked['hostile_status']}",
        f"- p95 ratio (attacked / calm): {result['p95_ratio_attacked_to_calm']}",
        f"- longest the server worked on one request (its Server-Timing header): {result['largest_server_time_ms']} ms",
        f"- the server's five longest requests, under attack: {'; '.join(attacked['server_slowest'])}",
        f"- largest single request as a client waited for it (with queueing on 2 cores shared with the load "
        f"generator): {result['largest_request_ms']} ms",
        f"- log bytes per refused request: {result['log_bytes_per_refused_request']}",
        f"- server memory (RSS, all processes): first minute {result['memory_first_minute_kib']} KiB, "
        f"last minute {result['memory_last_minute_kib']} KiB ({result['memory_growth_percent']:+}%)",
        "",
        "Targets: " + ", ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in targets.items()),
        "",
    ]
    args.out.with_suffix(".md").write_text("\n".join(md), encoding="utf-8")
    print("\n".join(md))
    return 0 if all(targets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
