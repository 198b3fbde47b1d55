"""Douzelage Open Data: compile hand-curated sources into a Data Package, a GeoJSON map and a Datasette site.

The pipeline runs one way; pipeline.py says the order, each stage is a module with one job:

    sources/datapackage.json   the Table Schemas and package metadata, kept by hand (descriptor.py reads them)
    read/      sources.py      1. open each CSV of sources/, check its header; rows with file and line
               decoding.py        bytes to text: UTF-8, or which encoding (or spreadsheet file) it is instead
    load/      model.py        2. cast every cell into the SQLite database being built; returns problems, notices
               cast.py            a text cell to its typed value by its field, or why not, for a person
    derive.py                  3. positions, membership summary, countries, distances
    check/     rules.py        4. keys, references and the Douzelage's rules; every problem at once
               crosscheck.py      positions against GeoNames (the record tests)
               lint.py            strict lint of the sources descriptor and of what the build publishes
    report.py                  5. the coverage report, from the checked tables
    write/     package.py      6. the outputs: the Data Package (CSV, datapackage.json, zip),
               geojson_map.py     the GeoJSON map, database.py (indexes, full-text search, views),
               site_metadata.py   Datasette's metadata.json, dcat.py (DCAT-AP), dictionary.py,
               schema_org.py      schema.org JSON-LD, manifest.py (what the site reads), release.py,
               changelog.py       and CHANGELOG.md for versioned releases
    publish.py                 run the stages into a scratch folder (the writers start while the rules run),
                               then swap the new datapackage/ in at once
    serve.py                   serve the built site: Datasette in one worker process per core (reads files)
    serving/   client_limits.py   per-address limits shared by the workers; http_protocol.py bounded HTTP
               http_log.py        heads; one short log line per refusal
    cli.py, __main__.py        the `douzelage` command (`python -m douzelage --help`)
    layout.py, problems.py, files.py, parallel.py, forking.py, geo.py   paths, problems, shared helpers
"""
