"""Marketing marts and figures against a hand-computed campaign of six placements and six orders.

Calendar (conftest): warm-up Nov 1-2, burst Nov 3, tail Nov 4 2026; new-customer look-back 365 days.
"""

import pandas as pd
import pytest
from conftest import ts

MARKETING = pd.DataFrame(
    {
        "date": pd.to_datetime(
            ["2026-11-01", "2026-11-03", "2026-11-03", "2026-11-04", "2026-11-02", "2026-11-02", "2026-10-30"]
        ).date,
        "channel": ["search", "search", "offsite", "offsite", "offsite", "private", "search"],
        "placement": ["kw", "kw", "KOL A", "KOL B", "KOL C", "group", "kw"],
        "is_kol": [False, False, True, True, True, False, False],
        "spend": [100.0, 200.0, 300.0, 100.0, 50.0, 0.0, 999.0],  # Oct 30 is before the campaign
        "impressions": [10000, 20000, 5000, 5000, 1000, 0, 99999],
        "clicks": [500, 500, 250, 250, 0, 0, 999],
        "attributed_orders": [10, 20, 10, 5, 0, 2, 99],
        "attributed_revenue": [600.0, 1000.0, 1200.0, 400.0, 0.0, 160.0, 9999.0],
    }
)
ORDERS = pd.DataFrame(
    {
        "order_id": ["p1", "m1", "m2", "m3", "m4", "m5", "m6"],
        "user_id": ["u1", "u1", "u2", "u3", "u3", "u4", "u5"],
        "order_time": [
            ts("2026-10-01 10:00"),
            ts("2026-11-01 10:00"),
            ts("2026-11-02 10:00"),
            ts("2026-11-03 00:30"),
            ts("2026-11-01 08:00"),
            ts("2026-11-04 12:00"),
            ts("2026-11-04 13:00"),
        ],
        "status": ["paid", "paid", "paid", "paid", "cancelled", "paid", "refunded"],
        "channel": ["search", "search", "search", "offsite", "live", "private", "live"],
        "paid_amount": [100.0, 200.0, 300.0, 400.0, 50.0, 100.0, 250.0],
        "coupon_id": [None, "C1", "C1", "C2", None, None, None],
    }
)
ITEMS = pd.DataFrame(
    {
        "order_id": ["m1", "m2", "m2", "m3", "m5", "m5", "m4"],
        "sku": ["A", "A", "B", "C", "B", "POST", "A"],
        "quantity": [2, 1, 1, 1, 1, 1, 1],
        "unit_price": [100.0, 100.0, 200.0, 400.0, 90.0, 10.0, 50.0],
        "paid_amount": [200.0, 100.0, 200.0, 400.0, 90.0, 10.0, 50.0],
        "unit_cost": [40.0, None, 60.0, None, 60.0, 0.0, 40.0],
    }
)
PRODUCTS = pd.DataFrame(
    {
        "sku": ["A", "B", "C", "POST"],
        "category": ["skin", "skin", "face", "fee"],
        "unit_cost": [40.0, 60.0, None, 0.0],
        "is_merchandise": [True, True, True, False],
    }
)
COUPONS = pd.DataFrame(
    {
        "coupon_id": ["C1", "C2", "C3"],
        "coupon_type": ["shop", "platform", "shop"],
        "face_value": [20.0, 50.0, 10.0],
        "issued": [100, 10, 50],
        "redeemed": [None, 4, 5],  # C1: counted from orders (m1, m2); C2: the table's 4 wins over 1 order
    }
)
BUDGET = {"search": 600.0, "offsite": 300.0, "live": 100.0}

# cost of goods ratio: paid campaign merchandise lines m1 A (2 x 40), m2 A (1 x 40 from products),
# m2 B (60), m3 C (unknown), m5 B (60); POST excluded, m4 cancelled.
# costed sales 200 + 100 + 200 + 90 = 590, cogs 80 + 40 + 60 + 60 = 240
COGS = 240 / 590


@pytest.fixture
def camp(tiny):
    return tiny(
        {
            "marketing": MARKETING,
            "orders": ORDERS,
            "order_items": ITEMS,
            "products": PRODUCTS,
            "coupons": COUPONS,
        },
        {"sections": ["marketing", "summary"], "budget": BUDGET},
    )


def test_spend_by_channel(camp):
    m = camp.mart("marketing_by_channel")
    assert m["spend"].sum() == pytest.approx(750.0)  # Oct 30 row excluded
    s = m[m["channel"] == "search"]
    assert set(s["period"]) == {"warmup", "burst"}
    assert s["clicks"].sum() == 1000 and s["attributed_revenue"].sum() == pytest.approx(1600.0)


def test_new_customers_by_first_channel(camp):
    nc = camp.mart("marketing_new_customers").set_index("channel")
    # u1 returning (Oct 1); new: u2 (search), u3 (offsite: its cancelled live order m4 does not count), u4
    assert nc["new_customers"].to_dict() == {"offsite": 1, "private": 1, "search": 1}
    assert nc.loc["search", "buyers"] == 2


def test_cogs_coupons_gmv_kol(camp):
    c = camp.mart("marketing_cogs").iloc[0]
    assert c["costed_sales"] == pytest.approx(590.0) and c["cogs"] == pytest.approx(240.0)
    assert c["net_sales"] == pytest.approx(990.0)
    cp = camp.mart("marketing_coupons").set_index("coupon_type")
    assert cp.loc["shop", "redeemed"] == 7  # 2 counted + 5
    assert cp.loc["shop", "cost"] == pytest.approx(90.0)  # 20 x 2 + 10 x 5
    assert cp.loc["shop", "counted_from_orders"] == 1
    assert cp.loc["platform", "cost"] == pytest.approx(200.0)  # 50 x 4
    g = camp.mart("marketing_channel_gmv").set_index("channel")
    # any status in the window: search 200 + 300, live 50 + 250, offsite 400, private 100 = 1300
    assert g.loc["search", "gmv"] == pytest.approx(500.0) and g.loc["live", "net_sales"] == 0
    assert g["gmv"].sum() == pytest.approx(1300.0)
    k = camp.mart("marketing_kol")
    assert list(k["placement"]) == ["KOL A", "KOL B", "KOL C"]


def test_recorded_figures(camp):
    from retro.sections import marketing

    ctx = camp.ctx("marketing")
    marketing.kpi_table(ctx)
    assert ctx.figure("spend") == pytest.approx(750.0)
    assert ctx.figure("roas") == pytest.approx(3360 / 750)  # 1600 + 1600 + 160
    assert ctx.figure("roi") == pytest.approx((3360 - 750 - 3360 * COGS) / 750)
    assert ctx.figure("cac") == pytest.approx(250.0)  # 750 / 3 new customers
    assert ctx.figure("ctr") == pytest.approx(1500 / 41000)
    assert ctx.figure("ad_cvr") == pytest.approx(47 / 1500)
    assert ctx.figure("coupon_redemption_rate") == pytest.approx(11 / 160)
    assert ctx.figure("coupon_cost") == pytest.approx(290.0)
    assert ctx.figure("top_kol_share") == pytest.approx(1200 / 1600)
    assert ctx.figure("budget_utilisation") == pytest.approx(750 / 1000)  # search + offsite + live budgets
    # per channel
    assert ctx.figure("roas", segment="search") == pytest.approx(1600 / 300)
    assert ctx.figure("roi", segment="search") == pytest.approx((1600 - 300 - 1600 * COGS) / 300)
    assert ctx.figure("cac", segment="offsite") == pytest.approx(450.0)
    assert ctx.figure("ctr", segment="offsite") == pytest.approx(500 / 11000)
    assert ctx.figure("budget_utilisation", segment="offsite") == pytest.approx(1.5)
    assert ctx.figure("budget_utilisation", segment="live") == pytest.approx(0.0)
    # private: no spend, no impressions, no clicks -> every ratio n/a
    for key in ("roas", "roi", "cac", "ctr", "ad_cvr"):
        assert ctx.figure(key, segment="private") is None, key
    # per phase: burst = search 200 (rev 1000) + KOL A 300 (rev 1200)
    assert ctx.figure("roas", segment="burst") == pytest.approx(2200 / 500)


def test_tables_show_na_for_zero_spend(camp):
    from retro.sections import marketing

    ctx = camp.ctx("marketing")
    rows = marketing.channel_rows(ctx).set_index("channel")
    assert pd.isna(rows.loc["private", "roas"]) and pd.isna(rows.loc["private", "cac"])
    # live has new customers 0 and no marketing rows: spend 0, CAC n/a
    assert "live" not in rows.index or pd.isna(rows.loc["live", "cac"])
    html = marketing.channel_table(ctx)._repr_html_()
    assert "n/a" in html and "Private domain" in html
    budget = marketing.budget_table(ctx)
    assert "no budget in the YAML" in budget._repr_html_()  # private spends without a budget
    assert "over budget" in budget._repr_html_()  # offsite 450 of 300
    assert "ROI subtracts cost of goods" in marketing.roi_note(ctx).text


def test_zero_spend_everywhere(tiny):
    zero = MARKETING.assign(spend=0.0)
    c = tiny({"marketing": zero, "orders": ORDERS}, {"sections": ["marketing", "summary"]})
    from retro.sections import marketing

    ctx = c.ctx("marketing")
    t = marketing.totals(ctx)
    assert t["spend"] == 0 and t["roas"] is None and t["roi"] is None and t["cac"] is None
    html = marketing.kpi_table(ctx)._repr_html_()
    assert ctx.figure("roas") is None and ctx.figure("cac") is None
    assert html.count("n/a") >= 3
    assert ctx.figure("budget_utilisation") is None  # no budget in this YAML
    assert "budget" in marketing.budget_table(ctx).text


def test_absent_optional_tables(tiny):
    # marketing only: no orders (no CAC, no GMV contribution), no coupons, no order lines (ROI without COGS)
    c = tiny({"marketing": MARKETING}, {"sections": ["marketing", "summary"]})
    from retro.sections import marketing

    ctx = c.ctx("marketing")
    assert not ctx.has_mart("marketing_cogs") and not ctx.has_mart("marketing_coupons")
    t = marketing.totals(ctx)
    assert t["roi"] == pytest.approx((3360 - 750) / 750)
    assert t["cac"] is None and t["coupon_cost"] is None
    assert "without cost of goods" in marketing.roi_note(ctx).text
    assert "coupons" in marketing.coupons(ctx).text
    assert "orders" in marketing.channel_contribution(ctx).text
    marketing.kpi_table(ctx)
    assert "cac" not in marketing.channel_rows(ctx)


def test_coupons_without_orders_keep_redeemed_unknown(tiny):
    c = tiny({"marketing": MARKETING, "coupons": COUPONS}, {"sections": ["marketing", "summary"]})
    cp = c.mart("marketing_coupons").set_index("coupon_type")
    assert cp.loc["platform", "redeemed"] == 4
    assert cp.loc["shop", "redeemed"] == 5  # C1 unknown without orders: only C3's 5
