"""Fulfilment and supply marts: shipping in time, delivery times, late deliveries, stock-outs.

Ship time starts at payment (``pay_time``; for presale orders that is the balance payment). The orders due to
ship are the paid or refunded orders placed in the campaign window that have a shipment row or, being paid,
should have shipped. A due order with no shipped time counts as not shipped in time, except when its
deadline (payment + ``settings.ship_within_hours``) falls after the last shipment in the data: such an order
is "not yet due" and left out of the rate (the data ends before it could be judged). A refunded order
without a shipment row was refunded before shipping and is not due. Orders without a pay time are left out.

A late delivery is delivered more than ``promised_hours`` after payment or, for an order with a promised
date instead (``promised_time``, an estimated delivery date), after that date's end (a time of exactly
midnight is read as a date); orders without a promise are not judged. Delivery time is hours from payment to delivery.
The region of a delivery is the shipment's region; when no shipment in the data has one, the buyer's province
from the order (``orders.province``) for all of them.

Stock-outs read the optional hourly ``inventory`` snapshots: a snapshot holds the stock at that moment and
stays valid until the SKU's next snapshot (the last one for one hour), cut at the campaign's end. A SKU sold
out when a snapshot in the campaign shows no stock.
"""

from __future__ import annotations

import ibis

from ..i18n import UNKNOWN
from . import mart
from .common import first_by, in_campaign, is_paid, last_by, phase_of, ts

HOUR = 3600.0


def _hours(later, earlier):
    """Hours between two timestamp columns (fractional; null when either is null).

    The seconds are cast to float64 first: Spark reads the literal 3600.0 as a decimal and would round the
    quotient to six decimals.
    """
    return (later.epoch_seconds() - earlier.epoch_seconds()).cast("float64") / HOUR


def _due_orders(t, p):
    """Orders considered for shipping, with pay day, phase of payment and shipping / delivery outcome."""
    o = t.orders
    o = o.filter(in_campaign(o.order_time, p) & o.status.isin(["paid", "refunded"]) & o.pay_time.notnull())
    o = o.select("order_id", "pay_time", "province", paid=is_paid(o))
    s = t.shipments
    # region_known: whether any shipment names its region; if none does, the buyer's province from the order
    # stands in for the whole table (never mixed row by row, which would put two levels in one table)
    data_end = s.aggregate(data_end=s.shipped_time.max(), region_known=s.region.count())
    s = s.select(
        "order_id",
        "shipped_time",
        "delivered_time",
        "region",
        "promised_hours",
        "promised_time",
        has_shipment=ibis.literal(True),
    )
    j = o.left_join(s, "order_id").drop("order_id_right").cross_join(data_end)
    within = p.settings.ship_within_hours
    deadline = j.pay_time + ibis.interval(seconds=int(round(within * HOUR)))
    j = j.mutate(has_shipment=j.has_shipment.fill_null(False))
    j = j.filter(j.has_shipment | j.paid)
    not_yet_due = j.shipped_time.isnull() & (deadline > j.data_end).fill_null(False)
    ship_hours = _hours(j.shipped_time, j.pay_time)
    delivery_hours = _hours(j.delivered_time, j.pay_time)
    # the promise in hours from payment; else a promised date (by its end: midnight means the whole day)
    promised = j.promised_time
    date_only = (promised.hour() == 0) & (promised.minute() == 0) & (promised.second() == 0)
    by_date = _hours(promised, j.pay_time) + ibis.ifelse(date_only, 24.0, 0.0)
    promise_hours = j.promised_hours.cast("float64").coalesce(by_date)
    return j.mutate(
        pay_day=j.pay_time.date(),
        period=phase_of(j.pay_time, p).fill_null("after"),
        region=ibis.ifelse(j.region_known > 0, j.region, j.province).fill_null(UNKNOWN),
        due=~not_yet_due,
        in_time=(ship_hours <= within).fill_null(False),
        ship_hours=ship_hours,
        delivery_hours=delivery_hours,
        promise_hours=promise_hours,
        late=(delivery_hours > promise_hours).fill_null(False),
    )


def _ship_parts(j):
    """Additive counts and sums of the shipping and delivery outcomes."""
    shipped = j.due & j.shipped_time.notnull()
    delivered = j.due & j.delivered_time.notnull()
    judged = delivered & j.promise_hours.notnull()
    n = j.order_id.count
    return {
        "due_orders": n(where=j.due),
        "shipped_in_time": n(where=j.due & j.in_time),
        "shipped": n(where=shipped),
        "unshipped": n(where=j.due & j.shipped_time.isnull()),
        "not_yet_due": n(where=~j.due),
        "ship_hours_sum": j.ship_hours.sum(where=shipped),
        "delivered": n(where=delivered),
        "delivery_hours_sum": j.delivery_hours.sum(where=delivered),
        "promise_known": n(where=judged),
        "late": n(where=judged & j.late),
    }


@mart("fulfilment_daily", section="fulfilment", needs=("orders", "shipments"))
def fulfilment_daily(t, p):
    """One row per pay day of campaign orders: due, shipped in time, unshipped, delivered, late (additive)."""
    j = _due_orders(t, p)
    return j.group_by(["pay_day", "period"]).aggregate(**_ship_parts(j)).order_by("pay_day")


def _delivery_parts(j):
    d = j.filter(j.due & j.delivered_time.notnull())
    return d, {
        "delivered": d.order_id.count(),
        "delivery_hours_sum": d.delivery_hours.sum(),
        "delivery_p50_hours": d.delivery_hours.median(),
        "delivery_p90_hours": d.delivery_hours.quantile(0.9),
        "promise_known": d.promise_hours.count(),
        "late": d.order_id.count(where=d.promise_hours.notnull() & d.late),
    }


@mart("fulfilment_delivery_by_region", section="fulfilment", needs=("orders", "shipments"))
def fulfilment_delivery_by_region(t, p):
    """One row per region plus 'overall': delivered orders, hours pay → delivered (sum, median, P90), late."""
    d, parts = _delivery_parts(_due_orders(t, p))
    per_region = d.group_by("region").aggregate(**parts)
    overall = d.aggregate(**parts).mutate(region=ibis.literal("overall"))
    return per_region.union(overall.select(per_region.columns)).order_by(ibis.desc("delivered"))


# --- inventory -------------------------------------------------------------------------------------------


def _left_join(a, b, key: str):
    """Left join on one key column, keeping a single copy of the key."""
    return a.left_join(b, key).drop(f"{key}_right")


def _burst_start(p):
    for ph in p.phases:
        if ph.name == "burst":
            return ts(ph.start)
    return None


def _stock_by_sku(t, p):
    """One row per SKU with campaign snapshots: stock flow, hours in / out of stock, sell-out, restock."""
    inv = t.inventory.mutate(replenished=t.inventory.replenished.fill_null(0))
    w = ibis.window(group_by="sku", order_by="snapshot_time")
    inv = inv.mutate(next_time=inv.snapshot_time.lead().over(w))
    camp_end = ts(p.end_exclusive)
    camp = inv.filter(in_campaign(inv.snapshot_time, p))
    valid_until = ibis.least(camp.next_time.coalesce(camp.snapshot_time + ibis.interval(hours=1)), camp_end)
    camp = camp.mutate(span=_hours(valid_until, camp.snapshot_time), out=camp.stock_on_hand <= 0)
    g = camp.group_by("sku").aggregate(
        # a SKU's snapshots taken at the same time (duplicates): the smallest stock, on every engine
        opening_stock=first_by(camp.stock_on_hand, camp.snapshot_time, camp.stock_on_hand),
        # receipts recorded at the opening snapshot arrived before the campaign started
        received=camp.replenished.sum() - first_by(camp.replenished, camp.snapshot_time, camp.replenished),
        closing_stock=last_by(camp.stock_on_hand, camp.snapshot_time, camp.stock_on_hand),
        hours_in_stock=camp.span.sum(where=~camp.out).fill_null(0.0),
        hours_out_of_stock=camp.span.sum(where=camp.out).fill_null(0.0),
        sellout_time=camp.snapshot_time.min(where=camp.out),
    )
    # the first replenishment after the sell-out, looked for until the data ends
    after = inv.filter(inv.replenished > 0).select("sku", "snapshot_time")
    first = g.select("sku", "sellout_time").filter(g.sellout_time.notnull())
    r = first.inner_join(after, "sku")
    r = r.filter(r.snapshot_time > r.sellout_time).group_by("sku").aggregate(restock_time=r.snapshot_time.min())
    g = _left_join(g, r, "sku")
    burst = _burst_start(p)
    g = g.mutate(
        hours_from_start=_hours(g.sellout_time, ts(p.start)),
        hours_from_burst_start=_hours(g.sellout_time, burst) if burst is not None else ibis.null("float64"),
        replenishment_lag_hours=_hours(g.restock_time, g.sellout_time),
    )
    if t.has("orders") and t.has("order_items"):
        o = t.orders
        o = o.filter(in_campaign(o.order_time, p) & is_paid(o)).select("order_id")
        items = t.order_items.inner_join(o, "order_id")
        sold = items.group_by("sku").aggregate(units_sold=items.quantity.sum(), net_sales=items.paid_amount.sum())
        g = _left_join(g, sold, "sku")
        g = g.mutate(units_sold=g.units_sold.fill_null(0), net_sales=g.net_sales.fill_null(0.0))
    else:
        g = g.mutate(units_sold=ibis.null("int64"), net_sales=ibis.null("float64"))
    if t.has("products"):
        g = _left_join(g, t.products.select("sku", "name"), "sku")
    else:
        g = g.mutate(name=ibis.null("string"))
    return g.select(
        "sku",
        "name",
        "opening_stock",
        "received",
        "closing_stock",
        "units_sold",
        "net_sales",
        "hours_in_stock",
        "hours_out_of_stock",
        "sellout_time",
        "restock_time",
        "hours_from_start",
        "hours_from_burst_start",
        "replenishment_lag_hours",
    )


@mart(
    "fulfilment_stock",
    section="fulfilment",
    needs=("inventory",),
    optional=("orders", "order_items", "products"),
)
def fulfilment_stock(t, p):
    """One row per SKU in the inventory: stock flow, units sold, hours in / out of stock, sell-out, restock.

    Units sold and net sales come from the lines of paid campaign orders (null without order_items).
    """
    return _stock_by_sku(t, p).order_by("sku")


@mart(
    "fulfilment_sellouts",
    section="fulfilment",
    needs=("inventory",),
    optional=("orders", "order_items", "products"),
)
def fulfilment_sellouts(t, p):
    """One row per SKU that sold out in the campaign (the sales section flags new-product sell-outs with it).

    ``sellout_time``: first campaign snapshot at 0; ``restock_time``: next snapshot with units received.
    """
    g = _stock_by_sku(t, p)
    return g.filter(g.sellout_time.notnull()).order_by(["sellout_time", "sku"])
