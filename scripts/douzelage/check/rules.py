"""Stage 4, check: the typed model as a whole. Cell types and constraints were checked while casting
(load/); here come the rules that span rows and tables, run as SQL on the database being built so they
scale: keys, references, the rules of the Douzelage, and the claims (each checked against the table it is
about). Every problem is collected, none stops the rest.
"""

from __future__ import annotations

import datetime as dt
import difflib
import unicodedata
from collections import defaultdict
from functools import cache
from typing import NamedTuple

import pycountry

from douzelage import geo
from douzelage.descriptor import DERIVED_FIELDS, TABLES, fields, schema
from douzelage.load.cast import CastError, caster
from douzelage.load.model import Model
from douzelage.problems import Problem

LIMIT = 1000  # problems reported per check; a broken file should not flood the report
OPEN = 9999  # the "left" year of a membership that lasts
YEAR = "CAST(substr({m}.start_date, 1, 4) AS INTEGER)"  # the year of a meeting


def check(model: Model, today: dt.date | None = None) -> list[Problem]:
    today = today or dt.date.today()
    problems: list[Problem] = []
    for table in TABLES:  # source and derived tables alike
        problems += check_foreign_keys(model, table)
    problems += check_countries(model)
    problems += check_positions(model)
    problems += check_periods(model, "memberships", "joined", "left", "joined")
    problems += check_periods(model, "memberships", "joined_earliest", "joined_latest", "joined_latest")
    problems += check_periods(model, "meetings", "start_date", "end_date", "end_date")
    problems += check_periods(model, "projects", "start_year", "end_year", "end_year")
    incomplete = {t for (t,) in model.conn.execute("SELECT DISTINCT tbl FROM refused_keys")}
    # A rule that reads a table with refused rows would report their absence as further problems.
    if not incomplete & {"towns", "memberships"}:
        problems += check_membership_overlaps(model)
    if not incomplete & {"towns", "memberships", "meetings", "meeting_towns"}:
        problems += check_members_at_meetings(model)
    problems += check_future_dates(model, today)
    if "towns" not in incomplete:
        problems += check_same_town_twice(model)
    problems += check_claims(model)
    return problems


def _q(names) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _problems(model: Model, table: str, sql: str, make, params=()) -> list[Problem]:
    file = model.file(table)
    return [make(file, *row) for row in model.conn.execute(f"{sql} LIMIT {LIMIT}", params)]


def check_foreign_keys(model: Model, table: str) -> list[Problem]:
    """Every reference resolves. SQLite's own foreign_key_check finds the rows; we say it for people."""
    refs = {
        fk_id: (col, target, ref)
        for fk_id, _, target, col, ref, *_ in model.conn.execute(f'PRAGMA foreign_key_list("{table}")')
    }
    refused: dict[str, set[str]] = {}
    problems = []
    for _, rowid, _, fk_id in model.conn.execute(f'PRAGMA foreign_key_check("{table}")'):
        col, target, ref = refs[fk_id]
        if target == "countries":  # an unknown code is reported once, by check_countries
            continue
        if target not in refused:  # a row refused for a bad cell is not reported again
            refused[target] = {
                k for (k,) in model.conn.execute("SELECT key FROM refused_keys WHERE tbl = ?", (target,))
            }
        (value,) = model.conn.execute(f'SELECT "{col}" FROM "{table}" WHERE rowid = ?', (rowid,)).fetchone()
        if value in refused[target] or None in refused[target]:
            continue
        derived = table not in model.files
        problems.append(
            Problem(
                model.file(table),
                None if derived else rowid,
                col,
                value,
                "foreign-key",
                f"matches no {ref} in the {target} table",
                f"add a row with id {value} to sources/{target}.csv: it says how the build derives the {table} table"
                if derived
                else f"check the spelling, or add the row to sources/{target}.csv first",
            )
        )
        if len(problems) >= LIMIT:
            break
    return sorted(problems)


def check_countries(model: Model) -> list[Problem]:
    return [
        p
        for p in _problems(
            model,
            "towns",
            "SELECT rowid, country FROM towns ORDER BY rowid",
            lambda file, line, code: Problem(
                file,
                line,
                "country",
                code,
                "country",
                "is not an ISO 3166-1 alpha-2 country code",
                "use the two-letter code, e.g. SE for Sweden, GB for the United Kingdom",
            ),
        )
        if p.value and pycountry.countries.get(alpha_2=p.value) is None
    ]


def check_positions(model: Model) -> list[Problem]:
    file = model.file("towns")
    problems = _problems(
        model,
        "towns",
        """
        SELECT rowid FROM towns WHERE (latitude IS NULL) != (longitude IS NULL) ORDER BY rowid""",
        lambda file, line: Problem(
            file, line, "latitude", None, "position", "has only one of latitude and longitude", "give both, or neither"
        ),
    )
    problems += _problems(
        model,
        "towns",
        """
        SELECT rowid FROM towns WHERE latitude IS NOT NULL AND position_source IS NULL ORDER BY rowid""",
        lambda file, line: Problem(
            file,
            line,
            "position_source",
            None,
            "citation",
            "a position needs the source it comes from",
            "put the id of the source (sources/sources.csv) in position_source",
        ),
    )
    placed = model.conn.execute("""SELECT rowid, country, latitude, longitude FROM towns
                                   WHERE latitude IS NOT NULL AND longitude IS NOT NULL AND country IS NOT NULL
                                   ORDER BY rowid""").fetchall()
    by_country = defaultdict(list)
    for row in placed:
        by_country[row[1]].append(row)
    for country, rows in by_country.items():
        lats = [r[2] for r in rows]
        lons = [r[3] for r in rows]
        away = geo.km_outside_country(country, lats, lons)
        if away is None:
            continue  # no boundary known for this country
        swapped = geo.km_outside_country(country, lons, lats)
        for (line, _, lat, lon), km, km_swapped in zip(rows, away, swapped):
            if km <= geo.BORDER_TOLERANCE_KM:
                continue
            if km_swapped <= geo.BORDER_TOLERANCE_KM:
                problems.append(
                    Problem(
                        file,
                        line,
                        "latitude",
                        f"{lat},{lon}",
                        "swapped",
                        f"the position lies outside {country}, but inside it with latitude and longitude swapped",
                        f"swap them: latitude {lon}, longitude {lat}",
                    )
                )
            else:
                problems.append(
                    Problem(
                        file,
                        line,
                        "latitude",
                        f"{lat},{lon}",
                        "outside-country",
                        f"the position lies {km:.0f} km outside {country}",
                        "check the coordinates and the country code; decimal degrees in WGS84, latitude first",
                    )
                )
    return problems


def check_periods(model: Model, table: str, start: str, end: str, column: str) -> list[Problem]:
    sql = f"""SELECT rowid, "{start}", "{end}" FROM "{table}"
              WHERE "{start}" IS NOT NULL AND "{end}" IS NOT NULL AND "{start}" > "{end}" ORDER BY rowid"""
    return _problems(
        model,
        table,
        sql,
        lambda file, line, a, b: Problem(
            file,
            line,
            column,
            str(b),
            "order",
            f"{end} ({b}) is before {start} ({a})",
            "check both values; they may be swapped",
        ),
    )


_START = "coalesce(joined, joined_latest)"


def check_membership_overlaps(model: Model) -> list[Problem]:
    """One member town per country at any date, and a town's own periods do not overlap.

    Periods are years [joined, left): a town that leaves in 2016 may be replaced by one joining in 2016.
    """
    sql = f"""
        SELECT b.rowid, b.town, a.town, a.rowid, ta.country, a.id = b.id
        FROM memberships a JOIN towns ta ON ta.id = a.town
        JOIN towns tb ON tb.country = ta.country
        JOIN memberships b ON b.town = tb.id AND b.rowid > a.rowid
        WHERE {_START.replace("joined", "a.joined")} IS NOT NULL AND {_START.replace("joined", "b.joined")} IS NOT NULL
          AND {_START.replace("joined", "a.joined")} < coalesce(b."left", {OPEN})
          AND {_START.replace("joined", "b.joined")} < coalesce(a."left", {OPEN})
        ORDER BY b.rowid"""

    def make(file, line, town, other, other_line, country, _):
        if town == other:
            return Problem(
                file,
                line,
                "joined",
                town,
                "membership-overlap",
                f"this membership period of {town} overlaps its period on row {other_line}",
                "check the joined/left years of both rows",
            )
        return Problem(
            file,
            line,
            "town",
            town,
            "one-member-per-country",
            f"{town} and {other} (row {other_line}) would both be members for {country} at the same time",
            "the Douzelage has one member town per country: set the year the earlier town left",
        )

    return _problems(model, "memberships", sql, make)


def check_members_at_meetings(model: Model) -> list[Problem]:
    """A meeting's host, and every town that attended, was a member in the meeting's year.

    The years each town was a member are listed once (a few thousand rows even for 100,000 towns), so each
    of millions of attendance rows is one lookup. A membership with no known join year counts from the
    start; one that lasts, up to the last meeting."""
    model.conn.execute("DROP TABLE IF EXISTS temp.member_years")
    model.conn.execute(
        "CREATE TEMP TABLE member_years (town TEXT, year INTEGER, PRIMARY KEY (town, year)) WITHOUT ROWID"
    )
    model.conn.execute(f"""
        INSERT OR IGNORE INTO member_years
        WITH RECURSIVE periods(town, first, last) AS (
               SELECT town, coalesce(joined, joined_earliest, 0),
                      coalesce("left", (SELECT max({YEAR.format(m="meetings")}) FROM meetings))
               FROM memberships),
             span(town, year, last) AS (
               SELECT town, first, last FROM periods WHERE first <= last
               UNION ALL SELECT town, year + 1, last FROM span WHERE year < last)
        SELECT town, year FROM span""")
    member_then = "EXISTS (SELECT 1 FROM member_years y WHERE y.town = {town} AND y.year = " + YEAR.format(m="mt") + ")"
    # a town that is not in the towns table is reported by the references check, so not here again
    host = f"""SELECT mt.rowid, mt.host, mt.start_date FROM meetings mt
               WHERE mt.host IS NOT NULL AND mt.start_date IS NOT NULL
                 AND NOT {member_then.format(town="mt.host")}
                 AND EXISTS (SELECT 1 FROM towns t WHERE t.id = mt.host) ORDER BY mt.rowid"""
    problems = _problems(
        model,
        "meetings",
        host,
        lambda file, line, town, date: Problem(
            file,
            line,
            "host",
            town,
            "host-not-member",
            f"{town} was not a member on {date}",
            "check the host and the date, or the host's membership years in sources/memberships.csv",
        ),
    )
    attended = f"""SELECT a.rowid, a.town, mt.start_date, a.meeting
                   FROM meeting_towns a JOIN meetings mt ON mt.id = a.meeting
                   WHERE mt.start_date IS NOT NULL AND a.role != 'observer'
                     AND NOT {member_then.format(town="a.town")}
                     AND EXISTS (SELECT 1 FROM towns t WHERE t.id = a.town) ORDER BY a.rowid"""
    problems += _problems(
        model,
        "meeting_towns",
        attended,
        lambda file, line, town, date, meeting: Problem(
            file,
            line,
            "town",
            town,
            "attendee-not-member",
            f"{town} was not a member on {date}, the date of {meeting}",
            "check the town, the meeting and the town's membership years; a town that attended as a candidate or "
            "guest has the role observer",
        ),
    )
    return problems


def check_future_dates(model: Model, today: dt.date) -> list[Problem]:
    sql = """SELECT rowid, start_date FROM meetings WHERE start_date > ? AND status != 'planned' ORDER BY rowid"""
    return _problems(
        model,
        "meetings",
        sql,
        lambda file, line, date: Problem(
            file,
            line,
            "start_date",
            date,
            "future-date",
            "is in the future but the meeting is not marked planned",
            "set status to planned, or correct the date",
        ),
        (today.isoformat(),),
    )


def fold(name: str) -> str:
    """A name without case, accents or Unicode composition differences: Kőszeg, KOSZEG and Koszeg are one."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("-", " ").strip()


def check_same_town_twice(model: Model) -> list[Problem]:
    """Two ids for what looks like one town: same country, same folded name, within 10 km (or unplaced)."""
    seen: dict[tuple, list] = defaultdict(list)
    problems = []
    file = model.file("towns")
    for line, tid, name, country, lat, lon in model.conn.execute(
        "SELECT rowid, id, name, country, latitude, longitude FROM towns ORDER BY rowid"
    ):
        key = (country, fold(name))
        for other_line, other_id, olat, olon in seen[key]:
            near = None in (lat, lon, olat, olon) or geo.distance_km(lat, lon, olat, olon) <= 10
            if near and other_id != tid:
                problems.append(
                    Problem(
                        file,
                        line,
                        "name",
                        name,
                        "same-town",
                        f"looks like the same town as {other_id} (row {other_line}): "
                        "same country and the same name apart from accents, case or Unicode form",
                        "keep one row and use its id everywhere, or tell the two apart",
                    )
                )
        seen[key].append((line, tid, lat, lon))
        if len(problems) >= LIMIT:
            break
    return problems


# A claim about a town's position names the pair of columns, as "latitude,longitude".
POSITION = {"position": ("latitude", "longitude")}
KEY_SEPARATOR = "/"  # a record of a table with a composite key: its key values joined by "/"


@cache
def _field(table: str, name: str) -> dict | None:
    return next((f for f in fields(table) if f["name"] == name), None)


@cache
def _cast(table: str, name: str):
    field = _field(table, name)
    assert field is not None, f"{table}.{name} is no column"  # callers ask only for known columns
    return caster(field)


def claim_value(table: str, field: str, text: str):
    """The claim's value cast by the Table Schema of the column it is about, as a cell of that column is
    (load/cast.py caster: the same rules, messages and hints); a position is two cells. CastError if not."""
    if field not in POSITION:
        return _cast(table, field)(text)
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or "" in parts:
        raise CastError(
            "position",
            "is not a position written as latitude,longitude",
            "write the two decimal numbers separated by a comma, e.g. 58.66667,17.1",
        )
    value = []
    for column, part in zip(POSITION[field], parts):
        try:
            value.append(_cast(table, column)(part))
        except CastError as e:
            raise CastError(e.rule, f"has a {column} that {e.message}", e.hint) from None
    return tuple(value)


def _same(table: str, field: str, claimed, held) -> bool:
    """Whether the table holds the claimed value: typed values compared; a position to the 5 decimals a
    claim writes (a position the build derived from another reference system has more)."""
    if field in POSITION:
        return held is not None and all(round(h, 5) == round(c, 5) for c, h in zip(claimed, held))
    return claimed == held


def _shown(value) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return "blank" if value is None else repr(value) if isinstance(value, str) else str(value)


class Claim(NamedTuple):
    line: int  # in sources/claims.csv
    text: str  # the value as written
    value: object  # the value cast by the column's schema
    preferred: bool
    note: str | None
    held: object  # what the table holds for the fact (None for blank)
    row: int  # the table's row (its line in its source file)


def check_claims(model: Model) -> list[Problem]:
    """Claims are data, checked like data.

    A claim names a published table, an existing row of it (by its primary key) and one of its columns;
    its value is cast by that column's Table Schema, with the messages a bad cell of the table gets. For one
    fact (table, record, field) at most one claim is preferred, and the table holds that claim's value (for
    a derived column, the value the build derived); where none is preferred, the table holds one of the
    claimed values or nothing, and a note says why none is used.
    """
    file = model.file("claims")
    problems: list[Problem] = []
    refused = defaultdict(set)
    for tbl, key in model.conn.execute("SELECT tbl, key FROM refused_keys"):
        refused[tbl].add(key)
    facts: dict[tuple, list[Claim]] = defaultdict(list)  # (table, record, field) -> its claims
    for line, table, record, field, text, preferred, note in model.conn.execute(
        "SELECT rowid, table_name, record, field, value, preferred, note FROM claims ORDER BY rowid"
    ):
        key = schema(table)["primaryKey"]
        names = [f["name"] for f in fields(table) if f["name"] not in key]
        columns = POSITION.get(field) if table == "towns" else None
        if columns is None and field not in names:
            close = difflib.get_close_matches(field, names + (list(POSITION) if table == "towns" else []), n=1)
            why = (
                "is part of the key that names the record, not a fact about it"
                if field in key
                else f"is not a column of the {table} table"
            )
            problems.append(
                Problem(
                    file,
                    line,
                    "field",
                    field,
                    "claim-field",
                    why,
                    (f"did you mean {close[0]!r}? " if close else "")
                    + f"use a column of sources/{table}.csv"
                    + (", or position for latitude,longitude" if table == "towns" else ""),
                )
            )
            continue
        values = record.split(KEY_SEPARATOR)
        where = " AND ".join(f'"{k}" = ?' for k in key)
        wanted = _q(columns or [field])
        found = (
            model.conn.execute(f'SELECT rowid, {wanted} FROM "{table}" WHERE {where}', values).fetchone()
            if len(values) == len(key)
            else None
        )
        if found is None:
            # a row refused for a bad cell, or in a file read only in part, is reported already
            if ",".join(values) not in refused[table] and None not in refused[table]:
                form = KEY_SEPARATOR.join(key)
                problems.append(
                    Problem(
                        file,
                        line,
                        "record",
                        record,
                        "claim-record",
                        f"matches no row of the {table} table",
                        "check the spelling, or add the row to "
                        f"sources/{table}.csv first" + (f"; write the key as {form}" if len(key) > 1 else ""),
                    )
                )
            continue
        try:
            value = claim_value(table, field, text)
        except CastError as e:
            problems.append(Problem(file, line, "value", text, e.rule, e.message, e.hint))
            continue
        held = (None if None in found[1:] else tuple(found[1:])) if columns else found[1]
        facts[(table, record, field)].append(Claim(line, text, value, bool(preferred), note, held, found[0]))
    # a fact with a claim refused for a bad cell is not judged on the claims that are left
    if None in refused["claims"]:
        return sorted(problems)
    half_known = {tuple(k.split(",", 3)[:3]) for k in refused["claims"]}
    for (table, record, field), claims in facts.items():
        if (table, record, field) not in half_known:
            problems += _check_fact(model, file, table, record, field, claims)
    return sorted(problems)


def _check_fact(model: Model, file: str, table: str, record: str, field: str, claims: list[Claim]) -> list[Problem]:
    what = f"{field} of {table} {record}"
    preferred = [c for c in claims if c.preferred]
    first, held = claims[0], claims[0].held
    where = (
        "the build derives it (from sources/memberships.csv)"
        if field in DERIVED_FIELDS.get(table, ())
        else f"{model.file(table)}, row {first.row}"
    )
    problems = [
        Problem(
            file,
            c.line,
            "preferred",
            "true",
            "claim-preferred-twice",
            f"is a second preferred claim on the {what} (the first is row {preferred[0].line})",
            "mark only the claim whose value the table uses preferred (true), the others false",
        )
        for c in preferred[1:]
    ]
    if preferred:
        if not _same(table, field, preferred[0].value, held):
            problems.append(
                Problem(
                    file,
                    preferred[0].line,
                    "value",
                    preferred[0].text,
                    "claim-differs-from-table",
                    f"is preferred, but the table has {_shown(held)} for the {what} ({where})",
                    "make the table and the preferred claim agree, or mark the claim the table "
                    "follows preferred instead",
                )
            )
        return problems
    if held is not None and not any(_same(table, field, c.value, held) for c in claims):
        problems.append(
            Problem(
                file,
                first.line,
                "value",
                first.text,
                "claim-unclaimed-value",
                f"no claim on the {what} is preferred, and the table's value {_shown(held)} "
                f"({where}) is none of the claimed ones",
                "mark preferred the claim the table follows, add a claim with the table's value "
                "and its source, or leave the table's cell blank",
            )
        )
    if not any(c.note for c in claims):
        problems.append(
            Problem(
                file,
                first.line,
                "note",
                None,
                "claim-note",
                f"no claim on the {what} is preferred, and none says why in its note",
                "say in the note why the table uses none of the claimed values",
            )
        )
    return problems
