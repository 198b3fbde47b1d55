"""The package descriptor and metadata.json are linted strictly: unknown or misplaced keys, and names of
tables, columns, fields and queries that do not exist, are errors with a hint."""

from __future__ import annotations

import copy
import json
import shutil

import pytest
from conftest import standard

from douzelage.check.lint import PROFILES, lint_descriptor, lint_metadata, lint_published


@pytest.fixture
def desc(descriptor) -> dict:
    return copy.deepcopy(descriptor)


@pytest.fixture
def metadata(built) -> dict:
    return json.loads((built / "metadata.json").read_text(encoding="utf-8"))


def resource(desc: dict, name: str) -> dict:
    return next(r for r in desc["resources"] if r["name"] == name)


def field(desc: dict, table: str, name: str) -> dict:
    return next(f for f in resource(desc, table)["schema"]["fields"] if f["name"] == name)


def only(problems, rule: str):
    found = [p for p in problems if p.rule == rule]
    assert len(found) == 1, "\n".join(map(str, problems))
    return found[0]


def test_the_built_package_and_metadata_lint_clean(package, built):
    assert lint_published(package, built / "metadata.json") == []


def test_a_misspelt_licenses_is_an_error_that_frictionless_lets_through(desc):
    desc["licences"] = desc.pop("licenses")
    p = only(lint_descriptor(desc), "unknown-key")
    assert (p.column, p.value, p.hint) == ("(top level)", "licences", "did you mean 'licenses'?")
    from frictionless import Package

    assert Package(desc).licenses == []  # frictionless reads it without a word, and loses it


def test_a_key_at_the_wrong_level_is_reported_as_misplaced(desc):
    field(desc, "towns", "name")["licenses"] = desc["licenses"]
    p = only(lint_descriptor(desc), "unknown-key")
    assert p.column.endswith(".schema.fields[1]") and p.value == "licenses"
    assert p.hint == "'licenses' belongs in a package or a resource, not here: move it"


def test_a_constraint_outside_constraints_is_reported_as_misplaced(desc):
    field(desc, "towns", "country")["pattern"] = "^[A-Z]{2}$"
    p = only(lint_descriptor(desc), "unknown-key")
    assert p.message == "is not a key of a field" and "belongs in a field's constraints" in p.hint


def test_a_misspelt_constraint_is_an_error(desc):
    field(desc, "towns", "id")["constraints"]["requird"] = True
    p = only(lint_descriptor(desc), "unknown-key")
    assert p.hint == "did you mean 'required'?"


def test_a_primary_key_on_the_resource_instead_of_its_schema_is_an_error(desc):
    resource(desc, "towns")["primaryKey"] = ["id"]
    assert "belongs in a table schema" in only(lint_descriptor(desc), "unknown-key").hint


def test_keys_and_references_must_name_existing_fields_and_resources(desc):
    resource(desc, "towns")["schema"]["primaryKey"] = ["idd"]
    resource(desc, "memberships")["schema"]["foreignKeys"][0]["reference"]["resource"] = "town"
    problems = lint_descriptor(desc)
    assert only(problems, "unknown-field").hint == "did you mean 'id'?"
    assert only(problems, "unknown-resource").hint == "did you mean 'towns'?"


def test_a_string_constraint_on_a_number_is_an_error(desc):
    field(desc, "towns", "latitude")["constraints"]["pattern"] = "^[0-9.]+$"
    p = only(lint_descriptor(desc), "constraint-type")
    assert p.value == "pattern" and "not to a number field" in p.message


def test_the_strict_profile_allows_only_keys_of_the_official_profiles():
    def keys(node) -> set[str]:
        found = set()
        if isinstance(node, dict):
            found |= set(node.get("properties", {})) if isinstance(node.get("properties"), dict) else set()
            for v in node.values():
                found |= keys(v)
        elif isinstance(node, list):
            for v in node:
                found |= keys(v)
        return found

    official = set()
    for name in ("datapackage.json", "dataresource.json", "tableschema.json"):
        official |= keys(json.loads(standard("datapackage-v2", name).read_text(encoding="utf-8")))
    ours = keys(json.loads((PROFILES / "datapackage.strict.json").read_text(encoding="utf-8")))
    # unit: our documented extension; scheme: frictionless-py's resource key (Data Package v1), which
    # package.py writes. Anything else would be a key we invented.
    assert ours - official == {"unit", "scheme"}


# --- metadata.json ---------------------------------------------------------------------------------------


def tables(metadata: dict) -> dict:
    return metadata["databases"]["douzelage"]["tables"]


def queries(metadata: dict) -> dict:
    return metadata["databases"]["douzelage"]["queries"]


def test_a_misspelt_table_option_is_an_error(metadata, db_path):
    tables(metadata)["towns"]["facet"] = ["country"]
    p = only(lint_metadata(metadata, db_path), "unknown-key")
    assert p.column == "databases.douzelage.tables.towns" and p.hint == "did you mean 'facets'?"


def test_a_table_the_database_lacks_is_an_error(metadata, db_path):
    tables(metadata)["town"] = {"title": "Towns"}
    p = only(lint_metadata(metadata, db_path), "unknown-table")
    assert p.value == "town" and p.hint == "did you mean 'towns'?"


@pytest.mark.parametrize(
    "key, value",
    [
        ("label_column", "nmae"),
        ("sort", "nmae"),
        ("facets", ["nmae"]),
        ("columns", {"nmae": "Name."}),
        ("sortable_columns", ["nmae"]),
    ],
)
def test_a_column_the_table_lacks_is_an_error(metadata, db_path, key, value):
    towns = tables(metadata)["towns"]
    if key == "columns":
        towns["columns"].update(value)
    else:
        towns.pop("sort_desc", None)
        towns[key] = value
    p = only(lint_metadata(metadata, db_path), "unknown-column")
    assert p.value == "nmae" and p.hint == "did you mean 'name'?" and p.column.endswith(f"towns.{key}")


def test_sort_and_sort_desc_together_are_an_error(metadata, db_path):
    tables(metadata)["meetings"]["sort"] = "title"
    assert only(lint_metadata(metadata, db_path), "schema-not").column == "databases.douzelage.tables.meetings"


def test_a_canned_query_that_does_not_compile_is_an_error(metadata, db_path):
    queries(metadata)["nearest_towns"]["sql"] = queries(metadata)["nearest_towns"]["sql"].replace(
        "distances_both", "distance_both"
    )
    p = only(lint_metadata(metadata, db_path), "canned-query")
    assert p.value == "nearest_towns" and "no such table: distance_both" in p.message


def test_a_canned_query_parameter_missing_from_its_sql_is_an_error(metadata, db_path):
    queries(metadata)["meetings_by_host"]["params"] = ["twon"]
    p = only(lint_metadata(metadata, db_path), "unused-param")
    assert p.value == "twon" and p.hint == "write :twon in the SQL, or remove it from params"


def test_metadata_for_a_database_of_another_name_is_an_error(metadata, db_path):
    metadata["databases"]["douzelag"] = metadata["databases"].pop("douzelage")
    p = only(lint_metadata(metadata, db_path), "unknown-database")
    assert p.hint == "name the database 'douzelage'"


def test_a_file_that_differs_from_its_recorded_hash_is_an_error(built, tmp_path):
    package = tmp_path / "datapackage"
    shutil.copytree(built / "datapackage", package)
    with (package / "data" / "towns.csv").open("a", encoding="utf-8") as f:
        f.write("\n")
    problems = lint_published(package, built / "metadata.json")
    assert {p.rule for p in problems} == {"bytes", "hash"}
    assert all(p.value and p.column.startswith("resources[") for p in problems)


def test_the_committed_descriptor_lints_clean():
    from douzelage.layout import PACKAGE

    committed = json.loads((PACKAGE / "datapackage.json").read_text(encoding="utf-8"))
    assert lint_descriptor(committed) == []
