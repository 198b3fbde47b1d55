"""Stage 4c: the SQLite database that Datasette serves.

Tables are created from the Table Schemas with sqlite-utils (types, primary keys, NOT NULL, foreign
keys), then filled inside SQLite from the checked staging tables, in primary-key order, so no row
passes through Python again. Foreign-key columns get indexes; names, themes and descriptions get
full-text search; two views serve the map of meetings and the "nearest towns" question.
"""
from __future__ import annotations

from pathlib import Path

import sqlite_utils

from .layout import TABLES
from .model import Model
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


def order_by(table: str) -> str:
    return ", ".join(f'"{k}"' for k in schema(table)["primaryKey"])


def write_database(model: Model, path: Path) -> None:
    if path.exists():
        path.unlink()
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("ATTACH DATABASE ? AS staging", [str(model.path)]) if model.path != ":memory:" else None
    source = "staging" if model.path != ":memory:" else None
    for table in TABLES:
        s = schema(table)
        columns = {f["name"]: SQL_CLASSES[sql_type(f)] for f in fields(table)}
        not_null = {f["name"] for f in fields(table) if f.get("constraints", {}).get("required")}
        fks = [(fk["fields"][0], fk["reference"]["resource"], fk["reference"]["fields"][0])
               for fk in s.get("foreignKeys", [])]
        pk = s["primaryKey"][0] if len(s["primaryKey"]) == 1 else tuple(s["primaryKey"])
        db[table].create(columns, pk=pk, not_null=not_null, foreign_keys=fks)
        cols = ", ".join(f'"{c}"' for c in columns)
        if source:
            db.execute(f'INSERT INTO main."{table}" ({cols}) SELECT {cols} FROM {source}."{table}" ORDER BY {order_by(table)}')
        else:
            rows = model.conn.execute(f'SELECT {cols} FROM "{table}" ORDER BY {order_by(table)}')
            db.conn.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" * len(columns))})', rows)
        for column, _, _ in fks:
            db[table].create_index([column], find_unique_name=True)
    db.conn.commit()
    if source:
        db.execute("DETACH DATABASE staging")
    for table, columns in FULL_TEXT.items():
        db[table].enable_fts(columns, create_triggers=False, tokenize="unicode61 remove_diacritics 2")
    for name, sql in VIEWS.items():
        db.create_view(name, sql.strip())
    problems = db.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise RuntimeError(f"foreign key check failed in the database: {problems[:5]}")
    db.execute("ANALYZE")
    db.conn.commit()
    db.close()
