"""The floor of the benchmark: the least work that still loads and checks the same source files.

Python's csv reader, one typed SQLite table per file (column types, primary keys and foreign keys from
the Table Schemas), sqlite3.executemany, then PRAGMA foreign_key_check. No casting in Python, no
reporting, no outputs: whatever our build spends beyond this is the price of what it does more.
Foreign keys to tables the build derives (countries) are left out, since the sources have no such file.

Usage: python bench/floor.py SOURCES_DIR DATABASE
"""

from __future__ import annotations

import csv
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from douzelage.descriptor import (  # noqa: E402
    DERIVED_TABLES,  # noqa: E402
    fields,
    schema,
)
from douzelage.read.sources import source_columns, source_tables  # noqa: E402

SQL = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "TEXT", "date": "TEXT", "year": "INTEGER"}


def create_sql(table: str) -> str:
    types = {f["name"]: SQL[f["type"]] for f in fields(table)}
    s = schema(table)
    parts = [f'"{c}" {types[c]}' for c in source_columns(table)]
    parts.append("PRIMARY KEY (" + ", ".join(f'"{k}"' for k in s["primaryKey"]) + ")")
    for fk in s.get("foreignKeys", []):
        ref = fk["reference"]
        if ref["resource"] in DERIVED_TABLES:
            continue
        parts.append(f'FOREIGN KEY ("{fk["fields"][0]}") REFERENCES "{ref["resource"]}" ("{ref["fields"][0]}")')
    return f'CREATE TABLE "{table}" ({", ".join(parts)})'


def load(folder: Path, db_path: Path) -> int:
    db_path.unlink(missing_ok=True)
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    rows = 0
    for table in source_tables():
        conn.execute(create_sql(table))
        with open(folder / f"{table}.csv", encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            marks = ", ".join("?" * len(header))
            names = ", ".join(f'"{h}"' for h in header)
            cur = conn.executemany(
                f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
                ([c if c != "" else None for c in r] for r in reader),
            )
            rows += cur.rowcount
    conn.commit()
    problems = conn.execute("PRAGMA foreign_key_check").fetchall()
    conn.close()
    if problems:
        print(f"foreign key check: {len(problems)} problem(s), e.g. {problems[:3]}", file=sys.stderr)
        return 1
    print(f"{rows} rows loaded and checked")
    return 0


if __name__ == "__main__":
    sys.exit(load(Path(sys.argv[1]), Path(sys.argv[2])))
