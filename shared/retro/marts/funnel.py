"""Funnel marts: distinct visitors reaching view, cart, order and pay, overall, by channel and by phase.

Per visitor, not per session, and closed: a visitor counts at a step of a row when they had an event of that
step AND of every earlier step in the row's channel and period, within the campaign window, so no rate can
exceed 100%. A visitor who paid in a channel or phase without viewing there is not counted at that row's pay
step (presale: the deposit order in the warm-up, the balance paid in the burst, counts in neither phase's pay
step but does in the whole campaign's). ``payers`` is the open count beside it: distinct visitors with a
'pay' event in the row, whatever steps they had before (the shop back end's 支付买家数), so the open
conversion payers / view can be computed; ``pay_events`` counts every 'pay' event regardless.
The events are reduced once (``visits``) to one row per visitor and level with a flag per step; every level is
counted from those rows, distinct per row, so rates can be recomputed from the counts at each level.
"""

from __future__ import annotations

from . import mart
from .visits import LEVELS, STEPS, int_sum, union, visitor_rows, with_level_keys


def _level(t, p, level: str):
    """Distinct visitors per step at one level, counted from the shared one-row-per-visitor table."""
    v = visitor_rows(t, p, level)
    v = v.filter(v.stepped & (v.period != "baseline")) if "period" in v.columns else v.filter(v.stepped)
    v = v.mutate(paid_open=v[STEPS[-1]])  # open: kept before the closure below
    reached = {STEPS[0]: v[STEPS[0]]}
    for prev, step in zip(STEPS, STEPS[1:], strict=False):
        reached[step] = reached[prev] & v[step]  # closed funnel: every earlier step too
    v = v.mutate(**reached)
    parts = {
        "visitors": v.count(),
        **{step: v.count(where=v[step]) for step in STEPS},
        "payers": v.count(where=v.paid_open),
        "pay_events": int_sum(v.pay_events),
    }
    keys = list(LEVELS[level][0])
    agg = v.group_by(keys).aggregate(**parts) if keys else v.aggregate(**parts)
    return with_level_keys(agg, level, "channel")


@mart("funnel_steps", section="funnel", needs=("events",))
def funnel_steps(t, p):
    """Distinct visitors per step by channel ('all' pooled) and phase ('overall' = whole campaign).

    Includes the channel x phase cells; ``payers`` counts every visitor who paid (open: steps before
    not required); pay_events counts 'pay' events (to compare with paid orders).
    """
    out = union([_level(t, p, level) for level in LEVELS])
    return out.select("channel", "period", "visitors", *STEPS, "payers", "pay_events").order_by(["channel", "period"])
