"""Stage 6, write: the outputs, each from the checked database: the Data Package (package.py), the GeoJSON map,
the served database's indexes and views, Datasette's metadata.json, the DCAT-AP catalogue, the data dictionary,
schema.org JSON-LD, and versioned releases."""
