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

from . import mart
from .common import in_campaign, is_paid, phase_of, ts

ALL = "all"  # channel value of rows pooling every channel
OVERALL = "overall"  # period value of rows covering the whole campaign
VISITOR_DAY = "~visitor-day|"  # prefix of sessions derived from visitor and day (session_id missing)


def _int_sum(col):
    """Sum of an integer column, stored as int64.

    DuckDB sums integers as HUGEINT (written to Parquet as double) and Ibis drops a cast to the type it
    already assumes, hence the round trip through float64 (exact below 2**53).
    """
    return col.sum().cast("float64").cast("int64")


def _events_in_periods(t, p):
    """Events of the baseline and the campaign, tagged with their period (phase name or 'baseline')."""
    e = t.events
    e = e.mutate(period=phase_of(e.event_time, p))
    return e.filter(e.period.notnull())


def _union(parts):
    out = parts[0]
    for part in parts[1:]:
        out = out.union(part.select(out.columns))
    return out


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
    return _union(out).order_by([key, "period"])


def _visitors_by_levels(rows, key: str, *, sums=(), flags=None) -> ibis.Table:
    """Distinct visitors (``uv``) per key x period, key x campaign, all x period and all x campaign.

    ``rows`` has visitor_id, the key, period, additive ``sums`` and boolean columns; ``flags`` maps an
    output name to a boolean column (visitors with it true). Each level first reduces to one row per
    visitor and then counts rows: two plain group-bys, much faster than COUNT DISTINCT on big logs.
    """
    flags = flags or {}
    out = []
    for keys, consts, campaign_only in _levels(key):
        src = rows.filter(rows.period != "baseline") if campaign_only else rows
        v = src.group_by(["visitor_id", *keys]).aggregate(
            **{c: src[c].sum() for c in sums}, **{f: src[f].any() for f in set(flags.values())}
        )
        parts = {
            "uv": v.count(),
            **{c: _int_sum(v[c]) for c in sums},
            **{name: v.count(where=v[f]) for name, f in flags.items()},
        }
        agg = v.group_by(keys).aggregate(**parts) if keys else v.aggregate(**parts)
        out.append(agg.mutate(**{k: ibis.literal(val) for k, val in consts.items()}))
    return _union(out).order_by([key, "period"])


def _new_visitors(t, p):
    """One row per visitor with ``is_new``.

    New = first seen in the data inside the campaign window and not a user with a paid order before the
    campaign started (checked only when orders are provided; the visitor id or its user id may match).
    """
    e = t.events
    v = e.group_by("visitor_id").aggregate(first_time=e.event_time.min(), user_id=e.user_id.max())
    is_new = in_campaign(v.first_time, p)
    if t.has("orders"):
        o = t.orders
        prior = o.filter(is_paid(o) & (o.order_time < ts(p.start)))
        buyers = prior.user_id
        was_buyer = v.visitor_id.isin(buyers).fill_null(False) | v.user_id.isin(buyers).fill_null(False)
        is_new = is_new & ~was_buyer
    return v.select("visitor_id", is_new=is_new)


def _visitor_channel_period(t, p):
    """One row per visitor, channel and period with the visitor's PV and events there."""
    e = _events_in_periods(t, p)
    return e.group_by(["visitor_id", "channel", "period"]).aggregate(
        pv=e.count(where=e.event_type == "view"), events=e.count()
    )


@mart("traffic_by_channel", section="traffic", needs=("events",), optional=("orders",))
def traffic_by_channel(t, p):
    """Per channel ('all' pooled) and period (phases, 'baseline', 'overall'): PV, UV, new visitors.

    uv and new_uv are distinct per row.
    """
    v = _visitor_channel_period(t, p).left_join(_new_visitors(t, p), "visitor_id")
    v = v.select("visitor_id", "channel", "period", "pv", "events", is_new=v.is_new.fill_null(False))
    out = _visitors_by_levels(v, "channel", sums=("pv", "events"), flags={"new_uv": "is_new"})
    return out.select("channel", "period", "pv", "uv", "new_uv", "events")


@mart("traffic_daily", section="traffic", needs=("events",))
def traffic_daily(t, p):
    """Per calendar day (baseline and campaign) and channel ('all' pooled): PV and UV distinct per day."""
    e = _events_in_periods(t, p)
    e = e.mutate(day=e.event_time.date())
    vd = e.group_by(["visitor_id", "day", "period", "channel"]).aggregate(
        pv=e.count(where=e.event_type == "view"), events=e.count()
    )
    # rows are unique per visitor, day and channel: counting them counts distinct visitors
    per_channel = vd.group_by(["day", "period", "channel"]).aggregate(
        pv=_int_sum(vd.pv), uv=vd.count(), events=_int_sum(vd.events)
    )
    v = vd.group_by(["visitor_id", "day", "period"]).aggregate(pv=vd.pv.sum(), events=vd.events.sum())
    pooled = v.group_by(["day", "period"]).aggregate(pv=_int_sum(v.pv), uv=v.count(), events=_int_sum(v.events))
    return _union([per_channel, pooled.mutate(channel=ibis.literal(ALL))]).order_by(["day", "channel"])


@mart("traffic_by_site", section="traffic", needs=("events",))
def traffic_by_site(t, p):
    """Per site ('offsite', 'onsite', 'all' pooled) and period: PV and UV distinct per row.

    Off-site channels are the YAML's settings.offsite_channels; a visitor seen on both sides counts on each.
    """
    v = _visitor_channel_period(t, p)
    offsite = list(p.settings.offsite_channels)
    is_off = v.channel.isin(offsite) if offsite else ibis.literal(False)
    v = v.mutate(site=ibis.ifelse(is_off, "offsite", "onsite"))
    return _visitors_by_levels(v, "site", sums=("pv",)).select("site", "period", "pv", "uv")


@mart("traffic_sessions", section="traffic", needs=("events",))
def traffic_sessions(t, p):
    """Sessions per channel and period of each session's first event.

    bounced_sessions have exactly one event; derived_sessions were built from visitor-day because the
    source has no session_id for them.
    """
    e = t.events
    e = e.filter(phase_of(e.event_time, p).notnull())
    derived = e.session_id.isnull()
    visitor_day = ibis.literal(VISITOR_DAY) + e.visitor_id + "|" + e.event_time.date().cast("string")
    key = e.session_id.fill_null(visitor_day)
    e = e.mutate(session_key=key, derived=derived)
    s = e.group_by("session_key").aggregate(
        start=e.event_time.min(),
        channel=e.channel.argmin(e.event_time),
        events=e.count(),
        dwell=e.dwell_seconds.sum(),
        derived=e.derived.max(),
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
    """
    e = t.events
    return e.aggregate(
        first_event_time=e.event_time.min(),
        last_event_time=e.event_time.max(),
        events=e.count(),
        null_session_events=e.count(where=e.session_id.isnull()),
        null_dwell_events=e.count(where=e.dwell_seconds.isnull()),
    ).mutate(orders_checked=ibis.literal(t.has("orders")))
