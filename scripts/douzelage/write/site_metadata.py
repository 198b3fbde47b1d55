"""Stage 4d: Datasette's metadata.json, derived from the Table Schemas and site/site.yaml.

Titles, descriptions, column descriptions (with units), licence and source are taken from the
schemas and the package metadata, so nothing is written twice; site/site.yaml adds only what is
about the site: label columns, facets, sort orders and canned queries.
"""

from __future__ import annotations

import json

from douzelage.descriptor import TABLES, fields, package_metadata, resource_texts
from douzelage.files import load_yaml
from douzelage.layout import DATABASE_NAME, SITE


def column_description(field: dict) -> str:
    text = field["description"]
    if field.get("unit"):
        text += f" Unit: {field['unit']}."
    return text


def site_config() -> dict:
    return load_yaml(SITE / "site.yaml")


def site_tables() -> dict[str, dict]:
    """How each table is shown (label column, facets, sort order), from site/site.yaml."""
    return site_config()["tables"]


def metadata() -> dict:
    pkg = package_metadata()
    site = site_config()
    licence = pkg["licenses"][0]
    source = pkg["sources"][0]
    common = {
        "license": licence["name"],
        "license_url": licence["path"],
        "source": source["title"],
        "source_url": source["path"],
    }
    texts = resource_texts()
    tables = {}
    for table in TABLES:
        tables[table] = {
            "title": texts[table]["title"],
            "description": texts[table]["description"],
            **common,
            "columns": {f["name"]: column_description(f) for f in fields(table)},
            **site["tables"].get(table, {}),
        }
    for name, view in site["views"].items():
        tables[name] = {"title": view["title"], "description": view["description"], **common}
    return {
        "title": pkg["title"],
        "description": pkg["description"],
        **common,
        "databases": {
            DATABASE_NAME: {
                "title": pkg["title"],
                "description": pkg["description"],
                **common,
                "tables": tables,
                "queries": site["queries"],
            }
        },
        # the map after the rows: site/templates/table.html holds #table-map below them (elsewhere, such as
        # a canned query's page, the plugin draws it above the rows, as it does by default)
        "plugins": {
            "datasette-cluster-map": {
                "latitude_column": "latitude",
                "longitude_column": "longitude",
                "container": "#table-map",
            }
        },
    }


def metadata_bytes() -> bytes:
    return (json.dumps(metadata(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
