"""Sales section: gross vs net, daily and hourly curves, presale, basket, categories, SKUs, margin.

Reads the marts of ``retro.marts.sales``; every ratio is computed from the mart's parts with
``retro.metrics``. ``totals`` is shared with the goals section so both show the same numbers.
"""

from __future__ import annotations

import pandas as pd

from .. import charts, metrics
from .. import formatting as fmt
from ..comparison import align_daily, phases_of
from ..context import FigureSet, SectionContext, shows
from ..display import Note, Table
from ..i18n import UNKNOWN, label_values, register, sentences

register(
    {
        "sales.kpis": ("Sales at a glance", "销售概览"),
        "sales.gross_net_title": ("Gross vs net by phase", "分阶段GMV与净销售额"),
        "sales.col.phase": ("Phase", "阶段"),
        "sales.col.orders": ("Orders placed", "下单数"),
        "sales.col.gmv": ("GMV", "GMV"),
        "sales.col.paid_orders": ("Paid orders", "支付订单"),
        "sales.col.net_sales": ("Net sales", "净销售额"),
        "sales.col.lost_gmv": ("Cancelled / refunded", "取消/退款金额"),
        "sales.col.pending_gmv": ("Unpaid (pending)", "待付款金额"),
        "sales.col.freight": ("Freight (in net sales)", "运费（含于净销售额）"),
        "sales.col.aov": ("AOV", "笔单价"),
        "sales.col.buyers": ("Buyers", "买家数"),
        "sales.col.spend_per_buyer": ("Spend per buyer", "客单价"),
        "sales.col.units": ("Units", "件数"),
        "sales.col.share": ("Share of net sales", "净销售额占比"),
        "sales.col.cogs": ("Cost of goods", "商品成本"),
        "sales.col.gross_profit": ("Gross profit", "毛利"),
        "sales.col.margin": ("Gross margin", "毛利率"),
        "sales.col.name": ("Product", "商品"),
        "sales.col.launch_date": ("Launched", "上市日期"),
        "sales.col.sold_out": ("Sold out at", "售罄时间"),
        "sales.col.period": ("Period", "时期"),
        "sales.col.attach": ("Units per paid order", "连带率（件/单）"),
        "sales.col.figure": ("Figure", "指标"),
        "sales.col.value": ("Value", "数值"),
        "sales.daily_title": (
            "Daily GMV and net sales ({currency}, by order date)",
            "每日GMV与净销售额（{currency}，按下单日）",
        ),
        "sales.daily_title_vs": (
            "Daily GMV and net sales ({currency}) against {labels}, by phase day",
            "每日GMV与净销售额（{currency}）对比{labels}，按阶段内天数对齐",
        ),
        "sales.hourly_title": (
            "Hourly GMV over the campaign (by order time)",
            "活动期逐小时GMV（按下单时间）",
        ),
        "sales.peak_note": (
            "Peak hour: {hour}, GMV {gmv} ({share} of campaign GMV).",
            "峰值小时：{hour}，GMV {gmv}（占活动GMV的{share}）。",
        ),
        "sales.presale_note": (
            "Presale orders brought {value} of net sales, {share} of the total.",
            "预售订单贡献净销售额 {value}，占比 {share}。",
        ),
        "sales.attach_note": (
            "Units per paid order: {campaign} in the campaign vs {baseline} on baseline days ({change}).",
            "连带率：活动期 {campaign} 件/单，日常 {baseline} 件/单（{change}）。",
        ),
        "sales.category_title": ("Net sales by category (top {n})", "品类净销售额（前{n}）"),
        "sales.sku_title": ("Top {n} SKUs by net sales", "净销售额前{n}的SKU"),
        "sales.new_title": ("New products launched in the 30 days before the campaign", "活动前30天上新商品"),
        "sales.none_new": (
            "No product was launched in the 30 days before the campaign.",
            "活动前30天没有上新商品。",
        ),
        "sales.margin_title": ("Gross margin by category", "品类毛利"),
        "sales.freight_note": (
            "Net sales include {value} of freight charged to buyers ({share} of net sales): the category and "
            "product figures count the order lines only, without it.",
            "净销售额含买家支付的运费 {value}（占净销售额 {share}）：品类与商品数据仅按订单明细计算，不含运费。",
        ),
        "sales.excluded_note": (
            "{lines} non-merchandise lines ({value}) are excluded from product rankings: {skus}.",
            "{lines} 条非商品行（{value}）未计入商品排名：{skus}。",
        ),
        "sales.col.province": ("Province", "省份"),
        "sales.province_title": ("Net sales by buyer province (top {n})", "分省份净销售额（前{n}）"),
        "sales.no_province": ("No province on the order", "订单无省份"),
        "sales.province_note": (
            "Shares are of the campaign's net sales ({total}); orders by the buyer's province on the order.",
            "占比的分母为活动期净销售额（{total}）；按订单上的买家省份统计。",
        ),
        "sales.province_rest": (
            "{k} other provinces ({value}, {share}) are not listed.",
            "其余 {k} 个省份（{value}，占 {share}）未列出。",
        ),
        "sales.province_rest_one": (
            "1 other province ({value}, {share}) is not listed.",
            "其余 1 个省份（{value}，占 {share}）未列出。",
        ),
        "sales.campaign": ("Campaign", "活动期"),
        "sales.baseline": ("Baseline", "日常"),
        "sales.axis.gmv": ("GMV", "GMV"),
        "sales.series.gmv": ("GMV", "GMV"),
        "sales.series.net": ("Net sales", "净销售额"),
        "sales.series": ("Series", "口径"),
    }
)


def totals(ctx: SectionContext) -> dict:
    """Whole-campaign sales figures computed from the marts (no recording)."""
    per = ctx.mart("sales_by_period").set_index("period")
    o = per.loc["overall"] if "overall" in per.index else pd.Series(dtype="float64")
    get = lambda k: o.get(k) if len(o) else None  # noqa: E731
    out = {
        "gmv": get("gmv"),
        "net_sales": get("net_sales"),
        "orders": get("orders"),
        "paid_orders": get("paid_orders"),
        "buyers": get("buyers"),
        "aov": metrics.aov(get("net_sales"), get("paid_orders")),
        "spend_per_buyer": metrics.spend_per_buyer(get("net_sales"), get("buyers")),
        "refund_rate": metrics.ratio(get("lost_gmv"), get("gmv")),
        "presale_share": metrics.ratio(get("presale_net_sales"), get("net_sales")),
    }
    if "baseline" in per.index:
        b = per.loc["baseline"]
        out["baseline_daily_gmv"] = metrics.ratio(b["gmv"], b["days"])
        out["campaign_daily_gmv"] = metrics.ratio(get("gmv"), get("days"))
    return out


KPI_KEYS = (
    "gmv",
    "net_sales",
    "orders",
    "paid_orders",
    "buyers",
    "aov",
    "spend_per_buyer",
    "refund_rate",
    "presale_share",
)


def figures(ctx: SectionContext) -> FigureSet:
    """The sales figures the kit records: the headline ones, attach rate, gross profit and margin, peak hour."""
    t = totals(ctx)
    out = FigureSet("sales")
    for key in KPI_KEYS:
        out.add(key, t[key])
    basket = ctx.mart("sales_basket").set_index("period")
    if "campaign" in basket.index:
        c = basket.loc["campaign"]
        out.add("attach_rate", metrics.ratio(c["units"], c["orders"]))
    cat = ctx.mart("sales_by_category")
    if len(cat):
        costed, cogs = cat["costed_sales"].sum(), cat["cogs"].sum()
        out.add("gross_profit", costed - cogs if costed else None)
        out.add("gross_margin", metrics.ratio(costed - cogs, costed))
    hourly = ctx.mart("sales_hourly")
    if len(hourly) and ctx.has("order_times"):  # date-only data has no hours: every order at midnight
        out.add("peak_hour_share", metrics.ratio(hourly["gmv"].max(), hourly["gmv"].sum()))
    return out


@shows()
def kpi_table(ctx: SectionContext) -> Table:
    """Headline sales figures, as the section recorded them, shown with their definitions' names."""
    shown = {f.key: f.value for f in ctx.figures if f.segment is None}
    return ctx.figures_table(shown, ctx.tr("sales.kpis"))


@shows()
def gross_vs_net(ctx: SectionContext) -> Table:
    """Orders, GMV, net sales and AOV per phase and overall; the gap between gross and net is visible."""
    per = ctx.mart("sales_by_period")
    order = [p.name for p in ctx.params.phases] + ["overall", "baseline"]
    per = per[per["period"].isin(order)].set_index("period").reindex([p for p in order if p in set(per["period"])])
    df = pd.DataFrame(
        {
            "phase": label_values(per.index, "phase", ctx.lang),
            "orders": per["orders"].to_numpy(),
            "gmv": per["gmv"].to_numpy(),
            "lost_gmv": per["lost_gmv"].to_numpy(),
            "paid_orders": per["paid_orders"].to_numpy(),
            "net_sales": per["net_sales"].to_numpy(),
            "aov": metrics.ratio_column(per["net_sales"], per["paid_orders"]).to_numpy(),
            "buyers": per["buyers"].to_numpy(),
            "spend_per_buyer": metrics.ratio_column(per["net_sales"], per["buyers"]).to_numpy(),
        }
    )
    if "pending_gmv" in per and per["pending_orders"].fillna(0).sum() > 0:  # only when some order is unpaid
        df.insert(3, "pending_gmv", per["pending_gmv"].to_numpy())
    if ctx.has("order_freight"):
        df.insert(list(df.columns).index("net_sales") + 1, "freight", per["freight"].to_numpy())
    units = {
        "freight": "money",
        "orders": "count",
        "gmv": "money",
        "lost_gmv": "money",
        "pending_gmv": "money",
        "paid_orders": "count",
        "net_sales": "money",
        "aov": "money",
        "buyers": "count",
        "spend_per_buyer": "money",
    }
    return ctx.table(
        df,
        units,
        labels={c: ctx.tr(f"sales.col.{c}") for c in df.columns},
        title=ctx.tr("sales.gross_net_title"),
    )


@shows()
def daily_chart(ctx: SectionContext) -> charts.Chart:
    """GMV and net sales per day over the campaign, phases shaded; with comparisons, by phase day."""
    if ctx.comparisons:
        return _daily_chart_vs(ctx)
    d = ctx.mart("sales_daily")
    d = d[d["period"] != "baseline"].copy()
    d["day"] = pd.to_datetime(d["day"]) + pd.Timedelta(hours=12)
    long = pd.concat(
        [
            pd.DataFrame({"day": d["day"], "value": d["gmv"], "series": ctx.tr("sales.series.gmv")}),
            pd.DataFrame({"day": d["day"], "value": d["net_sales"].fillna(0.0), "series": ctx.tr("sales.series.net")}),
        ],
        ignore_index=True,  # a day with only cancelled orders has no net sales: 0, not a gap
    )
    fig, ax = charts.new_figure()
    charts.shade_phases(ax, ctx.params.phases, ctx.lang)
    import seaborn as sns

    sns.lineplot(data=long, x="day", y="value", hue="series", marker="o", ax=ax)
    ax.yaxis.set_major_formatter(charts.axis_formatter("money", ctx.lang, ctx.currency))
    ax.legend(fontsize=8, ncols=2)
    fig.autofmt_xdate()
    return charts.finish(
        fig, ax, ctx.tr("sales.daily_title", currency=ctx.currency), ctx.tr("date"), ctx.tr("sales.axis.gmv")
    )


def _daily_chart_vs(ctx: SectionContext) -> charts.Chart:
    """GMV and net sales by phase day, each comparison's GMV dashed (one in another currency is left out)."""
    d = ctx.mart("sales_daily")
    d["net_sales"] = d["net_sales"].fillna(0.0)  # a day with only cancelled orders has no net sales: 0
    phases = phases_of(ctx.params)
    series = [("gmv", d, phases, "gmv"), ("net_sales", d, phases, "net_sales")]
    lines = [
        {"column": "gmv", "label": ctx.tr("sales.series.gmv")},
        {"column": "net_sales", "label": ctx.tr("sales.series.net")},
    ]
    shown = []
    for i, other in enumerate(ctx.comparisons):
        theirs = other.mart("sales_daily")
        if theirs is None or other.currency != ctx.currency:
            continue
        series.append((f"compare{i}", theirs, other.phases, "gmv"))
        label = ctx.tr("compare.series", series=ctx.tr("sales.series.gmv"), label=other.label)
        lines.append({"column": f"compare{i}", "label": label, "dashed": True, "color": charts.PALETTE[2 + i % 6]})
        shown.append(other.label)
    return charts.phase_day_lines(
        align_daily(series),
        lines,
        title=ctx.tr("sales.daily_title_vs", currency=ctx.currency, labels=", ".join(shown) or "-"),
        unit="money",
        lang=ctx.lang,
        currency=ctx.currency,
        xlabel=ctx.tr("compare.phase_day"),
        ylabel=ctx.tr("sales.axis.gmv"),
    )


@shows("order_times")
def hourly_chart(ctx: SectionContext) -> charts.Chart:
    """GMV per clock hour over the campaign: the midnight burst shows as the tallest spike."""
    h = ctx.mart("sales_hourly")
    fig, ax = charts.new_figure()
    charts.shade_phases(ax, ctx.params.phases, ctx.lang)
    ax.plot(pd.to_datetime(h["hour"]), h["gmv"], color=charts.PALETTE[0], linewidth=1)
    ax.yaxis.set_major_formatter(charts.axis_formatter("money", ctx.lang, ctx.currency))
    fig.autofmt_xdate()
    return charts.finish(fig, ax, ctx.tr("sales.hourly_title"), ctx.tr("hour"), ctx.tr("sales.axis.gmv"))


@shows("order_times")
def peak_hour(ctx: SectionContext) -> Note:
    """The busiest hour and its share of campaign GMV."""
    h = ctx.mart("sales_hourly")
    if h.empty:
        return Note("")
    top = h.loc[h["gmv"].idxmax()]
    hour = pd.Timestamp(top["hour"])
    text = ctx.tr(
        "sales.peak_note",
        hour=hour.strftime("%m-%d %H:00"),
        gmv=ctx.fmt(top["gmv"], "money"),
        share=ctx.fmt(metrics.ratio(top["gmv"], h["gmv"].sum()), "pct"),
    )
    said = ctx.coinciding(hour, hour + pd.Timedelta(hours=1))  # the 20:00 livestream, a coupon drop …
    return Note(text + (" " if said and ctx.lang == "en" else "") + said)


@shows()
def presale_and_basket(ctx: SectionContext) -> Note:
    """Presale share of net sales and units per order against the baseline."""
    t = totals(ctx)
    per = ctx.mart("sales_by_period").set_index("period")
    presale = per.loc["overall", "presale_net_sales"] if "overall" in per.index else None
    lines = []
    if ctx.has("presale_flag"):
        lines.append(
            ctx.tr("sales.presale_note", value=ctx.fmt(presale, "money"), share=ctx.fmt(t["presale_share"], "pct"))
        )
    b = ctx.mart("sales_basket").set_index("period")
    if {"campaign", "baseline"} <= set(b.index):
        c = metrics.ratio(b.loc["campaign", "units"], b.loc["campaign", "orders"])
        base = metrics.ratio(b.loc["baseline", "units"], b.loc["baseline", "orders"])
        lines.append(
            ctx.tr(
                "sales.attach_note",
                campaign=ctx.fmt(c, "ratio"),
                baseline=ctx.fmt(base, "ratio"),
                change=fmt.pct(metrics.change(c, base), signed=True),
            )
        )
    return Note(" ".join(lines)) if lines else ctx.omitted(["presale_flag"])


@shows()
def category_chart(ctx: SectionContext) -> charts.Chart:
    """Net sales by category, top N plus the rest as "other"."""
    cat = ctx.mart("sales_by_category")
    n = ctx.params.settings.top_n
    top = charts.top_n_other(cat, "category", ["net_sales", "units"], n, ctx.lang)
    return charts.bar(
        top,
        "category",
        "net_sales",
        title=ctx.tr("sales.category_title", n=n),
        unit="money",
        lang=ctx.lang,
        currency=ctx.currency,
        xlabel=ctx.tr("sales.col.net_sales"),
    )


@shows("order_freight")
def freight_note(ctx: SectionContext) -> Note:
    """How much of net sales is freight, which no product line carries (so rankings never include it)."""
    per = ctx.mart("sales_by_period").set_index("period")
    freight, net = per.loc["overall", "freight"], per.loc["overall", "net_sales"]
    return Note(
        ctx.tr("sales.freight_note", value=ctx.fmt(freight, "money"), share=ctx.fmt(metrics.ratio(freight, net), "pct"))
    )


@shows("order_province")
def province_table(ctx: SectionContext) -> Table:
    """The top N buyer provinces by net sales, then orders without a province; shares of campaign net sales."""
    r = ctx.mart("sales_by_province")
    n = ctx.params.settings.top_n
    total = totals(ctx)["net_sales"]  # the campaign's net sales, as the headline figures show them
    known = r[r["province"] != UNKNOWN]
    top, rest = known.head(n), known.iloc[n:]
    shown = pd.concat([top, r[r["province"] == UNKNOWN]], ignore_index=True)
    df = pd.DataFrame(
        {
            "province": [ctx.tr("sales.no_province") if x == UNKNOWN else x for x in shown["province"]],
            "net_sales": shown["net_sales"].to_numpy(),
            "share": metrics.ratio_column(shown["net_sales"], pd.Series(total, index=shown.index)).to_numpy(),
            "paid_orders": shown["paid_orders"].to_numpy(),
            "buyers": shown["buyers"].to_numpy(),
            "aov": metrics.ratio_column(shown["net_sales"], shown["paid_orders"]).to_numpy(),
        }
    )
    notes = [ctx.tr("sales.province_note", total=ctx.fmt(total, "money"))]
    if len(rest):
        value = rest["net_sales"].sum()
        key = "sales.province_rest_one" if len(rest) == 1 else "sales.province_rest"
        share = ctx.fmt(metrics.ratio(value, total), "pct")
        notes.append(ctx.tr(key, k=len(rest), value=ctx.fmt(value, "money"), share=share))
    labels = {c: ctx.tr(f"sales.col.{c}") for c in df.columns}
    return ctx.table(
        df,
        {"net_sales": "money", "share": "pct", "paid_orders": "count", "buyers": "count", "aov": "money"},
        labels=labels,
        title=ctx.tr("sales.province_title", n=n),
        note=sentences(notes, ctx.lang),
    )


@shows()
def sku_ranking(ctx: SectionContext) -> Table:
    """The top N SKUs by net sales with units and share (non-merchandise lines excluded)."""
    sku = ctx.mart("sales_by_sku")
    n = ctx.params.settings.top_n
    total = sku["net_sales"].sum()
    top = sku.head(n)
    df = pd.DataFrame(
        {
            "sku": top["sku"],
            "name": top["name"],
            "category": top["category"],
            "units": top["units"],
            "net_sales": top["net_sales"],
            "share": metrics.ratio_column(top["net_sales"], pd.Series(total, index=top.index)),
        }
    )
    df = df.drop(columns=[c for c in ("name", "category") if df[c].isna().all()])  # an export without them
    labels = {
        "sku": ctx.tr("sku"),
        "name": ctx.tr("sales.col.name"),
        "category": ctx.tr("category"),
        "units": ctx.tr("sales.col.units"),
        "net_sales": ctx.tr("sales.col.net_sales"),
        "share": ctx.tr("sales.col.share"),
    }
    return ctx.table(
        df,
        {"units": "count", "net_sales": "money", "share": "pct"},
        labels=labels,
        title=ctx.tr("sales.sku_title", n=n),
    )


@shows("launch_dates")
def new_products(ctx: SectionContext) -> Table | Note:
    """Products launched in the 30 days before the campaign, with sell-out times where inventory is known."""
    sku = ctx.mart("sales_by_sku")
    launch = pd.to_datetime(sku["launch_date"])
    start = pd.Timestamp(ctx.params.start)
    new = sku[(launch >= start - pd.Timedelta(days=30)) & (launch < start)].copy()
    if new.empty:
        return Note(ctx.tr("sales.none_new"))
    df = pd.DataFrame(
        {
            "sku": new["sku"],
            "name": new["name"],
            "launch_date": pd.to_datetime(new["launch_date"]),
            "units": new["units"],
            "net_sales": new["net_sales"],
        }
    )
    labels = {
        "sku": ctx.tr("sku"),
        "name": ctx.tr("sales.col.name"),
        "launch_date": ctx.tr("sales.col.launch_date"),
        "units": ctx.tr("sales.col.units"),
        "net_sales": ctx.tr("sales.col.net_sales"),
        "sold_out": ctx.tr("sales.col.sold_out"),
    }
    if ctx.has_mart("fulfilment_sellouts"):
        so = ctx.mart("fulfilment_sellouts")[["sku", "sellout_time"]]
        df = df.merge(so.rename(columns={"sellout_time": "sold_out"}), on="sku", how="left")
    return ctx.table(df, {"units": "count", "net_sales": "money"}, labels=labels, title=ctx.tr("sales.new_title"))


@shows("item_costs|product_costs")
def margin_table(ctx: SectionContext) -> Table:
    """Gross profit and margin by category (lines with a known unit cost)."""
    cat = ctx.mart("sales_by_category")
    n = ctx.params.settings.top_n
    top = charts.top_n_other(cat, "category", ["net_sales", "costed_sales", "cogs"], n, ctx.lang)
    df = pd.DataFrame(
        {
            "category": top["category"],
            "net_sales": top["net_sales"],
            "cogs": top["cogs"],
            "gross_profit": top["costed_sales"] - top["cogs"],
            "margin": metrics.ratio_column(top["costed_sales"] - top["cogs"], top["costed_sales"]),
        }
    )
    labels = {c: ctx.tr(f"sales.col.{c}") for c in ("net_sales", "cogs", "gross_profit", "margin")}
    labels["category"] = ctx.tr("category")
    return ctx.table(
        df,
        {"net_sales": "money", "cogs": "money", "gross_profit": "money", "margin": "pct"},
        labels=labels,
        title=ctx.tr("sales.margin_title"),
    )


@shows()
def excluded_lines(ctx: SectionContext) -> Note:
    """Which non-merchandise lines the rankings leave out (also listed in the data-quality appendix)."""
    ex = ctx.mart("sales_excluded_lines")
    if ex.empty:
        return Note("")
    return Note(
        ctx.tr(
            "sales.excluded_note",
            lines=int(ex["lines"].sum()),
            value=ctx.fmt(ex["net_sales"].sum(), "money"),
            skus=", ".join(map(str, ex["sku"])),
        )
    )
