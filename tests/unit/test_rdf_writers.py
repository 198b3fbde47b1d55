"""The catalogue's own Turtle and JSON-LD writers give rdflib's writers' bytes (the oracle), on a graph with
the cases the real catalogue has and a few it does not have yet."""

import pytest
from conftest import rdflib_json_ld
from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from douzelage.write import dcat

EX = "http://example.org/catalogue"


@pytest.fixture
def graph() -> Graph:
    g = Graph()
    for prefix, ns in dcat.PREFIXES.items():
        g.bind(prefix, ns)
    other = Namespace("http://other.example/terms#")  # bound to no prefix: rdflib makes one up (ns1)
    cat, ds, dist = URIRef(EX), URIRef(EX + "#dataset"), URIRef(EX + "#distribution-a.csv")
    g.add((cat, RDF.type, dcat.DCAT.Catalog))
    g.add((cat, dcat.DCAT.dataset, ds))
    g.add((cat, dcat.DCTERMS.title, Literal("Open data", lang="en")))
    g.add((cat, dcat.DCTERMS.title, Literal("Öppna data", lang="sv")))
    g.add((ds, RDF.type, dcat.DCAT.Dataset))
    g.add((ds, RDF.type, dcat.DCTERMS.Location))  # two types
    g.add((ds, RDFS.label, Literal("label comes second")))
    g.add((ds, dcat.DCTERMS.description, Literal('a "quoted"\nmultiline text')))
    g.add((ds, dcat.DCAT.distribution, dist))
    g.add((ds, other.score, Literal(5)))  # xsd:integer, written bare in Turtle, a number in JSON-LD
    g.add((ds, other.share, Literal(0.5)))
    g.add((ds, other.open, Literal(True)))
    g.add((dist, RDF.type, dcat.DCAT.Distribution))
    g.add((dist, dcat.DCAT.byteSize, Literal("12", datatype=XSD.nonNegativeInteger)))
    g.add((dist, dcat.DCTERMS.issued, Literal("2026-11-27", datatype=XSD.date)))
    g.add((dist, dcat.DCTERMS.format, URIRef("http://publications.europa.eu/resource/authority/file-type/CSV")))
    g.add((dist, dcat.DCAT.accessURL, URIRef("http://example.org/data/a.csv")))
    return g


def test_turtle_is_rdflibs_byte_for_byte(graph):
    assert dcat.serialise(graph, "turtle") == graph.serialize(format="turtle", encoding="utf-8")


def test_json_ld_is_rdflibs_sorted_byte_for_byte(graph):
    assert dcat.serialise(graph, "json-ld") == rdflib_json_ld(graph)


@pytest.mark.parametrize("fmt", ["turtle", "xml", "json-ld"])
def test_every_format_parses_back_to_the_same_graph(graph, fmt):
    assert isomorphic(Graph().parse(data=dcat.serialise(graph, fmt), format=fmt), graph)
