"""A problem in the data, said for a person: where (file, row, column), what (value, rule) and how to fix it.

The same Problem serves the sources (row = line in the CSV file, header = 1), the package descriptor
and metadata.json (row = None, column = the JSON path of the key), and notices (what the reader
normalised without asking, e.g. decomposed Unicode), which are reported but do not fail a build.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    file: str  # path relative to the repository, e.g. sources/towns.csv
    row: int | None  # line number in the file (the header is line 1); None for the whole file
    column: str | None  # column name; for a JSON file, the path of the key, e.g. resources[2].schema
    value: str | None
    rule: str  # short machine name, e.g. "type", "required", "foreign-key"
    message: str  # what is wrong
    hint: str = ""  # how to fix it

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f" at {self.column}" if self.file.endswith(".json") else f", column {self.column!r}"
        shown = "" if self.value is None else f" (value {self.value!r})"
        text = f"{where}: {self.message}{shown} [{self.rule}]"
        return text + (f"\n    how to fix: {self.hint}" if self.hint else "")


@dataclass
class Found:
    """What a stage found: problems (the build stops) and notices (what was normalised; reported only)."""

    problems: list[Problem] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)

    def __iadd__(self, other: Found) -> Found:
        self.problems += other.problems
        self.notices += other.notices
        return self


def _key(p: Problem) -> tuple:
    return (p.file, p.row or 0, p.column or "", p.rule, p.message, p.value or "")


def sort_problems(problems) -> list[Problem]:
    return sorted(set(problems), key=_key)


def report_json(problems: Sequence[Problem], notices: Sequence[Problem] = ()) -> str:
    """The machine-readable report: {"valid", "problems": [...], "notices": [...]}."""
    return json.dumps(
        {
            "valid": not problems,
            "problems": [asdict(p) for p in sort_problems(problems)],
            "notices": [asdict(n) for n in sort_problems(notices)],
        },
        ensure_ascii=False,
        indent=2,
    )


def report_text(
    problems: Sequence[Problem], notices: Sequence[Problem] = (), what: str = "nothing was published"
) -> str:
    """The terminal report: every problem with its hint, then a count; notices after, marked as such."""
    lines = [str(p) for p in sort_problems(problems)]
    lines += [f"note: {n}" for n in sort_problems(notices)]
    if problems:
        files = len({p.file for p in problems})
        lines.append(f"{len(problems)} problem(s) in {files} file(s); {what}.")
    return "\n".join(lines)


class DataError(Exception):
    """Raised with every problem found, never only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sort_problems(problems)
        super().__init__(f"{len(self.problems)} problem(s) in the data")

    def report(self) -> str:
        return report_text(self.problems)

    def as_json(self) -> str:
        return report_json(self.problems)
