"""The `douzelage` command: build, validate and serve. A thin layer over the pipeline's stages.

Exit codes: 0 valid, 1 invalid data, 2 wrong usage.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .layout import DB_FILE, METADATA, PACKAGE, SITE, SOURCES
from .problems import DataError

FORMATS = click.Choice(["text", "json"])


def _report(error: DataError, fmt: str) -> None:
    if fmt == "json":
        click.echo(error.as_json())
    else:
        click.echo(error.report(), err=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Compile the hand-curated Douzelage sources into a Data Package, a GeoJSON map and a Datasette site."""


@main.command()
@click.option("--sources", type=click.Path(path_type=Path, file_okay=False), default=SOURCES, show_default=True,
              help="Folder of hand-curated CSV files.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=PACKAGE, show_default=True,
              help="Published Data Package folder (replaced in one step, only when the build is valid).")
@click.option("--metadata", type=click.Path(path_type=Path, dir_okay=False), default=METADATA,
              show_default=True, help="Datasette metadata.json to write.")
@click.option("--format", "fmt", type=FORMATS, default="text", help="How to report problems.")
def build(sources: Path, out: Path, metadata: Path, fmt: str) -> None:
    """Compile sources into the Data Package, GeoJSON, SQLite database and metadata.json."""
    from .publish import build as run_build
    try:
        model = run_build(sources, out, metadata)
    except DataError as e:
        _report(e, fmt)
    counts = ", ".join(f"{len(t.rows)} {name}" for name, t in model.items())
    click.echo(f"Built {out}: {counts}")


@main.command()
@click.option("--sources", type=click.Path(path_type=Path, file_okay=False), default=SOURCES, show_default=True,
              help="Folder of hand-curated CSV files.")
@click.option("--format", "fmt", type=FORMATS, default="text", help="How to report problems.")
def validate(sources: Path, fmt: str) -> None:
    """Check the sources without writing anything."""
    from .publish import compile_model
    try:
        compile_model(sources)
    except DataError as e:
        _report(e, fmt)
    click.echo('{"valid": true, "problems": []}' if fmt == "json" else f"{sources}: valid")


# Datasette settings for a public, read-only site; used by `serve` and by the tests' in-process client.
# suggest_facets off: suggestions run a query per column on every table page (most of its time at scale).
SETTINGS = {"sql_time_limit_ms": 1000, "max_returned_rows": 1000, "facet_time_limit_ms": 200,
            "allow_download": True, "suggest_facets": False}
# Row counts of the immutable database (`datasette inspect`), so a table page does not count its rows.
INSPECT_FILE = "inspect-data.json"


def datasette_args(package: Path = PACKAGE, metadata: Path = METADATA, port: int = 8001,
                   host: str = "127.0.0.1") -> list[str]:
    """The one way this project runs Datasette: `douzelage serve`, the tests and the benchmark use it."""
    return ["serve", "-i", str(package / DB_FILE), "--metadata", str(metadata),
            "--host", host, "--port", str(port), "--cors",
            "--template-dir", str(SITE / "templates"),
            "--plugins-dir", str(SITE / "plugins"),
            "--static", f"assets:{SITE / 'static'}",
            "--static", f"downloads:{package}",
            *(["--inspect-file", str(package / INSPECT_FILE)] if (package / INSPECT_FILE).exists() else []),
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
