"""Stage 4e: the DCAT-AP 3 catalogue, so that data.europa.eu and national portals can harvest us.

Europe's open-data portals (data.europa.eu, Sweden's dataportal.se, ...) find datasets by harvesting
DCAT-AP metadata. This module describes the built package as one dcat:Catalog with one dcat:Dataset,
one dcat:Distribution per download (zip, each CSV, GeoJSON, SQLite) and a dcat:DataService for the
Datasette API, and writes it as Turtle, RDF/XML and JSON-LD into <package>/dcat/.

Everything is derived: texts, licence and keywords from sources/datapackage.json, sizes and SHA-256
checksums from the built files, coverage from the data, issued/modified dates from CHANGELOG.md (never
the clock). What is about the deployment (base URL, publisher IRI, contact point, Swedish texts, themes)
is in site/catalogue.yaml; the base URL can be overridden with $DOUZELAGE_BASE_URL. Every node has an
absolute IRI (fragments of <base>/catalogue), so there are no blank nodes and the output is stable.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pycountry
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDFS, SKOS

from douzelage.descriptor import TABLES
from douzelage.files import load_yaml, read_only, sha256
from douzelage.layout import BASE_URL_ENV, DATABASE_NAME, DB_FILE, GEOJSON_FILE, SITE, ZIP_FILE
from douzelage.write import changelog

CONFIG = SITE / "catalogue.yaml"
DCAT_DIR = "dcat"
FORMATS = {"catalogue.ttl": "turtle", "catalogue.rdf": "xml", "catalogue.jsonld": "json-ld"}

SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCAT3 = Namespace(str(DCAT))  # rdflib's DCAT namespace is closed at DCAT 2, which has no dcat:version
DCATAP = Namespace("http://data.europa.eu/r5r/")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
# DCAT-AP 3.0.1's vocabulary shapes want the algorithm as an https://spdx.org/rdf/terms IRI of class
# spdx:ChecksumAlgorithm (the SPDX 2 namespace itself is http://).
SHA256 = URIRef("https://spdx.org/rdf/terms#checksumAlgorithm_sha256")
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
# Licence names used in package.json -> the EU licence vocabulary.
LICENCES = {"CC-BY-4.0": EU + "licence/CC_BY_4_0"}
# Download kinds -> (EU file-type code or None, IANA media type, standard the file conforms to).
KINDS = {
    "zip": ("ZIP", "application/zip", "https://datapackage.org/standard/data-package/"),
    "csv": ("CSV", "text/csv", "https://www.rfc-editor.org/rfc/rfc4180"),
    "geojson": ("GEOJSON", "application/geo+json", "https://www.rfc-editor.org/rfc/rfc7946"),
    # The EU file-type vocabulary has no SQLite entry: the media type alone says what it is.
    "sqlite": (None, "application/vnd.sqlite3", "https://www.sqlite.org/fileformat2.html"),
}


# Literals that JSON-LD with a context writes as plain JSON values (rdflib's PLAIN_LITERAL_TYPES).
NATIVE = {XSD.boolean, XSD.integer, XSD.double, XSD.string}

PREFIXES = {
    "dcat": DCAT,
    "dct": DCTERMS,
    "foaf": FOAF,
    "skos": SKOS,
    "vcard": VCARD,
    "spdx": SPDX,
    "gsp": GSP,
    "dcatap": DCATAP,
    "rdf": RDF,
    "xsd": XSD,
}


class CatalogueError(ValueError):
    """The catalogue cannot be described truthfully (e.g. no publisher): say what to fill in where."""


def load_config(path: Path = CONFIG) -> dict:
    config = load_yaml(path)
    config["base_url"] = (os.environ.get(BASE_URL_ENV) or config["base_url"]).rstrip("/")
    if not config["base_url"].startswith(("http://", "https://")):
        raise CatalogueError(f"{path}: base_url {config['base_url']!r} is not an absolute http(s) URL")
    return config


def notes(config: dict) -> list[str]:
    """What the catalogue lacks because nobody configured it (said, never filled in with a guess)."""
    contact = config.get("contact_point") or {}
    if not (contact.get("email") or contact.get("url")):
        return [
            f"no contact point configured in site/{CONFIG.name} (contact_point: name and email or url): "
            "the catalogue has none; DCAT-AP recommends one"
        ]
    return []


def publisher_name(descriptor: dict) -> str:
    for c in descriptor.get("contributors", []):
        if "publisher" in c.get("roles", []):
            return c["title"]
    raise CatalogueError(
        'no publisher: DCAT-AP requires one. Add a contributor with the role "publisher" to sources/datapackage.json'
    )


def _query(out: Path, sql: str) -> list[tuple]:
    """Facts for the catalogue come from the database just built, never by loading whole CSVs."""
    with read_only(out / DB_FILE) as conn:
        return conn.execute(sql).fetchall()


def temporal_coverage(out: Path, columns: list[str]) -> tuple[str, str] | None:
    values = []
    for spec in columns:
        table, column = spec.split(".")
        values += [
            str(v)
            for row in _query(
                out,
                f'SELECT min("{column}"), max("{column}") FROM "{table}" '
                f'WHERE "{column}" IS NOT NULL AND "{column}" != \'\'',
            )
            for v in row
            if v is not None
        ]
    return (min(values), max(values)) if values else None


def _date_literal(value: str) -> Literal:
    return Literal(value, datatype=XSD.gYear if len(value) == 4 else XSD.date)


def countries(out: Path) -> list[str]:
    """ISO 3166-1 alpha-3 codes (the EU country vocabulary's) of the countries of the member towns."""
    return sorted(pycountry.countries.lookup(code).alpha_3 for (code,) in _query(out, "SELECT code FROM countries"))


def bbox_wkt(out: Path) -> str | None:
    ((w, e, s, n),) = _query(out, "SELECT min(longitude), max(longitude), min(latitude), max(latitude) FROM towns")
    if w is None:
        return None
    ring = [(w, s), (e, s), (e, n), (w, n), (w, s)]
    return "POLYGON((" + ", ".join(f"{x:.5f} {y:.5f}" for x, y in ring) + "))"


def downloads(descriptor: dict) -> list[tuple[str, str, str, str, str, str]]:
    """Every download: (key, kind, path in the package, path on the site, title, description)."""
    texts = {r["name"]: r for r in descriptor["resources"]}
    items = [
        (
            "zip",
            "zip",
            ZIP_FILE,
            f"downloads/{ZIP_FILE}",
            "Data Package (zip)",
            "The whole Data Package: datapackage.json with the Table Schemas and every CSV file.",
        )
    ]
    for table in TABLES:
        r = texts[table]
        items.append(
            (f"{table}-csv", "csv", r["path"], f"downloads/{r['path']}", f"{r['title']} (CSV)", r["description"])
        )
    items.append(
        (
            "geojson",
            "geojson",
            GEOJSON_FILE,
            f"downloads/{GEOJSON_FILE}",
            texts["map"]["title"],
            texts["map"]["description"],
        )
    )
    items.append(
        (
            "sqlite",
            "sqlite",
            DB_FILE,
            DB_FILE,
            "SQLite database",
            "Every table in one SQLite database, as served by the site (with full-text search and views).",
        )
    )
    return items


class _Builder:
    def __init__(self, out: Path, config: dict, changelog_path: Path):
        self.out, self.config = out, config
        self.descriptor = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
        self.base = config["base_url"]
        self.cat = self.base + "/catalogue"
        self.g = Graph(bind_namespaces="core")
        for prefix, ns in PREFIXES.items():
            self.g.bind(prefix, ns)
        self.release = changelog.release_of(self.descriptor["version"], changelog_path)
        self.first = changelog.first_release(changelog_path)

    def iri(self, fragment: str) -> URIRef:
        return URIRef(f"{self.cat}#{fragment}")

    def add(self, s, p, o) -> None:
        self.g.add((s, p, o))

    def texts(self, node, en_title: str, sv_title: str | None, en_desc: str, sv_desc: str | None) -> None:
        self.add(node, DCTERMS.title, Literal(en_title, lang="en"))
        self.add(node, DCTERMS.description, Literal(en_desc, lang="en"))
        if sv_title:
            self.add(node, DCTERMS.title, Literal(sv_title, lang="sv"))
        if sv_desc:
            self.add(node, DCTERMS.description, Literal(sv_desc, lang="sv"))

    def concept(self, scheme: str, code: str, cls, label: str | None = None) -> URIRef:
        """A term of an EU vocabulary, typed and placed in its scheme (what the DCAT-AP shapes check)."""
        node = URIRef(f"{EU}{scheme}/{code}")
        self.add(node, RDF.type, cls)
        self.add(node, SKOS.inScheme, URIRef(EU + scheme))
        if label:
            self.add(node, SKOS.prefLabel, Literal(label, lang="en"))
        return node

    def licence(self) -> URIRef:
        name = self.descriptor["licenses"][0]["name"]
        if name not in LICENCES:
            raise CatalogueError(
                f"licence {name!r} has no entry in the EU licence vocabulary map in scripts/douzelage/write/dcat.py"
            )
        node = URIRef(LICENCES[name])
        self.add(node, RDF.type, DCTERMS.LicenseDocument)
        kind = URIRef("http://purl.org/adms/licencetype/Attribution")  # ADMS licence type: CC BY requires it
        self.add(kind, RDF.type, SKOS.Concept)
        self.add(kind, SKOS.prefLabel, Literal("Attribution", lang="en"))
        self.add(kind, SKOS.inScheme, URIRef("http://purl.org/adms/licencetype/1.0"))
        self.add(node, DCTERMS.type, kind)
        return node

    def dates(self, node) -> None:
        if self.first:
            self.add(node, DCTERMS.issued, Literal(self.first.date, datatype=XSD.date))
        if self.release:
            self.add(node, DCTERMS.modified, Literal(self.release.date, datatype=XSD.date))

    def build(self) -> Graph:
        d, c = self.descriptor, self.config
        catalogue, dataset, api = URIRef(self.cat), self.iri("dataset"), self.iri("api")
        licence = self.licence()
        publisher = self.publisher()
        contact = self.contact()
        landing = URIRef(self.base + "/")
        self.add(landing, RDF.type, FOAF.Document)

        self.add(catalogue, RDF.type, DCAT.Catalog)
        self.texts(
            catalogue,
            c["en"]["catalogue_title"],
            c["sv"]["catalogue_title"],
            c["en"]["catalogue_description"],
            c["sv"]["catalogue_description"],
        )
        self.add(catalogue, DCTERMS.publisher, publisher)
        self.add(catalogue, FOAF.homepage, landing)
        self.add(catalogue, DCTERMS.license, licence)
        for code in ("ENG", "SWE"):
            self.add(catalogue, DCTERMS.language, self.concept("language", code, DCTERMS.LinguisticSystem))
        themes = URIRef(EU + "data-theme")
        self.add(themes, RDF.type, SKOS.ConceptScheme)
        self.add(themes, DCTERMS.title, Literal("Data theme", lang="en"))
        self.add(catalogue, DCAT.themeTaxonomy, themes)
        self.add(catalogue, DCTERMS.spatial, self.concept("continent", "EUROPE", DCTERMS.Location))
        self.add(catalogue, DCAT.dataset, dataset)
        self.add(catalogue, DCAT.service, api)
        self.dates(catalogue)

        self.add(dataset, RDF.type, DCAT.Dataset)
        self.texts(dataset, d["title"], c["sv"]["title"], d["description"], c["sv"]["description"])
        self.add(dataset, DCTERMS.identifier, Literal(str(dataset)))
        self.add(dataset, DCAT3.version, Literal(d["version"]))
        self.add(dataset, DCTERMS.publisher, publisher)
        self.add(dataset, DCTERMS.creator, publisher)
        if contact is not None:
            self.add(dataset, DCAT.contactPoint, contact)
        self.add(dataset, DCAT.landingPage, landing)
        self.add(dataset, DCTERMS.language, URIRef(EU + "language/ENG"))
        for kw in d.get("keywords", []):
            self.add(dataset, DCAT.keyword, Literal(kw, lang="en"))
        for code, label in c["themes"].items():
            theme = self.concept("data-theme", code, SKOS.Concept, label)
            self.add(dataset, DCAT.theme, theme)
            self.add(api, DCAT.theme, theme)
        for kw in d.get("keywords", []):
            self.add(api, DCAT.keyword, Literal(kw, lang="en"))
        self.spatial(dataset)
        self.temporal(dataset)
        self.dates(dataset)
        for dist in self.distributions(licence):
            self.add(dataset, DCAT.distribution, dist)

        self.add(api, RDF.type, DCAT.DataService)
        self.texts(
            api, c["en"]["api_title"], c["sv"]["api_title"], c["en"]["api_description"], c["sv"]["api_description"]
        )
        self.add(api, DCAT.endpointURL, URIRef(f"{self.base}/{DATABASE_NAME}"))
        docs = URIRef("https://docs.datasette.io/en/0.65.1/json_api.html")
        self.add(api, DCAT.endpointDescription, docs)
        self.add(api, DCAT.servesDataset, dataset)
        self.add(api, DCTERMS.license, licence)
        self.add(api, DCTERMS.publisher, publisher)
        self.add(api, DCTERMS.format, self.concept("file-type", "JSON", DCTERMS.MediaTypeOrExtent))
        if contact is not None:
            self.add(api, DCAT.contactPoint, contact)
        return self.g

    def publisher(self) -> URIRef:
        uri = (self.config.get("publisher") or {}).get("uri")
        node = URIRef(uri) if uri else self.iri("publisher")
        self.add(node, RDF.type, FOAF.Agent)
        self.add(node, FOAF.name, Literal(publisher_name(self.descriptor)))
        return node

    def contact(self) -> URIRef | None:
        cp = self.config.get("contact_point") or {}
        if not (cp.get("email") or cp.get("url")):
            return None
        node = self.iri("contact")
        self.add(node, RDF.type, VCARD.Kind)
        self.add(node, VCARD.fn, Literal(cp.get("name") or publisher_name(self.descriptor)))
        if cp.get("email"):
            self.add(node, VCARD.hasEmail, URIRef("mailto:" + cp["email"]))
        if cp.get("url"):
            self.add(node, VCARD.hasURL, URIRef(cp["url"]))
        return node

    def spatial(self, dataset) -> None:
        self.add(dataset, DCTERMS.spatial, self.concept("continent", "EUROPE", DCTERMS.Location))
        for code in countries(self.out):
            self.add(dataset, DCTERMS.spatial, self.concept("country", code, DCTERMS.Location))
        wkt = bbox_wkt(self.out)
        if wkt:
            box = self.iri("bounding-box")
            self.add(box, RDF.type, DCTERMS.Location)
            self.add(box, DCAT.bbox, Literal(wkt, datatype=GSP.wktLiteral))
            self.add(dataset, DCTERMS.spatial, box)

    def temporal(self, dataset) -> None:
        period = temporal_coverage(self.out, self.config["temporal_columns"])
        if period:
            node = self.iri("temporal-coverage")
            self.add(node, RDF.type, DCTERMS.PeriodOfTime)
            self.add(node, DCAT.startDate, _date_literal(period[0]))
            self.add(node, DCAT.endDate, _date_literal(period[1]))
            self.add(dataset, DCTERMS.temporal, node)

    def distributions(self, licence) -> list[URIRef]:
        return [
            self.distribution(key, kind, self.out / path, URIRef(f"{self.base}/{url}"), title, description, licence)
            for key, kind, path, url, title, description in downloads(self.descriptor)
        ]

    def distribution(self, key, kind, path: Path, url: URIRef, title, description, licence) -> URIRef:
        node = self.iri(f"distribution-{key}")
        file_type, media_type, standard = KINDS[kind]
        self.add(node, RDF.type, DCAT.Distribution)
        self.add(node, DCTERMS.title, Literal(title, lang="en"))
        self.add(node, DCTERMS.description, Literal(description, lang="en"))
        self.add(node, DCAT.accessURL, url)
        self.add(node, DCAT.downloadURL, url)
        self.add(
            node,
            DCATAP.availability,  # the build publishes every file at the same address each time
            self.concept("planned-availability", "STABLE", SKOS.Concept, "stable"),
        )
        self.add(node, DCTERMS.license, licence)
        if file_type:
            self.add(node, DCTERMS.format, self.concept("file-type", file_type, DCTERMS.MediaTypeOrExtent))
        media = URIRef(IANA + media_type)
        self.add(media, RDF.type, DCTERMS.MediaType)
        self.add(node, DCAT.mediaType, media)
        self.add(URIRef(standard), RDF.type, DCTERMS.Standard)
        self.add(node, DCTERMS.conformsTo, URIRef(standard))
        self.add(node, DCAT.byteSize, Literal(path.stat().st_size, datatype=XSD.nonNegativeInteger))
        checksum = self.iri(f"checksum-{key}")
        self.add(checksum, RDF.type, SPDX.Checksum)
        self.add(SHA256, RDF.type, SPDX.ChecksumAlgorithm)
        self.add(checksum, SPDX.algorithm, SHA256)
        self.add(checksum, SPDX.checksumValue, Literal(sha256(path), datatype=XSD.hexBinary))
        self.add(node, SPDX.checksum, checksum)
        self.dates(node)
        return node


def catalogue_graph(out: Path, config: dict | None = None, changelog_path: Path = changelog.CHANGELOG) -> Graph:
    """The catalogue of the package built in `out` (datapackage.json, data/, GeoJSON, zip and database)."""
    return _Builder(out, config or load_config(), changelog_path).build()


def serialise(graph: Graph, fmt: str) -> bytes:
    """The catalogue in one of FORMATS' formats, the same bytes for the same graph.

    The catalogue has no blank nodes and no lists, so each format is a listing of subjects with their
    properties, written here: rdflib's own writers follow hash order (RDF/XML, JSON-LD) or cost more
    than the rest of a build of the real sources (loading the Turtle and JSON-LD plugins and writing 500
    triples: ~150 ms). The tests hold the Turtle and JSON-LD to rdflib's writers byte for byte."""
    return {"turtle": turtle, "xml": rdf_xml, "json-ld": json_ld}[fmt](graph)


def _listing(graph: Graph) -> dict[Any, list[tuple[Any, list[Any]]]]:
    """Each subject's (predicate, sorted objects): rdf:type first, then by predicate IRI (as rdflib's Turtle)."""
    subjects: dict[Any, dict[Any, list[Any]]] = {}
    for s, p, o in graph:
        subjects.setdefault(s, {}).setdefault(p, []).append(o)
    return {
        s: [(p, sorted(by_p[p])) for p in sorted(by_p, key=lambda p: (p != RDF.type, p != RDFS.label, p))]
        for s, by_p in subjects.items()
    }


def turtle(graph: Graph) -> bytes:
    """Turtle as rdflib writes it: subjects by how often they are referred to, then by IRI."""
    nm = graph.namespace_manager
    used: dict[str, str] = {}

    def pname(node, generate: bool = False) -> str | None:
        """prefix:local for an IRI in a bound namespace (a predicate's namespace gets a prefix made up)."""
        try:
            prefix, namespace, local = nm.compute_qname(node, generate=generate)
        except Exception:
            return None
        local = re.sub(r"%(?![0-9A-Fa-f]{2})", r"\\%", local.replace("(", r"\(").replace(")", r"\)"))
        if local.endswith("."):
            return None
        used[prefix] = str(namespace)
        return f"{prefix}:{local}"

    def name(node, verb: bool = False) -> str:
        if verb and node == RDF.type:
            return "a"
        if isinstance(node, Literal):  # rdflib's own literal syntax: 5 for "5"^^xsd:integer, escapes
            return node._literal_n3(use_plain=True, qname_callback=pname)
        return pname(node, generate=verb) or node.n3()

    references: dict[Any, int] = {}
    for o in graph.objects():
        references[o] = references.get(o, 0) + 1
    blocks = []
    listing = _listing(graph)
    for s in sorted(listing, key=lambda s: (references.get(s, 0), s)):
        lines = [f"{name(p, verb=True)} " + ",\n        ".join(name(o) for o in objects) for p, objects in listing[s]]
        blocks.append(f"\n{name(s)} " + " ;\n    ".join(lines) + " .\n")
    prefixes = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in sorted(used.items()))
    return (prefixes + "".join(blocks) + "\n").encode("utf-8")


def json_ld(graph: Graph) -> bytes:
    """Compacted JSON-LD with PREFIXES as its context, as rdflib writes it, with nodes and values sorted."""
    context = {p: str(ns) for p, ns in graph.namespaces() if p in PREFIXES}
    namespaces = {ns: p for p, ns in context.items()}

    def compact(iri) -> str:
        for delim in "#/:":  # where rdflib's JSON-LD context splits an IRI into namespace and name
            at = iri.rfind(delim)
            if at > -1:
                prefix = namespaces.get(iri[: at + 1])
                return f"{prefix}:{iri[at + 1 :]}" if prefix else str(iri)
        return str(iri)

    def value(o) -> Any:
        if isinstance(o, URIRef):
            return {"@id": compact(o)}
        if o.datatype in NATIVE:
            return o.toPython()
        if o.datatype is not None:
            return {"@type": compact(o.datatype), "@value": str(o)}
        return {"@language": o.language, "@value": str(o)} if o.language else str(o)

    nodes = []
    for s, properties in _listing(graph).items():
        node: dict[str, Any] = {"@id": compact(s)}
        for p, objects in properties:
            key, values = (
                ("@type", [compact(o) for o in objects]) if p == RDF.type else (compact(p), [value(o) for o in objects])
            )
            values.sort(key=lambda v: json.dumps(v, sort_keys=True))
            node[key] = values if len(values) > 1 else values[0]
        nodes.append(node)
    doc = {"@context": context, "@graph": sorted(nodes, key=lambda n: n["@id"])}
    return (json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def rdf_xml(graph: Graph) -> bytes:
    """RDF/XML with subjects and properties sorted (rdflib's own writer follows hash order).

    The catalogue has no blank nodes, so every subject is one rdf:Description with rdf:about.
    """
    nm = graph.namespace_manager
    used = {nm.compute_qname_strict(str(p))[:2] for p in set(graph.predicates())}
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<rdf:RDF"]
    namespaces = dict(sorted({**{pfx: str(ns) for pfx, ns in used}, "rdf": str(RDF)}.items()))
    lines += [f'   xmlns:{pfx}="{escape(ns)}"' for pfx, ns in namespaces.items()]
    lines[-1] += ">"
    listing = _listing(graph)
    for s in sorted(listing, key=str):
        lines.append(f'  <rdf:Description rdf:about="{escape(str(s))}">')
        for p, objects in sorted(listing[s], key=lambda po: po[0]):  # by predicate IRI, rdf:type among them
            pfx, _, local = nm.compute_qname_strict(str(p))
            tag = f"{pfx}:{local}"
            for o in objects:
                if isinstance(o, URIRef):
                    lines.append(f'    <{tag} rdf:resource="{escape(str(o))}"/>')
                    continue
                attr = (
                    f' xml:lang="{o.language}"'
                    if o.language
                    else (f' rdf:datatype="{escape(str(o.datatype))}"' if o.datatype else "")
                )
                lines.append(f"    <{tag}{attr}>{escape(str(o))}</{tag}>")
        lines.append("  </rdf:Description>")
    lines.append("</rdf:RDF>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_catalogue(out: Path, config: dict | None = None) -> list[str]:
    """Write <out>/dcat/catalogue.{ttl,rdf,jsonld}; return notes on what is missing from the config."""
    config = config or load_config()
    graph = catalogue_graph(out, config)
    (out / DCAT_DIR).mkdir(exist_ok=True)
    for name, fmt in FORMATS.items():
        (out / DCAT_DIR / name).write_bytes(serialise(graph, fmt))
    return notes(config)
