"""Where things live in the repository: one place, so no module hard-codes a path."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: scripts/douzelage/layout.py
SOURCES = ROOT / "sources"  # hand-curated input, edited by people
SOURCES_DESCRIPTOR = SOURCES / "datapackage.json"  # the Table Schemas and package metadata, kept by hand
SITE = ROOT / "site"  # Datasette templates, static files, canned queries
PACKAGE = ROOT / "datapackage"  # published output (CSV and JSON committed; DB and zip not)
METADATA = ROOT / "metadata.json"  # Datasette metadata, generated
DATABASE_NAME = "douzelage"  # served at /douzelage
DB_FILE = f"{DATABASE_NAME}.db"
GEOJSON_FILE = "douzelage.geojson"
ZIP_FILE = "douzelage-datapackage.zip"
INSPECT_FILE = "inspect-data.json"  # Datasette's row counts of the database (not committed, like the DB)
BASE_URL_ENV = "DOUZELAGE_BASE_URL"  # overrides site/catalogue.yaml's base_url (the catalogue, served addresses)
