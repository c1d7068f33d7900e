"""Why and how much on a hand-made campaign: the goals page's decomposition, the summary's headline and actions.

Calendar (conftest): warm-up Nov 1-2, burst Nov 3, tail Nov 4 2026.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import ts
from retro import story
from retro.sections import goals, summary

# 4 campaign orders, GMV 700 (o4 cancelled counts in GMV); 8 campaign visitors, 4 per channel
ORDERS = pd.DataFrame(
    {
        "order_id": ["o1", "o2", "o3", "o4"],
        "user_id": ["u1", "u2", "u3", "u4"],
        "order_time": [ts("2026-11-01 10:00"), ts("2026-11-02 10:00"), ts("2026-11-03 10:00"), ts("2026-11-04 10:00")],
        "status": ["paid", "paid", "paid", "cancelled"],
        "channel": ["search", "live", "search", "live"],
        "paid_amount": [100.0, 200.0, 300.0, 100.0],
    }
)
ITEMS = pd.DataFrame(
    {
        "order_id": ["o1", "o2", "o3", "o4"],
        "sku": ["A", "A", "B", "A"],
        "quantity": [1, 2, 1, 1],
        "unit_price": [100.0, 100.0, 300.0, 100.0],
        "paid_amount": [100.0, 200.0, 300.0, 100.0],
    }
)
PRODUCTS = pd.DataFrame({"sku": ["A", "B"], "category": ["skin", "face"]})  # no unit cost: ROI without goods
EVENTS = pd.DataFrame(
    {
        "visitor_id": [f"v{i}" for i in range(1, 9)],
        "event_time": [ts(f"2026-11-0{1 + i % 4} 09:00") for i in range(8)],
        "channel": ["search"] * 4 + ["live"] * 4,
        "event_type": ["view"] * 8,
    }
)
# search: ¥100 spent, ¥50 back (ROI -0.5); live: ¥200 spent, ¥500 back (ROI 1.5); overall ROI 350/300 ≈ 1.17
MARKETING = pd.DataFrame(
    {
        "date": pd.to_datetime(["2026-11-01", "2026-11-03"]).date,
        "channel": ["search", "live"],
        "spend": [100.0, 200.0],
        "impressions": [1000, 2000],
        "clicks": [100, 200],
        "attributed_orders": [1, 3],
        "attributed_revenue": [50.0, 500.0],
    }
)
TARGETS = {"gmv": 1000.0, "uv": 10.0, "orders": 5.0, "roi": 2.0}
SECTIONS = ["goals", "sales", "traffic", "marketing", "summary"]


@pytest.fixture
def camp(tiny):
    frames = {"orders": ORDERS, "order_items": ITEMS, "products": PRODUCTS, "events": EVENTS, "marketing": MARKETING}
    c = tiny(frames, {"targets": TARGETS, "sections": SECTIONS})
    for name in ("sales", "traffic", "marketing", "goals"):
        c.ctx(name).record_section_figures()
    return c


def test_the_gap_to_target_splits_into_drivers_that_sum_to_it(camp):
    ctx = camp.ctx("goals")
    (gap,) = [g for g in goals._gaps(ctx) if g.reference == "target"]
    # target: 10 visitors × 0.5 orders each × ¥200 = ¥1,000; actual: 8 × 0.5 × ¥175 = ¥700
    assert gap.ref == pytest.approx({"visitors": 10, "orders_per_visitor": 0.5, "gmv_per_order": 200})
    assert gap.act == pytest.approx({"visitors": 8, "orders_per_visitor": 0.5, "gmv_per_order": 175})
    # visitors: ½[(−2)(200) + (−2)(175)] × 0.5 = −187.5; GMV per order: ½[(−25)(10) + (−25)(8)] × 0.5 = −112.5
    assert gap.parts == pytest.approx({"visitors": -187.5, "orders_per_visitor": 0.0, "gmv_per_order": -112.5})
    assert gap.main_driver == "visitors"
    table = goals.drivers_table(ctx).df
    assert table.iloc[0]["change"] == pytest.approx(-300.0)
    recorded = {(f.key, f.segment): f.value for f in goals.figures(ctx)}
    assert recorded[("gmv_from_visitors", "target")] == pytest.approx(-187.5)


def test_a_short_history_gives_one_line_not_a_number(camp):
    ctx = camp.ctx("goals")
    assert "the data has" in goals.lift_table(ctx)._repr_html_()
    assert "incremental_gmv" not in {f.key for f in goals.figures(ctx)}
    assert goals.channel_drivers(ctx)._repr_html_().count("needs a campaign to compare with") == 1


def test_headline_says_the_miss_in_money_and_its_main_driver(camp):
    html = summary.headline(camp.ctx("summary"))._repr_html_()
    assert "GMV was ¥700.00, 70.0% of the ¥1,000.00 target: ¥300.00 short." in html
    assert "the largest part of the gap came from Visitors (-¥187.50)" in html
    assert "No incremental figure" in html  # four days of data: no forecast, said once


def test_the_roi_action_names_the_channels_below_one_and_the_prize(camp):
    ctx = camp.ctx("summary")
    (roi,) = [f for f in summary._findings(ctx, "problem") if f.key == "roi"]
    # search: ROI (50 − 100) / 100 = −0.50 on ¥100; bringing it to 1 is worth (1 − (−0.5)) × 100 = ¥150
    assert roi.action.endswith("Below ROI 1: Search ROI -0.50, ¥100.00; bringing them to 1 is worth ¥150.00.")
    assert story.FIGURE_OF["visitors"] == "gmv_from_visitors"


def test_moments_are_cited_by_the_findings_that_coincide_and_drawn_on_time_charts(tiny, tmp_path):
    from retro import charts
    from retro.sections import sales

    moments = [
        {"at": "2026-11-03 10:15", "label": "KOL live", "kind": "livestream"},
        {"at": "2026-11-01", "end": "2026-11-02 12:00", "label": "Coupon week", "kind": "coupon_drop"},
    ]
    frames = {"orders": ORDERS, "order_items": ITEMS, "products": PRODUCTS}
    c = tiny(frames, {"sections": ["sales"], "moments": moments})
    ctx = c.ctx("sales")
    # the peak hour is 11-03 10:00 (o3, ¥300): the 10:15 livestream falls in it, the coupon week does not
    assert sales.peak_hour(ctx).text.endswith("It coincides with KOL live.")
    charts.set_moments(ctx.params.moments)
    try:
        daily = pd.DataFrame({"day": pd.date_range("2026-10-30", "2026-11-05"), "v": range(7)})
        chart = charts.line(daily, "day", "v", title="t", unit="count", lang="en")
        labels = [t.get_text() for t in chart.figure.axes[0].texts]
        assert labels == ["KOL live", "Coupon week"]
        bars = charts.bar(pd.DataFrame({"c": ["a"], "v": [1.0]}), "c", "v", title="t", unit="count", lang="en")
        assert "KOL live" not in [t.get_text() for t in bars.figure.axes[0].texts]  # no time axis, no moment
    finally:
        charts.set_moments([])


def test_team_notes_render_markdown_safely(tiny, tmp_path):
    (tmp_path / "plan.md").write_text("# Plan\n\nWe moved **40%** of budget. <script>x()</script>", encoding="utf-8")
    c = tiny({"orders": ORDERS}, {"sections": ["sales", "goals"], "notes": {"sales": str(tmp_path / "plan.md")}})
    html = c.ctx("sales").team_notes()._repr_html_()
    assert "<h4>Plan</h4>" in html and "<strong>40%</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert c.ctx("goals").team_notes() is None  # no notes: the cell displays nothing


def test_moments_and_notes_are_checked_when_the_yaml_loads(tmp_path):
    from retro.errors import ParamsError
    from retro.params import load_params

    base = (Path(__file__).parent / "corpus" / "phases_overlap" / "campaign.yaml").read_text(encoding="utf-8")
    base = base.replace("2026-11-09, end: 2026-11-13", "2026-11-11, end: 2026-11-13")
    bad = base + (
        "moments:\n  - {at: 2026-11-11 20:00, end: 2026-11-11 19:00, label: Live}\n"
        "notes:\n  sale: x\n  sales: missing.md\n"
    )
    (tmp_path / "c.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(ParamsError) as e:
        load_params(tmp_path / "c.yaml")
    text = "\n".join(e.value.problems)
    assert "moments[0]: end 2026-11-11 19:00:00 is before at 2026-11-11 20:00:00" in text
    assert "notes: unknown section 'sale' (did you mean 'sales'?)" in text
    (tmp_path / "d.yaml").write_text(base + "notes:\n  sales: missing.md\n", encoding="utf-8")
    with pytest.raises(ParamsError) as e:
        load_params(tmp_path / "d.yaml")
    assert [p.split(": ", 1)[1] for p in e.value.problems] == ["notes.sales: file not found: missing.md"]
