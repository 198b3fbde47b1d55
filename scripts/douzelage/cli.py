"""The `douzelage` command: build, validate, lint and serve. A thin layer over the pipeline's stages.

Exit codes: 0 valid, 1 invalid data, 2 wrong usage.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import click

from douzelage.layout import DB_FILE, METADATA, PACKAGE, SOURCES
from douzelage.problems import DataError, Problem, report_json, report_text

FORMATS = click.Choice(["text", "json"])
SOURCES_OPTION = click.option(
    "--sources",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=SOURCES,
    show_default=True,
    help="Folder of hand-curated CSV files.",
)
FORMAT_OPTION = click.option(
    "--format", "fmt", type=FORMATS, default="text", help="How to report problems: text for people, json for tools."
)


def _finish(
    problems: list[Problem], notices: list[Problem], fmt: str, ok_text: str, failed: str = "nothing was published"
) -> None:
    """Report and exit: 0 when there is no problem, 1 when there is (invalid data)."""
    if fmt == "json":
        click.echo(report_json(problems, notices))
    else:
        if problems or notices:
            click.echo(report_text(problems, notices, failed), err=True)
        if not problems:
            click.echo(ok_text)
    sys.exit(1 if problems else 0)


def _check_sources_folder(sources: Path) -> None:
    from douzelage.read.sources import source_tables

    if not any((sources / f"{t}.csv").exists() for t in source_tables()):
        raise click.BadParameter(
            f"{sources} holds none of the source files ({', '.join(source_tables())}.csv); is it the right folder?",
            param_hint="--sources",
        )


def _check_parent(path: Path, option: str) -> None:
    if not path.resolve().parent.is_dir():
        raise click.BadParameter(f"the folder {path.resolve().parent} does not exist", param_hint=option)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Compile the hand-curated Douzelage sources into a Data Package, a GeoJSON map and a Datasette site.

    Exit codes: 0 valid, 1 invalid data (every problem is listed, with file, row, column and a hint),
    2 wrong usage.
    """


@main.command()
@SOURCES_OPTION
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=PACKAGE,
    show_default=True,
    help="Published Data Package folder (replaced in one step, only when the build is valid).",
)
@click.option(
    "--metadata",
    type=click.Path(path_type=Path, dir_okay=False),
    default=METADATA,
    show_default=True,
    help="Datasette metadata.json to write.",
)
@FORMAT_OPTION
def build(sources: Path, out: Path, metadata: Path, fmt: str) -> None:
    """Compile sources into the Data Package, GeoJSON, SQLite database and metadata.json."""
    _check_sources_folder(sources)
    _check_parent(out, "--out")
    _check_parent(metadata, "--metadata")
    from douzelage.publish import build as run_build
    from douzelage.write.dcat import CatalogueError, load_config, notes

    try:
        notices = run_build(sources, out, metadata)
    except DataError as e:
        _finish(e.problems, [], fmt, "")
    except CatalogueError as e:  # the catalogue cannot be written truthfully: nothing was published
        _finish([Problem("site/catalogue.yaml", None, None, None, "catalogue", str(e), "")], [], fmt, "")
    except (OSError, sqlite3.Error) as e:  # a full disk, a permission: the build stops, what was published stays
        _finish(
            [
                Problem(
                    str(getattr(e, "filename", None) or out),
                    None,
                    None,
                    None,
                    "write-error",
                    f"the build could not write: {getattr(e, 'strerror', None) or e}",
                    "free disk space or fix the permissions, then build again",
                )
            ],
            [],
            fmt,
            "",
        )
    if fmt == "text":
        for note in notes(load_config()):
            click.echo(f"note: {note}", err=True)
    _finish([], notices, fmt, f"Built {out} and {metadata}")


@main.command()
@SOURCES_OPTION
@FORMAT_OPTION
def validate(sources: Path, fmt: str) -> None:
    """Check the sources without writing anything."""
    _check_sources_folder(sources)
    from douzelage.pipeline import compile_model

    try:
        compiled = compile_model(sources)
        compiled.model.close()
    except DataError as e:
        _finish(e.problems, [], fmt, "", "nothing was written")
    _finish([], compiled.notices, fmt, f"{sources}: valid")


@main.command()
@click.option(
    "--package",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=PACKAGE,
    show_default=True,
    help="Published Data Package folder (with the database inside).",
)
@click.option(
    "--metadata",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=METADATA,
    show_default=True,
    help="Datasette metadata.json.",
)
@SOURCES_OPTION
@FORMAT_OPTION
def lint(package: Path, metadata: Path, sources: Path, fmt: str) -> None:
    """Lint strictly the sources descriptor and the published one, and metadata.json against the database."""
    from douzelage.check.lint import lint_published, lint_sources

    for needed in (package / "datapackage.json", package / DB_FILE):
        if not needed.is_file():
            raise click.BadParameter(f"{needed} does not exist: run `douzelage build` first", param_hint="--package")
    problems = lint_sources(sources) + lint_published(package, metadata)
    linted = f"{sources / 'datapackage.json'}, {package / 'datapackage.json'} and {metadata}"
    _finish(problems, [], fmt, f"{linted}: no problems", "lint failed")


@main.command()
@click.option(
    "--bump",
    type=click.Choice(["patch", "minor", "major"]),
    default=None,
    help="Force a larger bump than the changes need (never a smaller one). Default: from the changes.",
)
@click.option(
    "--previous",
    metavar="REV|ZIP|FOLDER",
    default=None,
    help="The previous release to compare with: a git revision, a release zip or a package folder. "
    "Default: the commit that set the last released version in sources/datapackage.json.",
)
@click.option(
    "--date",
    "date_",
    metavar="YYYY-MM-DD",
    default=lambda: __import__("datetime").date.today().isoformat(),
    show_default="today",
    help="Release date written to CHANGELOG.md and CITATION.cff.",
)
@click.option("--dry-run", is_flag=True, help="Print the changelog entry and the new version; change nothing.")
def release(bump: str | None, previous: str | None, date_: str, dry_run: bool) -> None:
    """Release a new data version: pick the semantic bump from the changes since the previous release,
    write the version into sources/datapackage.json, CHANGELOG.md and CITATION.cff, rebuild, and write
    dist/douzelage-<version>.zip.

    Major: a column or table removed or retyped. Minor: rows (e.g. a town or meeting), columns or tables
    added or removed. Patch: values changed. Commit the result (sources, datapackage/, CHANGELOG.md, ...)."""
    import re

    from douzelage.write.release import ReleaseError
    from douzelage.write.release import release as run_release

    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", date_):
        raise click.BadParameter(f"{date_!r} is not YYYY-MM-DD", param_hint="--date")
    try:
        outcome = run_release(previous, bump, date_, dry_run)
    except DataError as e:
        _finish(e.problems, [], "text", "")
    except ReleaseError as e:
        raise click.UsageError(str(e)) from None
    click.echo(outcome.entry)
    if dry_run:
        click.echo(f"Dry run: would release {outcome.version}; nothing was written.")
    else:
        click.echo(
            f"Released {outcome.version}: {outcome.zip}. Commit sources/datapackage.json, CHANGELOG.md, CITATION.cff, "
            "datapackage/ and metadata.json."
        )


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ttl", "rdf", "jsonld"]),
    default="ttl",
    show_default=True,
    help="Turtle, RDF/XML (what Sweden's dataportal.se harvests) or JSON-LD.",
)
def catalogue(fmt: str) -> None:
    """Print the DCAT-AP catalogue of the built package (datapackage/dcat/), and what site/catalogue.yaml lacks.

    The build writes it; the site serves it at /catalogue (content-negotiated) and /downloads/dcat/."""
    path = PACKAGE / "dcat" / f"catalogue.{fmt}"
    if not path.exists():
        raise click.UsageError(f"{path} does not exist: run `douzelage build` (or `make build`) first")
    click.echo(path.read_text(encoding="utf-8"), nl=False)
    from douzelage.write.dcat import load_config, notes

    for note in notes(load_config()):
        click.echo(f"note: {note}", err=True)


@main.command()
@click.option(
    "--out",
    "package",
    type=click.Path(path_type=Path, file_okay=False),
    default=PACKAGE,
    show_default=True,
    help="The built Data Package folder, with the database in it.",
)
@click.option(
    "--metadata",
    type=click.Path(path_type=Path, dir_okay=False),
    default=METADATA,
    show_default=True,
    help="Datasette metadata.json written by the build.",
)
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", 8001)), show_default="8001 or $PORT")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    envvar="WEB_CONCURRENCY",
    help="Processes answering requests side by side.  [default: one per core, or $WEB_CONCURRENCY]",
)
@click.option(
    "--trusted",
    multiple=True,
    metavar="ADDRESS",
    help="An address the per-client limits do not apply to (a benchmark's load generator, a monitoring "
    "probe); repeatable.",
)
def serve(package: Path, metadata: Path, port: int, host: str, workers: int | None, trusted: tuple[str, ...]) -> None:
    """Serve the built site with Datasette (run `douzelage build` first)."""
    for path in (package / DB_FILE, metadata):
        if not path.exists():
            raise click.UsageError(f"{path} does not exist: run `douzelage build` (or `make build`) first")
    from douzelage.serve import PortInUse
    from douzelage.serve import serve as run
    from douzelage.serving.client_limits import address_bytes

    try:
        trusted_keys = frozenset(address_bytes(a) for a in trusted)
    except ValueError as e:
        raise click.BadParameter(f"{e}: give an IP address such as 127.0.0.1", param_hint="--trusted") from None
    try:
        run(package.resolve(), metadata.resolve(), host, port, workers, trusted_keys)
    except PortInUse as e:
        click.echo(f"Error: {e}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
