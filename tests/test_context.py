"""A section kernel's start: it records the section's figures whatever cells the notebook keeps, cheaply."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import nbformat
import pandas as pd
import pytest
from conftest import ts
from retro.context import MARTS_BUILT_ENV, open_section
from retro.paths import NOTEBOOK_DIR
from retro.registry import SECTIONS
from retro.run import run_campaign
from retro.rundir import RunDir

ORDERS = pd.DataFrame(
    {
        "order_id": ["o1", "o2", "o3"],
        "user_id": ["u1", "u2", "u1"],
        "order_time": [ts("2026-11-01 10:00"), ts("2026-11-03 00:30"), ts("2026-11-04 12:00")],
        "status": ["paid", "paid", "cancelled"],
        "paid_amount": [100.0, 300.0, 50.0],
        "channel": ["search", "live", "search"],
    }
)
ITEMS = pd.DataFrame(
    {
        "order_id": ["o1", "o2", "o3"],
        "sku": ["A", "B", "A"],
        "quantity": [1, 3, 1],
        "unit_price": [100.0, 100.0, 50.0],
        "paid_amount": [100.0, 300.0, 50.0],
    }
)
PRODUCTS = pd.DataFrame({"sku": ["A", "B"], "category": ["x", "y"], "unit_cost": [40.0, 50.0]})


def test_open_section_records_the_figures_without_any_display_cell(tiny):
    camp = tiny({"orders": ORDERS, "order_items": ITEMS, "products": PRODUCTS})
    open_section("sales", camp.params_file, camp.run_dir)  # no kpi_table call
    figs = {(f.key, f.segment): f.value for f in RunDir(camp.run_dir).read_figures("sales")}
    assert figs[("gmv", None)] == 450.0 and figs[("net_sales", None)] == 400.0
    # paid lines only: A 100 at cost 40, B 3 x 100 at cost 3 x 50 -> (400 - 190) / 400
    assert figs[("gross_margin", None)] == pytest.approx(210 / 400)


def test_goals_reads_the_figures_the_sales_page_records(tiny):
    """The goals page's actual for a target equals the sales page's figure (gross margin was missing once)."""
    camp = tiny({"orders": ORDERS, "order_items": ITEMS, "products": PRODUCTS}, {"targets": {"gross_margin": 0.5}})
    from retro.sections import goals

    ctx = camp.ctx("goals")
    rows = goals.attainment_rows(ctx).set_index("key")
    assert rows.loc["gross_margin", "actual"] == pytest.approx(camp.ctx("sales").figure("gross_margin"))


def test_a_section_kernel_does_not_import_ibis(tiny):
    """Under `retro run` the marts are built already: a kernel imports neither Ibis nor the engine."""
    camp = tiny({"orders": ORDERS, "order_items": ITEMS, "products": PRODUCTS})
    code = (
        "import sys, retro\n"
        "from retro.sections import sales\n"
        f"ctx = retro.open_section('sales', {str(camp.params_file)!r}, {str(camp.run_dir)!r})\n"
        "sales.kpi_table(ctx)\n"
        "print(sorted(m for m in ('ibis', 'duckdb', 'pyspark') if m in sys.modules))\n"
    )
    env = {**os.environ, MARTS_BUILT_ENV: str(camp.run_dir.resolve())}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.e2e
def test_deleting_the_kpi_cells_does_not_change_the_summary(built, tmp_path):
    """Figures are recorded by the kit, not by a display cell: without the kpi_table cells, same figures."""
    _, params_file, _, run_dir, _ = built
    notebooks = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOK_DIR, notebooks)
    dropped = 0
    for name in SECTIONS:
        path = notebooks / SECTIONS[name].notebook
        nb = nbformat.read(path, as_version=4)
        keep = [c for c in nb.cells if "kpi_table(ctx)" not in c.source]
        dropped += len(nb.cells) - len(keep)
        nb.cells = keep
        nbformat.write(nb, path)
    assert dropped >= 7
    again = tmp_path / "run"
    shutil.copytree(run_dir / "marts", again / "marts")  # the same marts: the same numbers to the last bit
    result = run_campaign(params_file, run_dir=again, notebook_dir=notebooks, echo=lambda s: None)
    assert not result.failed
    for path in sorted((run_dir / "figures").glob("*.json")):
        assert json.loads((again / "figures" / path.name).read_text()) == json.loads(path.read_text()), path.name
    assert _shown(again / "notebooks" / "08_summary.ipynb") == _shown(run_dir / "notebooks" / "08_summary.ipynb")


def _shown(notebook) -> list:
    """What a reader sees of an executed notebook: each output's HTML or text (not object addresses)."""
    cells = [c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
    return [[o.get("data", {}).get("text/html") or o.get("text") for o in c.outputs] for c in cells]
