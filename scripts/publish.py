"""Stage 5: publish. Compile into a scratch folder, check what was written, then swap it in at once.

The published folder (datapackage/, with the database inside it) is replaced in one step with the
Linux renameat2(RENAME_EXCHANGE) call: at every moment, including a SIGKILL mid-build, datapackage/ is
either the last good build or the new one, never a mix. Bad data stops the build before anything is
written.
"""
from __future__ import annotations

import ctypes
import fcntl
import multiprocessing
import ctypes.util
import os
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from . import rules
from .database import finish_database, write_inspect_file
from .dcat import write_catalogue
from .dictionary import write_dictionary
from .geojson_map import write_geojson
from .layout import DB_FILE, GEOJSON_FILE, INSPECT_FILE, METADATA, PACKAGE, SOURCES
from .model import Model, build_model
from .package import write_descriptor, write_tables
from .problems import DataError, Problem
from .lint import lint_descriptor, lint_metadata
from .site_metadata import metadata as datasette_metadata, metadata_bytes
from .sources import notices, read_sources


def compile_model(sources: Path = SOURCES, database: Path | None = None) -> Model:
    """Read, cast and check the sources into a new database (a temporary one if none is named);
    raise DataError with every problem."""
    raw, problems = read_sources(sources)
    model, found = build_model(raw, database)
    if not problems:                     # the rules need every file whole to say anything meaningful
        found += rules.check(model)
    problems += found
    model.notices = notices(raw)
    if problems:
        model.close()
        raise DataError(problems)
    return model


def write_all(sources: Path, out: Path) -> list[Problem]:
    """Compile the sources into `out`: the database, the GeoJSON and the package; check what was written.
    Returns the notices: what the reader normalised on the way."""
    model = compile_model(sources, out / DB_FILE)
    try:
        finish_database(model)
    finally:
        model.close()
    with _alongside(_write_map, out):                   # the map is written on the other core
        with _read_only(out / DB_FILE) as conn:
            write_tables(conn, out)
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise RuntimeError("the new database failed SQLite's integrity check")
    write_inspect_file(out / DB_FILE, out / INSPECT_FILE)
    descriptor = write_descriptor(out)
    problems = lint_descriptor(descriptor) + lint_metadata(datasette_metadata(), out / DB_FILE)
    if problems:                          # our own descriptor or metadata.json is wrong: a bug, said plainly
        raise DataError(problems)
    write_catalogue(out), write_dictionary(out)   # issue 7: DCAT-AP catalogue + data dictionary, from the files above
    return model.notices


def _read_only(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True)


def _write_map(out: Path) -> None:
    with _read_only(out / DB_FILE) as conn:
        write_geojson(conn, out / GEOJSON_FILE)


@contextmanager
def _alongside(task, *args):
    """Run `task(*args)` in a forked process while the body runs; fail if it failed."""
    process = multiprocessing.get_context("fork").Process(target=task, args=args, daemon=True)
    process.start()
    try:
        yield
    except BaseException:
        process.kill()
        raise
    finally:
        process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"{task.__name__} failed (exit code {process.exitcode}); see the message above")


def build(sources: Path = SOURCES, package: Path = PACKAGE, metadata: Path = METADATA) -> list[Problem]:
    """Compile, check and publish; returns the notices. Raises DataError, and publishes nothing, on bad data."""
    package = package.resolve()
    scratch = package.parent / f".{package.name}.new-{os.getpid()}"
    tmp_meta = metadata.parent / f".{metadata.name}.new-{os.getpid()}"
    package.parent.mkdir(parents=True, exist_ok=True)
    lock = (package.parent / f".{package.name}.lock").open("w")
    fcntl.flock(lock, fcntl.LOCK_EX)      # one build at a time: another waits, and leftovers are only ours
    _clean_leftovers(package)
    try:
        scratch.mkdir()
        found = write_all(sources, scratch)
        tmp_meta.write_bytes(metadata_bytes())
        _swap_in(scratch, package)
        os.replace(tmp_meta, metadata)
        return found
    finally:
        shutil.rmtree(scratch, ignore_errors=True)   # after the swap this holds the previous build
        tmp_meta.unlink(missing_ok=True)
        lock.close()                                 # releases the lock


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
