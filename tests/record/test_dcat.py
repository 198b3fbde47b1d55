"""The DCAT-AP catalogue: valid by the official DCAT-AP 3.0.1 SHACL shapes, and true to the files it describes."""

import hashlib
import json
import os
from pathlib import Path

import pytest
from conftest import rdflib_json_ld, standard
from pyshacl import validate
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS

from douzelage.write import dcat
from douzelage.write.changelog import add_entry

EU = "http://publications.europa.eu/resource/authority/"
BASE = "http://127.0.0.1:8001"
SPDX = dcat.SPDX
DCAT = dcat.DCAT3  # open namespace: DCAT 3 terms such as dcat:version


@pytest.fixture(scope="module")
def graph(package) -> Graph:
    return Graph().parse(package / "dcat" / "catalogue.ttl")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    g = Graph()
    for name in ("shapes.ttl", "range.ttl"):
        g.parse(standard("dcat-ap-3.0.1", name))
    return g


@pytest.fixture(scope="module")
def vocabulary_shapes() -> Graph:
    return Graph().parse(standard("dcat-ap-3.0.1", "mdr-vocabularies.shape.ttl"))


def _copy(graph: Graph) -> Graph:
    g = Graph()
    for t in graph:
        g.add(t)
    return g


DATASET = URIRef(f"{BASE}/catalogue#dataset")
CSV = URIRef(f"{BASE}/catalogue#distribution-towns-csv")


def test_catalogue_conforms_to_the_mandatory_and_range_shapes(graph, shapes):
    conforms, _, text = validate(graph, shacl_graph=shapes)
    assert conforms, text


def test_catalogue_conforms_to_the_eu_vocabulary_shapes_with_warnings_allowed(graph, vocabulary_shapes):
    conforms, _, text = validate(graph, shacl_graph=vocabulary_shapes, allow_warnings=True)
    assert conforms, text


def test_a_dataset_without_title_does_not_conform(graph, shapes):
    broken = _copy(graph)
    broken.remove((DATASET, DCTERMS.title, None))
    conforms, _, text = validate(broken, shacl_graph=shapes)
    assert not conforms and "dct:title" in text


def test_a_format_outside_the_eu_file_type_vocabulary_does_not_conform(graph, vocabulary_shapes):
    broken = _copy(graph)
    broken.remove((CSV, DCTERMS.format, None))
    broken.add((CSV, DCTERMS.format, URIRef("https://example.org/formats/csv")))
    conforms, _, text = validate(broken, shacl_graph=vocabulary_shapes, allow_warnings=True)
    assert not conforms and "dct:format" in text


def test_turtle_rdf_xml_and_json_ld_say_the_same(package, graph):
    for name in ("catalogue.rdf", "catalogue.jsonld"):
        assert isomorphic(graph, Graph().parse(package / "dcat" / name)), name


def test_the_catalogue_files_are_what_rdflibs_own_writers_write(package):
    graph = dcat.catalogue_graph(package)
    assert (package / "dcat" / "catalogue.ttl").read_bytes() == graph.serialize(format="turtle", encoding="utf-8")
    assert (package / "dcat" / "catalogue.jsonld").read_bytes() == rdflib_json_ld(graph)


def test_no_blank_nodes_and_every_described_node_is_an_absolute_iri(graph, descriptor):
    assert not [t for t in graph if any(isinstance(x, BNode) for x in t)]
    kinds = [DCAT.Catalog, DCAT.Dataset, DCAT.Distribution, DCAT.DataService]
    ours = [s for k in kinds for s in graph.subjects(RDF.type, k)]
    downloads = len(descriptor["resources"]) + 2  # every resource, the zip and the SQLite file
    assert len(ours) == 1 + 1 + downloads + 1
    assert all(str(s).startswith(BASE + "/") for s in ours)
    publisher = graph.value(DATASET, DCTERMS.publisher)
    assert isinstance(publisher, URIRef) and str(publisher).startswith("http")


def test_licence_themes_and_formats_are_the_eu_vocabularies_iris(graph):
    licences = set(graph.objects(None, DCTERMS.license))
    assert licences == {URIRef(EU + "licence/CC_BY_4_0")}
    themes = set(graph.objects(DATASET, DCAT.theme))
    assert themes and all(str(t).startswith(EU + "data-theme/") for t in themes)
    formats = {str(f) for f in graph.objects(None, DCTERMS.format)}
    assert {EU + "file-type/CSV", EU + "file-type/ZIP", EU + "file-type/GEOJSON", EU + "file-type/JSON"} == formats
    assert graph.value(CSV, DCAT.mediaType) == URIRef("https://www.iana.org/assignments/media-types/text/csv")


def test_every_download_states_its_real_byte_size_and_sha256(graph, package):
    dists = list(graph.subjects(RDF.type, DCAT.Distribution))
    for d in dists:
        url = str(graph.value(d, DCAT.downloadURL))
        path = package / url.removeprefix(BASE + "/").removeprefix("downloads/")
        data = path.read_bytes()
        assert graph.value(d, DCAT.byteSize).toPython() == len(data), url
        checksum = graph.value(d, SPDX.checksum)
        assert str(graph.value(checksum, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest(), url


def test_title_and_description_in_english_and_swedish(graph):
    for node in (URIRef(f"{BASE}/catalogue"), DATASET, URIRef(f"{BASE}/catalogue#api")):
        for prop in (DCTERMS.title, DCTERMS.description):
            assert {o.language for o in graph.objects(node, prop)} == {"en", "sv"}, (node, prop)


def test_the_data_service_is_the_datasette_api(graph):
    api = URIRef(f"{BASE}/catalogue#api")
    assert graph.value(api, DCAT.endpointURL) == URIRef(f"{BASE}/douzelage")
    assert graph.value(api, DCAT.servesDataset) == DATASET


def test_coverage_comes_from_the_data(graph, descriptor):
    spatial = {str(s) for s in graph.objects(DATASET, DCTERMS.spatial)}
    assert EU + "country/SWE" in spatial and EU + "country/GBR" in spatial
    period = graph.value(DATASET, DCTERMS.temporal)
    assert str(graph.value(period, DCAT.startDate)) == "1991"  # the founding charter
    assert str(graph.value(DATASET, DCAT.version)) == descriptor["version"]


def test_issued_and_modified_come_from_the_changelog_not_the_clock(package, tmp_path):
    config = dcat.load_config()
    g = dcat.catalogue_graph(package, config, tmp_path / "CHANGELOG.md")
    assert g.value(DATASET, DCTERMS.modified) is None  # not released: no date is made up
    version = json.loads((package / "datapackage.json").read_text())["version"]
    add_entry(f"## [{version}] - 2031-02-03\n\nA test release.\n", tmp_path / "CHANGELOG.md")
    g = dcat.catalogue_graph(package, config, tmp_path / "CHANGELOG.md")
    assert g.value(DATASET, DCTERMS.modified) == Literal("2031-02-03", datatype=dcat.XSD.date)


def test_base_url_is_configuration(package, monkeypatch):
    monkeypatch.setenv(dcat.BASE_URL_ENV, "https://data.example.org/")
    g = dcat.catalogue_graph(package)
    assert (URIRef("https://data.example.org/catalogue"), RDF.type, DCAT.Catalog) in g
    assert not [t for t in g if any(BASE in str(x) for x in t)]


def test_contact_point_is_never_invented_and_its_absence_is_said(package):
    config = dcat.load_config()
    assert config["contact_point"].get("email") is None
    assert not list(dcat.catalogue_graph(package, config).objects(None, DCAT.contactPoint))
    assert "no contact point" in dcat.notes(config)[0]
    config["contact_point"] = {"name": "Data desk", "email": "data@example.org"}
    g = dcat.catalogue_graph(package, config)
    assert g.value(g.value(DATASET, DCAT.contactPoint), dcat.VCARD.hasEmail) == URIRef("mailto:data@example.org")
    assert dcat.notes(config) == []


def test_a_package_without_publisher_is_refused(package):
    desc = json.loads((package / "datapackage.json").read_text())
    desc["contributors"] = [{"title": "Someone", "roles": ["creator"]}]
    with pytest.raises(dcat.CatalogueError, match="publisher"):
        dcat.publisher_name(desc)


def test_committed_catalogue_is_what_the_build_writes(package):
    root = Path(__file__).resolve().parents[2]
    for name in dcat.FORMATS:
        assert (root / "datapackage" / "dcat" / name).read_bytes() == (package / "dcat" / name).read_bytes(), (
            f"datapackage/dcat/{name} is stale: run `make build` and commit"
        )


def test_build_without_a_publisher_stops_with_a_clear_error_and_publishes_nothing(tmp_path):
    import shutil
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    repo = tmp_path / "repo"
    shutil.copytree(
        root,
        repo,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "__pycache__", ".pytest_cache", "*.egg-info", "dist", "*.db", "*.zip"
        ),
    )
    pkg = repo / "sources" / "datapackage.json"
    meta = json.loads(pkg.read_text(encoding="utf-8"))
    meta["contributors"] = [{**c, "roles": [r for r in c["roles"] if r != "publisher"]} for c in meta["contributors"]]
    pkg.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    before = (repo / "datapackage" / "dcat" / "catalogue.ttl").read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "douzelage", "build"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(repo / "scripts")},
    )  # the copy's own package
    assert done.returncode == 1
    assert "no publisher" in done.stderr and "package.json" in done.stderr and "nothing was published" in done.stderr
    assert (repo / "datapackage" / "dcat" / "catalogue.ttl").read_bytes() == before


def test_serialisations_do_not_depend_on_python_hash_order(package):
    """rdflib's own RDF/XML and JSON-LD follow set order, which changes with PYTHONHASHSEED."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, pathlib; from douzelage.write import dcat; g = dcat.catalogue_graph(pathlib.Path(sys.argv[1])); "
        "sys.stdout.buffer.write(b''.join(dcat.serialise(g, f) for f in dcat.FORMATS.values()))"
    )
    outs = [
        subprocess.run(
            [sys.executable, "-c", code, str(package)],
            capture_output=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    ]
    assert outs[0] == outs[1]


def test_catalogue_command_prints_the_catalogue_and_says_what_is_missing():
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "douzelage", "catalogue", "--format", "rdf"], cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 0
    assert Graph().parse(data=done.stdout, format="xml").value(DATASET, DCTERMS.title) is not None
    assert "no contact point" in done.stderr
