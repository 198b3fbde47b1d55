"""The `douzelage` command: build, validate, lint and serve. A thin layer over the pipeline's stages.

Exit codes: 0 valid, 1 invalid data, 2 wrong usage.
"""
from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import click

from .layout import DB_FILE, METADATA, PACKAGE, SITE, SOURCES
from .problems import DataError, Problem, report_json, report_text

FORMATS = click.Choice(["text", "json"])
SOURCES_OPTION = click.option(
    "--sources", type=click.Path(path_type=Path, exists=True, file_okay=False), default=SOURCES,
    show_default=True, help="Folder of hand-curated CSV files.")
FORMAT_OPTION = click.option("--format", "fmt", type=FORMATS, default="text",
                             help="How to report problems: text for people, json for tools.")


def _finish(problems: list[Problem], notices: list[Problem], fmt: str, ok_text: str,
            failed: str = "nothing was published") -> None:
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
    from .sources import source_tables
    if not any((sources / f"{t}.csv").exists() for t in source_tables()):
        raise click.BadParameter(f"{sources} holds none of the source files ({', '.join(source_tables())}.csv); "
                                 "is it the right folder?", param_hint="--sources")


def _check_parent(path: Path, option: str) -> None:
    if not path.resolve().parent.is_dir():
        raise click.BadParameter(f"the folder {path.resolve().parent} does not exist", param_hint=option)


def _source_notices(sources: Path) -> list[Problem]:
    """What the reader normalised (e.g. decomposed Unicode), to show beside a valid result."""
    from .sources import notices, read_sources
    return notices(read_sources(sources)[0])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Compile the hand-curated Douzelage sources into a Data Package, a GeoJSON map and a Datasette site.

    Exit codes: 0 valid, 1 invalid data (every problem is listed, with file, row, column and a hint),
    2 wrong usage.
    """


@main.command()
@SOURCES_OPTION
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=PACKAGE, show_default=True,
              help="Published Data Package folder (replaced in one step, only when the build is valid).")
@click.option("--metadata", type=click.Path(path_type=Path, dir_okay=False), default=METADATA,
              show_default=True, help="Datasette metadata.json to write.")
@FORMAT_OPTION
def build(sources: Path, out: Path, metadata: Path, fmt: str) -> None:
    """Compile sources into the Data Package, GeoJSON, SQLite database and metadata.json."""
    _check_sources_folder(sources)
    _check_parent(out, "--out")
    _check_parent(metadata, "--metadata")
    from .publish import build as run_build
    try:
        model = run_build(sources, out, metadata)
    except DataError as e:
        _finish(e.problems, [], fmt, "")
    except (OSError, sqlite3.Error) as e:   # a full disk, a permission: the build stops, what was published stays
        _finish([Problem(str(getattr(e, "filename", None) or out), None, None, None, "write-error",
                         f"the build could not write: {getattr(e, 'strerror', None) or e}",
                         "free disk space or fix the permissions, then build again")], [], fmt, "")
    counts = ", ".join(f"{len(t.rows)} {name}" for name, t in model.items())
    _finish([], _source_notices(sources), fmt, f"Built {out}: {counts}")


@main.command()
@SOURCES_OPTION
@FORMAT_OPTION
def validate(sources: Path, fmt: str) -> None:
    """Check the sources without writing anything."""
    _check_sources_folder(sources)
    from .publish import compile_model
    try:
        compile_model(sources)
    except DataError as e:
        _finish(e.problems, [], fmt, "", "nothing was written")
    _finish([], _source_notices(sources), fmt, f"{sources}: valid")


@main.command()
@click.option("--package", type=click.Path(path_type=Path, exists=True, file_okay=False), default=PACKAGE,
              show_default=True, help="Published Data Package folder (with the database inside).")
@click.option("--metadata", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=METADATA,
              show_default=True, help="Datasette metadata.json.")
@FORMAT_OPTION
def lint(package: Path, metadata: Path, fmt: str) -> None:
    """Lint the published package descriptor strictly, and metadata.json against the database."""
    from .lint import lint_published
    for needed in (package / "datapackage.json", package / DB_FILE):
        if not needed.is_file():
            raise click.BadParameter(f"{needed} does not exist: run `douzelage build` first",
                                     param_hint="--package")
    problems = lint_published(package, metadata)
    _finish(problems, [], fmt, f"{package / 'datapackage.json'} and {metadata}: no problems", "lint failed")


# Datasette settings for a public, read-only site; used by `serve` and by the tests' in-process client.
SETTINGS = {"sql_time_limit_ms": 1000, "max_returned_rows": 1000, "facet_time_limit_ms": 200,
            "allow_download": True}


def datasette_args(package: Path = PACKAGE, metadata: Path = METADATA, port: int = 8001,
                   host: str = "127.0.0.1") -> list[str]:
    """The one way this project runs Datasette: `douzelage serve`, the tests and the benchmark use it."""
    return ["serve", "-i", str(package / DB_FILE), "--metadata", str(metadata),
            "--host", host, "--port", str(port), "--cors",
            "--template-dir", str(SITE / "templates"),
            "--plugins-dir", str(SITE / "plugins"),
            "--static", f"assets:{SITE / 'static'}",
            "--static", f"downloads:{package}",
            *[a for k, v in SETTINGS.items() for a in ("--setting", k, _setting_text(v))]]


def _setting_text(value) -> str:
    return ("on" if value else "off") if isinstance(value, bool) else str(value)


@main.command()
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", 8001)), show_default="8001 or $PORT")
@click.option("--host", default="127.0.0.1", show_default=True)
def serve(port: int, host: str) -> None:
    """Serve the built site with Datasette (run `douzelage build` first)."""
    if not (PACKAGE / DB_FILE).exists():
        raise click.UsageError(f"{PACKAGE / DB_FILE} does not exist: run `douzelage build` (or `make build`) first")
    from datasette.cli import cli as datasette_cli
    datasette_cli.main(args=datasette_args(port=port, host=host), prog_name="datasette")


if __name__ == "__main__":
    main()
