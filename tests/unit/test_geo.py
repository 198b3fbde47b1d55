"""Positions given in another reference system are converted with pyproj; distances are geodesic."""

import pytest

from douzelage import geo
from douzelage.pipeline import compile_model
from douzelage.problems import DataError


def test_sweref99_tm_converts_to_wgs84():
    # Oxelösund's centre expressed in SWEREF 99 TM (EPSG:3006), computed independently with the inverse
    x, y = geo.from_wgs84("EPSG:3006", 58.66667, 17.11667)
    assert geo.to_wgs84("EPSG:3006", x, y) == pytest.approx((58.66667, 17.11667), abs=1e-5)
    assert 600_000 < x < 650_000 and 6_500_000 < y < 6_550_000


def test_irish_itm_converts_to_wgs84():
    x, y = geo.from_wgs84("EPSG:2157", 54.47528, -8.28389)  # Bundoran in Irish Transverse Mercator
    assert geo.to_wgs84("EPSG:2157", x, y) == pytest.approx((54.47528, -8.28389), abs=1e-5)


def test_an_unknown_reference_system_is_an_error():
    with pytest.raises(ValueError, match="unknown reference system"):
        geo.to_wgs84("EPSG:999999", 1, 2)


def haversine_km(lat1, lon1, lat2, lon2, radius=6371.0088):
    from math import asin, cos, radians, sin, sqrt

    p1, p2, dp, dl = radians(lat1), radians(lat2), radians(lat2 - lat1), radians(lon2 - lon1)
    return 2 * radius * asin(sqrt(sin(dp / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2))


@pytest.mark.parametrize(
    "a, b",
    [
        ((48.8375, -1.59389), (50.94694, -2.51722)),  # Granville - Sherborne
        ((58.66667, 17.11667), (34.91667, 33.01667)),
    ],
)  # Oxelösund - Agros
def test_geodesic_distance_agrees_with_the_spherical_formula_within_half_a_percent(a, b):
    assert geo.distance_km(*a, *b) == pytest.approx(haversine_km(*a, *b), rel=0.005)


def test_a_source_row_with_a_projected_position_gets_latitude_and_longitude(sources_copy, tmp_path):
    towns = sources_copy / "towns.csv"
    lines = towns.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    i = next(n for n, line in enumerate(lines) if line.startswith("oxelosund,"))
    import csv
    import io

    row = next(csv.reader(io.StringIO(lines[i])))
    x, y = geo.from_wgs84("EPSG:3006", 58.66667, 17.11667)
    for col, val in {
        "latitude": "",
        "longitude": "",
        "source_crs": "EPSG:3006",
        "source_x": f"{x:.2f}",
        "source_y": f"{y:.2f}",
    }.items():
        row[header.index(col)] = val
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(row)
    lines[i] = out.getvalue()
    towns.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = compile_model(sources_copy, tmp_path / "db.sqlite").model
    t = model.rows("towns", "id = ?", ("oxelosund",))[0]
    assert (t["latitude"], t["longitude"]) == pytest.approx((58.66667, 17.11667), abs=1e-5)


def test_a_half_given_projected_position_is_refused(sources_copy, tmp_path):
    towns = sources_copy / "towns.csv"
    text = towns.read_text(encoding="utf-8")
    header = text.splitlines()[0].split(",")
    assert header.index("source_crs") + 1 == header.index("source_x")
    lines = text.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("oxelosund,"))
    import csv
    import io

    row = next(csv.reader(io.StringIO(lines[i])))
    row[header.index("source_crs")] = "EPSG:3006"
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(row)
    lines[i] = out.getvalue()
    towns.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        compile_model(sources_copy, tmp_path / "db.sqlite")
    assert [(p.file.rsplit("/", 1)[-1], p.row, p.column, p.rule) for p in e.value.problems] == [
        ("towns.csv", i + 1, "source_crs", "position")
    ]
