"""Stage 5: publish. Compile into a scratch folder, check what was written, then swap it in at once.

The published folder (datapackage/, with the database inside it) is replaced in one step with the
Linux renameat2(RENAME_EXCHANGE) call: at every moment, including a SIGKILL mid-build, datapackage/ is
either the last good build or the new one, never a mix. Bad data stops the build before anything is
written.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import sqlite3
from pathlib import Path

from . import coverage, rules
from .database import write_database
from .geojson_map import geojson_bytes
from .layout import DB_FILE, METADATA, PACKAGE, SOURCES
from .model import Model, build_model
from .package import write_package
from .problems import DataError
from .site_metadata import metadata_bytes
from .sources import read_sources


def compile_model(sources: Path = SOURCES) -> Model:
    """Read, cast and check the sources; raise DataError with every problem found."""
    raw, problems = read_sources(sources)
    model, cast_problems = build_model(raw)
    problems += cast_problems
    if not any(p.row is None or p.row == 1 for p in problems):   # rules need whole files to be meaningful
        problems += rules.check(model)
    if problems:
        raise DataError(problems)
    return model


def write_all(model: Model, out: Path) -> None:
    out.mkdir(parents=True)
    write_package(model, geojson_bytes(model), out)
    write_database(model, out / DB_FILE)
    coverage.publish(out)   # issue 3: coverage report, compiled from the database just written
    _verify(out)


def _verify(out: Path) -> None:
    with sqlite3.connect(f"file:{out / DB_FILE}?mode=ro", uri=True) as conn:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise RuntimeError("the new database failed SQLite's integrity check")


def build(sources: Path = SOURCES, package: Path = PACKAGE, metadata: Path = METADATA) -> Model:
    model = compile_model(sources)
    package = package.resolve()
    scratch = package.parent / f".{package.name}.new-{os.getpid()}"
    _clean_leftovers(package)
    try:
        write_all(model, scratch)
        tmp_meta = metadata.parent / f".{metadata.name}.new-{os.getpid()}"
        tmp_meta.write_bytes(metadata_bytes())
        _swap_in(scratch, package)
        os.replace(tmp_meta, metadata)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)   # after the swap this holds the previous build
    return model


def _clean_leftovers(package: Path) -> None:
    for p in package.parent.glob(f".{package.name}.new-*"):
        shutil.rmtree(p, ignore_errors=True)
    for p in package.parent.glob(".metadata.json.new-*"):
        p.unlink(missing_ok=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _swap_in(new: Path, published: Path) -> None:
    """Make `new` the published folder in one atomic step; the old one is left at `new`'s path."""
    if not published.exists():
        os.rename(new, published)
        new.mkdir()
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    rc = libc.renameat2(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(published), _RENAME_EXCHANGE)
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"cannot swap {new} and {published} atomically: {os.strerror(err)}")
