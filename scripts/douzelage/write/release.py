"""Releases: a data version that means something, a zip named with it, and a changelog of what changed.

Developers pin a version and want to know what moved. The data version (sources/datapackage.json
`version`, copied into datapackage.json) follows semantic versioning for data:

- major: a column or table was removed, renamed or changed type (consumers' code may break);
- minor: rows were added or removed, or a column or table was added (e.g. a new town or meeting);
- patch: only values in existing rows (or descriptions) changed, e.g. a corrected date.

`douzelage release` compares the freshly compiled sources with the previous release, picks the bump,
writes the new version, a CHANGELOG.md entry (rows added, removed and changed per table, with their ids),
the version and date in CITATION.cff, rebuilds datapackage/ and writes dist/douzelage-<version>.zip.
The previous release is read from git (the commit that set its version in sources/datapackage.json), or from a
folder, zip or git revision given with --previous.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from douzelage.layout import GEOJSON_FILE, METADATA, PACKAGE, ROOT, SOURCES, SOURCES_DESCRIPTOR
from douzelage.write import changelog

LEVELS = ["patch", "minor", "major"]
PACKAGE_JSON = SOURCES_DESCRIPTOR
CITATION = ROOT / "CITATION.cff"
DIST = ROOT / "dist"


class ReleaseError(Exception):
    """The release cannot be made as asked; the message says why and what to do."""


@dataclass
class Snapshot:
    """A published package: its version, each table's columns (name -> type) and rows by primary key."""

    version: str
    columns: dict[str, dict[str, str]]
    rows: dict[str, dict[tuple, dict]]


@dataclass
class TableDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[tuple[str, list[str]]] = field(default_factory=list)  # (id, columns that changed)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    columns_retyped: list[tuple[str, str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(
            [self.added, self.removed, self.changed, self.columns_added, self.columns_removed, self.columns_retyped]
        )


# --- reading a package, wherever it is ------------------------------------------------------------


def snapshot(read) -> Snapshot:
    """Build a Snapshot from `read(relative path) -> text` over a package's datapackage.json and CSVs."""
    desc = json.loads(read("datapackage.json"))
    columns, rows = {}, {}
    for r in desc["resources"]:
        if "schema" not in r:
            continue
        schema = r["schema"]
        columns[r["name"]] = {f["name"]: f["type"] for f in schema["fields"]}
        key = schema["primaryKey"]
        rows[r["name"]] = {tuple(row[k] for k in key): row for row in csv.DictReader(io.StringIO(read(r["path"])))}
    return Snapshot(desc["version"], columns, rows)


def folder_snapshot(path: Path) -> Snapshot:
    return snapshot(lambda name: (path / name).read_text(encoding="utf-8"))


def zip_snapshot(path: Path) -> Snapshot:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        top = next(n for n in names if n.endswith("datapackage.json")).removesuffix("datapackage.json")
        return snapshot(lambda name: z.read(top + name).decode("utf-8"))


def git_snapshot(rev: str, root: Path = ROOT, package: Path = PACKAGE) -> Snapshot:
    prefix = package.resolve().relative_to(root.resolve()).as_posix()
    return snapshot(lambda name: _git(root, "show", f"{rev}:{prefix}/{name}"))


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise ReleaseError(f"git {' '.join(args)} failed: {getattr(e, 'stderr', '') or e}".strip()) from None
    return done.stdout


def release_commit(version: str, root: Path = ROOT) -> str:
    """The commit that set `version` in sources/datapackage.json: the state of that release."""
    rel = PACKAGE_JSON.resolve().relative_to(root.resolve()).as_posix()
    commits = _git(root, "log", "--format=%H", "-S", f'"version": "{version}"', "--", rel).split()
    if not commits:
        raise ReleaseError(
            f"no commit sets version {version} in {rel}: give the previous release with --previous "
            "(a git revision, a release zip or a package folder)"
        )
    return commits[-1]


def previous_snapshot(previous: str | None, last_version: str, root: Path = ROOT) -> tuple[Snapshot, str]:
    """The previous release and a short description of where it was read from."""
    if previous and Path(previous).is_dir():
        return folder_snapshot(Path(previous)), previous
    if previous and Path(previous).is_file():
        return zip_snapshot(Path(previous)), Path(previous).name
    rev = previous or release_commit(last_version, root)
    return git_snapshot(rev, root), f"git {rev[:12]}"


# --- comparing -----------------------------------------------------------------------------------


def _id(key: tuple) -> str:
    return "/".join(key)


def compare(old: Snapshot, new: Snapshot) -> dict[str, TableDiff]:
    """Per table (old and new), what changed; tables that did not change are left out."""
    diffs = {}
    for table in sorted(set(old.columns) | set(new.columns)):
        d = TableDiff()
        oc, nc = old.columns.get(table, {}), new.columns.get(table, {})
        d.columns_added = [c for c in nc if c not in oc]
        d.columns_removed = [c for c in oc if c not in nc]
        d.columns_retyped = [(c, oc[c], nc[c]) for c in nc if c in oc and oc[c] != nc[c]]
        orows, nrows = old.rows.get(table, {}), new.rows.get(table, {})
        d.added = [_id(k) for k in sorted(nrows.keys() - orows.keys())]
        d.removed = [_id(k) for k in sorted(orows.keys() - nrows.keys())]
        common = [c for c in nc if c in oc]
        for k in sorted(nrows.keys() & orows.keys()):
            cols = [c for c in common if orows[k][c] != nrows[k][c]]
            if cols:
                d.changed.append((_id(k), cols))
        if d:
            diffs[table] = d
    return diffs


def level(diffs: dict[str, TableDiff], old: Snapshot, new: Snapshot) -> str | None:
    """The semantic-version bump the differences need; None if nothing changed."""
    if set(old.columns) - set(new.columns) or any(d.columns_removed or d.columns_retyped for d in diffs.values()):
        return "major"
    if set(new.columns) - set(old.columns) or any(d.added or d.removed or d.columns_added for d in diffs.values()):
        return "minor"
    if diffs:
        return "patch"
    return None


def bumped(version: str, how: str) -> str:
    major, minor, patch = (int(x) for x in version.split("."))
    return {"major": f"{major + 1}.0.0", "minor": f"{major}.{minor + 1}.0", "patch": f"{major}.{minor}.{patch + 1}"}[
        how
    ]


# --- writing -------------------------------------------------------------------------------------


def _ids(ids: list[str]) -> str:
    return ", ".join(f"`{i}`" for i in ids)


def entry(
    version: str,
    date: str,
    how: str | None,
    diffs: dict[str, TableDiff],
    new: Snapshot,
    previous: Snapshot | None,
    origin: str = "",
) -> str:
    """The CHANGELOG.md entry for a release, from the differences with the previous one."""
    lines = [f"## [{version}] - {date}", ""]
    if previous is None:
        lines += ["First release. Rows per table: " + ", ".join(f"{t} {len(r)}" for t, r in new.rows.items()) + "."]
        return "\n".join(lines) + "\n"
    assert how is not None, "a release after the first has a bump"
    why = {
        "major": "a column or table was removed or changed type",
        "minor": "rows, columns or tables were added or removed",
        "patch": "values in existing rows changed",
    }[how]
    lines += [f"{how.capitalize()} release ({why}); compared with {previous.version} ({origin})."]
    for table, d in diffs.items():
        lines += ["", f"### {table}", ""]
        if table not in new.columns:
            lines.append("- table removed")
        elif table not in previous.columns:
            lines.append("- table added")
        for label, cols in [("columns added", d.columns_added), ("columns removed", d.columns_removed)]:
            if cols:
                lines.append(f"- {label}: {_ids(cols)}")
        for c, a, b in d.columns_retyped:
            lines.append(f"- column `{c}` changed type: {a} → {b}")
        for label, ids in [("added", d.added), ("removed", d.removed)]:
            if ids:
                lines.append(f"- {len(ids)} row(s) {label}: {_ids(ids)}")
        if d.changed:
            lines.append(
                f"- {len(d.changed)} row(s) changed: "
                + "; ".join(f"`{i}` ({', '.join(cols)})" for i, cols in d.changed)
            )
    unchanged = [t for t in new.columns if t not in diffs]
    if unchanged:
        lines += ["", "Unchanged: " + ", ".join(unchanged) + "."]
    return "\n".join(lines) + "\n"


def set_version(version: str, path: Path = PACKAGE_JSON) -> None:
    """Write the version into sources/datapackage.json, keeping the hand-written layout of the file."""
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(r'("version":\s*")[^"]*(")', rf"\g<1>{version}\g<2>", text, count=1)
    if n != 1:
        raise ReleaseError(f'{path}: no "version" to update')
    json.loads(new)
    path.write_text(new, encoding="utf-8")


def set_citation(version: str, date: str, path: Path = CITATION) -> None:
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^version: .*$", f'version: "{version}"', text)
    text = re.sub(r"(?m)^date-released: .*$", f'date-released: "{date}"', text)
    path.write_text(text, encoding="utf-8")


RELEASE_FILES = ["datapackage.json", "README.md", GEOJSON_FILE]


def release_zip(package: Path, version: str, dist: Path = DIST, changelog_path: Path = changelog.CHANGELOG) -> Path:
    """dist/douzelage-<version>.zip: the package, its data dictionary, catalogue and changelog."""
    from douzelage.write.package import zip_bytes

    files = {name: (package / name).read_bytes() for name in RELEASE_FILES}
    files.update(
        {
            p.relative_to(package).as_posix(): p.read_bytes()
            for sub in ("data", "dcat")
            for p in sorted((package / sub).iterdir())
        }
    )
    if changelog_path.exists():
        files["CHANGELOG.md"] = changelog_path.read_bytes()
    dist.mkdir(exist_ok=True)
    path = dist / f"douzelage-{version}.zip"
    path.write_bytes(zip_bytes(files))
    return path


@dataclass
class Outcome:
    version: str
    level: str | None
    entry: str
    zip: Path | None


def plan(
    previous: str | None = None,
    bump: str | None = None,
    date: str = "",
    sources: Path = SOURCES,
    changelog_path: Path = changelog.CHANGELOG,
) -> tuple[str, str | None, str]:
    """(new version, bump level, changelog entry) for releasing the sources now; writes nothing."""
    from douzelage.publish import write_all

    with tempfile.TemporaryDirectory() as tmp:
        write_all(sources, Path(tmp))
        new = folder_snapshot(Path(tmp))
    last = next(iter(changelog.releases(changelog_path)), None)
    if last is None:
        if bump:
            raise ReleaseError(
                "this is the first release: it keeps the version in sources/datapackage.json; drop --bump"
            )
        return new.version, None, entry(new.version, date, None, {}, new, None)
    if new.version != last.version:
        raise ReleaseError(
            f"sources/datapackage.json says {new.version} but the last release in CHANGELOG.md is {last.version}: "
            "the version is written by `douzelage release` only; put it back to "
            f"{last.version}"
        )
    old, origin = previous_snapshot(previous, last.version)
    diffs = compare(old, new)
    needed = level(diffs, old, new)
    if needed is None:
        raise ReleaseError(f"nothing changed since {last.version} ({origin}): no release to make")
    if bump and LEVELS.index(bump) < LEVELS.index(needed):
        raise ReleaseError(f"--bump {bump} is too small: the changes need a {needed} release")
    how = bump or needed
    version = bumped(last.version, how)
    return version, how, entry(version, date, how, diffs, new, old, origin)


def release(previous: str | None, bump: str | None, date: str, dry_run: bool = False) -> Outcome:
    version, how, text = plan(previous, bump, date)
    if dry_run:
        return Outcome(version, how, text, None)
    from douzelage.publish import build

    backup = {p: p.read_bytes() for p in (PACKAGE_JSON, changelog.CHANGELOG, CITATION) if p.exists()}
    try:
        set_version(version)
        changelog.add_entry(text)
        set_citation(version, date)
        build(SOURCES, PACKAGE, METADATA)
    except BaseException:
        for p, data in backup.items():
            p.write_bytes(data)
        if changelog.CHANGELOG not in backup and changelog.CHANGELOG.exists():
            changelog.CHANGELOG.unlink()
        raise
    return Outcome(version, how, text, release_zip(PACKAGE, version))
