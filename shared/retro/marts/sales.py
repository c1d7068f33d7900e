"""Sales marts: GMV and net sales by period, day, hour, channel, buyer province, category and SKU.

GMV counts every order placed in the window (cancelled, refunded and pending included); net sales and paid
orders count status = paid only; an order still unpaid (pending) is neither sold nor lost, counted apart.
Product rankings use order lines of paid orders and exclude non-merchandise SKUs.
"""

from __future__ import annotations

import ibis

from ..i18n import UNKNOWN
from . import mart
from .common import in_campaign, is_paid, phase_of


def _order_parts(o):
    """Additive parts of the order table, named as the sales metrics use them."""
    paid = is_paid(o)
    return {
        "orders": o.order_id.count(),
        "gmv": o.paid_amount.sum(),
        "paid_orders": o.order_id.count(where=paid),
        "net_sales": o.paid_amount.sum(where=paid),
        "presale_net_sales": o.paid_amount.sum(where=paid & o.is_presale.fill_null(False)),
        "lost_gmv": o.paid_amount.sum(where=o.status.isin(["cancelled", "refunded"])),
        "pending_orders": o.order_id.count(where=o.status == "pending"),
        "pending_gmv": o.paid_amount.sum(where=o.status == "pending"),
        "freight": o.freight.sum(where=paid),  # within net sales; on no order line
        "buyers": o.user_id.nunique(where=paid),
    }


def _orders_with_phase(t, p):
    o = t.orders
    return o.mutate(period=phase_of(o.order_time, p), day=o.order_time.date())


@mart("sales_by_period", section="sales", needs=("orders",))
def sales_by_period(t, p):
    """One row per phase, the baseline and the whole campaign ('overall'); buyers are distinct per row."""
    o = _orders_with_phase(t, p)
    per_phase = o.filter(o.period.notnull()).group_by("period").aggregate(**_order_parts(o))
    camp = o.filter(in_campaign(o.order_time, p))
    overall = camp.aggregate(**_order_parts(camp)).mutate(period=ibis.literal("overall"))
    days = {ph.name: ph.days for ph in p.phases} | {"overall": (p.end - p.start).days + 1}
    if p.baseline is not None:
        days["baseline"] = p.baseline.days
    out = per_phase.union(overall.select(per_phase.columns))
    return out.mutate(days=out.period.cases(*days.items(), else_=None).cast("int64"))


@mart("sales_daily", section="sales", needs=("orders",))
def sales_daily(t, p):
    """One row per calendar day of the baseline and the campaign."""
    o = _orders_with_phase(t, p)
    o = o.filter(o.period.notnull())
    return o.group_by(["day", "period"]).aggregate(**_order_parts(o)).order_by("day")


@mart("sales_hourly", section="sales", needs=("orders",))
def sales_hourly(t, p):
    """One row per clock hour of the campaign (by order time)."""
    o = t.orders
    o = o.filter(in_campaign(o.order_time, p)).mutate(hour=o.order_time.truncate("h"))
    return o.group_by("hour").aggregate(**_order_parts(o)).order_by("hour")


@mart("sales_by_channel", section="sales", needs=("orders",))
def sales_by_channel(t, p):
    """One row per channel and phase, plus phase 'overall' (buyers distinct per row)."""
    o = _orders_with_phase(t, p)
    camp = o.filter(in_campaign(o.order_time, p))
    per_phase = camp.group_by(["channel", "period"]).aggregate(**_order_parts(camp))
    overall = camp.group_by("channel").aggregate(**_order_parts(camp)).mutate(period=ibis.literal("overall"))
    return per_phase.union(overall.select(per_phase.columns)).order_by(["channel", "period"])


@mart("sales_by_province", section="sales", needs=("orders",))
def sales_by_province(t, p):
    """One row per buyer province of the campaign's orders ('(unknown)' without one), most net sales first."""
    o = t.orders
    camp = o.filter(in_campaign(o.order_time, p))
    camp = camp.mutate(province=camp.province.fill_null(UNKNOWN))
    return camp.group_by("province").aggregate(**_order_parts(camp)).order_by([ibis.desc("net_sales"), "province"])


def _paid_lines(t, p):
    """Order lines of paid campaign orders joined to their product (left join: unknown SKUs kept).

    Kept once per build (``Tables.shared``) with only the columns the line marts read: the category, SKU and
    excluded-lines marts read the same join.
    """

    def build():
        o = t.orders
        o = o.filter(in_campaign(o.order_time, p) & is_paid(o)).select("order_id")
        items = t.order_items.inner_join(o, "order_id")
        prod = t.products.select(
            "sku", "name", "category", "launch_date", "is_merchandise", product_cost=t.products.unit_cost
        )
        j = items.left_join(prod, "sku")
        return j.select(
            "order_id",
            "sku",
            "name",
            "launch_date",
            "quantity",
            "unit_price",
            "paid_amount",
            unit_cost_known=j.unit_cost.coalesce(j.product_cost),
            is_merchandise=j.is_merchandise.fill_null(True),
            category=j.category.fill_null(UNKNOWN),
        )

    return t.shared("paid_lines", build)


def _line_parts(j):
    return {
        "lines": j.order_id.count(),
        "orders": j.order_id.nunique(),
        "units": j.quantity.sum(),
        "net_sales": j.paid_amount.sum(),
        "list_value": (j.quantity * j.unit_price).sum(),
        "costed_sales": j.paid_amount.sum(where=j.unit_cost_known.notnull()),
        "cogs": (j.quantity * j.unit_cost_known).sum(where=j.unit_cost_known.notnull()),
    }


@mart("sales_by_category", section="sales", needs=("orders", "order_items", "products"))
def sales_by_category(t, p):
    """Merchandise lines of paid campaign orders by category."""
    j = _paid_lines(t, p)
    j = j.filter(j.is_merchandise)
    return j.group_by("category").aggregate(**_line_parts(j)).order_by(ibis.desc("net_sales"))


@mart("sales_by_sku", section="sales", needs=("orders", "order_items", "products"))
def sales_by_sku(t, p):
    """Merchandise lines of paid campaign orders by SKU, with the launch date for new-product flags."""
    j = _paid_lines(t, p)
    j = j.filter(j.is_merchandise)
    g = j.group_by(["sku", "name", "category", "launch_date"]).aggregate(**_line_parts(j))
    return g.order_by([ibis.desc("net_sales"), "sku"])


@mart("sales_excluded_lines", section="sales", needs=("orders", "order_items", "products"))
def sales_excluded_lines(t, p):
    """Non-merchandise lines left out of product rankings (for the data-quality appendix)."""
    j = _paid_lines(t, p)
    j = j.filter(~j.is_merchandise)
    return j.group_by(["sku", "category"]).aggregate(lines=j.order_id.count(), net_sales=j.paid_amount.sum())


@mart("sales_basket", section="sales", needs=("orders", "order_items"))
def sales_basket(t, p):
    """Units and lines per paid order, campaign vs baseline, for the attach rate (连带率)."""
    o = t.orders
    o = o.mutate(period=phase_of(o.order_time, p))
    o = o.filter(is_paid(o) & o.period.notnull())
    o = o.mutate(period=ibis.cases((o.period == "baseline", "baseline"), else_="campaign"))
    items = t.order_items.inner_join(o.select("order_id", "period"), "order_id")
    return items.group_by("period").aggregate(
        orders=items.order_id.nunique(), units=items.quantity.sum(), lines=items.order_id.count()
    )
