"""Small helpers every stage shares: a file's size and SHA-256, a read-only connection, YAML of ours.

They are here once, so no module hashes a file, opens the database or parses YAML its own way.
Nothing here imports the rest of the package; the site's plugins may use it (it needs only PyYAML).
"""

from __future__ import annotations

import copy
import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import yaml

CHUNK = 1 << 20


def sha256(path: Path) -> str:
    """The SHA-256 of a file as hex, read once per version of the file (large files in chunks)."""
    return file_stats(path)["hash"].removeprefix("sha256:")


def file_stats(path: Path) -> dict:
    """{"bytes": size, "hash": "sha256:<hex>"} of a file, as a Data Package resource states them."""
    stat = path.stat()
    return dict(_file_stats(path.resolve(), stat.st_size, stat.st_mtime_ns))


@lru_cache(maxsize=256)
def _file_stats(path: Path, size: int, mtime_ns: int) -> dict:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return {"bytes": size, "hash": "sha256:" + digest.hexdigest()}


@contextmanager
def read_only(db: Path) -> Iterator[sqlite3.Connection]:
    """A connection that can only read `db` (so writers and checkers can run side by side), closed after."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        yield conn
    finally:
        conn.close()


def load_yaml(path: Path) -> dict:
    """A YAML file of ours, parsed once per version of the file (with libyaml's parser where installed)."""
    stat = path.stat()
    return copy.deepcopy(_load_yaml(path, stat.st_size, stat.st_mtime_ns))


@lru_cache(maxsize=8)
def _load_yaml(path: Path, size: int, mtime_ns: int) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
