"""The sources descriptor, the package descriptor and metadata.json are linted strictly: unknown or misplaced
keys, and names of tables, columns, fields and queries that do not exist, are errors with a hint, at the
JSON path of the key."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from conftest import standard

from douzelage.check.lint import (
    PROFILES,
    lint_descriptor,
    lint_metadata,
    lint_published,
    lint_sources,
    sources_profile,
)
from douzelage.layout import SOURCES


@pytest.fixture
def desc(descriptor) -> dict:
    return copy.deepcopy(descriptor)


@pytest.fixture
def metadata(built) -> dict:
    return json.loads((built / "metadata.json").read_text(encoding="utf-8"))


def resource(desc: dict, name: str) -> dict:
    return next(r for r in desc["resources"] if r["name"] == name)


def index(desc: dict, name: str) -> int:
    return next(i for i, r in enumerate(desc["resources"]) if r["name"] == name)


def field_index(desc: dict, table: str, name: str) -> int:
    return next(i for i, f in enumerate(resource(desc, table)["schema"]["fields"]) if f["name"] == name)


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
    assert (p.column, p.value) == (f"resources[{index(desc, 'towns')}].schema.fields[1]", "licenses")
    assert p.hint == "'licenses' belongs in a package or a resource, not here: move it"


def test_a_constraint_outside_constraints_is_reported_as_misplaced(desc):
    field(desc, "towns", "country")["pattern"] = "^[A-Z]{2}$"
    p = only(lint_descriptor(desc), "unknown-key")
    assert p.message == "is not a key of a field" and "belongs in a field's constraints" in p.hint
    where = f"resources[{index(desc, 'towns')}].schema.fields[{field_index(desc, 'towns', 'country')}]"
    assert (p.column, p.value) == (where, "pattern")


def test_a_misspelt_constraint_is_an_error(desc):
    field(desc, "towns", "id")["constraints"]["requird"] = True
    p = only(lint_descriptor(desc), "unknown-key")
    assert p.hint == "did you mean 'required'?"
    assert (p.column, p.value) == (f"resources[{index(desc, 'towns')}].schema.fields[0].constraints", "requird")


def test_a_primary_key_on_the_resource_instead_of_its_schema_is_an_error(desc):
    resource(desc, "towns")["primaryKey"] = ["id"]
    p = only(lint_descriptor(desc), "unknown-key")
    assert "belongs in a table schema" in p.hint
    assert (p.column, p.value) == (f"resources[{index(desc, 'towns')}]", "primaryKey")


def test_keys_and_references_must_name_existing_fields_and_resources(desc):
    resource(desc, "towns")["schema"]["primaryKey"] = ["idd"]
    resource(desc, "memberships")["schema"]["foreignKeys"][0]["reference"]["resource"] = "town"
    problems = lint_descriptor(desc)
    towns, memberships = index(desc, "towns"), index(desc, "memberships")
    assert [(p.column, p.value, p.rule, p.hint) for p in problems] == [
        (f"resources[{towns}].schema.primaryKey", "idd", "unknown-field", "did you mean 'id'?"),
        (
            f"resources[{memberships}].schema.foreignKeys[0].reference.resource",
            "town",
            "unknown-resource",
            "did you mean 'towns'?",
        ),
    ]


def test_a_string_constraint_on_a_number_is_an_error(desc):
    field(desc, "towns", "latitude")["constraints"]["pattern"] = "^[0-9.]+$"
    p = only(lint_descriptor(desc), "constraint-type")
    assert p.value == "pattern" and "not to a number field" in p.message
    where = f"resources[{index(desc, 'towns')}].schema.fields[{field_index(desc, 'towns', 'latitude')}].constraints"
    assert p.column == where


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
    desc = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    towns = resource(desc, "towns")
    i = index(desc, "towns")
    assert [(p.file, p.row, p.column, p.value, p.rule) for p in problems] == [
        (str(package / "datapackage.json"), None, f"resources[{i}].bytes", str(towns["bytes"]), "bytes"),
        (str(package / "datapackage.json"), None, f"resources[{i}].hash", towns["hash"], "hash"),
    ]
    assert problems[0].message == f"the file has {towns['bytes'] + 1} bytes"


def test_the_committed_descriptor_lints_clean():
    from douzelage.layout import PACKAGE

    committed = json.loads((PACKAGE / "datapackage.json").read_text(encoding="utf-8"))
    assert lint_descriptor(committed) == []


# --- sources/datapackage.json ------------------------------------------------------------------------------


def test_the_sources_descriptor_lints_clean():
    assert lint_sources(SOURCES) == []


def test_the_sources_descriptor_conforms_to_the_official_data_package_v2_profiles():
    """Its extensions (derived, hint) aside, which the official profiles allow as unknown keys."""
    import jsonschema

    desc = json.loads((SOURCES / "datapackage.json").read_text(encoding="utf-8"))
    package = json.loads(standard("datapackage-v2", "datapackage.json").read_text(encoding="utf-8"))
    table = json.loads(standard("datapackage-v2", "tableschema.json").read_text(encoding="utf-8"))
    assert [e.message for e in jsonschema.Draft7Validator(package).iter_errors(desc)] == []
    # what the build adds is a Table Schema too: the derived tables, and the derived columns as fields
    derived = desc["derived"]
    made = [d["schema"] for d in derived["resources"] if "schema" in d]
    made += [{"fields": d["fields"]} for d in derived["fields"].values()]
    assert len(made) == len(derived["resources"]) - 1 + len(derived["fields"])  # the map has no table schema
    for s in made:
        assert [e.message for e in jsonschema.Draft7Validator(table).iter_errors(s)] == []


def test_the_sources_profile_adds_only_the_extensions_it_documents():
    from douzelage.load.cast import HINT_KINDS

    def keys(node) -> set[str]:
        found = set()
        if isinstance(node, dict):
            found |= set(node["properties"]) if isinstance(node.get("properties"), dict) else set()
            for v in node.values():
                found |= keys(v)
        elif isinstance(node, list):
            for v in node:
                found |= keys(v)
        return found

    official = set()
    for name in ("datapackage.json", "dataresource.json", "tableschema.json"):
        official |= keys(json.loads(standard("datapackage-v2", name).read_text(encoding="utf-8")))
    published = keys(json.loads((PROFILES / "datapackage.strict.json").read_text(encoding="utf-8")))
    profile = sources_profile()
    extensions = keys(profile) - official - (published - official)
    assert extensions == {"derived", "hint", "after", "derivedBy", "report"}
    for key in extensions:  # each is said in the profile's description, in quotes
        assert f"'{key}'" in profile["description"], key
    listed = json.loads((PROFILES / "sources.extensions.json").read_text(encoding="utf-8"))["extensions"]
    assert extensions <= set().union(*listed.values())
    assert set(profile["$defs"]["field"]["properties"]["hint"]["enum"]) == HINT_KINDS


def _sources(tmp_path):
    folder = tmp_path / "sources"
    shutil.copytree(SOURCES, folder)
    return folder, json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def _write(folder, desc: dict) -> None:
    (folder / "datapackage.json").write_text(json.dumps(desc, indent=2), encoding="utf-8")


def _towns(desc) -> str:
    return f"resources[{index(desc, 'towns')}]"


def _website(desc) -> str:
    return f"{_towns(desc)}.schema.fields[{field_index(desc, 'towns', 'website')}]"


def _memberships(desc) -> str:
    return f"resources[{index(desc, 'memberships')}]"


def _set(path: str, value):
    """A change to the descriptor: set the value at a path of keys and indexes, given as 'a.b.0.c'."""

    def change(desc):
        *parents, last = [int(k) if k.isdigit() else k for k in path.split(".")]
        node = desc
        for k in parents:
            node = node[k]
        if value is None:
            del node[last]
        else:
            node[last] = value

    return change


# change to sources/datapackage.json -> [(JSON path of the problem, value, rule, words of the hint)], exactly
BROKEN_SOURCES = {
    "a misspelt licences on a resource": (
        lambda d: resource(d, "towns").update(licences=d["licenses"]),
        lambda d: [(_towns(d), "licences", "unknown-key", "did you mean 'licenses'?")],
    ),
    "a field without a description": (
        lambda d: field(d, "towns", "website").pop("description"),
        lambda d: [(_website(d), None, "schema-required", "see the profile")],
    ),
    "a misspelt hint": (
        lambda d: field(d, "towns", "website").update(hitn=field(d, "towns", "website").pop("hint")),
        lambda d: [(_website(d), "hitn", "unknown-key", "did you mean 'hint'?")],
    ),
    "a hint of no known kind": (
        lambda d: field(d, "towns", "website").update(hint="web-adress"),
        lambda d: [(f"{_website(d)}.hint", "web-adress", "schema-enum", "see the profile")],
    ),
    "a reference to a misspelt resource": (
        lambda d: resource(d, "memberships")["schema"]["foreignKeys"][0]["reference"].update(resource="town"),
        lambda d: [
            (
                f"{_memberships(d)}.schema.foreignKeys[0].reference.resource",
                "town",
                "unknown-resource",
                "did you mean 'towns'?",
            )
        ],
    ),
    "a reference to a misspelt field of a derived table": (
        _set("derived.foreignKeys.towns.0.reference.fields", ["cod"]),
        lambda d: [("derived.foreignKeys.towns[0].reference.fields", "cod", "unknown-field", "did you mean 'code'?")],
    ),
    "derived columns after a misspelt column": (
        _set("derived.fields.towns.after", "geonmes"),
        lambda d: [("derived.fields.towns.after", "geonmes", "unknown-field", "did you mean 'geonames'?")],
    ),
    "derived columns of a misspelt table": (
        lambda d: d["derived"]["fields"].update(town=d["derived"]["fields"].pop("towns")),
        lambda d: [("derived.fields.town", "town", "unknown-resource", "did you mean 'towns'?")],
    ),
    "a derived column the source file has": (
        _set("derived.fields.towns.fields.0.name", "country"),
        lambda d: [("derived.fields.towns.fields[0].name", "country", "duplicate-field", "remove one of the two")],
    ),
    "a derived table after a misspelt resource": (
        _set("derived.resources.0.after", "source"),
        lambda d: [("derived.resources[0].after", "source", "unknown-resource", "did you mean 'sources'?")],
    ),
    "derivedBy on a source resource": (
        lambda d: resource(d, "towns").update(derivedBy="derive.py"),
        lambda d: [(_towns(d), "derivedBy", "unknown-key", "'derivedBy' belongs in a derived resource or a table's")],
    ),
    "no licence anywhere": (
        _set("licenses", None),
        lambda d: (
            [("(top level)", None, "schema-required", "see the profile")]
            + [
                (f"resources[{i}]", r["name"], "licence", "give the package its licenses")
                for i, r in enumerate(d["resources"])
            ]
        ),
    ),
    "a resource whose file is missing": (
        lambda d: resource(d, "towns").update(path="town.csv"),
        lambda d: [
            (f"{_towns(d)}.path", "town.csv", "missing-resource-file", "correct the path"),
            ("resources", "towns.csv", "unlisted-file", "describe it as a resource"),
        ],
    ),
}


@pytest.mark.parametrize("case", list(BROKEN_SOURCES))
def test_a_broken_sources_descriptor_is_reported_at_the_json_path_of_the_key(tmp_path, case):
    change, expected = BROKEN_SOURCES[case]
    folder, desc = _sources(tmp_path)
    change(desc)
    _write(folder, desc)
    problems = lint_sources(folder)
    file = str(folder / "datapackage.json")
    assert {p.file for p in problems} == {file}
    assert [(p.column, p.value, p.rule) for p in problems] == [e[:3] for e in expected(desc)], "\n".join(
        map(str, problems)
    )
    for p, (*_, hint) in zip(problems, expected(desc)):
        assert hint in p.hint, p


def test_douzelage_lint_reports_a_broken_sources_descriptor_and_exits_1(built, tmp_path):
    import subprocess
    import sys

    folder, desc = _sources(tmp_path)
    field(desc, "towns", "website").update(hitn=field(desc, "towns", "website").pop("hint"))
    _write(folder, desc)
    douzelage = str(Path(sys.executable).parent / "douzelage")
    args = [douzelage, "lint", "--package", str(built / "datapackage"), "--metadata", str(built / "metadata.json")]
    done = subprocess.run([*args, "--sources", str(folder), "--format", "json"], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    [p] = json.loads(done.stdout)["problems"]
    assert (p["file"], p["row"], p["column"], p["value"], p["rule"]) == (
        str(folder / "datapackage.json"),
        None,
        _website(desc),
        "hitn",
        "unknown-key",
    )
    text = subprocess.run([*args, "--sources", str(folder)], capture_output=True, text=True)
    assert (
        f"{folder / 'datapackage.json'} at {_website(desc)}: is not a key of a field (value 'hitn') [unknown-key]"
        in (text.stderr)
    )
    assert subprocess.run([*args, "--sources", str(SOURCES)], capture_output=True, text=True).returncode == 0
