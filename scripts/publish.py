"""Stage 5: publish. Compile into a scratch folder, check what was written, then swap it in at once.

The published folder (datapackage/, with the database inside it) is replaced in one step with the
Linux renameat2(RENAME_EXCHANGE) call: at every moment, including a SIGKILL mid-build, datapackage/ is
either the last good build or the new one, never a mix. Bad data stops the build before anything is
written.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import multiprocessing
import os
import shutil
import signal
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import rules
from .database import finish_database, write_inspect_file
from .dcat import write_catalogue
from .dictionary import write_dictionary
from .geojson_map import write_map
from .layout import DB_FILE, GEOJSON_FILE, INSPECT_FILE, METADATA, PACKAGE, SOURCES, TABLES
from .model import Model, build_model
from .package import write_csv, write_descriptor
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
    counts = write_inspect_file(out / DB_FILE, out / INSPECT_FILE)
    stats = write_files(out, counts)
    with _read_only(out / DB_FILE) as conn:
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise RuntimeError("the new database failed SQLite's integrity check")
    descriptor = write_descriptor(out, stats)
    problems = lint_descriptor(descriptor) + lint_metadata(datasette_metadata(), out / DB_FILE)
    if problems:                          # our own descriptor or metadata.json is wrong: a bug, said plainly
        raise DataError(problems)
    write_catalogue(out), write_dictionary(out)   # issue 7: DCAT-AP catalogue + data dictionary, from the files above
    return model.notices


def _read_only(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True)


def die_with_parent() -> None:
    """In a forked helper process: be killed when the build that forked it dies (even by SIGKILL), so no
    orphan keeps the build's lock or writes into a scratch folder after the build has gone."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:                 # the parent died before prctl took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def write_files(out: Path, counts: dict[str, int]) -> dict[str, dict]:
    """The CSVs and the GeoJSON, written side by side by two processes, largest first; returns each file's
    size and SHA-256 by its path in the package."""
    db = out / DB_FILE
    jobs = {f"data/{t}.csv": (write_csv, db, t, out / "data" / f"{t}.csv") for t in TABLES}
    jobs[GEOJSON_FILE] = (write_map, db, out / GEOJSON_FILE)
    size = {**{f"data/{t}.csv": counts.get(t, 0) for t in TABLES},
            GEOJSON_FILE: counts.get("towns", 0) + counts.get("meetings", 0)}
    (out / "data").mkdir(exist_ok=True)
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork"),
                             initializer=die_with_parent) as pool:
        futures = {name: pool.submit(*jobs[name]) for name in sorted(jobs, key=lambda n: -size[n])}
        return {name: future.result() for name, future in futures.items()}


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
