"""Goals marts: the daily sales history the counterfactual is forecast from (retro.forecast)."""

from __future__ import annotations

from . import mart
from .common import is_paid


@mart("goals_daily_history", section="goals", needs=("orders",))
def goals_daily_history(t, p):
    """One row per calendar day with orders, over all the data: GMV, orders and net sales (status paid).

    Unlike ``sales_daily`` it is not limited to the baseline and the campaign: the forecast needs the months
    before the campaign and the days after it.
    """
    o = t.orders.mutate(day=t.orders.order_time.date())
    paid = is_paid(o)
    return (
        o.group_by("day")
        .aggregate(gmv=o.paid_amount.sum(), orders=o.order_id.count(), net_sales=o.paid_amount.sum(where=paid))
        .order_by("day")
    )
