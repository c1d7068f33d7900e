"""Marketing marts: spend and results, new customers, cost of goods, coupons, channel GMV and KOLs.

Spend rows count when their date falls in the campaign window. New customers come from
``campaign_buyers`` (the users section's definition), attributed to the channel of their first paid
campaign order; marketing channel codes are the order channel codes.
"""

from __future__ import annotations

import ibis

from . import mart
from .common import campaign_buyers, in_campaign, is_paid, phase_of


def _spend_parts(m):
    return {
        "spend": m.spend.sum(),
        "impressions": m.impressions.sum(),
        "clicks": m.clicks.sum(),
        "attributed_orders": m.attributed_orders.sum(),
        "attributed_revenue": m.attributed_revenue.sum(),
        "rows": m.spend.count(),
    }


def _campaign_marketing(t, p):
    m = t.marketing
    day = m.date.cast("timestamp")
    return m.filter(in_campaign(day, p)).mutate(period=phase_of(day, p))


@mart("marketing_by_channel", section="marketing", needs=("marketing",))
def marketing_by_channel(t, p):
    """Spend, impressions, clicks and attributed results per channel and phase (all additive)."""
    m = _campaign_marketing(t, p)
    return m.group_by(["channel", "period"]).aggregate(**_spend_parts(m)).order_by(["channel", "period"])


@mart("marketing_new_customers", section="marketing", needs=("marketing", "orders"))
def marketing_new_customers(t, p):
    """Campaign buyers and new customers per channel of their first paid campaign order (each buyer once)."""
    b = campaign_buyers(t, p)
    return (
        b.group_by(b.first_channel.name("channel"))
        .aggregate(buyers=b.user_id.count(), new_customers=b.is_new.sum().cast("int64"))
        .order_by("channel")
    )


@mart(
    "marketing_cogs",
    section="marketing",
    needs=("marketing", "orders", "order_items"),
    optional=("products",),
)
def marketing_cogs(t, p):
    """One row: net merchandise sales of paid campaign orders, the costed part and its cost of goods.

    Unit cost is the line's, else the product's; the ratio cogs / costed_sales prices attributed revenue.
    """
    o = t.orders
    o = o.filter(is_paid(o) & in_campaign(o.order_time, p)).select("order_id")
    j = t.order_items.inner_join(o, "order_id")
    if t.has("products"):
        prod = t.products.select("sku", "is_merchandise", product_cost=t.products.unit_cost)
        j = j.left_join(prod, "sku")
        j = j.filter(j.is_merchandise.fill_null(True)).mutate(cost=j.unit_cost.coalesce(j.product_cost))
    else:
        j = j.mutate(cost=j.unit_cost)
    known = j.cost.notnull()
    return j.aggregate(
        net_sales=j.paid_amount.sum(),
        costed_sales=j.paid_amount.sum(where=known),
        cogs=(j.quantity * j.cost).sum(where=known),
    )


@mart("marketing_channel_gmv", section="marketing", needs=("marketing", "orders"))
def marketing_channel_gmv(t, p):
    """Orders placed in the campaign window per channel: GMV (any status), net sales and orders."""
    o = t.orders
    o = o.filter(in_campaign(o.order_time, p))
    paid = is_paid(o)
    return (
        o.group_by("channel")
        .aggregate(
            orders=o.order_id.count(),
            gmv=o.paid_amount.sum(),
            paid_orders=paid.sum().cast("int64"),
            net_sales=o.paid_amount.sum(where=paid).coalesce(0.0),
        )
        .order_by(ibis.desc("gmv"))
    )


@mart("marketing_coupons", section="marketing", needs=("marketing", "coupons"), optional=("orders",))
def marketing_coupons(t, p):
    """Coupons by type: issued, redeemed, cost = face value x redeemed.

    Redeemed comes from the table, else is counted from paid campaign orders carrying the coupon id;
    ``counted_from_orders`` says for how many coupons, ``order_uses`` is that count for every coupon;
    ``issued_known`` is the issue of coupons whose redemptions are known (the redemption rate's base).
    """
    c = t.coupons
    if t.has("orders"):
        o = t.orders
        o = o.filter(is_paid(o) & in_campaign(o.order_time, p) & o.coupon_id.notnull())
        used = o.group_by("coupon_id").aggregate(order_uses=o.order_id.count())
        c = c.left_join(used, "coupon_id")
        counted = c.order_uses.fill_null(0)
    else:
        c = c.mutate(order_uses=ibis.null("int64"))
        counted = c.order_uses
    c = c.mutate(
        redeemed_n=c.redeemed.cast("int64").coalesce(counted),
        from_orders=c.redeemed.isnull() & counted.notnull(),
        coupon_type=c.coupon_type.fill_null("unknown"),
    )
    return (
        c.group_by("coupon_type")
        .aggregate(
            coupons=c.coupon_id.count(),
            issued=c.issued.sum(),
            issued_known=c.issued.sum(where=c.redeemed_n.notnull()),
            redeemed=c.redeemed_n.sum(),
            cost=(c.face_value * c.redeemed_n).sum(),
            counted_from_orders=c.from_orders.sum().cast("int64"),
            order_uses=c.order_uses.sum(),
        )
        .order_by("coupon_type")
    )


@mart("marketing_kol", section="marketing", needs=("marketing",))
def marketing_kol(t, p):
    """KOL placements (is_kol) in the campaign window, one row per channel and placement."""
    m = _campaign_marketing(t, p)
    m = m.filter(m.is_kol.fill_null(False))
    m = m.mutate(placement=m.placement.fill_null("(unnamed)"))
    return (
        m.group_by(["channel", "placement"])
        .aggregate(**_spend_parts(m))
        .order_by([ibis.desc("attributed_revenue"), "placement"])
    )
