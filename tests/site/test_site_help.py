"""The parts of issue 16 §1 that are functions of their input, in this process: how an Accept header picks
the catalogue's view, how a search that is not FTS5 becomes its words, which result columns link where, and
the guide's diagram laid out from a package's foreign keys (the real one and a made-up one)."""

from __future__ import annotations

import importlib.util
import sqlite3

import pytest

from douzelage.layout import SITE


def plugin(name: str):
    spec = importlib.util.spec_from_file_location(name, SITE / "plugins" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "accept, view",
    [
        ("", "ttl"),
        ("*/*", "ttl"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),
        ("application/ld+json", "jsonld"),
        ("application/json;q=0.5, text/turtle;q=0.6", "ttl"),
        ("text/html;q=0, text/turtle", "ttl"),
        ("TEXT/HTML", "html"),
        ("application/rdf+xml;q=0.8, */*;q=0.9", "ttl"),
        ("application/rdf+xml;q=0.9, */*;q=0.9", "rdf"),  # a named type beats the wildcard at the same q
        ("image/png", None),
        ("text/html;q=nonsense, application/rdf+xml", "rdf"),
    ],
)
def test_accept_picks_the_catalogue_view(accept, view):
    assert plugin("catalogue")._negotiate(accept) == view


@pytest.mark.parametrize(
    "q, words",
    [
        ('oxel* "foo', '"oxel"* "foo"'),
        ("a OR", '"a" "OR"'),
        ('"', ""),
        ("*", ""),
        ("NEAR(", '"NEAR"'),
        ("Škofja-Loka", '"Škofja" "Loka"'),
    ],
)
def test_a_search_that_is_not_fts5_becomes_its_words(q, words):
    assert plugin("public_pages").fts_words(q) == words


def test_the_words_of_any_search_are_valid_fts5(db_path):
    pages = plugin("public_pages")
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    for q in ['"', 'a"b', "x*y*", "((", "NOT NOT", "😀 ok", "a\\b", "'; drop", "^a", "a:b:c"]:
        words = pages.fts_words(q)
        if words:
            conn.execute("select count(*) from towns_fts where towns_fts match ?", (words,)).fetchone()
    conn.close()


@pytest.mark.parametrize(
    "column, row, kind",
    [
        ("town", {}, "town"),
        ("host", {}, "town"),
        ("meeting", {}, "meeting"),
        ("project", {}, "project"),
        ("source", {}, "source"),
        ("record", {"table_name": "meetings"}, "meeting"),
        ("record", {"table_name": "memberships"}, None),
        ("record", {"activity": "attended"}, "meeting"),
        ("record", {"activity": "project lead"}, "project"),
        ("title", {}, None),
    ],
)
def test_which_result_columns_link_to_a_page(column, row, kind):
    assert plugin("query_links").page_of(column, row) == kind


def test_the_diagram_has_a_box_or_bar_per_table_and_a_line_per_reference(descriptor):
    help_pages = plugin("help_pages")
    d = help_pages.diagram(descriptor)
    tables = [r["name"] for r in descriptor["resources"] if r.get("schema", {}).get("fields")]
    assert sorted([b["name"] for b in d["boxes"]] + [b["name"] for b in d["bars"]]) == sorted(tables)
    assert len(d["lines"]) == len(help_pages.joins(descriptor))
    boxes = {b["name"]: b for b in d["boxes"]}
    for line in d["lines"]:  # a reference goes right, to a table placed further right, or down to a bar
        if not line["hub"]:
            assert boxes[line["to_table"]]["x"] > boxes[line["table"]]["x"], line
    for a in d["boxes"]:  # no two boxes overlap
        for b in d["boxes"]:
            if a is not b and a["x"] == b["x"]:
                assert a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"], (a["name"], b["name"])


def test_a_package_without_a_table_everyone_cites_has_no_bar():
    help_pages = plugin("help_pages")

    def table(name, fks=()):
        schema = {"fields": [{"name": "id"}, *({"name": f} for f, _ in fks)], "primaryKey": ["id"]}
        schema["foreignKeys"] = [{"fields": [f], "reference": {"resource": t, "fields": ["id"]}} for f, t in fks]
        return {"name": name, "schema": schema}

    d = help_pages.diagram({"resources": [table("a"), table("b", [("a_id", "a")]), table("c", [("b_id", "b")])]})
    assert d["bars"] == [] and [b["name"] for b in d["boxes"]] == ["c", "b", "a"]
    assert [(line["table"], line["to_table"]) for line in d["lines"]] == [("b", "a"), ("c", "b")]
