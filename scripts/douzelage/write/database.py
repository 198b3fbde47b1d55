"""Finish the SQLite database for Datasette.

The tables and their rows were made by the loader (load/model.py) from the Table Schemas; this adds what
serving needs, as site/site.yaml defines it: an index on every reference, on each default sort order and
for a canned query, full-text search over names, themes and descriptions, the views (the map of meetings,
the "nearest towns" question), statistics for the query planner, and Datasette's inspect file with every
table's row count.
(Every reference was already checked, by SQLite's foreign_key_check, in rules.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils

from douzelage.descriptor import TABLES, schema
from douzelage.files import read_only, sha256
from douzelage.load.model import Model
from douzelage.write.site_metadata import site_config, site_tables


def finish_database(model: Model) -> None:
    site = site_config()
    db = sqlite_utils.Database(model.conn)
    index_references(db)
    for table, columns in site["full_text"].items():
        db.table(table).enable_fts(columns, create_triggers=False, tokenize="unicode61 remove_diacritics 2")
    indexes = [(i["table"], tuple(i["columns"])) for i in site["indexes"]]
    for table, columns in indexes + sort_indexes():
        db.table(table).create_index(columns, index_name=f"idx_{table}_{'_'.join(columns)}", if_not_exists=True)
    for name, view in site["views"].items():
        db.create_view(name, view["sql"].strip())
    db.execute("PRAGMA analysis_limit = 1000")  # statistics from a sample of each index: enough for the planner
    db.execute("ANALYZE")


def index_references(db: sqlite_utils.Database) -> None:
    """An index on every foreign-key column, except one that leads the primary key (whose index already
    serves): Datasette counts a row's references from other tables on its page. (The checks in rules.py
    need none of them: SQLite's foreign_key_check looks the referenced keys up by primary key.)"""
    for table in TABLES:
        for fk in schema(table).get("foreignKeys", []):
            col = fk["fields"][0]
            if col != schema(table)["primaryKey"][0]:
                db.execute(f'CREATE INDEX "idx_{table}_{col}" ON "{table}" ("{col}")')


def sort_indexes() -> list[tuple[str, tuple[str]]]:
    """The column of each table's default sort order (site/site.yaml), unless it leads the primary key: with
    an index there, a page of 100,000 towns is read in order instead of sorting every row each time."""
    indexes = []
    for table, shown in site_tables().items():
        column = shown.get("sort") or shown.get("sort_desc")
        if column and table in TABLES and column != schema(table)["primaryKey"][0]:
            indexes.append((table, (column,)))
    return indexes


def write_inspect_file(db: Path, target: Path) -> dict[str, int]:
    """Datasette's inspect file (as `datasette inspect` writes it): the row count of every table, so an
    immutable site never counts 100,000 rows on a page view. The database is named by file name only,
    so the file is the same on every machine."""
    with read_only(db) as conn:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        counts = {n: {"count": conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]} for n in names}
    data = {db.stem: {"hash": sha256(db), "size": db.stat().st_size, "file": db.name, "tables": counts}}
    target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return {name: c["count"] for name, c in counts.items()}
