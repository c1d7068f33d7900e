"""The canonical tables the kit reads: names, columns, types and meaning.

Every source (demo generator, CSV, Excel, Parquet, SQL) is mapped onto these names before any mart is
built, so mart code never sees a user's own column names. Times are naive local time in the campaign's
time zone; amounts are in the campaign currency's main unit (yuan, dollars), never in fen or cents.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One canonical column: its name, logical type and whether a source must provide it."""

    name: str
    type: str  # string | int | float | bool | timestamp | date
    required: bool = True
    doc: str = ""
    nullable: bool = False  # a required column that may be empty on a row (a guest order's user id)
    kit: bool = False  # set by the kit while staging, never read from a source (demo data has none)


@dataclass(frozen=True)
class Table:
    """One canonical table and the sections that cannot run without it."""

    name: str
    columns: tuple[Column, ...]
    doc: str = ""
    key: tuple[str, ...] = ()
    sections: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def source_columns(self) -> list[Column]:
        """The columns a source can give (not those the kit sets while staging)."""
        return [c for c in self.columns if not c.kit]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


# pending: placed and not (yet) paid (created, 待付款): in GMV, never in net sales, not a cancellation
ORDER_STATUSES = ("paid", "cancelled", "refunded", "pending")
EVENT_TYPES = ("view", "cart", "order", "pay")
SERVICE_TYPES = ("consult", "complaint", "return")

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "orders",
            (
                Column("order_id", "string", doc="unique order id"),
                Column("user_id", "string", doc="buyer id; empty for a guest checkout", nullable=True),
                Column("order_time", "timestamp", doc="when the order was placed (for presale: the deposit)"),
                Column("pay_time", "timestamp", required=False, doc="when it was fully paid; null if never"),
                Column("status", "string", doc="paid | cancelled | refunded | pending (placed, not yet paid)"),
                Column("channel", "string", doc="traffic channel the order came through"),
                Column("list_amount", "float", required=False, doc="value at list prices"),
                Column("discount_amount", "float", required=False, doc="discounts and coupons"),
                Column("paid_amount", "float", doc="amount the buyer paid (or would have paid)"),
                Column("freight", "float", required=False, doc="shipping fee charged to the buyer, within paid_amount"),
                Column("is_presale", "bool", required=False, doc="presale (deposit + balance) order"),
                Column("province", "string", required=False),
                Column("city_tier", "string", required=False, doc="tier1 | tier2 | tier3 | tier4+"),
                Column("coupon_id", "string", required=False, doc="coupon redeemed on this order, if any"),
            ),
            doc="One row per order, including orders before and after the campaign (history, retention).",
            key=("order_id",),
            sections=("goals", "sales", "funnel", "users", "marketing", "fulfilment", "summary"),
        ),
        Table(
            "order_items",
            (
                Column("order_id", "string"),
                Column("sku", "string"),
                Column("quantity", "int"),
                Column("unit_price", "float", doc="list price per unit"),
                Column("paid_amount", "float", doc="this line's share of the order's paid amount"),
                Column("unit_cost", "float", required=False, doc="cost of goods per unit"),
            ),
            doc="Order lines; paid_amount over an order's lines adds up to the order's paid_amount.",
            sections=("sales",),
        ),
        Table(
            "products",
            (
                Column("sku", "string"),
                Column("name", "string", required=False),
                Column("category", "string"),
                Column("brand", "string", required=False),
                Column("launch_date", "date", required=False),
                Column("list_price", "float", required=False),
                Column("unit_cost", "float", required=False),
                Column("is_merchandise", "bool", required=False, doc="false for postage, fees, adjustments"),
            ),
            key=("sku",),
            sections=("sales",),
        ),
        Table(
            "events",
            (
                Column("visitor_id", "string", doc="device or cookie id; equals user_id once logged in"),
                Column("user_id", "string", required=False),
                Column("event_time", "timestamp"),
                Column("channel", "string"),
                Column("event_type", "string", doc="view | cart | order | pay"),
                Column("sku", "string", required=False),
                Column("session_id", "string", required=False, doc="derived (30 min rule) when absent"),
                Column("dwell_seconds", "float", required=False),
                Column(
                    "is_derived",
                    "bool",
                    required=False,
                    kit=True,
                    doc="true for a row the kit added (an order step copied from a pay event): never behaviour",
                ),
            ),
            doc="Behaviour log over the baseline period and the campaign.",
            sections=("traffic", "funnel"),
        ),
        Table(
            "marketing",
            (
                Column("date", "date"),
                Column("channel", "string"),
                Column("placement", "string", required=False, doc="placement, campaign or KOL name"),
                Column("is_kol", "bool", required=False),
                Column("spend", "float"),
                Column("impressions", "int", required=False),
                Column("clicks", "int", required=False),
                Column("attributed_orders", "int", required=False),
                Column("attributed_revenue", "float", required=False),
            ),
            sections=("marketing",),
        ),
        Table(
            "coupons",
            (
                Column("coupon_id", "string"),
                Column("coupon_type", "string", required=False, doc="e.g. spend-and-save, shop, platform"),
                Column("face_value", "float"),
                Column("issued", "int"),
                Column("redeemed", "int", required=False, doc="if absent: counted from orders.coupon_id"),
            ),
            key=("coupon_id",),
            sections=(),
        ),
        Table(
            "inventory",
            (
                Column("sku", "string"),
                Column("snapshot_time", "timestamp", doc="hourly snapshot: stock after sales paid before this time"),
                Column("stock_on_hand", "int"),
                Column("replenished", "int", required=False, doc="units received in the hour before"),
            ),
            sections=(),
        ),
        Table(
            "shipments",
            (
                Column("order_id", "string"),
                Column("shipped_time", "timestamp", required=False),
                Column("delivered_time", "timestamp", required=False),
                Column("carrier", "string", required=False),
                Column("region", "string", required=False),
                Column("promised_hours", "float", required=False, doc="promised delivery, hours from payment"),
                Column(
                    "promised_time",
                    "timestamp",
                    required=False,
                    doc="promised delivery date or time (an estimated delivery date): a date alone means by its end",
                ),
            ),
            key=("order_id",),
            sections=("fulfilment",),
        ),
        Table(
            "service",
            (
                Column("ticket_id", "string"),
                Column("order_id", "string", required=False),
                Column("created_time", "timestamp"),
                Column("first_response_seconds", "float", required=False),
                Column("resolved_time", "timestamp", required=False),
                Column("ticket_type", "string", doc="consult | complaint | return"),
                Column("reason", "string", required=False),
                Column("satisfaction", "float", required=False, doc="star rating 1-5 (CSAT)"),
            ),
            key=("ticket_id",),
            sections=("service",),
        ),
        Table(
            "nps",
            (
                Column("respondent_id", "string"),
                Column("survey_time", "timestamp"),
                Column("score", "int", doc="0-10"),
            ),
            sections=(),
        ),
        Table(
            "users",
            (
                Column("user_id", "string"),
                Column("registered_at", "timestamp", required=False),
                Column("is_member", "bool", required=False),
                Column("city_tier", "string", required=False),
                Column("province", "string", required=False),
            ),
            key=("user_id",),
            sections=(),
        ),
    )
}


# Tables a source may provide that the marts do not read directly: the kit derives canonical tables from them.
INPUT_TABLES: dict[str, Table] = {
    "order_lines": Table(
        "order_lines",
        (
            Column("order_id", "string", doc="order or invoice number"),
            Column("user_id", "string", required=False, doc="customer id (lines without one stay anonymous)"),
            Column("order_time", "timestamp"),
            Column("sku", "string"),
            Column("quantity", "int", doc="negative for returns or cancellations in some exports"),
            Column("unit_price", "float", required=False),
            Column("paid_amount", "float", required=False, doc="line amount; quantity x unit_price if absent"),
            Column("unit_cost", "float", required=False),
            Column("profit", "float", required=False, doc="line profit; gives unit cost when unit_cost is absent"),
            Column(
                "discount_rate",
                "float",
                required=False,
                doc="share of the list price taken off (0.2 = 20 %); gives list amounts when unit_price is absent",
            ),
            Column("name", "string", required=False),
            Column("category", "string", required=False),
            Column("brand", "string", required=False),
            Column("status", "string", required=False, doc="paid | cancelled | refunded, or from status_rule"),
            Column("channel", "string", required=False),
            Column("province", "string", required=False, doc="province, state, country or region"),
            Column("city_tier", "string", required=False),
            Column("pay_time", "timestamp", required=False),
            Column("shipped_time", "timestamp", required=False),
            Column("delivered_time", "timestamp", required=False),
            Column("carrier", "string", required=False, doc="carrier or ship mode"),
            Column("region", "string", required=False),
            Column("is_merchandise", "bool", required=False),
        ),
        doc="One row per order line with the order's fields repeated (Online Retail, Superstore exports); "
        "orders, order_items, products, users and shipments are derived from it.",
    ),
}
