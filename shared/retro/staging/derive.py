"""Canonical tables the data implies but does not give directly; each derivation is listed in the appendix.

From an order-line export (``order_lines``: Online Retail, Superstore) the kit derives ``orders``,
``order_items``, ``products``, ``users`` and, when a ship date is mapped, ``shipments`` (each only when the
YAML does not give that table itself):

- a line's amount is its ``paid_amount``, else quantity x unit_price; an order's paid_amount is the sum of
  its lines; its list amount is quantity x unit_price, or paid_amount / (1 - discount_rate) (Superstore),
  unknown (empty) when neither is given;
- order fields (time, pay time, channel, province, ...) are taken per order (earliest time, one value of the
  others); without ``pay_time`` an order that is not cancelled counts as paid when placed;
- status: the ``status`` column (an order is paid when any line is paid, else refunded when any line is,
  else cancelled; paid when there is no status), overridden by ``status_rule``:
  ``invoice_prefix``: an invoice whose number starts with ``cancel_prefix`` ("C" in Online Retail) is a
  cancellation; ``negative_quantity``: an order whose lines all have negative quantities is. Under either
  rule an order whose lines are all negative is a cancellation.
  Such a cancellation document (a credit note) reverses an earlier invoice that the export does not
  identify, so it is left out of orders and order lines: counting it as an order of its own would count
  its value in GMV a second time. The invoice it reverses stays paid, so net sales may be overstated by up
  to the credit notes' value, which the data-quality appendix states. Negative lines inside an order that
  is not a cancellation (returns, adjustments) are kept and net against that order;
- lines without a customer id stay anonymous: their orders count in sales, not as anyone's purchase;
- products: one row per SKU with its name, category ("(unknown)" when not given) and brand, the highest unit
  price as list price, and the unit cost (``unit_cost``, else (amount - profit) / quantity, weighted by
  units). SKUs listed in ``non_merchandise`` (default ``NON_MERCHANDISE_SKUS``: Online Retail's postage,
  manual, discount, fee and bank-charge codes) are flagged ``is_merchandise = false`` unless an
  ``is_merchandise`` column says so;
- users: one row per customer with the province and city tier of their first order (no membership or
  registration data: those stay empty);
- shipments: per order the earliest ship time, latest delivery time, carrier (ship mode) and region;
  the promised delivery time is unknown.

From an event log: sessions by the inactivity rule when the log has no session ids at all (a visitor's
next event more than ``settings.session_gap_minutes`` after the previous one starts a new session; ids are
``~<visitor>|<n>``; a log with some ids keeps the mart's visitor-day rule for the rest), and an 'order'
step at the time of each 'pay' event when the log has no 'order' events at all (Taobao's buy).
"""

from __future__ import annotations

import ibis

from ..i18n import UNKNOWN
from ..params import CampaignParams, TableSource
from ..quality import Problem
from .engines import materialize
from .exprs import first_by, last_by, ts
from .plan import derivable, lines_source, source_label

NON_MERCHANDISE_SKUS = (
    "POST",  # postage
    "DOT",  # dotcom postage
    "C2",  # carriage
    "M",  # manual adjustment
    "D",  # discount
    "S",  # samples
    "B",  # adjust bad debt
    "CRUK",  # charity commission
    "BANK CHARGES",
    "AMAZONFEE",
)
UNKNOWN_CATEGORY = UNKNOWN  # the sales marts' label for SKUs without a category
_STATUS_RANK = ("paid", "refunded", "cancelled", "pending")  # an order takes the first status any of its lines has


def derive_tables(con, tables: dict, params: CampaignParams) -> tuple[dict, list[Problem]]:
    """Add derived canonical tables to ``tables`` (order_lines is replaced by what it implies).

    Returns (tables, problems); every derivation is reported as a soft problem with code 'derived'.
    """
    tables = dict(tables)
    problems: list[Problem] = []
    lines = tables.pop("order_lines", None)
    if lines is not None:
        wanted = derivable(set(tables) | {"order_lines"}, params)
        derived, found = derive_from_lines(con, lines, lines_source(params) or TableSource(path="-"), params, wanted)
        tables.update(derived)
        problems.extend(found)
    if "orders" in tables and "users" not in tables:
        tables["users"], found = users_from_orders(con, tables["orders"])
        problems.extend(found)
    if "events" in tables:
        tables["events"], found = derive_events(con, tables["events"], params)
        problems.extend(found)
    return tables, problems


def _first_order_users(orders):
    """One row per named customer: province and city tier of their first order (ties broken by order id)."""
    named = orders.filter(orders.user_id.notnull())
    return named.group_by("user_id").aggregate(
        registered_at=ibis.null("timestamp"),
        is_member=ibis.null("boolean"),
        city_tier=first_by(named.city_tier, named.order_time, named.order_id),
        province=first_by(named.province, named.order_time, named.order_id),
    )


def users_from_orders(con, orders) -> tuple:
    """One row per customer from their first order (province, city tier); membership and registration unknown."""
    table = materialize(con, "users", _first_order_users(orders))
    n = int(table.count().execute())
    what = "derived from first orders, one row per customer (no membership or registration data)"
    return table, [_derived("users", what, n, "orders", msg="derived_users")]


def _derived(
    table: str,
    what: str,
    rows: int | None,
    label: str,
    column: str | None = None,
    fix: str = "",
    msg: str = "",
    **args,
) -> Problem:
    """A soft note on what staging derived; ``msg`` and ``args`` let the appendix say it in the report's language."""
    return Problem(
        table, column, what, rows=rows, fix=fix, hard=False, source=label, code="derived", msg=msg, args=args
    )


def _money(x) -> str:
    return f"{x:,.2f}" if x is not None else "0.00"


# --- order lines ----------------------------------------------------------------------------------------------
def _line_facts(lines):
    """Per line: amount, list value, unit price and unit cost where they can be known, and a status rank."""
    qty = lines.quantity.cast("float64")
    amount = lines.paid_amount.coalesce(qty * lines.unit_price)
    discount = lines.discount_rate
    from_discount = ibis.ifelse((discount < 1).fill_null(False), amount / (1 - discount.fill_null(0)), ibis.null())
    list_value = (qty * lines.unit_price).coalesce(from_discount)  # unknown without a price or a discount
    nonzero = qty.nullif(0)
    return lines.mutate(
        _amount=amount,
        _list=list_value,
        _unit_price=lines.unit_price.coalesce(list_value / nonzero, amount / nonzero),
        _unit_cost=lines.unit_cost.coalesce((amount - lines.profit) / nonzero),
        _rank=ibis.cases(*((lines.status == s, i) for i, s in enumerate(_STATUS_RANK)), else_=ibis.null("int64")),
    )


def _order_status(g, src: TableSource):
    """An order's status from its lines' status column, overridden by the YAML's status_rule."""
    from_column = ibis.cases(*((g._rank == i, s) for i, s in enumerate(_STATUS_RANK)), else_="paid")
    if src.status_rule == "column":
        return from_column
    cancelled = g._max_qty < 0
    if src.status_rule == "invoice_prefix":
        cancelled = cancelled | g.order_id.startswith(src.cancel_prefix)
    return ibis.ifelse(cancelled, "cancelled", from_column)


def _orders(facts, src: TableSource):
    """One row per order with the canonical order columns and the counts the messages quote."""
    g = facts.group_by("order_id").aggregate(
        user_id=facts.user_id.max(),
        order_time=facts.order_time.min(),
        pay_time=facts.pay_time.min(),
        channel=facts.channel.max(),
        province=facts.province.max(),
        city_tier=facts.city_tier.max(),
        _rank=facts._rank.min(),
        _max_qty=facts.quantity.max(),
        _negative_lines=facts.count(where=facts.quantity < 0),
        _lines=facts.count(),
        _amount=facts._amount.sum(),
        _unknown_amount=facts.count(where=facts._amount.isnull()),
        _list=facts._list.sum(),
        _unknown_list=facts.count(where=facts._list.isnull()),
    )
    g = g.mutate(status=_order_status(g, src))
    cancelled = g.status == "cancelled"
    # a credit note found by the status rule (not by a status column) reverses another invoice: left out
    g = g.mutate(_reversal=cancelled & ibis.literal(src.status_rule != "column"))
    g = g.mutate(
        paid_amount=ibis.ifelse(cancelled, g._amount.abs(), g._amount),
        list_amount=ibis.ifelse(g._unknown_list == 0, ibis.ifelse(cancelled, g._list.abs(), g._list), ibis.null()),
        pay_time=g.pay_time.coalesce(ibis.ifelse(cancelled, ibis.null("timestamp"), g.order_time)),
        channel=g.channel.fill_null(UNKNOWN),
    )
    return g.mutate(
        discount_amount=g.list_amount - g.paid_amount,
        is_presale=ibis.literal(False),
        coupon_id=ibis.null("string"),
        freight=ibis.null("float64"),
    )


def derive_from_lines(con, lines, src: TableSource, params: CampaignParams, wanted: set[str]):
    """Orders, items, products, users and shipments from an order-line table; returns (tables, problems)."""
    from ..schema import TABLES

    label = source_label(src)
    problems: list[Problem] = []
    facts = _line_facts(lines)
    staged = materialize(con, "__derived_order_facts", _orders(facts, src))
    out: dict = {}
    stats = _order_stats(con, staged, facts, params)
    if stats["orders"] and stats["no_amount"] == stats["lines"]:
        problems.append(
            Problem(
                "order_lines",
                "paid_amount",
                "no line has an amount: neither paid_amount nor quantity x unit_price is given",
                rows=int(stats["lines"]),
                fix="map paid_amount or unit_price under data.tables.order_lines.columns",
                source=label,
                code="missing_column",
            )
        )
        return out, problems
    kept = staged.filter(~staged._reversal)
    if "orders" in wanted:
        orders = kept.select(*TABLES["orders"].column_names)
        out["orders"] = materialize(con, "orders", orders)
        problems.extend(_order_problems(src, stats, label))
    if "order_items" in wanted:
        out["order_items"] = materialize(con, "order_items", _items(facts, kept))
    if "products" in wanted:
        products, found = _products(con, facts, src, label)
        out["products"] = products
        problems.extend(found)
    if "users" in wanted:
        out["users"] = materialize(con, "users", _first_order_users(kept))
        n = out["users"].count().execute()
        what = "derived from first orders, one row per customer (no membership or registration data)"
        problems.append(_derived("users", what, int(n), label, msg="derived_users"))
    if "shipments" in wanted:
        has = facts.filter(facts.shipped_time.notnull() | facts.delivered_time.notnull())
        ship = has.group_by("order_id").aggregate(
            shipped_time=has.shipped_time.min(),
            delivered_time=has.delivered_time.max(),
            carrier=has.carrier.max(),
            region=has.region.max(),
            promised_hours=ibis.null("float64"),
            promised_time=ibis.null("timestamp"),
        )
        out["shipments"] = materialize(con, "shipments", ship)
        n = out["shipments"].count().execute()
        what = "derived from order_lines' ship dates, one row per order (no promised delivery time: lateness unknown)"
        problems.append(_derived("shipments", what, int(n), label, msg="derived_shipments"))
    return out, problems


def _order_stats(con, o, facts, params: CampaignParams) -> dict:
    """Counts the derivation messages quote."""
    cancelled = o.status == "cancelled"
    a = o.aggregate(
        orders=o.count(),
        cancelled=o.count(where=cancelled),
        cancelled_value=o.paid_amount.sum(where=cancelled),
        # a credit note dated before the campaign cannot reverse one of its invoices; one dated later can
        cancelled_from_start=o.paid_amount.sum(where=cancelled & (o.order_time >= ts(params.start))),
        anonymous=o.count(where=o.user_id.isnull()),
        anonymous_value=o.paid_amount.sum(where=o.user_id.isnull()),
        negative_kept=o._negative_lines.sum(where=~cancelled),
        no_pay_time=o.count(where=o.pay_time.isnull() & ~cancelled),
        unknown_channel=o.count(where=o.channel == UNKNOWN),
        lines=o._lines.sum(),
        no_amount=o._unknown_amount.sum(),
    ).execute()
    row = a.iloc[0].to_dict()
    has_pay = facts.aggregate(n=facts.pay_time.count()).execute().iloc[0]["n"]
    row["pay_time_given"] = bool(has_pay)
    return {k: (None if v != v else v) for k, v in row.items()}  # NaN -> None


def _order_problems(src: TableSource, s: dict, label: str) -> list[Problem]:
    reversals = int(s["cancelled"] or 0) if src.status_rule != "column" else 0
    what = f"derived from order_lines ({int(s['lines'] or 0)} lines), one row per order"
    out = [
        _derived("orders", what, int(s["orders"]) - reversals, label, msg="derived_orders", lines=int(s["lines"] or 0))
    ]
    if s["cancelled"]:
        rule = {
            "invoice_prefix": f"invoices starting {src.cancel_prefix!r} or with only negative quantities",
            "negative_quantity": "orders whose quantities are all negative",
            "column": "status column",
        }[src.status_rule]
        if src.status_rule == "column":
            what = f"cancelled orders ({rule}) worth {_money(s['cancelled_value'])}"
        else:
            what = (
                f"credit notes ({rule}) worth {_money(s['cancelled_value'])} reverse invoices the export does not "
                "identify: left out of orders; the invoices they reverse stay paid, so the campaign's net sales "
                f"may be overstated by up to {_money(s['cancelled_from_start'])} (the credit notes dated from its "
                "first day on)"
            )
        code = "cancelled_orders" if src.status_rule == "column" else "credit_notes"
        msg = code if src.status_rule != "negative_quantity" else "credit_notes_negative"
        args = {
            "prefix": src.cancel_prefix,
            "value": _money(s["cancelled_value"]),
            "from_start": _money(s["cancelled_from_start"]),
        }
        out.append(
            Problem(
                "orders",
                "status",
                what,
                rows=int(s["cancelled"]),
                hard=False,
                source=label,
                code=code,
                msg=msg,
                args=args,
            )
        )
    if s["negative_kept"]:
        out.append(
            _derived(
                "order_items",
                "lines with a negative quantity in orders that are not cancellations, kept and netted",
                int(s["negative_kept"]),
                label,
                "quantity",
                msg="negative_lines",
            )
        )
    if s["anonymous"]:
        out.append(
            _derived(
                "orders",
                f"orders without a customer id (worth {_money(s['anonymous_value'])}) count in sales, not as any "
                "buyer's purchase",
                int(s["anonymous"]),
                label,
                "user_id",
                msg="guest_orders",
                value=_money(s["anonymous_value"]),
            )
        )
    if not s["pay_time_given"]:
        out.append(
            _derived(
                "orders",
                "no pay time in the data: orders that are not cancelled count as paid when placed",
                None,
                label,
                "pay_time",
                fix="map pay_time under data.tables.order_lines.columns if the export has it",
                msg="no_pay_time",
            )
        )
    if s["unknown_channel"]:
        out.append(
            _derived(
                "orders",
                "no channel: orders are in channel '(unknown)'",
                int(s["unknown_channel"]),
                label,
                "channel",
                fix="give data.tables.order_lines.defaults.channel (e.g. online) or map channel",
                msg="no_channel",
            )
        )
    return out


def _items(facts, orders):
    """Order lines; those of cancelled orders with positive quantities and amounts."""
    status = orders.select("order_id", _status=orders.status)
    j = facts.inner_join(status, "order_id")
    cancelled = j._status == "cancelled"
    return j.select(
        order_id=j.order_id,
        sku=j.sku,
        quantity=ibis.ifelse(cancelled, j.quantity.abs(), j.quantity).cast("int64"),
        unit_price=j._unit_price.abs(),
        paid_amount=ibis.ifelse(cancelled, j._amount.abs(), j._amount),
        unit_cost=j._unit_cost,
    )


def _product_names(facts):
    """Each SKU's name: its most frequent description, ties to the one seen last (then the larger text).

    Exports carry several descriptions per SKU (stock notes such as "damaged" or "?" beside the real name);
    the one most lines use is the product's name, not the alphabetically last.
    """
    named = facts.filter(facts.name.notnull() & (facts.name.strip() != ""))
    counts = named.group_by(["sku", "name"]).aggregate(_n=named.count(), _last=named.order_time.max())
    return counts.group_by("sku").aggregate(name=last_by(counts.name, counts._n, counts._last, counts.name))


def _products(con, facts, src: TableSource, label: str):
    """One row per SKU, with non-merchandise SKUs flagged; returns (table, problems)."""
    skip = [s.upper() for s in (src.non_merchandise if src.non_merchandise is not None else NON_MERCHANDISE_SKUS)]
    units = facts.quantity.abs().cast("float64")
    costed = facts._unit_cost.notnull() & (units > 0)
    listed = facts.is_merchandise.min()
    g = facts.group_by("sku").aggregate(
        category=facts.category.max(),
        brand=facts.brand.max(),
        list_price=facts._unit_price.abs().max(),
        _cost=(facts._unit_cost * units).sum(where=costed),
        _units=units.sum(where=costed),
        _listed=listed,
    )
    g = g.left_join(_product_names(facts), "sku").drop("sku_right")
    by_list = ~g.sku.upper().strip().isin(skip) if skip else ibis.literal(True)
    p = g.select(
        "sku",
        "name",
        "brand",
        category=g.category.fill_null(UNKNOWN_CATEGORY),
        launch_date=ibis.null("date"),
        list_price=g.list_price,
        unit_cost=g._cost / g._units.nullif(0),
        is_merchandise=g._listed.coalesce(by_list),
    )
    table = materialize(con, "products", p)
    s = table.aggregate(
        n=table.count(),
        excluded=table.count(where=~table.is_merchandise),
        no_category=table.count(where=table.category == UNKNOWN_CATEGORY),
        costed=table.count(where=table.unit_cost.notnull()),
    ).execute()
    s = s.iloc[0]
    problems = [
        _derived("products", "derived from order_lines, one row per SKU", int(s["n"]), label, msg="derived_products")
    ]
    if s["excluded"]:
        examples = table.filter(~table.is_merchandise).order_by("sku").limit(3).sku.execute().tolist()
        p = _derived(
            "products",
            "non-merchandise SKUs (postage, fees, adjustments) left out of product rankings",
            int(s["excluded"]),
            label,
            "is_merchandise",
            fix="list the SKUs under data.tables.order_lines.non_merchandise",
            msg="non_merchandise",
        )
        p.examples = examples
        problems.append(p)
    if s["no_category"]:
        problems.append(
            _derived(
                "products",
                f"no category: those SKUs are in {UNKNOWN_CATEGORY!r}",
                int(s["no_category"]),
                label,
                "category",
                fix="map category under data.tables.order_lines.columns, or give products as a table",
                msg="no_category",
            )
        )
    return table, problems


# --- events ---------------------------------------------------------------------------------------------------
def derive_events(con, events, params: CampaignParams):
    """Sessions for a log without session ids; an 'order' step for a log whose purchases are only 'pay'."""
    problems: list[Problem] = []
    label = ""
    src = params.data.tables.get("events")
    if src is not None:
        label = source_label(src)
    e = events
    # whether the log needs either: a row that says no stops the scan early, as nearly every log has both
    no_sessions = _any(e) and not _any(e, e.session_id.notnull())
    only_pays = _any(e, e.event_type == "pay") and not _any(e, e.event_type == "order")
    if not (no_sessions or only_pays):
        return events, problems
    counts = {"n": e.count(), "pays": e.count(where=e.event_type == "pay")}
    if no_sessions:  # hours only: sessions by the inactivity rule are approximate (said below)
        counts["minutes"] = e.count(where=(e.event_time.minute() != 0) | (e.event_time.second() != 0))
    s = e.aggregate(**counts).execute().iloc[0]
    out = events
    if no_sessions:
        out = sessionize(out, params.settings.session_gap_minutes)
    if only_pays:
        pays = out.filter(out.event_type == "pay").mutate(event_type=ibis.literal("order"), is_derived=True)
        out = out.union(pays.select(out.columns))
        problems.append(
            _derived(
                "events",
                "the log has 'pay' events but no 'order' events: an 'order' step was added at the time of each "
                "'pay' event, so the funnel's order and pay steps are equal",
                int(s["pays"]),
                label,
                "event_type",
                msg="derived_order_step",
            )
        )
    table = materialize(con, "__derived_events", out)
    if no_sessions:
        n = table.session_id.nunique().execute()
        problems.insert(
            0,
            _derived(
                "events",
                f"no session ids: {int(n)} sessions derived by the {params.settings.session_gap_minutes}-minute "
                "inactivity rule (settings.session_gap_minutes) from the events",
                int(s["n"]),
                label,
                "session_id",
                msg="derived_sessions",
                sessions=int(n),
                gap=params.settings.session_gap_minutes,
            ),
        )
        if not s["minutes"]:
            problems.insert(
                1,
                Problem(
                    "events",
                    "event_time",
                    "times are to the hour only: each visitor-hour of activity became one session, so "
                    "sessions, bounce rate and session depth are approximate (the traffic page says so)",
                    rows=int(s["n"]),
                    fix="export the times to the minute or second if the source has them, or give session ids",
                    hard=False,
                    source=label,
                    code="hour_resolution",
                ),
            )
    return table, problems


def _any(table, where=None) -> bool:
    """Whether a row (where ``where`` holds) exists: the engine stops at the first."""
    rows = table if where is None else table.filter(where)
    return bool(rows.limit(1).count().execute())


RULE_SESSION_PREFIX = "~"  # the session ids ``sessionize`` makes start with it (a source's never do)


def sessionize(events, gap_minutes: int):
    """Session ids by the inactivity rule, ``~<visitor>|<n>`` (n from 1 in time order); rows with an id keep it.

    A visitor's event more than ``gap_minutes`` after their previous one starts a new session.
    """
    e = events
    prev = e.event_time.lag().over(ibis.window(group_by=e.visitor_id, order_by=e.event_time))
    gap = e.event_time.epoch_seconds() - prev.epoch_seconds()
    e = e.mutate(_new=(prev.isnull() | (gap > gap_minutes * 60)).cast("int64"))
    # RANGE frame: events at the same instant share a session whatever their order
    w = ibis.window(group_by=e.visitor_id, order_by=e.event_time.epoch_seconds(), range=(None, 0))
    e = e.mutate(_n=e._new.sum().over(w))
    derived = ibis.literal(RULE_SESSION_PREFIX) + e.visitor_id + "|" + e._n.cast("string")
    return e.mutate(session_id=e.session_id.coalesce(derived)).select(events.columns)
