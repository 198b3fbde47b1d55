"""Shared fixtures: one build of the real sources into a scratch folder, reused by the read-only tests."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from datasette.app import Datasette
from rdflib import Graph

from douzelage.layout import DB_FILE, SOURCES
from douzelage.publish import build
from douzelage.serve import datasette_kwargs
from douzelage.write.dcat import PREFIXES

# The official standards, vendored unchanged with their licences (tests/standards/README.md).
STANDARDS = Path(__file__).resolve().parent / "standards"


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
    assert path.is_file(), f"{path} is not vendored: see tests/standards/README.md"
    return path


def rdflib_json_ld(graph: Graph) -> bytes:
    """rdflib's JSON-LD with the catalogue's context, nodes and value lists sorted: what the build wrote before."""
    context = {p: str(ns) for p, ns in graph.namespaces() if p in PREFIXES}
    doc = json.loads(graph.serialize(format="json-ld", context=context))
    nodes = doc.get("@graph", [doc])
    for n in nodes:
        for k, v in n.items():
            if isinstance(v, list):
                n[k] = sorted(v, key=lambda x: json.dumps(x, sort_keys=True))
    nodes.sort(key=lambda n: n["@id"])
    return (
        json.dumps({"@context": context, "@graph": nodes}, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    ).encode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_command(built: Path, package: Path, port: int, workers: int) -> list[str]:
    """`douzelage serve` of the package built for the tests, on a loopback port."""
    douzelage = Path(sys.executable).parent / "douzelage"
    metadata = built / "metadata.json"
    return [
        str(douzelage),
        "serve",
        "--out",
        str(package),
        "--metadata",
        str(metadata),
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


@pytest.fixture(scope="session")
def site_log(tmp_path_factory) -> Path:
    """Where the datasette process of `site_url` writes its output."""
    return tmp_path_factory.mktemp("site") / "datasette.log"


@pytest.fixture(scope="session")
def site_url(built, package, site_log):
    """The base URL of the real site, started by `douzelage serve` with two worker processes, serving the
    package built from the real sources; stopped after the session."""
    port = _free_port()
    log = site_log.open("wb")
    proc = subprocess.Popen(
        serve_command(built, package, port, workers=2),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if proc.poll() is not None:
                pytest.fail(f"datasette exited with code {proc.returncode} before answering")
            try:
                if httpx.get(f"{base}/-/versions.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("datasette did not answer within 30 s")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def ds(built, package):
    """Datasette in this process, set up as `douzelage serve` sets it up (scripts/douzelage/serve.py)."""
    return Datasette(**datasette_kwargs(package, built / "metadata.json"))
