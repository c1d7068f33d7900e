"""Checks over the staged canonical tables: emptiness, keys, amounts, orphans, window coverage.

Staging runs them once the tables are mapped and derived (``stage_tables``). Each problem is one line naming
the table and column, with row counts and examples; ``retro check`` prints them, ``retro run`` stops on hard
ones (exit 2) before writing anything under outputs/.

What is hard and what is soft, and why:

- hard: a problem that would make a figure silently wrong or empty: a table a section needs with no rows, a
  required column with no value at all, duplicate or empty keys (every join would count the copies again:
  duplicate order ids double-count GMV).
- soft: rows the figures leave out or count with a caveat, listed in the report's data-quality appendix:
  order lines without an order (left out of rankings), rows after the last day any figure reads, a campaign,
  phase or baseline without rows (its figures read 0 or n/a, which the sections show as such), negative or
  implausibly large amounts, no marketing spend (ROI reads n/a).

Negative amounts are counted as given, not dropped: the kit cannot tell a refund reversal from an export
error, and dropping rows would make totals disagree with the analyst's own back end without saying why. Rows
before the campaign are history (new-customer look-back, first-seen visitors, RFM), so only rows no figure
reads are reported as ignored.
"""

from __future__ import annotations

from datetime import date, timedelta

from ..params import CampaignParams
from ..quality import Problem
from ..registry import SECTIONS
from ..schema import TABLES
from .plan import TablePlan

AMOUNT_LIMIT = 1e7  # one order (or order line) above this, in the main currency unit, is implausible
EXAMPLES = 3

# Amount columns that cannot be negative, and those checked against AMOUNT_LIMIT.
NON_NEGATIVE = {
    "orders": ("paid_amount",),
    "order_items": ("paid_amount", "quantity"),
    "marketing": ("spend",),
}
LARGE = {"orders": ("paid_amount",), "order_items": ("paid_amount",)}

# The time column that places a table's rows in the campaign's phases.
TIME_COLUMNS = {"orders": "order_time", "events": "event_time", "marketing": "date", "service": "created_time"}
# Tables whose baseline the report compares against (an empty baseline makes those comparisons n/a).
BASELINE_TABLES = ("orders", "events", "service")

# Soft problem codes whose rows are left out of the report's figures (the appendix totals them per table).
# rows the figures leave out: orphans, rows no figure reads, credit notes of an order-line export
EXCLUDING_CODES = frozenset({"orphan_lines", "orphan_shipments", "ignored_rows", "credit_notes", "deduplicated"})


def is_exclusion(problem: Problem) -> bool:
    """Whether a soft problem's rows are left out of the figures, for the appendix's per-table totals.

    Checks here are known by code; mapping's row drops (empty or unparsable required values, unmapped status
    values) say "rows dropped".
    """
    return (
        not problem.hard and bool(problem.rows) and (problem.code in EXCLUDING_CODES or "rows dropped" in problem.what)
    )


_CONSEQUENCE = {
    "orders": "GMV and order counts would count each copy",
    "products": "order lines would be counted once per copy in category and product sales",
    "shipments": "fulfilment rates would count each copy",
    "users": "membership and tier figures would count each copy",
    "service": "ticket counts would count each copy",
    "coupons": "redemptions would be counted once per copy",
}


# --- checks over the staged tables ----------------------------------------------------------------


def check_tables(
    con, tables: dict, params: CampaignParams, plan: TablePlan | None = None, counted: dict | None = None
) -> list[Problem]:
    """Checks across the staged canonical tables: emptiness, keys, amounts, orphans, window coverage.

    Counts and examples are computed by the engine; one aggregate query per table plus one per problem
    found (its examples). ``counted``: {table: the values of its ``check_aggregates``} already computed in
    another scan of the same rows (the mapping's, for an event log read from its files at each use).
    """
    labels = (plan or TablePlan.of(params)).labels()
    needed = _needed_by(params)
    problems: list[Problem] = []
    usable = {}
    for name in sorted(tables):
        if name not in TABLES:
            continue
        row = (counted or {}).get(name)
        found, ok = _check_one(tables[name], name, params, labels.get(name, ""), needed.get(name, []), row)
        problems.extend(found)
        if ok:
            usable[name] = tables[name]
    problems.extend(_orphans(usable, labels))
    return problems


def _needed_by(params: CampaignParams) -> dict[str, list[str]]:
    """Enabled sections that cannot run without each table."""
    out: dict[str, list[str]] = {}
    for s in params.enabled_sections:
        for t in SECTIONS[s].requires:
            out.setdefault(t, []).append(s)
    return out


def _examples(expr, column: str) -> list:
    """Up to three distinct example values of ``column`` in ``expr``, smallest first (stable output)."""
    col = expr[column]
    rows = expr.filter(col.notnull()).select(col).distinct().order_by(column).limit(EXAMPLES).execute()
    return [_plain(v) for v in rows[column].tolist()]


def _plain(v):
    """A value as the user wrote it: 12.0 -> 12, timestamps without a zero time part."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if hasattr(v, "isoformat") and hasattr(v, "hour"):
        return v.strftime("%Y-%m-%d") if (v.hour, v.minute, v.second) == (0, 0, 0) else v.strftime("%Y-%m-%d %H:%M")
    return v


def _day_range(col, start: date, end_exclusive: date):
    from .exprs import ts

    return (col >= ts(start)) & (col < ts(end_exclusive))


def _read_until(name: str, params: CampaignParams) -> date | None:
    """First day no figure reads for a table's time column (None: the table is read until any time).

    Orders are followed for repurchase and retention after the campaign; other tables end with it.
    """
    if name == "orders":
        from ..metrics import retention_windows

        return params.end_exclusive + timedelta(days=max(retention_windows(params)))
    return params.end_exclusive


def check_aggregates(t, name: str, params: CampaignParams) -> dict:
    """The one aggregate query of a table's checks, as named Ibis reductions over its canonical rows."""
    spec = TABLES[name]
    time_col = TIME_COLUMNS.get(name)
    when = t[time_col].cast("timestamp") if time_col else None
    aggs = {"rows": t.count()}
    for c in spec.required_columns:
        aggs[f"nn_{c}"] = t[c].count()
    for c in NON_NEGATIVE.get(name, ()):
        aggs[f"neg_{c}"] = t.count(where=t[c] < 0)
    for c in LARGE.get(name, ()):
        aggs[f"big_{c}"] = t.count(where=t[c] > AMOUNT_LIMIT)
    if when is not None:
        aggs["first"] = when.min()
        aggs["last"] = when.max()
        aggs["in_campaign"] = t.count(where=_day_range(when, params.start, params.end_exclusive))
        for ph in params.phases:
            aggs[f"phase_{ph.name}"] = t.count(where=_day_range(when, ph.start, ph.end + timedelta(days=1)))
        if params.baseline is not None:
            aggs["baseline"] = t.count(
                where=_day_range(when, params.baseline.start, params.baseline.end + timedelta(days=1))
            )
        until = _read_until(name, params)
        aggs["after"] = t.count(where=when >= _ts(until))
        if name in ("marketing", "service"):
            # read only inside the campaign (and the baseline for service): earlier rows are not history
            start = params.baseline.start if (name == "service" and params.baseline) else params.start
            aggs["before"] = t.count(where=when < _ts(start))
            if name == "service" and params.baseline is not None:
                aggs["between"] = t.count(where=_day_range(when, params.baseline.end + timedelta(days=1), params.start))
    if name == "marketing":
        aggs["campaign_spend"] = t.spend.sum(where=_day_range(when, params.start, params.end_exclusive))
    return aggs


def _check_one(
    t, name: str, params: CampaignParams, label: str, needing: list[str], r: dict | None = None
) -> tuple[list[Problem], bool]:
    """Problems of one staged table; ok is False when it is too broken for cross-table checks.

    ``r``: the values of ``check_aggregates`` when another scan computed them already.
    """
    spec = TABLES[name]
    time_col = TIME_COLUMNS.get(name)
    if r is None:
        r = t.aggregate(**check_aggregates(t, name, params)).execute().iloc[0].to_dict()
    rows = int(r["rows"])
    problems: list[Problem] = []

    def add(column, what, fix, hard, code, n=None, examples=None, msg="", **args):
        problems.append(Problem(name, column, what, n, examples or [], fix, hard, label, code, msg, args))

    if rows == 0:
        if needing:
            add(
                None,
                "no rows",
                "check the export (only a header?); "
                + (f"section {needing[0]} needs" if len(needing) == 1 else f"sections {', '.join(needing)} need")
                + " this table",
                True,
                "empty_table",
            )
        else:
            add(None, "no rows: nothing from this table is counted", "check the export", False, "empty_table")
        return problems, False

    ok = True
    for c in spec.required_columns:
        nn = int(r[f"nn_{c}"])
        if nn == 0:
            ok = False
            add(
                c,
                "every value is empty",
                f"map the source column that holds it under data.tables.{name}.columns, "
                f"or give one value for all rows under data.tables.{name}.defaults",
                True,
                "all_null",
                rows,
            )
        elif c in spec.key and nn < rows:
            ok = False
            add(
                c,
                "empty key",
                f"fill in {c} or remove those rows (blank lines at the end of an export are a common cause)",
                True,
                "null_key",
                rows - nn,
            )
    for key in spec.key:
        if int(r.get(f"nn_{key}", 0)) == 0:
            continue
        found = _duplicates(t, key)
        if found:
            ok = False
            n_keys, n_rows, examples = found
            add(
                key,
                f"{n_keys} value{'s appear' if n_keys != 1 else ' appears'} more than once "
                f"({_CONSEQUENCE.get(name, 'each copy would be counted again')})",
                f"keep one row per {key}: check the export for repeated rows or a join that repeats them; if the "
                f"copies mean nothing, set data.tables.{name}.dedupe (exact, or keep: last, by: a column)",
                True,
                "duplicate_key",
                n_rows,
                examples,
            )

    for c in NON_NEGATIVE.get(name, ()):
        n = int(r[f"neg_{c}"])
        if not n or (c == "quantity" and not label):  # derived from order lines: derive says it (negative_lines)
            continue
        examples = _examples_where(t, c, t[c] < 0)
        if c == "quantity":
            what = "negative quantity, counted as given: units sold, cost of goods and margin net it off"
            fix = "if these lines are returns, drop them and mark their orders refunded"
            add(c, what, fix, False, "negative_amount", n, examples, "negative_quantity")
            continue
        fix = (
            "if these rows are refunds or reversals, drop them and mark the original orders refunded"
            if name != "marketing"
            else "check the export: spend cannot be negative"
        )
        msg = "negative_spend" if name == "marketing" else ""
        add(c, "negative amount, counted as given", fix, False, "negative_amount", n, examples, msg)
    for c in LARGE.get(name, ()):
        n = int(r[f"big_{c}"])
        if n:
            add(
                c,
                f"amount above {AMOUNT_LIMIT:,.0f} per row, counted as given",
                f"check data.tables.{name}.amount_unit (fen or cents?) and which column is mapped to {c}",
                False,
                "large_amount",
                n,
                _examples_where(t, c, t[c] > AMOUNT_LIMIT),
                limit=f"{AMOUNT_LIMIT:,.0f}",
                table=name,
                amount=c,
            )

    if time_col is not None and int(r[f"nn_{time_col}"]) > 0:
        problems.extend(_window_problems(t, name, time_col, r, params, label, needing))
        if name == "marketing" and int(r["in_campaign"]) > 0 and not (r["campaign_spend"] or 0):
            add(
                "spend",
                "no spend in the campaign: ROI, ROAS and CAC read n/a",
                "if spend is in another column, map it under data.tables.marketing.columns",
                False,
                "zero_spend",
            )
    return problems, ok


def _ts(d: date):
    from .exprs import ts

    return ts(d)


def _examples_where(t, column: str, cond) -> list:
    return _examples(t.filter(cond), column)


def _duplicates(t, key: str) -> tuple[int, int, list] | None:
    """(keys appearing more than once, rows carrying them, three example keys), or None."""
    f = t.filter(t[key].notnull())
    g = f.group_by(key).aggregate(n=f.count())
    dups = g.filter(g.n > 1)
    r = dups.aggregate(keys=dups.count(), rows=dups.n.sum()).execute().iloc[0]
    if not int(r["keys"]):
        return None
    return int(r["keys"]), int(r["rows"]), _examples(dups, key)


def _fmt_range(start: date, end: date) -> str:
    return f"{start.isoformat()} to {end.isoformat()}"


def _window_problems(t, name, time_col, r, params: CampaignParams, label: str, needing: list[str]) -> list[Problem]:
    """Campaign, phase and baseline coverage of a table's time column, and rows no figure reads."""
    out: list[Problem] = []
    first, last = _plain(r["first"]), _plain(r["last"])
    if int(r["in_campaign"]) == 0:
        out.append(
            Problem(
                name,
                time_col,
                f"no rows in the campaign ({_fmt_range(params.start, params.end)}); the data runs from {first} "
                f"to {last}",
                fix="check the phases in the YAML, and the time column's format and time zone; the campaign's "
                "figures from this table read 0 or n/a",
                hard=False,
                source=label,
                code="no_campaign_rows",
                args={"start": params.start.isoformat(), "end": params.end.isoformat(), "first": first, "last": last},
            )
        )
        return out
    for ph in params.phases:
        if int(r[f"phase_{ph.name}"]) == 0:
            out.append(
                Problem(
                    name,
                    None,
                    f"no rows in the {ph.name} phase ({_fmt_range(ph.start, ph.end)})",
                    fix="check that the export covers every phase; the phase's figures read 0",
                    hard=False,
                    source=label,
                    code="empty_phase",
                    args={"phase": ph.name, "start": ph.start.isoformat(), "end": ph.end.isoformat()},
                )
            )
    if params.baseline is not None and name in BASELINE_TABLES and int(r["baseline"]) == 0:
        b = params.baseline
        out.append(
            Problem(
                name,
                None,
                f"no rows in the baseline ({_fmt_range(b.start, b.end)}): comparisons with the baseline read n/a",
                fix="export the baseline days too, or remove baseline from the YAML",
                hard=False,
                source=label,
                code="empty_baseline",
                args={"start": b.start.isoformat(), "end": b.end.isoformat()},
            )
        )
    until = _read_until(name, params)
    ignored = int(r["after"]) + int(r.get("before", 0)) + int(r.get("between", 0))
    if ignored:
        last_read = until - timedelta(days=1)
        args = {"day": last_read.isoformat(), "start": params.start.isoformat(), "end": params.end.isoformat()}
        if name == "orders":
            msg = "ignored_after_follow_up"
            what = f"rows after {last_read.isoformat()} (the end of the retention follow-up), not counted"
        elif name in ("marketing", "service"):
            msg = "ignored_outside_campaign"
            what = f"rows outside the campaign ({_fmt_range(params.start, params.end)})"
            if name == "service" and params.baseline is not None:
                msg = "ignored_outside_campaign_and_baseline"
                args.update(base_start=params.baseline.start.isoformat(), base_end=params.baseline.end.isoformat())
                what += f" and the baseline ({_fmt_range(params.baseline.start, params.baseline.end)})"
            what += ", not counted"
        else:
            msg = "ignored_after_campaign"
            what = f"rows after the campaign ends ({params.end.isoformat()}), not counted"
        when = t[time_col].cast("timestamp")
        read = _day_range(when, params.start, until)
        if name == "service" and params.baseline is not None:
            read = read | _day_range(when, params.baseline.start, params.baseline.end + timedelta(days=1))
        if name in ("orders", "events"):
            read = when < _ts(until)
        out.append(
            Problem(
                name,
                time_col,
                what,
                ignored,
                _examples(t.filter(when.notnull() & ~read), time_col),
                "none needed if expected; otherwise check the phases in the YAML",
                hard=False,
                source=label,
                code="ignored_rows",
                msg=msg,
                args=args,
            )
        )
    return out


def _orphans(tables: dict, labels: dict) -> list[Problem]:
    """Order lines and shipments whose order is not in orders; order lines whose SKU is not in products."""
    out: list[Problem] = []
    if "orders" in tables:
        ids = tables["orders"].select("order_id")  # an anti-join needs no distinct ids (one hash table less)
        for name, code, what in (
            ("order_items", "orphan_lines", "order lines without an order, left out of category and product sales"),
            ("shipments", "orphan_shipments", "shipments without an order, not counted"),
        ):
            if name not in tables:
                continue
            t = tables[name]
            orphan = t.filter(t.order_id.notnull()).anti_join(ids, "order_id")
            n = int(orphan.count().execute())
            if n:
                total = int(t.count().execute())
                out.append(
                    Problem(
                        name,
                        "order_id",
                        ("no line matches an order" if n == total else what),
                        n,
                        _examples(orphan, "order_id"),
                        "export orders and their lines for the same days, and check the ids are written the same "
                        "way in both (leading zeros, a '.0' suffix)",
                        hard=(n == total and name == "order_items"),
                        source=labels.get(name, ""),
                        code=code,
                        msg=code if n < total else f"{code}_all",
                    )
                )
    if "order_items" in tables and "products" in tables:
        t = tables["order_items"]
        skus = tables["products"].select("sku")
        unknown = t.filter(t.sku.notnull()).anti_join(skus, "sku")
        n = int(unknown.count().execute())
        if n:
            out.append(
                Problem(
                    "order_items",
                    "sku",
                    "SKUs not in products, shown under category '(unknown)'",
                    n,
                    _examples(unknown, "sku"),
                    "add those SKUs to the products table",
                    hard=False,
                    source=labels.get("order_items", ""),
                    code="unknown_sku",
                )
            )
    return out
