"""The GeoJSON map: valid for the geojson library and for GDAL's ogrinfo, RFC 7946 positions."""

import csv
import io
import json
import shutil
import subprocess

import geojson
import pytest


def test_geojson_library_finds_it_valid(package):
    fc = geojson.loads((package / "douzelage.geojson").read_text(encoding="utf-8"))
    assert fc.is_valid, fc.errors()
    assert "crs" not in fc


def test_every_town_is_a_point_at_longitude_latitude(package):
    fc = json.loads((package / "douzelage.geojson").read_text(encoding="utf-8"))
    towns = {t["id"]: t for t in csv.DictReader(io.StringIO((package / "data/towns.csv").read_text()))}
    features = {f["properties"]["id"]: f for f in fc["features"] if f["properties"]["feature"] == "town"}
    assert set(features) == set(towns)
    for tid, t in towns.items():
        if t["latitude"]:
            lon, lat = features[tid]["geometry"]["coordinates"]
            assert (lat, lon) == (float(t["latitude"]), float(t["longitude"]))
            assert len(str(lon).split(".")[-1]) <= 5


def test_meetings_are_placed_at_their_host_town(package):
    fc = json.loads((package / "douzelage.geojson").read_text(encoding="utf-8"))
    towns = {f["properties"]["id"]: f for f in fc["features"] if f["properties"]["feature"] == "town"}
    meetings = [f for f in fc["features"] if f["properties"]["feature"] == "meeting"]
    assert any(m["properties"]["host"] == "oxelosund" for m in meetings)
    for m in meetings:
        if m["properties"]["host"]:
            assert m["geometry"] == towns[m["properties"]["host"]]["geometry"]


def test_ogrinfo_reads_every_town(package):
    if not shutil.which("ogrinfo"):
        pytest.skip("ogrinfo (Debian package gdal-bin) is not installed; `make browser` installs it")
    out = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-q", str(package / "douzelage.geojson")], capture_output=True, text=True, check=True
    ).stdout
    towns = list(csv.DictReader(io.StringIO((package / "data/towns.csv").read_text(encoding="utf-8"))))
    for t in towns:
        assert f"id (String) = {t['id']}" in out
    assert out.count("feature (String) = town") == len(towns)
