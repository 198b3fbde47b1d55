"""sources/ is a Data Package: its hand-kept descriptor validates the source files before any build, and the
published descriptor is that descriptor plus what it marks as derived."""

import json
import subprocess
import sys
from pathlib import Path

from douzelage.descriptor import DERIVED_FIELDS, DERIVED_TABLES, TABLES, schema, sources_descriptor
from douzelage.layout import SOURCES_DESCRIPTOR

FRICTIONLESS = Path(sys.executable).parent / "frictionless"


def test_frictionless_validates_the_sources_descriptor_before_any_build():
    done = subprocess.run(
        [str(FRICTIONLESS), "validate", "--json", str(SOURCES_DESCRIPTOR)], capture_output=True, text=True
    )
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["valid"], report
    assert sorted(t["name"] for t in report["tasks"]) == sorted(t for t in TABLES if t not in DERIVED_TABLES)


def test_every_source_file_is_a_resource_of_the_sources_descriptor():
    described = {r["path"] for r in sources_descriptor()["resources"]}
    assert described == {p.name for p in SOURCES_DESCRIPTOR.parent.glob("*.csv")}


def test_published_schemas_are_the_source_schemas_with_the_derived_columns_and_keys_added(descriptor):
    sources = {r["name"]: r["schema"] for r in sources_descriptor()["resources"]}
    published = {r["name"]: r["schema"] for r in descriptor["resources"] if "schema" in r}
    assert list(published) == TABLES
    for name, s in sources.items():
        names = [f["name"] for f in published[name]["fields"]]
        assert [n for n in names if n not in DERIVED_FIELDS.get(name, set())] == [f["name"] for f in s["fields"]]
        assert all(fk in published[name].get("foreignKeys", []) for fk in s.get("foreignKeys", []))
        assert published[name] == schema(name)
    assert set(published) - set(sources) == DERIVED_TABLES
    assert DERIVED_FIELDS == {"towns": {"status", "joined", "left"}}
