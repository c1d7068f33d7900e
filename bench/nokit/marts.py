"""Baseline (b) of the benchmark, "no kit, same figures" (issue #18): the kit's marts written the plain pandas way.

What an analyst without the kit would write in one notebook per section: ``pd.read_parquet`` the raw tables the
section needs (each section reads its own, as separate notebooks would), ``groupby`` / ``nunique`` / ``merge``
them into the same tables the kit's marts hold (same names, same columns, same values), then draw the same
kinds of charts with seaborn / matplotlib. Not tuned (no Arrow tricks, no caching between sections) but not
absurd either: no loops over rows, and only the columns a section uses are read from the files.

Semantics follow ``shared/retro/marts`` (read that for the definitions); the few SQL rules pandas does not
follow by itself are spelled out: a sum over no values is null (``min_count=1``), null group keys form a
group (``dropna=False``), an aggregate without keys gives one row, and NULL never equals NULL in a join.
What staging adds to the demo's Parquet files is done here too: optional columns the files lack are null
(orders.freight, shipments.promised_time, ...), events get ``is_derived``, sessions by the inactivity rule
when the log has no session ids, and an 'order' step per 'pay' event when it has no 'order' events. The port
assumes canonical Parquet like the demo's (no column mapping, value mapping, unit or time-zone conversion,
deduplication or order-line derivation): that is the input the benchmark feeds both sides.

Every mart the kit builds on the demo is produced (40; ``tests/test_bench_nokit.py`` compares them all). Charts
are the kit's figures in kind, not in pixels; the goals section's counterfactual is a weekday-mean forecast
with a normal band, not the kit's ETS model (statsmodels is no part of this baseline).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib import font_manager  # noqa: E402

SECTIONS = ("goals", "sales", "traffic", "funnel", "users", "marketing", "fulfilment", "service")
STEPS = ("view", "cart", "order", "pay")
SUMS = ("pv", "events", "pay_events")
FLAGS = (*STEPS, "stepped")
UNKNOWN = "(unknown)"
ALL, OVERALL = "all", "overall"
RETENTION_WINDOWS = (7, 14, 30)
SETTINGS = {  # the kit's defaults for the settings the marts read
    "new_customer_lookback_days": 365,
    "retention_days": 30,
    "rfm_lookback_days": 365,
    "ship_within_hours": 48,
    "session_gap_minutes": 30,
    "offsite_channels": ["offsite"],
    "top_n": 10,
}
# the columns each section reads; optional ones (not in every source) are added as nulls when missing
COLUMNS = {
    "orders": (
        ["order_id", "user_id", "order_time", "status", "channel", "paid_amount"],
        {
            "pay_time": "datetime64[us]",
            "freight": "float64",
            "is_presale": "object",
            "province": "object",
            "city_tier": "object",
            "coupon_id": "object",
        },
    ),
    "order_items": (["order_id", "sku", "quantity", "unit_price", "paid_amount"], {"unit_cost": "float64"}),
    "products": (
        ["sku", "category"],
        {"name": "object", "launch_date": "object", "unit_cost": "float64", "is_merchandise": "object"},
    ),
    "events": (
        ["visitor_id", "event_time", "channel", "event_type"],
        {"user_id": "object", "session_id": "object", "dwell_seconds": "float64"},
    ),
    "marketing": (
        ["date", "channel", "spend"],
        {
            "placement": "object",
            "is_kol": "object",
            "impressions": "float64",
            "clicks": "float64",
            "attributed_orders": "float64",
            "attributed_revenue": "float64",
        },
    ),
    "coupons": (["coupon_id", "face_value", "issued"], {"coupon_type": "object", "redeemed": "float64"}),
    "inventory": (["sku", "snapshot_time", "stock_on_hand"], {"replenished": "float64"}),
    "shipments": (
        ["order_id"],
        {
            "shipped_time": "datetime64[us]",
            "delivered_time": "datetime64[us]",
            "region": "object",
            "promised_hours": "float64",
            "promised_time": "datetime64[us]",
        },
    ),
    "service": (
        ["ticket_id", "created_time", "ticket_type"],
        {"first_response_seconds": "float64", "reason": "object", "satisfaction": "float64"},
    ),
    "nps": (["respondent_id", "survey_time", "score"], {}),
    "users": (["user_id"], {"is_member": "object", "city_tier": "object"}),
}


# --- reading ------------------------------------------------------------------------------------------------
def has(tables_dir: Path, name: str) -> bool:
    """Whether the data has a table (a folder of Parquet files)."""
    return (Path(tables_dir) / name).exists()


def read(tables_dir: Path, name: str) -> pd.DataFrame | None:
    """A raw table, its used columns only (optional ones the files lack as nulls); None without the table."""
    if not has(tables_dir, name):
        return None
    required, optional = COLUMNS[name]
    present = set(pq.ParquetDataset(Path(tables_dir) / name).schema.names)
    df = pd.read_parquet(Path(tables_dir) / name, columns=required + [c for c in optional if c in present])
    for col, dtype in optional.items():
        if col not in df.columns:
            df[col] = pd.Series(None if dtype == "object" else np.nan, index=df.index, dtype=dtype)
    return df


class Calendar:
    """The campaign's phases, baseline and settings from the YAML (loaded with plain yaml.safe_load)."""

    def __init__(self, params: dict):
        self.phases = [(ph["name"], _date(ph["start"]), _date(ph["end"])) for ph in params["phases"]]
        b = params.get("baseline")
        self.baseline = (_date(b["start"]), _date(b["end"])) if b else None
        self.settings = {**SETTINGS, **(params.get("settings") or {})}
        self.targets = params.get("targets") or {}
        self.start, self.end = self.phases[0][1], self.phases[-1][2]
        self.end_excl = self.end + timedelta(days=1)

    @property
    def periods(self) -> list[tuple[str, date, date]]:
        """Phases, then the baseline: the first that holds a day names it."""
        return self.phases + ([("baseline", *self.baseline)] if self.baseline else [])

    def days(self) -> dict[str, int]:
        out = {name: (e - s).days + 1 for name, s, e in self.periods}
        return out | {OVERALL: (self.end - self.start).days + 1}


def _date(v) -> date:
    return pd.Timestamp(v).date()


def ts(d: date) -> pd.Timestamp:
    return pd.Timestamp(d)


def between(col: pd.Series, start: date, end: date) -> pd.Series:
    """Timestamps on a day in [start, end]."""
    return (col >= ts(start)) & (col < ts(end + timedelta(days=1)))


def in_campaign(col: pd.Series, cal: Calendar) -> pd.Series:
    return between(col, cal.start, cal.end)


def phase_of(col: pd.Series, cal: Calendar) -> pd.Series:
    """Phase name or 'baseline' of each timestamp, None outside them."""
    conds = [between(col, s, e) for _, s, e in cal.periods]
    return pd.Series(np.select(conds, [n for n, _, _ in cal.periods], default=None), index=col.index, dtype=object)


def agg(df: pd.DataFrame, keys: list[str], **parts) -> pd.DataFrame:
    """GROUP BY ``keys`` with SQL's rules; ``parts``: name -> (column, how).

    how: sum (null when no value), count (non-null values), size (rows), nunique, true (rows where the
    boolean column holds), any, min, max, first, median, p90 (both interpolated, as DuckDB's quantile_cont).
    """
    if keys:
        g = df.groupby(keys, dropna=False, sort=True)
        cols = {name: _apply(g if how == "size" else g[col], how) for name, (col, how) in parts.items()}
        return pd.DataFrame(cols).reset_index()
    return pd.DataFrame({name: [_apply(df if how == "size" else df[col], how)] for name, (col, how) in parts.items()})


def _apply(s, how: str):
    if how == "sum":
        return s.sum(min_count=1)
    if how == "p90":
        return s.quantile(0.9)
    if how == "true":
        return s.sum()
    if how == "size":
        return s.size() if hasattr(s, "ngroups") else len(s)
    return getattr(s, how)()


def _dates(s: pd.Series) -> pd.Series:
    """Midnight timestamps as calendar dates (the kit's date columns)."""
    return s.dt.date


def _stack(parts: list[pd.DataFrame], columns: list[str], order: list[str] | None = None) -> pd.DataFrame:
    out = pd.concat([p[columns] for p in parts], ignore_index=True)
    return out.sort_values(order, kind="stable", ignore_index=True) if order else out


# --- goals --------------------------------------------------------------------------------------------------
def goals(tables_dir: Path, params: dict) -> dict[str, pd.DataFrame]:
    """The daily sales history the counterfactual is forecast from."""
    o = read(tables_dir, "orders")
    if o is None:
        return {}
    paid = o.status == "paid"
    o = o.assign(day=o.order_time.dt.normalize(), _net=o.paid_amount.where(paid))
    out = agg(o, ["day"], gmv=("paid_amount", "sum"), orders=("order_id", "count"), net_sales=("_net", "sum"))
    out["day"] = _dates(out["day"])
    return {"goals_daily_history": out}


# --- sales --------------------------------------------------------------------------------------------------
ORDER_PARTS = {
    "orders": ("order_id", "count"),
    "gmv": ("paid_amount", "sum"),
    "paid_orders": ("_paid", "true"),
    "net_sales": ("_net", "sum"),
    "presale_net_sales": ("_presale", "sum"),
    "lost_gmv": ("_lost", "sum"),
    "pending_orders": ("_pending", "true"),
    "pending_gmv": ("_pending_gmv", "sum"),
    "freight": ("_freight", "sum"),
    "buyers": ("_buyer", "nunique"),
}
LINE_PARTS = {
    "lines": ("order_id", "count"),
    "orders": ("order_id", "nunique"),
    "units": ("quantity", "sum"),
    "net_sales": ("paid_amount", "sum"),
    "list_value": ("_list", "sum"),
    "costed_sales": ("_costed", "sum"),
    "cogs": ("_cogs", "sum"),
}


def _order_cols(o: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    """Orders with their phase, day and the masked columns the sales parts add up."""
    paid = o.status == "paid"
    pending = o.status == "pending"
    presale = o.is_presale.fillna(False).astype(bool)
    return o.assign(
        period=phase_of(o.order_time, cal),
        day=o.order_time.dt.normalize(),
        _paid=paid,
        _net=o.paid_amount.where(paid),
        _presale=o.paid_amount.where(paid & presale),
        _lost=o.paid_amount.where(o.status.isin(["cancelled", "refunded"])),
        _pending=pending,
        _pending_gmv=o.paid_amount.where(pending),
        _freight=o.freight.where(paid),
        _buyer=o.user_id.where(paid),
    )


def _paid_lines(o: pd.DataFrame, items: pd.DataFrame, products: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    """Lines of paid campaign orders with their product (unknown SKUs kept) and the line parts' columns."""
    keep = o[in_campaign(o.order_time, cal) & (o.status == "paid")][["order_id", "is_presale"]]
    j = items.merge(keep, on="order_id")
    prod = products[["sku", "name", "category", "launch_date", "is_merchandise", "unit_cost"]]
    j = j.merge(prod.rename(columns={"unit_cost": "product_cost"}), on="sku", how="left")
    cost = j.unit_cost.fillna(j.product_cost)
    return j.assign(
        unit_cost_known=cost,
        is_merchandise=j.is_merchandise.fillna(True).astype(bool),
        category=j.category.fillna(UNKNOWN),
        _list=j.quantity * j.unit_price,
        _costed=j.paid_amount.where(cost.notna()),
        _cogs=j.quantity * cost,
    )


def sales(tables_dir: Path, params: dict) -> dict[str, pd.DataFrame]:
    """GMV and net sales by period, day, hour, channel, province; product lines by category and SKU."""
    cal = Calendar(params)
    o = read(tables_dir, "orders")
    if o is None:
        return {}
    o = _order_cols(o, cal)
    cols = list(ORDER_PARTS)
    out = {}
    camp = o[in_campaign(o.order_time, cal)]

    per = agg(o[o.period.notna()], ["period"], **ORDER_PARTS)
    whole = agg(camp, [], **ORDER_PARTS).assign(period=OVERALL)
    by_period = _stack([per, whole], ["period", *cols])
    by_period["days"] = by_period.period.map(cal.days()).astype("int64")
    out["sales_by_period"] = by_period

    daily = agg(o[o.period.notna()], ["day", "period"], **ORDER_PARTS)
    daily["day"] = _dates(daily["day"])
    out["sales_daily"] = daily

    out["sales_hourly"] = agg(camp.assign(hour=camp.order_time.dt.floor("h")), ["hour"], **ORDER_PARTS)

    per = agg(camp, ["channel", "period"], **ORDER_PARTS)
    whole = agg(camp, ["channel"], **ORDER_PARTS).assign(period=OVERALL)
    out["sales_by_channel"] = _stack([per, whole], ["channel", "period", *cols], ["channel", "period"])

    prov = agg(camp.assign(province=camp.province.fillna(UNKNOWN)), ["province"], **ORDER_PARTS)
    out["sales_by_province"] = prov.sort_values(["net_sales", "province"], ascending=[False, True], ignore_index=True)

    items = read(tables_dir, "order_items")
    products = read(tables_dir, "products")
    if items is not None and products is not None:
        j = _paid_lines(o, items, products, cal)
        merch = j[j.is_merchandise]
        cat = agg(merch, ["category"], **LINE_PARTS)
        out["sales_by_category"] = cat.sort_values("net_sales", ascending=False, ignore_index=True)
        sku = agg(merch, ["sku", "name", "category", "launch_date"], **LINE_PARTS)
        out["sales_by_sku"] = sku.sort_values(["net_sales", "sku"], ascending=[False, True], ignore_index=True)
        out["sales_excluded_lines"] = agg(
            j[~j.is_merchandise], ["sku", "category"], lines=("order_id", "count"), net_sales=("paid_amount", "sum")
        )
    if items is not None:
        b = o[o._paid & o.period.notna()]
        b = b.assign(period=np.where(b.period == "baseline", "baseline", "campaign"))[["order_id", "period"]]
        lines = items.merge(b, on="order_id")
        out["sales_basket"] = agg(
            lines, ["period"], orders=("order_id", "nunique"), units=("quantity", "sum"), lines=("order_id", "count")
        )
    return out


# --- events: what staging adds, and the per-visitor reductions every traffic and funnel mart counts ----------
def read_events(tables_dir: Path, cal: Calendar) -> pd.DataFrame | None:
    """The event log as staging leaves it: ``is_derived``, rule sessions, an 'order' step for a pay-only log."""
    e = read(tables_dir, "events")
    if e is None:
        return None
    e["is_derived"] = False
    if len(e) and e.session_id.notna().sum() == 0:
        e = _sessionize(e, cal.settings["session_gap_minutes"])
    pays = e.event_type == "pay"
    if pays.any() and not (e.event_type == "order").any():
        e = pd.concat([e, e[pays].assign(event_type="order", is_derived=True)], ignore_index=True)
    return e


def _sessionize(e: pd.DataFrame, gap_minutes: int) -> pd.DataFrame:
    """Session ids ``~<visitor>|<n>``: a visitor's event more than the gap after their previous one starts one.

    Events at the same instant share a session (the kit's RANGE frame): the count of starts up to a time.
    """
    e = e.sort_values(["visitor_id", "event_time"], kind="stable")
    prev = e.groupby("visitor_id")["event_time"].shift()
    new = (prev.isna() | ((e.event_time - prev).dt.total_seconds() > gap_minutes * 60)).astype("int64")
    n = new.groupby(e.visitor_id).cumsum()
    n = n.groupby([e.visitor_id, e.event_time]).transform("max")
    return e.assign(session_id="~" + e.visitor_id + "|" + n.astype(str)).sort_index()


def visits(e: pd.DataFrame) -> pd.DataFrame:
    """One row per visitor, user id, channel and day: PV, events, pay events, step flags, first event time."""
    flags = {step: e.event_type == step for step in STEPS}
    e = e.assign(day=e.event_time.dt.normalize(), _beh=~e.is_derived, stepped=e.event_type.isin(STEPS), **flags)
    return (
        e.groupby(["visitor_id", "user_id", "channel", "day"], dropna=False)
        .agg(
            pv=("view", "sum"),
            events=("_beh", "sum"),
            pay_events=("pay", "sum"),
            **{step: (step, "any") for step in STEPS},
            stepped=("stepped", "any"),
            first_time=("event_time", "min"),
        )
        .reset_index()
    )


LEVELS = {  # group keys, campaign only
    "channel,period": (["channel", "period"], False),
    "channel": (["channel"], True),
    "period": (["period"], False),
    "all": ([], True),
}


def visitor_rows(v: pd.DataFrame, orders: pd.DataFrame | None, cal: Calendar) -> dict[str, pd.DataFrame]:
    """Per level (LEVELS), one row per visitor: summed counts, any-of flags and ``is_new``."""
    first = v.groupby("visitor_id").agg(first_time=("first_time", "min"), user_id=("user_id", "max")).reset_index()
    is_new = in_campaign(first.first_time, cal)
    if orders is not None:
        before = orders[(orders.status == "paid") & (orders.order_time < ts(cal.start))]
        buyers = before.user_id.dropna().unique()
        is_new &= ~(first.visitor_id.isin(buyers) | (first.user_id.notna() & first.user_id.isin(buyers)))
    new = first[["visitor_id"]].assign(is_new=is_new)

    v = v.assign(period=phase_of(v.day, cal))
    v = v[v.period.notna()]
    how = {c: (c, "sum") for c in SUMS} | {f: (f, "any") for f in FLAGS}
    vcp = v.groupby(["visitor_id", "channel", "period"]).agg(**how).reset_index()
    vcp = vcp.merge(new, on="visitor_id", how="left")
    vcp["is_new"] = vcp.is_new.fillna(False).astype(bool)
    out = {"channel,period": vcp}
    for level, (keys, overall) in LEVELS.items():
        if level != "channel,period":
            src = vcp[vcp.period != "baseline"] if overall else vcp
            out[level] = src.groupby(["visitor_id", *keys]).agg(**how, is_new=("is_new", "any")).reset_index()
    return out


def with_level_keys(df: pd.DataFrame, level: str, key: str) -> pd.DataFrame:
    """The constant columns a level lacks: ``key`` = 'all' and/or period = 'overall'."""
    keys, _ = LEVELS[level]
    consts = {k: v for k, v in ((key, ALL), ("period", OVERALL)) if k not in keys}
    return df.assign(**consts)


def by_levels(df: pd.DataFrame, key: str, **parts) -> pd.DataFrame:
    """Additive ``parts`` per key x period, key x campaign, all x period and all x campaign, stacked."""
    out = []
    for keys, consts, campaign_only in (
        ([key, "period"], {}, False),
        ([key], {"period": OVERALL}, True),
        (["period"], {key: ALL}, False),
        ([], {key: ALL, "period": OVERALL}, True),
    ):
        src = df[df.period != "baseline"] if campaign_only else df
        out.append(agg(src, keys, **parts).assign(**consts))
    return _stack(out, [key, "period", *parts], [key, "period"])


# --- traffic ------------------------------------------------------------------------------------------------
def traffic(tables_dir: Path, params: dict) -> dict[str, pd.DataFrame]:
    """PV and UV by day, channel and phase, on-site vs off-site, new visitors, sessions, GMV per channel."""
    cal = Calendar(params)
    e = read_events(tables_dir, cal)
    o = read(tables_dir, "orders")
    out = {}
    if e is not None:
        v = visits(e)
        rows = visitor_rows(v, o, cal)
        parts = []
        for level, (keys, _) in LEVELS.items():
            a = agg(
                rows[level],
                keys,
                pv=("pv", "sum"),
                uv=("visitor_id", "count"),
                new_uv=("is_new", "true"),
                events=("events", "sum"),
            )
            parts.append(with_level_keys(a, level, "channel"))
        out["traffic_by_channel"] = _stack(
            parts, ["channel", "period", "pv", "uv", "new_uv", "events"], ["channel", "period"]
        )

        d = v.assign(period=phase_of(v.day, cal))
        d = d[d.period.notna()]
        vd = d.groupby(["visitor_id", "day", "period", "channel"]).agg(pv=("pv", "sum"), events=("events", "sum"))
        vd = vd.reset_index()
        counts = {"pv": ("pv", "sum"), "uv": ("visitor_id", "count"), "events": ("events", "sum")}
        per_channel = agg(vd, ["day", "period", "channel"], **counts)
        pooled_v = vd.groupby(["visitor_id", "day", "period"]).agg(pv=("pv", "sum"), events=("events", "sum"))
        pooled = agg(pooled_v.reset_index(), ["day", "period"], **counts).assign(channel=ALL)
        daily = _stack([per_channel, pooled], ["day", "period", "channel", "pv", "uv", "events"], ["day", "channel"])
        daily["day"] = _dates(daily["day"])
        out["traffic_daily"] = daily

        vcp = rows["channel,period"]
        site = np.where(vcp.channel.isin(cal.settings["offsite_channels"]), "offsite", "onsite")
        by_site = vcp.assign(site=site)
        parts = []
        for level, (keys, overall) in LEVELS.items():
            if "channel" in keys:
                src = by_site[by_site.period != "baseline"] if overall else by_site
                site_keys = ["site", *(k for k in keys if k != "channel")]
                r = src.groupby(["visitor_id", *site_keys]).agg(pv=("pv", "sum")).reset_index()
                r = r.rename(columns={"site": "channel"})
            else:  # the pooled levels are the channel marts' visitors
                r = rows[level]
            a = agg(r, keys, pv=("pv", "sum"), uv=("visitor_id", "count"))
            parts.append(with_level_keys(a, level, "channel"))
        site_table = _stack(parts, ["channel", "period", "pv", "uv"]).rename(columns={"channel": "site"})
        out["traffic_by_site"] = site_table.sort_values(["site", "period"], ignore_index=True)

        out["traffic_sessions"] = _sessions(e, cal)

        beh = e[~e.is_derived]
        out["traffic_coverage"] = pd.DataFrame(
            {
                "first_event_time": [beh.event_time.min()],
                "last_event_time": [beh.event_time.max()],
                "events": [len(beh)],
                "null_session_events": [int(beh.session_id.isna().sum())],
                "null_dwell_events": [int(beh.dwell_seconds.isna().sum())],
                "orders_checked": [o is not None],
            }
        )
    if o is not None:
        o = o.assign(period=phase_of(o.order_time, cal))
        out["traffic_gmv"] = by_levels(
            o[o.period.notna()], "channel", gmv=("paid_amount", "sum"), orders=("order_id", "count")
        )
    return out


def _sessions(e: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    """Sessions (session id, else visitor-day) per channel and period of their first event."""
    e = e[phase_of(e.event_time, cal).notna() & ~e.is_derived]
    derived = e.session_id.isna()
    e = e.assign(
        derived=derived,
        day_visitor=e.visitor_id.where(derived),
        day=e.event_time.dt.normalize().where(derived),
        by_rule=e.session_id.str.startswith("~").fillna(False).astype(bool),
    )
    e = e.sort_values(["event_time", "channel"], kind="stable")  # a session's channel: its first event's
    s = agg(
        e,
        ["session_id", "day_visitor", "day"],
        start=("event_time", "min"),
        channel=("channel", "first"),
        events=("event_time", "count"),
        dwell=("dwell_seconds", "sum"),
        derived=("derived", "any"),
        by_rule=("by_rule", "any"),
    )
    s = s.assign(period=phase_of(s.start, cal), bounced=s.events == 1)
    return by_levels(
        s,
        "channel",
        sessions=("start", "count"),
        bounced_sessions=("bounced", "true"),
        dwell_seconds=("dwell", "sum"),
        derived_sessions=("derived", "true"),
        rule_sessions=("by_rule", "true"),
    )


# --- funnel -------------------------------------------------------------------------------------------------
def funnel(tables_dir: Path, params: dict) -> dict[str, pd.DataFrame]:
    """Distinct visitors reaching each step (closed funnel), by channel and phase, plus the open payers."""
    cal = Calendar(params)
    e = read_events(tables_dir, cal)
    if e is None:
        return {}
    rows = visitor_rows(visits(e), None, cal)  # is_new is not counted here: no orders needed
    parts = []
    for level, (keys, _) in LEVELS.items():
        v = rows[level]
        v = v[v.stepped & (v.period != "baseline")] if "period" in v.columns else v[v.stepped]
        v = v.assign(payers=v["pay"])  # open: before the closure below
        reached = v["view"]
        for step in STEPS[1:]:
            reached = reached & v[step]
            v[step] = reached
        a = agg(
            v,
            keys,
            visitors=("visitor_id", "count"),
            **{step: (step, "true") for step in STEPS},
            payers=("payers", "true"),
            pay_events=("pay_events", "sum"),
        )
        parts.append(with_level_keys(a, level, "channel"))
    cols = ["channel", "period", "visitors", *STEPS, "payers", "pay_events"]
    return {"funnel_steps": _stack(parts, cols, ["channel", "period"])}


# --- users --------------------------------------------------------------------------------------------------
def campaign_buyers(o: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    """One row per named buyer with a paid campaign order: orders, net sales, first order and channel, is_new."""
    paid = o[o.status == "paid"]
    camp = paid[in_campaign(paid.order_time, cal) & paid.user_id.notna()]
    lookback = cal.start - timedelta(days=cal.settings["new_customer_lookback_days"])
    prior = paid[(paid.order_time >= ts(lookback)) & (paid.order_time < ts(cal.start))].user_id.dropna().unique()
    camp = camp.sort_values(["order_time", "order_id"], kind="stable")
    b = (
        camp.groupby("user_id")
        .agg(
            paid_orders=("order_id", "count"),
            net_sales=("paid_amount", "sum"),
            first_order_time=("order_time", "min"),
            first_channel=("channel", "first"),
        )
        .reset_index()
    )
    b["is_new"] = ~b.user_id.isin(prior)
    return b


def _buyer_types(b: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": b.user_id,
            "customer_type": np.where(b.is_new, "new", "returning"),
            "cohort": phase_of(b.first_order_time, cal),
        }
    )


def users(tables_dir: Path, params: dict) -> dict[str, pd.DataFrame]:
    """New vs returning buyers, acquisition, visitor conversion, retention, RFM, membership, city tiers."""
    cal = Calendar(params)
    o = read(tables_dir, "orders")
    if o is None:
        return {}
    out = {}
    out["users_history"] = agg(
        o,
        [],
        first_order_time=("order_time", "min"),
        last_order_time=("order_time", "max"),
        orders=("order_id", "count"),
    )
    b = campaign_buyers(o, cal)
    types = _buyer_types(b, cal)
    paid = o[o.status == "paid"]
    camp = paid[in_campaign(paid.order_time, cal)]

    # new vs returning (guests: their own type, no buyers)
    c = camp.assign(period=phase_of(camp.order_time, cal))
    c = c.merge(types[["user_id", "customer_type"]], on="user_id", how="left")
    c["customer_type"] = c.customer_type.fillna("guest")
    parts = []
    for by_period in (True, False):
        for by_type in (True, False):
            keys = ["user_id"] + (["period"] if by_period else []) + (["customer_type"] if by_type else [])
            per_user = agg(c, keys, n=("order_id", "count"), sales=("paid_amount", "sum"))
            per_user["_repeat"] = (per_user.n >= 2) & per_user.user_id.notna()
            g = agg(
                per_user,
                keys[1:],
                buyers=("user_id", "count"),
                repeat_buyers=("_repeat", "true"),
                paid_orders=("n", "sum"),
                net_sales=("sales", "sum"),
            )
            parts.append(
                g.assign(**({} if by_period else {"period": OVERALL}), **({} if by_type else {"customer_type": ALL}))
            )
    cols = ["period", "customer_type", "buyers", "repeat_buyers", "paid_orders", "net_sales"]
    out["users_new_returning"] = _stack(parts, cols, ["period", "customer_type"])

    acq = b.assign(first_phase=phase_of(b.first_order_time, cal), customer_type=np.where(b.is_new, "new", "returning"))
    out["users_acquisition"] = agg(
        acq,
        ["first_phase", "first_channel", "customer_type"],
        buyers=("user_id", "count"),
        paid_orders=("paid_orders", "sum"),
        net_sales=("net_sales", "sum"),
    )

    e = read_events(tables_dir, cal)
    if e is not None:
        out["users_visitor_conversion"] = _visitor_conversion(visits(e), paid, cal)

    # retention: paid again within N days after the campaign
    after = paid[paid.order_time >= ts(cal.end_excl)]
    nxt = after.groupby("user_id")["order_time"].min().rename("next_order_time").reset_index()
    r = types.merge(nxt, on="user_id", how="left")
    windows = sorted({*RETENTION_WINDOWS, cal.settings["retention_days"]})
    for n in windows:
        r[f"r{n}"] = r.next_order_time < ts(cal.end_excl + timedelta(days=n))
    parts = []
    for by_cohort in (True, False):
        for by_type in (True, False):
            keys = (["cohort"] if by_cohort else []) + (["customer_type"] if by_type else [])
            a = agg(r, keys, buyers=("user_id", "count"), **{f"r{n}": (f"r{n}", "true") for n in windows})
            a = a.assign(**({} if by_cohort else {"cohort": OVERALL}), **({} if by_type else {"customer_type": ALL}))
            for n in windows:
                end = ts(cal.end_excl + timedelta(days=n))
                parts.append(a.assign(window_days=n, retained=a[f"r{n}"], window_end=end))
    cols = ["cohort", "customer_type", "buyers", "window_days", "retained", "window_end"]
    ret = _stack(parts, cols, ["cohort", "customer_type", "window_days"])
    ret["window_end"] = ret.window_end.astype("datetime64[us]")
    out["users_retention"] = ret

    # RFM over the look-back window ending with the campaign
    start = cal.end_excl - timedelta(days=cal.settings["rfm_lookback_days"])
    w = paid[between(paid.order_time, start, cal.end) & paid.user_id.notna()]
    g = w.groupby("user_id").agg(
        last=("order_time", "max"), frequency=("order_id", "count"), monetary=("paid_amount", "sum")
    )
    g = g.reset_index()
    g["recency_days"] = (ts(cal.end) - g["last"].dt.normalize()).dt.days.astype("int64")
    out["users_rfm"] = g[["user_id", "frequency", "monetary", "recency_days"]].sort_values("user_id", ignore_index=True)

    u = read(tables_dir, "users")
    if u is not None:
        u = u.drop_duplicates("user_id")
        until = cal.end + timedelta(days=cal.settings["retention_days"])
        m = paid[between(paid.order_time, cal.start, until)]
        per_user = agg(m, ["user_id"], n=("order_id", "count"), sales=("paid_amount", "sum"))
        mb = b[["user_id"]].merge(per_user, on="user_id").merge(u[["user_id", "is_member"]], on="user_id", how="left")
        status = mb.is_member.map({True: "member", False: "non_member"}).fillna("unknown")
        mb = mb.assign(member_status=status, _repeat=mb.n >= 2)
        out["users_membership"] = agg(
            mb,
            ["member_status"],
            buyers=("user_id", "count"),
            repeat_buyers=("_repeat", "true"),
            paid_orders=("n", "sum"),
            net_sales=("sales", "sum"),
        )

    # city tier: the first paid campaign order's that has one, else the users table's
    tiered = camp[camp.city_tier.notna()].sort_values(["order_time", "order_id"], kind="stable")
    order_tier = tiered.groupby("user_id", dropna=False)["city_tier"].first().rename("order_tier").reset_index()
    per_user = agg(camp, ["user_id"], sales=("paid_amount", "sum")).merge(order_tier, on="user_id", how="left")
    tier = per_user.order_tier
    if u is not None:
        user_tier = u[["user_id", "city_tier"]].rename(columns={"city_tier": "user_tier"})
        tier = tier.fillna(per_user.merge(user_tier, on="user_id", how="left").user_tier)
    per_user["city_tier"] = tier.fillna("unknown")
    out["users_city_tier"] = agg(per_user, ["city_tier"], buyers=("user_id", "count"), net_sales=("sales", "sum"))
    return out


def _visitor_conversion(v: pd.DataFrame, paid: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    """Distinct campaign visitors (user id, else visitor id) and those who paid, per period and visitor type."""
    lookback = cal.start - timedelta(days=cal.settings["new_customer_lookback_days"])
    prior = paid[(paid.order_time >= ts(lookback)) & (paid.order_time < ts(cal.start))].user_id.dropna().unique()
    v = v[in_campaign(v.day, cal)]
    v = pd.DataFrame({"vid": v.user_id.fillna(v.visitor_id), "period": phase_of(v.day, cal), "paid": v["pay"]})
    per_period = v.groupby(["vid", "period"]).agg(paid=("paid", "any")).reset_index()
    per_campaign = per_period.groupby("vid").agg(paid=("paid", "any")).reset_index()
    parts = []
    for rows, by_period in ((per_period, True), (per_campaign, False)):
        rows = rows.assign(visitor_type=np.where(rows.vid.isin(prior), "returning", "new"))
        for by_type in (True, False):
            keys = (["period"] if by_period else []) + (["visitor_type"] if by_type else [])
            a = agg(rows, keys, visitors=("vid", "count"), paying_visitors=("paid", "true"))
            parts.append(
                a.assign(**({} if by_period else {"period": OVERALL}), **({} if by_type else {"visitor_type": ALL}))
            )
    return _stack(parts, ["period", "visitor_type", "visitors", "paying_visitors"], ["period", "visitor_type"])


# --- marketing ----------------------------------------------------------------------------------------------
SPEND_PARTS = {
    "spend": ("spend", "sum"),
    "impressions": ("impressions", "sum"),
    "clicks": ("clicks", "sum"),
    "attributed_orders": ("attributed_orders", "sum"),
    "attributed_revenue": ("attributed_revenue", "sum"),
    "rows": ("spend", "count"),
}


def marketing(tables_dir: Path, params: dict) -> dict[str, pd.DataFrame]:
    """Spend and results per channel and phase, new customers, cost of goods, channel GMV, coupons, KOLs."""
    cal = Calendar(params)
    m = read(tables_dir, "marketing")
    if m is None:
        return {}
    o = read(tables_dir, "orders")
    out = {}
    day = pd.to_datetime(m["date"])
    m = m[in_campaign(day, cal)].assign(period=phase_of(day, cal))
    out["marketing_by_channel"] = agg(m, ["channel", "period"], **SPEND_PARTS)

    kol = m[m.is_kol.fillna(False).astype(bool)]
    kol = agg(kol.assign(placement=kol.placement.fillna("(unnamed)")), ["channel", "placement"], **SPEND_PARTS)
    out["marketing_kol"] = kol.sort_values(
        ["attributed_revenue", "placement"], ascending=[False, True], ignore_index=True
    )

    if o is not None:
        b = campaign_buyers(o, cal).rename(columns={"first_channel": "channel"})
        out["marketing_new_customers"] = agg(
            b, ["channel"], buyers=("user_id", "count"), new_customers=("is_new", "true")
        )

        camp = o[in_campaign(o.order_time, cal)]
        paid = camp.status == "paid"
        g = agg(
            camp.assign(_paid=paid, _net=camp.paid_amount.where(paid)),
            ["channel"],
            orders=("order_id", "count"),
            gmv=("paid_amount", "sum"),
            paid_orders=("_paid", "true"),
            net_sales=("_net", "sum"),
        )
        g["net_sales"] = g.net_sales.fillna(0.0)
        out["marketing_channel_gmv"] = g.sort_values("gmv", ascending=False, ignore_index=True)

        items = read(tables_dir, "order_items")
        if items is not None:
            j = items.merge(camp[paid][["order_id"]], on="order_id")
            products = read(tables_dir, "products")
            if products is not None:
                prod = products[["sku", "is_merchandise", "unit_cost"]].rename(columns={"unit_cost": "product_cost"})
                j = j.merge(prod, on="sku", how="left")
                j = j[j.is_merchandise.fillna(True).astype(bool)]
                cost = j.unit_cost.fillna(j.product_cost)
            else:
                cost = j.unit_cost
            known = cost.notna()
            out["marketing_cogs"] = agg(
                j.assign(_costed=j.paid_amount.where(known), _cogs=j.quantity * cost),
                [],
                net_sales=("paid_amount", "sum"),
                costed_sales=("_costed", "sum"),
                cogs=("_cogs", "sum"),
            )

    c = read(tables_dir, "coupons")
    if c is not None:
        if o is not None:
            used = o[(o.status == "paid") & in_campaign(o.order_time, cal) & o.coupon_id.notna()]
            used = used.groupby("coupon_id").agg(order_uses=("order_id", "count")).reset_index()
            c = c.merge(used, on="coupon_id", how="left")
            c["order_uses"] = c.order_uses.astype("Int64")
            counted = c.order_uses.fillna(0)
        else:
            c["order_uses"] = pd.array([pd.NA] * len(c), dtype="Int64")
            counted = c.order_uses
        redeemed = c.redeemed.astype("Int64").fillna(counted)
        c = c.assign(
            redeemed_n=redeemed,
            _known_issued=c.issued.astype("Int64").where(redeemed.notna()),
            _cost=c.face_value * redeemed.to_numpy(dtype="float64", na_value=np.nan),
            from_orders=c.redeemed.isna() & counted.notna(),
            coupon_type=c.coupon_type.fillna("unknown"),
        )
        out["marketing_coupons"] = agg(
            c,
            ["coupon_type"],
            coupons=("coupon_id", "count"),
            issued=("issued", "sum"),
            issued_known=("_known_issued", "sum"),
            redeemed=("redeemed_n", "sum"),
            cost=("_cost", "sum"),
            counted_from_orders=("from_orders", "true"),
            order_uses=("order_uses", "sum"),
        )
    return out


# --- fulfilment ---------------------------------------------------------------------------------------------
def _hours(later: pd.Series, earlier) -> pd.Series:
    return (later - earlier).dt.total_seconds() / 3600.0


def _due_orders(o: pd.DataFrame, s: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    """Paid or refunded campaign orders with a pay time, with their shipment and shipping / delivery outcome."""
    o = o[in_campaign(o.order_time, cal) & o.status.isin(["paid", "refunded"]) & o.pay_time.notna()]
    o = o[["order_id", "pay_time", "province"]].assign(paid=o.status == "paid")
    data_end = s.shipped_time.max()
    region_known = s.region.notna().any()
    cols = ["order_id", "shipped_time", "delivered_time", "region", "promised_hours", "promised_time"]
    j = o.merge(s[cols].assign(has_shipment=True), on="order_id", how="left")
    j["has_shipment"] = j.has_shipment.fillna(False).astype(bool)
    j = j[j.has_shipment | j.paid]
    within = float(cal.settings["ship_within_hours"])
    deadline = j.pay_time + pd.Timedelta(seconds=round(within * 3600))
    not_yet_due = j.shipped_time.isna() & (deadline > data_end)
    ship_hours = _hours(j.shipped_time, j.pay_time)
    delivery_hours = _hours(j.delivered_time, j.pay_time)
    promised = j.promised_time
    date_only = (promised.dt.hour == 0) & (promised.dt.minute == 0) & (promised.dt.second == 0)
    by_date = _hours(promised, j.pay_time) + np.where(date_only, 24.0, 0.0)
    promise_hours = j.promised_hours.astype("float64").fillna(by_date)
    due = ~not_yet_due
    shipped = due & j.shipped_time.notna()
    delivered = due & j.delivered_time.notna()
    judged = delivered & promise_hours.notna()
    return j.assign(
        pay_day=j.pay_time.dt.normalize(),
        period=phase_of(j.pay_time, cal).fillna("after"),
        region=(j.region if region_known else j.province).fillna(UNKNOWN),
        due=due,
        delivery_hours=delivery_hours,
        promise_hours=promise_hours,
        late=(delivery_hours > promise_hours),
        _in_time=due & (ship_hours <= within),
        _shipped=shipped,
        _unshipped=due & j.shipped_time.isna(),
        _not_yet_due=~due,
        _ship_hours=ship_hours.where(shipped),
        _delivered=delivered,
        _delivery_hours=delivery_hours.where(delivered),
        _judged=judged,
        _late=judged & (delivery_hours > promise_hours),
    )


SHIP_PARTS = {
    "due_orders": ("due", "true"),
    "shipped_in_time": ("_in_time", "true"),
    "shipped": ("_shipped", "true"),
    "unshipped": ("_unshipped", "true"),
    "not_yet_due": ("_not_yet_due", "true"),
    "ship_hours_sum": ("_ship_hours", "sum"),
    "delivered": ("_delivered", "true"),
    "delivery_hours_sum": ("_delivery_hours", "sum"),
    "promise_known": ("_judged", "true"),
    "late": ("_late", "true"),
}
DELIVERY_PARTS = {
    "delivered": ("order_id", "count"),
    "delivery_hours_sum": ("delivery_hours", "sum"),
    "delivery_p50_hours": ("delivery_hours", "median"),
    "delivery_p90_hours": ("delivery_hours", "p90"),
    "promise_known": ("promise_hours", "count"),
    "late": ("_late", "true"),
}
STOCK_COLUMNS = [
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
]


def fulfilment(tables_dir: Path, params: dict) -> dict[str, pd.DataFrame]:
    """Shipping in time and delivery by pay day and region; stock flow and sell-outs per SKU."""
    cal = Calendar(params)
    o = read(tables_dir, "orders")
    s = read(tables_dir, "shipments")
    out = {}
    if o is not None and s is not None:
        j = _due_orders(o, s, cal)
        daily = agg(j, ["pay_day", "period"], **SHIP_PARTS)
        daily["pay_day"] = _dates(daily["pay_day"])
        out["fulfilment_daily"] = daily
        d = j[j.due & j.delivered_time.notna()]
        region = _stack(
            [agg(d, ["region"], **DELIVERY_PARTS), agg(d, [], **DELIVERY_PARTS).assign(region=OVERALL)],
            ["region", *DELIVERY_PARTS],
        )
        out["fulfilment_delivery_by_region"] = region.sort_values("delivered", ascending=False, ignore_index=True)
    inv = read(tables_dir, "inventory")
    if inv is not None:
        stock = _stock_by_sku(inv, o, read(tables_dir, "order_items"), read(tables_dir, "products"), cal)
        out["fulfilment_stock"] = stock.sort_values("sku", ignore_index=True)
        sold_out = stock[stock.sellout_time.notna()]
        out["fulfilment_sellouts"] = sold_out.sort_values(["sellout_time", "sku"], ignore_index=True)
    return out


def _stock_by_sku(inv, o, items, products, cal: Calendar) -> pd.DataFrame:
    """One row per SKU with campaign snapshots: a snapshot holds until the SKU's next one (the last: one hour)."""
    inv = inv.assign(replenished=inv.replenished.fillna(0).astype("int64"))
    inv = inv.sort_values(["sku", "snapshot_time"], kind="stable")
    inv["next_time"] = inv.groupby("sku")["snapshot_time"].shift(-1)
    camp = inv[in_campaign(inv.snapshot_time, cal)]
    until = camp.next_time.fillna(camp.snapshot_time + pd.Timedelta(hours=1)).clip(upper=ts(cal.end_excl))
    span = _hours(until, camp.snapshot_time)
    out_of_stock = camp.stock_on_hand <= 0
    camp = camp.assign(
        _in=span.where(~out_of_stock), _out=span.where(out_of_stock), _sellout=camp.snapshot_time.where(out_of_stock)
    )
    by_stock = camp.sort_values(["sku", "snapshot_time", "stock_on_hand"], kind="stable").groupby("sku")
    by_receipt = camp.sort_values(["sku", "snapshot_time", "replenished"], kind="stable").groupby("sku")
    g = agg(
        camp,
        ["sku"],
        received=("replenished", "sum"),
        hours_in_stock=("_in", "sum"),
        hours_out_of_stock=("_out", "sum"),
        sellout_time=("_sellout", "min"),
    )
    g = g.set_index("sku")
    g["opening_stock"] = by_stock["stock_on_hand"].first()
    g["closing_stock"] = by_stock["stock_on_hand"].last()
    g["received"] = g.received - by_receipt["replenished"].first()  # receipts at the opening came before it
    g[["hours_in_stock", "hours_out_of_stock"]] = g[["hours_in_stock", "hours_out_of_stock"]].fillna(0.0)
    g = g.reset_index()
    after = inv[inv.replenished > 0][["sku", "snapshot_time"]]
    r = g[g.sellout_time.notna()][["sku", "sellout_time"]].merge(after, on="sku")
    r = r[r.snapshot_time > r.sellout_time].groupby("sku")["snapshot_time"].min().rename("restock_time")
    g = g.merge(r.reset_index(), on="sku", how="left")
    burst = next((s for name, s, _ in cal.phases if name == "burst"), None)
    g["hours_from_start"] = _hours(g.sellout_time, ts(cal.start))
    g["hours_from_burst_start"] = _hours(g.sellout_time, ts(burst)) if burst else np.nan
    g["replenishment_lag_hours"] = _hours(g.restock_time, g.sellout_time)
    if o is not None and items is not None:
        paid = o[in_campaign(o.order_time, cal) & (o.status == "paid")][["order_id"]]
        lines = items.merge(paid, on="order_id")
        sold = lines.groupby("sku").agg(units_sold=("quantity", "sum"), net_sales=("paid_amount", "sum"))
        g = g.merge(sold.reset_index(), on="sku", how="left")
        g["units_sold"] = g.units_sold.fillna(0).astype("int64")
        g["net_sales"] = g.net_sales.fillna(0.0)
    else:
        g["units_sold"], g["net_sales"] = pd.array([pd.NA] * len(g), dtype="Int64"), np.nan
    if products is not None:
        g = g.merge(products[["sku", "name"]], on="sku", how="left")
    else:
        g["name"] = None
    return g[STOCK_COLUMNS]


# --- service ------------------------------------------------------------------------------------------------
TICKET_PARTS = {
    "tickets": ("ticket_id", "count"),
    "consults": ("_consult", "true"),
    "complaints": ("_complaint", "true"),
    "returns": ("_return", "true"),
    "responded": ("first_response_seconds", "count"),
    "response_seconds_sum": ("first_response_seconds", "sum"),
    "response_p50_seconds": ("first_response_seconds", "median"),
    "response_p90_seconds": ("first_response_seconds", "p90"),
    "rated": ("satisfaction", "count"),
    "stars_sum": ("satisfaction", "sum"),
}


def _by_period(df: pd.DataFrame, time_col: str, parts: dict, cal: Calendar) -> pd.DataFrame:
    """Rows per phase and the baseline, plus 'overall' (the campaign), with each period's day count."""
    df = df.assign(period=phase_of(df[time_col], cal))
    per = agg(df[df.period.notna()], ["period"], **parts)
    whole = agg(df[in_campaign(df[time_col], cal)], [], **parts).assign(period=OVERALL)
    out = _stack([per, whole], ["period", *parts])
    out["days"] = out.period.map(cal.days()).astype("int64")
    return out


def service(tables_dir: Path, params: dict) -> dict[str, pd.DataFrame]:
    """Tickets by period and day with exact response percentiles, reasons, paid orders, NPS answers."""
    cal = Calendar(params)
    out = {}
    s = read(tables_dir, "service")
    if s is not None:
        s = s.assign(**{f"_{t}": s.ticket_type == t for t in ("consult", "complaint", "return")})
        out["service_by_period"] = _by_period(s, "created_time", TICKET_PARTS, cal)
        d = s.assign(period=phase_of(s.created_time, cal), day=s.created_time.dt.normalize())
        daily = agg(d[d.period.notna()], ["day", "period"], **TICKET_PARTS)
        daily["day"] = _dates(daily["day"])
        out["service_daily"] = daily
        c = s[in_campaign(s.created_time, cal)]
        r = agg(
            c.assign(reason=c.reason.fillna("(not given)")), ["ticket_type", "reason"], tickets=("ticket_id", "count")
        )
        out["service_reasons"] = r.sort_values(
            ["ticket_type", "tickets", "reason"], ascending=[True, False, True], ignore_index=True
        )
    o = read(tables_dir, "orders")
    if o is not None:
        o = o.assign(_paid=o.status == "paid")
        out["service_paid_orders"] = _by_period(o, "order_time", {"paid_orders": ("_paid", "true")}, cal)
    n = read(tables_dir, "nps")
    if n is not None:
        n = n[n.score.notna()]
        follow_end = cal.end + timedelta(days=cal.settings["retention_days"])
        after = between(n.survey_time, cal.end_excl, follow_end)
        period = phase_of(n.survey_time, cal)
        n = n.assign(period=period.where(period.notna(), np.where(after, "after", None)))
        per = agg(n[n.period.notna()], ["period", "score"], responses=(None, "size"))
        camp = n[between(n.survey_time, cal.start, follow_end)]
        whole = agg(camp, ["score"], responses=(None, "size")).assign(period=OVERALL)
        out["service_nps"] = _stack([per, whole], ["period", "score", "responses"], ["period", "score"])
    return out


# --- charts -------------------------------------------------------------------------------------------------
DPI = 200  # the kit's
PALETTE = ["#2F5597", "#ED7D31", "#70AD47", "#7F6084", "#FFC000", "#5B9BD5", "#A5A5A5", "#C00000"]
PHASE_COLORS = {"warmup": "#5B9BD5", "burst": "#ED7D31", "tail": "#70AD47"}


def setup_theme() -> None:
    """Seaborn's white grid with a CJK font (the demo's names are Chinese): Noto Sans CJK from mplfonts."""
    sns.set_theme(style="whitegrid", palette=PALETTE)
    font = Path(matplotlib.__file__).parents[1] / "mplfonts" / "fonts" / "NotoSansCJKsc-Regular.otf"
    if font.is_file():
        font_manager.fontManager.addfont(str(font))
        name = font_manager.FontProperties(fname=str(font)).get_name()
        plt.rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
        plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["axes.unicode_minus"] = False


def charts(section: str, marts: dict[str, pd.DataFrame], out_dir: Path, params: dict | None = None) -> list[Path]:
    """Draw a section's charts from its marts into ``out_dir`` as PNG files; returns their paths."""
    setup_theme()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cal = Calendar(params) if params else None
    paths = []
    for name, draw in CHARTS[section]:
        fig = draw(marts, cal)
        if fig is None:
            continue
        path = out_dir / f"{section}_{name}.png"
        fig.savefig(path, dpi=DPI, bbox_inches="tight")
        plt.close(fig)
        paths.append(path)
    return paths


def _fig(height: float = 3.8):
    return plt.subplots(figsize=(8.0, height))


def _shade(ax, daily: pd.DataFrame, day: str = "day") -> None:
    """Shade each phase's days, from a daily mart's period column."""
    d = daily[daily.period.isin(PHASE_COLORS)]
    for period, g in d.groupby("period"):
        days = pd.to_datetime(g[day])
        ax.axvspan(days.min(), days.max() + pd.Timedelta(days=1), color=PHASE_COLORS[period], alpha=0.08)


def _top_n(df: pd.DataFrame, key: str, value: str, n: int) -> pd.DataFrame:
    """The top n rows by ``value`` and the rest summed as 'other'."""
    df = df.sort_values(value, ascending=False)
    top = df.head(n)
    if len(df) > n:
        top = pd.concat([top, pd.DataFrame({key: ["other"], value: [df[value].iloc[n:].sum()]})], ignore_index=True)
    return top


def _barh(df: pd.DataFrame, y: str, x: str, title: str, hue: str | None = None):
    fig, ax = _fig(height=max(2.5, 0.35 * df[y].nunique() + 1.2))
    sns.barplot(data=df, y=y, x=x, hue=hue, ax=ax, orient="h")
    ax.set_title(title)
    return fig


def _top(cal: Calendar | None) -> int:
    return cal.settings["top_n"] if cal else SETTINGS["top_n"]


# goals
def _campaign_gmv(m, cal):
    h = m["goals_daily_history"].assign(day=lambda x: pd.to_datetime(x["day"]))
    return h.set_index("day")["gmv"]


def goals_phase_timeline(m, cal):
    if cal is None or "goals_daily_history" not in m:
        return None
    gmv = _campaign_gmv(m, cal)
    total = gmv[ts(cal.start) : ts(cal.end)].sum()
    fig, ax = _fig(height=1.0 + 0.55 * len(cal.phases))
    for i, (name, s, e) in enumerate(cal.phases):
        days = (e - s).days + 1
        value = gmv[ts(s) : ts(e)].sum()
        ax.barh(i, days, left=ts(s), color=PHASE_COLORS.get(name, "#999"), height=0.6)
        ax.text(
            ts(e) + pd.Timedelta(days=1.2), i, f"{s:%m-%d}–{e:%m-%d} · {value:,.0f} ({value / total:.0%})", va="center"
        )
    ax.set_yticks(range(len(cal.phases)), [n for n, _, _ in cal.phases])
    ax.invert_yaxis()
    ax.set_xlim(ts(cal.start) - pd.Timedelta(days=0.5), ts(cal.end) + pd.Timedelta(days=8))
    fig.autofmt_xdate()
    ax.set_title("Phases and their GMV")
    return fig


def goals_driver_waterfall(m, cal):
    """GMV against the target (else the baseline's daily rate) split into orders and GMV per order."""
    if cal is None or "goals_daily_history" not in m:
        return None
    h = m["goals_daily_history"].assign(day=lambda x: pd.to_datetime(x["day"])).set_index("day")
    camp = h[ts(cal.start) : ts(cal.end)]
    gmv1, orders1 = camp.gmv.sum(), camp.orders.sum()
    if cal.targets.get("gmv") and cal.targets.get("orders"):
        gmv0, orders0, label = cal.targets["gmv"], cal.targets["orders"], "target"
    elif cal.baseline:
        base = h[ts(cal.baseline[0]) : ts(cal.baseline[1])]
        scale = cal.days()[OVERALL] / cal.days()["baseline"]
        gmv0, orders0, label = base.gmv.sum() * scale, base.orders.sum() * scale, "baseline"
    else:
        return None
    aov0, aov1 = gmv0 / orders0, gmv1 / orders1
    steps = [
        ("orders", (orders1 - orders0) * (aov0 + aov1) / 2),  # Shapley split of a product of two factors
        ("GMV per order", (aov1 - aov0) * (orders0 + orders1) / 2),
    ]
    fig, ax = _fig()
    ax.bar(0, gmv0, color=PALETTE[0])
    level = gmv0
    for i, (_, v) in enumerate(steps, start=1):
        ax.bar(i, abs(v), bottom=min(level, level + v), color=PALETTE[2] if v >= 0 else PALETTE[7])
        level += v
    ax.bar(len(steps) + 1, gmv1, color=PALETTE[0])
    ax.set_xticks(range(len(steps) + 2), [label, *(s for s, _ in steps), "actual"])
    ax.set_title(f"GMV against the {label}: what made the difference")
    return fig


def _lift(m, cal):
    """Daily actual vs a forecast from the history before the campaign: each weekday's mean, a 90% band."""
    if cal is None or "goals_daily_history" not in m:
        return None
    gmv = _campaign_gmv(m, cal)
    days = pd.date_range(gmv.index.min(), gmv.index.max(), freq="D")
    gmv = gmv.reindex(days, fill_value=0.0)
    pull = ts(cal.start) - pd.Timedelta(days=7)
    fit = gmv[: pull - pd.Timedelta(days=1)]
    if len(fit) < 3 * cal.days()[OVERALL]:
        return None
    profile = fit.groupby(fit.index.day_of_week).mean()
    sd = (fit - profile.reindex(fit.index.day_of_week).to_numpy()).std()
    window = gmv[pull : ts(cal.end) + pd.Timedelta(days=7)]
    expected = profile.reindex(window.index.day_of_week).to_numpy()
    d = pd.DataFrame({"actual": window, "expected": expected}, index=window.index)
    d["low"], d["high"] = d.expected - 1.645 * sd, d.expected + 1.645 * sd
    d["cum_lift"] = (d.actual - d.expected).cumsum()
    spread = 1.645 * sd * np.sqrt(np.arange(1, len(d) + 1))
    d["cum_low"], d["cum_high"] = d.cum_lift - spread, d.cum_lift + spread
    return d


def goals_lift_chart(m, cal):
    d = _lift(m, cal)
    if d is None:
        return None
    fig, ax = _fig()
    ax.fill_between(d.index, d["low"], d["high"], color=PALETTE[6], alpha=0.3, label="90% band")
    ax.plot(d.index, d["expected"], "--", color=PALETTE[6], label="forecast")
    ax.plot(d.index, d["actual"], marker="o", markersize=3, color=PALETTE[0], label="actual")
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    ax.set_title("Daily GMV against the forecast without the campaign")
    return fig


def goals_cumulative_lift_chart(m, cal):
    d = _lift(m, cal)
    if d is None:
        return None
    fig, ax = _fig()
    ax.fill_between(d.index, d["cum_low"], d["cum_high"], color=PALETTE[6], alpha=0.3, label="90% range")
    ax.plot(d.index, d["cum_lift"], color=PALETTE[0], label="cumulative lift")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    ax.set_title("Lift added up day by day")
    return fig


def goals_cumulative_pace(m, cal):
    if cal is None or "goals_daily_history" not in m:
        return None
    days = pd.date_range(ts(cal.start), ts(cal.end), freq="D")
    gmv = _campaign_gmv(m, cal).reindex(days, fill_value=0.0)
    long = [pd.DataFrame({"day": days, "value": gmv.cumsum().to_numpy(), "series": "actual"})]
    if cal.targets.get("gmv"):
        pace = cal.targets["gmv"] * np.arange(1, len(days) + 1) / len(days)
        long.append(pd.DataFrame({"day": days, "value": pace, "series": "pace to target"}))
    fig, ax = _fig()
    sns.lineplot(data=pd.concat(long, ignore_index=True), x="day", y="value", hue="series", marker="o", ax=ax)
    fig.autofmt_xdate()
    ax.set_title("Cumulative GMV against the pace to the target")
    return fig


# sales
def sales_daily_chart(m, cal):
    d = m["sales_daily"]
    d = d[d.period != "baseline"].assign(day=lambda x: pd.to_datetime(x["day"]) + pd.Timedelta(hours=12))
    long = pd.concat(
        [
            pd.DataFrame({"day": d.day, "value": d.gmv, "series": "GMV"}),
            pd.DataFrame({"day": d.day, "value": d.net_sales.fillna(0.0), "series": "net sales"}),
        ],
        ignore_index=True,
    )
    fig, ax = _fig()
    _shade(ax, m["sales_daily"])
    sns.lineplot(data=long, x="day", y="value", hue="series", marker="o", ax=ax)
    fig.autofmt_xdate()
    ax.set_title("GMV and net sales per day")
    return fig


def sales_hourly_chart(m, cal):
    h = m["sales_hourly"]
    fig, ax = _fig()
    _shade(ax, m["sales_daily"])
    ax.plot(pd.to_datetime(h["hour"]), h["gmv"], color=PALETTE[0], linewidth=1)
    fig.autofmt_xdate()
    ax.set_title("GMV per hour")
    return fig


def sales_category_chart(m, cal):
    if "sales_by_category" not in m:
        return None
    top = _top_n(m["sales_by_category"], "category", "net_sales", _top(cal))
    return _barh(top, "category", "net_sales", "Net sales by category")


# traffic
def _campaign_days(d):
    return d[d.period != "baseline"].assign(day=lambda x: pd.to_datetime(x["day"]))


def traffic_daily_pv_chart(m, cal):
    d = _campaign_days(m["traffic_daily"])
    d = d[d.channel != ALL]
    keep = d.groupby("channel")["pv"].sum().sort_values(ascending=False).index[: _top(cal)]
    d = d.assign(name=d.channel.where(d.channel.isin(keep), "other"))
    wide = d.pivot_table(index="day", columns="name", values="pv", aggfunc="sum", fill_value=0)
    fig, ax = _fig()
    bottom = pd.Series(0.0, index=wide.index)
    for i, name in enumerate(wide.columns):
        ax.bar(wide.index, wide[name], bottom=bottom, width=0.8, label=name, color=PALETTE[i % len(PALETTE)])
        bottom = bottom + wide[name]
    ax.legend(fontsize=8, ncols=min(len(wide.columns), 5), loc="upper left")
    fig.autofmt_xdate()
    ax.set_title("PV per day by channel")
    return fig


def traffic_daily_channel_chart(m, cal):
    d = _campaign_days(m["traffic_daily"])
    c = m["traffic_by_channel"]
    c = c[(c.period == OVERALL) & (c.channel != ALL)].sort_values("uv", ascending=False)
    keep = list(c.channel[: _top(cal)])
    fig, ax = _fig()
    sns.lineplot(data=d[d.channel.isin(keep)], x="day", y="uv", hue="channel", hue_order=keep, ax=ax)
    fig.autofmt_xdate()
    ax.set_title("UV per day by channel")
    return fig


def traffic_daily_uv_chart(m, cal):
    daily = m["traffic_daily"]
    pooled = daily[daily.channel == ALL]
    d = _campaign_days(pooled).sort_values("day")
    base = pooled[pooled.period == "baseline"].uv.mean()
    fig, ax = _fig()
    _shade(ax, daily)
    ax.plot(d.day, d.uv, color=PALETTE[0], marker="o", markersize=4, label="UV")
    if pd.notna(base):
        ax.axhline(base, color=PALETTE[7], linestyle="--", linewidth=1, label=f"baseline average {base:,.0f}")
    ax.legend(fontsize=8, loc="upper left")
    fig.autofmt_xdate()
    ax.set_title("UV per day against the baseline")
    return fig


# funnel
def _funnel_level(m, channel=ALL):
    f = m["funnel_steps"]
    return f[f.channel == channel]


def funnel_chart(m, cal):
    o = _funnel_level(m)
    o = o[o.period == OVERALL]
    counts = [float(o[s].iloc[0]) if len(o) else 0.0 for s in STEPS]
    fig, ax = _fig()
    bars = ax.bar(STEPS, counts, color=PALETTE[0])
    labels = [
        f"{c:,.0f}" + ("" if i == 0 else f" ({c / counts[i - 1]:.1%})" if counts[i - 1] else "")
        for i, c in enumerate(counts)
    ]
    ax.bar_label(bars, labels=labels, padding=3, fontsize=9)
    ax.margins(y=0.15)
    ax.set_title("Visitors at each step")
    return fig


def funnel_phase_chart(m, cal):
    p = _funnel_level(m)
    p = p[p.period != OVERALL]
    if p.empty:
        return None
    if cal is not None:  # calendar order
        order = [name for name, _, _ in cal.phases]
        p = p.assign(_i=p.period.map(order.index)).sort_values("_i")
    rates = {
        "pay / view (open)": p.payers / p["view"],
        "view → cart": p["cart"] / p["view"],
        "cart → order": p["order"] / p["cart"],
        "order → pay": p["pay"] / p["order"],
    }
    long = pd.concat(
        [pd.DataFrame({"phase": p.period, "rate": name, "value": v}) for name, v in rates.items()], ignore_index=True
    )
    fig, ax = _fig()
    sns.barplot(data=long, x="phase", y="value", hue="rate", ax=ax)
    for container in ax.containers:
        ax.bar_label(container, fmt="{:.0%}", padding=2, fontsize=7)
    ax.set_ylim(0, 1.4)  # headroom for the legend
    ax.legend(fontsize=8, ncols=2, loc="upper left")
    ax.set_title("Step rates by phase")
    return fig


# users
def users_acquisition_chart(m, cal):
    acq = m["users_acquisition"]
    wide = acq.pivot_table(index="first_channel", columns="customer_type", values="buyers", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=["new", "returning"], fill_value=0)
    wide["total"] = wide.sum(axis=1)
    wide = wide.sort_values("total", ascending=False).head(_top(cal)).reset_index()
    long = wide.melt(id_vars="first_channel", value_vars=["new", "returning"], var_name="type", value_name="buyers")
    return _barh(long, "first_channel", "buyers", "Campaign buyers by first channel", hue="type")


def users_city_tier_chart(m, cal):
    t = m["users_city_tier"]
    t = t[t.city_tier != "unknown"]
    if t.empty:
        return None
    return _barh(t.assign(share=t.buyers / t.buyers.sum()), "city_tier", "share", "Buyers by city tier")


# marketing
def marketing_spend_chart(m, cal):
    ch = m["marketing_by_channel"].groupby("channel")[["spend", "attributed_revenue"]].sum().reset_index()
    ch = ch.sort_values("spend", ascending=False).head(_top(cal))
    long = ch.melt(id_vars="channel", value_vars=["spend", "attributed_revenue"], var_name="series")
    return _barh(long, "channel", "value", "Spend and attributed revenue by channel", hue="series")


def marketing_channel_contribution_chart(m, cal):
    if "marketing_channel_gmv" not in m:
        return None
    g = m["marketing_channel_gmv"]
    g = _top_n(g.assign(gmv_share=g.gmv / g.gmv.sum()), "channel", "gmv_share", _top(cal))
    return _barh(g, "channel", "gmv_share", "Share of campaign GMV by channel")


def marketing_kol_chart(m, cal):
    k = m["marketing_kol"]
    if k.empty:
        return None
    top = _top_n(k, "placement", "attributed_revenue", _top(cal))
    return _barh(top, "placement", "attributed_revenue", "Attributed revenue of the top KOLs")


# fulfilment
def fulfilment_late_by_day_chart(m, cal):
    if "fulfilment_daily" not in m:
        return None
    d = m["fulfilment_daily"]
    day = pd.to_datetime(d.pay_day)
    fig, ax = _fig()
    ax.bar(day, d.late, width=0.7, color=PALETTE[1], label="late deliveries")
    ax2 = ax.twinx()
    ax2.plot(day, d.late / d.promise_known.replace(0, np.nan), color=PALETTE[0], marker="o", markersize=4)
    ax2.set_ylim(bottom=0)
    ax2.grid(False)
    ax2.set_ylabel("late rate")
    fig.autofmt_xdate()
    ax.set_title("Late deliveries by pay day")
    return fig


def fulfilment_replenishment_chart(m, cal):
    if "fulfilment_stock" not in m:
        return None
    s = m["fulfilment_stock"]
    s = s[s.replenishment_lag_hours.notna()]
    if s.empty:
        return None
    s = s.sort_values(["replenishment_lag_hours", "sku"], ascending=[False, True]).head(_top(cal))
    s = s.assign(label=s.sku + " " + s.name.fillna(""))
    fig = _barh(s, "label", "replenishment_lag_hours", "Hours from sell-out to replenishment")
    fig.axes[0].axvline(24, color=PALETTE[7], linestyle="--", linewidth=1)
    return fig


# service
def service_contacts_chart(m, cal):
    d = m["service_daily"]
    per = m["service_by_period"].set_index("period")
    camp = d[d.period != "baseline"].assign(day=lambda x: pd.to_datetime(x["day"]))
    fig, ax = _fig()
    ax.plot(camp.day, camp.tickets, marker="o", markersize=4, color=PALETTE[0], label="tickets")
    if "baseline" in per.index:
        base = per.loc["baseline", "tickets"] / per.loc["baseline", "days"]
        ax.axhline(base, color=PALETTE[7], linestyle="--", linewidth=1, label=f"baseline average {base:,.0f}")
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    ax.set_title("Tickets per day")
    return fig


def service_response_chart(m, cal):
    d = m["service_daily"]
    d = d[d.period != "baseline"]
    day = pd.to_datetime(d.day)
    fig, ax = _fig()
    for col, label, color in (
        ("response_p50_seconds", "median", PALETTE[0]),
        ("response_p90_seconds", "P90", PALETTE[1]),
    ):
        ax.plot(day, d[col], marker="o", markersize=4, color=color, label=label)
    values = pd.concat([d.response_p50_seconds, d.response_p90_seconds]).dropna()
    if len(values) and (values > 0).all():
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    ax.set_title("First response time per day (seconds)")
    return fig


CHARTS = {
    "goals": [
        ("phase_timeline", goals_phase_timeline),
        ("driver_waterfall", goals_driver_waterfall),
        ("lift", goals_lift_chart),
        ("cumulative_lift", goals_cumulative_lift_chart),
        ("cumulative_pace", goals_cumulative_pace),
    ],
    "sales": [("daily", sales_daily_chart), ("hourly", sales_hourly_chart), ("category", sales_category_chart)],
    "traffic": [
        ("daily_pv", traffic_daily_pv_chart),
        ("daily_channel", traffic_daily_channel_chart),
        ("daily_uv", traffic_daily_uv_chart),
    ],
    "funnel": [("funnel", funnel_chart), ("phase", funnel_phase_chart)],
    "users": [("acquisition", users_acquisition_chart), ("city_tier", users_city_tier_chart)],
    "marketing": [
        ("spend", marketing_spend_chart),
        ("channel_contribution", marketing_channel_contribution_chart),
        ("kol", marketing_kol_chart),
    ],
    "fulfilment": [("late_by_day", fulfilment_late_by_day_chart), ("replenishment", fulfilment_replenishment_chart)],
    "service": [("contacts", service_contacts_chart), ("response", service_response_chart)],
}
