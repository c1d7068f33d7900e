"""Marketing section: spend and returns by channel, CAC, coupons, channel contribution, KOLs, budget.

Reads the marts of ``retro.marts.marketing``; every rate is recomputed from the mart's parts with
``retro.metrics`` at each level (channel, phase, overall). ROI subtracts the cost of goods of attributed
revenue when order lines with unit costs are available: attributed revenue x (campaign cost of goods /
campaign net merchandise sales with a known cost). With no spend, ROAS, ROI and CAC are "n/a".
``totals`` is shared with the goals section.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns

from .. import charts, metrics
from ..context import FigureSet, SectionContext, shows
from ..display import Note, Omitted, Table
from ..i18n import has, label_values, register

SUMS = ("spend", "impressions", "clicks", "attributed_orders", "attributed_revenue")

register(
    {
        "marketing.kpis": ("Marketing at a glance", "营销概览"),
        "marketing.col.figure": ("Figure", "指标"),
        "marketing.col.value": ("Value", "数值"),
        "marketing.col.channel": ("Channel", "渠道"),
        "marketing.col.period": ("Phase", "阶段"),
        "marketing.col.spend": ("Spend", "投入"),
        "marketing.col.impressions": ("Impressions", "曝光"),
        "marketing.col.clicks": ("Clicks", "点击"),
        "marketing.col.ctr": ("CTR", "点击率"),
        "marketing.col.attributed_orders": ("Attributed orders", "归因订单"),
        "marketing.col.ad_cvr": ("Orders / clicks", "转化率（订单/点击）"),
        "marketing.col.attributed_revenue": ("Attributed revenue", "归因销售额"),
        "marketing.col.roas": ("ROAS", "ROAS"),
        "marketing.col.roi": ("ROI", "ROI"),
        "marketing.col.new_customers": ("New customers", "新客数"),
        "marketing.col.cac": ("CAC", "获客成本"),
        "marketing.col.coupon_type": ("Coupon type", "券类型"),
        "marketing.col.coupons": ("Coupons", "券种数"),
        "marketing.col.issued": ("Issued", "发放张数"),
        "marketing.col.redeemed": ("Redeemed", "核销张数"),
        "marketing.col.redemption": ("Redemption rate", "核销率"),
        "marketing.col.cost": ("Cost (face value x redeemed)", "成本（面额×核销）"),
        "marketing.col.orders": ("Orders placed", "下单数"),
        "marketing.col.gmv": ("GMV", "GMV"),
        "marketing.col.gmv_share": ("Share of GMV", "GMV占比"),
        "marketing.col.net_sales": ("Net sales", "净销售额"),
        "marketing.col.net_share": ("Share of net sales", "净销售额占比"),
        "marketing.col.spend_share": ("Share of spend", "投入占比"),
        "marketing.col.placement": ("KOL", "达人"),
        "marketing.col.revenue_share": ("Share of KOL revenue", "占达人销售额比例"),
        "marketing.col.budget": ("Budget", "预算"),
        "marketing.col.utilisation": ("Spend / budget", "预算执行率"),
        "marketing.col.status": ("Note", "说明"),
        "marketing.total": ("Total", "合计"),
        "marketing.coupon.unknown": ("(type unknown)", "（类型未知）"),
        "marketing.series": ("Series", "口径"),
        "marketing.no_budget": ("no budget in the YAML", "YAML中无预算"),
        "marketing.over_budget": ("over budget", "超支"),
        "marketing.channel_title": (
            "Spend and returns by channel (new customers by channel of their first campaign order)",
            "分渠道投入与回报（新客按活动首单渠道归属）",
        ),
        "marketing.phase_title": ("Spend and returns by phase", "分阶段投入与回报"),
        "marketing.spend_chart_title": (
            "Spend vs attributed revenue by channel ({currency})",
            "分渠道投入与归因销售额（{currency}）",
        ),
        "marketing.roi_cogs": (
            "ROI subtracts cost of goods: attributed revenue x {ratio} (campaign cost of goods / "
            "net merchandise sales with a known unit cost).",
            "ROI已扣除商品成本：归因销售额 × {ratio}（活动期商品成本 / 有成本的商品净销售额）。",
        ),
        "marketing.roi_no_cogs": (
            "ROI is computed without cost of goods: the data has no order lines with unit costs.",
            "ROI未扣除商品成本：数据中没有带单位成本的订单行。",
        ),
        "marketing.no_orders": (
            "CAC is not shown: the campaign's data has no orders table to count new customers.",
            "未展示获客成本：本次活动数据未提供 orders 表，无法统计新客。",
        ),
        "marketing.no_coupons": (
            "Not shown: the campaign's data has no coupons table.",
            "未展示：本次活动数据未提供 coupons 表。",
        ),
        "marketing.coupons_title": ("Coupon issue, redemption and cost", "优惠券发放、核销与成本"),
        "marketing.coupons_counted": (
            "Redemptions of {n} coupon(s) with no redeemed count were counted from paid "
            "campaign orders carrying the coupon id.",
            "{n} 种券未提供核销数，按活动期已支付订单上的券ID计数。",
        ),
        "marketing.contribution_title": (
            "Channel contribution to GMV (orders placed in the campaign window)",
            "渠道GMV贡献（活动期下单）",
        ),
        "marketing.contribution_chart_title": (
            "Share of campaign GMV by order channel (%)",
            "各渠道GMV占比（%）",
        ),
        "marketing.no_kol": (
            "No KOL placement (is_kol) in the marketing data.",
            "营销数据中没有达人投放（is_kol）。",
        ),
        "marketing.kol_chart_title": (
            "Attributed revenue of the top {n} KOLs ({currency})",
            "前{n}名达人归因销售额（{currency}）",
        ),
        "marketing.kol_title": (
            "Top {n} KOLs: the largest brings {share} of KOL attributed revenue",
            "前{n}名达人：头部达人贡献达人归因销售额的 {share}",
        ),
        "marketing.budget_title": ("Budget vs actual spend by channel", "分渠道预算执行"),
        "marketing.no_budget_at_all": (
            "No budget in the YAML: add a `budget:` per channel to compare.",
            "YAML未设置预算：按渠道填写 `budget:` 后可对比执行情况。",
        ),
    }
)


# --- parts and totals ----------------------------------------------------------------------------------
def _by_channel(ctx: SectionContext) -> pd.DataFrame:
    """Spend parts summed over phases, one row per channel."""
    m = ctx.mart("marketing_by_channel")
    return m.groupby("channel", as_index=False)[list(SUMS)].sum(min_count=1)


def cogs_ratio(ctx: SectionContext) -> float | None:
    """Campaign cost of goods / net merchandise sales with a known unit cost; None when unknown."""
    if not ctx.has_mart("marketing_cogs"):
        return None
    c = ctx.mart("marketing_cogs")
    if c.empty:
        return None
    return metrics.ratio(c["cogs"].iloc[0], c["costed_sales"].iloc[0])


def _rates(df: pd.DataFrame, cogs: float | None) -> pd.DataFrame:
    """CTR, ad CVR, ROAS and ROI as columns, recomputed from the parts of each row."""
    out = df.copy()
    out["ctr"] = metrics.ratio_column(out["clicks"], out["impressions"])
    out["ad_cvr"] = metrics.ratio_column(out["attributed_orders"], out["clicks"])
    out["roas"] = metrics.ratio_column(out["attributed_revenue"], out["spend"])
    goods = out["attributed_revenue"] * cogs if cogs is not None else 0.0
    out["roi"] = metrics.ratio_column(out["attributed_revenue"] - out["spend"] - goods, out["spend"])
    return out


def _new_customers(ctx: SectionContext) -> pd.DataFrame | None:
    return ctx.mart("marketing_new_customers") if ctx.has_mart("marketing_new_customers") else None


def _budget_rows(ctx: SectionContext) -> pd.DataFrame:
    budget = ctx.params.budget
    ch = _by_channel(ctx)
    spend = dict(zip(ch["channel"], ch["spend"].fillna(0.0), strict=True))
    channels = list(budget) + sorted(c for c in spend if c not in budget)
    df = pd.DataFrame(
        {
            "channel": channels,
            "budget": [budget.get(c, np.nan) for c in channels],
            "spend": [spend.get(c, 0.0) for c in channels],
        }
    )
    df["utilisation"] = metrics.ratio_column(df["spend"], df["budget"])
    return df


def _kol(ctx: SectionContext) -> pd.DataFrame:
    k = ctx.mart("marketing_kol")
    g = k.groupby("placement", as_index=False)[list(SUMS)].sum(min_count=1)
    return g.sort_values(["attributed_revenue", "placement"], ascending=[False, True]).reset_index(drop=True)


def totals(ctx: SectionContext) -> dict:
    """Whole-campaign marketing figures computed from the marts (no recording)."""
    ch = _by_channel(ctx)
    s = {c: (ch[c].sum(min_count=1) if len(ch) else None) for c in SUMS}
    s = {c: (None if v is None or pd.isna(v) else float(v)) for c, v in s.items()}
    spend, rev = s["spend"] or 0.0, s["attributed_revenue"]
    ratio = cogs_ratio(ctx)
    nc = _new_customers(ctx)
    new = int(nc["new_customers"].sum()) if nc is not None else None
    out = dict(s)
    out.update(
        {
            "spend": spend,
            "roas": metrics.roas(rev, spend),
            "roi": metrics.roi(rev, spend, rev * ratio if (ratio is not None and rev is not None) else None),
            "cac": metrics.cac(spend, new),
            "new_customers": new,
            "ctr": metrics.ratio(s["clicks"], s["impressions"]),
            "ad_cvr": metrics.ratio(s["attributed_orders"], s["clicks"]),
            "coupon_redemption_rate": None,
            "coupon_cost": None,
            "top_kol_share": None,
            "budget_utilisation": None,
        }
    )
    if ctx.has_mart("marketing_coupons"):
        c = ctx.mart("marketing_coupons")
        redeemed = c["redeemed"].sum(min_count=1)
        out["coupon_redemption_rate"] = metrics.ratio(None if pd.isna(redeemed) else redeemed, c["issued_known"].sum())
        cost = c["cost"].sum(min_count=1)
        out["coupon_cost"] = None if pd.isna(cost) else float(cost)
    kol = _kol(ctx)
    if len(kol):
        out["top_kol_share"] = metrics.ratio(kol["attributed_revenue"].max(), kol["attributed_revenue"].sum())
    if ctx.params.budget:
        b = _budget_rows(ctx)
        b = b[b["budget"].notna()]
        out["budget_utilisation"] = metrics.ratio(b["spend"].sum(), b["budget"].sum())
    return out


# --- shown items ---------------------------------------------------------------------------------------
KPI_KEYS = (
    "spend",
    "roas",
    "roi",
    "cac",
    "ctr",
    "ad_cvr",
    "coupon_redemption_rate",
    "coupon_cost",
    "top_kol_share",
    "budget_utilisation",
)


def figures(ctx: SectionContext) -> FigureSet:
    """The marketing figures the kit records: overall, per channel and per phase (benchmarks by segment)."""
    out = FigureSet("marketing")
    t = totals(ctx)
    out.add("spend", t["spend"])
    out.add("roas", t["roas"], attributed_revenue=t["attributed_revenue"], spend=t["spend"])
    out.add("roi", t["roi"], attributed_revenue=t["attributed_revenue"], spend=t["spend"])
    out.add("cac", t["cac"], spend=t["spend"], new_customers=t["new_customers"])
    for key in KPI_KEYS[4:]:
        out.add(key, t[key])
    rows = channel_rows(ctx)
    for r in rows.itertuples():
        if r.channel == "overall":
            continue
        out.add("spend", r.spend, segment=r.channel)
        out.add("roas", r.roas, segment=r.channel, attributed_revenue=r.attributed_revenue, spend=r.spend)
        out.add("roi", r.roi, segment=r.channel)
        out.add("ctr", r.ctr, segment=r.channel, clicks=r.clicks, impressions=r.impressions)
        out.add("ad_cvr", r.ad_cvr, segment=r.channel, attributed_orders=r.attributed_orders, clicks=r.clicks)
        if "cac" in rows:
            out.add("cac", r.cac, segment=r.channel, spend=r.spend, new_customers=r.new_customers)
    for r in phase_rows(ctx).itertuples():
        if r.period != "overall":
            out.add("spend", r.spend, segment=r.period)
            out.add("roas", r.roas, segment=r.period, attributed_revenue=r.attributed_revenue, spend=r.spend)
            out.add("roi", r.roi, segment=r.period)
    if ctx.params.budget:
        for r in _budget_rows(ctx).itertuples():
            if not pd.isna(r.budget):
                out.add("budget_utilisation", r.utilisation, segment=r.channel, spend=r.spend, budget=r.budget)
    return out


@shows()
def kpi_table(ctx: SectionContext) -> Table:
    """Headline marketing figures, as the section recorded them."""
    return ctx.figures_table({k: ctx.figure(k) for k in KPI_KEYS}, ctx.tr("marketing.kpis"))


def channel_rows(ctx: SectionContext) -> pd.DataFrame:
    """Parts and rates per channel plus an 'overall' row (rates recomputed from the summed parts)."""
    ch = _by_channel(ctx)
    nc = _new_customers(ctx)
    if nc is not None:
        ch = ch.merge(nc[["channel", "new_customers"]], on="channel", how="outer")
        ch["spend"] = ch["spend"].fillna(0.0)
        ch["new_customers"] = ch["new_customers"].fillna(0)
    total = {"channel": "overall", **{c: ch[c].sum(min_count=1) for c in ch.columns if c != "channel"}}
    ch = ch.sort_values("spend", ascending=False, kind="stable")
    df = _rates(pd.concat([ch, pd.DataFrame([total])], ignore_index=True), cogs_ratio(ctx))
    if nc is not None:
        df["cac"] = [metrics.cac(s, n) for s, n in zip(df["spend"], df["new_customers"], strict=True)]
        df["cac"] = df["cac"].astype("float64")
    return df


def phase_rows(ctx: SectionContext) -> pd.DataFrame:
    """Parts and rates per phase plus an 'overall' row."""
    m = ctx.mart("marketing_by_channel")
    g = m.groupby("period", as_index=False)[list(SUMS)].sum(min_count=1)
    order = [p.name for p in ctx.params.phases]
    g = g.set_index("period").reindex([p for p in order if p in set(g["period"])]).reset_index()
    total = {"period": "overall", **{c: g[c].sum(min_count=1) for c in SUMS}}
    return _rates(pd.concat([g, pd.DataFrame([total])], ignore_index=True), cogs_ratio(ctx))


def _channel_names(ctx: SectionContext, codes) -> list[str]:
    return [
        ctx.tr("marketing.total") if c == "overall" else n
        for c, n in zip(codes, label_values(codes, "channel", ctx.lang), strict=True)
    ]


@shows()
def channel_table(ctx: SectionContext) -> Table:
    """Spend, reach and returns per channel, volumes beside every rate, and CAC by first-order channel."""
    df = channel_rows(ctx)
    cols = [
        "channel",
        "spend",
        "impressions",
        "clicks",
        "ctr",
        "attributed_orders",
        "ad_cvr",
        "attributed_revenue",
        "roas",
        "roi",
    ] + (["new_customers", "cac"] if "cac" in df else [])
    df = df[cols].assign(channel=_channel_names(ctx, df["channel"]))
    units = {
        "spend": "money",
        "impressions": "count",
        "clicks": "count",
        "ctr": "pct",
        "attributed_orders": "count",
        "ad_cvr": "pct",
        "attributed_revenue": "money",
        "roas": "ratio",
        "roi": "ratio",
        "new_customers": "count",
        "cac": "money",
    }
    units = {k: v for k, v in units.items() if k in df}
    return ctx.table(
        df,
        units,
        labels={c: ctx.tr(f"marketing.col.{c}") for c in df.columns},
        title=ctx.tr("marketing.channel_title"),
    )


@shows()
def phase_table(ctx: SectionContext) -> Table:
    """Spend and returns per phase: whether the warm-up money paid back in the burst shows here."""
    df = phase_rows(ctx)
    df = df[
        [
            "period",
            "spend",
            "impressions",
            "clicks",
            "ctr",
            "attributed_orders",
            "attributed_revenue",
            "roas",
            "roi",
        ]
    ].assign(period=label_values(df["period"], "phase", ctx.lang))
    units = {
        "spend": "money",
        "impressions": "count",
        "clicks": "count",
        "ctr": "pct",
        "attributed_orders": "count",
        "attributed_revenue": "money",
        "roas": "ratio",
        "roi": "ratio",
    }
    return ctx.table(
        df,
        units,
        labels={c: ctx.tr(f"marketing.col.{c}") for c in df.columns},
        title=ctx.tr("marketing.phase_title"),
    )


@shows()
def roi_note(ctx: SectionContext) -> Note:
    """Whether ROI includes cost of goods, and at what ratio; or why CAC is missing."""
    ratio = cogs_ratio(ctx)
    text = (
        ctx.tr("marketing.roi_cogs", ratio=ctx.fmt(ratio, "pct"))
        if ratio is not None
        else ctx.tr("marketing.roi_no_cogs")
    )
    if _new_customers(ctx) is None:
        text += " " + ctx.tr("marketing.no_orders")
    return Note(text)


@shows()
def spend_chart(ctx: SectionContext) -> charts.Chart:
    """Spend next to attributed revenue per channel: the gap is the channel's return."""
    ch = _by_channel(ctx)
    top = charts.top_n_other(ch, "channel", ["spend", "attributed_revenue"], ctx.params.settings.top_n, ctx.lang)
    top["channel"] = label_values(top["channel"], "channel", ctx.lang)
    hue = ctx.tr("marketing.series")
    long = top.melt(id_vars="channel", value_vars=["spend", "attributed_revenue"], var_name=hue, value_name="value")
    long[hue] = [ctx.tr(f"marketing.col.{k}") for k in long[hue]]
    chart = charts.bar(
        long,
        "channel",
        "value",
        hue=hue,
        title=ctx.tr("marketing.spend_chart_title", currency=ctx.currency),
        unit="money",
        lang=ctx.lang,
        currency=ctx.currency,
    )
    if isinstance(chart, Omitted):  # nothing to draw: the line says so
        return chart
    sns.move_legend(chart.figure.axes[0], "center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return chart


@shows()
def coupons(ctx: SectionContext) -> Table | Note:
    """Coupons issued, redeemed and what they cost, by coupon type."""
    if not ctx.has_mart("marketing_coupons"):
        return Note(ctx.tr("marketing.no_coupons"))
    c = ctx.mart("marketing_coupons")
    total = {
        "coupon_type": ctx.tr("marketing.total"),
        **{k: c[k].sum(min_count=1) for k in ("coupons", "issued", "issued_known", "redeemed", "cost")},
    }
    df = pd.concat([c, pd.DataFrame([total])], ignore_index=True)
    df["coupon_type"] = [
        ctx.tr(f"marketing.coupon.{x}") if has(f"marketing.coupon.{x}") else x for x in df["coupon_type"]
    ]
    df = df[["coupon_type", "coupons", "issued", "redeemed", "cost"]].assign(
        redemption=metrics.ratio_column(df["redeemed"], df["issued_known"])
    )
    df = df[["coupon_type", "coupons", "issued", "redeemed", "redemption", "cost"]]
    counted = int(c["counted_from_orders"].sum())
    note = ctx.tr("marketing.coupons_counted", n=counted) if counted else ""
    units = {"coupons": "count", "issued": "count", "redeemed": "count", "redemption": "pct", "cost": "money"}
    return ctx.table(
        df,
        units,
        labels={k: ctx.tr(f"marketing.col.{k}") for k in df.columns},
        title=ctx.tr("marketing.coupons_title"),
        note=note,
    )


def _contribution(ctx: SectionContext) -> pd.DataFrame:
    g = ctx.mart("marketing_channel_gmv")
    ch = _by_channel(ctx)[["channel", "spend"]]
    g = g.merge(ch, on="channel", how="left")
    g["gmv_share"] = metrics.share(g["gmv"])
    g["net_share"] = metrics.share(g["net_sales"])
    g["spend_share"] = metrics.share(g["spend"].fillna(0.0))
    return g.sort_values("gmv", ascending=False, kind="stable").reset_index(drop=True)


@shows()
def channel_contribution(ctx: SectionContext) -> Table | Note:
    """Each order channel's GMV and net sales and its share, beside its share of spend."""
    if not ctx.has_mart("marketing_channel_gmv"):
        return ctx.once("marketing.no_orders", ctx.tr("marketing.no_orders"))
    g = _contribution(ctx)
    df = pd.DataFrame(
        {
            "channel": label_values(g["channel"], "channel", ctx.lang),
            "orders": g["orders"],
            "gmv": g["gmv"],
            "gmv_share": g["gmv_share"],
            "net_sales": g["net_sales"],
            "net_share": g["net_share"],
            "spend_share": g["spend_share"],
        }
    )
    units = {
        "orders": "count",
        "gmv": "money",
        "gmv_share": "pct",
        "net_sales": "money",
        "net_share": "pct",
        "spend_share": "pct",
    }
    return ctx.table(
        df,
        units,
        labels={c: ctx.tr(f"marketing.col.{c}") for c in df.columns},
        title=ctx.tr("marketing.contribution_title"),
    )


@shows()
def channel_contribution_chart(ctx: SectionContext) -> charts.Chart | Note:
    """Share of campaign GMV per order channel (top N plus other)."""
    if not ctx.has_mart("marketing_channel_gmv"):
        return ctx.once("marketing.no_orders", ctx.tr("marketing.no_orders"))
    g = _contribution(ctx)
    top = charts.top_n_other(g, "channel", ["gmv_share", "gmv"], ctx.params.settings.top_n, ctx.lang)
    top["channel"] = label_values(top["channel"], "channel", ctx.lang)
    return charts.bar(
        top,
        "channel",
        "gmv_share",
        title=ctx.tr("marketing.contribution_chart_title"),
        unit="pct",
        lang=ctx.lang,
        currency=ctx.currency,
        xlabel=ctx.tr("marketing.col.gmv_share"),
    )


@shows()
def kol_chart(ctx: SectionContext) -> charts.Chart | Note:
    """Attributed revenue of the top N KOLs and the rest as "other": how much rides on one influencer."""
    kol = _kol(ctx)
    if kol.empty:
        return ctx.once("marketing.no_kol", ctx.tr("marketing.no_kol"))
    n = ctx.params.settings.top_n
    top = charts.top_n_other(kol, "placement", ["attributed_revenue", "spend"], n, ctx.lang)
    return charts.bar(
        top,
        "placement",
        "attributed_revenue",
        title=ctx.tr("marketing.kol_chart_title", n=n, currency=ctx.currency),
        unit="money",
        lang=ctx.lang,
        currency=ctx.currency,
        xlabel=ctx.tr("marketing.col.attributed_revenue"),
    )


@shows()
def kol_table(ctx: SectionContext) -> Table | Note:
    """The top N KOLs with spend, revenue, ROAS and share of all KOL revenue."""
    kol = _kol(ctx)
    if kol.empty:
        return ctx.once("marketing.no_kol", ctx.tr("marketing.no_kol"))
    n = ctx.params.settings.top_n
    kol = _rates(kol, cogs_ratio(ctx))
    kol["revenue_share"] = metrics.share(kol["attributed_revenue"])
    df = kol.head(n)[["placement", "spend", "attributed_orders", "attributed_revenue", "revenue_share", "roas"]]
    units = {
        "spend": "money",
        "attributed_orders": "count",
        "attributed_revenue": "money",
        "revenue_share": "pct",
        "roas": "ratio",
    }
    share = ctx.fmt(totals(ctx)["top_kol_share"], "pct")
    return ctx.table(
        df,
        units,
        labels={c: ctx.tr(f"marketing.col.{c}") for c in df.columns},
        title=ctx.tr("marketing.kol_title", n=n, share=share),
    )


@shows()
def budget_table(ctx: SectionContext) -> Table | Note:
    """Budget vs actual spend per channel; channels without a budget say so."""
    if not ctx.params.budget:
        return Note(ctx.tr("marketing.no_budget_at_all"))
    b = _budget_rows(ctx)
    status = [
        ctx.tr("marketing.no_budget")
        if pd.isna(r.budget)
        else (ctx.tr("marketing.over_budget") if r.spend > r.budget else "")
        for r in b.itertuples()
    ]
    budgeted = b[b["budget"].notna()]
    total = {"channel": "overall", "budget": budgeted["budget"].sum(), "spend": budgeted["spend"].sum()}
    total["utilisation"] = metrics.ratio(total["spend"], total["budget"])
    df = pd.concat([b, pd.DataFrame([total])], ignore_index=True)
    df = df.assign(channel=_channel_names(ctx, df["channel"]), status=status + [""])
    df["utilisation"] = df["utilisation"].astype("float64")
    units = {"budget": "money", "spend": "money", "utilisation": "pct"}
    return ctx.table(
        df,
        units,
        labels={c: ctx.tr(f"marketing.col.{c}") for c in df.columns},
        title=ctx.tr("marketing.budget_title"),
    )
