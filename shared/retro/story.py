"""Why the numbers moved and how much was truly extra, for one campaign: its gaps split into drivers, its lift.

The arithmetic is in ``retro.decompose`` and ``retro.forecast``; this module feeds them the campaign's
figures and marts. GMV = visitors × orders per visitor × GMV per order is split against each reference the
campaign has: its targets (GMV, UV and orders all set), the first comparison campaign, and ordinary days
(daily averages of the baseline). Against the comparison, GMV is also split into total visitors, channel mix,
orders per visitor within channels and GMV per order within channels. The counterfactual forecasts the
campaign days from the daily GMV before them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import decompose
from .context import SectionContext
from .forecast import Lift, TooShort, counterfactual
from .i18n import register

register(
    {
        "story.ref.target": ("target", "目标"),
        "story.ref.baseline": ("ordinary days, per day", "日常（日均）"),
        "story.driver.visitors": ("Visitors", "访客数"),
        "story.driver.orders_per_visitor": ("Orders per visitor", "访客下单率"),
        "story.driver.gmv_per_order": ("GMV per order", "笔单价"),
        "story.driver.mix": ("Channel mix", "渠道结构"),
        "story.driver.rate": ("Orders per visitor, within channels", "渠道内下单率"),
        "story.driver.value": ("GMV per order, within channels", "渠道内笔单价"),
        "story.driver.units": ("Units sold", "销量"),
        "story.driver.price": ("Net sales per unit, within categories", "品类内件单价"),
        "story.driver.category_mix": ("Category mix", "品类结构"),
        "story.categories_title": (
            "Net merchandise sales against {label}: units, category mix and price within categories",
            "商品净销售额对比{label}：销量、品类结构与品类内件单价",
        ),
        "story.categories_note": (
            "Net sales of merchandise lines = units × Σ over categories of (share of units × net sales per unit); "
            "the three contributions (Shapley) sum exactly to the change.",
            "商品净销售额 = 销量 × Σ各品类（销量占比 × 件单价）；三项贡献（Shapley）之和恰等于总变化。",
        ),
        "story.no_categories": (
            "The category split needs a campaign to compare with, with its sales by category.",
            "品类拆解需要对比活动及其分品类销售。",
        ),
        "story.col.reference": ("Against", "对比"),
        "story.col.ref_gmv": ("Reference GMV", "参照GMV"),
        "story.col.act_gmv": ("Actual GMV", "实际GMV"),
        "story.col.change": ("Change", "变化"),
        "story.col.ref_sales": ("Reference net sales", "参照净销售额"),
        "story.col.act_sales": ("Actual net sales", "实际净销售额"),
        "story.drivers_title": (
            "Why GMV differs from each reference: GMV = visitors × orders per visitor × GMV per order",
            "GMV与各参照的差异来自哪里：GMV = 访客数 × 访客下单率 × 笔单价",
        ),
        "story.drivers_note": (
            "Each driver's contribution is its Shapley value: the change it makes when moved from the reference "
            "to the actual, averaged over every order of moving the drivers; the three sum exactly to the change. "
            "Visitors are campaign UV (ordinary days: average daily UV).",
            "各因素的贡献为其Shapley值：把该因素从参照值换成实际值带来的变化，在所有替换顺序上取平均；三项之和恰等于总变化。"
            "访客数为活动期去重UV（日常对比用日均UV）。",
        ),
        "story.no_reference": (
            "No reference to split GMV against: it needs GMV, UV and order targets, a campaign to compare with, "
            "or a baseline period with event data.",
            "没有可拆解GMV的参照：需要GMV、UV与订单目标，或对比活动，或含行为数据的日常对照期。",
        ),
        "story.waterfall_title": (
            "GMV against the {reference}: what made the difference",
            "GMV对比{reference}：差异来自哪里",
        ),
        "story.channels_title": (
            "GMV against {label}: channel mix versus rates within channels",
            "GMV对比{label}：渠道结构与渠道内效率",
        ),
        "story.channels_note": (
            "Visitors here are visitor-channels (a visitor counted once per channel visited); mix is each channel's "
            "share of them; the four contributions sum exactly to the change.",
            "此处访客为“访客×渠道”（同一访客在每个到访渠道各计一次）；渠道结构为各渠道占比；四项贡献之和恰等于总变化。",
        ),
        "story.no_channels": (
            "The channel-mix split needs a campaign to compare with, with its traffic and sales by channel.",
            "渠道结构拆解需要对比活动及其分渠道流量与销售。",
        ),
        "story.lift_title": (
            "Daily GMV against a forecast without the promotion (forecast-based, not causal)",
            "每日GMV与无活动预测对比（基于预测，非因果）",
        ),
        "story.lift.actual": ("Actual GMV", "实际GMV"),
        "story.cumulative_title": (
            "Lift added up day by day, from the pull-forward days to the hangover (forecast-based, not causal)",
            "逐日累计增量：从活动前观望期到活动后透支期（基于预测，非因果）",
        ),
        "story.cumulative.lift": ("Cumulative lift", "累计增量"),
        "story.lift.expected": ("Forecast without the promotion", "无活动预测"),
        "story.lift.band": ("90% forecast range", "预测90%区间"),
        "story.col.window": ("Window", "时段"),
        "story.col.dates": ("Dates", "日期"),
        "story.col.actual": ("Actual GMV", "实际GMV"),
        "story.col.expected": ("Forecast", "预测"),
        "story.col.lift": ("Lift", "增量"),
        "story.col.range": ("90% range", "90%区间"),
        "story.window.pull_forward": ("Before the campaign (pull-forward)", "活动前（观望期）"),
        "story.window.campaign": ("Campaign", "活动期"),
        "story.window.hangover": ("After the campaign (hangover)", "活动后（透支期）"),
        "story.window.net": ("Net incremental", "净增量"),
        "story.lift_note": (
            "Forecast-based, not causal. {method} fitted on daily GMV {fit_start} to {fit_end}; the range is the "
            "5th to 95th percentile over 2,000 simulated paths of the model.",
            "基于预测，非因果。{method}以 {fit_start} 至 {fit_end} 的每日GMV拟合；"
            "区间为模型2,000条模拟路径的第5至第95百分位。",
        ),
        "story.method.ets_weekly": (
            "An exponential smoothing model, ETS(A,N,A) with a weekly season,",
            "指数平滑（ETS）模型（加法误差、无趋势、含周季节）",
        ),
        "story.method.ets": (
            "An exponential smoothing model, ETS(A,N,N) (under four weeks of history: no weekly season),",
            "指数平滑（ETS）模型（加法误差、无趋势；历史不足四周，不含周季节）",
        ),
        "story.hangover_short": (
            "The data ends before the hangover window does: the hangover counts the days it reaches.",
            "数据在透支期结束前截止：透支期只计已有数据的天数。",
        ),
        "story.too_short": (
            "No incremental figure: the forecast needs {needed} days of daily sales before the campaign "
            "(three times its length), the data has {days}.",
            "不给出增量：预测需要活动前至少 {needed} 天的每日销售（活动时长的三倍），数据只有 {days} 天。",
        ),
    }
)

DRIVERS = ("visitors", "orders_per_visitor", "gmv_per_order")
FIGURE_OF = {
    "visitors": "gmv_from_visitors",
    "orders_per_visitor": "gmv_from_orders_per_visitor",
    "gmv_per_order": "gmv_from_gmv_per_order",
}
OVERALL = "overall"


@dataclass(frozen=True)
class Gap:
    """GMV against one reference, split into its drivers' contributions (they sum to ``change``)."""

    reference: str  # target | compare | baseline (the recorded figures' segment)
    label: str  # how the page names the reference
    per_day: bool  # daily averages (ordinary days) rather than campaign totals
    ref: dict[str, float]
    act: dict[str, float]
    parts: dict[str, float]

    @property
    def ref_gmv(self) -> float:
        return decompose.product(self.ref)

    @property
    def act_gmv(self) -> float:
        return decompose.product(self.act)

    @property
    def change(self) -> float:
        return self.act_gmv - self.ref_gmv

    @property
    def main_driver(self) -> str:
        """The driver that moved GMV most in the direction of the change (largest part of that sign)."""
        sign = 1 if self.change >= 0 else -1
        return max(self.parts, key=lambda k: sign * self.parts[k])


def gaps(ctx: SectionContext, actual: dict) -> list[Gap]:
    """GMV against each reference the campaign has; ``actual``: its gmv, orders, uv and the baseline parts.

    ``actual`` holds ``gmv``, ``orders``, ``uv`` (campaign totals) and, for ordinary days, ``campaign_daily_uv``,
    ``baseline_daily_uv`` and the daily GMV and orders of both (``daily``: key -> (campaign, baseline)).
    """
    act = decompose.funnel_drivers(actual.get("uv"), actual.get("orders"), actual.get("gmv"))
    out = []
    t = ctx.params.targets
    if act and all(t.get(k) for k in ("gmv", "uv", "orders")):
        ref = decompose.funnel_drivers(t["uv"], t["orders"], t["gmv"])
        out.append(Gap("target", ctx.tr("story.ref.target"), False, ref, act, decompose.split_gmv(ref, act)))
    if act and ctx.comparisons:
        other = ctx.comparisons[0]
        if other.currency == ctx.currency:
            ref = decompose.funnel_drivers(other.figure("uv"), other.figure("orders"), other.figure("gmv"))
            if ref:
                out.append(Gap("compare", other.label, False, ref, act, decompose.split_gmv(ref, act)))
    daily = actual.get("daily") or {}
    if "gmv" in daily and "orders" in daily:
        c = decompose.funnel_drivers(actual.get("campaign_daily_uv"), daily["orders"][0], daily["gmv"][0])
        b = decompose.funnel_drivers(actual.get("baseline_daily_uv"), daily["orders"][1], daily["gmv"][1])
        if c and b:
            out.append(Gap("baseline", ctx.tr("story.ref.baseline"), True, b, c, decompose.split_gmv(b, c)))
    return out


@dataclass(frozen=True)
class ChannelGap:
    """GMV against the comparison campaign split into total visitors, channel mix, rate and value."""

    label: str
    ref_gmv: float
    act_gmv: float
    parts: dict[str, float]  # visitors, mix, rate, value


def channel_rows(sales: pd.DataFrame, traffic: pd.DataFrame) -> list[dict]:
    """Per channel over the whole campaign: visitors (UV in the channel), orders and GMV."""
    s = sales[sales["period"] == OVERALL].set_index("channel")
    v = traffic[(traffic["period"] == OVERALL) & (traffic["channel"] != "all")].set_index("channel")
    rows = []
    for c in sorted(set(s.index) | set(v.index)):
        rows.append(
            {
                "channel": c,
                "visitors": float(v["uv"].get(c, 0) or 0),
                "orders": float(s["orders"].get(c, 0) or 0),
                "gmv": float(s["gmv"].get(c, 0) or 0),
            }
        )
    return rows


def channel_gap(ctx: SectionContext) -> ChannelGap | None:
    """Mix versus rate against the first comparison; None without one or its channel marts."""
    if not ctx.comparisons or not (ctx.has_mart("sales_by_channel") and ctx.has_mart("traffic_by_channel")):
        return None
    other = ctx.comparisons[0]
    if other.currency != ctx.currency:
        return None
    try:
        ref_rows = channel_rows(other.mart("sales_by_channel"), other.mart("traffic_by_channel"))
    except (FileNotFoundError, KeyError, OSError):
        return None
    act_rows = channel_rows(ctx.mart("sales_by_channel"), ctx.mart("traffic_by_channel"))
    ref, act = decompose.channel_parts(ref_rows), decompose.channel_parts(act_rows)
    if ref is None or act is None:
        return None
    parts = decompose.split_channels(ref, act)
    return ChannelGap(other.label, decompose.channel_gmv(ref), decompose.channel_gmv(act), parts)


def category_gap(ctx: SectionContext) -> ChannelGap | None:
    """Net merchandise sales against the first comparison: units, category mix and price within categories."""
    if not ctx.comparisons or not ctx.has_mart("sales_by_category"):
        return None
    other = ctx.comparisons[0]
    if other.currency != ctx.currency:
        return None
    try:
        ref_rows = other.mart("sales_by_category").to_dict("records")
    except (FileNotFoundError, KeyError, OSError):
        return None
    ref = decompose.category_parts(ref_rows)
    act = decompose.category_parts(ctx.mart("sales_by_category").to_dict("records"))
    if ref is None or act is None:
        return None
    parts = decompose.split_mix(ref, act)
    return ChannelGap(other.label, decompose.mixed_total(ref), decompose.mixed_total(act), parts)


def incremental(ctx: SectionContext) -> Lift | TooShort | None:
    """The counterfactual of the campaign's GMV (cached on the context); None without the daily history."""
    cached = getattr(ctx, "_incremental", False)
    if cached is not False:
        return cached
    result = None
    if ctx.has_mart("goals_daily_history"):
        h = ctx.mart("goals_daily_history")
        if len(h):
            s = ctx.params.settings
            series = pd.Series(h["gmv"].to_numpy(dtype=float), index=pd.to_datetime(h["day"]))
            result = counterfactual(
                series,
                ctx.params.start,
                ctx.params.end,
                pull_forward_days=s.pull_forward_days,
                hangover_days=s.hangover_days,
            )
    ctx._incremental = result
    return result
