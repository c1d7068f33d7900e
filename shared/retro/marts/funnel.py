"""Funnel marts: distinct visitors reaching view, cart, order and pay, overall, by channel and by phase.

Per visitor, not per session, and closed: a visitor counts at a step of a row when they had an event of that
step AND of every earlier step in the row's channel and period, within the campaign window, so no rate can
exceed 100%. A visitor who paid in a channel or phase without viewing there is not counted at that row's pay
step (presale: the deposit order in the warm-up, the balance paid in the burst, counts in neither phase's pay
step but does in the whole campaign's). ``payers`` is the open count beside it: distinct visitors with a
'pay' event in the row, whatever steps they had before (the shop back end's 支付买家数), so the open
conversion payers / view can be computed; ``pay_events`` counts every 'pay' event regardless.
The events are reduced once (``visits``) to one row per visitor, channel and period with its steps as bits, and
every level is counted from those in one query (``visits.visitor_counts``), distinct per row, so rates can be
recomputed from the counts at each level.
"""

from __future__ import annotations

from . import mart
from .visits import ALL, OVERALL, STEPS, visitor_counts


@mart("funnel_steps", section="funnel", needs=("events",))
def funnel_steps(t, p):
    """Distinct visitors per step by channel ('all' pooled) and phase ('overall' = whole campaign).

    Includes the channel x phase cells; ``payers`` counts every visitor who paid (open: steps before
    not required); pay_events counts 'pay' events (to compare with paid orders). A row needs a visitor with
    a step in it.
    """
    c = visitor_counts(t, p)
    whole = (c.level == ALL) & (c.period == OVERALL)  # there even without a visitor
    c = c.filter(c.level.isin(["channel", ALL]) & (c.period != "baseline") & ((c.visitors > 0) | whole))
    c = c.rename(channel="key")
    return c.select("channel", "period", "visitors", *STEPS, "payers", "pay_events").order_by(["channel", "period"])
