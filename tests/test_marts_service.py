"""Service marts and figures against a hand-computed campaign (baseline Oct 1-2, warm-up Nov 1-2, burst Nov 3,
tail Nov 4).

Campaign tickets t3..t10 (t11 is after the campaign): 3 consults, 2 complaints, 3 returns, 8 in 4 days = 2/day
against the baseline's 2 in 2 days = 1/day -> +100%. First responses in the campaign (t8 has none):
10, 30, 45, 60, 120, 300, 600 -> median 60, P90 at rank 0.9 * 6 = 5.4 -> 300 + 0.4 * 300 = 420.
Paid orders: baseline 2, warm-up 2, burst 4, tail 0 (its only order was cancelled) -> campaign 6.
"""

import pandas as pd
import pytest
from conftest import ts

SERVICE = pd.DataFrame(
    {
        "ticket_id": [f"t{i}" for i in range(1, 12)],
        "order_id": [None] * 11,
        "created_time": [
            ts("2026-10-01 10:00"),
            ts("2026-10-02 11:00"),
            ts("2026-11-01 09:00"),
            ts("2026-11-02 10:00"),
            ts("2026-11-03 00:10"),
            ts("2026-11-03 00:20"),
            ts("2026-11-03 01:00"),
            ts("2026-11-03 02:00"),
            ts("2026-11-03 03:00"),
            ts("2026-11-04 12:00"),
            ts("2026-11-05 00:00"),
        ],
        "first_response_seconds": [10.0, 20.0, 10.0, 30.0, 60.0, 600.0, 120.0, None, 300.0, 45.0, 5.0],
        "ticket_type": [
            "consult",
            "complaint",
            "consult",
            "consult",
            "consult",
            "complaint",
            "return",
            "return",
            "complaint",
            "return",
            "consult",
        ],
        "reason": [None, "late", None, None, "stock", "late delivery", "size", "size", "damaged", None, None],
        "satisfaction": [5.0, 3.0, 4.0, None, 5.0, 1.0, 3.0, None, 2.0, 4.0, 5.0],
    }
)
ORDERS = pd.DataFrame(
    {
        "order_id": [f"o{i}" for i in range(1, 12)],
        "user_id": ["u1"] * 11,
        "order_time": [
            ts("2026-10-01 09:00"),
            ts("2026-10-02 09:00"),
            ts("2026-10-02 10:00"),
            ts("2026-11-01 09:00"),
            ts("2026-11-02 09:00"),
            ts("2026-11-03 00:01"),
            ts("2026-11-03 00:02"),
            ts("2026-11-03 05:00"),
            ts("2026-11-03 23:59"),
            ts("2026-11-03 12:00"),
            ts("2026-11-04 10:00"),
        ],
        "status": [
            "paid",
            "paid",
            "cancelled",
            "paid",
            "paid",
            "paid",
            "paid",
            "paid",
            "paid",
            "refunded",
            "cancelled",
        ],
        "channel": ["search"] * 11,
        "paid_amount": [10.0] * 11,
    }
)
# NPS: baseline 9, 9; burst 10, 9, 8, 6; tail 3, 10; follow-up (within retention_days = 30 after Nov 4) 9;
# Dec 20 is past the follow-up and left out.
NPS = pd.DataFrame(
    {
        "respondent_id": [f"r{i}" for i in range(1, 11)],
        "survey_time": [ts("2026-10-01 12:00"), ts("2026-10-02 12:00")]
        + [ts("2026-11-03 12:00")] * 4
        + [ts("2026-11-04 12:00")] * 2
        + [ts("2026-11-06 12:00"), ts("2026-12-20 12:00")],
        "score": [9, 9, 10, 9, 8, 6, 3, 10, 9, 0],
    }
)


@pytest.fixture
def camp(tiny):
    return tiny({"service": SERVICE, "orders": ORDERS, "nps": NPS}, {"sections": ["service", "summary"]})


def test_by_period_counts_and_percentiles(camp):
    per = camp.mart("service_by_period").set_index("period")
    o = per.loc["overall"]
    assert (o["tickets"], o["consults"], o["complaints"], o["returns"], o["days"]) == (8, 3, 2, 3, 4)
    assert o["responded"] == 7 and o["response_seconds_sum"] == pytest.approx(1165.0)
    assert o["response_p50_seconds"] == pytest.approx(60.0)
    assert o["response_p90_seconds"] == pytest.approx(420.0)
    # burst: 60, 120, 300, 600 -> median 210, P90 300 + 0.7 * 300 = 510
    assert per.loc["burst", "response_p50_seconds"] == pytest.approx(210.0)
    assert per.loc["burst", "response_p90_seconds"] == pytest.approx(510.0)
    # warm-up: 10, 30 -> median 20, P90 10 + 0.9 * 20 = 28
    assert per.loc["warmup", "response_p90_seconds"] == pytest.approx(28.0)
    assert per.loc["baseline", "tickets"] == 2 and per.loc["baseline", "days"] == 2
    # rated in the campaign: 4, 5, 1, 3, 2, 4
    assert o["rated"] == 6 and o["stars_sum"] == pytest.approx(19.0)


def test_daily_percentiles_are_per_day(camp):
    d = camp.mart("service_daily").set_index("day")
    assert d.loc[pd.Timestamp("2026-11-01").date(), "response_p50_seconds"] == pytest.approx(10.0)
    assert d.loc[pd.Timestamp("2026-11-03").date(), "tickets"] == 5
    # the mean of the daily medians (10, 30, 210, 45) / 4 = 73.75 is not the campaign median (60)
    camp_days = d[d["period"] != "baseline"]
    assert camp_days["response_p50_seconds"].mean() == pytest.approx(73.75)
    assert len(d) == 6  # 2 baseline days + 4 campaign days; Nov 5 is outside


def test_reasons_and_paid_orders(camp):
    r = camp.mart("service_reasons")
    size = r[(r["ticket_type"] == "return") & (r["reason"] == "size")]
    assert int(size["tickets"].iloc[0]) == 2
    assert "(not given)" in set(r[r["ticket_type"] == "return"]["reason"])
    assert r["tickets"].sum() == 8
    paid = camp.mart("service_paid_orders").set_index("period")["paid_orders"]
    assert (paid["baseline"], paid["warmup"], paid["burst"], paid["overall"]) == (2, 2, 4, 6)
    assert paid.get("tail", 0) == 0  # only a cancelled order on Nov 4


def test_recorded_figures(camp):
    from retro.sections import service

    ctx = camp.ctx("service")
    service.kpi_table(ctx)
    assert ctx.figure("contacts") == 8
    assert ctx.figure("contacts_lift") == pytest.approx(1.0)  # 8/4 per day vs 2/2 per day
    assert ctx.figure("contacts_lift", "burst") == pytest.approx(4.0)  # 5/1 vs 1
    assert ctx.figure("first_response_p50_seconds") == pytest.approx(60.0)
    assert ctx.figure("first_response_p90_seconds") == pytest.approx(420.0)
    assert ctx.figure("first_response_p50_seconds", "burst") == pytest.approx(210.0)
    assert ctx.figure("complaint_rate") == pytest.approx(2 / 6)
    assert ctx.figure("return_rate") == pytest.approx(3 / 6)
    assert ctx.figure("complaint_rate", "burst") == pytest.approx(2 / 4)
    assert ctx.figure("return_rate", "tail") is None  # 1 return over 0 paid orders
    assert ctx.figure("csat") == pytest.approx(19 / 6)
    # campaign + follow-up answers 10, 9, 8, 6, 3, 10, 9: promoters 4/7, detractors 2/7 -> 28.6 points
    # (with the Dec 20 zero it would be 4/8 - 3/8 = 12.5)
    assert ctx.figure("nps") == pytest.approx(28.6)
    assert service.totals(ctx)["complaint_rate"] == pytest.approx(1 / 3)


def test_tables_render(camp):
    from retro.sections import service

    ctx = camp.ctx("service")
    sat = service.satisfaction(ctx)._repr_html_()
    assert "unreliable" in sat and "28.6" in sat and "100.0" in sat  # baseline 9, 9 -> NPS 100
    assert "Follow-up (30 days after)" in sat  # the follow-up row: one answer, 9 -> NPS 100
    comp = service.complaints_table(ctx)._repr_html_()
    # tail has no paid order; campaign 2/6 vs baseline 1/2 -> -33.3%; burst 2/4 vs 1/2 -> +0.0%
    assert "33.3%" in comp and "n/a" in comp and "-33.3%" in comp and "+0.0%" in comp
    assert "+100.0%" in service.contacts_note(ctx).text
    resp = service.response_by_phase(ctx)._repr_html_()
    assert "7.0 min" in resp  # campaign P90 420 s
    reasons = service.reasons_table(ctx)._repr_html_()
    assert "size" in reasons and "Return / after-sales" in reasons
    assert service.response_chart(ctx).png()[:4] == b"\x89PNG"
    assert service.contacts_chart(ctx).png()[:4] == b"\x89PNG"


def test_without_orders_or_nps(tiny):
    from retro.sections import service

    camp = tiny({"service": SERVICE}, {"sections": ["service"]})
    ctx = camp.ctx("service")
    assert not ctx.has_mart("service_paid_orders") and not ctx.has_mart("service_nps")
    t = service.totals(ctx)
    assert t["contacts"] == 8 and t["complaint_rate"] is None and t["nps"] is None
    assert "orders" in service.complaints_table(ctx).text
    assert "nps" in service.satisfaction(ctx).note
    service.kpi_table(ctx)
    assert ctx.figure("complaint_rate") is None and ctx.figure("csat") == pytest.approx(19 / 6)


def test_nps_without_campaign_answers(tiny):
    from retro.sections import service

    outside = NPS[NPS["survey_time"] < ts("2026-11-01 00:00")]
    camp = tiny({"service": SERVICE, "nps": outside}, {"sections": ["service"]})
    ctx = camp.ctx("service")
    assert service.totals(ctx)["nps"] is None
    assert "n/a" in service.satisfaction(ctx)._repr_html_()
