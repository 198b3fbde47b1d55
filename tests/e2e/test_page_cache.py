"""The public pages kept per build (site/plugins/page_cache.py), checked with a real HTTP client against
real `douzelage serve` processes: the same page gives the same strong ETag from every worker, a matching
If-None-Match gets a 304 with no body, a rebuilt database gives new tags, and neither a forged Host nor
query parameters can put a page into the cache that others would then be given."""

from __future__ import annotations

import contextlib
import csv
import subprocess
import time

import httpx
import pytest
from conftest import _free_port, serve_command

from douzelage.publish import build

TOWN = "agros"
PAGES = ["/", f"/town/{TOWN}", "/meeting/general-meeting-2018-oxelosund", "/downloads", "/coverage"]


def fresh_get(url: str, **kw) -> httpx.Response:
    """One request on a connection of its own: the kernel spreads connections over the workers."""
    with httpx.Client(timeout=30) as client:
        return client.get(url, **kw)


@pytest.mark.parametrize("path", PAGES)
def test_a_page_has_one_strong_etag_and_a_matching_if_none_match_gets_304(site_url, path):
    first = fresh_get(site_url + path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")  # strong
    assert "max-age=" in first.headers["cache-control"] and "public" in first.headers["cache-control"]
    again = [fresh_get(site_url + path) for _ in range(6)]  # most likely from both workers
    assert {r.headers["etag"] for r in again} == {etag}
    assert {r.content for r in again} == {first.content}
    assert int(first.headers["content-length"]) == len(first.content)

    not_modified = fresh_get(site_url + path, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    other = fresh_get(site_url + path, headers={"If-None-Match": '"not-this-one"'})
    assert other.status_code == 200 and other.content == first.content


def test_a_head_request_gets_the_headers_of_the_kept_page_and_no_body(site_url):
    page = fresh_get(site_url + "/")
    with httpx.Client(timeout=30) as client:
        head = client.head(site_url + "/")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == page.headers["etag"]


def test_a_forged_host_cannot_poison_the_cache(site_url):
    plain = fresh_get(site_url + "/")
    forged = fresh_get(site_url + "/", headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    assert b"evil.example" not in forged.content
    after = [fresh_get(site_url + "/") for _ in range(4)]
    assert all(b"evil.example" not in r.content for r in after)
    assert {r.headers["etag"] for r in after} == {plain.headers["etag"]}


@pytest.mark.parametrize(
    "query",
    ["?_x=%3Cscript%3Eevil%3C%2Fscript%3E", "?_context=1", "?q=evil", "?_sort=name&evil=1"],
)
def test_query_parameters_are_not_kept_and_do_not_change_the_kept_page(site_url, query):
    path = f"/town/{TOWN}"
    plain = fresh_get(site_url + path)
    with_query = fresh_get(site_url + path + query)
    assert "etag" not in with_query.headers  # rendered for this request only, never kept
    after = fresh_get(site_url + path)
    assert after.headers["etag"] == plain.headers["etag"]
    assert after.content == plain.content
    assert b"evil" not in after.content


@pytest.mark.parametrize("path", ["/town/no-such-town", "/search?q=music", "/douzelage/towns", "/-/versions.json"])
def test_errors_and_pages_not_listed_are_not_kept(site_url, path):
    r = fresh_get(site_url + path)
    assert "etag" not in r.headers
    assert "public" not in r.headers.get("cache-control", "")  # Datasette's own max-age=5 on tables, if any


def test_a_kept_page_still_goes_through_the_per_client_limits(site_url):
    """The limits wrap the whole app (scripts/douzelage/serving/client_limits.py): every answer, a kept one
    too, carries the Server-Timing that they add."""
    fresh_get(site_url + "/")
    assert fresh_get(site_url + "/").headers["server-timing"].startswith("app;dur=")


@contextlib.contextmanager
def serving(built_root, package):
    port = _free_port()
    proc = subprocess.Popen(
        serve_command(built_root, package, port, workers=2), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            assert proc.poll() is None, "douzelage serve exited before answering"
            try:
                if httpx.get(f"{base}/-/versions.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_rebuilt_database_gives_new_etags(site_url, sources_copy, tmp_path):
    towns = sources_copy / "towns.csv"
    with towns.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
        fields = list(rows[0])
    town = next(r for r in rows if r["id"] == TOWN)
    population = int(town["population"])
    town["population"] = str(population + 1)  # one fact changed: the rebuilt database differs
    with towns.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    build(sources_copy, tmp_path / "datapackage", tmp_path / "metadata.json")

    old = {path: fresh_get(site_url + path) for path in ("/", f"/town/{TOWN}")}
    with serving(tmp_path, tmp_path / "datapackage") as base:
        for path, before in old.items():
            now = fresh_get(base + path)
            assert now.headers["etag"] != before.headers["etag"], path
            # a client holding the old tag gets the new page, not a 304
            asked = fresh_get(base + path, headers={"If-None-Match": before.headers["etag"]})
            assert asked.status_code == 200 and asked.content == now.content
        town_page = fresh_get(base + f"/town/{TOWN}").text
    assert f"{population + 1:,}".replace(",", "\u202f") in town_page
