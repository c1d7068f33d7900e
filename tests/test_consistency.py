"""Consistency checks across marts, their place in the executive summary and the data-quality appendix."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import ts
from retro.consistency import agree, check_findings, exact, run_checks
from retro.quality import Problem
from retro.rundir import RunDir
from retro.sections import quality, summary

ORDERS = pd.DataFrame(
    {
        "order_id": ["b1", "o1", "o2", "o3", "o4"],
        "user_id": ["u1", "u1", "u2", "u3", "u4"],
        "order_time": [
            ts("2026-10-01 10:00"),
            ts("2026-11-01 09:00"),
            ts("2026-11-02 20:00"),
            ts("2026-11-03 00:10"),
            ts("2026-11-04 12:00"),
        ],
        "status": ["paid", "paid", "paid", "cancelled", "paid"],
        "channel": ["search", "search", "live", "live", "private"],
        "paid_amount": [50.0, 300.0, 100.0, 80.0, 120.0],
    }
)
ITEMS = pd.DataFrame(
    {
        "order_id": ["b1", "o1", "o1", "o2", "o3", "o4", "o4"],
        "sku": ["A", "A", "B", "B", "A", "B", "POST"],
        "quantity": [1, 2, 1, 1, 1, 1, 1],
        "unit_price": [50.0, 100.0, 100.0, 100.0, 80.0, 110.0, 10.0],
        "paid_amount": [50.0, 200.0, 100.0, 100.0, 80.0, 110.0, 10.0],
    }
)
PRODUCTS = pd.DataFrame(
    {"sku": ["A", "B", "POST"], "category": ["skin", "face", "fee"], "is_merchandise": [True, True, False]}
)
EVENTS = pd.DataFrame(
    {
        "visitor_id": ["u1", "u1", "u1", "u1", "u2", "u2", "u2", "u2"],
        "event_time": [ts(f"2026-11-01 09:0{i}") for i in range(8)],
        "channel": ["search"] * 8,
        "event_type": ["view", "cart", "order", "pay"] * 2,
    }
)
SECTIONS = {"sections": ["sales", "funnel", "users", "summary", "quality"]}


@pytest.fixture
def camp(tiny):
    return tiny({"orders": ORDERS, "order_items": ITEMS, "products": PRODUCTS, "events": EVENTS}, SECTIONS)


def by_name(checks):
    return {c.name: c for c in checks}


def test_every_check_agrees_on_consistent_data(camp):
    checks = by_name(run_checks(camp.ctx("quality")))
    assert list(checks) == [
        "gmv_by_channel",
        "gmv_by_day",
        "net_sales_by_category",
        "new_plus_returning",
        "paid_orders_vs_pay_events",
    ]
    # campaign orders o1..o4: GMV 600 (o3 cancelled counts), net 520 = lines 200+100+100+110 + postage 10
    assert (checks["gmv_by_channel"].left, checks["gmv_by_channel"].right) == (600.0, 600.0)
    assert (checks["gmv_by_day"].left, checks["gmv_by_day"].right) == (600.0, 600.0)
    assert (checks["net_sales_by_category"].left, checks["net_sales_by_category"].right) == (520.0, 520.0)
    assert (checks["new_plus_returning"].left, checks["new_plus_returning"].right) == (3.0, 3.0)
    assert all(c.ok for n, c in checks.items() if n != "paid_orders_vs_pay_events")


def test_pay_events_from_another_table_are_informational(camp):
    c = by_name(run_checks(camp.ctx("quality")))["paid_orders_vs_pay_events"]
    # 3 paid orders vs 2 pay events: orders and events are separate sources, so no verdict
    assert (c.left, c.right, c.ok) == (3.0, 2.0, None)
    html = quality.checks_table(camp.ctx("quality"))._repr_html_()
    assert "informational (different sources)" in html


def test_lines_that_do_not_add_up_fail_the_category_check(tiny):
    items = ITEMS.copy()
    items.loc[items.order_id == "o2", "paid_amount"] = 60.0  # the order says 100
    c = tiny({"orders": ORDERS, "order_items": items, "products": PRODUCTS}, SECTIONS)
    check = by_name(run_checks(c.ctx("quality")))["net_sales_by_category"]
    assert (check.left, check.right, check.ok) == (520.0, 480.0, False)
    # per-line rounding within 0.5% still agrees
    assert agree(520.0, 518.0, check.tolerance) and not agree(520.0, 517.0, check.tolerance)


def test_failed_check_is_a_summary_problem_citing_both_numbers_and_linking_to_the_appendix(camp):
    path = camp.run_dir / "marts" / "sales_by_channel.parquet"
    df = pd.read_parquet(path)
    df.loc[(df.channel == "live") & (df.period == "overall"), "gmv"] += 10.5
    df.to_parquet(path)
    ctx = camp.ctx("summary")
    html = summary.problems(ctx)._repr_html_()
    text = "Figures disagree: GMV by channel: GMV (sales) ¥600.00 vs Sum of GMV by channel ¥610.50."
    assert text in html
    assert 'href="09_quality.html#finding-check_gmv_by_channel-overall"' in html
    assert html.index(text) < html.index("finding-action")  # listed first, with its action
    appendix = quality.failed_checks(camp.ctx("quality"))._repr_html_()
    assert 'id="finding-check_gmv_by_channel-overall"' in appendix
    table = quality.checks_table(camp.ctx("quality"))
    assert list(table.df["status"]) == ["differs", "agrees", "agrees", "agrees", "informational (different sources)"]
    carry = summary.carry_forward(ctx).df  # each problem once, with its action, in what to change next time
    assert carry.iloc[0]["because"] == text and "bug in the kit" in carry.iloc[0]["what"]


def test_summary_and_appendix_show_no_problem_when_checks_agree(camp):
    assert check_findings(camp.ctx("summary"), run_checks(camp.ctx("summary"))) == []
    html = quality.failed_checks(camp.ctx("quality"))._repr_html_()
    assert "Every figure that must agree across sections does." in html


def test_checks_without_sales_marts_are_not_listed(tiny):
    c = tiny({"events": EVENTS}, {"sections": ["funnel", "quality"]})
    assert run_checks(c.ctx("quality")) == []
    assert "No consistency check could run" in quality.checks_table(c.ctx("quality"))._repr_html_()


def test_appendix_lists_soft_problems_excluded_rows_and_non_merchandise_lines(camp):
    problems = [
        Problem(
            "order_items",
            "order_id",
            "order lines without an order",
            4,
            ["x1", "x2"],
            "export both",
            False,
            "items.csv",
            "orphan_lines",
        ),
        Problem("events", "event_time", "rows after the campaign ends", 7, [], "none", False, "ev.csv", "ignored_rows"),
        Problem(
            "orders",
            "paid_amount",
            "negative amount, counted as given",
            2,
            [-5],
            "drop",
            False,
            "o.csv",
            "negative_amount",
        ),
        Problem("orders", None, "<script>alert(1)</script>", None, [], "", False, "", "empty_phase"),
        Problem("orders", "user_id", "empty in a required column, rows dropped", 3, [], "", False, "", "null_required"),
    ]
    RunDir(camp.run_dir).write_quality(problems)
    ctx = camp.ctx("quality")
    table = quality.problems_table(ctx)
    assert list(table.df["table"]) == [
        "order_items (items.csv)",
        "events (ev.csv)",
        "orders (o.csv)",
        "orders",
        "orders",
    ]
    assert list(table.df["rows"]) == ["4", "7", "2", "", "3"]
    html = table._repr_html_()
    assert "&lt;script&gt;" in html and "<script>" not in html
    excluded = quality.excluded_rows(ctx).df
    assert excluded.to_dict("list") == {
        "table": ["order_items", "events", "orders"],
        "rows": [4, 7, 3],
        "reasons": [
            "order lines without an order",
            "rows after the campaign ends",
            "empty in a required column, rows dropped",
        ],
    }
    assert "14 row(s) are left out" in quality.overview(ctx).text
    lines = quality.excluded_lines(ctx).df
    assert lines.to_dict("list") == {"sku": ["POST"], "category": ["fee"], "lines": [1], "net_sales": [10.0]}


def test_appendix_says_so_when_the_check_found_nothing(camp):
    RunDir(camp.run_dir).write_quality([])
    ctx = camp.ctx("quality")
    assert "found nothing to report" in quality.problems_table(ctx).text
    assert quality.excluded_rows(ctx).text == "No row was left out of the figures."


def test_agree_and_exact_numbers():
    assert agree(100.0, 100.0, 0.0) and not agree(100.0, 101.0, 0.0)
    assert agree(None, 1.0, 0.0) is None
    assert agree(0.0, 0.0, 1e-6)
    assert exact(1234567.891, "money") == "¥1,234,567.89" and exact(-3, "money") == "-¥3.00"
    assert exact(12345.0, "count") == "12,345" and exact(None, "count") == "n/a"


def test_freight_on_no_line_makes_the_category_check_agree(tiny):
    """An order's freight (on no order line) is within its paid amount: the check adds it to the lines."""
    freight = [5.0, 8.0, 0.0, 6.0, 4.0]
    orders = ORDERS.assign(paid_amount=ORDERS.paid_amount + freight, freight=freight)
    c = tiny({"orders": orders, "order_items": ITEMS, "products": PRODUCTS}, SECTIONS)
    check = by_name(run_checks(c.ctx("quality")))["net_sales_by_category"]
    # paid campaign orders o1, o2, o4: 308 + 100 + 124 = 532; lines 300 + 100 + 120 = 520, freight 8 + 0 + 4
    assert (check.left, check.right, check.ok) == (532.0, 532.0, True)
    assert "+ freight" in check.right_label
    unmapped = tiny({"orders": orders.drop(columns="freight"), "order_items": ITEMS, "products": PRODUCTS}, SECTIONS)
    check = by_name(run_checks(unmapped.ctx("quality")))["net_sales_by_category"]
    assert (check.left, check.right, check.ok) == (532.0, 520.0, False)  # fees on no line, not mapped as freight
