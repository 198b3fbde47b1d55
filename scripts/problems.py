"""A problem in the data, said for a person: where (file, row, column), what (value, rule) and how to fix it."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True, order=True)
class Problem:
    file: str            # path relative to the repository, e.g. sources/towns.csv
    row: int | None      # line number in the file (the header is line 1); None for the whole file
    column: str | None
    value: str | None
    rule: str            # short machine name, e.g. "type", "required", "foreign-key"
    message: str         # what is wrong
    hint: str = ""       # how to fix it

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        shown = "" if self.value is None else f" (value {self.value!r})"
        text = f"{where}: {self.message}{shown} [{self.rule}]"
        return text + (f"\n    how to fix: {self.hint}" if self.hint else "")


class DataError(Exception):
    """Raised with every problem found, never only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.row or 0, p.column or "", p.rule, p.message))
        super().__init__(f"{len(self.problems)} problem(s) in the data")

    def report(self) -> str:
        lines = [str(p) for p in self.problems]
        lines.append(f"{len(self.problems)} problem(s); nothing was published.")
        return "\n".join(lines)

    def as_json(self) -> str:
        return json.dumps({"valid": False, "problems": [asdict(p) for p in self.problems]},
                          ensure_ascii=False, indent=2)
