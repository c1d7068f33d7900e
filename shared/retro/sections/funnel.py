"""Conversion funnel section: view -> add-to-cart -> order -> pay, overall, by phase and by channel.

Reads the ``funnel_steps`` mart (distinct visitors per step at each level). Rates are per visitor, within
the campaign window, recomputed from the counts at each level with ``retro.metrics.funnel_rates``; every
per-segment table shows the volumes beside the rates and the pooled row, so a channel-mix shift (Simpson's
paradox) is visible. ``totals`` is shared with the goals section.
"""

from __future__ import annotations

import pandas as pd

from .. import charts, metrics
from ..catalog import label
from ..context import FigureSet, SectionContext, shows
from ..display import Note, Omitted, Table
from ..i18n import label_values, register

STEPS = ("view", "cart", "order", "pay")
ALL, OVERALL = "all", "overall"
# catalog figure -> (numerator, denominator) columns of the funnel_steps mart. The headline is open, as shop
# back ends define 支付转化率 (a payer who never carted still counts); the step rates are the closed funnel's.
OPEN = "conversion_rate"
RATES = {
    OPEN: ("payers", "view"),
    "view_to_cart": ("cart", "view"),
    "cart_to_order": ("order", "cart"),
    "order_to_pay": ("pay", "order"),
    "closed_conversion": ("pay", "view"),
}
COUNTS = (*STEPS, "payers")
PHASE_RATES = (OPEN, "view_to_cart", "cart_to_order", "order_to_pay")  # the phase chart's bars

register(
    {
        "funnel.step.view": ("View", "浏览"),
        "funnel.step.cart": ("Add to cart", "加购"),
        "funnel.step.order": ("Order", "下单"),
        "funnel.step.pay": ("Pay", "支付"),
        "funnel.col.step": ("Step", "环节"),
        "funnel.col.visitors": ("Visitors reaching the step", "到达该环节的访客"),
        "funnel.col.step_rate": ("From previous step", "上一环节转化率"),
        "funnel.col.from_view": ("From view", "相对浏览"),
        "funnel.col.segment": ("Segment", "细分"),
        "funnel.col.phase": ("Phase", "阶段"),
        "funnel.col.channel": ("Channel", "渠道"),
        "funnel.col.view": ("Viewed", "浏览访客"),
        "funnel.col.cart": ("Added to cart", "加购访客"),
        "funnel.col.order": ("Ordered", "下单访客"),
        "funnel.col.pay": ("Paid after every step", "走完全部环节的支付访客"),
        "funnel.col.payers": ("Paid (any path)", "支付访客（不限路径）"),
        "funnel.col.figure": ("Rate", "转化率"),
        "funnel.col.base": ("Visitors at the previous step", "上一环节访客"),
        "funnel.col.actual": ("Actual", "实际"),
        "funnel.col.benchmark": ("Benchmark", "基准"),
        "funnel.col.gap": ("Gap (points)", "差距（百分点）"),
        "funnel.rate.view_to_cart": ("View → cart", "浏览→加购"),
        "funnel.rate.cart_to_order": ("Cart → order", "加购→下单"),
        "funnel.rate.order_to_pay": ("Order → pay", "下单→支付"),
        "funnel.rate.conversion_rate": ("Conversion (payers / viewers)", "支付转化率（支付/浏览）"),
        "funnel.rate.closed_conversion": ("View → pay, every step", "浏览→支付（逐环节）"),
        "funnel.all_channels": ("All channels (pooled)", "全部渠道（合计）"),
        "funnel.whole_campaign": ("Whole campaign (pooled)", "全周期（合计）"),
        "funnel.method": (
            "All rates are per visitor, not per session, within the campaign window. The conversion rate is "
            "open, as shop back ends count it: distinct visitors who paid / distinct visitors who viewed, "
            "whatever steps the payers took. The step funnel is closed: a visitor counts at a step only after "
            "reaching every earlier step in the same channel and phase, so its rates never exceed 100% and "
            "its view → pay rate is below the open one when buyers skip the cart. Presale buyers who ordered "
            "in the warm-up and paid the balance in the burst count in the whole-campaign step funnel but in "
            "neither phase's pay step.",
            "所有转化率均按访客计算（非按会话），限活动期内。支付转化率为开放口径，与店铺后台一致：支付去重访客数 / "
            "浏览去重访客数，不论支付访客是否经过加购等环节。环节漏斗为封闭口径：访客须在同一渠道、同一阶段内经过"
            "之前所有环节才计入该环节，因此其转化率不会超过100%，买家跳过加购时其浏览→支付转化率低于开放口径。"
            "预售买家在预热期下单、爆发期付尾款，计入全周期环节漏斗，但不计入任一阶段的支付环节。",
        ),
        "funnel.conversion": (
            "Conversion rate {open}: {payers} of the {viewers} visitors who viewed paid. Through every step of "
            "the funnel (view, cart, order, pay) it is {closed}: {skipped} of the paying visitors skipped a step.",
            "支付转化率 {open}：{viewers} 名浏览访客中 {payers} 名支付。按逐环节（浏览、加购、下单、支付）的封闭"
            "口径为 {closed}：{skipped} 名支付访客跳过了某个环节。",
        ),
        "funnel.no_conversion": (
            "No conversion rate can be computed: no visitor viewed in the campaign window.",
            "无法计算支付转化率：活动期内没有浏览访客。",
        ),
        "funnel.rates_title": (
            "Conversion rates over the whole campaign",
            "全周期转化率",
        ),
        "funnel.overall_title": (
            "The funnel over the whole campaign (distinct visitors per step)",
            "全周期转化漏斗（各环节去重访客）",
        ),
        "funnel.chart_title": (
            "Visitors reaching each step (distinct over the campaign; rate from the previous step)",
            "各环节到达访客（活动期去重；括号内为上一环节转化率）",
        ),
        "funnel.axis.visitors": ("Visitors (distinct)", "访客（去重）"),
        "funnel.largest_drop": (
            "The largest drop-off is {from_step} → {to_step}: {lost} of the {base} visitors who reached "
            "{from_step} did not reach {to_step} ({kept} did).",
            "流失最大的环节是{from_step}→{to_step}：到达{from_step}的 {base} 名访客中有 {lost} 未到达"
            "{to_step}（到达 {kept} 名）。",
        ),
        "funnel.no_drop": (
            "No drop-off can be computed: no visitor reached the first step.",
            "无法计算流失：没有访客到达第一个环节。",
        ),
        "funnel.phase_chart_title": (
            "Step rates by phase (distinct visitors within each phase)",
            "分阶段各环节转化率（各阶段内去重访客）",
        ),
        "funnel.axis.rate": ("Rate", "转化率"),
        "funnel.phase_title": (
            "Funnel by phase: volumes beside the rates, pooled row last",
            "分阶段漏斗：转化率与访客量并列，末行为合计",
        ),
        "funnel.channel_title": (
            "Funnel by channel (whole campaign): volumes beside the rates, pooled row last",
            "分渠道漏斗（全周期）：转化率与访客量并列，末行为合计",
        ),
        "funnel.benchmark_title": (
            "Funnel rates vs benchmarks (from the campaign YAML)",
            "转化率与基准对比（来自活动参数）",
        ),
        "funnel.no_benchmarks": (
            "No benchmark is set for the funnel rates; with benchmarks, this table shows each rate's gap to them.",
            "未设置转化率基准；设置后此表列出各转化率与基准的差距。",
        ),
    }
)


# --- rates from the mart ---------------------------------------------------------------------------
def _with_rates(counts: pd.DataFrame) -> pd.DataFrame:
    """Counts plus the catalog rates, each recomputed from this row's counts (never averaged)."""
    r = counts[["channel", "period", *COUNTS]].reset_index(drop=True)
    for key, (num, den) in RATES.items():
        r[key] = metrics.ratio_column(r[num], r[den])
    return r


def _level(ctx: SectionContext, level: str) -> pd.DataFrame:
    """Rows of one level with rates: 'overall' (one row), 'phase' (phase order), 'channel' (by volume)."""
    m = ctx.mart("funnel_steps")
    if level == "overall":
        rows = m[(m["channel"] == ALL) & (m["period"] == OVERALL)]
    elif level == "phase":
        order = [ph.name for ph in ctx.params.phases]
        rows = m[(m["channel"] == ALL) & m["period"].isin(order)]
        rows = rows.assign(_o=rows["period"].map(order.index)).sort_values("_o").drop(columns="_o")
    else:
        rows = m[(m["period"] == OVERALL) & (m["channel"] != ALL)]
        rows = rows.sort_values(["view", "channel"], ascending=[False, True])
    return _with_rates(rows)


def _segment_rates(ctx: SectionContext) -> dict[str, pd.Series]:
    """Rates keyed by segment: 'overall', each phase name and each channel code."""
    out = {}
    o = _level(ctx, "overall")
    if len(o):
        out[OVERALL] = o.iloc[0]
    for r in _level(ctx, "phase").itertuples(index=False):
        out[r.period] = pd.Series(r._asdict())
    for r in _level(ctx, "channel").itertuples(index=False):
        out[r.channel] = pd.Series(r._asdict())
    return out


def _step_names(ctx: SectionContext, steps) -> list[str]:
    return [ctx.tr(f"funnel.step.{s}") for s in steps]


def _segment_table(ctx: SectionContext, rows: pd.DataFrame, names: list[str], key: str, title: str) -> Table:
    df = pd.DataFrame({key: names})
    for step in COUNTS:
        df[step] = rows[step].to_numpy()
    for rate in RATES:
        df[rate] = rows[rate].to_numpy()
    units = {s: "count" for s in COUNTS} | {r: "pct" for r in RATES}
    labels = (
        {key: ctx.tr(f"funnel.col.{key}")}
        | {s: ctx.tr(f"funnel.col.{s}") for s in COUNTS}
        | {r: ctx.tr(f"funnel.rate.{r}") for r in RATES}
    )
    return ctx.table(df, units, labels=labels, title=title)


# --- figures ---------------------------------------------------------------------------------------
def _value(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def totals(ctx: SectionContext) -> dict:
    """The whole-campaign funnel rates: open conversion first, then the closed funnel's (no recording)."""
    o = _level(ctx, "overall")
    return {key: _value(o.iloc[0][key]) if len(o) else None for key in RATES}


@shows()
def method_note(ctx: SectionContext) -> Note:
    """How the funnel counts: per visitor, within the campaign window; open conversion, closed steps."""
    return Note(ctx.tr("funnel.method"))


def figures(ctx: SectionContext) -> FigureSet:
    """The funnel rates the kit records, overall, per phase and per channel, with their parts."""
    out = FigureSet("funnel")
    for segment, r in _segment_rates(ctx).items():
        for key, (num, den) in RATES.items():
            out.add(
                key,
                _value(r[key]),
                segment=None if segment == OVERALL else segment,
                numerator=r[num],
                denominator=r[den],
            )
    return out


@shows()
def kpi_table(ctx: SectionContext) -> Table:
    """The whole-campaign funnel: visitors at each step, the step rate and the rate from the first step."""
    o = _level(ctx, "overall")
    counts = [o.iloc[0][s] if len(o) else 0 for s in STEPS]
    prev = [None, *counts[:-1]]
    df = pd.DataFrame(
        {
            "step": _step_names(ctx, STEPS),
            "visitors": counts,
            "step_rate": [None if p is None else metrics.ratio(c, p) for c, p in zip(counts, prev, strict=True)],
            "from_view": [metrics.ratio(c, counts[0]) for c in counts],
        }
    )
    units = {"visitors": "count", "step_rate": "pct", "from_view": "pct"}
    return ctx.table(
        df,
        units,
        labels={c: ctx.tr(f"funnel.col.{c}") for c in df.columns},
        title=ctx.tr("funnel.overall_title"),
    )


@shows()
def conversion_note(ctx: SectionContext) -> Note:
    """The open conversion (payers / viewers) as a sentence, beside the closed funnel's and the payers between."""
    o = _level(ctx, "overall")
    if not len(o) or not o.iloc[0]["view"]:
        return Note(ctx.tr("funnel.no_conversion"))
    r = o.iloc[0]
    return Note(
        ctx.tr(
            "funnel.conversion",
            open=ctx.fmt(r[OPEN], "pct"),
            payers=ctx.fmt(r["payers"], "count"),
            viewers=ctx.fmt(r["view"], "count"),
            closed=ctx.fmt(r["closed_conversion"], "pct"),
            skipped=ctx.fmt(r["payers"] - r["pay"], "count"),
        )
    )


@shows()
def rates_table(ctx: SectionContext) -> Table:
    """The whole-campaign rates, beside each comparison campaign's (YAML ``compare:``) and the change."""
    return ctx.figures_table(totals(ctx), title=ctx.tr("funnel.rates_title"))


@shows()
def funnel_chart(ctx: SectionContext) -> charts.Chart:
    """Distinct visitors at each step, each bar labelled with its count and the rate from the step before."""
    o = _level(ctx, "overall")
    counts = [float(o.iloc[0][s]) if len(o) else 0.0 for s in STEPS]
    df = pd.DataFrame({"step": _step_names(ctx, STEPS), "visitors": counts})
    chart = charts.bar(
        df,
        "step",
        "visitors",
        title=ctx.tr("funnel.chart_title"),
        unit="count",
        lang=ctx.lang,
        horizontal=False,
        annotate=False,
        ylabel=ctx.tr("funnel.axis.visitors"),
    )
    if isinstance(chart, Omitted):  # nothing to draw: the line says so
        return chart
    ax = chart.figure.axes[0]
    texts = []
    for i, c in enumerate(counts):
        rate = "" if i == 0 else f" ({ctx.fmt(metrics.ratio(c, counts[i - 1]), 'pct')})"
        texts.append(ctx.fmt(c, "count") + rate)
    for container in ax.containers:
        ax.bar_label(container, labels=texts, padding=3, fontsize=9)
    ax.margins(y=0.15)
    return chart


@shows()
def largest_drop(ctx: SectionContext) -> Note:
    """The step transition that loses the largest share of visitors, as a sentence."""
    o = _level(ctx, "overall")
    counts = {s: float(o.iloc[0][s]) for s in STEPS} if len(o) else {}
    worst = metrics.largest_drop(counts, STEPS)
    if worst is None:
        return Note(ctx.tr("funnel.no_drop"))
    a, b, lost = worst
    return Note(
        ctx.tr(
            "funnel.largest_drop",
            from_step=ctx.tr(f"funnel.step.{a}"),
            to_step=ctx.tr(f"funnel.step.{b}"),
            lost=ctx.fmt(lost, "pct"),
            base=ctx.fmt(counts[a], "count"),
            kept=ctx.fmt(counts[b], "count"),
        )
    )


@shows()
def phase_chart(ctx: SectionContext) -> charts.Chart:
    """The step rates of each phase side by side: where in the calendar each step weakens."""
    p = _level(ctx, "phase")
    long = pd.DataFrame(
        [
            {"phase": ctx.tr(f"phase.{r['period']}"), "rate": ctx.tr(f"funnel.rate.{key}"), "value": r[key]}
            for _, r in p.iterrows()
            for key in PHASE_RATES
        ],
        columns=["phase", "rate", "value"],
    )
    chart = charts.bar(
        long,
        "phase",
        "value",
        hue="rate",
        title=ctx.tr("funnel.phase_chart_title"),
        unit="pct",
        lang=ctx.lang,
        horizontal=False,
        ylabel=ctx.tr("funnel.axis.rate"),
    )
    if isinstance(chart, Omitted):  # nothing to draw: the line says so
        return chart
    ax = chart.figure.axes[0]
    for container in ax.containers:
        values = [ctx.fmt(v, "pct") for v in container.datavalues]
        ax.bar_label(container, labels=values, padding=2, fontsize=7)
    top = long["value"].max()
    ax.set_ylim(0, (float(top) if pd.notna(top) and top > 0 else 1.0) * 1.3)  # headroom for the legend
    if ax.get_legend() is not None:
        ax.legend(fontsize=8, ncols=len(PHASE_RATES), loc="upper left", title=None)
    return chart


@shows()
def phase_table(ctx: SectionContext) -> Table:
    """Per-phase visitors and rates next to the pooled whole-campaign row."""
    rows = pd.concat([_level(ctx, "phase"), _level(ctx, "overall")], ignore_index=True)
    names = label_values(rows["period"], "phase", ctx.lang)
    names[-1] = ctx.tr("funnel.whole_campaign")
    return _segment_table(ctx, rows, names, "phase", ctx.tr("funnel.phase_title"))


@shows()
def channel_table(ctx: SectionContext) -> Table:
    """Per-channel visitors and rates over the whole campaign next to the pooled row."""
    rows = pd.concat([_level(ctx, "channel"), _level(ctx, "overall")], ignore_index=True)
    names = label_values(rows["channel"], "channel", ctx.lang)
    names[-1] = ctx.tr("funnel.all_channels")
    return _segment_table(ctx, rows, names, "channel", ctx.tr("funnel.channel_title"))


@shows()
def benchmark_table(ctx: SectionContext) -> Table | Note:
    """Actual rates against the YAML's benchmarks per segment, with the base volume and the gap in points."""
    seg = _segment_rates(ctx)
    rows = []
    for key, (_, den) in RATES.items():
        bench = ctx.params.benchmarks.get(key)
        if bench is None:
            continue
        refs = bench if isinstance(bench, dict) else {OVERALL: bench}
        for segment, ref in refs.items():
            r = seg.get(segment)
            actual = None if r is None else _value(r[key])
            gap = None if actual is None else actual - ref
            rows.append(
                {
                    "figure": label(key, ctx.lang, ctx.params.settings),
                    "segment": _segment_name(ctx, segment),
                    "base": None if r is None else r[den],
                    "actual": actual,
                    "benchmark": ref,
                    "gap": "n/a" if gap is None else f"{gap * 100:+.1f}",
                }
            )
    if not rows:
        return Note(ctx.tr("funnel.no_benchmarks"))
    df = pd.DataFrame(rows)
    units = {"base": "count", "actual": "pct", "benchmark": "pct"}
    return ctx.table(
        df,
        units,
        labels={c: ctx.tr(f"funnel.col.{c}") for c in df.columns},
        title=ctx.tr("funnel.benchmark_title"),
    )


def _segment_name(ctx: SectionContext, segment: str) -> str:
    if segment == OVERALL:
        return ctx.tr("segment.overall")
    for prefix in ("phase", "channel"):
        name = label_values([segment], prefix, ctx.lang)[0]
        if name != segment:
            return name
    return segment
