"""Expressions every mart module shares: the campaign window, phases, the baseline, paid orders.

Written once so that "in the campaign" and "which phase" mean the same thing in every section.
"""

from __future__ import annotations

from datetime import timedelta

import ibis

from ..params import CampaignParams
from ..staging.exprs import between_days, first_by, last_by, ts  # noqa: F401 - the mart modules import them here


def in_campaign(col, p: CampaignParams):
    """Timestamp column falls inside the campaign window (first phase start .. last phase end)."""
    return between_days(col, p.start, p.end)


def in_baseline(col, p: CampaignParams):
    """Timestamp column falls inside the baseline period (always False without one)."""
    if p.baseline is None:
        return ibis.literal(False)
    return between_days(col, p.baseline.start, p.baseline.end)


def phase_of(col, p: CampaignParams):
    """Phase name (warmup / burst / tail / baseline) of a timestamp column; null outside them."""
    branches = [(between_days(col, ph.start, ph.end), ph.name) for ph in p.phases]
    if p.baseline is not None:
        branches.append((between_days(col, p.baseline.start, p.baseline.end), "baseline"))
    return ibis.cases(*branches, else_=ibis.null("string"))


def is_paid(orders):
    """Orders that count as sales: status paid (cancelled and refunded excluded)."""
    return orders.status == "paid"


def merchandise_skus(t):
    """SKUs that are products (postage, fees and adjustments excluded)."""
    products = t.products
    return products.filter(products.is_merchandise.fill_null(True))


def campaign_buyers(t, p: CampaignParams):
    """One row per paying buyer of the campaign: whether new, first channel, paid orders and net sales.

    A buyer is a named user (guest orders, without a user id, count in sales but are no one's) with at least
    one paid order placed in the campaign window. A buyer is new when they
    have no paid order in the ``settings.new_customer_lookback_days`` before the campaign starts (whether the
    data reaches that far back is the users section's to say). ``first_channel`` is the channel of their first
    paid campaign order (the smallest order id among orders placed in the same second), used to attribute new
    customers (CAC by channel).
    """

    def build():
        o = t.orders
        paid = o.filter(is_paid(o))
        camp = paid.filter(in_campaign(paid.order_time, p))
        camp = camp.filter(camp.user_id.notnull())  # a guest order is nobody's purchase: no phantom buyer
        lookback_start = p.start - timedelta(days=p.settings.new_customer_lookback_days)
        prior = paid.filter((paid.order_time >= ts(lookback_start)) & (paid.order_time < ts(p.start)))
        prior_users = prior.select("user_id").distinct().mutate(has_prior=ibis.literal(True))
        buyers = camp.group_by("user_id").aggregate(
            paid_orders=camp.order_id.count(),
            net_sales=camp.paid_amount.sum(),
            first_order_time=camp.order_time.min(),
            first_channel=first_by(camp.channel, camp.order_time, camp.order_id),
        )
        j = buyers.left_join(prior_users, "user_id")
        return j.select(
            "user_id",
            "paid_orders",
            "net_sales",
            "first_order_time",
            "first_channel",
            is_new=j.has_prior.isnull(),
        )

    return t.shared("campaign_buyers", build)  # six users and marketing marts read it
