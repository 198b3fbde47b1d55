"""The pipeline, top to bottom: read → load → derive → check → report. (publish.py then writes the outputs.)

Each stage is a module with one job; this file only says in which order they run and when to stop:

    read    read/sources.py    open every file of sources/ and check its header
    load    load/model.py      cast every cell into the database being built; returns problems and notices
    derive  derive.py          positions, membership summary, countries, distances
    check   check/rules.py     keys, references and the Douzelage's rules, across rows and tables
    report  report.py          the coverage report, from the checked tables

Every problem of every stage is reported at once: the rules run even when some cells were refused
(they skip what a refused row would make them report again), but not when a whole file is unreadable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from douzelage import report
from douzelage.check import rules
from douzelage.derive import derive
from douzelage.layout import SOURCES
from douzelage.load.model import Model, load
from douzelage.problems import DataError, Found, Problem
from douzelage.read.sources import read_sources


@dataclass
class Loaded:
    """The database after read, load and derive, and what those stages found."""

    model: Model
    found: Found
    files_whole: bool  # every source file could be read: the rules can say something

    @property
    def clean(self) -> bool:
        return not self.found.problems


def read_and_load(sources: Path = SOURCES, database: Path | None = None) -> Loaded:
    """Read, load and derive into `database` (a temporary one if None). Raises nothing: see check()."""
    raw, problems = read_sources(sources)
    model = Model(database)
    found = load(model, raw)
    found.problems[:0] = problems
    found.problems += derive(model)
    return Loaded(model, found, files_whole=not problems)


def check(loaded: Loaded) -> None:
    """Run the rules; raise DataError with every problem of every stage (closing the database) if any."""
    problems = list(loaded.found.problems)
    if loaded.files_whole:
        problems += rules.check(loaded.model)
    if problems:
        loaded.model.close()
        raise DataError(problems)


def make_report(loaded: Loaded) -> None:
    """The coverage report, from the checked tables."""
    report.derive(loaded.model.conn)


@dataclass
class Compiled:
    model: Model
    notices: list[Problem]


def compile_model(sources: Path = SOURCES, database: Path | None = None) -> Compiled:
    """read → load → derive → check → report, without writing any output (`douzelage validate`, tests)."""
    loaded = read_and_load(sources, database)
    check(loaded)
    make_report(loaded)
    return Compiled(loaded.model, loaded.found.notices)
