"""The Data Package validates with tools we did not write: frictionless, and the official v2 JSON Schema."""

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
from conftest import standard

FRICTIONLESS = Path(sys.executable).parent / "frictionless"


def test_frictionless_validate_accepts_the_package(package):
    result = subprocess.run(
        [str(FRICTIONLESS), "validate", "--json", str(package / "datapackage.json")], capture_output=True, text=True
    )
    report = json.loads(result.stdout)
    assert report["valid"], json.dumps(report["tasks"], indent=1)[:3000]
    assert result.returncode == 0
    checked = {t["name"] for t in report["tasks"]}
    assert {"towns", "meetings", "projects", "sources", "memberships", "distances", "map"} <= checked


def test_frictionless_catches_a_broken_foreign_key(package, tmp_path):
    """The foreign keys are real: frictionless rejects a meeting whose host is not a town."""
    copy = tmp_path / "pkg"
    shutil.copytree(package, copy)
    desc = json.loads((copy / "datapackage.json").read_text())
    for r in desc["resources"]:
        r.pop("hash", None), r.pop("bytes", None)
    (copy / "datapackage.json").write_text(json.dumps(desc))
    path = copy / "data" / "meetings.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[0]["host"] = "atlantis"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    result = subprocess.run(
        [str(FRICTIONLESS), "validate", "--json", str(copy / "datapackage.json")], capture_output=True, text=True
    )
    report = json.loads(result.stdout)
    assert not report["valid"]
    errors = [e["type"] for t in report["tasks"] for e in t["errors"]]
    assert "foreign-key" in errors


def test_descriptor_conforms_to_the_official_data_package_v2_schema(descriptor):
    schema = json.loads(standard("datapackage-v2", "datapackage.json").read_text())
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(descriptor))
    assert not errors, [e.message for e in errors[:5]]


def test_every_field_is_typed_titled_and_described(descriptor):
    for resource in descriptor["resources"]:
        for field in resource.get("schema", {}).get("fields", []):
            assert field["type"] and field["title"] and field["description"], (resource["name"], field)


def test_keys_and_constraints_are_declared(descriptor):
    by_name = {r["name"]: r for r in descriptor["resources"]}
    towns = by_name["towns"]["schema"]
    assert towns["primaryKey"] == ["id"]
    lat = next(f for f in towns["fields"] if f["name"] == "latitude")
    assert (lat["constraints"]["minimum"], lat["constraints"]["maximum"]) == (-90, 90)
    host_fk = next(fk for fk in by_name["meetings"]["schema"]["foreignKeys"] if fk["fields"] == ["host"])
    assert host_fk["reference"] == {"resource": "towns", "fields": ["id"]}
    for r in descriptor["resources"]:
        if r["name"] not in ("sources", "map"):
            assert any(
                fk["fields"] == ["source"] and fk["reference"]["resource"] == "sources"
                for fk in r["schema"]["foreignKeys"]
            ), r["name"]


def test_package_metadata_has_what_portals_expect(descriptor):
    for key in ("name", "title", "description", "version", "licenses", "sources", "contributors", "keywords"):
        assert descriptor[key], key
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert any(r["name"] == "map" and r["mediatype"] == "application/geo+json" for r in descriptor["resources"])


def test_zip_holds_the_whole_package(package):
    import zipfile

    with zipfile.ZipFile(package / "douzelage-datapackage.zip") as z:
        names = set(z.namelist())
        assert "douzelage/datapackage.json" in names and "douzelage/data/towns.csv" in names
        assert "douzelage/douzelage.geojson" in names
        assert z.read("douzelage/data/towns.csv") == (package / "data" / "towns.csv").read_bytes()
