"""Fulfilment marts and figures against a hand-computed campaign (warm-up Nov 1-2, burst Nov 3, tail Nov 4).

Orders (ship deadline = pay time + 48 h; the last shipment in the data is o2's, Nov 5 20:00):
  o1 presale, balance paid Nov 3 00:05, shipped +34 h, delivered +48 h (promise 72 h): in time, on time
  o2 paid Nov 2 20:00, shipped +72 h, delivered +96 h (promise 72 h): late ship, late delivery
  o3 cancelled: not considered
  o4 refunded Nov 3 00:40 with no shipment row (refunded before shipping): not considered
  o5 paid Nov 3 10:00, no shipment row, deadline Nov 5 10:00 <= data end: due, unshipped
  o6 paid Nov 4 12:00, shipment row without a shipped time, deadline Nov 6 12:00 > data end: not yet due
  o7 refunded, paid Nov 3 01:00, shipped +12 h, delivered +24 h, no promise: in time, not judged
  o8 paid Nov 3 02:00, shipped +18 h, delivered +36 h (promise 24 h), no region: in time, late
  b1 (baseline) and x9 (after the campaign): outside the window
Due orders: o1 o2 o5 o7 o8 = 5; shipped in 48 h: o1 o7 o8 = 3 -> ship_48h_rate 3/5.
Delivered: o1 48 h, o2 96 h, o7 24 h, o8 36 h -> mean 204/4 = 51 h; judged o1 o2 o8, late o2 o8 -> 2/3.
"""

import pandas as pd
import pytest
from conftest import ts

ORDERS = pd.DataFrame(
    {
        "order_id": ["b1", "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "x9"],
        "user_id": ["u1", "u1", "u2", "u2", "u3", "u4", "u5", "u6", "u7", "u1"],
        "order_time": [
            ts("2026-10-01 10:00"),
            ts("2026-11-01 09:00"),
            ts("2026-11-02 20:00"),
            ts("2026-11-03 00:10"),
            ts("2026-11-03 00:40"),
            ts("2026-11-03 10:00"),
            ts("2026-11-04 12:00"),
            ts("2026-11-03 01:00"),
            ts("2026-11-03 02:00"),
            ts("2026-11-05 00:00"),
        ],
        "pay_time": [
            ts("2026-10-01 10:00"),
            ts("2026-11-03 00:05"),
            ts("2026-11-02 20:00"),
            None,
            ts("2026-11-03 00:40"),
            ts("2026-11-03 10:00"),
            ts("2026-11-04 12:00"),
            ts("2026-11-03 01:00"),
            ts("2026-11-03 02:00"),
            ts("2026-11-05 00:00"),
        ],
        "status": [
            "paid",
            "paid",
            "paid",
            "cancelled",
            "refunded",
            "paid",
            "paid",
            "refunded",
            "paid",
            "paid",
        ],
        "channel": ["search"] * 10,
        "paid_amount": [50.0, 180.0, 100.0, 80.0, 120.0, 90.0, 150.0, 90.0, 90.0, 10.0],
        "is_presale": [False, True] + [False] * 8,
    }
)
SHIPMENTS = pd.DataFrame(
    {
        "order_id": ["b1", "o1", "o2", "o6", "o7", "o8"],
        "shipped_time": [
            ts("2026-10-02 10:00"),
            ts("2026-11-04 10:05"),
            ts("2026-11-05 20:00"),
            None,
            ts("2026-11-03 13:00"),
            ts("2026-11-03 20:00"),
        ],
        "delivered_time": [
            ts("2026-10-03 10:00"),
            ts("2026-11-05 00:05"),
            ts("2026-11-06 20:00"),
            None,
            ts("2026-11-04 01:00"),
            ts("2026-11-04 14:00"),
        ],
        "carrier": ["sf"] * 6,
        "region": ["East", "East", "West", "East", "East", None],
        "promised_hours": [72.0, 72.0, 72.0, 72.0, None, 24.0],
    }
)
ITEMS = pd.DataFrame(
    {
        "order_id": ["b1", "o1", "o2", "o5", "o6", "o7", "o8"],
        "sku": ["A", "A", "B", "A", "C", "A", "A"],
        "quantity": [1, 2, 1, 1, 3, 1, 1],
        "unit_price": [50.0, 90.0, 100.0, 90.0, 50.0, 90.0, 90.0],
        "paid_amount": [50.0, 180.0, 100.0, 90.0, 150.0, 90.0, 90.0],
    }
)
PRODUCTS = pd.DataFrame({"sku": ["A", "B", "C"], "name": ["Cream", "Serum", "Mask"], "category": ["skin"] * 3})
# Sparse snapshots: each holds until the SKU's next snapshot (the last one for 1 h), cut at Nov 5 00:00.
#  A: in stock Nov 1 00-Nov 3 00 (48 h), out Nov 3 00-Nov 4 12 (36 h), in Nov 4 12-Nov 5 00 (12 h);
#     sold out at Nov 3 00:00 (48 h after start, 0 h after burst start), restocked Nov 4 12:00 -> lag 36 h;
#     opening 10 (the 5 received at the opening snapshot arrived before the campaign), received 20, sold 4.
#  B: in stock Nov 1 00-Nov 4 23 (95 h), out 1 h; sold out Nov 4 23:00, never restocked; opening 5, sold 1.
#  C: in stock 25 h, never sold out; opening 8, received 2, sold 3.
INVENTORY = pd.DataFrame(
    {
        "sku": ["A"] * 7 + ["B"] * 2 + ["C"] * 2,
        "snapshot_time": [
            ts("2026-10-31 23:00"),
            ts("2026-11-01 00:00"),
            ts("2026-11-03 00:00"),
            ts("2026-11-03 06:00"),
            ts("2026-11-04 12:00"),
            ts("2026-11-04 18:00"),
            ts("2026-11-05 06:00"),
            ts("2026-11-01 00:00"),
            ts("2026-11-04 23:00"),
            ts("2026-11-01 00:00"),
            ts("2026-11-02 00:00"),
        ],
        "stock_on_hand": [10, 10, 0, 0, 20, 18, 15, 5, 0, 8, 8],
        "replenished": [0, 5, 0, 0, 20, 0, 2, 0, 0, 0, 2],
    }
)
ALL = {
    "orders": ORDERS,
    "shipments": SHIPMENTS,
    "order_items": ITEMS,
    "inventory": INVENTORY,
    "products": PRODUCTS,
}


@pytest.fixture
def camp(tiny):
    return tiny(ALL, {"sections": ["fulfilment", "summary"]})


def test_daily_shipping_parts(camp):
    d = camp.mart("fulfilment_daily").set_index("pay_day")
    nov2, nov3, nov4 = (d.loc[pd.Timestamp(x).date()] for x in ("2026-11-02", "2026-11-03", "2026-11-04"))
    assert nov2["period"] == "warmup" and nov2["due_orders"] == 1 and nov2["shipped_in_time"] == 0
    assert nov2["late"] == 1 and nov2["promise_known"] == 1
    # Nov 3: o1 o5 o7 o8 due; o5 unshipped; o1 o7 o8 in time; delivered o1 o7 o8, judged o1 o8, late o8
    assert nov3["period"] == "burst"
    assert (nov3["due_orders"], nov3["shipped_in_time"], nov3["unshipped"], nov3["shipped"]) == (4, 3, 1, 3)
    assert (nov3["delivered"], nov3["promise_known"], nov3["late"]) == (3, 2, 1)
    assert nov3["delivery_hours_sum"] == pytest.approx(48 + 24 + 36)
    assert nov3["ship_hours_sum"] == pytest.approx(34 + 12 + 18)
    # Nov 4: only o6, not yet due
    assert nov4["due_orders"] == 0 and nov4["not_yet_due"] == 1
    assert d["due_orders"].sum() == 5  # b1 and x9 are outside the window, o3/o4 not considered


def test_delivery_by_region_percentiles(camp):
    r = camp.mart("fulfilment_delivery_by_region").set_index("region")
    # East: o1 48 h, o7 24 h -> median 36, P90 24 + 0.9 * 24 = 45.6
    assert r.loc["East", "delivered"] == 2
    assert r.loc["East", "delivery_p50_hours"] == pytest.approx(36.0)
    assert r.loc["East", "delivery_p90_hours"] == pytest.approx(45.6)
    assert r.loc["East", "promise_known"] == 1 and r.loc["East", "late"] == 0
    assert r.loc["(unknown)", "late"] == 1
    # overall over 24, 36, 48, 96: median 42; P90 at rank 2.7 -> 48 + 0.7 * 48 = 81.6 (exact, not averaged)
    assert r.loc["overall", "delivered"] == 4
    assert r.loc["overall", "delivery_p50_hours"] == pytest.approx(42.0)
    assert r.loc["overall", "delivery_p90_hours"] == pytest.approx(81.6)
    assert r.loc["overall", "delivery_hours_sum"] == pytest.approx(204.0)


def test_a_promised_date_judges_lateness_by_its_end(tiny):
    """An estimated delivery date instead of promised hours (a marketplace export): late only after that day.

    o1 (delivered Nov 5 00:05) promised Nov 5: on time; o2 (delivered Nov 6 20:00) promised Nov 6 12:00,
    a time: late; o7 (delivered Nov 4 01:00) promised Nov 3: late; o8 no promise: not judged.
    """
    ship = SHIPMENTS.drop(columns="promised_hours").assign(
        promised_time=[None, ts("2026-11-05 00:00"), ts("2026-11-06 12:00"), None, ts("2026-11-03 00:00"), None]
    )
    camp = tiny({**ALL, "shipments": ship}, {"sections": ["fulfilment"]})
    r = camp.mart("fulfilment_delivery_by_region").set_index("region")
    assert (r.loc["overall", "promise_known"], r.loc["overall", "late"]) == (3, 2)
    assert (r.loc["East", "promise_known"], r.loc["East", "late"]) == (2, 1)  # o1 on time, o7 late
    from retro.sections import fulfilment

    ctx = camp.ctx("fulfilment")
    assert ctx.has("delivery_promise_date") and not ctx.has("delivery_promise")
    assert fulfilment.totals(ctx)["late_delivery_rate"] == pytest.approx(2 / 3)


def test_region_falls_back_to_the_buyers_province_and_late_needs_a_promise(tiny):
    """Shipments without region or promise (a marketplace export): region = orders.province, no late columns.

    Provinces: o1 Zhejiang (48 h), o2 Sichuan (96 h), o7 Zhejiang (24 h), o8 none (36 h) -> Zhejiang 2
    delivered, median 36; Sichuan 1; (unknown) 1. No order has a promise: "0 late" would be false.
    """
    from retro.sections import fulfilment

    prov = ["Zhejiang", "Zhejiang", "Sichuan", None, None, None, None, "Zhejiang", None, None]
    orders = ORDERS.assign(province=prov)
    ship = SHIPMENTS.drop(columns=["region", "promised_hours"])
    camp = tiny({"orders": orders, "shipments": ship}, {"sections": ["fulfilment"]})
    r = camp.mart("fulfilment_delivery_by_region").set_index("region")
    assert r.loc["Zhejiang", "delivered"] == 2 and r.loc["Zhejiang", "delivery_p50_hours"] == pytest.approx(36.0)
    assert r.loc["Sichuan", "delivered"] == 1 and r.loc["(unknown)", "delivered"] == 1
    ctx = camp.ctx("fulfilment")
    html = fulfilment.delivery_by_region(ctx)._repr_html_()
    assert "Zhejiang" in html and "the region is the buyer" in html
    assert "Late" not in html and "promise" not in html


def test_shipment_regions_win_over_provinces_for_the_whole_table(tiny):
    """With any shipment region known, the table is by shipment region; rows without one are (unknown)."""
    from retro.sections import fulfilment

    orders = ORDERS.assign(province=["Zhejiang"] * 10)
    camp = tiny({"orders": orders, "shipments": SHIPMENTS}, {"sections": ["fulfilment"]})
    r = camp.mart("fulfilment_delivery_by_region").set_index("region")
    assert "Zhejiang" not in r.index and r.loc["(unknown)", "delivered"] == 1  # o8: no region, not its province
    html = fulfilment.delivery_by_region(camp.ctx("fulfilment"))._repr_html_()
    assert "Late" in html and "province" not in html


def test_stock_and_sellouts(camp):
    s = camp.mart("fulfilment_stock").set_index("sku")
    a = s.loc["A"]
    assert (a["opening_stock"], a["received"], a["closing_stock"], a["units_sold"]) == (10, 20, 18, 4)
    assert a["hours_in_stock"] == pytest.approx(60.0) and a["hours_out_of_stock"] == pytest.approx(36.0)
    assert a["net_sales"] == pytest.approx(360.0)  # o1 180 + o5 90 + o8 90 (o7 refunded)
    assert s.loc["C", "hours_out_of_stock"] == 0 and pd.isna(s.loc["C", "sellout_time"])
    so = camp.mart("fulfilment_sellouts").set_index("sku")
    assert list(so.index) == ["A", "B"]
    assert so.loc["A", "sellout_time"] == ts("2026-11-03 00:00")
    assert so.loc["A", "restock_time"] == ts("2026-11-04 12:00")
    assert so.loc["A", "hours_from_start"] == pytest.approx(48.0)
    assert so.loc["A", "hours_from_burst_start"] == pytest.approx(0.0)
    assert so.loc["A", "replenishment_lag_hours"] == pytest.approx(36.0)
    assert so.loc["A", "name"] == "Cream"
    b = so.loc["B"]
    assert b["hours_from_burst_start"] == pytest.approx(47.0) and b["hours_out_of_stock"] == pytest.approx(1.0)
    assert pd.isna(b["restock_time"]) and pd.isna(b["replenishment_lag_hours"])


def test_recorded_figures(camp):
    from retro.sections import fulfilment

    ctx = camp.ctx("fulfilment")
    fulfilment.kpi_table(ctx)
    assert ctx.figure("ship_48h_rate") == pytest.approx(3 / 5)
    assert ctx.figure("late_delivery_rate") == pytest.approx(2 / 3)
    assert ctx.figure("avg_delivery_hours") == pytest.approx(51.0)
    assert ctx.figure("stockout_skus") == 2
    # A: 36 h out x 360 / 60 h in stock = 216; B: 1 h x 100 / 95 h
    assert ctx.figure("lost_sales_estimate") == pytest.approx(216 + 100 / 95)
    assert ctx.figure("replenishment_lag_hours") == pytest.approx(36.0)  # only A was restocked
    assert ctx.figure("sell_through") == pytest.approx((4 + 1 + 3) / (10 + 20 + 5 + 0 + 8 + 2))
    # per phase (by pay day): warm-up 0/1, burst 3/4, tail has no due order -> None (n/a)
    assert ctx.figure("ship_48h_rate", "warmup") == pytest.approx(0.0)
    assert ctx.figure("ship_48h_rate", "burst") == pytest.approx(0.75)
    assert ctx.figure("ship_48h_rate", "tail") is None
    assert ctx.figure("late_delivery_rate", "burst") == pytest.approx(1 / 2)
    assert fulfilment.totals(ctx)["ship_48h_rate"] == pytest.approx(0.6)


def test_tables_and_charts_render(camp):
    from retro.sections import fulfilment

    ctx = camp.ctx("fulfilment")
    html = fulfilment.shipping_by_phase(ctx)._repr_html_()
    assert "Burst" in html and "75.0%" in html and "n/a" in html  # tail: zero due orders
    region = fulfilment.delivery_by_region(ctx)._repr_html_()
    assert "East" in region and "81.6" in region
    stock = fulfilment.stockouts(ctx)._repr_html_()
    assert "Cream" in stock and ">216.00<" in stock
    assert fulfilment.late_by_day_chart(ctx).png()[:4] == b"\x89PNG"
    note = fulfilment.replenishment_note(ctx).text
    assert "1 of 2" in note and "1 not restocked" in note  # A waited 36 h; B never restocked


def test_without_inventory_or_items(tiny):
    from retro.sections import fulfilment

    camp = tiny({"orders": ORDERS, "shipments": SHIPMENTS}, {"sections": ["fulfilment"]})
    ctx = camp.ctx("fulfilment")
    assert not ctx.has_mart("fulfilment_sellouts")
    t = fulfilment.totals(ctx)
    assert t["ship_48h_rate"] == pytest.approx(0.6) and t["stockout_skus"] is None and t["lost_sales_estimate"] is None
    assert "hourly stock snapshots" in fulfilment.stockouts(ctx).text
    assert fulfilment.sell_through(ctx).text == ""  # the page has said it once
    fulfilment.kpi_table(ctx)
    assert ctx.figure("stockout_skus") is None


def test_inventory_without_order_items(tiny):
    from retro.sections import fulfilment

    camp = tiny({"orders": ORDERS, "shipments": SHIPMENTS, "inventory": INVENTORY}, {"sections": ["fulfilment"]})
    ctx = camp.ctx("fulfilment")
    t = fulfilment.totals(ctx)
    assert t["stockout_skus"] == 2 and t["lost_sales_estimate"] is None
    # without order lines, units sold come from the stock flow: opening + received - closing
    # A 10 + 20 - 18 = 12, B 5 - 0 = 5, C 8 + 2 - 8 = 2 over 45 units available
    assert t["sell_through"] == pytest.approx((12 + 5 + 2) / 45)


def test_the_stock_out_action_names_what_sold_out_first_and_its_cost(camp):
    from retro.sections import summary

    text = summary._sellouts(camp.ctx("summary"))
    # A sold out as the burst began and stayed out 36 h at ¥360 / 60 h in stock: ¥216 lost, named first
    assert text.startswith("Sold out first: A Cream (0.0 h after the burst began, ¥216.00 lost); B Serum (47.0 h")
