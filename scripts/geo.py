"""Coordinates: positions in other reference systems to WGS84, and geodesic distances (pyproj)."""
from __future__ import annotations

from functools import lru_cache

from pyproj import CRS, Geod, Transformer
from pyproj.exceptions import CRSError

WGS84 = "EPSG:4326"
PRECISION = 5          # decimal places of published degrees: about 1 m
_GEOD = Geod(ellps="WGS84")


@lru_cache(maxsize=None)
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
