"""What a long run is doing, as it does it: a live display on a terminal, plain lines anywhere else.

A run goes through stages (reading and checking the data, building the marts, running the sections, exporting,
printing). Each stage shows its items as they go (a table, a mart) with a count and the elapsed time, and ends
with one summary line. On a terminal the live part is drawn by rich and disappears when the stage ends; in a
log or a pipe only the summary lines (and a line when a stage starts) are written, so a CI log stays readable.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Stage:
    """One stage under way: ``step(label)`` as each item starts, ``done(label)`` as it ends."""

    def __init__(self, progress: Progress, title: str, total: int | None):
        self._progress, self.title, self.total = progress, title, total
        self.count = 0
        self.started = time.perf_counter()
        self._task = None

    def step(self, label: str) -> None:
        """An item starts (a table is read, a mart is built): shown live beside the count."""
        self._progress._update(self, label)

    def done(self, label: str = "") -> None:
        """An item ended: the count goes up."""
        with self._progress._lock:
            self.count += 1
        self._progress._update(self, label, advance=True)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


class Progress:
    """Stages of a run shown live (``live``: a terminal, by default when stdout is one) or as plain lines.

    ``echo`` writes a line (the CLI's ``click.echo``); ``console``: a rich Console, for tests.
    """

    def __init__(self, echo: Callable[[str], None] | None = None, live: bool | None = None, console=None):
        self.echo = echo or print
        self.live = (console is not None or sys.stdout.isatty()) if live is None else live
        self._console = console
        self._lock = threading.Lock()
        self._display = None

    def line(self, text: str) -> None:
        """A line of its own (a section started or ended), printed above the live display."""
        if self._display is not None:
            self._display.console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            self.echo(text)

    @contextmanager
    def stage(
        self, title: str, total: int | None = None, summary: Callable[[Stage], str] | None = None
    ) -> Iterator[Stage]:
        """A stage: live while it runs; then its one summary line (``summary(stage)``, default: count and time)."""
        stage = Stage(self, title, total)
        if self.live:
            self._start_live(stage)
        else:
            self.echo(f"{title} …" if total is None else f"{title}: {total} …")
        try:
            yield stage
        finally:
            self._stop_live()
        self.echo(summary(stage) if summary else f"{title}: {stage.count} in {stage.seconds:.1f}s")

    # --- the live display (rich) -------------------------------------------------------------------
    def _start_live(self, stage: Stage) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        console = self._console or Console(highlight=False)
        columns = [SpinnerColumn(), TextColumn("{task.description}")]
        if stage.total is not None:
            columns += [BarColumn(bar_width=24), MofNCompleteColumn()]
        columns += [TimeElapsedColumn(), TextColumn("{task.fields[item]}", markup=False)]
        self._display = RichProgress(*columns, console=console, transient=True)
        self._display.start()
        stage._task = self._display.add_task(stage.title, total=stage.total, item="")

    def _stop_live(self) -> None:
        if self._display is not None:
            self._display.stop()
            self._display = None

    def _update(self, stage: Stage, label: str, advance: bool = False) -> None:
        if self._display is not None and stage._task is not None:
            # drawn at once: a table or mart that takes less than the display's tick is still shown
            self._display.update(stage._task, item=label, advance=1 if advance else 0, refresh=True)


def quiet() -> Progress:
    """A progress that shows nothing (library calls and tests)."""
    return Progress(echo=lambda _line: None, live=False)
