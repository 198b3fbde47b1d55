"""Releases: the semantic bump follows what changed, the changelog names the rows, the zip carries the version."""

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from douzelage.write.changelog import releases
from douzelage.write.release import Snapshot, bumped, compare, entry, level

ROOT = Path(__file__).resolve().parents[2]


def snap(version="1.2.3", towns=None, columns=None) -> Snapshot:
    columns = columns or {"id": "string", "name": "string", "joined": "year"}
    towns = towns if towns is not None else {"granville": ("Granville", "1991"), "oxelosund": ("Oxelösund", "1998")}
    rows = {(k,): {"id": k, **dict(zip(["name", "joined"], v))} for k, v in towns.items()}
    return Snapshot(version, {"towns": columns}, {"towns": rows})


def test_a_new_town_is_a_minor_release_and_the_changelog_names_it():
    old = snap()
    new = snap(towns={"granville": ("Granville", "1991"), "oxelosund": ("Oxelösund", "1998"), "agros": ("Agros", "")})
    diffs = compare(old, new)
    assert diffs["towns"].added == ["agros"] and level(diffs, old, new) == "minor"
    text = entry("1.3.0", "2026-12-01", "minor", diffs, new, old, "git abc")
    assert text.startswith("## [1.3.0] - 2026-12-01\n") and "1 row(s) added: `agros`" in text


def test_a_removed_row_is_a_minor_release():
    old, new = snap(), snap(towns={"granville": ("Granville", "1991")})
    diffs = compare(old, new)
    assert diffs["towns"].removed == ["oxelosund"] and level(diffs, old, new) == "minor"


def test_a_corrected_value_is_a_patch_release_naming_the_row_and_column():
    old, new = snap(), snap(towns={"granville": ("Granville", "1991"), "oxelosund": ("Oxelösund", "1997")})
    diffs = compare(old, new)
    assert diffs["towns"].changed == [("oxelosund", ["joined"])] and level(diffs, old, new) == "patch"
    assert "`oxelosund` (joined)" in entry("1.2.4", "2026-12-01", "patch", diffs, new, old)


def test_a_changed_or_removed_column_is_a_major_release():
    old = snap()
    retyped = snap(columns={"id": "string", "name": "string", "joined": "integer"})
    assert level(compare(old, retyped), old, retyped) == "major"
    removed = snap(columns={"id": "string", "name": "string"})
    assert level(compare(old, removed), old, removed) == "major"


def test_nothing_changed_needs_no_release():
    assert level(compare(snap(), snap()), snap(), snap()) is None


def test_version_bumps():
    assert [bumped("1.2.3", h) for h in ("patch", "minor", "major")] == ["1.2.4", "1.3.0", "2.0.0"]


def test_citation_cff_has_the_required_keys_and_the_released_version():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0" and cff["message"] and cff["title"]
    assert cff["authors"] and all("name" in a or "family-names" in a for a in cff["authors"])
    package = json.loads((ROOT / "sources" / "datapackage.json").read_text(encoding="utf-8"))
    assert cff["version"] == package["version"] and cff["license"] == package["licenses"][0]["name"]
    released = {r.version: r.date for r in releases(ROOT / "CHANGELOG.md")}
    assert cff["date-released"] == released[package["version"]]


# --- the command, end to end, in a scratch git repository copied from this one --------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(
        ROOT,
        dest,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "__pycache__", ".pytest_cache", "*.egg-info", "dist", "test-output", "*.db", "*.zip"
        ),
    )
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "state of the last release")
    return dest


def douzelage(repo: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DOUZELAGE_BASE_URL"}
    env["PYTHONPATH"] = str(repo / "scripts")  # the copy's own package, not the installed one
    return subprocess.run([sys.executable, "-m", "douzelage", *args], cwd=repo, capture_output=True, text=True, env=env)


def test_release_command_after_a_new_meeting_and_a_correction(repo):
    version = json.loads((repo / "sources/datapackage.json").read_text())["version"]
    meetings = repo / "sources" / "meetings.csv"
    with open(meetings, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    new = {**rows[0], "id": rows[0]["id"] + "-encore", "title": rows[0]["title"] + " (encore)"}
    rows[1] = {**rows[1], "theme": "A corrected theme"}
    with open(meetings, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows([*rows, new])

    done = douzelage(repo, "release", "--date", "2031-02-03")
    assert done.returncode == 0, done.stderr

    expected = bumped(version, "minor")
    assert json.loads((repo / "sources/datapackage.json").read_text())["version"] == expected
    assert json.loads((repo / "datapackage/datapackage.json").read_text())["version"] == expected
    log = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    assert log.index(f"## [{expected}] - 2031-02-03") < log.index(f"## [{version}]")
    assert f"1 row(s) added: `{new['id']}`" in log and f"`{rows[1]['id']}` (theme)" in log
    cff = yaml.safe_load((repo / "CITATION.cff").read_text(encoding="utf-8"))
    assert (cff["version"], cff["date-released"]) == (expected, "2031-02-03")
    assert '"2031-02-03"^^xsd:date' in (repo / "datapackage/dcat/catalogue.ttl").read_text(encoding="utf-8")
    with zipfile.ZipFile(repo / "dist" / f"douzelage-{expected}.zip") as z:
        assert json.loads(z.read("douzelage/datapackage.json"))["version"] == expected
        assert {"douzelage/README.md", "douzelage/CHANGELOG.md", "douzelage/dcat/catalogue.rdf"} <= set(z.namelist())


def test_release_command_refuses_when_nothing_changed_and_writes_nothing(repo):
    before = (repo / "CHANGELOG.md").read_bytes()
    done = douzelage(repo, "release", "--date", "2031-02-03")
    assert done.returncode == 2 and "nothing changed" in done.stderr
    assert (repo / "CHANGELOG.md").read_bytes() == before


def test_release_command_refuses_a_bump_smaller_than_the_changes(repo):
    towns = repo / "sources" / "memberships.csv"
    lines = towns.read_text(encoding="utf-8").splitlines(keepends=True)
    towns.write_text("".join(lines[:-1]), encoding="utf-8")  # a membership row removed: minor at least
    done = douzelage(repo, "release", "--bump", "patch", "--dry-run")
    assert done.returncode == 2 and "too small" in done.stderr
