"""The data dictionary: generated from the Table Schemas, committed as datapackage/README.md, and on the site."""

import csv
import io
from pathlib import Path

from douzelage.descriptor import TABLES, fields
from douzelage.write.dictionary import markdown, tables


def test_every_table_and_column_is_in_the_dictionary_with_type_unit_and_constraints(package):
    d = tables(package)
    assert [t["name"] for t in d["tables"]] == TABLES
    for t in d["tables"]:
        schema_fields = fields(t["name"])
        assert [c["name"] for c in t["columns"]] == [f["name"] for f in schema_fields]
        for c, f in zip(t["columns"], schema_fields):
            assert (c["type"], c["unit"], c["description"]) == (f["type"], f.get("unit", ""), f["description"])
            if f.get("constraints", {}).get("required"):
                assert "required" in c["constraints"]


def test_examples_are_values_from_the_published_data(package):
    towns = next(t for t in tables(package)["tables"] if t["name"] == "towns")
    rows = list(csv.DictReader(io.StringIO((package / "data" / "towns.csv").read_text(encoding="utf-8"))))
    for c in towns["columns"]:
        values = [r[c["name"]] for r in rows if r[c["name"]]]
        first = values[0] if values else ""
        shortened = c["example"].endswith("…") and first.startswith(c["example"][:-1])  # long texts are cut
        assert c["example"] == first or shortened, c["name"]
    latitude = next(c for c in towns["columns"] if c["name"] == "latitude")
    assert latitude["unit"] == "degree" and "≥ -90" in latitude["constraints"]


def test_readme_is_markdown_with_a_section_per_table(package):
    text = (package / "README.md").read_text(encoding="utf-8")
    assert text == markdown(tables(package))
    for table in TABLES:
        assert f"\n## {table}\n" in text
    assert "| `latitude` | Latitude | number | degree |" in text


def test_committed_data_dictionary_is_current(package):
    root = Path(__file__).resolve().parents[2]
    assert (root / "datapackage" / "README.md").read_text(encoding="utf-8") == (package / "README.md").read_text(
        encoding="utf-8"
    ), "datapackage/README.md is stale: run `make build` and commit"
