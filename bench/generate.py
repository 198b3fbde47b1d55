"""Synthetic sources for the benchmark: the same files and columns as sources/, at any number of towns.

Why: the real record has 30 towns; the publisher must carry every municipality of Europe (about 100,000)
and their twinnings. This writes a make-believe Europe in exactly the source format (headers from the
Table Schemas via douzelage.read.sources.source_columns), deterministic from a seed, that passes
`douzelage validate`:

- towns in 39 European countries, spread like the real municipalities (France about a third), named in
  each country's script (Latin with diacritics, Greek, Cyrillic), placed around inland anchors of their
  own country; a few Swedish towns give their position in SWEREF 99 TM (EPSG:3006) as real ones do;
- memberships that keep the Douzelage rules: only EU states and the UK, at most one member town per
  country at any date, periods that never overlap, founders in 1991, a few join years known only as a range;
- meetings (3 per town) hosted by a town that was a member that year, and attendance rows (about 17 per
  meeting) of towns that were members that year; projects with lead and partners; sources and claims.

Every URL is under the reserved .example domain and every source says it is synthetic: none of this is
a fact about a real place. Usage: python bench/generate.py --towns 1000 --out bench/data/1000/sources
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import math
import random
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.places import COUNTRIES, FIRST_YEAR, FOUNDERS, MEMBER_COUNTRIES, NAMES, TRANSLIT  # noqa: E402
from douzelage.read.sources import source_columns, source_tables  # noqa: E402

SIZES = [30, 1000, 10_000, 100_000]
SEED = 2026
FIRST, LAST = 1991, 2026
TODAY = dt.date(2026, 6, 30)  # fixed, so that "held" or "planned" does not depend on the clock
MEETINGS_PER_TOWN = 3
OTHER_KINDS = ["youth meeting", "education meeting", "music festival", "study visit", "exchange", "other"]
THEMES = [
    "Integration in European cities",
    "Active ageing",
    "Climate and the local economy",
    "Youth and democracy",
    "Rural tourism",
    "Music without borders",
    "Water",
    "Cultural heritage",
    "Sport and health",
    "Digital towns",
]
PROGRAMMES = ["Europe for Citizens", "Erasmus+", "CERV", "Comenius", "Youth in Action", "Interreg"]
_FOLD = str.maketrans(
    {
        "ß": "ss",
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "þ": "th",
        "Þ": "th",
        "ð": "d",
        "ħ": "h",
        "Ħ": "h",
        "ı": "i",
        "'": "",
    }
)


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text.translate(_FOLD)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def transliterate(text: str) -> str:
    out = "".join(TRANSLIT.get(c.lower(), c.lower()) if c.lower() in TRANSLIT else c for c in text)
    return " ".join(w[:1].upper() + w[1:] for w in out.split(" "))


def town_name(rng: random.Random, lang: str) -> tuple[str, str]:
    """(English name, native name) in the language's script."""
    first, middle, endings, prefixes = NAMES[lang]
    native = rng.choice(prefixes) + rng.choice(first) + rng.choice(middle) + rng.choice(endings)
    native = native[:1].upper() + native[1:]
    if lang in ("el", "bg", "mk", "sr", "uk", "be"):
        return transliterate(native), native
    return native, native


def allocate(n: int, rng: random.Random) -> list[str]:
    """The country of each of n towns: every member state first (when n allows), then by municipalities."""
    countries = sorted(COUNTRIES)
    weights = [COUNTRIES[c][0] for c in countries]
    fixed = list(MEMBER_COUNTRIES) if n >= len(MEMBER_COUNTRIES) else []
    total = sum(weights)
    rest = n - len(fixed)
    quotas = [rest * w / total for w in weights]
    counts = [int(q) for q in quotas]
    for i in sorted(range(len(countries)), key=lambda i: (counts[i] - quotas[i], countries[i]))[: rest - sum(counts)]:
        counts[i] += 1
    out = fixed + [c for c, k in zip(countries, counts) for _ in range(k)]
    rng.shuffle(out)
    return out


def position(rng: random.Random, code: str) -> tuple[float, float]:
    """A point around one of the country's anchors, redrawn until it lies inside the country as the build's
    own rule sees it (scripts/geo.py), so the synthetic towns pass the 'position in its country' check."""
    from douzelage.geo import km_outside_country

    _, spread, _, anchors = COUNTRIES[code]
    for attempt in range(50):
        lat0, lon0 = rng.choice(anchors)
        scale = spread if attempt < 25 else spread / 4
        dlat = max(-1.5, min(1.5, rng.gauss(0, 1))) * scale
        dlon = max(-1.5, min(1.5, rng.gauss(0, 1))) * scale / math.cos(math.radians(lat0))
        lat, lon = round(lat0 + dlat, 5), round(lon0 + dlon, 5)
        away = km_outside_country(code, [lat], [lon])
        if away is None or away[0] == 0:
            return lat, lon
    return lat0, lon0


class Writer:
    """One CSV per source table, with the header of its Table Schema; rows given as dicts."""

    def __init__(self, out: Path):
        out.mkdir(parents=True, exist_ok=True)
        self.files, self.writers, self.counts = {}, {}, {}
        for table in source_tables():
            f = open(out / f"{table}.csv", "w", encoding="utf-8", newline="")
            self.files[table], self.counts[table] = f, 0
            self.writers[table] = (csv.writer(f, lineterminator="\n"), source_columns(table))
            self.writers[table][0].writerow(source_columns(table))

    def row(self, table: str, **values) -> None:
        w, columns = self.writers[table]
        w.writerow(["" if values.get(c) is None else _text(values[c]) for c in columns])
        self.counts[table] += 1

    def close(self) -> dict[str, int]:
        for f in self.files.values():
            f.close()
        return self.counts


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def generate(n: int, out: Path, seed: int = SEED) -> dict[str, int]:
    rng = random.Random(f"{seed}-{n}")
    w = Writer(out)
    src = lambda id_, title, url, kind, lang="en", **kw: w.row(  # noqa: E731
        "sources",
        id=id_,
        title=title,
        url=url,
        kind=kind,
        language=lang,
        publisher="Synthetic benchmark data",
        note=f"Synthetic: made by bench/generate.py (seed {seed}); not a fact about any real place.",
        **kw,
    )

    _derived_sources(w)
    # Sources every row can cite: a gazetteer per country (positions), minutes per year (meetings).
    for code in sorted(COUNTRIES):
        src(
            f"gazetteer-{code.lower()}",
            f"National gazetteer of {code} (synthetic)",
            f"https://gazetteer.{code.lower()}.example/",
            "dataset",
            COUNTRIES[code][2],
            published="2024",
        )
    for year in range(FIRST, LAST + 1):
        src(
            f"minutes-{year}",
            f"Minutes of the Douzelage general meeting {year} (synthetic)",
            f"https://douzelage.example/minutes/{year}",
            "minutes",
            published=str(year),
        )

    towns = _towns(n, rng, w, src)
    members = _memberships(towns, n, rng, w)
    _meetings(towns, members, n, rng, w)
    _projects(towns, members, n, rng, w, src)
    return w.close()


def _derived_sources(w: Writer) -> None:
    """The real rows of the sources that the build's derived tables cite (countries, distances, coverage)."""
    from douzelage.derive import DERIVED_SOURCES

    cited = DERIVED_SOURCES
    with open(ROOT / "sources" / "sources.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["id"] in cited:
                w.row("sources", **row)


def _towns(n, rng, w, src) -> list[dict]:
    towns, taken = [], set()
    try:
        from pyproj import Transformer

        sweref = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)
    except ImportError:  # pragma: no cover - pyproj is a dependency of the project
        sweref = None
    from douzelage.check.rules import fold

    names_taken: set[tuple[str, str]] = set()  # one town of a name per country: no 'same town' twice
    for code in allocate(n, rng):
        lang = COUNTRIES[code][2]
        name, native = town_name(rng, lang)
        k = 2
        while (code, fold(name)) in names_taken:
            name, native = (name, native) if k > 5 else town_name(rng, lang)
            if k > 5:
                name, native = f"{name} {k}", f"{native} {k}"
            k += 1
        names_taken.add((code, fold(name)))
        base = slug(name) or "town"
        tid = base if base not in taken else f"{base}-{code.lower()}"
        k = 2
        while tid in taken:
            tid, k = f"{base}-{code.lower()}-{k}", k + 1
        taken.add(tid)
        lat, lon = position(rng, code)
        town = {"id": tid, "name": name, "native_name": native, "country": code}
        site = f"https://www.{tid}.{code.lower()}.example/"
        src(f"{tid}-website", f"{native}: official website (synthetic)", site, "municipal website", lang)
        population = int(math.exp(rng.gauss(8.3, 1.2)))
        row = dict(
            town,
            latitude=lat,
            longitude=lon,
            position_source=f"gazetteer-{code.lower()}",
            position_precision_m=rng.choice([1, 3, 30, 30, 100, 1000]),
            website=site,
            population=population,
            population_year=rng.randint(2011, 2024),
            source=f"{tid}-website",
            wikidata=f"Q{rng.randint(1000, 99_999_999)}" if rng.random() < 0.5 else None,
            geonames=rng.randint(100_000, 12_000_000) if rng.random() < 0.3 else None,
            note=f"{name} in {native}." if rng.random() < 0.1 else None,
        )
        if code == "SE" and sweref is not None and rng.random() < 0.2:
            x, y = sweref.transform(lon, lat)
            row.update(latitude=None, longitude=None, source_crs="EPSG:3006", source_x=round(x), source_y=round(y))
        w.row("towns", **row)
        if rng.random() < 0.05:  # a disputed population: both figures kept, the website's preferred
            other = int(population * rng.uniform(0.8, 1.2))
            if other != population:
                w.row(
                    "claims",
                    table_name="towns",
                    record=tid,
                    field="population",
                    value=population,
                    source=f"{tid}-website",
                    preferred=True,
                    note="The town's own figure is the newer one.",
                )
                w.row(
                    "claims",
                    table_name="towns",
                    record=tid,
                    field="population",
                    value=other,
                    source=f"gazetteer-{code.lower()}",
                    preferred=False,
                    note="Older census figure.",
                )
        towns.append(town)
    return towns


def _memberships(towns, n, rng, w) -> list[tuple[int, int, str]]:
    """Write memberships; return (joined, left, town) periods, at most one per country at any date."""
    by_country: dict[str, list[str]] = {}
    for t in towns:
        by_country.setdefault(t["country"], []).append(t["id"])
    most = 1 + int(1.5 * math.log10(max(n, 30) / 30))  # 1 at 30 towns, 6 at 100,000
    periods = []
    for code in MEMBER_COUNTRIES:
        candidates = by_country.get(code, [])
        if not candidates:
            continue
        start = FIRST_YEAR[code] + (0 if code in FOUNDERS else rng.randint(0, 3))
        k = min(len(candidates), rng.randint(max(1, most - 2), most), LAST - start + 1)
        chosen = rng.sample(candidates, k)
        changes = sorted(rng.sample(range(start + 1, LAST + 1), k - 1)) if k > 1 else []
        joins = [start] + changes
        for i, town in enumerate(chosen):
            joined = joins[i]
            left = joins[i + 1] - 1 if i + 1 < k else (None if rng.random() < 0.9 else rng.randint(joined, LAST))
            if left is not None and left < joined:
                continue
            founder = joined == 1991 and code in FOUNDERS
            row = dict(
                id=f"{town}-{joined}", town=town, joined=joined, left=left, founder=founder, source=f"minutes-{joined}"
            )
            if not founder and rng.random() < 0.1:  # the year is not stated: a range from the minutes
                earliest = max(joined - 2, start) if i == 0 else joined  # never before the previous left
                row.update(
                    id=f"{town}-unknown",
                    joined=None,
                    joined_earliest=earliest,
                    joined_latest=joined,
                    note=f"In the {joined} member list; not in the {earliest - 1} one.",
                )
            w.row("memberships", **row)
            periods.append((joined, LAST if left is None else left, town))
    return periods


def _members_by_year(periods) -> dict[int, list[str]]:
    return {y: sorted(t for a, b, t in periods if a <= y <= b) for y in range(FIRST, LAST + 1)}


def _meetings(towns, periods, n, rng, w) -> None:
    members = _members_by_year(periods)
    years = [y for y in range(FIRST, LAST + 1) if members[y]]
    weights = [len(members[y]) for y in years]
    total = MEETINGS_PER_TOWN * n
    cumulative = [sum(weights[: i + 1]) for i in range(len(weights))]
    per_year = {y: 1 for y in years}  # a general meeting every year
    for _ in range(total - len(years)):
        per_year[years[bisect.bisect(cumulative, rng.random() * cumulative[-1])]] += 1
    names = {t["id"]: t["native_name"] for t in towns}
    seq = 0
    for y in years:
        for i in range(per_year[y]):
            host = rng.choice(members[y])
            kind = "general meeting" if i == 0 else rng.choice(OTHER_KINDS)
            if i == 0:
                start = dt.date(y, 5, rng.randint(1, 25))
            else:
                start = dt.date(y, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
            end = start + dt.timedelta(days=rng.choice([0, 1, 2, 2, 3, 4]))
            seq += 1
            mid = f"{slug(kind)}-{y}-{host}-{seq}"
            held = end <= TODAY
            others = [t for t in members[y] if t != host]
            attendees = rng.sample(others, rng.randint(len(others) // 2, len(others))) if held and others else []
            source = f"minutes-{y}" if i == 0 else f"{host}-website"
            represented = len(attendees) + 1 if attendees else None
            participants = represented * rng.randint(2, 9) if represented and rng.random() < 0.7 else None
            w.row(
                "meetings",
                id=mid,
                kind=kind,
                number=y - FIRST + 1 if i == 0 else None,
                title=f"Douzelage {kind} {y}, {names[host]}",
                host=host,
                start_date=start.isoformat(),
                end_date=end.isoformat(),
                status="held" if held else "planned",
                theme=rng.choice(THEMES) if rng.random() < 0.6 else None,
                participants=participants,
                towns_represented=represented,
                funding="Europe for Citizens" if rng.random() < 0.1 else None,
                description=f"{kind.capitalize()} of the member towns in {names[host]}."
                if rng.random() < 0.5
                else None,
                source=source,
            )
            if attendees:
                w.row("meeting_towns", meeting=mid, town=host, role="host", source=source)
                for t in sorted(attendees):
                    w.row("meeting_towns", meeting=mid, town=t, role="participant", source=source)
            if participants and rng.random() < 0.02:
                w.row(
                    "claims",
                    table_name="meetings",
                    record=mid,
                    field="participants",
                    value=participants,
                    source=source,
                    preferred=True,
                    note="Figure in the body of the minutes.",
                )
                w.row(
                    "claims",
                    table_name="meetings",
                    record=mid,
                    field="participants",
                    value=participants + 10,
                    source=f"{host}-website" if i == 0 else f"minutes-{y}",
                    preferred=False,
                    note="Rounded figure in another report.",
                )


def _projects(towns, periods, n, rng, w, src) -> None:
    members = _members_by_year(periods)
    everyone = [t["id"] for t in towns]
    for i in range(max(16, n // 20)):
        start = rng.randint(1995, 2025)
        if not members[start]:
            continue
        lead = rng.choice(members[start])
        partners = set(rng.sample(members[start], min(len(members[start]), rng.randint(2, 10))))
        partners |= set(rng.sample(everyone, min(len(everyone), rng.randint(0, 3))))  # towns beyond the network
        partners.discard(lead)
        programme = rng.choice(PROGRAMMES)
        pid = f"{slug(programme)}-{start}-{lead}-{i + 1}"
        src(
            f"{pid}-report",
            f"Final report of project {i + 1} (synthetic)",
            f"https://projects.example/{pid}",
            "report",
            published=str(start),
        )
        w.row(
            "projects",
            id=pid,
            title=f"{rng.choice(THEMES)} ({programme} {start})",
            programme=programme,
            start_year=start,
            end_year=start + rng.randint(0, 4) if rng.random() < 0.8 else None,
            lead=lead,
            grant_eur=rng.randint(5, 300) * 1000 if rng.random() < 0.5 else None,
            url=f"https://projects.example/{pid}",
            source=f"{pid}-report",
        )
        w.row("project_towns", project=pid, town=lead, role="lead", source=f"{pid}-report")
        for t in sorted(partners):
            w.row("project_towns", project=pid, town=t, role="partner", source=f"{pid}-report")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--towns", type=int, required=True, help=f"number of towns, e.g. one of {SIZES}")
    p.add_argument("--out", type=Path, required=True, help="folder to write the source CSV files into")
    p.add_argument("--seed", type=int, default=SEED)
    a = p.parse_args(argv)
    counts = generate(a.towns, a.out, a.seed)
    print(f"{a.out}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
