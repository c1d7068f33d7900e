"""Data problems found while loading a campaign, in one shape: one line each, hard or soft.

Hard problems stop the run before anything under outputs/ changes (exit 2). Soft problems (rows dropped,
unmapped values, rows outside the window) are kept with their counts for the report's data-quality
appendix, so the reader knows what was excluded. ``retro check`` prints both.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

QUALITY_FILE = "quality.json"


@dataclass
class Problem:
    """One problem: where (table, column, source), what, how many rows, a few examples, and the fix."""

    table: str
    column: str | None
    what: str
    rows: int | None = None
    examples: list = field(default_factory=list)
    fix: str = ""
    hard: bool = True
    source: str = ""
    code: str = ""  # stable identifier of the check, e.g. "parse_number", for tests and the appendix

    def line(self) -> str:
        """The problem as one line: ``orders.paid_amount (orders.csv): 3 rows not a number (e.g. 'abc'); fix: …``."""
        where = self.table + (f".{self.column}" if self.column else "")
        if self.source:
            where += f" ({self.source})"
        text = f"{where}: {self.what}"
        if self.rows is not None:
            text += f": {self.rows} row{'s' if self.rows != 1 else ''}"
        if self.examples:
            text += " (e.g. " + ", ".join(repr(_short(x)) for x in self.examples[:3]) + ")"
        if self.fix:
            text += f"; fix: {self.fix}"
        return text


def _short(x, limit: int = 40):
    s = str(x)
    return s if len(s) <= limit else s[: limit - 1] + "…"


@dataclass
class Check:
    """A consistency check between figures that must agree, with both numbers and its status."""

    name: str
    left_label: str
    left: float | None
    right_label: str
    right: float | None
    ok: bool | None  # None: could not be checked (a side is missing)
    tolerance: float = 1e-6


def write_quality(mart_dir: Path, problems: list[Problem], checks: list[Check] | None = None) -> None:
    """Record soft problems (and consistency checks) next to the marts they describe."""
    path = mart_dir / QUALITY_FILE
    data = {"problems": [asdict(p) for p in problems], "checks": [asdict(c) for c in checks or []]}
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, path)


def read_quality(mart_dir: Path) -> tuple[list[Problem], list[Check]]:
    """Problems and checks recorded by the last mart build ([] when none)."""
    path = mart_dir / QUALITY_FILE
    if not path.is_file():
        return [], []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Problem(**p) for p in data.get("problems", [])], [Check(**c) for c in data.get("checks", [])]
