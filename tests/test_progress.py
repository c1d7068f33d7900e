"""What a run shows while it works: live on a terminal, plain lines in a log, one summary line per stage."""

from __future__ import annotations

import io

import pandas as pd
from conftest import ts
from retro.marts.build import build_marts
from retro.progress import Progress

ORDERS = pd.DataFrame(
    {
        "order_id": ["o1", "o2"],
        "user_id": ["u1", "u2"],
        "order_time": [ts("2026-11-01 10:00"), ts("2026-11-03 00:30")],
        "status": ["paid", "paid"],
        "paid_amount": [100.0, 300.0],
        "channel": ["search", "live"],
    }
)


def test_plain_lines_say_each_stage_once_with_its_count_and_time(tiny):
    camp = tiny({"orders": ORDERS})
    lines: list[str] = []
    manifest = build_marts(camp.params, camp.run_dir / "again", force=True, progress=Progress(lines.append, live=False))
    assert lines[0] == "data: reading and checking: 1 …"
    assert lines[1].startswith("data: 1 table(s) read and checked in ") and lines[1].endswith("s")
    assert lines[2].startswith("marts: ")
    assert lines[3].startswith(f"marts: {len(manifest)} built in ")
    assert len(lines) == 4  # one start and one summary line per stage, nothing else in a log
    again: list[str] = []
    build_marts(camp.params, camp.run_dir / "again", progress=Progress(again.append, live=False))
    assert again == [f"marts: all {len(manifest)} up to date"]


def test_a_terminal_gets_a_live_display_of_each_table_and_mart_then_the_summary_lines(tiny):
    from rich.console import Console

    camp = tiny({"orders": ORDERS})
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120, color_system=None)
    lines: list[str] = []
    progress = Progress(lines.append, live=True, console=console)
    manifest = build_marts(camp.params, camp.run_dir / "live", force=True, progress=progress)
    shown = screen.getvalue()
    assert "orders" in shown and "sales_daily" in shown  # the table and the mart under way
    assert f"{len(manifest)}/{len(manifest)}" in shown and "0:00:0" in shown  # the count and the elapsed time
    assert [line.split(" in ")[0] for line in lines] == [
        "data: 1 table(s) read and checked",
        f"marts: {len(manifest)} built",
    ]


def test_a_line_during_a_live_stage_is_printed_above_it():
    from rich.console import Console

    screen = io.StringIO()
    progress = Progress(lambda _line: None, live=True, console=Console(file=screen, force_terminal=True, width=80))
    with progress.stage("sections", total=2) as stage:
        stage.step("sales")
        progress.line("  sales       done in 1.0s")
        stage.done("sales")
    assert "  sales       done in 1.0s" in screen.getvalue()
