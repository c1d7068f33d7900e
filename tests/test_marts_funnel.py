"""Funnel mart and figures against a hand-computed event log.

Calendar (conftest): baseline Oct 1-2, warm-up Nov 1-2, burst Nov 3, tail Nov 4. Campaign steps per visitor:
  v1 search: view, cart (warm-up); order, pay (burst)     v3: view offsite (warm-up), view live (warm-up)
  v4: view offsite + view search (warm-up); view, cart live (burst)   v5 private: view (burst)
  v6 private: view, cart, order, pay (tail)   v2 search: view, cart (tail)   u7 search: view (tail)
"""

import pandas as pd
import pytest

_E = [
    # visitor, time, channel, type
    ("v1", "2026-10-01 10:00", "search", "view"),  # baseline: outside the funnel window
    ("v1", "2026-10-01 10:05", "search", "cart"),
    ("v1", "2026-11-01 09:00", "search", "view"),
    ("v1", "2026-11-01 09:02", "search", "cart"),
    ("v3", "2026-11-01 20:00", "offsite", "view"),
    ("v3", "2026-11-01 20:01", "offsite", "fav"),  # not a funnel step
    ("v4", "2026-11-02 10:00", "offsite", "view"),
    ("v4", "2026-11-02 10:03", "search", "view"),
    ("v3", "2026-11-02 21:00", "live", "view"),
    ("v1", "2026-11-03 00:05", "search", "order"),
    ("v1", "2026-11-03 00:06", "search", "pay"),
    ("v4", "2026-11-03 00:10", "live", "view"),
    ("v4", "2026-11-03 00:12", "live", "cart"),
    ("v5", "2026-11-03 09:00", "private", "view"),
    ("v6", "2026-11-04 12:00", "private", "view"),
    ("v6", "2026-11-04 12:01", "private", "cart"),
    ("v6", "2026-11-04 12:02", "private", "order"),
    ("v6", "2026-11-04 12:03", "private", "pay"),
    ("v2", "2026-11-04 13:00", "search", "view"),
    ("v2", "2026-11-04 13:05", "search", "cart"),
    ("u7", "2026-11-04 15:00", "search", "view"),
    ("v8", "2026-11-05 00:00", "search", "pay"),  # first minute after the campaign
]
EVENTS = pd.DataFrame(_E, columns=["visitor_id", "event_time", "channel", "event_type"])
EVENTS["event_time"] = pd.to_datetime(EVENTS["event_time"])

OVERRIDES = {
    "sections": ["funnel", "summary"],
    "benchmarks": {
        "view_to_cart": {"warmup": 0.18, "overall": 0.15},
        "conversion_rate": {"private": 0.12, "overall": 0.05, "kol": 0.10},
    },
}


@pytest.fixture
def camp(tiny):
    return tiny({"events": EVENTS}, OVERRIDES)


def _row(m, channel, period):
    hit = m[(m["channel"] == channel) & (m["period"] == period)]
    assert len(hit) == 1, (channel, period)
    return hit.iloc[0]


def _steps(row):
    return tuple(int(row[s]) for s in ("view", "cart", "order", "pay"))


def test_steps_at_each_level(camp):
    m = camp.mart("funnel_steps")
    overall = _row(m, "all", "overall")
    assert _steps(overall) == (7, 4, 2, 2)  # viewers v1 v3 v4 v5 v6 v2 u7; carts v1 v4 v6 v2; v1 v6 pay
    assert overall["pay_events"] == 2 and overall["visitors"] == 7  # v8 pays after the campaign
    assert _steps(_row(m, "all", "warmup")) == (3, 1, 0, 0)  # v1 v3 v4 viewed, v1 carted
    # closed funnel: v1 ordered and paid in the burst without viewing there, so the burst counts only v4 v5
    assert _steps(_row(m, "all", "burst")) == (2, 1, 0, 0)
    assert _steps(_row(m, "all", "tail")) == (3, 2, 1, 1)
    assert _steps(_row(m, "search", "overall")) == (4, 2, 1, 1)  # v1 v4 v2 u7; carts v1 v2
    assert _steps(_row(m, "offsite", "overall")) == (2, 0, 0, 0)
    assert _steps(_row(m, "live", "overall")) == (2, 1, 0, 0)  # v3, v4 viewed (distinct over phases)
    assert _steps(_row(m, "private", "overall")) == (2, 1, 1, 1)
    # the channel x phase cell: v1 ordered and paid through search in the burst without viewing there;
    # counted independently this cell read 0 viewers and 1 payer (an impossible rate), closed it is empty
    assert _steps(_row(m, "search", "burst")) == (0, 0, 0, 0)
    assert _row(m, "search", "burst")["pay_events"] == 1  # the pay event itself is still counted
    # distinct per row: viewers over channels add to 4 + 2 + 2 + 2 = 10, the campaign has 7
    assert m[(m["period"] == "overall") & (m["channel"] != "all")]["view"].sum() == 10


def test_recorded_figures_overall_phase_channel(camp):
    from retro.sections import funnel

    ctx = camp.ctx("funnel")
    funnel.kpi_table(ctx)
    assert ctx.figure("view_to_cart") == pytest.approx(4 / 7)
    assert ctx.figure("cart_to_order") == pytest.approx(0.5)
    assert ctx.figure("order_to_pay") == pytest.approx(1.0)
    assert ctx.figure("conversion_rate") == pytest.approx(2 / 7)
    assert funnel.totals(ctx) == pytest.approx(
        {
            "conversion_rate": 2 / 7,
            "view_to_cart": 4 / 7,
            "cart_to_order": 0.5,
            "order_to_pay": 1.0,
            "closed_conversion": 2 / 7,
        }
    )
    # warm-up 3 -> 1 -> 0 -> 0: order -> pay has no base (0 / 0) and is n/a, not 0
    assert ctx.figure("view_to_cart", "warmup") == pytest.approx(1 / 3)
    assert ctx.figure("cart_to_order", "warmup") == 0.0
    assert ctx.figure("order_to_pay", "warmup") is None
    # burst 2 -> 1 -> 0 -> 0 (v1's order and payment in the burst follow a warm-up view: not a burst conversion)
    assert ctx.figure("cart_to_order", "burst") == 0.0
    # ... but open conversion counts v1's burst payment: 1 payer / 2 burst viewers; closed it is 0
    assert ctx.figure("conversion_rate", "burst") == pytest.approx(0.5)
    assert ctx.figure("closed_conversion", "burst") == 0.0
    assert all(f.value is None or f.value <= 1.0 for f in ctx.figures)  # no rate above 100%
    assert ctx.figure("conversion_rate", "tail") == pytest.approx(1 / 3)
    assert ctx.figure("conversion_rate", "search") == pytest.approx(0.25)  # 1 / 4
    assert ctx.figure("conversion_rate", "private") == pytest.approx(0.5)
    assert ctx.figure("cart_to_order", "offsite") is None  # 0 / 0
    rec = next(f for f in ctx.figures if f.key == "view_to_cart" and f.segment == "live")
    assert rec.value == pytest.approx(0.5) and rec.parts == {"numerator": 1.0, "denominator": 2.0}


def test_largest_drop_and_benchmarks(camp):
    from retro.sections import funnel

    ctx = camp.ctx("funnel")
    # lost: view -> cart 3/7 (42.9%), cart -> order 2/4 (50%), order -> pay 0
    text = funnel.largest_drop(ctx).text
    assert text.startswith("The largest drop-off is Add to cart → Order: 50.0% of the 4 visitors")
    b = funnel.benchmark_table(ctx)
    df = b.df.set_index(["figure", "segment"])
    assert df.loc[("View → add-to-cart", "Warm-up"), "gap"] == "+15.3"  # 1/3 - 0.18
    assert df.loc[("View → add-to-cart", "Warm-up"), "base"] == 3
    assert df.loc[("Conversion rate", "Private domain"), "gap"] == "+38.0"  # 0.5 - 0.12
    assert df.loc[("Conversion rate", "Overall"), "actual"] == pytest.approx(2 / 7)
    assert df.loc[("Conversion rate", "kol"), "gap"] == "n/a"  # no such segment in the data
    assert "n/a" in b._repr_html_()


def test_open_conversion_counts_buyers_who_skip_the_cart(tiny):
    """Half the buyers never cart: the headline is payers / viewers (3/4), the closed funnel 1/4, both labelled."""
    from retro import catalog
    from retro.sections import funnel

    rows = [
        ("a", "2026-11-03 10:00", "view"), ("a", "2026-11-03 10:01", "cart"),
        ("a", "2026-11-03 10:02", "order"), ("a", "2026-11-03 10:03", "pay"),
        ("b", "2026-11-03 11:00", "view"), ("b", "2026-11-03 11:01", "pay"),  # no cart, no order event
        ("c", "2026-11-03 12:00", "view"), ("c", "2026-11-03 12:01", "order"), ("c", "2026-11-03 12:02", "pay"),
        ("d", "2026-11-03 13:00", "view"),
    ]  # fmt: skip
    events = pd.DataFrame(rows, columns=["visitor_id", "event_time", "event_type"]).assign(channel="search")
    events["event_time"] = pd.to_datetime(events["event_time"])
    camp = tiny({"events": events}, {"sections": ["funnel"]})
    overall = _row(camp.mart("funnel_steps"), "all", "overall")
    assert _steps(overall) == (4, 1, 1, 1) and overall["payers"] == 3
    ctx = camp.ctx("funnel")
    t = funnel.totals(ctx)
    assert t["conversion_rate"] == pytest.approx(0.75) and t["closed_conversion"] == pytest.approx(0.25)
    assert t["view_to_cart"] == pytest.approx(0.25) and t["order_to_pay"] == 1.0
    assert funnel.conversion_note(ctx).text == (
        "Conversion rate 75.0%: 3 of the 4 visitors who viewed paid. Through every step of the funnel "
        "(view, cart, order, pay) it is 25.0%: 2 of the paying visitors skipped a step."
    )
    # the definitions say what is computed: open over viewers, closed through every step
    assert "open" in catalog.FIGURES["conversion_rate"].definition
    assert "ordered and paid / distinct visitors who viewed" in catalog.FIGURES["closed_conversion"].definition
    html = funnel.channel_table(ctx)._repr_html_()
    assert "Paid (any path)" in html and "75.0%" in html and "25.0%" in html


def test_tables_and_charts_render(camp):
    from retro.sections import funnel

    ctx = camp.ctx("funnel")
    html = funnel.channel_table(ctx)._repr_html_()
    assert "All channels (pooled)" in html and "25.0%" in html
    assert "Whole campaign (pooled)" in funnel.phase_table(ctx)._repr_html_()
    assert "per visitor" in funnel.method_note(ctx).text
    for fn in (funnel.funnel_chart, funnel.phase_chart):
        assert fn(ctx).png()[:4] == b"\x89PNG"


def test_findings_use_segment_benchmarks(camp):
    import retro
    from retro.sections import funnel

    ctx = camp.ctx("funnel")
    funnel.kpi_table(ctx)
    found = retro.findings.evaluate(ctx.figures, ctx.params)
    keys = {(f.key, f.segment, f.kind) for f in found}
    assert ("view_to_cart", "warmup", "highlight") in keys  # 33.3% vs 18%
    assert ("conversion_rate", "private", "highlight") in keys  # 50% vs 12%


def test_no_campaign_events_is_na(tiny):
    """Only baseline events: every step is 0 and every rate is n/a, never 0 or a crash."""
    from retro.sections import funnel

    camp = tiny({"events": EVENTS[EVENTS["event_time"] < pd.Timestamp("2026-11-01")]}, OVERRIDES)
    overall = _row(camp.mart("funnel_steps"), "all", "overall")
    assert _steps(overall) == (0, 0, 0, 0)
    ctx = camp.ctx("funnel")
    funnel.kpi_table(ctx)
    assert all(v is None for v in funnel.totals(ctx).values())
    assert ctx.figure("conversion_rate") is None
    assert "No drop-off" in funnel.largest_drop(ctx).text
    assert set(funnel.benchmark_table(ctx).df["gap"]) == {"n/a"}
    # nothing to draw: each chart is one line naming it, never an empty frame
    assert "no data to draw" in funnel.funnel_chart(ctx).text
    assert "no data to draw" in funnel.phase_chart(ctx).text
