"""The catalogue on the site: /catalogue in three RDF formats, schema.org JSON-LD for "/", the /dictionary page."""

import html
import json

import pytest
from datasette.app import Datasette
from rdflib import Graph
from rdflib.compare import isomorphic

from douzelage.serve import SETTINGS, datasette_kwargs


@pytest.fixture
def ds(built, package):
    kwargs = datasette_kwargs(package, built / "metadata.json")
    return Datasette(**{**kwargs, "settings": {**SETTINGS, "template_debug": True}})


@pytest.mark.parametrize(
    "accept, media, fmt",
    [
        ("", "text/turtle", "turtle"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("application/ld+json", "application/ld+json", "json-ld"),
    ],
)
async def test_catalogue_url_negotiates_the_rdf_format(ds, package, accept, media, fmt):
    r = await ds.client.get("/catalogue", headers={"accept": accept} if accept else {})
    assert r.status_code == 200 and r.headers["content-type"].startswith(media)
    assert isomorphic(Graph().parse(data=r.text, format=fmt), Graph().parse(package / "dcat" / "catalogue.ttl"))


async def test_catalogue_files_are_downloads_too(ds, package):
    for name in ("catalogue.ttl", "catalogue.rdf", "catalogue.jsonld"):
        r = await ds.client.get(f"/downloads/dcat/{name}")
        assert r.status_code == 200 and r.content == (package / "dcat" / name).read_bytes()
    r = await ds.client.get("/catalogue.rdf")
    assert r.headers["content-type"].startswith("application/rdf+xml")


async def test_landing_page_gets_schema_org_dataset_json_ld(ds, descriptor):
    r = await ds.client.get("/?_context=1")  # Datasette's template_debug: the context as <pre>JSON</pre>
    context = json.loads(html.unescape(r.text.split("<pre>", 1)[1].rsplit("</pre>", 1)[0]))
    doc = json.loads(context["schema_org_jsonld"])
    assert doc["@context"] == "https://schema.org/" and doc["@type"] == "Dataset"
    assert doc["name"] == descriptor["title"] and doc["version"] == descriptor["version"]
    assert doc["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert {"text/csv", "application/geo+json", "application/zip"} <= {d["encodingFormat"] for d in doc["distribution"]}
    assert "<" not in context["schema_org_jsonld"]  # safe inside <script type="application/ld+json">
    assert context["catalogue_url"] == "/catalogue"


async def test_dictionary_page_shows_every_table_and_column(ds, descriptor):
    r = await ds.client.get("/dictionary")
    assert r.status_code == 200
    for resource in descriptor["resources"]:
        if "schema" in resource:
            assert f'id="{resource["name"]}"' in r.text
            for f in resource["schema"]["fields"]:
                assert f"<code>{f['name']}</code>" in r.text
