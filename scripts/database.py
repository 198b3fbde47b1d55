"""Stage 4c: the SQLite database that Datasette serves, created from the Table Schemas with sqlite-utils.

Column types, primary keys, NOT NULL and foreign keys come from the schemas; each foreign-key column
gets an index; names, themes and descriptions get full-text search; two views serve the map and the
"nearest towns" question. The rows loaded are the validated, sorted rows of the package.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from .layout import TABLES
from .model import Model
from .package import sorted_rows
from .table_schema import fields, schema, sql_type

FULL_TEXT = {
    "towns": ["name", "native_name", "note"],
    "meetings": ["title", "theme", "description", "funding"],
    "projects": ["title", "programme", "description"],
    "sources": ["title", "publisher"],
}
SQL_CLASSES = {"TEXT": str, "INTEGER": int, "REAL": float}

VIEWS = {
    # Meetings with their host town's position, for the map of meetings.
    "meetings_map": """
        select m.id, m.kind, m.number, m.title, m.start_date, m.end_date, m.theme, m.host,
               t.name as host_name, t.country, t.latitude, t.longitude
        from meetings m join towns t on t.id = m.host""",
    # Both directions of every distance, so "nearest to X" is one filter.
    "distances_both": """
        select town_a as town, town_b as other, km from distances
        union all
        select town_b as town, town_a as other, km from distances""",
}


def write_database(model: Model, path: Path) -> None:
    if path.exists():
        path.unlink()
    db = sqlite_utils.Database(path)
    for table in TABLES:
        s = schema(table)
        columns = {f["name"]: SQL_CLASSES[sql_type(f)] for f in fields(table)}
        not_null = {f["name"] for f in fields(table) if f.get("constraints", {}).get("required")}
        fks = [(fk["fields"][0], fk["reference"]["resource"], fk["reference"]["fields"][0])
               for fk in s.get("foreignKeys", [])]
        db[table].create(columns, pk=s["primaryKey"][0] if len(s["primaryKey"]) == 1 else tuple(s["primaryKey"]),
                         not_null=not_null, foreign_keys=fks)
        db[table].insert_all(_sql_rows(sorted_rows(model, table)))
        for column, _, _ in fks:
            db[table].create_index([column], find_unique_name=True)
    for table, columns in FULL_TEXT.items():
        db[table].enable_fts(columns, create_triggers=False, tokenize="unicode61 remove_diacritics 2")
    for name, sql in VIEWS.items():
        db.create_view(name, sql.strip())
    problems = db.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise RuntimeError(f"foreign key check failed in the database: {problems[:5]}")
    db.conn.commit()
    db.vacuum()
    db.close()


def _sql_rows(rows: list[dict]):
    for row in rows:
        yield {k: (int(v) if isinstance(v, bool) else v) for k, v in row.items()}


def connect_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)
