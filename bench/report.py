"""Turn bench/results.json into the Markdown tables of bench/README.md (between two marker comments).

Kept apart from run.py so the tables can be redrawn from a results file without running anything:
python bench/report.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
START, END = "<!-- results:start -->", "<!-- results:end -->"
LIMITS = {
    "build_vs_floor": 3.0,
    "build_mib": 512,
    "real_vs_imports": 2.0,
    "site_vs_default": 10.0,
    "json_vs_versions": 0.5,
    "page_vs_versions": 0.5,
    "p95_ms": 100,
    "server_mib": 256,
}


def _t(m: dict | None, key: str = "wall_s") -> str:
    return "—" if not m or m.get(key) is None else f"{m[key]:,.2f}" if key != "max_rss_mib" else f"{m[key]:,.0f}"


def _status(runs: list[dict]) -> str:
    if not runs:
        return "not run"
    if any(r.get("timed_out") for r in runs):
        return f"killed after {runs[-1]['wall_s']:.0f} s"
    if all(r["rc"] != 0 for r in runs):
        return f"failed (rc {runs[-1]['rc']})"
    return ""


def build_table(sizes: dict) -> list[str]:
    lines = [
        "| towns | rows | our build: wall s / CPU s / MiB | floor: wall s / CPU s / MiB | "
        "naive: wall s / CPU s / MiB (frictionless + sqlite-utils) | build ÷ floor (wall / CPU) | "
        "our package passes frictionless |",
        "| ---: | ---: | --- | --- | --- | ---: | --- |",
    ]
    for n, r in sorted(sizes.items(), key=lambda kv: int(kv[0])):
        cells = []
        for name in ("build", "floor", "naive"):
            m, note = r.get(f"{name}_median"), _status(r.get(name, []))
            cells.append(note if note else f"{_t(m)} / {_t(m, 'cpu_s')} / {_t(m, 'max_rss_mib')}")
        naive_runs = [x for x in r.get("naive", []) if x["rc"] == 0]
        if naive_runs and naive_runs[-1].get("frictionless"):
            f, s = naive_runs[-1]["frictionless"], naive_runs[-1]["sqlite_utils"]
            cells[2] += (
                f" ({f['wall_s']:.1f} s, {f['max_rss_mib']:.0f} MiB + {s['wall_s']:.1f} s, {s['max_rss_mib']:.0f} MiB)"
            )
        ok = r.get("build_median") and not _status(r.get("build", [])) and not _status(r.get("floor", []))
        b, f = r.get("build_median"), r.get("floor_median")
        ratio = f"{b['wall_s'] / f['wall_s']:.1f}× / {b['cpu_s'] / max(f['cpu_s'], 0.001):.1f}×" if ok else "—"
        check = r.get("package_check")
        valid = "—" if not check else ("yes" if check["valid"] else "**no**") + f" ({check['wall_s']:.1f} s)"
        runs = len(r.get("build", []))
        load = f", load {r['loadavg_at_start'][0]}" if r.get("loadavg_at_start") else ""
        lines.append(
            f"| {int(n):,} ({runs} run{'s' if runs != 1 else ''}{load}) | {r['rows_total']:,} | "
            f"{cells[0]} | {cells[1]} | {cells[2]} | {ratio} | {valid} |"
        )
    return lines


def real_table(real: dict) -> list[str]:
    b, i = real["build_median"], real["import_median"]
    return [
        "| build of the real data (`douzelage build`) | `python -c 'import …'` of its libraries | ratio |",
        "| ---: | ---: | ---: |",
        f"| {b['wall_s']:.2f} s wall, {b['cpu_s']:.2f} s CPU, {b['max_rss_mib']:.0f} MiB | "
        f"{i['wall_s']:.2f} s wall, {i['cpu_s']:.2f} s CPU, {i['max_rss_mib']:.0f} MiB | "
        f"{b['wall_s'] / i['wall_s']:.1f}× |",
        "",
        f"Libraries the build imports (top-level packages outside the standard library): "
        f"{', '.join(real['libraries'])}.",
    ]


def site_table(site: dict) -> list[str]:
    if site.get("skipped"):
        return [f"Not measured: {site['skipped']}."]
    ours, default = site["servers"]["ours"], site["servers"].get("default", {})
    conc = [k for k in next(iter(ours["endpoints"].values())) if k != "status"]
    lines = [
        f"{site['towns']:,} towns, {site['seconds']} s of load per cell, wrk on loopback. "
        f"Cells: req/s, then p50 / p95 / p99 in ms, then errors.",
        "",
        "| request | server | " + " | ".join(f"{c} concurrent" for c in conc) + " |",
        "| --- | --- | " + " | ".join("---" for _ in conc) + " |",
    ]
    for label in ours["endpoints"]:
        for name, server in (("ours", ours), ("default", default)):
            e = server.get("endpoints", {}).get(label)
            if not e:
                continue
            cells = []
            for c in conc:
                x = e[c]
                if "error" in x:
                    cells.append(x["error"][:40])
                elif not x["requests"]:
                    cells.append(f"no answer within {site['seconds']} s")
                else:
                    cells.append(
                        f"{x['req_per_s']:,.1f} req/s · {x['p50_ms']:.0f} / {x['p95_ms']:.0f} / "
                        f"{x['p99_ms']:.0f} · {x['errors']} err"
                    )
            status = "" if e["status"] == 200 else f" (HTTP {e['status']})"
            lines.append(f"| {label}{status} | {name} | " + " | ".join(cells) + " |")
    m = ours.get("map")
    if m:
        lines += [
            "",
            f"Map (datasette-cluster-map's requests, pages of 1,000 rows): first markers after "
            f"{m['first_page_s']} s; {m['markers']:,} markers in {m['pages']} pages in {m['all_s']} s"
            + ("" if m["complete"] else " (stopped there: the walk is bounded)")
            + ".",
        ]
    lines += [
        "",
        "| server | processes | startup s | PSS after the load, MiB | RSS summed, MiB | largest peak RSS, MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, server in site["servers"].items():
        mem = server.get("memory", {})
        lines.append(
            f"| {name} | {mem.get('processes', 1)} | {server['startup_s']} | {mem.get('pss_mib', '—')} | "
            f"{mem.get('rss_mib', '—')} | {mem.get('peak_rss_mib', '—')} |"
        )
    return lines


def targets(results: dict) -> list[str]:
    """The issue's targets, each with the number measured and whether it is met."""
    rows = []
    sizes = results.get("sizes", {})
    big = sizes.get("100000")
    if big:
        b, f = big.get("build_median"), big.get("floor_median")
        if _status(big.get("build", [])):
            rows.append(("build at 100,000 ≤ 3× floor, ≤ 512 MiB", _status(big["build"]), "no"))
        elif b and f:
            ratio = b["wall_s"] / f["wall_s"]
            rows.append(
                (
                    "build at 100,000 ≤ 3× floor wall time",
                    f"{ratio:.1f}× (CPU {b['cpu_s'] / f['cpu_s']:.1f}×)",
                    _yes(ratio <= LIMITS["build_vs_floor"]),
                )
            )
            rows.append(("build at 100,000 ≤ 512 MiB", f"{b['max_rss_mib']:.0f} MiB", _yes(b["max_rss_mib"] <= 512)))
        if big.get("package_check"):
            rows.append(
                (
                    "package at 100,000 passes frictionless",
                    str(big["package_check"]["valid"]),
                    _yes(big["package_check"]["valid"]),
                )
            )
    real = results.get("real")
    if real:
        b, i = real["build_median"], real["import_median"]
        ratio = b["wall_s"] / i["wall_s"]
        rows.append(
            (
                "real-data build ≤ 2× importing its libraries",
                f"{ratio:.1f}× (CPU {b['cpu_s'] / i['cpu_s']:.1f}×)",
                _yes(ratio <= 2),
            )
        )
    site = results.get("site")
    if site and not site.get("skipped"):
        ours, default = site["servers"]["ours"]["endpoints"], site["servers"]["default"]["endpoints"]
        for label in ("table", "facet"):
            o, d = ours[label]["10"]["req_per_s"], default[label]["10"]["req_per_s"]
            rows.append(
                (
                    f"{label} page ≥ 10× default (10 concurrent)",
                    f"{o / d:.1f}× ({o:.1f} vs {d:.1f} req/s)" if d else f"{o:.1f} req/s vs no answer",
                    _yes(not d or o / d >= 10),
                )
            )
        j, v = ours["json_filter"]["10"]["req_per_s"], ours["versions"]["10"]["req_per_s"]
        rows.append(("filtered JSON ≥ 50% of /-/versions.json", f"{j / v:.0%}", _yes(j / v >= 0.5)))
        for label in ("json_filter", "search", "canned"):
            p95 = ours[label]["10"]["p95_ms"]
            rows.append((f"p95 of {label} at 10 concurrent ≤ 100 ms", f"{p95:.0f} ms", _yes(p95 <= 100)))
        errors = sum(e["50"]["errors"] for e in ours.values() if "50" in e and "errors" in e["50"])
        rows.append(("0 errors at 50 concurrent", str(errors), _yes(errors == 0)))
        mem = site["servers"]["ours"]["memory"]
        used = mem.get("pss_mib", mem["peak_rss_mib"])  # PSS of all its processes (older runs: one process's RSS)
        rows.append(
            (
                "server memory ≤ 256 MiB",
                f"{used:.0f} MiB (PSS of its {mem.get('processes', 1)} processes)",
                _yes(used <= 256),
            )
        )
    pages = results.get("pages")
    if pages and not pages.get("skipped"):
        for label, ratio, ok in _page_ratios(pages):
            rows.append((f"{label} page ≥ 50% of /-/versions.json (real data, 10 concurrent)", ratio, _yes(ok)))
    return ["| target | measured | met |", "| --- | --- | --- |"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]


def _ok_rate(cell: dict) -> float:
    """Answers per second that were the page (a 429 from the per-client limits is not)."""
    return cell.get("ok_req_per_s", cell.get("req_per_s", 0.0))


def _page_ratios(pages: dict) -> list[tuple[str, str, bool]]:
    e = pages["endpoints"]
    if "10" not in e.get("versions", {}):
        return []
    v = _ok_rate(e["versions"]["10"])
    out = []
    for label in ("landing", "town"):
        if "10" in e.get(label, {}) and v:
            r = _ok_rate(e[label]["10"]) / v
            out.append((label, f"{r:.0%} ({_ok_rate(e[label]['10']):,.1f} vs {v:,.1f} req/s)", r >= 0.5))
    return out


def pages_table(pages: dict) -> list[str]:
    if pages.get("skipped"):
        return [pages["skipped"]]
    e = pages["endpoints"]
    levels = sorted({c for rows in e.values() for c in rows if c.isdigit()}, key=int)
    lines = [
        f"The real data, `douzelage serve`, wrk on loopback for {pages['seconds']} s per cell. Cells: answers "
        "per second that were the page (req/s), p50 / p95 / p99 in ms, answers refused by the per-client "
        "limits (429: all of wrk's connections come from one address) and other errors.",
        "",
        "| page | path | " + " | ".join(f"{c} concurrent" for c in levels) + " |",
        "| --- | --- | " + " | ".join("---" for _ in levels) + " |",
    ]
    for label, rows in e.items():
        cells = []
        for c in levels:
            r = rows.get(c, {})
            if "requests" not in r:
                cells.append(r.get("error", "—")[:40] if r else "—")
                continue
            cells.append(
                f"{_ok_rate(r):,.1f} req/s · {r['p50_ms']:.0f} / {r['p95_ms']:.0f} / {r['p99_ms']:.0f} · "
                f"{r.get('non_2xx', 0)} refused · {r['errors'] - r.get('non_2xx', 0)} err"
            )
        lines.append(f"| {label} | `{pages['paths'][label]}` | " + " | ".join(cells) + " |")
    headers = e.get("landing", {}).get("headers")
    if headers:
        lines += ["", "The landing page's caching headers: " + ", ".join(f"`{k}: {v}`" for k, v in headers.items())]
    mem = pages.get("memory")
    if mem:
        lines += ["", f"Server memory afterwards: {mem['pss_mib']:.0f} MiB PSS over {mem['processes']} processes."]
    return lines


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def render(results: dict) -> str:
    m = results["machine"]
    out = [
        START,
        "",
        "### Machine",
        "",
        f"{m['nproc']} cores ({m['cpu']}), {m['memory_mib']:,} MiB memory, {m['platform']}; "
        f"Python {m['python']}, SQLite {m['sqlite']}; "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items())
        + (f"; {' '.join(m['wrk'].split()[:2])}" if m.get("wrk") else "")
        + ". "
        f"Load average when the run started: {' '.join(m.get('loadavg_at_start', []))} (the machine is shared).",
        "",
        "### Targets",
        "",
    ] + targets(results)
    out += ["", "### Build, floor and naive pipeline (medians)", ""] + build_table(results.get("sizes", {}))
    if results.get("real"):
        out += ["", "### Build of the real data vs. importing its libraries (medians)", ""] + real_table(
            results["real"]
        )
    if results.get("site"):
        out += ["", "### Site", ""] + site_table(results["site"])
    if results.get("pages"):
        out += ["", "### Public pages on the real data", ""] + pages_table(results["pages"])
    return "\n".join(out + ["", END])


def write_readme(results: dict, readme: Path) -> None:
    text = readme.read_text(encoding="utf-8") if readme.exists() else f"# Benchmark\n\n{START}\n{END}\n"
    if START not in text:
        text += f"\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    readme.write_text(head + render(results) + tail, encoding="utf-8")


if __name__ == "__main__":
    write_readme(json.loads((BENCH / "results.json").read_text()), BENCH / "README.md")
    sys.exit(0)
