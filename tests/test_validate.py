"""Checks over staged canonical tables: each problem's line, hard or soft, counted by hand."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest
import yaml
from conftest import TINY_YAML, ts
from retro.params import load_params
from retro.schema import TABLES
from retro.staging.checks import check_tables
from retro.staging.mapping import IBIS_TYPES

# Tiny calendar (conftest): baseline Oct 1-2, warm-up Nov 1-2, burst Nov 3, tail Nov 4.
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
        "status": ["paid"] * 5,
        "channel": ["search", "search", "live", "live", "private"],
        "paid_amount": [50.0, 300.0, 100.0, 80.0, 120.0],
    }
)
ITEMS = pd.DataFrame(
    {
        "order_id": ["b1", "o1", "o2", "o3", "o4"],
        "sku": ["A", "A", "B", "A", "B"],
        "quantity": [1, 3, 1, 1, 1],
        "unit_price": [50.0, 100.0, 100.0, 80.0, 120.0],
        "paid_amount": [50.0, 300.0, 100.0, 80.0, 120.0],
    }
)
PRODUCTS = pd.DataFrame({"sku": ["A", "B"], "category": ["skin", "face"]})
EVENTS = pd.DataFrame(
    {
        "visitor_id": ["v1", "v1", "v2", "v3"],
        "event_time": [ts("2026-10-01 09:00"), ts("2026-11-01 09:00"), ts("2026-11-03 09:00"), ts("2026-11-04 09:00")],
        "channel": ["search"] * 4,
        "event_type": ["view"] * 4,
    }
)
MARKETING = pd.DataFrame(
    {
        "date": pd.to_datetime(["2026-11-01", "2026-11-03", "2026-11-04"]).date,
        "channel": ["search"] * 3,
        "spend": [100.0, 200.0, 50.0],
    }
)
BASE = {"orders": ORDERS, "order_items": ITEMS, "products": PRODUCTS, "events": EVENTS, "marketing": MARKETING}


def canonical(con, name: str, df: pd.DataFrame):
    """A staged canonical table: every schema column, typed, nulls where the frame lacks one."""
    df = df.reset_index(drop=True)
    data = {c.name: (df[c.name] if c.name in df else [None] * len(df)) for c in TABLES[name].columns}
    raw = ibis.memtable(pd.DataFrame(data, index=range(len(df))))
    t = raw.select(**{c.name: raw[c.name].cast(IBIS_TYPES[c.type]) for c in TABLES[name].columns})
    return con.create_table(name, t, temp=True)


def check(tmp_path, frames: dict, sections=("sales", "funnel", "marketing", "summary"), **overrides):
    doc = {**TINY_YAML, "sections": list(sections), **overrides}
    doc["data"] = {"tables": {name: {"path": f"{name}.csv"} for name in frames}}
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    params = load_params(path)
    con = ibis.duckdb.connect()
    tables = {name: canonical(con, name, df) for name, df in frames.items()}
    return check_tables(con, tables, params)


def lines(problems, hard=None):
    return [p.line() for p in problems if hard is None or p.hard == hard]


def with_(name: str, df: pd.DataFrame) -> dict:
    return {**BASE, name: df}


def test_clean_campaign_has_no_problem(tmp_path):
    assert lines(check(tmp_path, BASE)) == []


def test_duplicate_order_ids_are_hard(tmp_path):
    orders = pd.concat([ORDERS, ORDERS.iloc[[1, 1, 2]]], ignore_index=True)
    found = check(tmp_path, with_("orders", orders))
    assert lines(found, hard=True) == [
        "orders.order_id (orders.csv): 2 values appear more than once (GMV and order counts would count each "
        "copy): 5 rows (e.g. 'o1', 'o2'); fix: keep one row per order_id: check the export for repeated rows "
        "or a join that repeats them; if the copies mean nothing, set data.tables.orders.dedupe (exact, or keep: "
        "last, by: a column)"
    ]
    assert found[0].code == "duplicate_key" and found[0].rows == 5


def test_duplicate_skus_are_hard(tmp_path):
    products = pd.DataFrame({"sku": ["A", "B", "B"], "category": ["skin", "face", "face2"]})
    (p,) = [p for p in check(tmp_path, with_("products", products)) if p.hard]
    assert (p.table, p.column, p.rows, p.examples, p.code) == ("products", "sku", 2, ["B"], "duplicate_key")


def test_empty_key_is_hard(tmp_path):
    orders = ORDERS.copy()
    orders.loc[2, "order_id"] = None
    (p,) = [p for p in check(tmp_path, with_("orders", orders)) if p.hard]
    assert p.line() == (
        "orders.order_id (orders.csv): empty key: 1 row; fix: fill in order_id or remove those rows "
        "(blank lines at the end of an export are a common cause)"
    )


def test_negative_and_absurd_amounts_are_soft_and_counted(tmp_path):
    orders = ORDERS.copy()
    orders["paid_amount"] = [50.0, -300.0, -12.5, 2e7, 120.0]
    found = check(tmp_path, with_("orders", orders))
    assert lines(found, hard=True) == []
    assert (
        "orders.paid_amount (orders.csv): negative amount, counted as given: 2 rows (e.g. '-300', '-12.5'); "
        "fix: if these rows are refunds or reversals, drop them and mark the original orders refunded"
    ) in lines(found)
    assert (
        "orders.paid_amount (orders.csv): amount above 10,000,000 per row, counted as given: 1 row "
        "(e.g. '20000000'); fix: check data.tables.orders.amount_unit (fen or cents?) and which column is "
        "mapped to paid_amount"
    ) in lines(found)


def test_order_lines_without_an_order_are_soft(tmp_path):
    items = pd.concat([ITEMS, ITEMS.iloc[[0]].assign(order_id="zz9")], ignore_index=True)
    found = check(tmp_path, with_("order_items", items))
    assert lines(found) == [
        "order_items.order_id (order_items.csv): order lines without an order, left out of category and product "
        "sales: 1 row (e.g. 'zz9'); fix: export orders and their lines for the same days, and check the ids are "
        "written the same way in both (leading zeros, a '.0' suffix)"
    ]
    assert not found[0].hard


def test_no_line_matching_an_order_is_hard(tmp_path):
    items = ITEMS.assign(order_id=ITEMS.order_id + ".0")
    (p,) = check(tmp_path, with_("order_items", items))
    assert p.hard and p.what == "no line matches an order" and p.rows == 5
    assert p.examples == ["b1.0", "o1.0", "o2.0"]


def test_unknown_skus_are_soft(tmp_path):
    items = ITEMS.assign(sku=["A", "A", "B", "X", "Y"])
    (p,) = check(tmp_path, with_("order_items", items))
    assert (p.hard, p.code, p.rows, p.examples) == (False, "unknown_sku", 2, ["X", "Y"])


def test_empty_table_is_hard_when_a_section_needs_it(tmp_path):
    found = check(tmp_path, with_("orders", ORDERS.iloc[:0]))
    assert lines(found, hard=True) == [
        "orders (orders.csv): no rows; fix: check the export (only a header?); section sales needs this table"
    ]
    assert [p.code for p in found if p.hard] == ["empty_table"]


def test_empty_table_nobody_needs_is_soft(tmp_path):
    (p,) = check(tmp_path, with_("events", EVENTS.iloc[:0]), sections=("sales",))
    assert (
        not p.hard
        and p.line() == "events (events.csv): no rows: nothing from this table is counted; fix: check the export"
    )


def test_all_null_required_column_is_hard(tmp_path):
    (p,) = check(tmp_path, with_("orders", ORDERS.assign(channel=None)))
    assert p.hard and p.code == "all_null"
    assert p.line() == (
        "orders.channel (orders.csv): every value is empty: 5 rows; fix: map the source column that holds it "
        "under data.tables.orders.columns, or give one value for all rows under data.tables.orders.defaults"
    )


def test_phase_without_rows_is_soft(tmp_path):
    frames = {**BASE, "orders": ORDERS[ORDERS.order_id != "o3"], "order_items": ITEMS[ITEMS.order_id != "o3"]}
    found = check(tmp_path, frames)
    assert lines(found) == [
        "orders (orders.csv): no rows in the burst phase (2026-11-03 to 2026-11-03); fix: check that the export "
        "covers every phase; the phase's figures read 0"
    ]


def test_no_campaign_rows_says_where_the_data_is(tmp_path):
    events = EVENTS.assign(event_time=EVENTS.event_time - pd.Timedelta(days=365))
    found = check(tmp_path, with_("events", events))
    (p,) = [p for p in found if p.code == "no_campaign_rows"]
    assert p.line() == (
        "events.event_time (events.csv): no rows in the campaign (2026-11-01 to 2026-11-04); the data runs from "
        "2025-10-01 09:00 to 2025-11-04 09:00; fix: check the phases in the YAML, and the time column's format "
        "and time zone; the campaign's figures from this table read 0 or n/a"
    )
    assert not p.hard


def test_empty_baseline_is_soft(tmp_path):
    found = check(tmp_path, with_("events", EVENTS.iloc[1:]))
    assert lines(found) == [
        "events (events.csv): no rows in the baseline (2026-10-01 to 2026-10-02): comparisons with the baseline "
        "read n/a; fix: export the baseline days too, or remove baseline from the YAML"
    ]


def test_only_rows_no_figure_reads_are_reported_as_ignored(tmp_path):
    # events: history before the campaign is read (first-seen visitors); after the campaign nothing is
    late = pd.DataFrame(
        {
            "visitor_id": ["v9", "v9", "v8"],
            "event_time": [ts("2026-09-01 09:00"), ts("2026-11-05 00:00"), ts("2026-11-06 10:30")],
            "channel": ["search"] * 3,
            "event_type": ["view"] * 3,
        }
    )
    # orders: read until the longest retention window (30 days) after the campaign
    orders = pd.concat(
        [
            ORDERS,
            pd.DataFrame(
                {
                    "order_id": ["h1", "r1", "x1"],
                    "user_id": ["u1"] * 3,
                    "order_time": [ts("2025-01-01 10:00"), ts("2026-12-04 23:59"), ts("2026-12-05 00:00")],
                    "status": ["paid"] * 3,
                    "channel": ["search"] * 3,
                    "paid_amount": [1.0] * 3,
                }
            ),
        ],
        ignore_index=True,
    )
    found = check(tmp_path, {**BASE, "events": pd.concat([EVENTS, late], ignore_index=True), "orders": orders})
    assert lines(found) == [
        "events.event_time (events.csv): rows after the campaign ends (2026-11-04), not counted: 2 rows "
        "(e.g. '2026-11-05', '2026-11-06 10:30'); fix: none needed if expected; otherwise check the phases in "
        "the YAML",
        "orders.order_time (orders.csv): rows after 2026-12-04 (the end of the retention follow-up), not "
        "counted: 1 row (e.g. '2026-12-05'); fix: none needed if expected; otherwise check the phases in the YAML",
    ]
    assert all(p.code == "ignored_rows" and not p.hard for p in found)


def test_marketing_outside_the_campaign_and_zero_spend(tmp_path):
    marketing = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-10-01", "2026-11-01", "2026-11-03", "2026-11-04"]).date,
            "channel": ["search"] * 4,
            "spend": [10.0, 0.0, 0.0, 0.0],
        }
    )
    found = check(tmp_path, with_("marketing", marketing))
    assert lines(found) == [
        "marketing.date (marketing.csv): rows outside the campaign (2026-11-01 to 2026-11-04), not counted: "
        "1 row (e.g. '2026-10-01'); fix: none needed if expected; otherwise check the phases in the YAML",
        "marketing.spend (marketing.csv): no spend in the campaign: ROI, ROAS and CAC read n/a; fix: if spend is "
        "in another column, map it under data.tables.marketing.columns",
    ]


def test_counts_run_in_the_engine_on_a_large_table(tmp_path):
    """50 000 events with 10 duplicate order ids: still one line, counted, three examples."""
    n = 50_000
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i % (n - 10):05d}" for i in range(n)],
            "user_id": "u1",
            "order_time": ts("2026-11-01 10:00"),
            "status": "paid",
            "channel": "search",
            "paid_amount": 1.0,
        }
    )
    found = check(tmp_path, {"orders": orders}, sections=("sales",))
    dup = [p for p in found if p.code == "duplicate_key"]
    assert len(dup) == 1 and dup[0].rows == 20 and dup[0].examples == ["o00000", "o00001", "o00002"]


@pytest.mark.parametrize("name", ["orders", "events"])
def test_a_table_without_problems_reports_nothing_about_itself(tmp_path, name):
    assert [p for p in check(tmp_path, BASE) if p.table == name] == []
