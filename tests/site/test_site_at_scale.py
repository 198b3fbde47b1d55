"""What keeps the site fast at 100,000 towns (issue 6), checked for behaviour on 1,000 synthetic towns and the
real data: pages read in order from an index, a busy host's meetings a page at a time, and what
site/plugins/fast_reads.py changes: the permission memo, which must still honour an `allow` block, and
the memory-mapped database. No timing here: the
benchmark (`make bench`) measures speed."""

from __future__ import annotations

import copy
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from datasette.app import Datasette

from douzelage.layout import DATABASE_NAME, DB_FILE
from douzelage.serve import datasette_kwargs
from douzelage.write.site_metadata import site_tables

ROOT = Path(__file__).resolve().parents[2]
DOUZELAGE = Path(sys.executable).parent / "douzelage"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """1,000 synthetic towns from the benchmark's generator, built by `douzelage build`."""
    work = tmp_path_factory.mktemp("scale")
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), "--towns", "1000", "--out", str(work / "sources")],
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [
            str(DOUZELAGE),
            "build",
            "--sources",
            str(work / "sources"),
            "--out",
            str(work / "datapackage"),
            "--metadata",
            str(work / "metadata.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return work


def datasette_for(package: Path, metadata: dict, metadata_file: Path) -> Datasette:
    return Datasette(**{**datasette_kwargs(package, metadata_file), "metadata": metadata})


def plan(db: Path, sql: str) -> str:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql))


def test_every_default_sort_order_is_read_from_an_index_not_sorted(synthetic):
    db = synthetic / "datapackage" / DB_FILE
    checked = 0
    for table, shown in site_tables().items():
        column, direction = (shown["sort"], "") if "sort" in shown else (shown.get("sort_desc"), " DESC")
        if not column:
            continue
        query_plan = plan(db, f'SELECT * FROM "{table}" ORDER BY "{column}"{direction} LIMIT 51')
        assert "TEMP B-TREE" not in query_plan, (table, column, query_plan)
        checked += 1
    assert checked >= 8


async def test_a_busy_hosts_meetings_come_a_hundred_to_a_page_newest_first(synthetic):
    db = synthetic / "datapackage" / DB_FILE
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        host, hosted = conn.execute(
            "SELECT host, count(*) FROM meetings GROUP BY host ORDER BY 2 DESC LIMIT 1"
        ).fetchone()
    assert hosted > 100, "the synthetic data should have a host with more than a page of meetings"
    ds = datasette_for(
        synthetic / "datapackage",
        json.loads((synthetic / "metadata.json").read_text(encoding="utf-8")),
        synthetic / "metadata.json",
    )
    pages = []
    for page in ["", "2", "3"]:
        r = await ds.client.get(f"/{DATABASE_NAME}/meetings_by_host.json?town={host}&page={page}&_shape=array")
        assert r.status_code == 200, r.text
        pages.append(r.json())
    assert [len(p) for p in pages] == [min(100, max(0, hosted - 100 * i)) for i in range(3)]
    rows = [m for p in pages for m in p]
    assert len({m["meeting"] for m in rows}) == len(rows)  # no meeting on two pages
    dates = [m["start_date"] for m in rows]
    assert dates == sorted(dates, reverse=True)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        newest = [
            d
            for (d,) in conn.execute(
                "SELECT start_date FROM meetings WHERE host = ? ORDER BY start_date DESC LIMIT 100", (host,)
            )
        ]
    assert dates[:100] == newest


async def test_the_permission_memo_still_honours_an_allow_block(built, package):
    metadata = copy.deepcopy(json.loads((built / "metadata.json").read_text(encoding="utf-8")))
    metadata["databases"][DATABASE_NAME]["tables"]["claims"]["allow"] = {"id": "editor"}
    ds = datasette_for(package, metadata, built / "metadata.json")
    for _ in range(2):  # the second answer comes from the memo
        assert (await ds.client.get(f"/{DATABASE_NAME}/claims.json")).status_code == 403
        assert (await ds.client.get(f"/{DATABASE_NAME}/towns.json")).status_code == 200
    editor = {"ds_actor": ds.sign({"a": {"id": "editor"}}, "actor")}
    assert (await ds.client.get(f"/{DATABASE_NAME}/claims.json", cookies=editor)).status_code == 200


async def test_connections_to_the_published_database_read_it_through_a_memory_map(ds, db_path):
    await ds.invoke_startup()
    (mapped,) = (await ds.get_database(DATABASE_NAME).execute("PRAGMA mmap_size")).first()
    assert mapped >= db_path.stat().st_size, mapped  # SQLite's default is 0: no memory map


@pytest.mark.asyncio
async def test_the_towns_map_reads_a_page_of_1000_with_labels(synthetic):
    """datasette-cluster-map asks for pages of 1,000 towns with their labels: Datasette binds one SQL
    variable per distinct key of the page, which the SQL guard's limits must leave room for."""
    package = synthetic / "datapackage"
    metadata_file = synthetic / "metadata.json"
    ds = datasette_for(package, json.loads(metadata_file.read_text()), metadata_file)
    query = "_size=max&_labels=on&_shape=objects"
    r = await ds.client.get(f"/{DATABASE_NAME}/towns.json?{query}")
    assert r.status_code == 200, r.text[:300]
    rows = r.json()["rows"]
    with sqlite3.connect(f"file:{package / DB_FILE}?mode=ro", uri=True) as conn:
        distinct_sources = conn.execute(
            "select count(distinct source) from (select source from towns order by name limit 1000)"
        ).fetchone()[0]
    assert len(rows) == 1000 and distinct_sources > 250  # more keys to label than the old limit allowed
    assert all(isinstance(row["source"], dict) and row["source"]["label"] for row in rows)
