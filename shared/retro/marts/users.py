"""Users marts: new vs returning customers, visitor conversion, repurchase, retention cohorts, RFM, tiers.

A new customer is ``campaign_buyers(...).is_new`` (no paid order in the look-back window before the
campaign), the one definition shared with the marketing section's CAC. Buyer counts are distinct per row:
each mart first reduces to one row per buyer (and period) and then counts those rows.
"""

from __future__ import annotations

from datetime import timedelta

import ibis

from ..metrics import retention_windows
from . import mart
from .common import between_days, campaign_buyers, first_by, in_campaign, is_paid, phase_of, ts
from .visits import has_step, period_of_day, union, visits


def _customer_type(is_new):
    return ibis.ifelse(is_new, "new", "returning")


def _buyer_types(t, p):
    b = campaign_buyers(t, p)
    return b.select("user_id", customer_type=_customer_type(b.is_new), cohort=phase_of(b.first_order_time, p))


@mart("users_history", section="users", needs=("orders",))
def users_history(t, p):
    """One row: the first and last order time in the data.

    Says whether the data reaches back the new-customer look-back and whether retention windows matured.
    """
    o = t.orders
    return o.aggregate(
        first_order_time=o.order_time.min(), last_order_time=o.order_time.max(), orders=o.order_id.count()
    )


@mart("users_new_returning", section="users", needs=("orders",))
def users_new_returning(t, p):
    """One row per period (phase or 'overall') and customer type (new / returning / guest / 'all').

    buyers are distinct named customers per row; repeat_buyers have two or more paid orders within that row's
    period. Guest orders (no user id) are their own type with no buyers: they count in paid orders and net
    sales, so the 'all' rows hold the campaign's whole net sales, as the sales section does.
    """
    o = t.orders
    o = o.filter(is_paid(o) & in_campaign(o.order_time, p))
    o = o.mutate(period=phase_of(o.order_time, p))
    types = _buyer_types(t, p).drop("cohort").rename(buyer="user_id")
    o = o.left_join(types, o.user_id == types.buyer)
    o = o.select("user_id", "order_id", "paid_amount", "period", customer_type=o.customer_type.fill_null("guest"))
    parts = []
    for period in ("period", "overall"):
        for kind in ("customer_type", "all"):
            keys = ["user_id"]
            consts = {}
            if period == "period":
                keys.append("period")
            else:
                consts["period"] = ibis.literal("overall")
            if kind == "customer_type":
                keys.append("customer_type")
            else:
                consts["customer_type"] = ibis.literal("all")
            per_user = o.group_by(keys).aggregate(n=o.order_id.count(), sales=o.paid_amount.sum())
            rest = [k for k in keys if k != "user_id"]
            named = per_user.user_id.notnull()  # the guests' orders group under a null id: no buyer
            g = (per_user.group_by(rest) if rest else per_user).aggregate(
                buyers=per_user.user_id.count(),
                repeat_buyers=((per_user.n >= 2) & named).sum().cast("int64"),
                paid_orders=per_user.n.sum(),
                net_sales=per_user.sales.sum(),
            )
            g = g.mutate(**consts) if consts else g
            parts.append(g.select("period", "customer_type", "buyers", "repeat_buyers", "paid_orders", "net_sales"))
    out = parts[0]
    for part in parts[1:]:
        out = out.union(part)
    return out.order_by(["period", "customer_type"])


@mart("users_acquisition", section="users", needs=("orders",))
def users_acquisition(t, p):
    """Campaign buyers by phase and channel of their first campaign order and by customer type.

    Additive: each buyer is counted once, in the row of their first paid campaign order.
    """
    b = campaign_buyers(t, p)
    b = b.mutate(first_phase=phase_of(b.first_order_time, p), customer_type=_customer_type(b.is_new))
    return (
        b.group_by(["first_phase", "first_channel", "customer_type"])
        .aggregate(buyers=b.user_id.count(), paid_orders=b.paid_orders.sum(), net_sales=b.net_sales.sum())
        .order_by(["first_phase", "first_channel", "customer_type"])
    )


@mart("users_visitor_conversion", section="users", needs=("orders", "events"))
def users_visitor_conversion(t, p):
    """Distinct campaign visitors and those who paid, per period (phase or 'overall') and visitor type.

    A visitor is ``user_id`` when known, else ``visitor_id``; a returning visitor is a returning customer
    (a paid order in the look-back window before the campaign), everyone else is a new visitor. Paying
    means a 'pay' event in the same period. Distinct per row.
    """
    o = t.orders
    lookback_start = p.start - timedelta(days=p.settings.new_customer_lookback_days)
    prior = o.filter(is_paid(o) & (o.order_time >= ts(lookback_start)) & (o.order_time < ts(p.start)))
    prior = prior.select(vid=prior.user_id).distinct().mutate(has_prior=ibis.literal(True))
    v = visits(t, p)
    v = v.filter(in_campaign(v.day.cast("timestamp"), p))
    v = v.select(vid=v.user_id.coalesce(v.visitor_id), period=period_of_day(v.day, p), paid=has_step(v.steps, "pay"))
    # one row per visitor and phase, then per visitor: counting rows counts distinct visitors
    per_period = v.group_by(["vid", "period"]).aggregate(paid=v.paid.any())
    per_campaign = per_period.group_by("vid").aggregate(paid=per_period.paid.any())
    parts = []
    for rows, period in ((per_period, True), (per_campaign, False)):
        rows = rows.left_join(prior, "vid")
        rows = rows.mutate(visitor_type=ibis.ifelse(rows.has_prior.notnull(), "returning", "new"))
        for kind in (True, False):
            keys = (["period"] if period else []) + (["visitor_type"] if kind else [])
            g = rows.group_by(keys) if keys else rows
            agg = g.aggregate(visitors=rows.count(), paying_visitors=rows.count(where=rows.paid))
            if not period:
                agg = agg.mutate(period=ibis.literal("overall"))
            if not kind:
                agg = agg.mutate(visitor_type=ibis.literal("all"))
            parts.append(agg.select("period", "visitor_type", "visitors", "paying_visitors"))
    return union(parts).order_by(["period", "visitor_type"])


@mart("users_retention", section="users", needs=("orders",))
def users_retention(t, p):
    """Retention cohorts: campaign buyers and how many paid again within N days after the campaign ended.

    Cohorts are the phase of the buyer's first campaign order ('overall' for all) and the customer type
    ('all' for both). Long format, one row per (cohort, customer_type, window_days); ``window_end`` is
    the exclusive end of the window, so the section can blank the cells the data does not cover yet.
    """
    o = t.orders
    paid = o.filter(is_paid(o))
    end = ts(p.end_exclusive)
    after = paid.filter(paid.order_time >= end)
    nxt = after.group_by("user_id").aggregate(next_order_time=after.order_time.min())
    b = _buyer_types(t, p).left_join(nxt, "user_id")
    windows = retention_windows(p)
    retained = {
        f"r{n}": (b.next_order_time < ts(p.end_exclusive + timedelta(days=n))).fill_null(False) for n in windows
    }
    b = b.mutate(**retained)
    parts = []
    for cohort in (True, False):
        for kind in (True, False):
            keys = (["cohort"] if cohort else []) + (["customer_type"] if kind else [])
            g = b.group_by(keys) if keys else b
            agg = g.aggregate(buyers=b.user_id.count(), **{k: b[k].sum().cast("int64") for k in retained})
            if not cohort:
                agg = agg.mutate(cohort=ibis.literal("overall"))
            if not kind:
                agg = agg.mutate(customer_type=ibis.literal("all"))
            for n in windows:
                parts.append(
                    agg.select(
                        "cohort",
                        "customer_type",
                        "buyers",
                        window_days=ibis.literal(n, "int64"),
                        retained=agg[f"r{n}"],
                        window_end=ts(p.end_exclusive + timedelta(days=n)),
                    )
                )
    out = parts[0]
    for part in parts[1:]:
        out = out.union(part)
    return out.order_by(["cohort", "customer_type", "window_days"])


@mart("users_rfm", section="users", needs=("orders",))
def users_rfm(t, p):
    """One row per customer with a paid order in the RFM look-back window ending at the campaign end.

    recency_days = campaign end day - last paid order day; frequency = paid orders; monetary = paid amount.
    """
    o = t.orders
    start = p.end_exclusive - timedelta(days=p.settings.rfm_lookback_days)
    o = o.filter(is_paid(o) & between_days(o.order_time, start, p.end) & o.user_id.notnull())  # no guests
    g = o.group_by("user_id").aggregate(
        last_order_day=o.order_time.max().date(), frequency=o.order_id.count(), monetary=o.paid_amount.sum()
    )
    return g.select(
        "user_id",
        "frequency",
        "monetary",
        recency_days=ibis.literal(p.end).delta(g.last_order_day, unit="day"),
    ).order_by("user_id")


@mart("users_membership", section="users", needs=("orders", "users"))
def users_membership(t, p):
    """Campaign buyers by member flag (null: 'unknown') with their repeat buyers.

    A repeat buyer has two or more paid orders over the campaign window plus the retention window.
    """
    o = t.orders
    until = p.end + timedelta(days=p.settings.retention_days)
    o = o.filter(is_paid(o) & between_days(o.order_time, p.start, until))
    per_user = o.group_by("user_id").aggregate(n=o.order_id.count(), sales=o.paid_amount.sum())
    b = campaign_buyers(t, p).select("user_id").inner_join(per_user, "user_id")
    u = t.users.select("user_id", "is_member").distinct(on="user_id", keep="first")
    b = b.left_join(u, "user_id")
    b = b.mutate(member_status=ibis.cases((b.is_member, "member"), (~b.is_member, "non_member"), else_="unknown"))
    return (
        b.group_by("member_status")
        .aggregate(
            buyers=b.user_id.count(),
            repeat_buyers=(b.n >= 2).sum().cast("int64"),
            paid_orders=b.n.sum(),
            net_sales=b.sales.sum(),
        )
        .order_by("member_status")
    )


@mart("users_city_tier", section="users", needs=("orders",), optional=("users",))
def users_city_tier(t, p):
    """Campaign buyers by city tier, each buyer counted once.

    The tier is that of the buyer's first paid campaign order that has one, else the users table's tier,
    else 'unknown'.
    """
    o = t.orders
    o = o.filter(is_paid(o) & in_campaign(o.order_time, p))
    per_user = o.group_by("user_id").aggregate(
        order_tier=first_by(o.city_tier, o.order_time, o.order_id, where=o.city_tier.notnull()),
        sales=o.paid_amount.sum(),
    )
    if t.has("users"):
        u = t.users.select("user_id", user_tier=t.users.city_tier).distinct(on="user_id", keep="first")
        per_user = per_user.left_join(u, "user_id")
        tier = per_user.order_tier.coalesce(per_user.user_tier)
    else:
        tier = per_user.order_tier
    per_user = per_user.mutate(city_tier=tier.fill_null("unknown"))
    return (
        per_user.group_by("city_tier")
        .aggregate(buyers=per_user.user_id.count(), net_sales=per_user.sales.sum())
        .order_by("city_tier")
    )
