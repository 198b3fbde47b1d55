"""Stage 4c: finish the SQLite database for Datasette.

The tables, their rows and their indexes were made by the model (model.py) from the Table Schemas;
this adds what serving needs: full-text search over names, themes and descriptions, two views (the map
of meetings, the "nearest towns" question), statistics for the query planner, and Datasette's inspect
file with every table's row count. (Every reference was already checked, by SQLite's
foreign_key_check, in rules.py.)
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import sqlite_utils

from .model import Model
from .package import file_stats

FULL_TEXT = {
    "towns": ["name", "native_name", "note"],
    "meetings": ["title", "theme", "description", "funding"],
    "projects": ["title", "programme", "description"],
    "sources": ["title", "publisher"],
}
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


def finish_database(model: Model) -> None:
    db = sqlite_utils.Database(model.conn)
    for table, columns in FULL_TEXT.items():
        db[table].enable_fts(columns, create_triggers=False, tokenize="unicode61 remove_diacritics 2")
    for name, sql in VIEWS.items():
        db.create_view(name, sql.strip())
    db.execute("ANALYZE")


def write_inspect_file(db: Path, target: Path) -> dict[str, int]:
    """Datasette's inspect file (as `datasette inspect` writes it): the row count of every table, so an
    immutable site never counts 100,000 rows on a page view. The database is named by file name only,
    so the file is the same on every machine."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        counts = {n: {"count": conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]} for n in names}
    stats = file_stats(db)
    data = {db.stem: {"hash": stats["hash"].removeprefix("sha256:"), "size": stats["bytes"], "file": db.name,
                      "tables": counts}}
    target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return {name: c["count"] for name, c in counts.items()}
