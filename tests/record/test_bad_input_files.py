"""Every way a person can break a source file, one fixture each, and the message that must say so.

Each case copies the real sources, applies one small file from tests/bad_inputs/ (see its README for how),
and asserts that the build refuses it with the right file, row, column, rule, message and hint — and
that it raises DataError (a report), never another exception (a traceback).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

from douzelage.descriptor import schema
from douzelage.pipeline import compile_model
from douzelage.problems import DataError

FIXTURES = Path(__file__).parents[1] / "bad_inputs"


def line_of(path: Path, start: str) -> int:
    """The line of a file that starts with `start` (the header is line 1)."""
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if line.startswith(start))


def apply_fixture(fixture: Path, sources: Path) -> int | None:
    """Apply one fixture to the sources folder; return the line of the first row it changed, if any."""
    target = sources / f"{fixture.parent.name}.csv"
    mode = fixture.name.split(".")[-2] if fixture.name.count(".") > 1 else "file"
    if mode == "file":
        target.write_bytes(fixture.read_bytes())
        return None
    lines = target.read_bytes().decode("utf-8").split("\n")
    new = fixture.read_bytes().decode("utf-8").rstrip("\n").split("\n")[1:]
    if mode == "append":
        text = "\n".join(lines).rstrip("\n")
        target.write_bytes((text + "\n" + "\n".join(new) + "\n").encode("utf-8"))
        return text.count("\n") + 2
    if mode == "lines":
        found = None
        for raw in new:
            key = re.split(r"[,;\t]", raw, maxsplit=1)[0].strip() + ","
            i = next(i for i, line in enumerate(lines) if line.startswith(key))
            lines[i] = raw
            found = found or i + 1
        target.write_bytes("\n".join(lines).encode("utf-8"))
        return found
    assert mode == "cells", fixture
    return _apply_cells(fixture, target)


def _apply_cells(fixture: Path, target: Path) -> int:
    key = schema(target.stem)["primaryKey"]
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))
    header = rows[0]
    changes = list(csv.DictReader(io.StringIO(fixture.read_text(encoding="utf-8"), newline="")))
    first = None
    for change in changes:
        match = [i for i, r in enumerate(rows[1:], 1) if [r[header.index(k)] for k in key] == [change[k] for k in key]]
        if match:
            i = match[0]
        else:
            rows.append([""] * len(header))
            i = len(rows) - 1
        for column, value in change.items():
            rows[i][header.index(column)] = value
        first = first or i + 1
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    target.write_text(out.getvalue(), encoding="utf-8")
    return first


def problems_for(fixture: str, sources: Path) -> tuple[list, int | None]:
    path = FIXTURES / fixture
    assert path.exists(), path
    line = apply_fixture(path, sources)
    with pytest.raises(DataError) as e:
        compile_model(sources)
    return e.value.problems, line


# fixture, row ("@" = the row the fixture changed), column, rule, words of the message, words of the hint
CASES = [
    # the file as a whole
    (
        "towns/windows-1252.csv",
        2,
        None,
        "encoding",
        "probably Windows-1252 (Western European), in which this line reads …oxelosund,Oxelösund,Oxelösund",
        "iconv -f CP1252 -t UTF-8",
    ),
    (
        "towns/windows-1250.csv",
        2,
        None,
        "encoding",
        "probably Windows-1250 (Central European), in which this line reads …koszeg,Kőszeg,Kőszeg",
        "CSV UTF-8",
    ),
    (
        "towns/utf-8-with-a-stray-byte.csv",
        2,
        None,
        "encoding",
        "byte 0xe4 on line 2, column 183 cannot be read",
        "save the file as UTF-8; do not convert the whole file",
    ),
    ("towns/utf-16.csv", None, None, "encoding", "UTF-16", "CSV UTF-8"),
    ("towns/utf-16-without-bom.csv", None, None, "encoding", "UTF-16 without a byte-order mark", "CSV UTF-8"),
    ("towns/excel-workbook.csv", None, None, "not-csv", "Excel workbook", "CSV UTF-8"),
    ("towns/semicolons.csv", 1, None, "delimiter", "separated by semicolons", "CSV UTF-8"),
    ("towns/tabs.csv", 1, None, "delimiter", "separated by tabs", "by commas"),
    ("towns/sep-line.csv", 1, None, "spreadsheet-sep-line", "'sep=' line", "delete the first line"),
    ("towns/empty.csv", None, None, "empty-file", "is empty", "id,name,native_name"),
    ("towns/only-blank-lines.csv", None, None, "empty-file", "is empty", "git checkout"),
    ("towns/missing-column.csv", 1, "wikidata", "missing-column", "missing from the header", "add the column"),
    (
        "towns/misspelt-column.csv",
        1,
        "lattitude",
        "renamed-column",
        "looks like 'latitude'",
        "rename the column to 'latitude'",
    ),
    ("towns/capitalised-column.csv", 1, "Longitude", "renamed-column", "looks like 'longitude'", "'longitude'"),
    ("towns/extra-column.csv", 1, "mayor", "unknown-column", "is not a column of towns", "remove the column"),
    ("towns/derived-column.csv", 1, "status", "derived-column", "computed by the build", "memberships.csv"),
    ("towns/duplicate-column.csv", 1, "note", "duplicate-column", "appears twice", "keep one"),
    (
        "towns/empty-column-name.csv",
        1,
        None,
        "empty-column-name",
        "column 19 of the header has no name",
        "comma at the end",
    ),
    # broken CSV syntax on one line
    ("towns/decimal-comma-unquoted.lines.csv", "@", "latitude", "decimal-comma", "split it in two", "write 58.66667"),
    (
        "towns/thousands-separator-unquoted.lines.csv",
        "@",
        "population",
        "thousands-separator",
        "split it in two",
        "write 10870",
    ),
    ("towns/unclosed-quote.lines.csv", "@", None, "quotes", "never closed", 'closing "'),
    ("towns/stray-quote.lines.csv", "@", None, "quotes", "misplaced", 'write each quote inside it as ""'),
    (
        "towns/one-row-with-semicolons.lines.csv",
        "@",
        None,
        "delimiter",
        "this row is separated by semicolons",
        "by commas",
    ),
    (
        "towns/too-few-cells.lines.csv",
        "@",
        None,
        "row-length",
        "17 cells but the header has 18",
        "missing or extra comma",
    ),
    (
        "towns/control-character.lines.csv",
        "@",
        "native_name",
        "control-character",
        "invisible control character",
        "retype",
    ),
    (
        "towns/mojibake-latin-1.cells.csv",
        "@",
        "native_name",
        "mojibake",
        "UTF-8 read as Windows-1252",
        "write 'Oxelösund'",
    ),
    ("towns/mojibake-latin-2.cells.csv", "@", "name", "mojibake", "UTF-8 read as Latin-2", "write 'Oxelösund'"),
    (
        "meetings/mojibake-in-title.cells.csv",
        "@",
        "title",
        "mojibake",
        "it would read 'Douzelage education meeting at the Café européen'",
        "save it as UTF-8",
    ),
    ("towns/duplicate-id.append.csv", "@", "id", "primary-key", "repeats the key", "own id"),
    # one cell
    ("towns/decimal-comma-quoted.cells.csv", "@", "latitude", "decimal-comma", "decimal comma", "58.66667"),
    (
        "towns/thousands-separator-space.cells.csv",
        "@",
        "population",
        "thousands-separator",
        "thousands separator",
        "10870",
    ),
    ("towns/degrees-minutes.cells.csv", "@", "latitude", "degrees-minutes", "degrees, minutes", "write 58.66667"),
    ("towns/latitude-above-90.cells.csv", "@", "latitude", "maximum", "above the maximum 90", "at most 90"),
    ("towns/longitude-in-latitude.cells.csv", "@", "latitude", "maximum", "above the maximum 90", "swapped"),
    ("towns/country-lowercase.cells.csv", "@", "country", "pattern", "expected form", "SE"),
    ("towns/country-name.cells.csv", "@", "country", "pattern", "expected form", "SE for Sweden"),
    ("towns/website-without-scheme.cells.csv", "@", "website", "pattern", "expected form", "https://www.oxelosund.se"),
    ("towns/website-without-host.cells.csv", "@", "website", "uri", "absolute web address", "full address"),
    ("towns/wikidata-as-url.cells.csv", "@", "wikidata", "pattern", "expected form", "Q499387"),
    ("towns/epsg-without-prefix.cells.csv", "@", "source_crs", "pattern", "expected form", "EPSG:3006"),
    ("towns/population-negative.cells.csv", "@", "population", "minimum", "below the minimum 0", "at least 0"),
    ("towns/population-as-decimal.cells.csv", "@", "population", "type", "not a whole number", "write 10870"),
    ("towns/name-empty.cells.csv", "@", "name", "required", "required but empty", "fill in the name"),
    ("towns/number-too-large.cells.csv", "@", "source_x", "type", "too large", "check"),
    (
        "towns/source-unknown.cells.csv",
        "@",
        "source",
        "foreign-key",
        "matches no id in the sources table",
        "check the spelling",
    ),
    (
        "meetings/date-day-month-ambiguous.cells.csv",
        "@",
        "start_date",
        "date-format",
        "ambiguous",
        "2018-05-11 (day first) or 2018-11-05 (month first)",
    ),
    ("meetings/date-day-month-unambiguous.cells.csv", "@", "end_date", "date-format", "local format", "2024-04-14"),
    ("meetings/date-two-digit-year.cells.csv", "@", "start_date", "date-format", "two-digit year", "YYYY-MM-DD"),
    ("meetings/date-impossible.cells.csv", "@", "start_date", "type", "not a real calendar date", "day"),
    ("meetings/date-with-time.cells.csv", "@", "start_date", "date-format", "time of day", "write 2018-05-11"),
    ("meetings/date-spreadsheet-serial.cells.csv", "@", "start_date", "date-format", "serial number", "as text"),
    (
        "meetings/kind-misspelt.cells.csv",
        "@",
        "kind",
        "enum",
        "not one of the allowed values",
        "did you mean 'general meeting'?",
    ),
    (
        "meetings/status-capitalised.cells.csv",
        "@",
        "status",
        "enum",
        "not one of the allowed values",
        "did you mean 'held'?",
    ),
    ("meetings/end-before-start.cells.csv", "@", "end_date", "order", "is before", "swapped"),
    (
        "meetings/host-unknown.cells.csv",
        "@",
        "host",
        "foreign-key",
        "matches no id in the towns table",
        "sources/towns.csv",
    ),
    ("meetings/report-url-relative.cells.csv", "@", "report_url", "pattern", "expected form", "https://"),
    (
        "meetings/participants-thousands-separator.cells.csv",
        "@",
        "participants",
        "thousands-separator",
        "thousands separator",
        "1140",
    ),
    ("memberships/founder-yes.cells.csv", "@", "founder", "type", "not true or false", "true or false"),
    ("memberships/founder-localised-boolean.cells.csv", "@", "founder", "type", "localised boolean", "true or false"),
    ("memberships/year-two-digits.cells.csv", "@", "joined", "type", "not a year", "four digits"),
    ("memberships/year-as-decimal.cells.csv", "@", "joined", "type", "formatted it as a decimal", "write 1998"),
    ("memberships/year-uncertain.cells.csv", "@", "joined", "type", "not a plain year", "joined_earliest"),
    ("memberships/left-before-joined.cells.csv", "@", "joined", "order", "before", "swapped"),
    ("memberships/town-as-name.cells.csv", "@", "town", "pattern", "expected form", "oxelosund"),
    ("memberships/joined-range-reversed.cells.csv", "@", "joined_latest", "order", "before", "swapped"),
    ("sources/url-relative.cells.csv", "@", "url", "pattern", "expected form", "starting with https://"),
    (
        "sources/url-scheme-relative.cells.csv",
        "@",
        "url",
        "pattern",
        "expected form",
        "https://en.wikipedia.org/wiki/Douzelage",
    ),
    ("sources/language-name.cells.csv", "@", "language", "pattern", "expected form", "en for English"),
    ("sources/published-local-date.cells.csv", "@", "published", "pattern", "expected form", "YYYY-MM-DD"),
    ("sources/kind-unknown.cells.csv", "@", "kind", "enum", "not one of the allowed values", "encyclopedia"),
    ("meeting_towns/role-unknown.cells.csv", "@", "role", "enum", "not one of the allowed values", "host, participant"),
    # claims are data: about a row and a column that exist, a value of that column, in step with the table
    (
        "claims/table-not-published.append.csv",
        "@",
        "table_name",
        "enum",
        "not one of the allowed values",
        "did you mean 'towns'?",
    ),
    (
        "claims/record-unknown.append.csv",
        "@",
        "record",
        "claim-record",
        "matches no row of the towns table",
        "check the spelling",
    ),
    (
        "claims/record-half-of-a-composite-key.append.csv",
        "@",
        "record",
        "claim-record",
        "matches no row of the meeting_towns table",
        "write the key as meeting/town",
    ),
    (
        "claims/field-unknown.append.csv",
        "@",
        "field",
        "claim-field",
        "is not a column of the towns table",
        "use a column of sources/towns.csv",
    ),
    (
        "claims/value-impossible-date.append.csv",
        "@",
        "value",
        "type",
        "is not a real calendar date",
        "check the day and month",
    ),
    ("claims/value-negative-count.append.csv", "@", "value", "minimum", "is below the minimum 0", "must be at least 0"),
    (
        "claims/value-position-malformed.append.csv",
        "@",
        "value",
        "position",
        "latitude,longitude",
        "separated by a comma",
    ),
    (
        "claims/two-preferred.cells.csv",
        "@",
        "preferred",
        "claim-preferred-twice",
        "second preferred claim on the participants of meetings general-meeting-2018-oxelosund",
        "mark only",
    ),
    (
        "claims/preferred-differs-from-table.cells.csv",
        "@",
        "value",
        "claim-differs-from-table",
        "is preferred, but the table has 34 for the number of meetings general-meeting-2009-altea (",
        "agree",
    ),
    (
        "claims/preferred-differs-from-derived-value.append.csv",
        "@",
        "value",
        "claim-differs-from-table",
        "the table has 1998 for the joined of towns oxelosund (the build derives it",
        "agree",
    ),
    (
        "claims/none-preferred-table-value-not-claimed.append.csv",
        "@",
        "value",
        "claim-unclaimed-value",
        "the table's value 10870 (",
        "leave the table's cell blank",
    ),
    (
        "claims/none-preferred-without-a-note.append.csv",
        "@",
        "note",
        "claim-note",
        "none says why in its note",
        "say in the note why",
    ),
]


class Row(NamedTuple):
    """The line of a source file's first row with these cells, read after the fixture is applied."""

    table: str
    column: str
    value: str

    def line(self, sources: Path) -> int:
        with (sources / f"{self.table}.csv").open(encoding="utf-8", newline="") as f:
            return next(i for i, r in enumerate(csv.DictReader(f), 2) if r[self.column] == self.value)


class Expect(NamedTuple):
    """One problem a fixture must cause: file, row ("@" = the row the fixture changed, or a Row), column,
    value and rule exactly; words of the message ({} filled by the lines of `refs`) and of the hint."""

    file: str
    row: int | str | Row | None
    column: str | None
    value: str | None
    rule: str
    message: str
    hint: str
    refs: tuple[Row, ...] = ()


# The rules of the domain (check/rules.py): each fixture causes exactly these problems, no other.
DOMAIN_CASES = [
    (
        "towns/two-members-of-one-country.cells.csv",  # Meerssen moved to Sweden: two members for SE
        [
            Expect(
                "memberships.csv",
                Row("memberships", "town", "oxelosund"),
                "town",
                "oxelosund",
                "one-member-per-country",
                "oxelosund and meerssen (row {}) would both be members for SE at the same time",
                "one member town per country: set the year the earlier town left",
                (Row("memberships", "town", "meerssen"),),
            ),
            Expect(
                "towns.csv",
                "@",
                "latitude",
                "50.88333,5.75",
                "outside-country",
                "km outside SE",
                "check the coordinates and the country code",
            ),
        ],
    ),
    (
        "memberships/overlapping-periods.cells.csv",
        [
            Expect(
                "memberships.csv",
                "@",
                "joined",
                "karkkila",
                "membership-overlap",
                "this membership period of karkkila overlaps its period on row {}",
                "check the joined/left years of both rows",
                (Row("memberships", "id", "karkkila-1997"),),
            )
        ],
    ),
    (
        "meetings/host-not-yet-member.cells.csv",
        [
            Expect(
                "meetings.csv",
                "@",
                "host",
                "rovinj",
                "host-not-member",
                "rovinj was not a member on 2014-04-24",
                "check the host and the date, or the host's membership years in sources/memberships.csv",
            )
        ],
    ),
    (
        "meetings/host-former-member.cells.csv",
        [
            Expect(
                "meetings.csv",
                "@",
                "host",
                "karkkila",
                "host-not-member",
                "karkkila was not a member on 2018-05-11",
                "the host's membership years",
            )
        ],
    ),
    (
        "meeting_towns/attendee-not-member.cells.csv",
        [
            Expect(
                "meeting_towns.csv",
                "@",
                "town",
                "rovinj",
                "attendee-not-member",
                "rovinj was not a member on 2014-04-24, the date of general-meeting-2014-sigulda",
                "a town that attended as a candidate or guest has the role observer",
            )
        ],
    ),
    (
        "meetings/held-in-the-future.cells.csv",
        [
            Expect(
                "meetings.csv",
                "@",
                "start_date",
                "2099-04-11",
                "future-date",
                "is in the future but the meeting is not marked planned",
                "set status to planned, or correct the date",
            )
        ],
    ),
    (
        "towns/position-outside-country.cells.csv",
        [
            Expect(
                "towns.csv",
                "@",
                "latitude",
                "48.85661,2.35222",
                "outside-country",
                "the position lies 1023 km outside SE",
                "decimal degrees in WGS84, latitude first",
            )
        ],
    ),
    (
        "towns/latitude-longitude-swapped.cells.csv",
        [
            Expect(
                "towns.csv",
                "@",
                "latitude",
                "17.11667,58.66667",
                "swapped",
                "the position lies outside SE, but inside it with latitude and longitude swapped",
                "swap them: latitude 58.66667, longitude 17.11667",
            )
        ],
    ),
    (
        "towns/near-duplicate-name.cells.csv",
        [
            Expect(
                "towns.csv",
                "@",
                "name",
                "Koszeg",
                "same-town",
                "looks like the same town as koszeg (row {}): same country and the same name apart from accents",
                "keep one row and use its id everywhere, or tell the two apart",
                (Row("towns", "id", "koszeg"),),
            )
        ],
    ),
    (
        "towns/decomposed-duplicate-name.cells.csv",  # the value is reported composed (NFC), as stored
        [
            Expect(
                "towns.csv",
                "@",
                "name",
                "K\u0151szeg",
                "same-town",
                "looks like the same town as koszeg (row {})",
                "keep one row",
                (Row("towns", "id", "koszeg"),),
            )
        ],
    ),
]


def _describe(problems) -> str:
    return "\n".join(
        f"  {p.file} row={p.row} column={p.column} rule={p.rule}: {p.message} | {p.hint}" for p in problems
    )


@pytest.mark.parametrize("fixture, row, column, rule, message, hint", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_reported_with_file_row_column_rule_and_hint(
    sources_copy, fixture, row, column, rule, message, hint
):
    problems, changed = problems_for(fixture, sources_copy)
    expected_row = changed if row == "@" else row
    file = f"{fixture.split('/')[0]}.csv"
    matching = [
        p
        for p in problems
        if Path(p.file).name == file and p.row == expected_row and p.column == column and p.rule == rule
    ]
    assert matching, f"no {rule} problem at row {expected_row}, column {column} of {file}; got:\n" + _describe(problems)
    assert any(message in p.message and hint in p.hint for p in matching), _describe(matching)


# Lines the reader cannot read as a row: the row is refused there, and nothing that refers to it (claims,
# attendance, memberships) is reported again; past a broken quote, what the file holds is unknown.
UNREADABLE_LINES = [c for c in CASES if c[0].endswith(".lines.csv")]


@pytest.mark.parametrize(
    "fixture, row, column, rule, message, hint", UNREADABLE_LINES, ids=[c[0] for c in UNREADABLE_LINES]
)
def test_a_line_that_is_not_a_row_is_reported_once_with_no_echo_in_other_files(
    sources_copy, fixture, row, column, rule, message, hint
):
    problems, changed = problems_for(fixture, sources_copy)
    assert [(Path(p.file).name, p.row, p.column, p.rule) for p in problems] == [
        (f"{fixture.split('/')[0]}.csv", changed, column, rule)
    ], _describe(problems)


@pytest.mark.parametrize("fixture, expected", DOMAIN_CASES, ids=[c[0] for c in DOMAIN_CASES])
def test_a_broken_rule_of_the_domain_is_reported_at_its_file_row_column_and_rule(sources_copy, fixture, expected):
    problems, changed = problems_for(fixture, sources_copy)

    def row(e: Expect) -> int | None:
        return changed if e.row == "@" else e.row.line(sources_copy) if isinstance(e.row, Row) else e.row

    where = [(Path(p.file).name, p.row, p.column, p.rule) for p in problems]
    assert where == [(e.file, row(e), e.column, e.rule) for e in expected], _describe(problems)
    for p, e in zip(problems, expected):
        assert p.value == e.value, _describe([p])
        assert e.message.format(*(r.line(sources_copy) for r in e.refs)) in p.message, _describe([p])
        assert e.hint in p.hint, _describe([p])


@pytest.mark.parametrize(
    "cell", ["meetings/date-impossible.cells.csv", "meetings/participants-thousands-separator.cells.csv"]
)
def test_a_bad_claim_value_gets_the_message_a_bad_cell_of_its_column_gets(tmp_path, cell):
    """The claim's value is cast by the Table Schema of the column it is about, not by a second set of rules:
    the same text, as a cell of meetings.csv and as a claim on that column, gets the same rule, words and hint."""
    from douzelage.layout import SOURCES

    [change] = csv.DictReader(io.StringIO((FIXTURES / cell).read_text(encoding="utf-8")))
    column = next(c for c in change if c != "id")
    claim = tmp_path / "fixtures" / "claims" / "same-text.append.csv"
    claim.parent.mkdir(parents=True)
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(
        [
            ["table_name", "record", "field", "value", "source", "preferred", "note"],
            ["meetings", change["id"], column, change[column], "wikipedia-en-douzelage", "false", "The same text."],
        ]
    )
    claim.write_text(out.getvalue(), encoding="utf-8")
    said = []
    for i, fixture in enumerate([FIXTURES / cell, claim]):
        folder = tmp_path / str(i)
        shutil.copytree(SOURCES, folder)
        apply_fixture(fixture, folder)
        with pytest.raises(DataError) as e:
            compile_model(folder)
        [p] = e.value.problems
        assert p.column == (column if i == 0 else "value")
        said.append((p.rule, p.message, p.hint))
    assert said[0] == said[1]


def test_every_fixture_file_has_a_case():
    named = {c[0] for c in CASES} | {c[0] for c in DOMAIN_CASES} | set(NORMALISED)
    files = {str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*.csv")}
    assert files == named


def test_there_are_at_least_forty_bad_input_cases():
    assert len(CASES) >= 40


# Accepted and normalised: the build succeeds and the result is as if the file had been clean.
NORMALISED = ["towns/spaces-around-values.lines.csv", "towns/decomposed-unicode.cells.csv"]


def test_spaces_around_values_are_trimmed_with_a_notice(sources_copy, tmp_path):
    clean = compile_model(sources_copy).model["towns"].rows
    apply_fixture(FIXTURES / NORMALISED[0], sources_copy)
    compiled = compile_model(sources_copy)
    model = compiled.model
    ox = next(r for r in model["towns"].rows if r["id"] == "oxelosund")
    assert ox["name"] == "Oxelösund" and ox["latitude"] == 58.66667 and ox["website"] == "https://www.oxelosund.se"
    assert [r for r in model["towns"].rows if r["id"] != "oxelosund"] == [r for r in clean if r["id"] != "oxelosund"]
    assert [n.rule for n in compiled.notices] == ["trimmed-spaces"]


def test_decomposed_unicode_is_stored_composed_with_a_notice(sources_copy):
    import unicodedata

    line = apply_fixture(FIXTURES / NORMALISED[1], sources_copy)
    assert unicodedata.normalize("NFD", "Kőszeg") in (sources_copy / "towns.csv").read_text(encoding="utf-8")
    compiled = compile_model(sources_copy)
    model = compiled.model
    koszeg = next(r for r in model["towns"].rows if r["id"] == "koszeg")
    assert koszeg["native_name"] == "Kőszeg" == unicodedata.normalize("NFC", koszeg["native_name"])
    found = compiled.notices
    assert [(n.rule, n.row, n.column, n.value) for n in found] == [("unicode-nfc", line, "native_name", "Kőszeg")]


@pytest.mark.parametrize("what", ["missing", "a folder"])
def test_a_missing_source_file_is_named_with_its_header(sources_copy, what):
    (sources_copy / "projects.csv").unlink()
    if what == "a folder":
        (sources_copy / "projects.csv").mkdir()
    with pytest.raises(DataError) as e:
        compile_model(sources_copy)
    rule = "missing-file" if what == "missing" else "not-a-file"
    assert [(Path(p.file).name, p.row, p.column, p.rule) for p in e.value.problems] == [
        ("projects.csv", None, None, rule)
    ], "the file alone, and no echo in project_towns.csv or claims.csv"
    [p] = e.value.problems
    assert ("id,title,programme" if what == "missing" else "replace it by the CSV file projects.csv") in p.hint


def test_every_problem_of_every_file_is_reported_in_one_run(sources_copy):
    lines = {
        fixture: apply_fixture(FIXTURES / fixture, sources_copy)
        for fixture in [
            "meetings/date-day-month-ambiguous.cells.csv",
            "memberships/founder-yes.cells.csv",
            "sources/url-relative.cells.csv",
            "towns/latitude-above-90.cells.csv",
        ]
    }
    shutil.copy(FIXTURES / "meeting_towns/role-unknown.cells.csv", sources_copy / "_unused.csv")  # not a source
    with pytest.raises(DataError) as e:
        compile_model(sources_copy)
    assert [(Path(p.file).name, p.row, p.column, p.rule) for p in e.value.problems] == [
        ("meetings.csv", lines["meetings/date-day-month-ambiguous.cells.csv"], "start_date", "date-format"),
        ("memberships.csv", lines["memberships/founder-yes.cells.csv"], "founder", "type"),
        ("sources.csv", lines["sources/url-relative.cells.csv"], "url", "pattern"),
        ("towns.csv", lines["towns/latitude-above-90.cells.csv"], "latitude", "maximum"),
    ]


def test_columns_in_another_order_are_read_by_name(sources_copy):
    clean = compile_model(sources_copy).model
    path = sources_copy / "memberships.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows([list(reversed(r)) for r in rows])
    path.write_text(out.getvalue(), encoding="utf-8")
    assert compile_model(sources_copy).model["memberships"].rows == clean["memberships"].rows


def test_blank_lines_between_rows_are_skipped_and_rows_keep_their_own_line_numbers(sources_copy):
    path = sources_copy / "meetings.csv"
    changed = apply_fixture(FIXTURES / "meetings/kind-misspelt.cells.csv", sources_copy)
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[1:1] = ["", ",,,,", "   "]
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DataError) as e:
        compile_model(sources_copy)
    assert [(Path(p.file).name, p.row, p.column, p.rule) for p in e.value.problems] == [
        ("meetings.csv", changed + 3, "kind", "enum")
    ]


def test_a_claim_on_a_table_with_a_two_column_key_names_its_row_by_both_values(sources_copy):
    with open(sources_copy / "claims.csv", "a", encoding="utf-8") as f:
        f.write(
            "meeting_towns,general-meeting-2018-oxelosund/oxelosund,role,host,oxelosund-se-douzelage-2018-sv,true,"
            "The host municipality's page.\n"
        )
    model = compile_model(sources_copy).model
    assert [c["record"] for c in model.rows("claims", "table_name = 'meeting_towns'")] == [
        "general-meeting-2018-oxelosund/oxelosund"
    ]
    model.close()


def test_a_utf8_file_converted_as_if_it_were_latin_2_is_refused_as_mojibake(sources_copy):
    """What following a wrong `iconv -f ISO8859-2` hint did to a UTF-8 file (issue 12): every "ö" became
    "Ăś", and the build said valid. Now each such cell is named, with the text it should read."""
    path = sources_copy / "towns.csv"
    with path.open(encoding="utf-8", newline="") as f:
        meant = {(i, k): v.strip() for i, r in enumerate(csv.DictReader(f), 2) for k, v in r.items() if not v.isascii()}
    path.write_bytes(path.read_bytes().decode("iso8859_2").encode("utf-8"))
    with pytest.raises(DataError) as e:
        compile_model(sources_copy)
    # every cell the conversion changed (every non-ASCII one), and nothing else
    assert [(Path(p.file).name, p.row, p.column, p.rule) for p in e.value.problems] == [
        ("towns.csv", row, column, "mojibake") for row, column in sorted(meant)
    ]
    for p in e.value.problems:
        assert f"write {meant[(p.row, p.column)]!r}" in p.hint, p
    assert meant[(line_of(path, "oxelosund,"), "name")] == "Oxelösund"
