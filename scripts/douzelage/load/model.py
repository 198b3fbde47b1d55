"""Stage 2, load: the typed model, held in the SQLite database that will be published, so it scales to
millions of rows without holding them in memory.

The tables are created from the Table Schemas (types, primary keys, NOT NULL, foreign keys) and every
cell is cast by its schema as it streams in (load/cast.py). A source row keeps its line in the source
file as its SQLite rowid, so every later check can say where a problem is. Loading returns what it
found (problems and notices); what follows from the facts is derived afterwards (derive.py).
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Generator
from pathlib import Path
from types import SimpleNamespace

import sqlite_utils

from douzelage import geo
from douzelage.descriptor import TABLES, field_names, fields, schema, sql_type
from douzelage.load.cast import CastError, caster, row_caster
from douzelage.parallel import Elsewhere, Here
from douzelage.problems import Found, Problem
from douzelage.read.sources import RawTable

BATCH = 10_000
SQL_CLASSES = {"TEXT": str, "INTEGER": int, "REAL": float}
PARALLEL_BYTES = 32 << 20  # a source file larger than this is read and cast by a second process


def _q(names) -> str:
    return ", ".join(f'"{n}"' for n in names)


class Model:
    """The database being built: one table per published table; a source row's rowid is its line."""

    def __init__(self, path: Path | str | None = None):
        self._scratch = None
        if path is None:  # a check only: a database that goes when closed
            self._scratch = tempfile.TemporaryDirectory(prefix="douzelage-")
            path = Path(self._scratch.name) / "check.db"
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF", "temp_store=FILE"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.files: dict[str, str] = {}  # table -> source file it came from
        db = sqlite_utils.Database(self.conn)
        for table in TABLES:
            s = schema(table)
            columns = {f["name"]: SQL_CLASSES[sql_type(f)] for f in fields(table)}
            not_null = {f["name"] for f in fields(table) if f.get("constraints", {}).get("required")}
            fks = [
                (fk["fields"][0], fk["reference"]["resource"], fk["reference"]["fields"][0])
                for fk in s.get("foreignKeys", [])
            ]
            pk = s["primaryKey"][0] if len(s["primaryKey"]) == 1 else tuple(s["primaryKey"])
            db.table(table).create(columns, pk=pk, not_null=not_null, foreign_keys=fks)
        # keys of rows refused for a bad cell, so references to them are not reported a second time;
        # a NULL key: the reader stopped early in that file, so any key may be among the rows not read
        self.conn.execute("CREATE TEMP TABLE refused_keys (tbl TEXT, key TEXT)")

    def rows(self, table: str, where: str = "1", params=()) -> list[dict]:
        """Rows as dicts in primary-key order (for tests and small tables)."""
        names = field_names(table)
        order = _q(schema(table)["primaryKey"])
        cur = self.conn.execute(f'SELECT {_q(names)} FROM "{table}" WHERE {where} ORDER BY {order}', params)
        return [dict(zip(names, r)) for r in cur]

    def __getitem__(self, table: str) -> SimpleNamespace:
        """model["towns"].rows: a table's rows as dicts, in primary-key order."""
        return SimpleNamespace(rows=self.rows(table))

    def file(self, table: str) -> str:
        return self.files.get(table, f"(derived table {table})")

    def close(self) -> None:
        self.conn.close()
        if self._scratch is not None:
            self._scratch.cleanup()


def load(model: Model, raw: dict[str, RawTable]) -> Found:
    """Every source file into its table; what was wrong and what was normalised, in every file.

    A large file is read and cast by a forked process (parallel.Elsewhere) that starts at once, while
    this one loads the files before it and then inserts what that process cast; a small one is read
    here (parallel.Here). Both run the same `cast_batches`."""
    found = Found()
    large = {n for n, rt in raw.items() if rt.path is not None and rt.path.stat().st_size > PARALLEL_BYTES}
    folder = Path(model.path).parent
    sources = {
        n: Elsewhere(cast_batches, rt, folder=folder, name=f"reading {rt.file}") for n, rt in raw.items() if n in large
    }  # all start now
    try:
        for name, rt in raw.items():
            found += load_table(model, rt, sources.get(name) or Here(cast_batches, rt))
    finally:
        for source in sources.values():
            source.close()
    found.notices.sort(key=lambda p: (p.file, p.row or 0))
    return found


def load_table(model: Model, raw: RawTable, batches: Here | Elsewhere) -> Found:
    """Insert the typed rows of one file, as `batches` casts them; bad rows become Problems."""
    model.files[raw.name] = raw.file
    if raw.path is None:  # the file could not be opened; its problem is already reported
        return Found()
    sql = (
        f'INSERT OR IGNORE INTO "{raw.name}" (rowid, {_q(raw.header)}) '
        f"VALUES ({', '.join('?' * (len(raw.header) + 1))})"
    )
    with model.conn:  # one transaction per table, not one per row
        model.conn.execute("BEGIN")
        for batch in batches:
            model.conn.executemany(sql, batch)
        outcome = batches.result
        model.conn.executemany("INSERT INTO refused_keys VALUES (?, ?)", ((raw.name, k) for k in outcome["refused"]))
    found = Found(outcome["problems"] + outcome["read"].problems, outcome["read"].notices)
    stored = model.conn.execute(f'SELECT count(*) FROM "{raw.name}"').fetchone()[0]
    if stored < outcome["accepted"]:  # INSERT OR IGNORE dropped rows that repeat a primary key
        found.problems += _repeated_keys(model, raw)
    return found


def cast_batches(raw: RawTable) -> Generator[list[list], None, dict]:
    """Batches of typed rows ([line, values...]) from the file; returns what went wrong on the way."""
    by_name = {f["name"]: f for f in fields(raw.name)}
    cast_row = row_caster([by_name[h] for h in raw.header])  # derived columns stay NULL until derived
    key_at = [raw.header.index(k) for k in schema(raw.name)["primaryKey"]]
    read = Found()
    problems, accepted, batch = [], 0, []
    refused: list[str | None] = []
    for line, cells in raw.rows(read):
        try:
            batch.append(cast_row(line, cells))
        except CastError:
            problems.extend(_row_problems(raw, line, cells))
            refused.append(",".join(cells[i].strip() for i in key_at))
            continue
        accepted += 1
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
    # rows the reader skipped are refused too; past a line where it stopped, which rows the file has is
    # unknown: None stands for them all (load_table, rules.py)
    refused += [",".join(cells[i].strip() for i in key_at) for cells in raw.skipped if len(cells) > max(key_at)]
    refused += [None] if raw.stopped else []
    return {"problems": problems, "refused": refused, "accepted": accepted, "read": read}


def _repeated_keys(model: Model, raw: RawTable) -> list[Problem]:
    """The slow path, taken only for bad data: which lines repeat a key, and of which row."""
    key = schema(raw.name)["primaryKey"]
    at = [raw.header.index(k) for k in key]
    where = " AND ".join(f'"{k}" = ?' for k in key)
    found = []
    for line, cells in raw.rows(Found()):  # read again; its problems are known
        value = [cells[i].strip() for i in at]
        first = model.conn.execute(f'SELECT rowid FROM "{raw.name}" WHERE {where}', value).fetchone()
        if first and first[0] != line:
            found.append(
                Problem(
                    raw.file,
                    line,
                    ",".join(key),
                    ",".join(value),
                    "primary-key",
                    f"repeats the key of row {first[0]}",
                    "give each row its own id, or merge the two rows",
                )
            )
    return found


def _row_problems(raw: RawTable, line: int, cells: list[str]) -> list[Problem]:
    """Every bad cell of a refused row, not only the first."""
    found = []
    for field, cell in zip([f for h in raw.header for f in fields(raw.name) if f["name"] == h], cells):
        try:
            caster(field)(cell.strip())
        except CastError as e:
            found.append(Problem(raw.file, line, field["name"], cell.strip(), e.rule, e.message, e.hint))
    if raw.name == "towns":
        found = _explain_swapped(raw, line, cells, found)
    return found


def _explain_swapped(raw: RawTable, line: int, cells: list[str], found: list[Problem]) -> list[Problem]:
    """A latitude/longitude pair out of range as given, but in the town's country when swapped, is
    reported as swapped."""
    out_of_range = [p for p in found if p.column in ("latitude", "longitude") and p.rule in ("minimum", "maximum")]
    if not out_of_range:
        return found
    at = {h: i for i, h in enumerate(raw.header)}
    lat, lon, country = (cells[at[c]].strip() for c in ("latitude", "longitude", "country"))
    try:
        away = geo.km_outside_country(country, [float(lon)], [float(lat)])
    except ValueError:
        return found
    if away is None or away[0] > geo.BORDER_TOLERANCE_KM:
        return found
    return [p for p in found if p not in out_of_range] + [
        Problem(
            raw.file,
            line,
            "latitude",
            f"{lat},{lon}",
            "swapped",
            f"latitude and longitude look swapped: out of range as given, in {country} the other way round",
            f"swap them: latitude {lon}, longitude {lat}",
        )
    ]
