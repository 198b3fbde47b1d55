"""The coverage report: where the record is thin, by year and by town.

It is how a reader sees which meetings and General Meeting numbers are missing and which facts about a
town are unknown, and how a contributor sees what to research next. It is compiled with plain SQL
from the checked tables of the database being built, and published like any other derived table: a CSV
and a resource in the Data Package, and a table in the database.
"""

from __future__ import annotations

import sqlite3

from douzelage.descriptor import field_names

FIRST_YEAR = 1991  # the charter
METHOD_SOURCE = "method-coverage-report"
FIGURES = [
    ("dates", "start_date"),
    ("end date", "end_date"),
    ("participants", "participants"),
    ("towns represented", "towns_represented"),
]
TOWN_FIELDS = [
    "native_name",
    "position",
    "position_precision_m",
    "website",
    "population",
    "population_year",
    "wikidata",
    "geonames",
]
# The year of a meeting: that of its start date, else the year stated on its own.
MEETING_YEAR = "coalesce(cast(substr(start_date, 1, 4) as integer), year)"


def ranges(numbers: list[int]) -> str:
    """[2, 3, 4, 7, 9, 10] -> '2-4, 7, 9-10'."""
    out, nums = [], sorted(set(numbers))
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    return ", ".join(out)


def _span(number: int, dated: list[tuple[int, int]], first: int, last: int) -> range:
    """Years a General Meeting `number` can fall in, between the nearest dated numbered meetings around it."""
    before = [y for n, y in dated if n < number]
    after = [y for n, y in dated if n > number]
    return range(max(before) if before else first, (min(after) if after else last) + 1)


def years_rows(conn: sqlite3.Connection) -> list[dict]:
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row  # read by name, made in C (300,000 meetings at scale)
    meetings = cur.execute(
        f"select m.id, m.kind, m.number, m.status, {MEETING_YEAR} as year, "
        "coalesce(t.name, '?') as host, m.start_date, m.end_date, m.participants, "
        "m.towns_represented from meetings m left join towns t on t.id = m.host "
        "order by m.id"
    ).fetchall()
    dated_years = [m["year"] for m in meetings if m["year"] is not None]
    if not dated_years:
        return []
    first, last = FIRST_YEAR, max(dated_years)
    general = [m for m in meetings if m["kind"] == "general meeting"]
    numbered = [m for m in general if m["number"] is not None]
    dated = [(m["number"], m["year"]) for m in numbered if m["year"] is not None]
    known_numbers = {m["number"] for m in numbered}
    missing = [n for n in range(1, max(known_numbers, default=0) + 1) if n not in known_numbers]
    missing_by_year: dict[int, list[int]] = {}
    for n in missing:
        for y in _span(n, dated, first, last):
            missing_by_year.setdefault(y, []).append(n)
    undated_by_year: dict[int, list[str]] = {}
    for m in numbered:
        if m["year"] is None:
            for y in _span(m["number"], dated, first, last):
                undated_by_year.setdefault(y, []).append(f"{m['number']} {m['host']}")
    by_year: dict[int, list[dict]] = {}
    for m in meetings:
        by_year.setdefault(m["year"], []).append(m)
    rows = []
    for year in range(first, last + 1):
        these = by_year.get(year, [])
        gms = [m for m in these if m["kind"] == "general meeting" and m["status"] == "held"]
        gaps = []
        for m in these:
            if m["status"] != "held":
                continue
            lacking = [
                label
                for label, col in FIGURES
                if m[col] is None and not (col == "end_date" and m["start_date"] is None)
            ]  # no dates at all: say it once
            if lacking:
                gaps.append((m["id"], lacking))
        rows.append(
            {
                "year": year,
                "meetings": len(these),
                "meeting_ids": "; ".join(m["id"] for m in these) or None,
                "general_meeting_known": bool(gms),
                "general_meeting_numbers": ", ".join(
                    str(m["number"]) if m["number"] else "?"
                    for m in sorted(gms, key=lambda m: (m["number"] or 0, m["id"]))
                )
                or None,
                "numbers_missing": ranges(missing_by_year.get(year, [])) or None,
                "numbers_undated": ", ".join(undated_by_year.get(year, [])) or None,
                "missing_figures": "; ".join(f"{i}: {', '.join(lack)}" for i, lack in gaps) or None,
                "missing_figures_count": sum(len(lack) for _, lack in gaps),
                "source": METHOD_SOURCE,
            }
        )
    return rows


def towns_rows(conn: sqlite3.Connection) -> list[dict]:
    hosts = {r[0] for r in conn.execute("select distinct host from meetings where host is not null")}
    periods: dict[str, list[tuple]] = {}
    for r in conn.execute(
        "select town, joined, joined_earliest, joined_latest, left from memberships "
        "order by town, coalesce(joined, joined_earliest, joined_latest)"
    ):
        periods.setdefault(r[0], []).append(r[1:])
    rows = []
    cols = [
        "id",
        "name",
        "status",
        "native_name",
        "latitude",
        "position_precision_m",
        "website",
        "population",
        "population_year",
        "wikidata",
        "geonames",
    ]
    for r in conn.execute(f"select {', '.join(cols)} from towns order by id"):
        t = dict(zip(cols, r))
        t["position"] = t["latitude"]
        missing = [f for f in TOWN_FIELDS if t[f] in (None, "")]
        texts = []
        for joined, earliest, latest, left in periods.get(t["id"], []):
            if joined is not None:
                text = f"joined {joined}"
            else:
                missing.append("joined")
                text = (
                    f"joined {earliest or '?'}-{latest or '?'} (range)"
                    if earliest or latest
                    else "joined: year unknown"
                )
            if left is not None:
                text += f", left {left}"
            elif t["status"] == "former":
                missing.append("left")
            texts.append(text)
        if not periods.get(t["id"]):
            missing.append("joined")
        if t["id"] not in hosts:
            missing.append("meetings_hosted")
        rows.append(
            {
                "town": t["id"],
                "name": t["name"],
                "status": t["status"],
                "membership": "; ".join(texts) or None,
                "missing": ", ".join(missing) or None,
                "missing_count": len(missing),
                "source": METHOD_SOURCE,
            }
        )
    return rows


def compute(conn: sqlite3.Connection) -> dict[str, list[dict]]:
    return {"coverage_years": years_rows(conn), "coverage_towns": towns_rows(conn)}


def insert(conn: sqlite3.Connection, report: dict[str, list[dict]]) -> None:
    """Store the report's rows in its tables (created with the others from their Table Schemas)."""
    for name, rows in report.items():
        if not rows:
            continue
        names = field_names(name)
        with conn:
            conn.executemany(
                f'INSERT INTO "{name}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})',
                [[(int(r[n]) if isinstance(r[n], bool) else r[n]) for n in names] for r in rows],
            )


def derive(conn: sqlite3.Connection) -> None:
    """Compile the report from the checked tables and store it."""
    insert(conn, compute(conn))
