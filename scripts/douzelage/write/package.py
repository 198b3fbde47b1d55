"""Stage 4a: write the Frictionless Data Package: one CSV per table, datapackage.json, and a zip of both.

The CSVs are written from the published database in primary-key order, each value in one canonical
form (booleans true/false, shortest round-trip decimals), so the same sources always give byte-identical
files.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

from douzelage.descriptor import TABLES, fields, package_metadata, resource_texts, schema
from douzelage.files import CHUNK, file_stats, read_only
from douzelage.layout import GEOJSON_FILE


def _number(value):
    if value is None:
        return None
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _select(field: dict) -> str:
    """The column as written to CSV: booleans as true/false; NULL becomes an empty cell."""
    name = f'"{field["name"]}"'
    if field["type"] == "boolean":
        return f"CASE WHEN {name} IS NULL THEN NULL WHEN {name} THEN 'true' ELSE 'false' END"
    return name


def write_csv(db: Path, table: str, path: Path) -> dict:
    """One table as CSV, in primary-key order; returns the file's size and SHA-256. Opens its own
    read-only connection, so tables can be written side by side in several processes."""
    with read_only(db) as conn:
        _write_csv(conn, table, path)
    return file_stats(path)


def _write_csv(conn: sqlite3.Connection, table: str, path: Path) -> None:
    fs = fields(table)
    numbers = [i for i, f in enumerate(fs) if f["type"] == "number"]  # shortest round-trip decimals
    order = ", ".join(f'"{k}"' for k in schema(table)["primaryKey"])
    cur = conn.execute(f'SELECT {", ".join(_select(f) for f in fs)} FROM "{table}" ORDER BY {order}')
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([f["name"] for f in fs])
        while batch := cur.fetchmany(10_000):
            if numbers:
                batch = [list(row) for row in batch]
                for row in batch:
                    for i in numbers:
                        row[i] = _number(row[i])
            w.writerows(batch)


def descriptor(out: Path, stats: dict[str, dict] | None = None) -> dict:
    """datapackage.json's content; `stats` maps a file's path in the package to its size and hash, where
    they are known already (otherwise the file is read)."""
    stats = stats or {}
    texts = resource_texts()
    resources = []
    for table in TABLES:
        path = f"data/{table}.csv"
        resources.append(
            {
                "name": table,
                "type": "table",
                "path": path,
                "scheme": "file",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                **texts[table],
                **(stats.get(path) or file_stats(out / path)),
                "schema": schema(table),
            }
        )
    resources.append(
        {
            "name": "map",
            "path": GEOJSON_FILE,
            "format": "geojson",
            "mediatype": "application/geo+json",
            "encoding": "utf-8",
            **texts["map"],
            **(stats.get(GEOJSON_FILE) or file_stats(out / GEOJSON_FILE)),
        }
    )
    return {**package_metadata(), "resources": resources}


def write_descriptor(out: Path, stats: dict[str, dict] | None = None) -> dict:
    """datapackage.json for the CSVs and the GeoJSON already in `out` (publish.py then zips them all)."""
    desc = descriptor(out, stats)
    (out / "datapackage.json").write_text(json.dumps(desc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return desc


def _entry(name: str) -> zipfile.ZipInfo:
    """A zip entry whose bytes depend only on the file: fixed date and permissions."""
    info = zipfile.ZipInfo(f"douzelage/{name}", date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write_zip(folder: Path, names: list[str], target: Path) -> None:
    """Zip files of `folder` in sorted order, streamed, so the same files give the same zip."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name in sorted(names):
            with (folder / name).open("rb") as src, z.open(_entry(name), "w", force_zip64=True) as dst:
                shutil.copyfileobj(src, dst, CHUNK)


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """The same kind of zip, from contents in memory (used for release zips)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name in sorted(files):
            z.writestr(_entry(name), files[name])
    return buf.getvalue()
