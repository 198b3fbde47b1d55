"""Stage 2: the typed model, held in the SQLite database that will be published, so it scales to
millions of rows without holding them in memory.

The tables are created from the Table Schemas (types, primary keys, NOT NULL, foreign keys) and every
cell is cast by its schema as it streams in (table_schema.py). A source row keeps its line in the source
file as its SQLite rowid, so every later check can say where a problem is. Then what follows from the
facts is derived here, and nowhere else:
- towns.latitude/longitude from a position given in another reference system (source_crs, x, y);
- towns.status, towns.joined, towns.left from the memberships;
- the countries table (names from ISO 3166-1 via pycountry) and the distances between member towns;
- the coverage report (coverage.py).
"""
from __future__ import annotations

import marshal
import multiprocessing
import os
import pickle
import sqlite3
import tempfile
from itertools import combinations, islice
from pathlib import Path
from types import SimpleNamespace

import pycountry
import sqlite_utils

from douzelage import report as coverage

from douzelage import geo
from douzelage.forking import die_with_parent
from douzelage.layout import TABLES
from douzelage.problems import Problem
from douzelage.read.sources import RawTable
from douzelage.load.table_schema import CastError, caster, field_names, fields, schema, sql_type

COUNTRIES_SOURCE = "iso-3166-pycountry"
DISTANCE_SOURCE = "method-pyproj-geod"
# The sources the derived tables cite: each must be a row of sources/sources.csv.
DERIVED_SOURCES = {COUNTRIES_SOURCE, DISTANCE_SOURCE, coverage.METHOD_SOURCE}
BATCH = 10_000
SQL_CLASSES = {"TEXT": str, "INTEGER": int, "REAL": float}


def _q(names) -> str:
    return ", ".join(f'"{n}"' for n in names)


class Model:
    """The database being built: one table per published table; a source row's rowid is its line."""

    def __init__(self, path: Path | str | None = None):
        self._scratch = None
        if path is None:                          # a check only: a database that goes when closed
            self._scratch = tempfile.TemporaryDirectory(prefix="douzelage-")
            path = Path(self._scratch.name) / "check.db"
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF", "temp_store=FILE"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.files: dict[str, str] = {}          # table -> source file it came from
        self.notices: list[Problem] = []          # what the reader normalised
        db = sqlite_utils.Database(self.conn)
        for table in TABLES:
            s = schema(table)
            columns = {f["name"]: SQL_CLASSES[sql_type(f)] for f in fields(table)}
            not_null = {f["name"] for f in fields(table) if f.get("constraints", {}).get("required")}
            fks = [(fk["fields"][0], fk["reference"]["resource"], fk["reference"]["fields"][0])
                   for fk in s.get("foreignKeys", [])]
            pk = s["primaryKey"][0] if len(s["primaryKey"]) == 1 else tuple(s["primaryKey"])
            db[table].create(columns, pk=pk, not_null=not_null, foreign_keys=fks)
        # keys of rows refused for a bad cell, so references to them are not reported a second time
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


PARALLEL_BYTES = 32 << 20   # a source file larger than this is read and cast by a second process


def load_table(model: Model, raw: RawTable, problems: list[Problem], elsewhere: "CastElsewhere | None" = None) -> None:
    """Stream a source file into its table, casting every cell; bad rows become Problems.

    A large file is read and cast by a forked process (`elsewhere`) from the start of the build, while
    this one loads the files before it and then inserts what that process cast; a small one is read
    here. Both run the same `_cast_batches`.
    """
    model.files[raw.name] = raw.file
    if raw.path is None:                  # the file could not be opened; its problem is already reported
        return
    sql = (f'INSERT OR IGNORE INTO "{raw.name}" (rowid, {_q(raw.header)}) '
           f'VALUES ({", ".join("?" * (len(raw.header) + 1))})')
    outcome: dict = {}
    batches = elsewhere.batches() if elsewhere is not None else _cast_batches(raw, outcome)
    with model.conn:                      # one transaction per table, not one per row
        model.conn.execute("BEGIN")
        for batch in batches:
            if isinstance(batch, dict):   # the other process's outcome comes last
                outcome = batch
            else:
                model.conn.executemany(sql, batch)
        model.conn.executemany("INSERT INTO refused_keys VALUES (?, ?)",
                               ((raw.name, k) for k in outcome["refused"]))
    problems.extend(outcome["problems"])
    raw.problems[:], raw.notices[:] = outcome["reader_problems"], outcome["notices"]
    stored = model.conn.execute(f'SELECT count(*) FROM "{raw.name}"').fetchone()[0]
    if stored < outcome["accepted"]:      # INSERT OR IGNORE dropped rows that repeat a primary key
        problems.extend(_repeated_keys(model, raw))
    problems.extend(raw.problems)


def _cast_batches(raw: RawTable, outcome: dict):
    """Batches of typed rows ([line, values...]) from the file; fills `outcome` with what went wrong."""
    by_name = {f["name"]: f for f in fields(raw.name)}
    cast_row = row_caster([by_name[h] for h in raw.header])   # derived columns stay NULL until derived
    key_at = [raw.header.index(k) for k in schema(raw.name)["primaryKey"]]
    problems, refused, accepted, batch = [], [], 0, []
    for line, cells in raw.rows():
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
    outcome.update(problems=problems, refused=refused, accepted=accepted,
                   reader_problems=list(raw.problems), notices=list(raw.notices))


class CastElsewhere:
    """`_cast_batches` of one file, run by a forked process that starts at once and writes each batch to
    a spool file beside the database (marshal, length first), telling this process through a pipe; the
    build reads the batches when it comes to that table. The outcome (a dict, pickled) comes last."""

    def __init__(self, raw: RawTable, folder: Path):
        fd, name = tempfile.mkstemp(prefix=f".{raw.name}-", suffix=".cast", dir=folder)
        spool, self.spool = os.fdopen(fd, "wb"), open(name, "rb")
        os.unlink(name)                   # gone when both ends are closed, whatever happens
        self.receive, send = multiprocessing.get_context("fork").Pipe(duplex=False)
        self.process = multiprocessing.get_context("fork").Process(
            target=self._work, args=(raw, spool, send), daemon=True)
        self.process.start()
        spool.close(), send.close()
        self.file = raw.file

    def _work(self, raw: RawTable, spool, send) -> None:
        die_with_parent()
        self.receive.close()
        outcome: dict = {}
        try:
            for batch in _cast_batches(raw, outcome):
                self._put(spool, send, batch)
        except BaseException as e:        # say it in the parent, where the build reports errors
            outcome = {"error": f"{type(e).__name__}: {e}"}
        self._put(spool, send, outcome)
        spool.close(), send.close()

    @staticmethod
    def _put(spool, send, item) -> None:
        data = pickle.dumps(item) if isinstance(item, dict) else marshal.dumps(item)
        spool.write(len(data).to_bytes(8, "little") + (b"p" if isinstance(item, dict) else b"m") + data)
        spool.flush()
        send.send_bytes(b".")             # one more item is in the spool file

    def batches(self):
        while True:
            try:
                self.receive.recv_bytes()
            except EOFError:
                raise RuntimeError(f"reading {self.file} failed: its process ended early") from None
            size = int.from_bytes(self.spool.read(8), "little")
            kind, data = self.spool.read(1), self.spool.read(size)
            item = pickle.loads(data) if kind == b"p" else marshal.loads(data)
            if isinstance(item, dict) and "error" in item:
                raise RuntimeError(f"reading {self.file} failed: {item['error']}")
            yield item
            if isinstance(item, dict):
                return

    def close(self) -> None:
        self.receive.close()
        self.spool.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _repeated_keys(model: Model, raw: RawTable) -> list[Problem]:
    """The slow path, taken only for bad data: which lines repeat a key, and of which row."""
    key = schema(raw.name)["primaryKey"]
    at = [raw.header.index(k) for k in key]
    where = " AND ".join(f'"{k}" = ?' for k in key)
    found = []
    for line, cells in raw.rows():
        value = [cells[i].strip() for i in at]
        first = model.conn.execute(f'SELECT rowid FROM "{raw.name}" WHERE {where}', value).fetchone()
        if first and first[0] != line:
            found.append(Problem(raw.file, line, ",".join(key), ",".join(value), "primary-key",
                                 f"repeats the key of row {first[0]}", "give each row its own id, or merge the two rows"))
    return found


def row_caster(row_fields: list[dict]):
    """A function (line, cells) -> [line, typed values...] for one file's columns, or CastError.

    It is generated once per file so that each cell costs one dict look-up, not a function call: ids and
    codes repeat across millions of rows, so each distinct text is cast once (by table_schema.caster)
    and remembered; a free-text column is only stripped.
    """
    env: dict[str, object] = {"MISS": object()}
    body = ["def cast_row(line, cells):",
            f"    {', '.join(f'a{i}' for i in range(len(row_fields)))}, = [c.strip() for c in cells]"]
    for i, field in enumerate(row_fields):
        c = field.get("constraints", {})
        free_text = field["type"] == "string" and not (set(c) - {"required"}) and "format" not in field
        env[f"c{i}"] = _remembered(caster(field))
        if free_text and not c.get("required"):
            body.append(f"    v{i} = a{i} or None")
        elif free_text:
            body.append(f"    v{i} = a{i} if a{i} else c{i}(a{i})")
        else:
            env[f"s{i}"] = env[f"c{i}"].seen
            body += [f"    v{i} = s{i}.get(a{i}, MISS)", f"    if v{i} is MISS: v{i} = c{i}(a{i})"]
    body.append(f"    return [line, {', '.join(f'v{i}' for i in range(len(row_fields)))}]")
    exec("\n".join(body), env)
    return env["cast_row"]


def _remembered(cast, size: int = 100_000):
    """Cast each distinct text once: ids and codes repeat across millions of rows."""
    seen: dict[str, object] = {}

    def remembered(text: str):
        try:
            return seen[text]
        except KeyError:
            value = cast(text)             # raises CastError for a bad cell, which is not remembered
            if len(seen) < size:
                seen[text] = value
            return value
    remembered.seen = seen
    return remembered


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
    return [p for p in found if p not in out_of_range] + [Problem(
        raw.file, line, "latitude", f"{lat},{lon}", "swapped",
        f"latitude and longitude look swapped: out of range as given, in {country} the other way round",
        f"swap them: latitude {lon}, longitude {lat}")]


def build_model(raw: dict[str, RawTable], path: Path | str | None = None) -> tuple[Model, list[Problem]]:
    model = Model(path)
    problems: list[Problem] = []
    large = [rt for rt in raw.values() if rt.path is not None and rt.path.stat().st_size > PARALLEL_BYTES]
    elsewhere = {rt.name: CastElsewhere(rt, Path(model.path).parent) for rt in large}   # all start now
    try:
        for name, rt in raw.items():
            load_table(model, rt, problems, elsewhere.get(name))
    finally:
        for cast in elsewhere.values():
            cast.close()
    problems += derive_positions(model)
    derive_membership_summary(model)
    derive_countries(model)
    derive_distances(model)
    coverage.derive(model.conn)
    return model, problems


def derive_positions(model: Model) -> list[Problem]:
    problems, updates = [], []
    cur = model.conn.execute("SELECT rowid, rowid, source_crs, source_x, source_y, latitude, longitude FROM towns "
                             "WHERE coalesce(source_crs, source_x, source_y) IS NOT NULL")
    for rowid, line, crs, x, y, lat0, lon0 in cur.fetchall():
        file = model.file("towns")
        if None in (crs, x, y):
            problems.append(Problem(file, line, "source_crs", crs, "position",
                                    "a projected position needs all three of source_crs, source_x and source_y",
                                    "fill in the missing ones, or give latitude/longitude instead"))
            continue
        try:
            lat, lon = geo.to_wgs84(crs, x, y)
        except ValueError as e:
            problems.append(Problem(file, line, "source_crs", crs, "position", str(e),
                                    "check the EPSG code and that x is the easting and y the northing"))
            continue
        if lat0 is None and lon0 is None:
            updates.append((lat, lon, rowid))
    with model.conn:
        model.conn.executemany("UPDATE towns SET latitude = ?, longitude = ? WHERE rowid = ?", updates)
    return problems


def derive_membership_summary(model: Model) -> None:
    model.conn.execute("""
        UPDATE towns SET
          status = s.status, joined = s.joined, "left" = s.last_left
        FROM (SELECT town,
                     CASE WHEN count(*) > count("left") THEN 'current' ELSE 'former' END AS status,
                     CASE WHEN count(*) = count(joined) THEN min(joined) END AS joined,
                     CASE WHEN count(*) = count("left") THEN max("left") END AS last_left
              FROM memberships GROUP BY town) AS s
        WHERE towns.id = s.town""")


def derive_countries(model: Model) -> None:
    codes = [r[0] for r in model.conn.execute(
        "SELECT DISTINCT country FROM towns WHERE country IS NOT NULL ORDER BY country")]
    rows = []
    for code in codes:
        country = pycountry.countries.get(alpha_2=code)
        if country is not None:           # an unknown code is reported by the rules
            rows.append((code, country.name, COUNTRIES_SOURCE))
    with model.conn:
        model.conn.executemany("INSERT INTO countries VALUES (?, ?, ?)", rows)


def derive_distances(model: Model) -> None:
    placed = model.conn.execute("""
        SELECT id, latitude, longitude FROM towns
        WHERE latitude IS NOT NULL AND longitude IS NOT NULL AND id IN (SELECT town FROM memberships)
        GROUP BY id ORDER BY id""").fetchall()
    rows = ((a, b, geo.distance_km(lat1, lon1, lat2, lon2), DISTANCE_SOURCE)
            for (a, lat1, lon1), (b, lat2, lon2) in combinations(placed, 2))
    with model.conn:
        model.conn.execute("BEGIN")
        while batch := list(islice(rows, BATCH)):
            model.conn.executemany("INSERT INTO distances VALUES (?, ?, ?, ?)", batch)
