"""Shared fixtures: one build of the real sources into a scratch folder, reused by the read-only tests."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from scripts.layout import DB_FILE, SOURCES
from scripts.publish import build

# ../shared/standards beside the clone; $DOUZELAGE_STANDARDS points elsewhere (e.g. from a git worktree).
STANDARDS = Path(os.environ.get("DOUZELAGE_STANDARDS") or Path(__file__).resolve().parents[2] / "shared" / "standards")


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """The real sources compiled into <tmp>/datapackage, with <tmp>/metadata.json beside it."""
    root = tmp_path_factory.mktemp("built")
    build(SOURCES, root / "datapackage", root / "metadata.json")
    return root


@pytest.fixture(scope="session")
def package(built) -> Path:
    return built / "datapackage"


@pytest.fixture(scope="session")
def descriptor(package) -> dict:
    return json.loads((package / "datapackage.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def db_path(package) -> Path:
    return package / DB_FILE


@pytest.fixture
def sources_copy(tmp_path) -> Path:
    """A writable copy of the real sources, for tests that break one thing."""
    dest = tmp_path / "sources"
    shutil.copytree(SOURCES, dest)
    return dest


def standard(*parts: str) -> Path:
    path = STANDARDS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"official standard not found at {path} (the shared/standards folder beside the clone)")
    return path
