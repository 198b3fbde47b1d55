"""Properties that must hold for every input, searched by hypothesis: coordinate conversions round-trip
through pyproj, and the source reader gives back exactly the text a spreadsheet wrote, however it saved it."""

from __future__ import annotations

import csv
import io
import math
import os
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import CRS

from douzelage import geo
from douzelage.problems import Found
from douzelage.read.sources import mojibake_of, read_table, source_columns

# National grids of member countries and the pan-European ones a source may use.
PROJECTED = [
    "EPSG:3006",  # SWEREF 99 TM (Sweden)
    "EPSG:2157",  # Irish Transverse Mercator
    "EPSG:3035",  # ETRS89 / LAEA Europe
    "EPSG:25832",  # ETRS89 / UTM zone 32N (Germany, Denmark...)
    "EPSG:2180",  # Poland CS92
    "EPSG:3067",  # ETRS-TM35FIN (Finland)
    "EPSG:2100",  # Greek Grid
    "EPSG:27700",
]  # British National Grid
TOLERANCE_DEG = 0.5e-5 + 1e-9  # published positions are rounded to 5 decimals


@st.composite
def position_in(draw, crs: str) -> tuple[float, float]:
    """A (latitude, longitude) inside the area where the reference system is meant to be used."""
    area = CRS.from_user_input(crs).area_of_use
    lat = draw(st.floats(area.south, area.north, allow_nan=False))
    lon = draw(st.floats(area.west, area.east, allow_nan=False))
    return lat, lon


@st.composite
def crs_and_position(draw):
    crs = draw(st.sampled_from(PROJECTED))
    return crs, draw(position_in(crs))


@settings(max_examples=200, deadline=None)
@given(crs_and_position())
def test_a_position_converted_to_a_grid_and_back_is_the_same_to_five_decimals(case):
    crs, (lat, lon) = case
    x, y = geo.from_wgs84(crs, lat, lon)
    back_lat, back_lon = geo.to_wgs84(crs, x, y)
    assert abs(back_lat - lat) <= TOLERANCE_DEG and abs(back_lon - lon) <= TOLERANCE_DEG


@settings(max_examples=200, deadline=None)
@given(crs_and_position())
def test_grid_coordinates_survive_the_round_trip_within_a_metre(case):
    crs, (lat, lon) = case
    x, y = geo.from_wgs84(crs, lat, lon)
    x2, y2 = geo.from_wgs84(crs, *geo.to_wgs84(crs, x, y))
    assert math.hypot(x2 - x, y2 - y) < 1.0  # rounding to 1e-5 degrees is at most ~0.8 m


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PROJECTED), st.floats(), st.floats())
def test_any_grid_coordinates_give_a_position_on_earth_or_a_clear_error(crs, x, y):
    try:
        lat, lon = geo.to_wgs84(crs, x, y)
    except ValueError as e:
        assert str(e)
        return
    assert -90 <= lat <= 90 and -180 <= lon <= 180


@settings(max_examples=100, deadline=None)
@given(st.floats(-90, 90), st.floats(-180, 180), st.floats(-90, 90), st.floats(-180, 180))
def test_distances_are_symmetric_and_never_negative(lat1, lon1, lat2, lon2):
    d = geo.distance_km(lat1, lon1, lat2, lon2)
    assert d == geo.distance_km(lat2, lon2, lat1, lon1) and 0 <= d <= 20_004.0


# --- the source reader ----------------------------------------------------------------------------------

TABLE = "meeting_towns"
COLUMNS = source_columns(TABLE)
# Any text a person can type in a cell: every character but invisible controls (tab and line breaks allowed),
# but not mojibake (UTF-8 read as Latin-1 and the like: "Ã¶"), which the build refuses on purpose.
cell_text = st.text(st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from('\t\n\r",; '), max_size=20).filter(
    lambda c: mojibake_of(c) is None
)
rows_strategy = st.lists(
    st.lists(cell_text, min_size=len(COLUMNS), max_size=len(COLUMNS)).filter(lambda r: any(c.strip() for c in r)),
    max_size=6,
)


def written(rows: list[list[str]], lineterminator: str = "\n") -> str:
    """CSV as a spreadsheet writes it: a value with a comma, a quote or a line break is quoted."""

    def line(cells: list[str]) -> str:
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\r\n").writerow(cells)  # so that a lone \r is quoted too
        return out.getvalue()[:-2]

    return "".join(line(r) + lineterminator for r in [COLUMNS, *rows])


def read_back(data: bytes):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"{TABLE}.csv"
        path.write_bytes(data)
        raw, problems = read_table(TABLE, path)
        found = Found()
        rows = records(raw, found)
    assert problems == [] and found.problems == []
    return rows


def records(raw, found=None):
    """The rows as the model receives them, stripped as casting strips them: (line, {column: text})."""
    found = Found() if found is None else found
    return [(line, {h: c.strip() for h, c in zip(raw.header, cells)}) for line, cells in raw.rows(found)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_strategy)
def test_any_cell_text_written_as_csv_reads_back_as_the_trimmed_composed_text(rows):
    got = read_back(written(rows).encode("utf-8"))
    assert [list(cells.values()) for _, cells in got] == [
        [unicodedata.normalize("NFC", c.strip()) for c in row] for row in rows
    ]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_strategy, st.booleans(), st.sampled_from(["\n", "\r\n", "\r"]), st.sampled_from(["", "\n", "\r\n\r\n"]))
def test_a_byte_order_mark_line_endings_and_trailing_blank_lines_change_nothing(rows, bom, newline, tail):
    plain = read_back(written(rows).encode("utf-8"))
    varied = (b"\xef\xbb\xbf" if bom else b"") + (written(rows, newline) + tail).encode("utf-8")
    assert read_back(varied) == plain


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_strategy, st.sampled_from([" ", "  ", "\u00a0", "\t"]))
def test_spaces_around_values_change_nothing(rows, pad):
    padded = [[f"{pad}{c}{pad}" for c in row] for row in rows]
    assert read_back(written(padded).encode("utf-8")) == read_back(written(rows).encode("utf-8"))


@pytest.mark.parametrize("variant", ["bom", "crlf", "bom+crlf"])
def test_the_real_sources_read_the_same_with_a_bom_or_windows_line_endings(tmp_path, variant):
    from douzelage.layout import SOURCES
    from douzelage.read.sources import source_tables

    for table in source_tables():
        data = (SOURCES / f"{table}.csv").read_bytes()
        if "crlf" in variant:
            data = data.replace(b"\n", b"\r\n")
        if "bom" in variant:
            data = b"\xef\xbb\xbf" + data
        (tmp_path / f"{table}.csv").write_bytes(data)
        varied, original = read_table(table, tmp_path / f"{table}.csv"), read_table(table, SOURCES / f"{table}.csv")
        assert records(varied[0]) == records(original[0]) and varied[1] == original[1] == []


# --- no traceback for bad data ----------------------------------------------------------------------------

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 50))  # per file; more for a longer hunt
SPREADSHEET_NOISE = st.sampled_from(
    [
        b",",
        b";",
        b'"',
        b"\n",
        b"\r\n",
        b" ",
        b"\xef\xbb\xbf",
        b"\xf6",
        b"\x00",
        b"1,5",
        b"11/05/2018",
        "ő".encode(),
        b"",
        b"\t",
        b"x",
    ]
)


@st.composite
def damaged(draw, data: bytes) -> bytes:
    """The bytes of a real source file with a few spreadsheet-like edits at random places."""
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        cut = draw(st.integers(0, 3))
        data = data[:at] + draw(SPREADSHEET_NOISE) + data[at + cut :]
    return data


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    import shutil

    from douzelage.layout import SOURCES

    dest = tmp_path_factory.mktemp("fuzz") / "sources"
    shutil.copytree(SOURCES, dest)
    return dest


@pytest.mark.parametrize(
    "table", ["sources", "towns", "memberships", "meetings", "meeting_towns", "projects", "project_towns", "claims"]
)
def test_any_damage_to_a_source_file_gives_a_report_never_an_exception(pristine, table):
    from douzelage.pipeline import compile_model
    from douzelage.problems import DataError

    path = pristine / f"{table}.csv"
    original = path.read_bytes()
    files = {f.name for f in pristine.glob("*.csv")}
    lines = {f.name: f.read_bytes().count(b"\n") + 1 for f in pristine.glob("*.csv")}

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(damaged(original))
    def check(data):
        path.write_bytes(data)
        try:
            compile_model(pristine)
        except DataError as e:
            for p in e.problems:  # each says what (rule, message) and where: a source file, a line of it
                assert p.rule and p.message, p
                assert Path(p.file).parent == pristine and Path(p.file).name in files, p
                last = data.count(b"\n") + 1 if p.file == str(path) else lines[Path(p.file).name]
                assert p.row is None or 1 <= p.row <= last, p
        finally:
            path.write_bytes(original)

    check()
