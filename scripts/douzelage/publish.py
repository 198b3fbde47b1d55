"""Publish: run the pipeline into a scratch folder, write every output, check it, then swap it in at once.

The published folder (datapackage/, with the database inside it) is replaced in one step with the
Linux renameat2(RENAME_EXCHANGE) call: at every moment, including a SIGKILL mid-build, datapackage/ is
either the last good build or the new one, never a mix. Bad data stops the build before anything is
written.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import shutil
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from douzelage import report
from douzelage.check.lint import lint_descriptor, lint_metadata
from douzelage.descriptor import REPORT_TABLES, TABLES
from douzelage.files import read_only
from douzelage.forking import die_with_parent, fork_context
from douzelage.layout import DB_FILE, GEOJSON_FILE, INSPECT_FILE, METADATA, PACKAGE, SOURCES, ZIP_FILE
from douzelage.load.model import Model
from douzelage.pipeline import check, read_and_load
from douzelage.problems import DataError, Problem
from douzelage.write.database import finish_database, write_inspect_file
from douzelage.write.dcat import write_catalogue
from douzelage.write.dictionary import write_dictionary
from douzelage.write.geojson_map import write_map
from douzelage.write.manifest import write_manifest, write_schema_org
from douzelage.write.package import write_csv, write_descriptor, write_zip
from douzelage.write.site_metadata import metadata as datasette_metadata
from douzelage.write.site_metadata import metadata_bytes


def write_all(sources: Path, out: Path) -> list[Problem]:
    """Compile the sources into `out`: the database, the GeoJSON and the package; check what was written.
    Returns the notices: what the reader normalised on the way.

    Writing overlaps checking, here and only here: once the tables are loaded and derived without a
    problem, two helper processes start writing their CSVs (and the GeoJSON) while the rules check them
    (both only read the database); a problem stops the build and nothing they wrote is published. The
    report's tables are written once the report is made, after the checks. The helpers then write the
    zip and the data dictionary, check the database's integrity and lint the descriptor and metadata.json
    while this process writes the catalogue; a lint problem stops the build before the swap."""
    with Writers(out) as writers:
        loaded = read_and_load(sources, out / DB_FILE)
        if loaded.clean:
            writers.write_tables(loaded.model, [t for t in TABLES if t not in REPORT_TABLES], geojson=True)
        check(loaded)  # raises DataError: the writers are stopped
        model = loaded.model
        try:
            coverage = report.compute(model.conn)  # the report reads the checked tables beside the writers,
            writers.wait_for_files()  # and is stored once they have read theirs
            report.insert(model.conn, coverage)
            writers.write_tables(model, REPORT_TABLES)
            descriptor, zipped = writers.write_package()
            finish_database(model)
        finally:
            model.close()
        writers.start(write_dictionary, out)  # the data dictionary, from the files above
        writers.start(check_integrity, out / DB_FILE)
        linted = writers.start(lint_outputs, descriptor, out / DB_FILE)
        write_inspect_file(out / DB_FILE, out / INSPECT_FILE)
        zipped.result()
        write_catalogue(out)  # the DCAT-AP catalogue, with every file's size and checksum
        if problems := linted.result():  # our own descriptor or metadata.json is wrong: a bug, said plainly
            raise DataError(problems)
        writers.wait()
    write_schema_org(out)  # what the site shows, as files: schema.org JSON-LD, then the manifest
    write_manifest(out, descriptor)
    return loaded.found.notices


def lint_outputs(descriptor: dict, db: Path) -> list[Problem]:
    """The published descriptor and metadata.json, by the strict profiles and against the database."""
    return lint_descriptor(descriptor) + lint_metadata(datasette_metadata(), db)


def check_integrity(db: Path) -> None:
    with read_only(db) as conn:
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise RuntimeError("the new database failed SQLite's integrity check")


class Writers:
    """Two forked processes that write the package's files into `out` while the build goes on.

    They read the database through their own read-only connections; the build writes to it again
    (full-text search, statistics) only after they have all finished reading (write_package). Leaving
    the `with` block waits for any still running, so none outlives the build."""

    def __init__(self, out: Path):
        self.out = out
        self.pool = ProcessPoolExecutor(max_workers=2, mp_context=fork_context(), initializer=die_with_parent)
        self.files: dict[str, Future] = {}
        self.started: list[Future] = []

    def write_tables(self, model: Model, tables: list[str], geojson: bool = False) -> None:
        """The CSVs of `tables` (and the GeoJSON), largest first."""
        db = self.out / DB_FILE
        (self.out / "data").mkdir(exist_ok=True)
        rows = {
            t: model.conn.execute(f'SELECT max(rowid) FROM "{t}"').fetchone()[0] or 0
            for t in [*tables, "towns", "meetings"]
        }
        jobs: dict[str, tuple] = {
            f"data/{t}.csv": (rows[t], write_csv, db, t, self.out / "data" / f"{t}.csv") for t in tables
        }
        if geojson:
            jobs[GEOJSON_FILE] = (rows["towns"] + rows["meetings"], write_map, db, self.out / GEOJSON_FILE)
        for name, (_, *job) in sorted(jobs.items(), key=lambda item: -item[1][0]):
            self.files[name] = self.pool.submit(*job)

    def wait_for_files(self) -> None:
        """Return once every file started so far is written (so nothing reads the database any more)."""
        for future in self.files.values():
            future.result()

    def write_package(self) -> tuple[dict, Future]:
        """Wait for the files; write datapackage.json, and start the zip of them all.
        Returns the descriptor, and the zip's future."""
        stats = {name: future.result() for name, future in self.files.items()}
        descriptor = write_descriptor(self.out, stats)
        return descriptor, self.start(write_zip, self.out, ["datapackage.json", *stats], self.out / ZIP_FILE)

    def start(self, fn, *args) -> Future:
        """Run fn(*args) in a helper; wait() returns once it is done (and raises what it raised)."""
        future = self.pool.submit(fn, *args)
        self.started.append(future)
        return future

    def wait(self) -> None:
        for future in self.started:
            future.result()

    def __enter__(self) -> Writers:
        return self

    def __exit__(self, *exc) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def build(sources: Path = SOURCES, package: Path = PACKAGE, metadata: Path = METADATA) -> list[Problem]:
    """Compile, check and publish; returns the notices. Raises DataError, and publishes nothing, on bad data."""
    package = package.resolve()
    scratch = package.parent / f".{package.name}.new-{os.getpid()}"
    tmp_meta = metadata.parent / f".{metadata.name}.new-{os.getpid()}"
    package.parent.mkdir(parents=True, exist_ok=True)
    lock = (package.parent / f".{package.name}.lock").open("w")
    fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time: another waits, and leftovers are only ours
    _clean_leftovers(package)
    try:
        scratch.mkdir()
        found = write_all(sources, scratch)
        tmp_meta.write_bytes(metadata_bytes())
        _swap_in(scratch, package)
        os.replace(tmp_meta, metadata)
        return found
    finally:
        shutil.rmtree(scratch, ignore_errors=True)  # after the swap this holds the previous build
        tmp_meta.unlink(missing_ok=True)
        lock.close()  # releases the lock


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
