"""Traffic marts: PV and UV by day, channel and phase, on-site vs off-site, new visitors, sessions, GMV.

UV is a distinct count of ``visitor_id`` at the level of each row (a day, a phase, the whole campaign), so
rows of different levels are never added up: each mart first reduces the events to one row per visitor and
level, then counts. PV counts view events. Rows with channel 'all' pool every channel; rows with period
'overall' cover the whole campaign window (baseline rows are kept apart for the "vs baseline" comparison).

A session is a ``session_id``; where a source leaves it null, one visitor's events on one calendar day form
one session (the 30-minute rule comes later). A session belongs to the channel and phase of its first event.
"""

from __future__ import annotations

import ibis

from ..staging.derive import RULE_SESSION_PREFIX
from . import mart
from .common import first_by, phase_of
from .visits import ALL, OVERALL, int_sum, period_of_day, union, visitor_counts, visits


def _levels(key: str):
    """(group keys, constant columns, campaign only?) of the four levels every mart row belongs to."""
    return (
        ([key, "period"], {}, False),
        ([key], {"period": OVERALL}, True),
        (["period"], {key: ALL}, False),
        ([], {key: ALL, "period": OVERALL}, True),
    )


def _by_levels(tbl, key: str, parts) -> ibis.Table:
    """``parts(tbl)`` aggregated per key x period, key x whole campaign, all x period and all x campaign.

    For additive parts only (sums, counts of rows that belong to one key and period each, like sessions).
    """
    out = []
    for keys, consts, campaign_only in _levels(key):
        src = tbl.filter(tbl.period != "baseline") if campaign_only else tbl
        agg = src.group_by(keys).aggregate(**parts(src)) if keys else src.aggregate(**parts(src))
        out.append(agg.mutate(**{k: ibis.literal(v) for k, v in consts.items()}))
    return union(out).order_by([key, "period"])


@mart("traffic_by_channel", section="traffic", needs=("events",), optional=("orders",))
def traffic_by_channel(t, p):
    """Per channel ('all' pooled) and period (phases, 'baseline', 'overall'): PV, UV, new visitors.

    uv and new_uv are distinct per row (``visits.visitor_counts``).
    """
    c = visitor_counts(t, p)
    c = c.filter(c.level.isin(["channel", ALL])).rename(channel="key")
    return c.select("channel", "period", "pv", "uv", "new_uv", "events").order_by(["channel", "period"])


@mart("traffic_daily", section="traffic", needs=("events",))
def traffic_daily(t, p):
    """Per calendar day (baseline and campaign) and channel ('all' pooled): PV and UV distinct per day.

    One pass over the visits for both levels (GROUPING SETS; Ibis has no grouping sets): a visitor seen in
    two channels on a day counts once in each and once in 'all'.
    """
    v = visits(t, p)
    v = v.mutate(period=period_of_day(v.day, p))
    v = v.filter(v.period.notnull()).select("visitor_id", "day", "period", "channel", "pv", "events")

    def sql(compile, q):
        day, period, channel = q("day"), q("period"), q("channel")
        return (
            f"SELECT {day}, {period}, CASE WHEN GROUPING({channel}) = 1 THEN '{ALL}' ELSE {channel} END AS {channel}, "
            f"CAST(SUM({q('pv')}) AS BIGINT) AS {q('pv')}, COUNT(DISTINCT {q('visitor_id')}) AS {q('uv')}, "
            f"CAST(SUM({q('events')}) AS BIGINT) AS {q('events')} "
            f"FROM ({compile(v)}) AS v GROUP BY GROUPING SETS (({day}, {period}, {channel}), ({day}, {period}))"
        )

    return t.query(sql).order_by(["day", "channel"])


@mart("traffic_by_site", section="traffic", needs=("events",))
def traffic_by_site(t, p):
    """Per site ('offsite', 'onsite', 'all' pooled) and period: PV and UV distinct per row.

    Off-site channels are the YAML's settings.offsite_channels; a visitor seen on both sides counts on each.
    """
    c = visitor_counts(t, p)
    c = c.filter(c.level.isin(["site", ALL])).rename(site="key")
    return c.select("site", "period", "pv", "uv").order_by(["site", "period"])


@mart("traffic_sessions", section="traffic", needs=("events",))
def traffic_sessions(t, p):
    """Sessions per channel and period of each session's first event.

    bounced_sessions have exactly one event; derived_sessions were built from visitor-day because the
    source has no session_id for them; rule_sessions were cut by the kit's inactivity rule (a log without
    any session id, ``staging.derive.sessionize``). Counted from the visits (one row per visitor, channel,
    day and session) of the periods' days: a session's first event is its earliest visit's.
    """
    v = visits(t, p)
    v = v.filter(period_of_day(v.day, p).notnull() & (v.events > 0))  # sessions of what visitors did
    derived = v.session_id.isnull()
    # the session key: session_id, or (visitor, day) where it is missing; three columns, no string building
    v = v.mutate(
        derived=derived,
        day_visitor=ibis.ifelse(derived, v.visitor_id, ibis.null("string")),
        session_day=ibis.ifelse(derived, v.day, ibis.null("date")),
    )
    s = v.group_by(["session_id", "day_visitor", "session_day"]).aggregate(
        start=v.first_time.min(),
        channel=first_by(v.channel, v.first_time, v.channel),  # ties (same second): the first channel by name
        events=int_sum(v.events),
        dwell=v.dwell.sum(),
        derived=v.derived.max(),
        by_rule=v.session_id.startswith(RULE_SESSION_PREFIX).fill_null(False).max(),
    )
    s = s.mutate(period=phase_of(s.start, p))
    return _by_levels(
        s,
        "channel",
        lambda x: {
            "sessions": x.count(),
            "bounced_sessions": x.count(where=x.events == 1),
            "dwell_seconds": x.dwell.sum(),
            "derived_sessions": x.count(where=x.derived),
            "rule_sessions": x.count(where=x.by_rule),
        },
    )


@mart("traffic_gmv", section="traffic", needs=("orders",))
def traffic_gmv(t, p):
    """GMV (orders placed, any status) per channel and period, for UV value = GMV / UV."""
    o = t.orders
    o = o.mutate(period=phase_of(o.order_time, p))
    o = o.filter(o.period.notnull())
    return _by_levels(o, "channel", lambda x: {"gmv": x.paid_amount.sum(), "orders": x.order_id.count()})


@mart("traffic_coverage", section="traffic", needs=("events",), optional=("orders",))
def traffic_coverage(t, p):
    """One row: how far back the events reach and how complete session and dwell fields are.

    orders_checked says whether paid orders before the campaign could be used for the new-visitor flag.
    Counted from the visits (the visitor's own events), not the raw log again.
    """
    v = visits(t, p)
    return v.aggregate(  # sums of counts: 0, not missing, over no row
        first_event_time=v.first_time.min(),
        last_event_time=v.last_time.max(),
        events=int_sum(v.events).fill_null(0),
        null_session_events=int_sum(v.events, where=v.session_id.isnull()).fill_null(0),
        null_dwell_events=int_sum(v.no_dwell).fill_null(0),
    ).mutate(orders_checked=ibis.literal(t.has("orders")))
