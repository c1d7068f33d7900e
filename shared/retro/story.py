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
