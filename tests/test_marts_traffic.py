"""Traffic marts and figures against a hand-computed event log.

Calendar (conftest): baseline Oct 1-2, warm-up Nov 1-2, burst Nov 3, tail Nov 4 -> 4 campaign days, 2
baseline days. Visitors in the campaign: v1, v2, v3, v4, v5, v6, u7 (7).
"""

import pandas as pd
import pytest
from conftest import TinyCampaign, ts

_E = [
    # visitor, user, time, channel, type, session, dwell
    ("v5", None, "2026-09-15 08:00", "search", "view", "s0", 5.0),  # before the baseline: v5 is not new
    ("v1", "u1", "2026-10-01 10:00", "search", "view", "s1", 30.0),  # baseline
    ("v1", "u1", "2026-10-01 10:05", "search", "cart", "s1", 20.0),
    ("v2", None, "2026-10-02 11:00", "live", "view", "s2", 10.0),
    ("v1", "u1", "2026-11-01 09:00", "search", "view", "s3", 60.0),  # warm-up
    ("v1", "u1", "2026-11-01 09:02", "search", "cart", "s3", 30.0),
    ("v3", None, "2026-11-01 20:00", "offsite", "view", "s4", 15.0),
    ("v4", "u4", "2026-11-02 10:00", "offsite", "view", "s5", 40.0),
    ("v4", "u4", "2026-11-02 10:03", "search", "view", "s5", 20.0),  # s5 starts off-site
    ("v3", None, "2026-11-02 21:00", "live", "view", None, None),  # no session id: visitor-day session
    ("v1", "u1", "2026-11-03 00:05", "search", "order", "s6", 10.0),  # burst
    ("v1", "u1", "2026-11-03 00:06", "search", "pay", "s6", 5.0),
    ("v4", "u4", "2026-11-03 00:10", "live", "view", None, 25.0),
    ("v4", "u4", "2026-11-03 00:12", "live", "cart", None, 25.0),
    ("v5", None, "2026-11-03 09:00", "private", "view", "s7", 50.0),
    ("v6", "u6", "2026-11-04 12:00", "private", "view", "s8", 30.0),  # tail
    ("v6", "u6", "2026-11-04 12:01", "private", "cart", "s8", 30.0),
    ("v6", "u6", "2026-11-04 12:02", "private", "order", "s8", 30.0),
    ("v6", "u6", "2026-11-04 12:03", "private", "pay", "s8", 30.0),
    ("v2", None, "2026-11-04 13:00", "search", "view", "s9", 20.0),
    ("v2", None, "2026-11-04 13:05", "search", "cart", "s9", 10.0),
    ("u7", None, "2026-11-04 15:00", "search", "view", "s11", 10.0),
    ("v8", None, "2026-11-05 00:00", "search", "view", "s12", 99.0),  # first minute after the campaign
]
COLUMNS = ["visitor_id", "user_id", "event_time", "channel", "event_type", "session_id", "dwell_seconds"]
EVENTS = pd.DataFrame(_E, columns=COLUMNS)
EVENTS["event_time"] = pd.to_datetime(EVENTS["event_time"])

ORDERS = pd.DataFrame(
    {
        "order_id": ["p1", "p2", "b1", "x1", "o1", "o2", "o3"],
        "user_id": ["u6", "u7", "u1", "u4", "u1", "u4", "u6"],
        "order_time": [
            ts("2026-06-01 10:00"),
            ts("2026-09-01 10:00"),
            ts("2026-10-01 10:10"),
            ts("2026-10-02 12:00"),
            ts("2026-11-03 00:05"),
            ts("2026-11-03 00:15"),
            ts("2026-11-04 12:02"),
        ],
        "status": ["paid", "paid", "paid", "cancelled", "paid", "cancelled", "paid"],
        "channel": ["private", "search", "search", "live", "search", "live", "private"],
        "paid_amount": [80.0, 40.0, 50.0, 30.0, 300.0, 100.0, 200.0],
    }
)

SECTIONS = {"sections": ["traffic", "summary"]}


@pytest.fixture
def camp(tiny):
    return tiny({"events": EVENTS, "orders": ORDERS}, SECTIONS)


def _row(df, key, value, period="overall"):
    hit = df[(df[key] == value) & (df["period"] == period)]
    assert len(hit) == 1, (key, value, period)
    return hit.iloc[0]


def test_uv_pv_by_channel_and_period(camp):
    ch = camp.mart("traffic_by_channel")
    pooled = _row(ch, "channel", "all")
    # campaign visitors v1 v2 v3 v4 v5 v6 u7; view events e1 e3 e4 e5 e6 e9 e11 e12 e16 e18
    assert pooled["uv"] == 7 and pooled["pv"] == 10
    # new: v3 (no user) and v4 (u4 only cancelled before). Not new: v1 v2 (baseline), v5 (Sep 15),
    # v6 (u6 paid in June, matched through user_id), u7 (paid in Sep, matched through visitor_id)
    assert pooled["new_uv"] == 2
    search = _row(ch, "channel", "search")
    assert (search["uv"], search["pv"], search["new_uv"]) == (4, 4, 1)  # v1 v4 v2 u7; new v4
    live = _row(ch, "channel", "live")
    assert (live["uv"], live["pv"]) == (2, 2)  # v3 (warm-up) and v4 (burst)
    # distinct per row: the channels add up to 4 + 2 + 2 + 2 = 10 visitors, the campaign has 7
    assert ch[(ch["period"] == "overall") & (ch["channel"] != "all")]["uv"].sum() == 10
    warm = _row(ch, "channel", "all", "warmup")
    assert (warm["uv"], warm["pv"], warm["new_uv"]) == (3, 5, 2)  # v1 v3 v4
    base = _row(ch, "channel", "all", "baseline")
    assert (base["uv"], base["pv"], base["new_uv"]) == (2, 2, 0)
    # v8 (Nov 5) is outside every period
    assert ch["uv"].max() == 7


def test_daily_and_site(camp):
    d = camp.mart("traffic_daily")
    pooled = d[d["channel"] == "all"].set_index(pd.to_datetime(d.loc[d["channel"] == "all", "day"]))
    assert pooled.loc["2026-11-02", "uv"] == 2 and pooled.loc["2026-11-02", "pv"] == 3  # v4, v3; e4 e5 e6
    assert pooled.loc["2026-11-03", "uv"] == 3  # v1 v4 v5
    assert pooled.loc[pooled["period"] != "baseline", "uv"].sum() == 10  # 2 + 2 + 3 + 3
    assert pooled.loc[pooled["period"] == "baseline", "uv"].sum() == 2  # 1 + 1
    s = camp.mart("traffic_by_site")
    assert _row(s, "site", "offsite")["uv"] == 2  # v3, v4
    assert _row(s, "site", "onsite")["uv"] == 7  # everyone came on-site too (v3 via live)
    assert _row(s, "site", "all")["uv"] == 7


def test_sessions(camp):
    s = camp.mart("traffic_sessions")
    pooled = _row(s, "channel", "all")
    # campaign sessions: s3 s4 s5 v3-Nov2 s6 v4-Nov3 s7 s8 s9 s11 = 10; single-event: s4 v3-Nov2 s7 s11
    assert pooled["sessions"] == 10 and pooled["bounced_sessions"] == 4
    assert pooled["derived_sessions"] == 2
    # dwell: 90 + 15 + 60 + 0 + 15 + 50 + 50 + 120 + 30 + 10
    assert pooled["dwell_seconds"] == pytest.approx(440.0)
    offsite = _row(s, "channel", "offsite")  # s4 and s5 (s5's first event is off-site)
    assert (offsite["sessions"], offsite["bounced_sessions"]) == (2, 1)
    search = _row(s, "channel", "search")  # s3 s6 s9 s11
    assert (search["sessions"], search["bounced_sessions"]) == (4, 1)
    assert search["dwell_seconds"] == pytest.approx(145.0)  # 90 + 15 + 30 + 10


def test_gmv_mart(camp):
    g = camp.mart("traffic_gmv")
    assert _row(g, "channel", "all")["gmv"] == pytest.approx(600.0)  # o1 300 + o2 100 (cancelled) + o3 200
    assert _row(g, "channel", "search")["gmv"] == pytest.approx(300.0)
    assert _row(g, "channel", "all", "baseline")["gmv"] == pytest.approx(80.0)  # b1 50 + x1 30


def test_recorded_figures(camp):
    from retro.sections import traffic

    ctx = camp.ctx("traffic")
    traffic.kpi_table(ctx)
    assert ctx.figure("uv") == 7 and ctx.figure("pv") == 10
    # daily UV: campaign 10 / 4 days = 2.5, baseline 2 / 2 days = 1.0 -> +150%
    assert ctx.figure("uv_lift") == pytest.approx(1.5)
    assert ctx.figure("offsite_uv_share") == pytest.approx(2 / 7)
    assert ctx.figure("new_visitor_share") == pytest.approx(2 / 7)
    assert ctx.figure("bounce_rate") == pytest.approx(0.4)  # 4 / 10
    assert ctx.figure("bounce_rate", segment="search") == pytest.approx(0.25)  # 1 / 4
    assert ctx.figure("bounce_rate", segment="offsite") == pytest.approx(0.5)
    assert ctx.figure("avg_dwell_seconds") == pytest.approx(44.0)  # 440 / 10
    assert ctx.figure("uv_value") == pytest.approx(600 / 7)
    t = traffic.totals(ctx)
    assert {"uv", "pv", "uv_lift", "uv_value"} <= set(t)


def test_tables_and_charts_render(camp):
    from retro.sections import traffic

    ctx = camp.ctx("traffic")
    html = traffic.uv_value_table(ctx)._repr_html_()
    assert "All channels" in html and ">75.00<" in html and "(¥)</th>" in html  # search: 300 / 4 visitors
    html = traffic.new_vs_returning(ctx)._repr_html_()
    assert "first seen in the data" in html and "2026-09-15" in html
    assert "2 of 10 sessions" in traffic.bounce_dwell(ctx)._repr_html_()
    assert "150.0%" in traffic.phase_table(ctx)._repr_html_()  # whole campaign: 2.5 per day vs 1.0
    assert "+150.0%" in traffic.baseline_note(ctx).text
    for fn in (traffic.daily_uv_chart, traffic.daily_channel_chart, traffic.daily_pv_chart):
        assert fn(ctx).png()[:4] == b"\x89PNG"
    assert "Off-site" in traffic.site_table(ctx)._repr_html_()


def test_without_orders_or_baseline_traffic(tiny):
    """Orders absent: no UV value, earlier buyers not recognised; no baseline events: lift is n/a."""
    from retro.sections import traffic

    events = EVENTS[EVENTS["event_time"] >= pd.Timestamp("2026-11-01")]
    camp = tiny({"events": events}, SECTIONS)
    ctx = camp.ctx("traffic")
    assert not ctx.has_mart("traffic_gmv")
    traffic.kpi_table(ctx)
    assert ctx.figure("uv_value") is None
    assert ctx.figure("uv_lift") is None  # baseline UV is 0: no base to compare with
    # now v1 v2 v5 are first seen in the campaign too, and u6 / u7 cannot be matched to earlier orders:
    # all 7 campaign visitors are new
    assert ctx.figure("new_visitor_share") == pytest.approx(1.0)
    assert "no orders table" in traffic.uv_value_table(ctx).text
    assert "No baseline" in traffic.baseline_note(ctx).text
    assert "n/a" in traffic.kpi_table(ctx)._repr_html_()
    assert "could not be recognised" in traffic.new_vs_returning(ctx)._repr_html_()


def test_zero_sessions_segment_is_na(tiny):
    """A campaign without events in one phase: that phase's rows are absent and rates stay n/a, not 0."""
    from retro.sections import traffic

    events = EVENTS[EVENTS["event_time"] < pd.Timestamp("2026-11-01")]  # baseline only
    camp = tiny({"events": events}, SECTIONS)
    ctx = camp.ctx("traffic")
    traffic.kpi_table(ctx)
    assert ctx.figure("uv") == 0
    assert ctx.figure("bounce_rate") is None and ctx.figure("avg_dwell_seconds") is None
    assert ctx.figure("new_visitor_share") is None
    assert ctx.figure("uv_lift") == pytest.approx(-1.0)  # 0 per day vs 1 per day


def test_large_parquet_sources_are_scanned_in_place_with_the_same_marts(tmp_path, monkeypatch):
    """Parquet larger than an eighth of the memory limit stays in its files (a copy of a huge log would spill
    gigabytes), and so does a Parquet event log of any size; every mart must read the same either way."""
    from retro.staging import plan, stage
    from retro.staging.mapping import canonical_table

    scanned = TinyCampaign(tmp_path / "scanned", {"events": EVENTS, "orders": ORDERS}, SECTIONS)
    assert stage._scan_again("events", plan.table_sources(scanned.params)["events"], scanned.params)
    assert not stage._scan_again("orders", plan.table_sources(scanned.params)["orders"], scanned.params)
    size = (scanned.root / "data" / "orders" / "part-0.parquet").stat().st_size
    limit = f"{size * 8 // 1024 - 1}KB"  # an eighth of it is just under the file's size
    engine = scanned.params.engine.model_copy(update={"memory_limit": limit})
    small = scanned.params.model_copy(update={"engine": engine})
    assert stage._scan_again("orders", plan.table_sources(small)["orders"], small)

    # a small file whose copy would fill half the memory limit stays in its files too (Parquet compresses
    # order lines a dozen times): rows from the footers x canonical columns x 16 bytes
    rows = stage._parquet_rows([scanned.root / "data" / "orders" / "part-0.parquet"])
    assert rows == len(ORDERS)
    src, params = plan.table_sources(scanned.params)["orders"], scanned.params  # the default 4 GB limit: half is 2 GiB
    monkeypatch.setattr(stage, "_parquet_rows", lambda parts: 10**8)  # a hundred million orders in a small file
    assert stage._scan_again("orders", src, params)
    columns = len(canonical_table("orders").columns)
    monkeypatch.setattr(stage, "_parquet_rows", lambda parts: 2 * 10**9 // (16 * columns) - 1)  # just under
    assert not stage._scan_again("orders", src, params)
    monkeypatch.undo()

    monkeypatch.setattr(stage, "_scan_again", lambda *a: False)
    copied = TinyCampaign(tmp_path / "copied", {"events": EVENTS, "orders": ORDERS}, SECTIONS)
    for name in ("traffic_by_channel", "traffic_daily", "traffic_by_site", "traffic_sessions", "traffic_gmv"):
        pd.testing.assert_frame_equal(scanned.mart(name), copied.mart(name), check_exact=True)


def test_a_step_the_kit_adds_is_no_visitor_behaviour(tiny):
    """A log with 'pay' but no 'order' events gets an order step per pay (the funnel needs it), and those
    copies never count as events: a session of one pay stays a bounce, PV and event counts stay as logged."""
    log = pd.DataFrame(
        [
            ("a", "2026-11-03 10:00", "view", "sa"),
            ("a", "2026-11-03 10:01", "pay", "sa"),  # two events (+1 derived order)
            ("b", "2026-11-03 11:00", "pay", "sb"),  # one event: a bounce, though its copy makes two rows
            ("c", "2026-11-04 09:00", "view", "sc"),
        ],
        columns=["visitor_id", "event_time", "event_type", "session_id"],
    ).assign(channel="search", event_time=lambda d: pd.to_datetime(d["event_time"]))
    camp = tiny({"events": log}, {"sections": ["traffic", "funnel", "summary"]})
    s = _row(camp.mart("traffic_sessions"), "channel", "all")
    assert (s["sessions"], s["bounced_sessions"]) == (3, 2)  # sb and sc
    ch = _row(camp.mart("traffic_by_channel"), "channel", "all")
    assert (ch["pv"], ch["events"], ch["uv"]) == (2, 4, 3)
    steps = camp.mart("funnel_steps")
    overall = steps[(steps["channel"] == "all") & (steps["period"] == "overall")].iloc[0]
    assert overall["pay_events"] == 2


def test_hour_resolution_log_warns_and_the_page_says_sessions_are_approximate(tiny):
    """A behaviour log with times to the hour and no session ids: each visitor-hour becomes one session."""
    from retro.rundir import RunDir
    from retro.sections import traffic

    log = pd.DataFrame(
        [
            ("a", "2026-11-03 10:00", "view"),
            ("a", "2026-11-03 10:00", "cart"),  # same hour: one session with the view
            ("a", "2026-11-03 11:00", "view"),  # the next hour: 60 min > 30 min gap, a new session
            ("b", "2026-11-03 10:00", "view"),
        ],
        columns=["visitor_id", "event_time", "event_type"],
    ).assign(channel="search", event_time=lambda d: pd.to_datetime(d["event_time"]))
    camp = tiny({"events": log}, {"sections": ["traffic"]})
    s = _row(camp.mart("traffic_sessions"), "channel", "all")
    assert (s["sessions"], s["bounced_sessions"], s["rule_sessions"]) == (3, 2, 3)
    problems, _ = RunDir(camp.run_dir).read_quality()
    hour = [p for p in problems if p.code == "hour_resolution"]
    assert len(hour) == 1 and hour[0].table == "events" and hour[0].column == "event_time" and not hour[0].hard
    note = traffic.bounce_dwell(camp.ctx("traffic")).note
    assert "more than 30 minutes after the previous one starts a new session" in note
    assert "to the hour only" in note

    # the same log to the minute: the rule is stated, the hour caveat is not, and nothing is warned
    log.loc[1, "event_time"] = pd.Timestamp("2026-11-03 10:05")
    camp = tiny({"events": log}, {"sections": ["traffic"]})
    problems, _ = RunDir(camp.run_dir).read_quality()
    assert not [p for p in problems if p.code == "hour_resolution"]
    note = traffic.bounce_dwell(camp.ctx("traffic")).note
    assert "starts a new session" in note and "to the hour only" not in note


@pytest.mark.parametrize("shape", ["clean", "dropped rows", "outside the window"])
def test_an_event_log_scanned_in_place_is_read_once_while_staging_with_the_same_checks(tmp_path, monkeypatch, shape):
    """The checks' and the profile's counts of an event log read from its files come from the mapping's own
    scan; the problems and the profile are those of the table copied and checked on its own."""
    from retro.rundir import RunDir
    from retro.staging import checks, stage

    events = EVENTS.copy()
    if shape == "dropped rows":  # an empty visitor id: the row is dropped, the mapping's counts are not the table's
        events.loc[0, "visitor_id"] = None
    elif shape == "outside the window":  # more rows after the campaign, which no figure reads
        late = events.iloc[:3].copy()
        late["event_time"] = late["event_time"] + pd.Timedelta(days=60)
        events = pd.concat([events, late], ignore_index=True)
    fused: dict[str, bool] = {}
    check_one = checks._check_one

    def checked(t, name, *args):
        fused[name] = args[-1] is not None if len(args) == 4 else False
        return check_one(t, name, *args)

    monkeypatch.setattr(checks, "_check_one", checked)
    scanned = TinyCampaign(tmp_path / "scanned", {"events": events, "orders": ORDERS}, SECTIONS)
    assert fused["events"] == (shape != "dropped rows") and not fused["orders"]
    monkeypatch.setattr(stage, "_scan_again", lambda *a: False)
    copied = TinyCampaign(tmp_path / "copied", {"events": events, "orders": ORDERS}, SECTIONS)
    assert not fused["events"]
    a, b = RunDir(scanned.run_dir), RunDir(copied.run_dir)
    assert a.read_profile() == b.read_profile() and a.read_profile()["events"]
    lines = [p.line() for p in a.read_quality()[0]]
    assert lines == [p.line() for p in b.read_quality()[0]]
    after = next(line for line in lines if line.startswith("events.event_time") and "after the campaign" in line)
    assert ("4 rows" in after) == (shape == "outside the window")  # the log has one such row, three more here
