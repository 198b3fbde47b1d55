"""Stage 4a: write the Frictionless Data Package: one CSV per table, datapackage.json, and a zip of both.

Rows are sorted by primary key and numbers written in one canonical form, so the same sources always
give byte-identical files.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

from .layout import GEOJSON_FILE, SCHEMA, TABLES, ZIP_FILE
from .model import Model
from .table_schema import field_names, package_metadata, schema


def resource_texts() -> dict[str, dict]:
    return json.loads((SCHEMA / "resources.json").read_text(encoding="utf-8"))


def cell(value) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def sorted_rows(model: Model, table: str) -> list[dict]:
    key = schema(table)["primaryKey"]
    return sorted(model[table].rows, key=lambda r: tuple(cell(r[k]) for k in key))


def csv_bytes(model: Model, table: str) -> bytes:
    names = field_names(table)
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(names)
    for row in sorted_rows(model, table):
        w.writerow([cell(row[n]) for n in names])
    return out.getvalue().encode("utf-8")


def _stats(data: bytes) -> dict:
    return {"bytes": len(data), "hash": "sha256:" + hashlib.sha256(data).hexdigest()}


def descriptor(files: dict[str, bytes]) -> dict:
    texts = resource_texts()
    pkg = package_metadata()
    resources = []
    for table in TABLES:
        path = f"data/{table}.csv"
        resources.append({"name": table, "type": "table", "path": path, "scheme": "file", "format": "csv",
                          "mediatype": "text/csv", "encoding": "utf-8", **texts[table],
                          **_stats(files[path]), "schema": schema(table)})
    resources.append({"name": "map", "path": GEOJSON_FILE, "format": "geojson",
                      "mediatype": "application/geo+json", "encoding": "utf-8", **texts["map"],
                      **_stats(files[GEOJSON_FILE])})
    return {**pkg, "resources": resources}


def write_package(model: Model, geojson_bytes: bytes, out: Path) -> dict:
    """Write data/*.csv, the GeoJSON, datapackage.json and the zip into `out`; return the descriptor."""
    files = {f"data/{t}.csv": csv_bytes(model, t) for t in TABLES}
    files[GEOJSON_FILE] = geojson_bytes
    desc = descriptor(files)
    files["datapackage.json"] = (json.dumps(desc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    (out / ZIP_FILE).write_bytes(zip_bytes(files))
    return desc


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A zip whose bytes depend only on the files: sorted names, fixed dates and permissions."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"douzelage/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, files[name])
    return buf.getvalue()
