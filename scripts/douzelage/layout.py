"""Where things live in the repository: one place, so no module hard-codes a path."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]      # the repository: scripts/douzelage/layout.py
SOURCES = ROOT / "sources"            # hand-curated input, edited by people
SCHEMA = Path(__file__).resolve().parent / "schema"   # Table Schemas + package metadata
SITE = ROOT / "site"                  # Datasette templates, static files, canned queries
PACKAGE = ROOT / "datapackage"        # published output (CSV and JSON committed; DB and zip not)
METADATA = ROOT / "metadata.json"     # Datasette metadata, generated
DATABASE_NAME = "douzelage"           # served at /douzelage
DB_FILE = f"{DATABASE_NAME}.db"
GEOJSON_FILE = "douzelage.geojson"
ZIP_FILE = "douzelage-datapackage.zip"
INSPECT_FILE = "inspect-data.json"    # Datasette's row counts of the database (not committed, like the DB)

# The coverage report (scripts/coverage.py): where the record is thin, by year and by town.
REPORT_TABLES = ["coverage_years", "coverage_towns"]
# Tables in the order they are loaded: every table after the ones it refers to.
TABLES = ["sources", "countries", "towns", "memberships", "meetings", "meeting_towns",
          "projects", "project_towns", "claims", "distances", *REPORT_TABLES]
# Tables compiled by the build, with no file in sources/.
DERIVED_TABLES = {"countries", "distances", *REPORT_TABLES}
# Columns of published tables that the build derives, so they have no column in the source file.
DERIVED_FIELDS = {"towns": {"status", "joined", "left"}}
