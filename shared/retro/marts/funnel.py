"""Funnel marts: distinct visitors reaching view, cart, order and pay, overall, by channel and by phase.

Per visitor, not per session: a visitor counts in a step of a row when they had at least one event of that
step in the row's channel and period, within the campaign window. Steps are counted independently (a visitor
who paid in a channel without viewing there counts in that channel's pay step but not its view step).
One pass reduces the events to one row per visitor, channel and phase with a flag per step; every level is
counted from those rows, distinct per row, so rates can be recomputed from the counts at each level.
"""

from __future__ import annotations

import ibis

from ..schema import EVENT_TYPES
from . import mart
from .common import in_campaign, phase_of

STEPS = EVENT_TYPES  # view, cart, order, pay
ALL = "all"  # channel value of rows pooling every channel
OVERALL = "overall"  # period value of rows covering the whole campaign


def _union(parts):
    out = parts[0]
    for part in parts[1:]:
        out = out.union(part.select(out.columns))
    return out


def _visitor_steps(t, p):
    """One row per visitor, channel and phase: a flag per step reached there, and the visitor's pay events."""
    e = t.events
    e = e.filter(in_campaign(e.event_time, p) & e.event_type.isin(STEPS))
    e = e.mutate(period=phase_of(e.event_time, p))
    return e.group_by(["visitor_id", "channel", "period"]).aggregate(
        **{step: (e.event_type == step).any() for step in STEPS},
        pay_events=e.count(where=e.event_type == "pay"),
    )


def _counts(v):
    return {
        "visitors": v.visitor_id.nunique(),
        **{step: v.visitor_id.nunique(where=v[step]) for step in STEPS},
        "pay_events": v.pay_events.sum().cast("float64").cast("int64"),  # DuckDB sums BIGINT as HUGEINT
    }


@mart("funnel_steps", section="funnel", needs=("events",))
def funnel_steps(t, p):
    """Distinct visitors per step by channel ('all' pooled) and phase ('overall' = whole campaign).

    Includes the channel x phase cells; pay_events counts 'pay' events (to compare with paid orders).
    """
    v = _visitor_steps(t, p)
    return _union([
        v.group_by(["channel", "period"]).aggregate(**_counts(v)),
        v.group_by("channel").aggregate(**_counts(v)).mutate(period=ibis.literal(OVERALL)),
        v.group_by("period").aggregate(**_counts(v)).mutate(channel=ibis.literal(ALL)),
        v.aggregate(**_counts(v)).mutate(channel=ibis.literal(ALL), period=ibis.literal(OVERALL)),
    ]).order_by(["channel", "period"])
