"""Users section: new vs returning customers, visitor conversion, repurchase, retention, RFM, members, tiers.

Reads the marts of ``retro.marts.users``; every rate is recomputed from the mart's parts with
``retro.metrics``. A new customer is a campaign buyer with no paid order in the look-back window before the
campaign (``marts.common.campaign_buyers``); when the orders data starts later than that window, new
customers are labelled "first seen in the data". ``totals`` is shared with the goals section.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns

from .. import charts, metrics
from ..context import FigureSet, SectionContext, shows
from ..display import Note, Omitted, Table
from ..i18n import label_values, register

LOWER_TIERS = ("tier3", "tier4+")

register(
    {
        "users.kpis": ("Users at a glance", "用户概览"),
        "users.col.figure": ("Figure", "指标"),
        "users.col.value": ("Value", "数值"),
        "users.col.period": ("Phase", "阶段"),
        "users.col.type": ("Customers", "客户类型"),
        "users.col.buyers": ("Buyers", "买家数"),
        "users.col.new_buyers": ("New customers", "新客数"),
        "users.col.returning_buyers": ("Returning customers", "老客数"),
        "users.col.new_sales": ("New customers' net sales", "新客净销售额"),
        "users.col.returning_sales": ("Returning customers' net sales", "老客净销售额"),
        "users.col.new_share": ("New customers' share of net sales", "新客净销售额占比"),
        "users.col.guest_orders": ("Guest orders (no customer id)", "游客订单（无客户ID）"),
        "users.col.guest_sales": ("Guest orders' net sales", "游客订单净销售额"),
        "users.col.new_spb": ("Spend per new customer", "新客客单价"),
        "users.col.returning_spb": ("Spend per returning customer", "老客客单价"),
        "users.col.new_visitors": ("New visitors", "新访客"),
        "users.col.new_paying": ("New visitors who paid", "新访客支付人数"),
        "users.col.new_cvr": ("New visitors' conversion", "新访客转化率"),
        "users.col.returning_visitors": ("Returning visitors", "老访客"),
        "users.col.returning_paying": ("Returning visitors who paid", "老访客支付人数"),
        "users.col.returning_cvr": ("Returning visitors' conversion", "老访客转化率"),
        "users.col.repeat_buyers": ("Buyers with 2+ paid orders", "下单2次及以上买家"),
        "users.col.repurchase": ("Repurchase rate", "复购率"),
        "users.col.paid_orders": ("Paid orders", "支付订单"),
        "users.col.net_sales": ("Net sales", "净销售额"),
        "users.col.cohort": ("First campaign order in", "首单阶段"),
        "users.col.retained": ("Retained within {n} days", "{n}日内复购"),
        "users.col.segment": ("RFM segment", "RFM分层"),
        "users.col.customers": ("Customers", "客户数"),
        "users.col.customer_share": ("Share of customers", "客户占比"),
        "users.col.monetary": ("Paid amount", "支付金额"),
        "users.col.monetary_share": ("Share of paid amount", "金额占比"),
        "users.col.avg_recency": ("Mean days since last order", "平均最近购买距今（天）"),
        "users.col.avg_frequency": ("Mean paid orders", "平均购买次数"),
        "users.col.spend_per_customer": ("Paid amount per customer", "人均支付金额"),
        "users.col.member": ("Membership", "会员身份"),
        "users.col.window_sales": ("Net sales, campaign + {n} days", "净销售额（活动期+{n}天）"),
        "users.col.tier": ("City tier", "城市等级"),
        "users.col.buyer_share": ("Share of buyers", "买家占比"),
        "users.col.sales_share": ("Share of net sales", "净销售额占比"),
        "users.type.new": ("New", "新客"),
        "users.type.returning": ("Returning", "老客"),
        "users.type.all": ("All buyers", "全部买家"),
        "users.type.new_seen": ("First seen in the data", "数据中首次出现"),
        "users.member.member": ("Members", "会员"),
        "users.member.non_member": ("Non-members", "非会员"),
        "users.member.unknown": ("Unknown", "未知"),
        "users.tier.tier1": ("Tier 1", "一线"),
        "users.tier.tier2": ("Tier 2", "二线"),
        "users.tier.tier3": ("Tier 3", "三线"),
        "users.tier.tier4+": ("Tier 4 and below", "四线及以下"),
        "users.tier.unknown": ("Unknown", "未知"),
        "users.rfm.champions": ("Champions", "重要价值客户"),
        "users.rfm.loyal": ("Loyal", "忠诚客户"),
        "users.rfm.promising": ("Promising", "潜力客户"),
        "users.rfm.at_risk": ("At risk", "流失风险客户"),
        "users.rfm.hibernating": ("Hibernating", "沉睡客户"),
        "users.first_seen_label": ("New customers (first seen in the data)", "新客数（数据中首次出现）"),
        "users.history_ok": (
            "New customers: no paid order in the {days} days before the campaign; the orders data starts on "
            "{first}, so the whole look-back window is covered.",
            "新客口径：活动开始前 {days} 天内无支付订单；订单数据始于 {first}，覆盖完整回溯期。",
        ),
        "users.history_short": (
            "The orders data starts on {first}, only {have} days before the campaign, short of the "
            '{days}-day look-back: "new" customers here are customers first seen in the data, some may '
            "have bought before.",
            "订单数据始于 {first}，仅覆盖活动前 {have} 天，不足 {days} 天回溯期："
            "此处的“新客”是数据中首次出现的客户，其中部分可能此前购买过。",
        ),
        "users.new_returning_title": (
            "New and returning customers by phase (buyers distinct per phase and over the campaign)",
            "分阶段新老客（买家数按阶段去重、全周期去重）",
        ),
        "users.acquisition_title": (
            "Campaign buyers by channel of their first campaign order (people)",
            "按活动首单渠道的买家数（人）",
        ),
        "users.axis.buyers": ("Buyers", "买家数"),
        "users.visitor_title": (
            "Conversion of new vs returning visitors (distinct visitors per phase and "
            "over the campaign; paid = a payment event)",
            "新老访客支付转化（访客按阶段、全周期去重；支付=有支付事件）",
        ),
        "users.no_events": (
            "Not shown: the campaign's data has no events table, so visitors who did not buy are unknown.",
            "未展示：本次活动数据未提供行为日志，无法得知未购买的访客。",
        ),
        "users.repurchase_title": ("Repurchase within the campaign window", "活动期内复购"),
        "users.retention_title": (
            "Retention: share of campaign buyers paying again within N days after the campaign ended",
            "留存：活动结束后N天内再次支付的活动买家占比",
        ),
        "users.retention_pending": (
            "Retention within {days} days after the campaign is not shown yet: the data ends on {last}; "
            "it can be read from orders up to {matures}.",
            "活动后 {days} 天留存暂不展示：数据截至 {last}，需要截至 {matures} 的订单数据。",
        ),
        "users.rfm_title": (
            "RFM segments over the {days} days to the campaign end (customers with a paid order)",
            "活动结束前 {days} 天的RFM分层（有支付订单的客户）",
        ),
        "users.no_users": (
            "Not shown: the campaign's data has no users table with a member flag.",
            "未展示：本次活动数据未提供含会员标识的用户表。",
        ),
        "users.member_title": (
            "Repurchase of members vs non-members (2+ paid orders over the campaign and the {n} days after it)",
            "会员与非会员复购（活动期及其后 {n} 天内支付2次及以上）",
        ),
        "users.member_partial": (
            "The {n}-day window after the campaign is not complete in the data (last order "
            "{last}): repurchase rates are still rising.",
            "活动后 {n} 天的窗口在数据中尚不完整（最后订单 {last}）：复购率仍会上升。",
        ),
        "users.tier_title": (
            "Campaign buyers by city tier (tier from the buyer's order, else their profile)",
            "按城市等级的活动买家（等级取自订单，缺失时取自用户资料）",
        ),
        "users.tier_chart_title": ("Share of campaign buyers by city tier (%)", "各城市等级买家占比（%）"),
        "users.tier_note": (
            "Lower-tier cities (tier 3 and below) bring {share} of buyers with a known tier ({buyers} buyers).",
            "下沉市场（三线及以下）买家占已知等级买家的 {share}（{buyers} 人）。",
        ),
    }
)


# --- shared helpers ------------------------------------------------------------------------------------
def _get(df: pd.DataFrame, col: str, **where):
    """The single value of ``col`` in the row matching ``where``; None when there is no such row."""
    mask = np.ones(len(df), dtype=bool)
    for k, v in where.items():
        mask &= (df[k] == v).to_numpy()
    rows = df.loc[mask, col]
    return rows.iloc[0] if len(rows) else None


def history(ctx: SectionContext) -> dict:
    """First and last order time in the data and whether the new-customer look-back is covered."""
    h = ctx.mart("users_history")
    first = pd.Timestamp(h["first_order_time"].iloc[0]) if len(h) else pd.NaT
    last = pd.Timestamp(h["last_order_time"].iloc[0]) if len(h) else pd.NaT
    days = ctx.params.settings.new_customer_lookback_days
    start = pd.Timestamp(ctx.params.start)
    have = (start - first.normalize()).days if not pd.isna(first) else 0
    return {
        "first": first,
        "last": last,
        "lookback_days": days,
        "history_days": max(have, 0),
        "covered": not pd.isna(first) and first.normalize() <= start - pd.Timedelta(days=days),
    }


def _type_label(ctx: SectionContext, kind: str) -> str:
    if kind == "new" and not history(ctx)["covered"]:
        return ctx.tr("users.type.new_seen")
    return ctx.tr(f"users.type.{kind}")


def _matured(ctx: SectionContext, window_days: int, last) -> bool:
    """A window counts as matured when the data has orders on (or after) its last day."""
    if pd.isna(last):
        return False
    last_day = pd.Timestamp(ctx.params.end) + pd.Timedelta(days=int(window_days))
    return pd.Timestamp(last).normalize() >= last_day


def retention_rates(ctx: SectionContext) -> pd.DataFrame:
    """Retention cohorts as rates: one row per cohort and customer type, one column per window.

    Columns: cohort, customer_type, buyers, then ``retained_<n>`` (counts) and ``rate_<n>`` (rates); a cell
    whose window extends past the last order in the data is NaN (not matured), never 0.
    """
    r = ctx.mart("users_retention")
    last = history(ctx)["last"]
    out = None
    for n in metrics.retention_windows(ctx.params):
        w = r[r["window_days"] == n].copy()
        ok = _matured(ctx, n, last)
        w[f"retained_{n}"] = w["retained"].astype("float64") if ok else np.nan
        w[f"rate_{n}"] = metrics.ratio_column(w["retained"], w["buyers"]) if ok else np.nan
        w = w[["cohort", "customer_type", "buyers", f"retained_{n}", f"rate_{n}"]]
        out = w if out is None else out.merge(w, on=["cohort", "customer_type", "buyers"], how="outer")
    order = {p.name: i for i, p in enumerate(ctx.params.phases)} | {"overall": 99}
    kinds = {"new": 0, "returning": 1, "all": 2}
    out = out.assign(_o=out["cohort"].map(order), _k=out["customer_type"].map(kinds))
    return out.sort_values(["_o", "_k"]).drop(columns=["_o", "_k"]).reset_index(drop=True)


def _member_rates(ctx: SectionContext) -> dict:
    if not ctx.has_mart("users_membership"):
        return {"member": None, "non_member": None}
    m = ctx.mart("users_membership").set_index("member_status")
    out = {}
    for k in ("member", "non_member"):
        out[k] = metrics.ratio(m.loc[k, "repeat_buyers"], m.loc[k, "buyers"]) if k in m.index else None
    return out


def _lower_tier_share(ctx: SectionContext):
    t = ctx.mart("users_city_tier")
    known = t[t["city_tier"] != "unknown"]
    return metrics.ratio(known.loc[known["city_tier"].isin(LOWER_TIERS), "buyers"].sum(), known["buyers"].sum())


def totals(ctx: SectionContext) -> dict:
    """Whole-campaign users figures computed from the marts (no recording)."""
    nr = ctx.mart("users_new_returning")
    new = _get(nr, "buyers", period="overall", customer_type="new")
    new_sales = _get(nr, "net_sales", period="overall", customer_type="new")
    out = {
        "new_customers": 0 if new is None else int(new),
        "new_customer_gmv_share": metrics.ratio(
            new_sales or 0, _get(nr, "net_sales", period="overall", customer_type="all")
        ),
        "repurchase_rate": metrics.ratio(
            _get(nr, "repeat_buyers", period="overall", customer_type="all"),
            _get(nr, "buyers", period="overall", customer_type="all"),
        ),
        "buyers": _get(nr, "buyers", period="overall", customer_type="all"),
    }
    n = ctx.params.settings.retention_days
    rr = retention_rates(ctx)
    out["retention_30d"] = _get(rr, f"rate_{n}", cohort="overall", customer_type="all")
    out["new_visitor_cvr"] = out["returning_visitor_cvr"] = None
    if ctx.has_mart("users_visitor_conversion"):
        v = ctx.mart("users_visitor_conversion")
        for kind in ("new", "returning"):
            out[f"{kind}_visitor_cvr"] = metrics.ratio(
                _get(v, "paying_visitors", period="overall", visitor_type=kind),
                _get(v, "visitors", period="overall", visitor_type=kind),
            )
    rates = _member_rates(ctx)
    out["member_repurchase_rate"] = rates["member"]
    out["nonmember_repurchase_rate"] = rates["non_member"]
    out["lower_tier_share"] = _lower_tier_share(ctx)
    return {k: (None if v is None or pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for k, v in out.items()}


# --- shown items ---------------------------------------------------------------------------------------
KPI_KEYS = (
    "new_customers",
    "new_customer_gmv_share",
    "new_visitor_cvr",
    "returning_visitor_cvr",
    "repurchase_rate",
    "retention_30d",
    "member_repurchase_rate",
    "nonmember_repurchase_rate",
    "lower_tier_share",
)


def figures(ctx: SectionContext) -> FigureSet:
    """The users figures the kit records (per phase where a benchmark can be per phase)."""
    out = FigureSet("users")
    t = totals(ctx)
    rr = retention_rates(ctx)
    n = ctx.params.settings.retention_days
    for key in KPI_KEYS:
        if key == "retention_30d":  # with its parts, so a year's roll-up can total it
            out.add(
                key,
                t[key],
                retained=_get(rr, f"retained_{n}", cohort="overall", customer_type="all"),
                buyers=_get(rr, "buyers", cohort="overall", customer_type="all"),
            )
        else:
            out.add(key, t[key])
    # per-phase segments: new customers by phase of first order, visitor conversion per phase,
    # retention by cohort (phase of first campaign order)
    acq = ctx.mart("users_acquisition")
    for ph in ctx.params.phases:
        first = acq[(acq["first_phase"] == ph.name) & (acq["customer_type"] == "new")]
        out.add("new_customers", int(first["buyers"].sum()), segment=ph.name)
        out.add(
            "retention_30d",
            _get(rr, f"rate_{n}", cohort=ph.name, customer_type="all"),
            segment=ph.name,
            retained=_get(rr, f"retained_{n}", cohort=ph.name, customer_type="all"),
            buyers=_get(rr, "buyers", cohort=ph.name, customer_type="all"),
        )
        if ctx.has_mart("users_visitor_conversion"):
            v = ctx.mart("users_visitor_conversion")
            for kind in ("new", "returning"):
                paying = _get(v, "paying_visitors", period=ph.name, visitor_type=kind)
                visitors = _get(v, "visitors", period=ph.name, visitor_type=kind)
                out.add(
                    f"{kind}_visitor_cvr",
                    metrics.ratio(paying, visitors),
                    segment=ph.name,
                    paying_visitors=paying,
                    visitors=visitors,
                )
    return out


@shows()
def kpi_table(ctx: SectionContext) -> Table:
    """Headline users figures, as the section recorded them."""
    h = history(ctx)
    names = {} if h["covered"] else {"new_customers": ctx.tr("users.first_seen_label")}
    # a retention window the data does not reach yet is no figure: the retention part says when it matures
    matured = _matured(ctx, ctx.params.settings.retention_days, h["last"])
    keys = [k for k in KPI_KEYS if k != "retention_30d" or matured]
    return ctx.figures_table({k: ctx.figure(k) for k in keys}, ctx.tr("users.kpis"), names=names)


@shows()
def history_note(ctx: SectionContext) -> Note:
    """Whether the orders data reaches back the whole new-customer look-back window (else: first seen)."""
    h = history(ctx)
    first = h["first"].strftime("%Y-%m-%d") if not pd.isna(h["first"]) else "n/a"
    if h["covered"]:
        return Note(ctx.tr("users.history_ok", days=h["lookback_days"], first=first))
    return Note(
        ctx.tr("users.history_short", first=first, have=h["history_days"], days=h["lookback_days"]),
        kind="warn",
    )


def _periods(ctx: SectionContext) -> list[str]:
    return [p.name for p in ctx.params.phases] + ["overall"]


@shows()
def new_vs_returning(ctx: SectionContext) -> Table:
    """New and returning buyers and their net sales per phase: who the campaign's money came from."""
    nr = ctx.mart("users_new_returning")
    rows = []
    for per in _periods(ctx):
        row = {"period": per}
        for kind in ("new", "returning"):
            row[f"{kind}_buyers"] = _get(nr, "buyers", period=per, customer_type=kind) or 0
            row[f"{kind}_sales"] = _get(nr, "net_sales", period=per, customer_type=kind) or 0.0
        row["guest_orders"] = _get(nr, "paid_orders", period=per, customer_type="guest") or 0
        row["guest_sales"] = _get(nr, "net_sales", period=per, customer_type="guest") or 0.0
        row["all_sales"] = _get(nr, "net_sales", period=per, customer_type="all") or 0.0
        rows.append(row)
    df = pd.DataFrame(rows)
    df["new_share"] = metrics.ratio_column(df["new_sales"], df["all_sales"])  # of the whole net sales, guests in
    if not df["guest_orders"].any():
        df = df.drop(columns=["guest_orders", "guest_sales"])
    df = df.drop(columns=["all_sales"])
    df["new_spb"] = metrics.ratio_column(df["new_sales"], df["new_buyers"])
    df["returning_spb"] = metrics.ratio_column(df["returning_sales"], df["returning_buyers"])
    df["period"] = label_values(df["period"], "phase", ctx.lang)
    units = {
        "new_buyers": "count",
        "returning_buyers": "count",
        "new_sales": "money",
        "returning_sales": "money",
        "new_share": "pct",
        "new_spb": "money",
        "returning_spb": "money",
        "guest_orders": "count",
        "guest_sales": "money",
    }
    labels = {c: ctx.tr(f"users.col.{c}") for c in df.columns}
    labels["period"] = ctx.tr("users.col.period")
    if not history(ctx)["covered"]:
        labels["new_buyers"] = _type_label(ctx, "new")
    return ctx.table(df, units, labels=labels, title=ctx.tr("users.new_returning_title"))


@shows()
def acquisition_chart(ctx: SectionContext) -> charts.Chart:
    """New and returning campaign buyers by the channel of their first campaign order (top N + other)."""
    acq = ctx.mart("users_acquisition")
    wide = acq.pivot_table(
        index="first_channel", columns="customer_type", values="buyers", aggfunc="sum", fill_value=0
    ).reset_index()
    for kind in ("new", "returning"):
        if kind not in wide:
            wide[kind] = 0
    wide["total"] = wide["new"] + wide["returning"]
    top = charts.top_n_other(wide, "first_channel", ["total", "new", "returning"], ctx.params.settings.top_n, ctx.lang)
    top["first_channel"] = label_values(top["first_channel"], "channel", ctx.lang)
    hue = ctx.tr("users.col.type")
    long = top.melt(id_vars="first_channel", value_vars=["new", "returning"], var_name=hue, value_name="buyers")
    long[hue] = [_type_label(ctx, k) for k in long[hue]]
    chart = charts.bar(
        long,
        "first_channel",
        "buyers",
        hue=hue,
        title=ctx.tr("users.acquisition_title"),
        unit="count",
        lang=ctx.lang,
        currency=ctx.currency,
        xlabel=ctx.tr("users.axis.buyers"),
    )
    if isinstance(chart, Omitted):  # nothing to draw: the line says so
        return chart
    sns.move_legend(chart.figure.axes[0], "center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return chart


@shows()
def visitor_conversion(ctx: SectionContext) -> Table | Note:
    """First-order conversion of new visitors against returning customers' conversion, per phase."""
    if not ctx.has_mart("users_visitor_conversion"):
        return Note(ctx.tr("users.no_events"))
    v = ctx.mart("users_visitor_conversion")
    rows = []
    for per in _periods(ctx):
        row = {"period": per}
        for kind in ("new", "returning"):
            row[f"{kind}_visitors"] = _get(v, "visitors", period=per, visitor_type=kind) or 0
            row[f"{kind}_paying"] = _get(v, "paying_visitors", period=per, visitor_type=kind) or 0
            row[f"{kind}_cvr"] = metrics.ratio(row[f"{kind}_paying"], row[f"{kind}_visitors"])
        rows.append(row)
    df = pd.DataFrame(rows)
    df["period"] = label_values(df["period"], "phase", ctx.lang)
    units = {c: ("pct" if c.endswith("cvr") else "count") for c in df.columns if c != "period"}
    labels = {c: ctx.tr(f"users.col.{c}") for c in df.columns}
    labels["period"] = ctx.tr("users.col.period")
    return ctx.table(df, units, labels=labels, title=ctx.tr("users.visitor_title"))


@shows()
def repurchase(ctx: SectionContext) -> Table:
    """Buyers with two or more paid orders within the campaign, for new, returning and all buyers."""
    nr = ctx.mart("users_new_returning")
    o = nr[nr["period"] == "overall"].set_index("customer_type").reindex(["new", "returning", "all"]).dropna(how="all")
    df = pd.DataFrame(
        {
            "type": [_type_label(ctx, k) for k in o.index],
            "buyers": o["buyers"].to_numpy(),
            "repeat_buyers": o["repeat_buyers"].to_numpy(),
            "repurchase": metrics.ratio_column(o["repeat_buyers"], o["buyers"]).to_numpy(),
            "paid_orders": o["paid_orders"].to_numpy(),
            "net_sales": o["net_sales"].to_numpy(),
        }
    )
    units = {
        "buyers": "count",
        "repeat_buyers": "count",
        "repurchase": "pct",
        "paid_orders": "count",
        "net_sales": "money",
    }
    return ctx.table(
        df,
        units,
        labels={c: ctx.tr(f"users.col.{c}") for c in df.columns},
        title=ctx.tr("users.repurchase_title"),
    )


@shows()
def retention_cohort(ctx: SectionContext) -> Table:
    """Retention by cohort (phase of first campaign order) and customer type, for the windows that have matured.

    A window the data does not reach yet is left out, and one line says when it matures; with none matured,
    that line is all.
    """
    rr = retention_rates(ctx)
    last = history(ctx)["last"]
    every = metrics.retention_windows(ctx.params)
    windows = [n for n in every if _matured(ctx, n, last)]
    pending = [n for n in every if n not in windows]
    shown_last = last.strftime("%Y-%m-%d") if not pd.isna(last) else "n/a"
    note = ""
    if pending:
        days = "/".join(str(n) for n in pending)
        matures = (pd.Timestamp(ctx.params.end) + pd.Timedelta(days=max(pending))).strftime("%Y-%m-%d")
        note = ctx.tr("users.retention_pending", days=days, last=shown_last, matures=matures)
    if not windows:
        return ctx.note(note)
    df = pd.DataFrame(
        {
            "cohort": label_values(rr["cohort"], "phase", ctx.lang),
            "type": [_type_label(ctx, k) for k in rr["customer_type"]],
            "buyers": rr["buyers"].to_numpy(),
        }
    )
    for n in windows:
        df[f"rate_{n}"] = rr[f"rate_{n}"].to_numpy()
    units = {"buyers": "count"} | {f"rate_{n}": "pct" for n in windows}
    labels = {
        "cohort": ctx.tr("users.col.cohort"),
        "type": ctx.tr("users.col.type"),
        "buyers": ctx.tr("users.col.buyers"),
    } | {f"rate_{n}": ctx.tr("users.col.retained", n=n) for n in windows}
    return ctx.table(df, units, labels=labels, title=ctx.tr("users.retention_title"), note=note)


@shows()
def rfm_segments(ctx: SectionContext) -> Table:
    """Customers of the RFM look-back window scored 1-5 on recency, frequency and money, in named groups."""
    scored = metrics.rfm_scores(ctx.mart("users_rfm"))
    order = ["champions", "loyal", "promising", "at_risk", "hibernating"]
    g = scored.groupby("segment").agg(
        customers=("user_id", "count"),
        monetary=("monetary", "sum"),
        recency=("recency_days", "sum"),
        frequency=("frequency", "sum"),
    )
    g = g.reindex([s for s in order if s in g.index])
    df = pd.DataFrame(
        {
            "segment": [ctx.tr(f"users.rfm.{s}") for s in g.index],
            "customers": g["customers"].to_numpy(),
            "customer_share": metrics.share(g["customers"]).to_numpy(),
            "monetary": g["monetary"].to_numpy(),
            "monetary_share": metrics.share(g["monetary"]).to_numpy(),
            "spend_per_customer": metrics.ratio_column(g["monetary"], g["customers"]).to_numpy(),
            "avg_recency": metrics.ratio_column(g["recency"], g["customers"]).to_numpy(),
            "avg_frequency": metrics.ratio_column(g["frequency"], g["customers"]).to_numpy(),
        }
    )
    units = {
        "customers": "count",
        "customer_share": "pct",
        "monetary": "money",
        "monetary_share": "pct",
        "spend_per_customer": "money",
        "avg_recency": "ratio",
        "avg_frequency": "ratio",
    }
    return ctx.table(
        df,
        units,
        labels={c: ctx.tr(f"users.col.{c}") for c in df.columns},
        title=ctx.tr("users.rfm_title", days=ctx.params.settings.rfm_lookback_days),
    )


@shows()
def membership(ctx: SectionContext) -> Table | Note:
    """Repurchase of members vs non-members over the campaign plus the retention window."""
    if not ctx.has_mart("users_membership"):
        return Note(ctx.tr("users.no_users"))
    m = ctx.mart("users_membership").set_index("member_status")
    if not {"member", "non_member"} & set(m.index):  # e.g. users derived from orders: no member flag at all
        return Note(ctx.tr("users.no_users"))
    m = m.reindex([k for k in ("member", "non_member", "unknown") if k in m.index])
    df = pd.DataFrame(
        {
            "member": [ctx.tr(f"users.member.{k}") for k in m.index],
            "buyers": m["buyers"].to_numpy(),
            "repeat_buyers": m["repeat_buyers"].to_numpy(),
            "repurchase": metrics.ratio_column(m["repeat_buyers"], m["buyers"]).to_numpy(),
            "window_sales": m["net_sales"].to_numpy(),
            "spend_per_customer": metrics.ratio_column(m["net_sales"], m["buyers"]).to_numpy(),
        }
    )
    n = ctx.params.settings.retention_days
    last = history(ctx)["last"]
    note = (
        ""
        if _matured(ctx, n, last)
        else ctx.tr("users.member_partial", n=n, last=last.strftime("%Y-%m-%d") if not pd.isna(last) else "n/a")
    )
    units = {
        "buyers": "count",
        "repeat_buyers": "count",
        "repurchase": "pct",
        "window_sales": "money",
        "spend_per_customer": "money",
    }
    labels = {c: ctx.tr(f"users.col.{c}") for c in df.columns} | {"window_sales": ctx.tr("users.col.window_sales", n=n)}
    return ctx.table(df, units, labels=labels, title=ctx.tr("users.member_title", n=n), note=note)


def _tier_frame(ctx: SectionContext) -> pd.DataFrame:
    t = ctx.mart("users_city_tier")
    order = ["tier1", "tier2", "tier3", "tier4+"]
    t = t.assign(_o=[order.index(x) if x in order else len(order) for x in t["city_tier"]])
    return t.sort_values(["_o", "city_tier"]).drop(columns="_o").reset_index(drop=True)


def _tier_labels(ctx: SectionContext, tiers) -> list[str]:
    return label_values(tiers, "users.tier", ctx.lang)


@shows("order_city_tier|user_city_tier")
def city_tier(ctx: SectionContext) -> Table:
    """Campaign buyers and net sales by city tier, with shares among buyers of known tier."""
    t = _tier_frame(ctx)
    known = t["city_tier"] != "unknown"
    kb, ks = t.loc[known, "buyers"].sum(), t.loc[known, "net_sales"].sum()
    df = pd.DataFrame(
        {
            "tier": _tier_labels(ctx, t["city_tier"]),
            "buyers": t["buyers"].to_numpy(),
            "buyer_share": np.where(known, metrics.ratio_column(t["buyers"], pd.Series(kb, index=t.index)), np.nan),
            "net_sales": t["net_sales"].to_numpy(),
            "sales_share": np.where(known, metrics.ratio_column(t["net_sales"], pd.Series(ks, index=t.index)), np.nan),
        }
    )
    lower = t.loc[t["city_tier"].isin(LOWER_TIERS), "buyers"].sum()
    note = ctx.tr("users.tier_note", share=ctx.fmt(_lower_tier_share(ctx), "pct"), buyers=ctx.fmt(lower, "count"))
    units = {"buyers": "count", "buyer_share": "pct", "net_sales": "money", "sales_share": "pct"}
    return ctx.table(
        df,
        units,
        labels={c: ctx.tr(f"users.col.{c}") for c in df.columns},
        title=ctx.tr("users.tier_title"),
        note=note,
    )


@shows("order_city_tier|user_city_tier")
def city_tier_chart(ctx: SectionContext) -> charts.Chart:
    """Share of campaign buyers of known tier in each city tier."""
    t = _tier_frame(ctx)
    t = t[t["city_tier"] != "unknown"]
    df = pd.DataFrame({"tier": _tier_labels(ctx, t["city_tier"]), "share": metrics.share(t["buyers"]).to_numpy()})
    return charts.bar(
        df,
        "tier",
        "share",
        title=ctx.tr("users.tier_chart_title"),
        unit="pct",
        lang=ctx.lang,
        currency=ctx.currency,
        xlabel=ctx.tr("users.col.buyer_share"),
    )
