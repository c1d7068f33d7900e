"""What the data shows to be there: the facts a report element needs before it may say anything.

A sentence, chart or table of a section declares the facts it needs (``retro.context.shows``); a fact is read
off the staged data by one profile query per table (``retro.staging.profile``) and kept beside the marts
(``marts/profile.json``). When a fact does not hold, the element is left out and the page says once, in the
report's language, which data would enable it. A fact is never guessed: "no late deliveries" needs at least
one order with a delivery promise, a peak hour needs times of day, a launch claim needs launch dates.

Kinds: ``known``: the column has a value on at least one row; ``timed``: a timestamp column has a time of day
other than midnight on at least one row (not date-only data); ``minutes``: it has minutes or seconds on at
least one row (not hour-resolution data).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fact:
    """One fact about the staged data, and what a reader is told when it does not hold."""

    key: str
    table: str
    column: str
    kind: str  # known | timed | minutes
    en: str  # the data that would enable what needs it, in the reader's words (no column or key names)
    zh: str

    @property
    def where(self) -> str:
        """The canonical column, for the CLI and the appendix's "how to change this" line."""
        return f"{self.table}.{self.column}"


_COSTS = (
    "unit costs",
    "商品成本",
)

FACTS: dict[str, Fact] = {
    f.key: f
    for f in (
        Fact(
            "order_times",
            "orders",
            "order_time",
            "timed",
            "order times with hours and minutes, not only dates",
            "精确到时分的下单时间，而非仅有日期",
        ),
        Fact(
            "presale_flag",
            "orders",
            "is_presale",
            "known",
            "a presale flag per order",
            "订单的预售标记",
        ),
        Fact(
            "order_freight",
            "orders",
            "freight",
            "known",
            "the freight charged per order",
            "每笔订单的运费",
        ),
        Fact(
            "order_city_tier",
            "orders",
            "city_tier",
            "known",
            "the buyer's city tier",
            "买家城市等级",
        ),
        Fact(
            "user_city_tier",
            "users",
            "city_tier",
            "known",
            "customers' city tiers",
            "客户城市等级",
        ),
        Fact(
            "order_province",
            "orders",
            "province",
            "known",
            "the buyer's province or region",
            "买家省份或地区",
        ),
        Fact(
            "member_flag",
            "users",
            "is_member",
            "known",
            "a membership flag per customer",
            "客户的会员标识",
        ),
        Fact(
            "launch_dates",
            "products",
            "launch_date",
            "known",
            "product launch dates",
            "商品上市日期",
        ),
        Fact("item_costs", "order_items", "unit_cost", "known", *_COSTS),
        Fact("product_costs", "products", "unit_cost", "known", *_COSTS),
        Fact(
            "delivery_promise",
            "shipments",
            "promised_hours",
            "known",
            "a promised delivery time for the orders",
            "订单的承诺送达时效",
        ),
        Fact(
            "delivery_promise_date",
            "shipments",
            "promised_time",
            "known",
            "a promised delivery date for the orders",
            "订单的承诺送达日期",
        ),
        Fact(
            "delivered_times",
            "shipments",
            "delivered_time",
            "known",
            "delivery times",
            "签收时间",
        ),
        Fact(
            "ship_region",
            "shipments",
            "region",
            "known",
            "the delivery region",
            "收货地区",
        ),
        Fact(
            "event_minutes",
            "events",
            "event_time",
            "minutes",
            "event times to the minute, not only the hour",
            "精确到分钟的行为时间，而非仅到小时",
        ),
        Fact(
            "dwell_seconds",
            "events",
            "dwell_seconds",
            "known",
            "dwell times",
            "停留时长",
        ),
    )
}


# Figures that mean something only when a need holds (a fact, or "table:<name>"): without it they are neither
# recorded nor shown (a "late delivery rate" of orders with no promise, a "peak hour" of date-only data, a margin
# with no costs, a visitor conversion with no behaviour log).
FIGURE_NEEDS: dict[str, tuple[str, ...]] = {
    "peak_hour_share": ("order_times",),
    "presale_share": ("presale_flag",),
    "lower_tier_share": ("order_city_tier|user_city_tier",),
    "gross_profit": ("item_costs|product_costs",),
    "gross_margin": ("item_costs|product_costs",),
    "late_delivery_rate": ("delivery_promise|delivery_promise_date", "delivered_times"),
    "avg_delivery_hours": ("delivered_times",),
    "avg_dwell_seconds": ("dwell_seconds",),
    "new_visitor_cvr": ("table:events",),
    "returning_visitor_cvr": ("table:events",),
    "member_repurchase_rate": ("member_flag",),
    "nonmember_repurchase_rate": ("member_flag",),
    "stockout_skus": ("table:inventory",),
    "lost_sales_estimate": ("table:inventory",),
    "replenishment_lag_hours": ("table:inventory",),
    "sell_through": ("table:inventory",),
}


def columns_to_profile() -> dict[str, dict[str, set[str]]]:
    """For each table, the columns a fact reads and the kinds asked of each."""
    out: dict[str, dict[str, set[str]]] = {}
    for f in FACTS.values():
        out.setdefault(f.table, {}).setdefault(f.column, set()).add(f.kind)
    return out


def holds(fact: Fact, profile: dict) -> bool:
    """Whether a fact holds in a profile ({table: {column: {kind: rows}}}); False when it was not profiled."""
    return bool((profile.get(fact.table) or {}).get(fact.column, {}).get(fact.kind))
