"""Fulfilment and supply section: shipping in time, delivery times, late deliveries, stock-outs.

Reads the marts of ``retro.marts.fulfilment`` (see its docstring for which orders are due to ship and how
unshipped ones count); every rate is recomputed from the mart's parts with ``retro.metrics``. Stock-outs,
sell-through and replenishment need the optional ``inventory`` table; lost sales also need ``order_items``.
``totals`` is shared with the goals section.
"""

from __future__ import annotations

import pandas as pd

from .. import charts, metrics
from .. import formatting as fmt
from ..context import FigureSet, SectionContext, shows
from ..display import Note, Omitted, Table
from ..i18n import label_values, register, sentences

LAG_FLAG_HOURS = 24
MIN_DAY_ORDERS = 30  # a day's late rate is named as the peak only with this many judged orders

register(
    {
        "fulfilment.kpis": ("Fulfilment at a glance", "履约概览"),
        "fulfilment.col.figure": ("Figure", "指标"),
        "fulfilment.col.value": ("Value", "数值"),
        "fulfilment.col.phase": ("Phase (of payment)", "阶段（按支付时间）"),
        "fulfilment.col.due_orders": ("Orders due to ship", "应发货订单"),
        "fulfilment.col.shipped_in_time": ("Shipped within {h} h", "{h}小时内发货"),
        "fulfilment.col.ship_rate": ("Ship-within-{h} h rate", "{h}小时发货率"),
        "fulfilment.col.unshipped": ("Not shipped", "未发货"),
        "fulfilment.col.not_yet_due": ("Not yet due (left out)", "未到期（不计入）"),
        "fulfilment.col.avg_ship_hours": ("Avg hours pay → ship", "平均发货时长"),
        "fulfilment.col.region": ("Region", "地区"),
        "fulfilment.col.delivered": ("Delivered orders", "已送达订单"),
        "fulfilment.col.mean": ("Mean", "平均"),
        "fulfilment.col.p50": ("Median", "中位数"),
        "fulfilment.col.p90": ("P90", "P90"),
        "fulfilment.col.late": ("Late", "延迟单数"),
        "fulfilment.col.late_rate": ("Late rate", "延迟率"),
        "fulfilment.col.name": ("Product", "商品"),
        "fulfilment.col.sellout_time": ("Sold out at", "售罄时间"),
        "fulfilment.col.hours_from_start": ("Hours from campaign start", "距活动开始（小时）"),
        "fulfilment.col.hours_from_burst_start": ("Hours from burst start", "距爆发开始（小时）"),
        "fulfilment.col.hours_out_of_stock": ("Hours out of stock", "缺货时长"),
        "fulfilment.col.restock_time": ("Restocked at", "补货时间"),
        "fulfilment.col.lag": ("Replenishment lag", "补货时滞"),
        "fulfilment.col.lost_sales": ("Est. lost sales", "估算缺货损失"),
        "fulfilment.col.flag": ("Flag", "标记"),
        "fulfilment.col.opening_stock": ("Opening stock", "期初库存"),
        "fulfilment.col.received": ("Units received", "补货入库"),
        "fulfilment.col.units_sold": ("Units sold", "售出件数"),
        "fulfilment.col.available": ("Units available", "可售总量"),
        "fulfilment.col.sell_through": ("Sell-through", "售罄率"),
        "fulfilment.phase.after": ("Paid after the campaign", "活动结束后支付"),
        "fulfilment.overall": ("Overall", "整体"),
        "fulfilment.ship_title": (
            "Shipped within {h} h of payment, by phase of payment",
            "支付后{h}小时内发货率（按支付阶段）",
        ),
        "fulfilment.ship_note": (
            "Ship time starts at payment (for presale orders, the balance payment). Orders due to ship: "
            "paid or "
            "refunded orders placed in the campaign with a shipment row, or paid ones that should have "
            "shipped; "
            "unshipped due orders count as not shipped in time; {nyd} unshipped orders whose deadline falls "
            "after "
            "the last shipment in the data are left out; refunded orders never shipped are not due.",
            "发货时长从支付时刻起算（预售订单从尾款支付起算）。应发货订单：活动期下单、"
            "已支付或已退款且有发货记录的订单，"
            "以及应当发货的已支付订单；应发未发的订单计为未按时发货；截止时间晚于数据中最后一次发货的 {nyd} "
            "个未发货订单"
            "不计入；未发货即退款的订单不计入。",
        ),
        "fulfilment.region_title": (
            "Hours from payment to delivery by region (top {n} by delivered orders)",
            "分地区支付到送达时长（小时，按送达单量前{n}）",
        ),
        "fulfilment.region_note": (
            "Median and P90 computed exactly per region and over all delivered orders; {k} smaller regions "
            "({orders} delivered orders) are not listed but are in the overall row.",
            "中位数与P90按地区及全部送达订单分别精确计算；另有 {k} 个较小地区（{orders} 单）未列出，已含在整体行中。",
        ),
        "fulfilment.region_note_all": (
            "Median and P90 computed exactly per region and over all delivered orders.",
            "中位数与P90按地区及全部送达订单分别精确计算。",
        ),
        "fulfilment.region_late_note": (
            "Late = delivered after the promise (the promised hours from payment, or after the promised date), "
            "over delivered orders with a promise.",
            "延迟 = 晚于承诺时效（支付后承诺小时数，或承诺送达日期）送达，分母为有承诺时效的已送达订单。",
        ),
        "fulfilment.region_from_orders": (
            "The shipments name no region: the region is the buyer's province on the order.",
            "发货数据无收货地区：地区取订单上的买家省份。",
        ),
        "fulfilment.late_title": (
            "Late deliveries by pay day (bars: orders; line: share of delivered orders)",
            "按支付日的延迟送达（柱：单数；线：占已送达订单比例）",
        ),
        "fulfilment.axis.pay_day": ("Pay day", "支付日"),
        "fulfilment.axis.late": ("Late deliveries (orders)", "延迟送达（单）"),
        "fulfilment.axis.late_rate": ("Late rate", "延迟率"),
        "fulfilment.series.late": ("Late deliveries", "延迟单数"),
        "fulfilment.series.late_rate": ("Late rate", "延迟率"),
        "fulfilment.late_peak": (
            "Highest late rate: orders paid on {day}, {late} late, {rate} of {delivered} delivered orders "
            "(campaign: {overall}). Most late orders by count: {most_day}, {most_late}.",
            "延迟率最高的是{day}支付的订单：{late} 单延迟，占 {delivered} 单已送达订单的 {rate}（全周期 "
            "{overall}）。"
            "延迟单数最多的是{most_day}，{most_late} 单。",
        ),
        "fulfilment.day_in_phase": ("{day} ({phase} day {n})", "{day}（{phase}第{n}天）"),
        "fulfilment.day_after": ("{day} (after the campaign)", "{day}（活动结束后）"),
        "fulfilment.no_late": (
            "No delivered order with a promised time was late.",
            "没有超出承诺时效送达的订单。",
        ),
        "fulfilment.no_inventory": (
            "Not computed: the campaign's data has no inventory table (stock-outs, sell-through and "
            "replenishment "
            "need hourly stock snapshots).",
            "未计算：本次活动数据未提供 inventory（库存）表；售罄、售罄率与补货分析需要逐小时库存快照。",
        ),
        "fulfilment.stockout_title": (
            "SKUs that sold out during the campaign (top {n} by estimated lost sales)",
            "活动期售罄SKU（按估算缺货损失前{n}）",
        ),
        "fulfilment.no_stockouts": ("No SKU sold out during the campaign.", "活动期没有SKU售罄。"),
        "fulfilment.lost_basis": (
            "{n} SKUs sold out (stock on hand reached 0 at an hourly snapshot). Estimated lost sales = "
            "hours out of "
            "stock in the campaign × the SKU's average hourly net sales while in stock in the campaign (net "
            "sales "
            "of paid campaign orders / hours in stock); it assumes demand would have continued at the "
            "average pace, "
            "so it understates losses in the burst. Flag: restocked more than {lag} h after selling out, or "
            "not "
            "restocked by the end of the data.",
            "共 {n} 个SKU售罄（某次逐小时库存快照为0）。估算缺货损失 = 活动期缺货小时数 × "
            "该SKU活动期有货时的平均每小时"
            "净销售额（已支付活动订单净销售额 / 有货小时数）；假设需求按平均速度延续，"
            "因此会低估爆发期的损失。"
            "标记：售罄后超过 {lag} 小时才补货，或截至数据结束仍未补货。",
        ),
        "fulfilment.lost_na": (
            "Lost sales are n/a: they need the order_items table.",
            "缺货损失为 n/a：需要 order_items（订单明细）表。",
        ),
        "fulfilment.flag.slow": ("> {lag} h", "超过{lag}小时"),
        "fulfilment.flag.never": ("not restocked", "未补货"),
        "fulfilment.sell_through_title": (
            "Sell-through by SKU (top {n} by units sold)",
            "SKU售罄率（按售出件数前{n}）",
        ),
        "fulfilment.sell_through_note": (
            "Sell-through = units sold in the campaign / (opening stock at the first campaign snapshot + "
            "units "
            "received during the campaign). Units sold: {basis}.",
            "售罄率 = 活动期售出件数 /（活动首个快照的期初库存 + 活动期补货入库）。售出件数口径：{basis}。",
        ),
        "fulfilment.basis.items": (
            "units on paid campaign orders (order_items)",
            "活动期已支付订单的件数（订单明细）",
        ),
        "fulfilment.basis.flow": (
            "opening + received − closing stock (no order_items table)",
            "期初 + 入库 − 期末库存（无订单明细表）",
        ),
        "fulfilment.lag_title": (
            "Hours from sell-out to the next replenishment (top {n} SKUs; line: {lag} h)",
            "售罄到下次补货的小时数（前{n}个SKU；参考线：{lag}小时）",
        ),
        "fulfilment.axis.lag": ("Hours", "小时"),
        "fulfilment.lag_note": (
            "{over} of {n} sell-outs waited more than {lag} h for replenishment; {never} not restocked by "
            "the end of "
            "the data. Average lag over the {restocked} restocked: {avg}.",
            "{n} 次售罄中有 {over} 次补货等待超过 {lag} 小时；{never} 个截至数据结束仍未补货。已补货的 "
            "{restocked} "
            "个SKU平均补货时滞：{avg}。",
        ),
        "fulfilment.no_restock": (
            "No sold-out SKU was restocked within the data.",
            "售罄SKU在数据期内均未补货。",
        ),
    }
)


def _phases(ctx: SectionContext) -> list[str]:
    return [p.name for p in ctx.params.phases]


def _h(ctx: SectionContext) -> str:
    h = ctx.params.settings.ship_within_hours
    return f"{h:g}"


def _by_phase(ctx: SectionContext) -> pd.DataFrame:
    """Daily shipping parts summed per phase of payment plus an 'overall' row (counts are additive)."""
    d = ctx.mart("fulfilment_daily")
    num = d.drop(columns=["pay_day", "period"])
    g = num.groupby(d["period"]).sum(min_count=1)
    g.loc["overall"] = num.sum(min_count=1)
    order = [p for p in _phases(ctx) + ["after", "overall"] if p in g.index]
    return g.reindex(order)


def _stock(ctx: SectionContext) -> pd.DataFrame | None:
    return ctx.mart("fulfilment_stock") if ctx.has_mart("fulfilment_stock") else None


def _lost_sales(stock: pd.DataFrame) -> pd.Series:
    """Per SKU: hours out of stock × average hourly net sales while in stock (NaN without order lines)."""
    rate = metrics.ratio_column(stock["net_sales"], stock["hours_in_stock"])
    return stock["hours_out_of_stock"].astype("float64") * rate


def _units_sold(stock: pd.DataFrame) -> tuple[pd.Series, str]:
    """Units sold per SKU from order lines, or from the stock flow when order lines are absent."""
    if stock["units_sold"].notna().any():
        return stock["units_sold"].fillna(0).astype("float64"), "items"
    flow = stock["opening_stock"] + stock["received"].fillna(0) - stock["closing_stock"]
    return flow.astype("float64"), "flow"


def totals(ctx: SectionContext) -> dict:
    """Whole-campaign fulfilment figures computed from the marts (no recording)."""
    o = _by_phase(ctx)
    o = o.loc["overall"] if "overall" in o.index else pd.Series(dtype="float64")
    get = lambda k: o.get(k) if len(o) else None  # noqa: E731
    out = {
        "ship_48h_rate": metrics.ratio(get("shipped_in_time"), get("due_orders")),
        "late_delivery_rate": metrics.ratio(get("late"), get("promise_known")),
        "avg_delivery_hours": metrics.ratio(get("delivery_hours_sum"), get("delivered")),
        "stockout_skus": None,
        "lost_sales_estimate": None,
        "replenishment_lag_hours": None,
        "sell_through": None,
    }
    stock = _stock(ctx)
    if stock is not None:
        sold_out = stock[stock["sellout_time"].notna()]
        out["stockout_skus"] = len(sold_out)
        lost = _lost_sales(sold_out)
        if stock["net_sales"].notna().any():
            out["lost_sales_estimate"] = float(lost.sum())
        lags = sold_out["replenishment_lag_hours"].dropna()
        out["replenishment_lag_hours"] = float(lags.mean()) if len(lags) else None
        units, _ = _units_sold(stock)
        out["sell_through"] = metrics.ratio(units.sum(), (stock["opening_stock"] + stock["received"].fillna(0)).sum())
    return out


RATE_PARTS = {  # figure: (numerator, denominator) columns of the per-phase mart
    "ship_48h_rate": ("shipped_in_time", "due_orders"),
    "late_delivery_rate": ("late", "promise_known"),
    "avg_delivery_hours": ("delivery_hours_sum", "delivered"),
}
STOCK_KEYS = ("stockout_skus", "lost_sales_estimate", "replenishment_lag_hours", "sell_through")


def figures(ctx: SectionContext) -> FigureSet:
    """The fulfilment figures the kit records (shipping and delivery also per phase of payment)."""
    t = totals(ctx)
    out = FigureSet("fulfilment")
    o = _by_phase(ctx)
    for key, (num, den) in RATE_PARTS.items():
        if "overall" in o.index:
            out.add(key, t[key], numerator=o.loc["overall", num], denominator=o.loc["overall", den])
        else:
            out.add(key, None)
        for ph in _phases(ctx):
            if ph in o.index:
                out.add(
                    key,
                    metrics.ratio(o.loc[ph, num], o.loc[ph, den]),
                    segment=ph,
                    numerator=o.loc[ph, num],
                    denominator=o.loc[ph, den],
                )
            else:
                out.add(key, None, segment=ph)
    for key in STOCK_KEYS:
        out.add(key, t[key])
    return out


@shows()
def kpi_table(ctx: SectionContext) -> Table:
    """Headline fulfilment figures, as the section recorded them."""
    keys = (*RATE_PARTS, *STOCK_KEYS)
    return ctx.figures_table({k: ctx.figure(k) for k in keys}, ctx.tr("fulfilment.kpis"))


def _phase_labels(index, ctx: SectionContext) -> list[str]:
    out = []
    for p in index:
        if p == "after":
            out.append(ctx.tr("fulfilment.phase.after"))
        else:
            out.append(label_values([p], "phase", ctx.lang)[0])
    return out


@shows()
def shipping_by_phase(ctx: SectionContext) -> Table:
    """Orders due to ship, shipped in time and not shipped, per phase of payment and overall."""
    o = _by_phase(ctx)
    h = _h(ctx)
    df = pd.DataFrame(
        {
            "phase": _phase_labels(o.index, ctx),
            "due_orders": o["due_orders"].to_numpy(),
            "shipped_in_time": o["shipped_in_time"].to_numpy(),
            "ship_rate": metrics.ratio_column(o["shipped_in_time"], o["due_orders"]).to_numpy(),
            "unshipped": o["unshipped"].to_numpy(),
            "avg_ship_hours": metrics.ratio_column(o["ship_hours_sum"], o["shipped"]).to_numpy(),
            "not_yet_due": o["not_yet_due"].to_numpy(),
        }
    )
    units = {
        "due_orders": "count",
        "shipped_in_time": "count",
        "ship_rate": "pct",
        "unshipped": "count",
        "avg_ship_hours": "hours",
        "not_yet_due": "count",
    }
    labels = {c: ctx.tr(f"fulfilment.col.{c}", h=h) for c in df.columns}
    nyd = int(o.loc["overall", "not_yet_due"]) if "overall" in o.index else 0
    return ctx.table(
        df,
        units,
        labels=labels,
        title=ctx.tr("fulfilment.ship_title", h=h),
        note=ctx.tr("fulfilment.ship_note", nyd=nyd),
    )


@shows("ship_region|order_province", "delivered_times")
def delivery_by_region(ctx: SectionContext) -> Table:
    """Hours from payment to delivery per region (mean, exact median, P90), with late orders where promised.

    The region is the shipment's, or the buyer's province when no shipment names one (the mart decides for the
    whole table). Late columns appear only when some order has a promise: without one, "0 late" would be false.
    """
    r = ctx.mart("fulfilment_delivery_by_region")
    n = ctx.params.settings.top_n
    regions = r[r["region"] != "overall"].sort_values(["delivered", "region"], ascending=[False, True])
    top, rest = regions.head(n), regions.iloc[n:]
    shown = pd.concat([top, r[r["region"] == "overall"]], ignore_index=True)
    names = [ctx.tr("fulfilment.overall") if x == "overall" else x for x in shown["region"]]
    df = pd.DataFrame(
        {
            "region": names,
            "delivered": shown["delivered"].to_numpy(),
            "mean": metrics.ratio_column(shown["delivery_hours_sum"], shown["delivered"]).to_numpy(),
            "p50": shown["delivery_p50_hours"].to_numpy(),
            "p90": shown["delivery_p90_hours"].to_numpy(),
        }
    )
    units = {"delivered": "count", "mean": "hours", "p50": "hours", "p90": "hours"}
    notes = [
        ctx.tr(
            "fulfilment.region_note" if len(rest) else "fulfilment.region_note_all",
            k=len(rest),
            orders=int(rest["delivered"].sum()),
        )
    ]
    if ctx.has("delivery_promise|delivery_promise_date"):
        df["late"] = shown["late"].to_numpy()
        df["late_rate"] = metrics.ratio_column(shown["late"], shown["promise_known"]).to_numpy()
        units.update(late="count", late_rate="pct")
        notes.append(ctx.tr("fulfilment.region_late_note"))
    if not ctx.has("ship_region"):
        notes.append(ctx.tr("fulfilment.region_from_orders"))
    labels = {c: ctx.tr(f"fulfilment.col.{c}") for c in df.columns}
    title = ctx.tr("fulfilment.region_title", n=n)
    return ctx.table(df, units, labels=labels, title=title, note=sentences(notes, ctx.lang))


def _whole_numbers(ctx: SectionContext):
    """Tick labels without decimals (counts, hours)."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: fmt.number(round(v), ctx.lang, decimals=0))


@shows("delivery_promise|delivery_promise_date", "delivered_times")
def late_by_day_chart(ctx: SectionContext) -> charts.Chart:
    """Late deliveries per pay day with their share of delivered orders: which days' orders overran."""
    from matplotlib.dates import DateFormatter
    from matplotlib.ticker import MaxNLocator

    d = ctx.mart("fulfilment_daily")
    day = pd.to_datetime(d["pay_day"])
    rate = metrics.ratio_column(d["late"], d["promise_known"])
    fig, ax = charts.new_figure()
    ax.bar(day, d["late"], width=0.7, color=charts.PALETTE[1], label=ctx.tr("fulfilment.series.late"))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    ax.yaxis.set_major_formatter(_whole_numbers(ctx))
    ax2 = ax.twinx()
    ax2.plot(
        day,
        rate,
        color=charts.PALETTE[0],
        marker="o",
        markersize=4,
        label=ctx.tr("fulfilment.series.late_rate"),
    )
    ax2.yaxis.set_major_formatter(charts.axis_formatter("pct", ctx.lang))
    ax2.yaxis.set_major_locator(MaxNLocator(steps=[1, 2, 5, 10]))
    ax2.set_ylim(bottom=0)
    ax2.grid(False)
    ax2.set_ylabel(ctx.tr("fulfilment.axis.late_rate"))
    ax.xaxis.set_major_formatter(DateFormatter("%m-%d"))
    handles = ax.get_legend_handles_labels()
    handles2 = ax2.get_legend_handles_labels()
    ax.legend(handles[0] + handles2[0], handles[1] + handles2[1], fontsize=8, loc="upper left")
    fig.autofmt_xdate()
    return charts.finish(
        fig,
        ax,
        ctx.tr("fulfilment.late_title"),
        ctx.tr("fulfilment.axis.pay_day"),
        ctx.tr("fulfilment.axis.late"),
    )


@shows("delivery_promise|delivery_promise_date", "delivered_times")
def late_peak(ctx: SectionContext) -> Note:
    """The pay day whose orders ran late most often (by rate, days with 30+ judged orders) and by count."""
    d = ctx.mart("fulfilment_daily")
    if d.empty or d["late"].sum() == 0:
        return Note(ctx.tr("fulfilment.no_late"))
    d = d.assign(rate=metrics.ratio_column(d["late"], d["promise_known"]))
    big = d[d["promise_known"] >= MIN_DAY_ORDERS]
    top = (big if len(big) else d).sort_values(["rate", "pay_day"], ascending=[False, True]).iloc[0]
    most = d.sort_values(["late", "pay_day"], ascending=[False, True]).iloc[0]
    return Note(
        ctx.tr(
            "fulfilment.late_peak",
            day=_day_name(ctx, top["pay_day"]),
            late=int(top["late"]),
            rate=ctx.fmt(top["rate"], "pct"),
            delivered=int(top["promise_known"]),
            overall=ctx.fmt(totals(ctx)["late_delivery_rate"], "pct"),
            most_day=_day_name(ctx, most["pay_day"]),
            most_late=int(most["late"]),
        )
    )


def _day_name(ctx: SectionContext, day) -> str:
    """'11-12 (burst day 2)': a calendar day with its phase and day number within the phase."""
    day = pd.Timestamp(day).date()
    phase = next((p for p in ctx.params.phases if p.start <= day <= p.end), None)
    if phase is None:
        return ctx.tr("fulfilment.day_after", day=day.strftime("%m-%d"))
    return ctx.tr(
        "fulfilment.day_in_phase",
        day=day.strftime("%m-%d"),
        phase=ctx.tr(f"phase.{phase.name}"),
        n=(day - phase.start).days + 1,
    )


def _sku_label(row) -> str:
    name = row.get("name")
    return f"{row['sku']} {name}" if isinstance(name, str) and name else str(row["sku"])


@shows("table:inventory")
def stockouts(ctx: SectionContext) -> Table | Note:
    """SKUs that sold out: when (from campaign and burst start), how long, restock, estimated lost sales."""
    stock = _stock(ctx)
    if stock is None:
        return Note(ctx.tr("fulfilment.no_inventory"))
    so = stock[stock["sellout_time"].notna()].copy()
    if so.empty:
        return Note(ctx.tr("fulfilment.no_stockouts"))
    so["lost_sales"] = _lost_sales(so)
    so = so.sort_values(["lost_sales", "hours_out_of_stock", "sku"], ascending=[False, False, True], na_position="last")
    n = ctx.params.settings.top_n
    top = so.head(n)
    lag = LAG_FLAG_HOURS
    when = lambda s: [pd.Timestamp(x).strftime("%m-%d %H:%M") if pd.notna(x) else "" for x in s]  # noqa: E731
    flag = [
        ctx.tr("fulfilment.flag.never") if pd.isna(x) else (ctx.tr("fulfilment.flag.slow", lag=lag) if x > lag else "")
        for x in top["replenishment_lag_hours"]
    ]
    df = pd.DataFrame(
        {
            "sku": top["sku"].to_numpy(),
            "name": top["name"].fillna("").to_numpy(),
            "sellout_time": when(top["sellout_time"]),
            "hours_from_start": top["hours_from_start"].to_numpy(),
            "hours_from_burst_start": top["hours_from_burst_start"].to_numpy(),
            "hours_out_of_stock": top["hours_out_of_stock"].to_numpy(),
            "restock_time": when(top["restock_time"]),
            "lag": top["replenishment_lag_hours"].to_numpy(),
            "flag": flag,
            "lost_sales": top["lost_sales"].to_numpy(),
        }
    )
    units = {
        "hours_from_start": "hours",
        "hours_from_burst_start": "hours",
        "hours_out_of_stock": "hours",
        "lag": "hours",
        "lost_sales": "money",
    }
    labels = {c: ctx.tr(f"fulfilment.col.{c}") for c in df.columns}
    labels["sku"] = ctx.tr("sku")
    note = ctx.tr("fulfilment.lost_basis", n=len(so), lag=lag)
    if stock["net_sales"].isna().all():
        note += " " + ctx.tr("fulfilment.lost_na")
    return ctx.table(df, units, labels=labels, title=ctx.tr("fulfilment.stockout_title", n=n), note=note)


@shows("table:inventory")
def sell_through(ctx: SectionContext) -> Table | Note:
    """Units sold against units available (opening stock + received) per SKU and overall."""
    stock = _stock(ctx)
    if stock is None:
        return Note(ctx.tr("fulfilment.no_inventory"))
    units, basis = _units_sold(stock)
    stock = stock.assign(units_sold=units, received=stock["received"].fillna(0))
    stock["available"] = stock["opening_stock"] + stock["received"]
    n = ctx.params.settings.top_n
    top = stock.sort_values(["units_sold", "sku"], ascending=[False, True]).head(n)
    total = pd.DataFrame(
        [
            {
                "sku": ctx.tr("fulfilment.overall"),
                "name": "",
                **{c: stock[c].sum() for c in ("opening_stock", "received", "units_sold", "available")},
            }
        ]
    )
    shown = pd.concat(
        [top[["sku", "name", "opening_stock", "received", "units_sold", "available"]], total],
        ignore_index=True,
    )
    shown["name"] = shown["name"].fillna("")
    shown["sell_through"] = metrics.ratio_column(shown["units_sold"], shown["available"])
    units_map = {
        "opening_stock": "count",
        "received": "count",
        "units_sold": "count",
        "available": "count",
        "sell_through": "pct",
    }
    labels = {c: ctx.tr(f"fulfilment.col.{c}") for c in shown.columns}
    labels["sku"] = ctx.tr("sku")
    return ctx.table(
        shown,
        units_map,
        labels=labels,
        title=ctx.tr("fulfilment.sell_through_title", n=n),
        note=ctx.tr("fulfilment.sell_through_note", basis=ctx.tr(f"fulfilment.basis.{basis}")),
    )


@shows("table:inventory")
def replenishment_chart(ctx: SectionContext) -> charts.Chart | Note:
    """Hours each sold-out SKU waited for its next replenishment, against the 24 h line."""
    stock = _stock(ctx)
    if stock is None:
        return Note(ctx.tr("fulfilment.no_inventory"))
    so = stock[stock["replenishment_lag_hours"].notna()].copy()
    if so.empty:
        return Note(ctx.tr("fulfilment.no_restock"))
    n = ctx.params.settings.top_n
    so = so.sort_values(["replenishment_lag_hours", "sku"], ascending=[False, True]).head(n)
    so["label"] = [_sku_label(r) for _, r in so.iterrows()]
    chart = charts.bar(
        so,
        "label",
        "replenishment_lag_hours",
        title=ctx.tr("fulfilment.lag_title", n=n, lag=LAG_FLAG_HOURS),
        unit="hours",
        lang=ctx.lang,
        xlabel=ctx.tr("fulfilment.axis.lag"),
        ylabel=ctx.tr("sku"),
    )
    if isinstance(chart, Omitted):  # nothing to draw: the line says so
        return chart
    ax = chart.figure.axes[0]
    ax.axvline(LAG_FLAG_HOURS, color="#C00000", linestyle="--", linewidth=1)
    ax.xaxis.set_major_formatter(_whole_numbers(ctx))
    return chart


@shows("table:inventory")
def replenishment_note(ctx: SectionContext) -> Note:
    """How many sell-outs waited more than 24 h for stock, and how many were never restocked."""
    stock = _stock(ctx)
    if stock is None:
        return Note(ctx.tr("fulfilment.no_inventory"))
    so = stock[stock["sellout_time"].notna()]
    if so.empty:
        return Note(ctx.tr("fulfilment.no_stockouts"))
    lags = so["replenishment_lag_hours"]
    return Note(
        ctx.tr(
            "fulfilment.lag_note",
            over=int((lags > LAG_FLAG_HOURS).sum()),
            n=len(so),
            lag=LAG_FLAG_HOURS,
            never=int(lags.isna().sum()),
            restocked=int(lags.notna().sum()),
            avg=ctx.fmt(lags.mean() if lags.notna().any() else None, "hours"),
        )
    )
