"""Users marts and figures against a hand-computed five-buyer campaign.

Calendar (conftest): warm-up Nov 1-2, burst Nov 3, tail Nov 4 2026; look-back 365 days (from 2025-11-01),
retention windows 7 / 14 / 30 days after Nov 4 (last days Nov 11 / Nov 18 / Dec 4).

Buyers: u1 returning (order 2025-12-01), u2 returning (Oct 1), u3 / u4 / u5 new. u7 is a returning
customer who only visits. The last order in the data is Nov 20, so the 30-day window has not matured.
"""

import math

import pandas as pd
import pytest
from conftest import ts

ORDERS = pd.DataFrame(
    {
        "order_id": [
            "h1",
            "b1",
            "b2",
            "o1",
            "o2",
            "o3",
            "o4",
            "o5",
            "o6",
            "o7",
            "o8",
            "a1",
            "a2",
            "a3",
            "a4",
        ],
        "user_id": ["u1", "u2", "u7", "u1", "u1", "u2", "u3", "u3", "u4", "u5", "u5", "u3", "u1", "u4", "u6"],
        "order_time": [
            ts("2025-12-01 10:00"),
            ts("2026-10-01 10:00"),
            ts("2026-10-02 10:00"),
            ts("2026-11-01 09:00"),
            ts("2026-11-03 00:10"),
            ts("2026-11-02 20:00"),
            ts("2026-11-03 01:00"),
            ts("2026-11-04 12:00"),
            ts("2026-11-04 10:00"),
            ts("2026-11-01 10:00"),
            ts("2026-11-03 10:00"),
            ts("2026-11-08 10:00"),
            ts("2026-11-15 10:00"),
            ts("2026-11-10 10:00"),
            ts("2026-11-20 10:00"),
        ],
        "status": [
            "paid",
            "paid",
            "paid",
            "paid",
            "paid",
            "paid",
            "paid",
            "cancelled",
            "paid",
            "refunded",
            "paid",
            "paid",
            "paid",
            "cancelled",
            "paid",
        ],
        "channel": [
            "search",
            "search",
            "search",
            "search",
            "live",
            "live",
            "search",
            "search",
            "private",
            "offsite",
            "offsite",
            "search",
            "search",
            "search",
            "search",
        ],
        "paid_amount": [
            50.0,
            60.0,
            40.0,
            100.0,
            200.0,
            150.0,
            300.0,
            50.0,
            80.0,
            500.0,
            120.0,
            70.0,
            90.0,
            30.0,
            10.0,
        ],
        "city_tier": [
            None,
            "tier3",
            "tier2",
            None,
            "tier1",
            "tier3",
            "tier4+",
            "tier4+",
            None,
            "tier1",
            "tier3",
            None,
            None,
            None,
            None,
        ],
    }
)
USERS = pd.DataFrame(
    {
        "user_id": ["u1", "u2", "u3", "u4", "u5"],
        "is_member": [True, False, True, False, None],
        "city_tier": ["tier2", "tier3", "tier4+", "tier2", "tier3"],
    }
)
EVENTS = pd.DataFrame(
    {
        "visitor_id": ["v1", "v1", "v2", "v2", "v7", "v3", "v3", "anon1", "anon1", "anon2", "v5", "v5", "x8"],
        "user_id": ["u1", "u1", "u2", "u2", "u7", "u3", "u3", None, None, None, "u5", "u5", None],
        "event_time": [
            ts("2026-11-01 08:00"),
            ts("2026-11-01 09:00"),
            ts("2026-11-02 19:00"),
            ts("2026-11-02 20:00"),
            ts("2026-11-03 09:00"),
            ts("2026-11-03 00:50"),
            ts("2026-11-03 01:00"),
            ts("2026-11-01 12:00"),
            ts("2026-11-03 12:00"),
            ts("2026-10-01 12:00"),
            ts("2026-11-03 09:00"),
            ts("2026-11-03 10:00"),
            ts("2026-11-04 09:00"),
        ],
        "channel": ["search"] * 13,
        "event_type": [
            "view",
            "pay",
            "view",
            "pay",
            "view",
            "view",
            "pay",
            "view",
            "view",
            "view",
            "view",
            "pay",
            "view",
        ],
    }
)


@pytest.fixture
def camp(tiny):
    return tiny({"orders": ORDERS, "users": USERS, "events": EVENTS}, {"sections": ["users", "summary"]})


@pytest.fixture
def bare(tiny):
    """Orders only: no events, no users table."""
    return tiny({"orders": ORDERS}, {"sections": ["users", "summary"]})


def row(df, **where):
    mask = pd.Series(True, index=df.index)
    for k, v in where.items():
        mask &= df[k] == v
    assert mask.sum() == 1, where
    return df[mask].iloc[0]


def test_history_and_first_seen(camp):
    h = camp.mart("users_history").iloc[0]
    assert h["first_order_time"] == ts("2025-12-01 10:00")
    assert h["last_order_time"] == ts("2026-11-20 10:00")
    from retro.sections import users

    ctx = camp.ctx("users")
    # data starts 2025-12-01, 335 days before Nov 1 2026: short of the 365-day look-back
    info = users.history(ctx)
    assert not info["covered"] and info["history_days"] == 335
    assert "first seen in the data" in users.history_note(ctx).text
    assert "First seen in the data" in users.new_vs_returning(ctx)._repr_html_()


def test_history_covered_with_shorter_lookback(tiny):
    # look-back 300 days starts 2026-01-05, after the first order: covered; u1's 2025 order is then too old,
    # so u1 becomes new: new = u1, u3, u4, u5
    c = tiny(
        {"orders": ORDERS},
        {
            "sections": ["users", "summary"],
            "settings": {"new_customer_lookback_days": 300, "retention_days": 30, "top_n": 3},
        },
    )
    from retro.sections import users

    ctx = c.ctx("users")
    assert users.history(ctx)["covered"]
    assert users.totals(ctx)["new_customers"] == 4


def test_history_covered_from_the_first_lookback_day(tiny):
    # look-back 335 days starts 2025-12-01 00:00; the first order, 2025-12-01 10:00, is on that day: covered
    c = tiny(
        {"orders": ORDERS},
        {
            "sections": ["users", "summary"],
            "settings": {"new_customer_lookback_days": 335, "retention_days": 30, "top_n": 3},
        },
    )
    from retro.sections import users

    assert users.history(c.ctx("users"))["covered"]


def test_new_vs_returning(camp):
    nr = camp.mart("users_new_returning")
    # buyers: u1 (o1 100 + o2 200), u2 (o3 150) returning; u3 (o4 300), u4 (o6 80), u5 (o8 120) new
    assert row(nr, period="overall", customer_type="all")["buyers"] == 5
    assert row(nr, period="overall", customer_type="new")["buyers"] == 3
    assert row(nr, period="overall", customer_type="new")["net_sales"] == pytest.approx(500.0)
    assert row(nr, period="overall", customer_type="returning")["net_sales"] == pytest.approx(450.0)
    assert row(nr, period="overall", customer_type="all")["repeat_buyers"] == 1  # u1
    # per phase, distinct per phase: u1 buys in warm-up (o1) and burst (o2), no repeat inside one phase
    assert row(nr, period="warmup", customer_type="returning")["buyers"] == 2  # u1, u2
    assert row(nr, period="burst", customer_type="all")["buyers"] == 3  # u1, u3, u5
    assert row(nr, period="burst", customer_type="all")["repeat_buyers"] == 0
    acq = camp.mart("users_acquisition")
    # first campaign order: u1 warmup search, u2 warmup live, u3 burst search, u5 burst offsite,
    # u4 tail private
    assert row(acq, first_phase="burst", first_channel="offsite", customer_type="new")["buyers"] == 1
    assert acq["buyers"].sum() == 5


def test_guest_orders_count_in_net_sales_as_their_own_type(tiny):
    """Orders without a user id are the campaign's sales too: every share is of the whole net sales."""
    guests = pd.DataFrame(
        {
            "order_id": ["g1", "g2", "g3"],
            "user_id": [None, None, None],
            "order_time": [ts("2026-11-03 11:00"), ts("2026-11-04 09:00"), ts("2026-11-04 10:00")],
            "status": ["paid", "paid", "cancelled"],
            "channel": ["search"] * 3,
            "paid_amount": [70.0, 30.0, 500.0],
        }
    )
    orders = pd.concat([ORDERS, guests.reindex(columns=ORDERS.columns)], ignore_index=True)
    camp = tiny({"orders": orders}, {"sections": ["sales", "users", "summary"]})
    nr = camp.mart("users_new_returning")
    guest = row(nr, period="overall", customer_type="guest")
    assert (guest["buyers"], guest["paid_orders"], guest["net_sales"]) == (0, 2, pytest.approx(100.0))
    everyone = row(nr, period="overall", customer_type="all")
    # named buyers as before (5, one repeat); net sales 500 new + 450 returning + 100 guest
    assert (everyone["buyers"], everyone["repeat_buyers"]) == (5, 1)
    assert everyone["net_sales"] == pytest.approx(1050.0)
    assert row(nr, period="burst", customer_type="guest")["net_sales"] == pytest.approx(70.0)
    from retro.sections import users

    assert users.totals(camp.ctx("users"))["new_customer_gmv_share"] == pytest.approx(500 / 1050)
    page = users.new_vs_returning(camp.ctx("users")).df.iloc[-1]  # the campaign as a whole
    assert (page["guest_orders"], page["guest_sales"]) == (2, pytest.approx(100.0))
    assert page["new_share"] == pytest.approx(500 / 1050)
    sales = camp.mart("sales_by_period").set_index("period")
    assert sales.loc["overall", "net_sales"] == pytest.approx(everyone["net_sales"])  # the same total on both pages
    assert camp.mart("users_rfm")["user_id"].notna().all()  # guests are no one's RFM
    buyers = camp.mart("users_acquisition")["buyers"].sum()
    assert buyers == 5  # no phantom "guest" buyer among the new customers


def test_visitor_conversion(camp):
    v = camp.mart("users_visitor_conversion")
    # new visitors: u3 (paid), anon1, u5 (paid), x8 -> 2 / 4; returning: u1 (paid), u2 (paid), u7 -> 2 / 3
    new = row(v, period="overall", visitor_type="new")
    assert (new["visitors"], new["paying_visitors"]) == (4, 2)
    ret = row(v, period="overall", visitor_type="returning")
    assert (ret["visitors"], ret["paying_visitors"]) == (3, 2)
    # burst: u7 returning without paying; anon1, u3, u5 new, two paid
    assert row(v, period="burst", visitor_type="new")["visitors"] == 3
    assert row(v, period="burst", visitor_type="returning")["paying_visitors"] == 0
    assert row(v, period="overall", visitor_type="all")["visitors"] == 7  # anon2 only visited on Oct 1


def test_retention_cohort_shows_matured_windows_only(camp):
    r = camp.mart("users_retention")
    # next paid order after Nov 4: u3 Nov 8 (within 7), u1 Nov 15 (within 14); u4's Nov 10 order was cancelled
    assert row(r, cohort="overall", customer_type="all", window_days=7)["retained"] == 1
    assert row(r, cohort="overall", customer_type="all", window_days=14)["retained"] == 2
    assert row(r, cohort="overall", customer_type="all", window_days=30)["retained"] == 2
    assert row(r, cohort="warmup", customer_type="returning", window_days=14)["buyers"] == 2
    from retro.sections import users

    ctx = camp.ctx("users")
    rr = users.retention_rates(ctx)
    overall = row(rr, cohort="overall", customer_type="all")
    assert overall["rate_7"] == pytest.approx(0.2)  # 1 / 5
    assert overall["rate_14"] == pytest.approx(0.4)  # 2 / 5
    # the 30-day window ends Dec 4, after the last order (Nov 20): blank, not 0 and not 2 / 5
    assert math.isnan(overall["rate_30"])
    assert row(rr, cohort="burst", customer_type="new")["rate_7"] == pytest.approx(0.5)  # u3 of u3, u5
    assert row(rr, cohort="tail", customer_type="new")["rate_14"] == pytest.approx(0.0)  # u4: a matured 0
    html = users.retention_cohort(ctx)._repr_html_()
    # the 7- and 14-day windows have matured and show; the 30-day one is left out with a line saying when it matures
    assert "40.0%" in html and "20.0%" in html
    assert "Retained within 14 days" in html and "Retained within 30 days" not in html
    assert "Retention within 30 days after the campaign is not shown yet" in html
    assert "2026-12-04" in html  # campaign end Nov 4 + 30 days


def test_rfm(camp):
    rfm = camp.mart("users_rfm").set_index("user_id")
    # window 2025-11-05 .. 2026-11-04: u1 = h1 50 + o1 100 + o2 200, last Nov 3 -> recency 1
    assert rfm.loc["u1", "frequency"] == 3 and rfm.loc["u1", "monetary"] == pytest.approx(350.0)
    assert rfm.loc["u1", "recency_days"] == 1
    assert rfm.loc["u4", "recency_days"] == 0
    assert rfm.loc["u7", "recency_days"] == 33  # Oct 2 -> Nov 4
    assert "u6" not in rfm.index  # only bought after the campaign
    from retro.sections import users

    tbl = users.rfm_segments(camp.ctx("users"))
    assert tbl.df["customers"].sum() == 6


def test_membership_and_tiers(camp):
    m = camp.mart("users_membership").set_index("member_status")
    # through Dec 4: u1 o1, o2, a2 and u3 o4, a1 repeat (members); u2 once, u4 once (a3 cancelled); u5 unknown
    assert (m.loc["member", "buyers"], m.loc["member", "repeat_buyers"]) == (2, 2)
    assert (m.loc["non_member", "buyers"], m.loc["non_member", "repeat_buyers"]) == (2, 0)
    assert m.loc["unknown", "buyers"] == 1
    t = camp.mart("users_city_tier").set_index("city_tier")
    # u1 tier1 (o2; o1 has none), u2 tier3, u3 tier4+, u4 tier2 (profile), u5 tier3 (o8; o7 refunded)
    assert t["buyers"].to_dict() == {"tier1": 1, "tier2": 1, "tier3": 2, "tier4+": 1}


def test_recorded_figures(camp):
    from retro.sections import users

    ctx = camp.ctx("users")
    users.kpi_table(ctx)
    assert ctx.figure("new_customers") == 3
    assert ctx.figure("new_customers", segment="burst") == 2  # u3, u5
    assert ctx.figure("new_customer_gmv_share") == pytest.approx(500 / 950)
    assert ctx.figure("new_visitor_cvr") == pytest.approx(2 / 4)
    assert ctx.figure("returning_visitor_cvr") == pytest.approx(2 / 3)
    assert ctx.figure("returning_visitor_cvr", segment="warmup") == pytest.approx(1.0)  # u1, u2 of u1, u2
    assert ctx.figure("new_visitor_cvr", segment="warmup") == pytest.approx(0.0)  # anon1
    assert ctx.figure("new_visitor_cvr", segment="tail") == pytest.approx(0.0)  # x8
    assert ctx.figure("repurchase_rate") == pytest.approx(1 / 5)
    assert ctx.figure("retention_30d") is None  # not matured
    assert ctx.figure("member_repurchase_rate") == pytest.approx(1.0)
    assert ctx.figure("nonmember_repurchase_rate") == pytest.approx(0.0)
    assert ctx.figure("lower_tier_share") == pytest.approx(3 / 5)  # u2, u3, u5
    assert users.totals(ctx)["retention_30d"] is None


def test_retention_matured_with_shorter_window(tiny):
    # retention_days 14: the headline retention_30d figure is the 14-day rate, 2 / 5 (matured by Nov 20)
    c = tiny(
        {"orders": ORDERS},
        {
            "sections": ["users", "summary"],
            "settings": {"new_customer_lookback_days": 365, "retention_days": 14, "top_n": 3},
        },
    )
    from retro.sections import users

    ctx = c.ctx("users")
    assert users.totals(ctx)["retention_30d"] == pytest.approx(0.4)
    users.kpi_table(ctx)
    assert ctx.figure("retention_30d", segment="warmup") == pytest.approx(0.5)  # u1 of u1, u2


def test_absent_optional_tables(bare):
    from retro.sections import users

    ctx = bare.ctx("users")
    assert not ctx.has_mart("users_visitor_conversion")
    assert "events" in users.visitor_conversion(ctx).text
    # users are derived from first orders, with no member flag: the membership table says so instead
    assert "member flag" in users.membership(ctx).text
    t = bare.mart("users_city_tier").set_index("city_tier")
    assert t.loc["unknown", "buyers"] == 1  # u4: no tier on its order and no profile to fall back to
    users.kpi_table(ctx)
    assert ctx.figure("new_visitor_cvr") is None and ctx.figure("member_repurchase_rate") is None
    assert ctx.figure("lower_tier_share") == pytest.approx(3 / 4)  # u2, u3, u5 of the 4 known


def test_zero_buyers(tiny):
    # only a cancelled campaign order: no buyers, every rate n/a
    orders = ORDERS[ORDERS["order_id"] == "o5"]
    c = tiny({"orders": orders}, {"sections": ["users", "summary"]})
    from retro.sections import users

    ctx = c.ctx("users")
    t = users.totals(ctx)
    assert t["repurchase_rate"] is None and t["retention_30d"] is None and t["lower_tier_share"] is None
    assert t["new_customer_gmv_share"] is None
    assert "n/a" in users.kpi_table(ctx)._repr_html_()
