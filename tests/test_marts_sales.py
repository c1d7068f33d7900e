"""Sales marts and figures against a hand-computed five-order campaign."""

import re

import pandas as pd
import pytest
from conftest import ts

ORDERS = pd.DataFrame(
    {
        "order_id": ["b1", "o1", "o2", "o3", "o4", "o5", "late"],
        "user_id": ["u1", "u1", "u2", "u2", "u3", "u4", "u1"],
        "order_time": [
            ts("2026-10-01 10:00"),
            ts("2026-11-01 09:00"),
            ts("2026-11-02 20:00"),
            ts("2026-11-03 00:10"),
            ts("2026-11-03 00:40"),
            ts("2026-11-04 12:00"),
            ts("2026-11-05 00:00"),
        ],  # 'late' is the first minute after the campaign
        "pay_time": [
            ts("2026-10-01 10:01"),
            ts("2026-11-03 00:05"),
            ts("2026-11-02 20:01"),
            None,
            ts("2026-11-03 00:41"),
            ts("2026-11-04 12:01"),
            ts("2026-11-05 00:01"),
        ],
        "status": ["paid", "paid", "paid", "cancelled", "refunded", "paid", "paid"],
        "channel": ["search", "search", "live", "live", "search", "private", "search"],
        "paid_amount": [50.0, 300.0, 100.0, 80.0, 120.0, 200.0, 999.0],
        "is_presale": [False, True, False, False, False, False, False],
    }
)
ITEMS = pd.DataFrame(
    {
        "order_id": ["b1", "o1", "o1", "o2", "o3", "o4", "o5", "o5"],
        "sku": ["A", "A", "B", "B", "A", "A", "C", "POST"],
        "quantity": [1, 2, 1, 1, 1, 1, 3, 1],
        "unit_price": [50.0, 100.0, 120.0, 100.0, 80.0, 120.0, 60.0, 10.0],
        "paid_amount": [50.0, 180.0, 120.0, 100.0, 80.0, 120.0, 190.0, 10.0],
        "unit_cost": [20.0, 20.0, 50.0, None, 20.0, 20.0, None, 0.0],
    }
)
PRODUCTS = pd.DataFrame(
    {
        "sku": ["A", "B", "C", "POST"],
        "name": ["Cream", "Serum", "Mask", "Postage"],
        "category": ["skin", "skin", "face", "fee"],
        "unit_cost": [20.0, 40.0, 30.0, 0.0],
        "launch_date": pd.to_datetime(["2025-01-01", "2026-10-20", "2025-06-01", "2020-01-01"]).date,
        "is_merchandise": [True, True, True, False],
    }
)


@pytest.fixture
def camp(tiny):
    return tiny({"orders": ORDERS, "order_items": ITEMS, "products": PRODUCTS}, {"sections": ["sales", "summary"]})


def test_period_totals_gross_vs_net(camp):
    per = camp.mart("sales_by_period").set_index("period")
    overall = per.loc["overall"]
    # campaign orders o1..o5: GMV counts all five, net only paid (o1, o2, o5)
    assert overall["orders"] == 5
    assert overall["gmv"] == pytest.approx(800.0)
    assert overall["paid_orders"] == 3
    assert overall["net_sales"] == pytest.approx(600.0)
    assert overall["lost_gmv"] == pytest.approx(200.0)
    assert overall["presale_net_sales"] == pytest.approx(300.0)
    assert overall["buyers"] == 3  # u1, u2, u4 paid; u3 only refunded
    assert overall["days"] == 4
    assert per.loc["warmup", "orders"] == 2 and per.loc["burst", "gmv"] == pytest.approx(200.0)
    assert per.loc["baseline", "gmv"] == pytest.approx(50.0) and per.loc["baseline", "days"] == 2


def test_an_unpaid_order_is_in_gmv_but_neither_sold_nor_lost(tiny):
    """A pending order (created, 待付款) counts in GMV, not in net sales and not as cancelled or refunded."""
    from retro.sections import sales

    orders = pd.concat(
        [
            ORDERS,
            pd.DataFrame(
                {
                    "order_id": ["o6"],
                    "user_id": ["u5"],
                    "order_time": [ts("2026-11-04 13:00")],
                    "pay_time": [None],
                    "status": ["pending"],
                    "channel": ["search"],
                    "paid_amount": [40.0],
                    "is_presale": [False],
                }
            ),
        ],
        ignore_index=True,
    )
    camp = tiny({"orders": orders, "order_items": ITEMS, "products": PRODUCTS}, {"sections": ["sales"]})
    overall = camp.mart("sales_by_period").set_index("period").loc["overall"]
    assert overall["gmv"] == pytest.approx(840.0) and overall["net_sales"] == pytest.approx(600.0)
    assert overall["lost_gmv"] == pytest.approx(200.0)  # o3 cancelled + o4 refunded, not o6
    assert (overall["pending_orders"], overall["pending_gmv"]) == (1, pytest.approx(40.0))
    ctx = camp.ctx("sales")
    assert sales.totals(ctx)["refund_rate"] == pytest.approx(200 / 840)
    table = sales.gross_vs_net(ctx)
    assert "pending_gmv" in table.df.columns and "Unpaid (pending)" in table._repr_html_()


def test_an_unmapped_status_word_gets_the_likely_value_as_its_example():
    from retro.schema import ORDER_STATUSES
    from retro.staging.mapping import _likely_value

    assert [_likely_value(w, ORDER_STATUSES) for w in ("待付款", "交易关闭", "退款成功", "交易成功", "created")] == [
        "pending",
        "cancelled",
        "refunded",
        "paid",
        "pending",
    ]
    assert _likely_value("weird", ORDER_STATUSES) == "paid"  # no guess: the first allowed value


def test_no_pending_column_without_pending_orders(camp):
    from retro.sections import sales

    assert "pending_gmv" not in sales.gross_vs_net(camp.ctx("sales")).df.columns


def test_hourly_and_channel(camp):
    hourly = camp.mart("sales_hourly")
    burst = hourly[hourly["hour"] == pd.Timestamp("2026-11-03 00:00")].iloc[0]
    assert burst["orders"] == 2 and burst["gmv"] == pytest.approx(200.0)
    ch = camp.mart("sales_by_channel")
    search = ch[(ch["channel"] == "search") & (ch["period"] == "overall")].iloc[0]
    assert search["gmv"] == pytest.approx(420.0) and search["net_sales"] == pytest.approx(300.0)


def test_lines_exclude_unpaid_and_non_merchandise(camp):
    cat = camp.mart("sales_by_category").set_index("category")
    # paid campaign orders o1, o2, o5; POST is not merchandise
    assert set(cat.index) == {"skin", "face"}
    assert cat.loc["skin", "net_sales"] == pytest.approx(400.0)  # 180 + 120 + 100
    assert cat.loc["skin", "units"] == 4
    # cost: line cost first, product cost when the line has none: A 2x20, B 1x50, B 1x40
    assert cat.loc["skin", "cogs"] == pytest.approx(130.0)
    assert cat.loc["face", "cogs"] == pytest.approx(90.0)  # C 3 x 30 from products
    ex = camp.mart("sales_excluded_lines")
    assert list(ex["sku"]) == ["POST"] and ex["net_sales"].sum() == pytest.approx(10.0)


def test_recorded_figures(camp):
    from retro.sections import sales

    ctx = camp.ctx("sales")
    sales.kpi_table(ctx)
    assert ctx.figure("aov") == pytest.approx(200.0)  # 600 / 3
    assert ctx.figure("spend_per_buyer") == pytest.approx(200.0)  # 600 / 3 buyers
    assert ctx.figure("refund_rate") == pytest.approx(0.25)  # 200 / 800
    assert ctx.figure("presale_share") == pytest.approx(0.5)
    # units per paid campaign order: (2+1) + 1 + (3+1) = 8 units over 3 orders
    assert ctx.figure("attach_rate") == pytest.approx(8 / 3)
    # margin over merchandise lines with known cost: sales 590, cogs 220
    assert ctx.figure("gross_margin") == pytest.approx((590 - 220) / 590)
    assert ctx.figure("peak_hour_share") == pytest.approx(300 / 800)  # o1's hour 09:00 on Nov 1


def test_tables_render_in_language(camp):
    from retro.sections import sales

    ctx = camp.ctx("sales")
    html = sales.gross_vs_net(ctx)._repr_html_()
    assert "Warm-up" in html and ">800.00<" in html and "(¥)</th>" in html


def test_freight_is_shown_in_sales_and_kept_out_of_the_rankings(tiny):
    """Freight within the paid amount: summed over paid orders, shown in the phase table, on no product line."""
    from retro.sections import sales

    orders = ORDERS.assign(freight=[1.0, 10.0, 0.0, 7.0, 9.0, 5.0, 3.0])
    camp = tiny({"orders": orders, "order_items": ITEMS, "products": PRODUCTS}, {"sections": ["sales"]})
    per = camp.mart("sales_by_period").set_index("period")
    assert per.loc["overall", "freight"] == pytest.approx(15.0)  # paid campaign orders o1, o2, o5: 10 + 0 + 5
    assert per.loc["baseline", "freight"] == pytest.approx(1.0)
    ctx = camp.ctx("sales")
    table = sales.gross_vs_net(ctx)
    assert list(table.df.columns).index("freight") == list(table.df.columns).index("net_sales") + 1
    note = sales.freight_note(ctx)._repr_html_()
    assert "15.00" in note and "2.5%" in note  # 15 / 600 of net sales
    assert camp.mart("sales_by_sku")["net_sales"].sum() == pytest.approx(590.0)  # lines only: 300 + 100 + 190


def test_no_freight_column_without_freight(camp):
    from retro.display import Omitted
    from retro.sections import sales

    ctx = camp.ctx("sales")
    assert "freight" not in sales.gross_vs_net(ctx).df.columns
    assert isinstance(sales.freight_note(ctx), Omitted)


PROVINCES = ["Zhejiang", "Zhejiang", "Sichuan", "Sichuan", "Zhejiang", None, "Zhejiang"]


def test_sales_by_province(tiny):
    """Campaign orders by buyer province: o1 Zhejiang paid 300, o4 Zhejiang refunded 120, o2 Sichuan paid 100,
    o3 Sichuan cancelled 80, o5 without a province paid 200 (b1 and 'late' are outside the campaign).
    """
    orders = ORDERS.assign(province=PROVINCES)
    camp = tiny({"orders": orders}, {"sections": ["sales"]})
    r = camp.mart("sales_by_province").set_index("province")
    assert (r.loc["Zhejiang", "orders"], r.loc["Zhejiang", "gmv"], r.loc["Zhejiang", "net_sales"]) == (2, 420, 300)
    assert (r.loc["Sichuan", "paid_orders"], r.loc["Sichuan", "net_sales"], r.loc["Sichuan", "gmv"]) == (1, 100, 180)
    assert r.loc["(unknown)", "net_sales"] == 200 and r["net_sales"].sum() == 600
    assert list(r.index) == ["Zhejiang", "(unknown)", "Sichuan"]


def test_province_table_top_n_then_orders_without_a_province(tiny):
    """Paid campaign orders: A 400 (two buyers, two orders), B 300, C 200, D 100, no province 50; total 1,050.

    Top 3 (the tiny campaign's top_n): A 38.1%, B 28.6%, C 19.0%; D (100, 9.5%) summed in the note; the
    orders without a province are their own row, 4.8%. A's AOV: 400 / 2 orders = 200.
    """
    from retro.sections import sales

    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(6)],
            "user_id": ["u0", "u1", "u2", "u3", "u4", "u5"],
            "order_time": [ts("2026-11-03 10:00")] * 6,
            "pay_time": [ts("2026-11-03 10:01")] * 6,
            "status": ["paid"] * 6,
            "channel": ["search"] * 6,
            "paid_amount": [250.0, 150.0, 300.0, 200.0, 100.0, 50.0],
            "province": ["A", "A", "B", "C", "D", None],
        }
    )
    camp = tiny({"orders": orders}, {"sections": ["sales"]})
    html = sales.province_table(camp.ctx("sales"))._repr_html_()
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    body = [re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", row)).strip() for row in rows[1:]]
    assert body[0].startswith("A 400.00 38.1% 2 2 200.00"), body
    assert [re.split(r" \d", b)[0] for b in body] == ["A", "B", "C", "No province on the order"]
    assert "28.6%" in body[1] and "19.0%" in body[2] and "4.8%" in body[3]
    assert "1 other province (¥100.00, 9.5%) is not listed" in html
    assert "¥1,050.00" in html  # the denominator is the campaign's net sales


def test_no_province_table_without_provinces(camp):
    from retro.display import Omitted
    from retro.sections import sales

    out = sales.province_table(camp.ctx("sales"))
    assert isinstance(out, Omitted) and "province" in out.text
