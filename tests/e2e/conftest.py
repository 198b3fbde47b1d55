"""One headless Debian Chromium per test module (the real `datasette` process, `site_url`, is in
tests/conftest.py)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}  # the viewport of `page`
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser` (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def page(browser):
    """A desktop-sized page; the test fails on any JavaScript error it raised."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.fixture(scope="module")
def sql(db_path):
    """sql(query, *params): rows of the built database, read-only."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    yield lambda q, *p: conn.execute(q, p).fetchall()
    conn.close()
