"""The event log reduced once per build: every traffic, funnel and visitor mart counts from these tables.

Event logs are by far the largest input, and every event mart reduces them per visitor. Scanning the raw
events once per mart (and once per level inside a mart) made them most of a cold run, so the reduction is
done once here, materialised for the duration of the build (``Tables.shared``), and the marts count rows of
the reduced tables:

- ``visits``: one row per visitor, user id, channel, calendar day and session, all days of the data (the
  sessions and the log's coverage are counted from it too, not from the raw events);
- ``visitor_rows(level)``: one row per visitor at a level (channel x period, channel, period, or the whole
  campaign), with the visitor's counts and flags there, for every distinct-visitor count.

Periods are whole calendar days (phases and the baseline are date ranges), so the period of a visit is
the period of its day. Period 'overall' rows cover the campaign phases only, never the baseline.
"""

from __future__ import annotations

import ibis

from ..schema import EVENT_TYPES
from .common import in_campaign, is_paid, phase_of, ts

STEPS = EVENT_TYPES  # view, cart, order, pay: the funnel's steps, in order
SUMS = ("pv", "events", "pay_events")  # additive counts carried through every reduction
FLAGS = (*STEPS, "stepped")  # "had an event of this kind"; stepped = any funnel step
# the levels of every distinct-visitor mart: (group keys, overall? = campaign only, pooled over periods)
LEVELS = {
    "channel,period": (("channel", "period"), False),
    "channel": (("channel",), True),
    "period": (("period",), False),
    "all": ((), True),
}


def behaviour(e):
    """The rows of an event log the visitor made: not those the kit added (``is_derived``)."""
    return ~e.is_derived.fill_null(False)


def int_sum(col):
    """Sum of an integer column, stored as int64.

    DuckDB sums integers as HUGEINT (written to Parquet as double) and Ibis drops a cast to the type it
    already assumes, hence the round trip through float64 (exact below 2**53).
    """
    return col.sum().cast("float64").cast("int64")


def visits(t, p):
    """One row per visitor, user id, channel, day and session id: PV, events, pay events, step flags, times, dwell.

    Keyed by session too (a session is rarely split over channels or days, so this has hardly more rows than
    per visitor and day), so that the sessions are counted from it. The times, events, dwell and missing dwell
    are those of the visitor's own events (``behaviour``); a step the kit added copies one of them.
    """

    def build():
        e = t.events
        own = behaviour(e)
        keys = ["visitor_id", "user_id", "channel", e.event_time.date().name("day"), "session_id"]
        return e.group_by(keys).aggregate(
            pv=e.count(where=e.event_type == "view"),
            events=e.count(where=own),  # a step the kit added is no event of the visitor's
            pay_events=e.count(where=e.event_type == "pay"),
            **{step: (e.event_type == step).any() for step in STEPS},
            stepped=e.event_type.isin(STEPS).any(),
            first_time=e.event_time.min(where=own),
            last_time=e.event_time.max(where=own),
            dwell=e.dwell_seconds.sum(where=own),
            no_dwell=e.count(where=own & e.dwell_seconds.isnull()),
        )

    return t.shared("visits", build)


def period_of_day(day, p):
    """Phase name or 'baseline' of a calendar day column (null outside them)."""
    return phase_of(day.cast("timestamp"), p)


def new_visitors(t, p):
    """One row per visitor with ``is_new``.

    New = first seen in the data inside the campaign window and not a user with a paid order before the
    campaign started (checked only when orders are provided; the visitor id or its user id may match).
    """
    v = visits(t, p)
    first = v.group_by("visitor_id").aggregate(first_time=v.first_time.min(), user_id=v.user_id.max())
    is_new = in_campaign(first.first_time, p)
    if t.has("orders"):
        o = t.orders
        buyers = o.filter(is_paid(o) & (o.order_time < ts(p.start))).user_id
        was_buyer = first.visitor_id.isin(buyers).fill_null(False) | first.user_id.isin(buyers).fill_null(False)
        is_new = is_new & ~was_buyer
    return first.select("visitor_id", is_new=is_new)


def visitor_channel_period(t, p):
    """One row per visitor, channel and period (baseline and phases): counts, step flags and ``is_new``."""

    def build():
        v = visits(t, p)
        v = v.mutate(period=period_of_day(v.day, p))
        v = v.filter(v.period.notnull())
        g = v.group_by(["visitor_id", "channel", "period"]).aggregate(
            **{c: v[c].sum() for c in SUMS}, **{f: v[f].any() for f in FLAGS}
        )
        g = g.left_join(new_visitors(t, p), "visitor_id")
        return g.select("visitor_id", "channel", "period", *SUMS, *FLAGS, is_new=g.is_new.fill_null(False))

    return t.shared("visitors@channel,period", build)


def visitor_rows(t, p, level: str):
    """One row per visitor at ``level`` (a key of LEVELS): summed counts, any-of flags, ``is_new``."""
    keys, overall = LEVELS[level]
    rows = visitor_channel_period(t, p)
    if level == "channel,period":
        return rows

    def build():
        src = rows.filter(rows.period != "baseline") if overall else rows
        return src.group_by(["visitor_id", *keys]).aggregate(
            **{c: src[c].sum() for c in SUMS},
            **{f: src[f].any() for f in (*FLAGS, "is_new")},
        )

    return t.shared(f"visitors@{level}", build)


def with_level_keys(table, level: str, key: str):
    """Add the constant columns a level lacks: ``key`` = 'all' and/or period = 'overall'."""
    keys, _ = LEVELS[level]
    consts = {}
    if key not in keys:
        consts[key] = ibis.literal("all")
    if "period" not in keys:
        consts["period"] = ibis.literal("overall")
    return table.mutate(**consts) if consts else table


def union(parts):
    """Rows of several tables with the first one's columns."""
    out = parts[0]
    for part in parts[1:]:
        out = out.union(part.select(out.columns))
    return out
