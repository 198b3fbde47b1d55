"""CHANGELOG.md: the record of data releases, one `## [version] - YYYY-MM-DD` heading each, newest first.

It is the one place a release date is written (by `douzelage release`); the catalogue takes its issued
and modified dates from here, so a build never depends on the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from douzelage.layout import ROOT

CHANGELOG = ROOT / "CHANGELOG.md"
HEADER = (
    "# Changelog\n\nData releases of the Douzelage Open Data package, newest first. Written by "
    "`douzelage release`; versions follow semantic versioning for data (see README).\n"
)
_HEADING = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", re.M)


@dataclass(frozen=True)
class Release:
    version: str
    date: str


def releases(path: Path = CHANGELOG) -> list[Release]:
    """Every release in the changelog, newest first; none if there is no changelog yet."""
    if not path.exists():
        return []
    return [Release(v, d) for v, d in _HEADING.findall(path.read_text(encoding="utf-8"))]


def first_release(path: Path = CHANGELOG) -> Release | None:
    """The oldest release: when the data was first published."""
    found = releases(path)
    return found[-1] if found else None


def release_of(version: str, path: Path = CHANGELOG) -> Release | None:
    return next((r for r in releases(path) if r.version == version), None)


def add_entry(entry: str, path: Path = CHANGELOG) -> None:
    """Put a new entry (starting with its `## [...]` heading) above the previous ones."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    first = _HEADING.search(text)
    at = first.start() if first else len(text)
    head = text[:at].rstrip("\n") + "\n\n"
    rest = text[at:]
    path.write_text(head + entry.rstrip("\n") + "\n" + ("\n" + rest if rest else ""), encoding="utf-8")
