"""Nothing published is ever lost: a build that fails, or is killed at any moment (SIGKILL), leaves the
published folder and metadata.json byte for byte as they were, or wholly the new build; never a mix.

The swap itself is scripts/douzelage/publish.py `_swap_in` (Linux renameat2 RENAME_EXCHANGE), tested directly too.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from douzelage.publish import _swap_in

DOUZELAGE = Path(sys.executable).parent / "douzelage"
KILL_BUDGET_S = 20  # how long the random-kill loop may run
KILL_ITERATIONS = 60  # at most this many kills


def snapshot(out: Path, metadata: Path) -> dict[str, str]:
    """Every file of the published folder and metadata.json, by relative path, with its sha256."""
    files = {str(p.relative_to(out)): p for p in out.rglob("*") if p.is_file()} if out.exists() else {}
    if metadata.exists():
        files["<metadata.json>"] = metadata
    return {name: hashlib.sha256(p.read_bytes()).hexdigest() for name, p in sorted(files.items())}


def build_cmd(sources: Path, out: Path, metadata: Path) -> list[str]:
    return [str(DOUZELAGE), "build", "--sources", str(sources), "--out", str(out), "--metadata", str(metadata)]


def scratch_folders(folder: Path) -> set[Path]:
    return set(folder.glob(".datapackage.new-*"))


def wait_for_scratch(proc: subprocess.Popen, folder: Path, before: set[Path]) -> float:
    """Wait until the build has created a scratch folder (or ended); return when."""
    while proc.poll() is None and not scratch_folders(folder) - before:
        time.sleep(0.0002)
    return time.monotonic()


def edit_a_title(sources: Path) -> None:
    """Change one fact, so that the next build differs from the last one."""
    path = sources / "sources.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    rows[1][rows[0].index("title")] += " (edited)"
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


# --- the swap -------------------------------------------------------------------------------------------


def test_swap_in_exchanges_the_two_folders_in_one_step(tmp_path):
    new, published = tmp_path / ".new", tmp_path / "published"
    new.mkdir(), published.mkdir()
    (new / "a.csv").write_text("new"), (published / "a.csv").write_text("old")
    (published / "only-old.csv").write_text("old")
    _swap_in(new, published)
    assert sorted(p.name for p in published.iterdir()) == ["a.csv"] and (published / "a.csv").read_text() == "new"
    assert sorted(p.name for p in new.iterdir()) == ["a.csv", "only-old.csv"]  # the old build, to remove


def test_swap_in_publishes_a_first_build(tmp_path):
    new, published = tmp_path / ".new", tmp_path / "published"
    new.mkdir()
    (new / "a.csv").write_text("new")
    _swap_in(new, published)
    assert (published / "a.csv").read_text() == "new" and new.is_dir() and not any(new.iterdir())


def test_swap_in_with_nothing_to_swap_fails_and_leaves_the_published_folder(tmp_path):
    published = tmp_path / "published"
    published.mkdir()
    (published / "a.csv").write_text("old")
    with pytest.raises(OSError):
        _swap_in(tmp_path / ".missing", published)
    assert (published / "a.csv").read_text() == "old"


# --- whole builds ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("max_file_bytes", [20_000, 200_000], ids=["while-writing-the-csv", "while-writing-the-db"])
def test_a_build_that_fails_while_writing_changes_nothing_published(sources_copy, tmp_path, max_file_bytes):
    out, meta = tmp_path / "datapackage", tmp_path / "metadata.json"
    subprocess.run(build_cmd(sources_copy, out, meta), check=True, capture_output=True)
    before = snapshot(out, meta)
    edit_a_title(sources_copy)

    def small_files_only():  # a bigger file cannot be written (EFBIG), as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    result = subprocess.run(
        build_cmd(sources_copy, out, meta), capture_output=True, text=True, preexec_fn=small_files_only
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "the build could not write" in result.stderr
    assert snapshot(out, meta) == before
    assert not list(tmp_path.glob(".datapackage.new-*"))


def test_a_build_killed_at_any_moment_leaves_the_old_or_the_new_package_never_a_mix(sources_copy, tmp_path):
    out, meta = tmp_path / "datapackage", tmp_path / "metadata.json"
    edited = tmp_path / "edited"
    subprocess.run(["cp", "-r", str(sources_copy), str(edited)], check=True)
    edit_a_title(edited)
    # The two complete states, each built once without interruption, timing when it starts writing its
    # scratch folder and when the swap happens (the published folder's inode changes).
    states, duration, to_swap = {}, 0.0, 0.0
    for name, src in (("new", edited), ("old", sources_copy)):
        inode = out.stat().st_ino if out.exists() else None
        start, before = time.monotonic(), scratch_folders(tmp_path)
        proc = subprocess.Popen(build_cmd(src, out, meta), stdout=subprocess.DEVNULL)
        began = wait_for_scratch(proc, tmp_path, before)
        while proc.poll() is None and (out.stat().st_ino if out.exists() else None) == inode:
            time.sleep(0.0002)
        to_swap = max(to_swap, time.monotonic() - began)
        assert proc.wait() == 0
        duration = max(duration, time.monotonic() - start)
        states[name] = snapshot(out, meta)
    assert states["old"] != states["new"]
    current, outcomes = "old", []
    rng = random.Random(20260527)
    deadline = time.monotonic() + KILL_BUDGET_S
    for i in range(KILL_ITERATIONS):
        if time.monotonic() > deadline:
            break
        target = "new" if current == "old" else "old"
        before = scratch_folders(tmp_path)
        proc = subprocess.Popen(
            build_cmd(edited if target == "new" else sources_copy, out, meta),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if i % 3 == 0:  # a random moment of the whole run
            time.sleep(rng.uniform(0, duration * 1.1))
        else:  # a random moment of writing the scratch folder, or close to the swap
            wait_for_scratch(proc, tmp_path, before)
            time.sleep(rng.uniform(0, to_swap * 1.2) if i % 3 == 1 else rng.uniform(0.8, 1.2) * to_swap)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        found = snapshot(out, meta)
        matches = [name for name, state in states.items() if state == found]
        differing = sorted(set(found.items()) ^ set(states[current].items()))
        assert matches, f"kill {i} left a state that is neither build: {differing}"
        outcomes.append((current, matches[0]))
        current = matches[0]
    # After all that, a normal build works and clears the scratch folders killed builds left behind.
    subprocess.run(build_cmd(sources_copy, out, meta), check=True, capture_output=True)
    assert snapshot(out, meta) == states["old"]
    assert not list(tmp_path.glob(".datapackage.new-*")) and not list(tmp_path.glob(".metadata.json.new-*"))
    swapped = sum(a != b for a, b in outcomes)
    print(
        f"build {duration:.2f} s, scratch to swap {to_swap:.2f} s; {len(outcomes)} kills: "
        f"{swapped} completed the swap, {len(outcomes) - swapped} left the previous build"
    )


def test_a_lint_problem_in_what_the_build_wrote_stops_it_and_changes_nothing_published(
    sources_copy, tmp_path, monkeypatch
):
    """The lint of the published descriptor and metadata.json runs in a helper beside the catalogue:
    its verdict still stops the build before the swap."""
    from douzelage import publish
    from douzelage.problems import DataError

    out, meta = tmp_path / "datapackage", tmp_path / "metadata.json"
    publish.build(sources_copy, out, meta)
    before = snapshot(out, meta)
    edit_a_title(sources_copy)
    good = publish.datasette_metadata
    monkeypatch.setattr(publish, "datasette_metadata", lambda: {**good(), "licence_urll": "a typo"})
    with pytest.raises(DataError) as e:
        publish.build(sources_copy, out, meta)
    assert [(p.file, p.column, p.value, p.rule) for p in e.value.problems] == [
        ("metadata.json", "(top level)", "licence_urll", "unknown-key")
    ]
    assert snapshot(out, meta) == before
    assert not scratch_folders(tmp_path)
