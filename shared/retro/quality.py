"""Data problems found while loading a campaign, in one shape: one line each, hard or soft.

Hard problems stop the run before anything under outputs/ changes (exit 2). Soft problems (rows dropped,
unmapped values, rows outside the window) are kept with their counts for the report's data-quality
appendix, so the reader knows what was excluded (``RunDir.write_quality`` keeps them beside the marts).
``retro check`` prints both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .formatting import short

ROUTINE = frozenset({"derived", "ignored_rows", "guest_rows", "hour_resolution"})


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
    # the appendix says it in the report's language: its message (``code`` when empty) and the values it names
    msg: str = ""
    args: dict = field(default_factory=dict)

    @property
    def routine(self) -> bool:
        """Whether real exports do this by design: `retro check` notes it rather than warning.

        A table derived from another, rows outside the window, guest orders, dates without hours.
        """
        return not self.hard and self.code in ROUTINE

    @property
    def message(self) -> str:
        """The key of the problem's text in the report's language (``retro.sections.quality_text``)."""
        return self.msg or self.code

    def line(self) -> str:
        """The problem as one line: ``orders.paid_amount (orders.csv): 3 rows not a number (e.g. 'abc'); fix: …``."""
        where = self.table + (f".{self.column}" if self.column else "")
        if self.source:
            where += f" ({self.source})"
        text = f"{where}: {self.what}"
        if self.rows is not None:
            text += f": {self.rows} row{'s' if self.rows != 1 else ''}"
        if self.examples:
            text += " (e.g. " + ", ".join(repr(short(x)) for x in self.examples[:3]) + ")"
        if self.fix:
            text += f"; fix: {self.fix}"
        return text


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
