"""Funnel marts: distinct visitors reaching view, cart, order and pay, overall, by channel and by phase.

Per visitor, not per session, and closed: a visitor counts at a step of a row when they had an event of that
step AND of every earlier step in the row's channel and period, within the campaign window, so no rate can
exceed 100%. A visitor who paid in a channel or phase without viewing there is not counted at that row's pay
step (presale: the deposit order in the warm-up, the balance paid in the burst, counts in neither phase's pay
step but does in the whole campaign's). ``pay_events`` counts every 'pay' event regardless.
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


def _level(v, keys: list[str]):
    """Distinct visitors per step at one level.

    Reduces to one row per visitor at that level, then counts rows: two plain group-bys, much faster
    than COUNT DISTINCT on big logs.
    """
    per_visitor = v.group_by(["visitor_id", *keys]).aggregate(
        **{step: v[step].any() for step in STEPS}, pay_events=v.pay_events.sum()
    )
    reached = {STEPS[0]: per_visitor[STEPS[0]]}
    for prev, step in zip(STEPS, STEPS[1:], strict=False):
        reached[step] = reached[prev] & per_visitor[step]  # closed funnel: every earlier step too
    per_visitor = per_visitor.mutate(**reached)
    parts = {
        "visitors": per_visitor.count(),
        **{step: per_visitor.count(where=per_visitor[step]) for step in STEPS},
        # DuckDB sums BIGINT as HUGEINT and Ibis drops a same-type cast: round trip through float64
        "pay_events": per_visitor.pay_events.sum().cast("float64").cast("int64"),
    }
    return per_visitor.group_by(keys).aggregate(**parts) if keys else per_visitor.aggregate(**parts)


@mart("funnel_steps", section="funnel", needs=("events",))
def funnel_steps(t, p):
    """Distinct visitors per step by channel ('all' pooled) and phase ('overall' = whole campaign).

    Includes the channel x phase cells; pay_events counts 'pay' events (to compare with paid orders).
    """
    v = _visitor_steps(t, p)
    return _union(
        [
            _level(v, ["channel", "period"]),
            _level(v, ["channel"]).mutate(period=ibis.literal(OVERALL)),
            _level(v, ["period"]).mutate(channel=ibis.literal(ALL)),
            _level(v, []).mutate(channel=ibis.literal(ALL), period=ibis.literal(OVERALL)),
        ]
    ).order_by(["channel", "period"])
