"""Douzelage Open Data: compile hand-curated sources into a Data Package, a GeoJSON map and a Datasette site.

The pipeline runs one way, one module per stage:

    sources.py       read the hand-curated CSV files in sources/ (file, row and column of every cell)
    decoding.py      bytes to text: UTF-8, or which encoding (or spreadsheet file) it is instead
    table_schema.py  the Table Schemas in scripts/schema/: the single definition of every column
    model.py         cast the cells to typed rows and derive what follows from them (positions, distances);
                     a large file is cast by its own process from the start
    coverage.py      the coverage report: what the record still lacks, by year and by town
    rules.py         check keys, references and the rules of the domain; every problem, all at once
    package.py       write the Data Package (CSV + datapackage.json + zip)
    geojson_map.py   write the GeoJSON map
    database.py      finish the SQLite database that Datasette serves (indexes, full-text search, views)
    site_metadata.py write Datasette's metadata.json from the schemas and site/site.yaml
    dcat.py, dictionary.py, release.py   the DCAT-AP catalogue, the data dictionary, versioned releases
    publish.py       build everything in a scratch folder (two helper processes write the files while the
                     rules run), check it, then swap it in at once
    serve.py         serve the built site: Datasette in one worker process per core
    lint.py          strict lint of datapackage.json and metadata.json (unknown keys, missing names)
    cli.py           the `douzelage` command line
"""
