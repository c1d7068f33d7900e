"""What an analyst changes in a notebook cell: settings for one call or one notebook, the marts at hand, text."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import ts
from retro.errors import RetroError
from retro.rundir import RunDir

SKUS = [f"S{i:02d}" for i in range(12)]
ORDERS = pd.DataFrame(
    {
        "order_id": [f"o{i}" for i in range(12)],
        "user_id": [f"u{i}" for i in range(12)],
        "order_time": [ts("2026-11-01 10:00") + pd.Timedelta(hours=i) for i in range(12)],
        "status": ["paid"] * 12,
        "paid_amount": [float(100 + i) for i in range(12)],
        "channel": ["search"] * 12,
    }
)
ITEMS = pd.DataFrame(
    {
        "order_id": ORDERS["order_id"],
        "sku": SKUS,
        "quantity": [1] * 12,
        "unit_price": ORDERS["paid_amount"],
        "paid_amount": ORDERS["paid_amount"],
    }
)


PRODUCTS = pd.DataFrame({"sku": SKUS, "category": ["x", "y"] * 6, "unit_cost": [40.0] * 12})


@pytest.fixture
def sales_ctx(tiny):
    from retro.context import open_section

    settings = {"new_customer_lookback_days": 365, "retention_days": 30, "top_n": 10}
    camp = tiny({"orders": ORDERS, "order_items": ITEMS, "products": PRODUCTS}, {"settings": settings})
    return camp, open_section("sales", camp.params_file, camp.run_dir)


def test_a_setting_as_an_argument_or_with_settings_changes_that_view_only(sales_ctx):
    from retro.sections import sales

    camp, ctx = sales_ctx
    recorded = RunDir(camp.run_dir).figures_of("sales").read_bytes()
    assert len(sales.sku_ranking(ctx).df) == 10  # the YAML's top_n
    assert len(sales.sku_ranking(ctx, top_n=3).df) == 3
    local = ctx.with_settings(top_n=5)
    assert len(sales.sku_ranking(local).df) == 5 and local.params.settings.top_n == 5
    assert ctx.params.settings.top_n == 10 and len(sales.sku_ranking(ctx).df) == 10  # the notebook's ctx is as it was
    assert local.figure("gmv") == ctx.figure("gmv")
    assert RunDir(camp.run_dir).figures_of("sales").read_bytes() == recorded  # the summary reads the same


def test_with_settings_refuses_unknown_invalid_and_mart_settings(sales_ctx):
    _, ctx = sales_ctx
    with pytest.raises(RetroError, match="unknown setting 'topn'; settings are .*top_n"):
        ctx.with_settings(topn=20)
    with pytest.raises(RetroError, match="top_n: .*less than or equal to 50"):
        ctx.with_settings(top_n=500)
    with pytest.raises(RetroError, match="retention_days shapes the marts.*--only sales"):
        ctx.with_settings(retention_days=7)


def test_ctx_marts_lists_each_built_mart_with_its_columns_rows_and_definition(sales_ctx):
    _, ctx = sales_ctx
    table = ctx.marts()
    rows = table.df.set_index("mart")
    assert "sales_by_sku" in rows.index and rows.loc["sales_by_sku", "rows"] == 12
    assert "net_sales" in rows.loc["sales_by_sku", "columns"] and rows.loc["sales_by_sku", "section"] == "sales"
    assert rows["definition"].str.len().min() > 0  # every mart says what it is


def test_tables_and_charts_read_as_text_outside_html(sales_ctx):
    from retro.sections import sales

    _, ctx = sales_ctx
    text = repr(sales.sku_ranking(ctx, top_n=3))
    assert "at 0x" not in text and "S11" in text and len(text.splitlines()) >= 3 + 2
    header, rule = text.splitlines()[1:3] if sales.sku_ranking(ctx).title else text.splitlines()[:2]
    assert set(rule.replace(" ", "")) == {"-"}
    chart = repr(sales.category_chart(ctx))
    assert chart.startswith("Chart: ") and "at 0x" not in chart


def test_the_readme_city_tier_example_runs_as_written(sales_ctx):
    """The README's three lines, executed against a campaign (so the walkthrough cannot drift from the API)."""
    import re

    from retro.paths import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(\s*tiers = .*?)```", readme, re.S).group(1)
    *body, last = [line.strip() for line in block.strip().splitlines()]
    assert len(body) + 1 == 3
    _, ctx = sales_ctx
    scope = {"ctx": ctx}
    exec("\n".join(body), scope)  # the cell's lines, then its last expression, which the notebook shows
    table = eval(last, scope)
    assert "city tier" in table.title and "share" in table.df.columns and table.df["share"].sum() == pytest.approx(1)


def test_assigning_a_setting_says_how_to_change_it(sales_ctx):
    _, ctx = sales_ctx
    with pytest.raises(AttributeError, match=r"ctx.with_settings\(top_n=20\).*settings.top_n in the YAML"):
        ctx.params.settings.top_n = 20
