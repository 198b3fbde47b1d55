"""`make bench`: our build, the floor and the naive pipeline side by side on the same rows, then the site.

Why: issue 6 sets targets as ratios (build ≤ 3× the floor at 100,000 towns, site ≥ 10× a default
Datasette...). This measures every term of those ratios in one run on one machine, and writes
bench/results.json and the tables in bench/README.md. It is not a test: nothing asserts on time.

Every measured step is a subprocess; its wall time comes from the clock, its CPU time and peak memory
from GNU time (the rusage of that one child and the children it waited for). Each step runs --runs
times; the tables show medians.

    python bench/run.py                          # all four sizes, 3 runs each, then the site at the largest
    python bench/run.py --sizes 30,1000 --runs 1 --no-site
    python bench/run.py --only pages --concurrency 10   # the landing and a town page on the real data only
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from bench import generate, report  # noqa: E402
from douzelage.layout import DB_FILE, SOURCES, SOURCES_DESCRIPTOR  # noqa: E402
from douzelage.read.sources import source_tables  # noqa: E402

TIME = "/usr/bin/time"  # GNU time (Debian package `time`); `make bench` installs it if missing


# ---------------------------------------------------------------------------------------------- measuring


def measure(cmd: list[str], timeout: float | None = None, **kw) -> dict:
    """Run one command; wall and CPU seconds, peak RSS (MiB) and exit code. A timeout kills it.

    The command runs under /usr/bin/time (GNU time), which forks it from a small process: a child forked
    straight from this Python process would report this process's memory as its own peak (Linux keeps
    the larger of the old and new address space's high-water mark across exec).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as usage:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [TIME, "-f", "%U %S %M", "-o", usage.name, *cmd], stdout=out, stderr=err, start_new_session=True, **kw
        )
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        wall = time.perf_counter() - start
        out.seek(0), err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        fields = (usage.read().strip().splitlines() or ["0 0 0"])[-1].split()
    timed_out = timeout is not None and wall >= timeout and proc.returncode == -signal.SIGKILL
    user, system, rss_kib = (float(f) for f in fields[-3:]) if len(fields) >= 3 else (0.0, 0.0, 0.0)
    rc = proc.returncode
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(user + system, 3),
        "max_rss_mib": round(rss_kib / 1024, 1),
        "rc": rc,
        "timed_out": timed_out,
        "stderr_tail": stderr.replace("Command exited with non-zero status", "")[-600:] if rc else "",
        "stdout_tail": stdout[-600:],
    }


def combine(steps: list[dict]) -> dict:
    """Steps run one after another: times add up, peak memory is the largest."""
    return {
        "wall_s": round(sum(s["wall_s"] for s in steps), 3),
        "cpu_s": round(sum(s["cpu_s"] for s in steps), 3),
        "max_rss_mib": max(s["max_rss_mib"] for s in steps),
        "rc": max((s["rc"] for s in steps), key=abs),
        "timed_out": any(s["timed_out"] for s in steps),
        "stderr_tail": next((s["stderr_tail"] for s in steps if s["rc"]), ""),
    }


def median(runs: list[dict]) -> dict:
    ok = [r for r in runs if r["rc"] == 0] or runs
    return {k: round(statistics.median(r[k] for r in ok), 3) for k in ("wall_s", "cpu_s", "max_rss_mib")} | {
        "runs": len(runs),
        "ok": sum(r["rc"] == 0 for r in runs),
    }


# ------------------------------------------------------------------------------------------------- the data


def sources_for(n: int) -> Path:
    """bench/data/N/sources, generated once per version of the generator (a stamp file says which)."""
    folder = DATA / str(n) / "sources"
    stamp = hashlib.sha256(b"".join((BENCH / f).read_bytes() for f in ("generate.py", "places.py"))).hexdigest()
    stamp_file = folder / ".stamp"
    if not (stamp_file.exists() and stamp_file.read_text() == stamp):
        shutil.rmtree(folder, ignore_errors=True)
        print(f"  generating {n} towns ...", flush=True)
        generate.generate(n, folder)
        stamp_file.write_text(stamp)
    return folder


def row_counts(folder: Path) -> dict[str, int]:
    counts = {}
    for table in source_tables():
        with open(folder / f"{table}.csv", "rb") as f:
            counts[table] = sum(1 for _ in f) - 1  # generated files: one line per row
    return counts


def naive_descriptor(folder: Path) -> Path:
    """The sources' own descriptor (sources/datapackage.json: the Table Schemas less the derived columns
    and the keys to derived tables, which have no files), beside the generated files of the same names."""
    path = folder / "datapackage.json"
    shutil.copyfile(SOURCES_DESCRIPTOR, path)
    return path


# -------------------------------------------------------------------------------------------- the contenders


def run_build(folder: Path, work: Path, timeout: float) -> dict:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    return measure(
        [
            str(BIN / "douzelage"),
            "build",
            "--sources",
            str(folder),
            "--out",
            str(work / "datapackage"),
            "--metadata",
            str(work / "metadata.json"),
        ],
        timeout,
    )


def run_floor(folder: Path, work: Path, timeout: float) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    return measure([sys.executable, str(BENCH / "floor.py"), str(folder), str(work / "floor.db")], timeout)


def run_naive(folder: Path, work: Path, timeout: float) -> dict:
    """frictionless validate (the reference validator), then sqlite-utils insert --detect-types per file."""
    work.mkdir(parents=True, exist_ok=True)
    descriptor = naive_descriptor(folder)
    steps = [measure([str(BIN / "frictionless"), "validate", str(descriptor)], timeout)]
    if steps[0]["rc"] != 0:
        steps[0]["stderr_tail"] = steps[0]["stderr_tail"] or steps[0]["stdout_tail"]
    db = work / "naive.db"
    db.unlink(missing_ok=True)
    help_text = subprocess.run([str(BIN / "sqlite-utils"), "insert", "--help"], capture_output=True, text=True).stdout
    detect = (
        ["--detect-types"] if "--detect-types" in help_text.replace("--no-detect-types", "") else []
    )  # 3.x; 4.x detects by default
    for table in source_tables():
        if any(s["timed_out"] for s in steps):
            break
        steps.append(
            measure(
                [str(BIN / "sqlite-utils"), "insert", str(db), table, str(folder / f"{table}.csv"), "--csv", *detect],
                timeout,
            )
        )
    result = combine(steps)
    result["frictionless"] = {k: steps[0][k] for k in ("wall_s", "cpu_s", "max_rss_mib", "rc")}
    result["sqlite_utils"] = combine(steps[1:]) if len(steps) > 1 else None
    return result


def check_package(package: Path, timeout: float) -> dict:
    """Does the package our build wrote pass frictionless validate? (once per size, timed too)"""
    r = measure([str(BIN / "frictionless"), "validate", str(package / "datapackage.json")], timeout)
    return {
        "valid": r["rc"] == 0,
        **{k: r[k] for k in ("wall_s", "cpu_s", "max_rss_mib", "rc", "timed_out")},
        "report_tail": (r["stdout_tail"] if r["rc"] else ""),
    }


def bench_size(n: int, runs: int, timeout: float, check: bool) -> dict:
    print(f"== {n} towns", flush=True)
    folder = sources_for(n)
    work = DATA / str(n) / "work"
    result = {
        "towns": n,
        "rows": row_counts(folder),
        "build": [],
        "floor": [],
        "naive": [],
        "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3],
    }
    result["rows_total"] = sum(result["rows"].values())
    for i in range(runs):
        for name, fn in (("floor", run_floor), ("build", run_build), ("naive", run_naive)):
            if result[name] and result[name][-1]["timed_out"]:
                continue  # it timed out once: do not spend that again
            r = fn(folder, work / name, timeout)
            result[name].append(r)
            print(
                f"  run {i + 1} {name:5}: {r['wall_s']:8.2f} s wall {r['cpu_s']:8.2f} s cpu "
                f"{r['max_rss_mib']:8.1f} MiB rc={r['rc']}{' TIMEOUT' if r['timed_out'] else ''}",
                flush=True,
            )
            if r["rc"] and not r["timed_out"]:
                print("    " + r["stderr_tail"][-400:].replace("\n", "\n    "), flush=True)
    for name in ("build", "floor", "naive"):
        result[f"{name}_median"] = median(result[name])
    package = work / "build" / "datapackage"
    if check and (package / "datapackage.json").exists() and result["build"][-1]["rc"] == 0:
        result["package_check"] = check_package(package, timeout)
        print(
            f"  frictionless validate of our package: valid={result['package_check']['valid']} "
            f"({result['package_check']['wall_s']} s)",
            flush=True,
        )
    return result


# ------------------------------------------------------------------------------------- real data vs imports

LIBS_PROBE = """
import sys, runpy
sys.argv = ["douzelage", "build", "--sources", sys.argv[1], "--out", sys.argv[2], "--metadata", sys.argv[3]]
try:
    runpy.run_module("douzelage.cli", run_name="__main__")
except SystemExit:
    pass
std = set(sys.stdlib_module_names)
print(" ".join(sorted({m.split(".")[0] for m in list(sys.modules)} - std - {"douzelage", "__main__", "_distutils_hack"}
                      - {m for m in sys.modules if m.startswith("_")})))
"""


def bench_real(runs: int) -> dict:
    print("== real data vs importing the libraries", flush=True)
    work = DATA / "real"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    probe = subprocess.run(
        [sys.executable, "-c", LIBS_PROBE, str(SOURCES), str(work / "probe"), str(work / "probe-metadata.json")],
        capture_output=True,
        text=True,
        check=True,
    )
    libs = probe.stdout.strip().splitlines()[-1].split()
    importable = [
        m for m in libs if subprocess.run([sys.executable, "-c", f"import {m}"], capture_output=True).returncode == 0
    ]
    imports, builds = [], []
    for _ in range(runs):
        imports.append(measure([sys.executable, "-c", "import " + ", ".join(importable)]))
        builds.append(run_build(SOURCES, work / "build", 120))
    result = {
        "libraries": importable,
        "imports": imports,
        "builds": builds,
        "import_median": median(imports),
        "build_median": median(builds),
    }
    print(
        f"  import {result['import_median']['wall_s']} s, build {result['build_median']['wall_s']} s "
        f"({len(importable)} top-level packages)",
        flush=True,
    )
    return result


# ---------------------------------------------------------------------------------------------------- site


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args: list[str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"datasette exited: {proc.stderr.read().decode()[-800:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError("datasette did not start in 120 s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def tree(pid: int) -> list[int]:
    """The process and its descendants (our server forks its workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *[p for c in children for p in tree(int(c))]]


def memory_mib(pid: int) -> dict:
    """Memory of the server, all its processes together: PSS (each shared page counted once, split
    between the processes sharing it; what the server costs the machine), RSS summed (shared pages
    counted in every process), and the largest single process's peak RSS."""

    def kib(path: str, key: str) -> int:
        return int(re.search(rf"^{key}:\s+(\d+) kB", Path(path).read_text(), re.M).group(1))

    pids = tree(pid)
    return {
        "processes": len(pids),
        "pss_mib": round(sum(kib(f"/proc/{p}/smaps_rollup", "Pss") for p in pids) / 1024, 1),
        "rss_mib": round(sum(kib(f"/proc/{p}/status", "VmRSS") for p in pids) / 1024, 1),
        "peak_rss_mib": round(max(kib(f"/proc/{p}/status", "VmHWM") for p in pids) / 1024, 1),
    }


def settle(pid: int, limit_s: float = 180) -> float:
    """Wait until the server has worked off the requests wrk left queued (its CPU time stops growing),
    so that one measurement does not pay for the last one's backlog. Returns the seconds waited."""
    start = time.perf_counter()

    def ticks():
        return sum(
            int(x)
            for p in tree(pid)  # noqa: E731
            for x in Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[11:13]
        )

    while time.perf_counter() - start < limit_s:
        before = ticks()
        time.sleep(0.5)
        if ticks() - before <= 2:  # at most 20 ms of CPU in 500 ms: idle
            break
    return round(time.perf_counter() - start, 1)


WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %f %f %f %f %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def wrk(url: str, connections: int, seconds: int) -> dict:
    script = DATA / "wrk-report.lua"
    script.write_text(WRK_SCRIPT)
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(min(connections, 2)),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    m = re.search(r"^RESULT (.*)$", out, re.M)
    if not m:
        return {"error": out[-400:]}
    req, dur_us, p50, p95, p99, mean, *errs = m.group(1).split()
    errors = sum(int(e) for e in errs)
    refused = int(errs[3])  # answers with a status of 400 or more (here: 429 from the per-client limits)
    return {
        "requests": int(req),
        "req_per_s": round(int(req) / (int(dur_us) / 1e6), 1),
        "ok_req_per_s": round((int(req) - refused) / (int(dur_us) / 1e6), 1),
        "non_2xx": refused,
        "p50_ms": round(float(p50) / 1000, 1),
        "p95_ms": round(float(p95) / 1000, 1),
        "p99_ms": round(float(p99) / 1000, 1),
        "mean_ms": round(float(mean) / 1000, 1),
        "errors": errors,
    }


def site_paths(db: Path) -> dict[str, str]:
    """The seven requests of the issue, on rows that exist in this database."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    town, name = conn.execute(
        "select id, name from towns order by id limit 1 offset (select count(*) / 2 from towns)"
    ).fetchone()
    host = conn.execute("select host from meetings group by host order by count(*) desc limit 1").fetchone()[0]
    word = name.split()[0].lower()
    conn.close()
    canned_sql = (
        "select m.start_date, m.end_date, m.kind, m.title, m.theme, m.participants, m.towns_represented, "
        "t.name as host_name, t.latitude, t.longitude, m.id as meeting, m.source from meetings m "
        "join towns t on t.id = m.host where m.host = :town order by m.start_date desc"
    )
    return {
        "table": "/douzelage/towns",
        "row": f"/douzelage/towns/{town}",
        "facet": "/douzelage/towns?_facet=country",
        "json_filter": "/douzelage/towns.json?country=SE&_shape=array&_size=20",
        "search": f"/douzelage/towns.json?_search={urllib.request.quote(word)}&_shape=array&_size=20",
        "canned": f"/douzelage/meetings_by_host.json?town={host}&_shape=array",
        "canned_as_sql": "/douzelage.json?"
        + urllib.parse.urlencode({"sql": canned_sql, "town": host, "_shape": "array"}),
        "versions": "/-/versions.json",
    }


# The load generator is one address (wrk on loopback): the per-client limits, made for the public, would
# answer most of its requests with 429 and the benchmark would measure the refusals. The benchmark measures
# what the server can serve, so its address is trusted (`douzelage serve --trusted`); `make soak`
# measures the limits, with visitors and attackers each on an address of their own.
TRUSTED = ["--trusted", "127.0.0.1"]


def bench_site(n: int, seconds: int, concurrency: list[int]) -> dict:
    print(f"== site at {n} towns", flush=True)
    package = DATA / str(n) / "work" / "build" / "datapackage"
    metadata = DATA / str(n) / "work" / "build" / "metadata.json"
    db = package / DB_FILE
    if not db.exists():
        return {"towns": n, "skipped": f"no database at {db}: the build did not finish at this size"}
    paths = site_paths(db)
    servers = {
        "ours": lambda port: [
            str(BIN / "douzelage"),
            "serve",
            "--out",
            str(package),
            "--metadata",
            str(metadata),
            "--port",
            str(port),
            *TRUSTED,
        ],
        "default": lambda port: [str(BIN / "datasette"), "serve", str(db), "--host", "127.0.0.1", "--port", str(port)],
    }
    results = {"towns": n, "seconds": seconds, "paths": paths, "servers": {}}  # the build wrote the inspect file
    for name, make_args in servers.items():
        port = free_port()
        t0 = time.perf_counter()
        proc = start_server(make_args(port), port)
        startup = round(time.perf_counter() - t0, 2)
        settle(proc.pid)
        server = {"startup_s": startup, "args": make_args(port), "endpoints": {}}
        try:
            for label, path in paths.items():
                if label == "canned" and name == "default":
                    continue  # a default datasette has no canned queries: canned_as_sql instead
                if label == "canned_as_sql" and name == "ours":
                    continue
                url = f"http://127.0.0.1:{port}{path}"
                status = _status(url)
                rows = {"status": status}
                for c in concurrency:
                    rows[str(c)] = wrk(url, c, seconds)
                    rows[str(c)]["settle_s"] = settle(proc.pid)
                    r = rows[str(c)]
                    print(
                        f"  {name:7} {label:13} c={c:<3} {r.get('req_per_s', '-'):>8} req/s "
                        f"p50 {r.get('p50_ms', '-')} p95 {r.get('p95_ms', '-')} p99 {r.get('p99_ms', '-')} ms "
                        f"errors {r.get('errors', r.get('error'))}",
                        flush=True,
                    )
                server["endpoints"]["canned" if label == "canned_as_sql" else label] = rows
            if name == "ours":
                server["map"] = map_walk(port)
                print(
                    f"  map: first 1,000 markers in {server['map']['first_page_s']} s, "
                    f"{server['map']['markers']:,} in {server['map']['all_s']} s",
                    flush=True,
                )
            server["memory"] = memory_mib(proc.pid)
        finally:
            stop_server(proc)
        results["servers"][name] = server
    return results


MAP_QUERY = "_size=max&_labels=on&_extra=count&_extra=next_url&_shape=objects"  # what datasette-cluster-map asks


def map_walk(port: int, limit_s: float = 180) -> dict:
    """Load the towns map as datasette-cluster-map does: pages of 1,000 markers, following next_url."""
    url, pages, markers, first = f"http://127.0.0.1:{port}/douzelage/towns.json?{MAP_QUERY}", 0, 0, None
    start = time.perf_counter()
    while url and time.perf_counter() - start < limit_s:
        with urllib.request.urlopen(url, timeout=60) as r:
            data = json.loads(r.read())
        pages, markers = pages + 1, markers + len(data["rows"])
        first = first or round(time.perf_counter() - start, 3)
        url = data.get("next_url")
    return {
        "first_page_s": first,
        "pages": pages,
        "markers": markers,
        "complete": url is None,
        "all_s": round(time.perf_counter() - start, 2),
    }


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


# ------------------------------------------------------------------------------- public pages, real data


def page_paths(db: Path) -> dict[str, str]:
    """The public pages where people arrive, on the real data: the landing page and the page of the town
    that hosted most meetings (the longest town page), beside /-/versions.json to compare with."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    town = conn.execute(
        "select host from meetings where host is not null group by host order by count(*) desc, host limit 1"
    ).fetchone()[0]
    conn.close()
    return {"landing": "/", "town": f"/town/{town}", "versions": "/-/versions.json"}


def bench_pages(seconds: int, concurrency: list[int]) -> dict:
    """The landing page and a town page of the real data, served by `douzelage serve`, against
    /-/versions.json (issue 16: each ≥ 50% of its requests per second at 10 concurrent). The real sources
    are built into bench/data/real-site first (a few seconds)."""
    print("== public pages on the real data", flush=True)
    work = DATA / "real-site"
    built = run_build(SOURCES, work, 300)
    if built["rc"]:
        return {"skipped": f"the build of the real data failed: {built['stderr_tail'][-300:]}"}
    package, metadata = work / "datapackage", work / "metadata.json"
    paths = page_paths(package / DB_FILE)
    port = free_port()
    args = [str(BIN / "douzelage"), "serve", "--out", str(package), "--metadata", str(metadata), "--port", str(port)]
    args += TRUSTED
    t0 = time.perf_counter()
    proc = start_server(args, port)
    results = {
        "data": "real (sources/)",
        "seconds": seconds,
        "paths": paths,
        "startup_s": round(time.perf_counter() - t0, 2),
        "endpoints": {},
    }
    settle(proc.pid)
    try:
        for label, path in paths.items():
            url = f"http://127.0.0.1:{port}{path}"
            rows = {"status": _status(url), "headers": _cache_headers(url)}
            for c in concurrency:
                rows[str(c)] = wrk(url, c, seconds)
                rows[str(c)]["settle_s"] = settle(proc.pid)
                r = rows[str(c)]
                print(
                    f"  {label:9} c={c:<3} {r.get('req_per_s', '-'):>8} req/s ({r.get('non_2xx', '-')} refused) "
                    f"p50 {r.get('p50_ms', '-')} p95 {r.get('p95_ms', '-')} p99 {r.get('p99_ms', '-')} ms "
                    f"errors {r.get('errors', r.get('error'))}",
                    flush=True,
                )
            results["endpoints"][label] = rows
        results["memory"] = memory_mib(proc.pid)
    finally:
        stop_server(proc)
    return results


def _cache_headers(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:
        return {k: r.headers.get(k) for k in ("ETag", "Cache-Control") if r.headers.get(k)}


# -------------------------------------------------------------------------------------------------- machine


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) // 1024
    from importlib.metadata import version

    packages = {
        p: version(p)
        for p in ("frictionless", "datasette", "datasette-cluster-map", "sqlite-utils", "pyproj", "pycountry")
    }
    import sqlite3

    wrk_version = (
        subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        if shutil.which("wrk")
        else None
    )
    return {
        "nproc": os.cpu_count(),
        "memory_mib": mem,
        "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3],
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "packages": packages,
        "wrk": wrk_version,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default=",".join(map(str, generate.SIZES)), help="comma-separated numbers of towns")
    p.add_argument("--runs", type=int, default=3, help="runs of each step per size (medians are reported)")
    p.add_argument("--timeout", type=float, default=900, help="seconds before one step is killed and marked")
    p.add_argument("--no-check", action="store_true", help="skip frictionless validate of our package")
    p.add_argument("--real-runs", type=int, default=5, help="runs of the real-data build and of the imports")
    p.add_argument("--no-site", action="store_true", help="skip the site load test")
    p.add_argument("--site-size", type=int, help="towns of the database to serve (default: largest size built)")
    p.add_argument("--site-seconds", type=int, default=10, help="seconds of load per request and concurrency")
    p.add_argument("--concurrency", default="1,10,50")
    p.add_argument(
        "--only",
        choices=("site", "pages"),
        help="only the site (the synthetic database's site, if one was built, and the public pages on the real "
        "data), or only the public pages on the real data",
    )
    p.add_argument(
        "--out", type=Path, default=BENCH / "results.json", help="results file; the tables go to README.md beside it"
    )
    a = p.parse_args(argv)
    sizes = [int(s) for s in a.sizes.split(",") if s]
    results = json.loads(a.out.read_text()) if a.out.exists() else {}
    results["machine"] = machine()
    results.setdefault("sizes", {})
    if a.only:  # the earlier results of the other parts stay in the file as they were
        if not shutil.which("wrk"):
            print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
            return 1
        concurrency = [int(c) for c in a.concurrency.split(",")]
        if a.only == "site":
            built = [n for n in sizes if (DATA / str(n) / "work/build/datapackage" / DB_FILE).exists()]
            if built or a.site_size:
                results["site"] = bench_site(a.site_size or max(built), a.site_seconds, concurrency)
                _save(results, a.out)
        results["pages"] = bench_pages(a.site_seconds, concurrency)
        _save(results, a.out)
        report.write_readme(results, a.out.parent / "README.md")
        return 0
    for n in sizes:
        results["sizes"][str(n)] = bench_size(n, a.runs, a.timeout, not a.no_check)
        _save(results, a.out)
    if a.real_runs:
        results["real"] = bench_real(a.real_runs)
        _save(results, a.out)
    if not a.no_site:
        if not shutil.which("wrk"):
            print("wrk is not installed (apt-get install wrk): skipping the site", file=sys.stderr)
        else:
            built = [n for n in sizes if (DATA / str(n) / "work/build/datapackage" / DB_FILE).exists()]
            size = a.site_size or (max(built) if built else max(sizes))
            results["site"] = bench_site(size, a.site_seconds, [int(c) for c in a.concurrency.split(",")])
            _save(results, a.out)
            results["pages"] = bench_pages(a.site_seconds, [int(c) for c in a.concurrency.split(",")])
            _save(results, a.out)
    report.write_readme(results, a.out.parent / "README.md")  # bench/README.md beside bench/results.json
    return 0


def _save(results: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    sys.exit(main())
