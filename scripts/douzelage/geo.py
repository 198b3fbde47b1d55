"""Coordinates: positions in other reference systems to WGS84, and geodesic distances (pyproj)."""

from __future__ import annotations

from functools import cache, lru_cache

from pyproj import CRS, Geod, Transformer
from pyproj.exceptions import CRSError

WGS84 = "EPSG:4326"
PRECISION = 5  # decimal places of published degrees: about 1 m
_GEOD = Geod(ellps="WGS84")


@cache
def _transformer(crs: str, inverse: bool = False) -> Transformer:
    # No "ballpark" fallback: where no real datum transformation applies, pyproj would otherwise
    # silently ignore the datum shift (about 100 m for OSGB36) instead of failing.
    source, target = (WGS84, CRS.from_user_input(crs)) if inverse else (CRS.from_user_input(crs), WGS84)
    return Transformer.from_crs(source, target, always_xy=True, allow_ballpark=False)


def to_wgs84(crs: str, x: float, y: float) -> tuple[float, float]:
    """(latitude, longitude) in WGS84 for a position (x = easting, y = northing) in `crs`.

    Raises ValueError if the CRS is unknown or the point does not convert to a finite position.
    """
    try:
        lon, lat = _transformer(crs).transform(x, y, errcheck=True)
    except CRSError as e:
        raise ValueError(f"unknown reference system {crs}") from e
    except Exception as e:  # pyproj raises ProjError for points outside the projection's domain
        raise ValueError(f"cannot convert ({x}, {y}) from {crs}: {e}") from e
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"({x}, {y}) in {crs} is not a position on Earth")
    return round(lat, PRECISION), round(lon, PRECISION)


def from_wgs84(crs: str, lat: float, lon: float) -> tuple[float, float]:
    """(x, y) in `crs` for a WGS84 position; the inverse of to_wgs84 (used by the tests)."""
    return _transformer(crs, inverse=True).transform(lon, lat, errcheck=True)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance on the WGS84 ellipsoid, in km rounded to 0.1."""
    _, _, metres = _GEOD.inv(lon1, lat1, lon2, lat2)
    return round(metres / 1000, 1)


# --- Is a position in its country? ---------------------------------------------------------------
# Country outlines come from the `countryinfo` package (GeoJSON, generalised): good enough to catch a
# town put in the wrong country or with latitude and longitude swapped, with a tolerance for generalised
# coastlines and small states. Distances are measured in ETRS89-LAEA (EPSG:3035), in metres, by the
# projection itself, written out: looking EPSG:3035 up in PROJ's database takes longer than the whole
# check of 30 towns (and gives the same numbers, as ETRS89 and WGS84 coincide at this tolerance).
BORDER_TOLERANCE_KM = 25
_LAEA = (
    "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
    "+step +proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80"
)


@cache
def _country_shape(code: str):
    import shapely
    from countryinfo import CountryInfo

    try:
        outline = CountryInfo(code).geo_json()
    except Exception:
        return None
    geoms = [shapely.geometry.shape(f["geometry"]) for f in outline.get("features", []) if f.get("geometry")]
    if not geoms:
        return None
    t = _to_laea()
    shape = shapely.transform(shapely.union_all(geoms), lambda xy: _stack(t.transform(xy[:, 0], xy[:, 1])))
    shapely.prepare(shape)
    return shape


@lru_cache(maxsize=1)
def _to_laea() -> Transformer:
    return Transformer.from_pipeline(_LAEA)


def _stack(xy):
    import numpy as np

    return np.column_stack(xy)


def km_outside_country(code: str, lats, lons):
    """For each position, its distance in km to the country's outline (0 inside); None if no outline."""
    import numpy as np
    import shapely

    shape = _country_shape(code)
    if shape is None:
        return None
    lat = np.clip(np.asarray(lats, dtype=float), -89.9, 89.9)
    lon = np.clip(np.asarray(lons, dtype=float), -180, 180)
    x, y = _to_laea().transform(lon, lat)
    points = shapely.points(x, y)
    km = shapely.distance(shape, points) / 1000
    return np.where(np.isfinite(km), km, np.inf).tolist()
