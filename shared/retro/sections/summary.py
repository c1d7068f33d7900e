"""Executive summary: the headline, KPI cards, highlights, problems with their actions, what to carry forward.

Everything here is derived from the figures the other sections recorded and the YAML's targets and
benchmarks; nothing is typed into the notebook. Each item cites its number and links to its section. The
headline says in two to four sentences how GMV did against its target, what drove the gap (the goals page's
decomposition), how much was truly extra (its counterfactual) and which problem cost most.
"""

from __future__ import annotations

import pandas as pd

from .. import formatting as fmt
from .. import metrics, story
from ..catalog import FIGURES, label
from ..comparison import delta
from ..consistency import check_findings, run_checks
from ..context import Recorded, SectionContext, load_figures, shows
from ..display import Cards, FindingsList, Note, Paragraphs, Table
from ..findings import Finding, campaign_findings
from ..forecast import TooShort
from ..i18n import register
from ..registry import SECTIONS

register(
    {
        "summary.highlights_none": ("No figure beat its target or benchmark.", "没有指标超过目标或基准。"),
        "summary.problems_none": (
            "No figure fell short of its target or benchmark.",
            "没有指标低于目标或基准。",
        ),
        "summary.no_figures": (
            "No section recorded any figure: the sections did not run or had no data.",
            "各章节均未记录指标：章节未运行或缺少数据。",
        ),
        "summary.col.problem": ("Problem", "问题"),
        "summary.col.action": ("Recommended action", "建议动作"),
        "summary.col.section": ("Section", "章节"),
        "summary.col.keep": ("Keep doing", "继续保持"),
        "summary.col.change": ("Change next time", "下次改进"),
        "summary.target_line": ("target {target} · {attainment}", "目标 {target} · 达成 {attainment}"),
        "summary.bench_line": ("benchmark {reference}", "基准 {reference}"),
        "summary.vs_baseline_line": ("daily avg {change} vs baseline", "日均较日常 {change}"),
        "summary.vs_compare_line": ("{change} vs {label} ({reference})", "较{label} {change}（{reference}）"),
        "summary.carry_title": ("What to carry into the next campaign", "带入下次大促的经验"),
        "summary.col.kind": ("", ""),
        "summary.col.what": ("What", "做法"),
        "summary.col.because": ("Because", "依据"),
        "summary.carry.keep": ("Keep", "保持"),
        "summary.carry.change": ("Change", "改进"),
        "summary.head.missed": (
            "GMV was {value}, {attainment} of the {target} target: {gap} short.",
            "GMV {value}，完成目标 {target} 的 {attainment}，差 {gap}。",
        ),
        "summary.head.met": (
            "GMV was {value}, {attainment} of the {target} target: {gap} over.",
            "GMV {value}，完成目标 {target} 的 {attainment}，超出 {gap}。",
        ),
        "summary.head.no_target": ("GMV was {value}; no GMV target was set.", "GMV {value}；未设置GMV目标。"),
        "summary.head.driver_down": (
            "Against the {reference}, the largest part of the gap came from {driver} ({main}); {others}.",
            "对比{reference}，差距主要来自{driver}（{main}）；{others}。",
        ),
        "summary.head.driver_up": (
            "Against the {reference}, most of the gain came from {driver} ({main}); {others}.",
            "对比{reference}，增长主要来自{driver}（{main}）；{others}。",
        ),
        "summary.head.other_driver": ("{driver} {value}", "{driver} {value}"),
        "summary.head.lift": (
            "Against a forecast of the same days without the promotion, the campaign added {net} net "
            "(90% range {low} to {high}) after the dip before it and the hangover after it; forecast-based, "
            "not causal.",
            "与同期无活动的预测相比，扣除活动前观望与活动后透支，活动净增 {net}"
            "（90%区间 {low} 至 {high}）；基于预测，非因果。",
        ),
        "summary.head.lift_unclear": (
            "Against a forecast of the same days without the promotion, the net effect cannot be told from zero "
            "({net}, 90% range {low} to {high}); forecast-based, not causal.",
            "与同期无活动的预测相比，净效果与零无法区分（{net}，90%区间 {low} 至 {high}）；基于预测，非因果。",
        ),
        "summary.head.costliest": (
            "The costliest problem: {problem}; money effect {money}.",
            "代价最大的问题：{problem}，金额影响 {money}。",
        ),
        "summary.detail.roi": (
            "Below ROI 1: {channels}; bringing them to 1 is worth {prize}.",
            "ROI低于1的渠道：{channels}；将其提升到1价值 {prize}。",
        ),
        "summary.detail.sellouts": ("Sold out first: {items}.", "最先售罄：{items}。"),
        "summary.detail.sellout_item": (
            "{sku} ({hours} after the burst began, {lost} lost)",
            "{sku}（爆发开始后{hours}售罄，损失 {lost}）",
        ),
        "summary.too_small": (
            "Too few observations to judge (under 30): {items}.",
            "样本不足30，暂不评判：{items}。",
        ),
    }
)

CARRY_CHANGES = 5  # what to change next time: the costliest problems' actions
CARD_KEYS = (
    "gmv",
    "net_sales",
    "paid_orders",
    "aov",
    "uv",
    "conversion_rate",
    "new_customers",
    "roi",
    "retention_30d",
    "ship_48h_rate",
    "complaint_rate",
    "nps",
)


def _overall(figures: list[Recorded]) -> dict[str, Recorded]:
    """Whole-campaign figures by key, from the section that owns each key."""
    out = {}
    for f in figures:
        if f.segment is None and FIGURES[f.key].section == f.section:
            out[f.key] = f
    return out


@shows()
def kpi_cards(ctx: SectionContext) -> Cards | Note:
    """Headline figures as cards, coloured by target attainment or, without a target, by benchmark.

    With comparisons in the YAML, each card also shows its change against the first one (n/a if it lacks it).
    """
    figs = _overall(load_figures(ctx.run_dir))
    if not figs:
        return Note(ctx.tr("summary.no_figures"), "warn")
    s = ctx.params.settings
    from .goals import daily_vs_baseline

    daily = {k: v[2] for k, v in daily_vs_baseline(ctx).items()}
    versus = ctx.comparisons[0] if ctx.comparisons else None  # the first comparison in the YAML
    if "uv_lift" in figs:
        daily["uv"] = figs["uv_lift"].value  # daily UV vs the baseline's, recorded by traffic
    cards = []
    for key in CARD_KEYS:
        f = figs.get(key)
        if f is None or (f.value is None and key not in ctx.params.targets):
            continue  # a card with no value and nothing to hold it to says nothing
        spec = FIGURES[key]
        lines, status = [], "none"
        target = ctx.params.targets.get(key)
        bench = ctx.params.benchmarks.get(key)
        bench = bench.get("overall") if isinstance(bench, dict) else bench
        if target is not None:
            att = metrics.ratio(target, f.value) if spec.better == "lower" else metrics.ratio(f.value, target)
            status = (
                "none"
                if att is None
                else ("good" if att >= s.attainment_good else "bad" if att < s.attainment_poor else "warn")
            )
            lines.append(
                ctx.tr("summary.target_line", target=ctx.fmt(target, spec.unit), attainment=ctx.fmt(att, "pct"))
            )
        elif bench is not None and f.value is not None and spec.better != "neutral":
            better = f.value >= bench if spec.better == "higher" else f.value <= bench
            status = "good" if better else "bad"
            lines.append(ctx.tr("summary.bench_line", reference=ctx.fmt(bench, spec.unit)))
        if daily.get(key) is not None:
            lines.append(ctx.tr("summary.vs_baseline_line", change=ctx.fmt(daily[key], "change")))
        if versus is not None:
            ref = versus.figure(key)
            change, unit = delta(key, f.value, ref, versus.currency == ctx.currency)
            lines.append(
                ctx.tr(
                    "summary.vs_compare_line",
                    change=ctx.fmt(change, unit),
                    label=versus.label,
                    reference=fmt.value(ref, spec.unit, ctx.lang, versus.currency),
                )
            )
        cards.append(
            {
                "label": label(key, ctx.lang, ctx.params.settings),
                "value": ctx.fmt(f.value, spec.unit),
                "status": status,
                "lines": lines,
                "href": SECTIONS[f.section].page,
            }
        )
    return Cards(cards)


def _all_findings(ctx: SectionContext) -> list[Finding]:
    cached = getattr(ctx, "_findings", None)
    if cached is None:
        cached = campaign_findings(ctx)
        told = set()
        for f in cached:
            detail_of = ACTION_DETAILS.get(f.key)
            if f.kind == "problem" and detail_of is not None and detail_of not in told:
                told.add(detail_of)  # ROI and ROAS point at the same channels: named once, at the costlier
                detail = detail_of(ctx)
                if detail:
                    f.action = f"{f.action} {detail}" if ctx.lang == "en" else f"{f.action}{detail}"
        ctx._findings = cached
    return cached


def _findings(ctx: SectionContext, kind: str) -> list[Finding]:
    found = [f for f in _all_findings(ctx) if f.kind == kind and not f.too_small]
    if kind == "problem":
        # figures that disagree across sections come first: every other finding may rest on them
        found = check_findings(ctx, run_checks(ctx)) + found
    return found


@shows()
def headline(ctx: SectionContext) -> Paragraphs | Note:
    """Two to four sentences: GMV against target, the main driver of the gap, net incremental, costliest problem."""
    figs = _overall(load_figures(ctx.run_dir))
    gmv = figs.get("gmv")
    if gmv is None or gmv.value is None:
        return Note(ctx.tr("summary.no_figures"), "warn")
    money = lambda v: ctx.fmt(v, "money")  # noqa: E731
    target = ctx.params.targets.get("gmv")
    if target:
        att = metrics.ratio(gmv.value, target)
        key = (
            "summary.head.met"
            if att is not None and att >= ctx.params.settings.attainment_good
            else "summary.head.missed"
        )
        lines = [
            ctx.tr(
                key,
                value=money(gmv.value),
                target=money(target),
                attainment=ctx.fmt(att, "pct"),
                gap=money(abs(gmv.value - target)),
            )
        ]
    else:
        lines = [ctx.tr("summary.head.no_target", value=money(gmv.value))]
    driver = _driver_sentence(ctx)
    if driver:
        lines.append(driver)
    lift = _lift_sentence(ctx, figs)
    if lift:
        lines.append(lift)
    # the GMV gap itself is the first sentence: the costliest problem is among its causes
    costly = [
        f
        for f in _findings(ctx, "problem")
        if f.money is not None and f.money < 0 and f.key not in ("gmv", "net_sales")
    ]
    if costly:
        lines.append(
            ctx.tr("summary.head.costliest", problem=costly[0].text.rstrip("。."), money=money(costly[0].money))
        )
    return Paragraphs(lines, kind="headline")


def _driver_sentence(ctx: SectionContext) -> str:
    """The driver that moved GMV most against the first reference the goals page split it against."""
    parts: dict[str, dict[str, float]] = {}
    for f in load_figures(ctx.run_dir):
        if f.section == "goals" and f.key in story.FIGURE_OF.values() and f.value is not None:
            parts.setdefault(f.segment or "", {})[f.key] = f.value
    for reference in ("target", "compare", "baseline"):
        split = parts.get(reference)
        if not split or len(split) != len(story.DRIVERS):
            continue
        by_driver = {d: split[story.FIGURE_OF[d]] for d in story.DRIVERS}
        change = sum(by_driver.values())
        sign = 1 if change >= 0 else -1
        main = max(by_driver, key=lambda d: sign * by_driver[d])
        others = [
            ctx.tr("summary.head.other_driver", driver=ctx.tr(f"story.driver.{d}"), value=_signed(ctx, v))
            for d, v in by_driver.items()
            if d != main
        ]
        name = {
            "target": ctx.tr("story.ref.target"),
            "compare": ctx.comparisons[0].label if ctx.comparisons else "",
            "baseline": ctx.tr("story.ref.baseline"),
        }[reference]
        key = "summary.head.driver_up" if change >= 0 else "summary.head.driver_down"
        return ctx.tr(
            key,
            reference=name,
            driver=ctx.tr(f"story.driver.{main}"),
            main=_signed(ctx, by_driver[main]),
            others=("，" if ctx.lang == "zh" else ", ").join(others),
        )
    return ""


def _signed(ctx: SectionContext, value: float) -> str:
    shown = ctx.fmt(value, "money")
    return "+" + shown if value > 0 else shown


def _lift_sentence(ctx: SectionContext, figs: dict) -> str:
    net, low, high = (figs.get(k) for k in ("incremental_gmv", "incremental_gmv_low", "incremental_gmv_high"))
    if net is not None and net.value is not None and low is not None and high is not None:
        key = "summary.head.lift_unclear" if low.value <= 0 <= high.value else "summary.head.lift"
        return ctx.tr(key, net=_signed(ctx, net.value), low=_signed(ctx, low.value), high=_signed(ctx, high.value))
    lift = story.incremental(ctx)
    if isinstance(lift, TooShort):
        return ctx.tr("story.too_short", needed=lift.needed, days=lift.days)
    return ""


@shows()
def gap_chart(ctx: SectionContext):
    """The overview's one chart: GMV from its main reference to the actual, through its drivers (goals page)."""
    from .goals import driver_waterfall

    return driver_waterfall(ctx)


@shows()
def highlights(ctx: SectionContext) -> FindingsList:
    """What went well, largest money effect first, each linking to its section."""
    return FindingsList(
        _findings(ctx, "highlight"), ctx.lang, ctx.tr("summary.highlights_none"), link=True, currency=ctx.currency
    )


@shows()
def problems(ctx: SectionContext) -> Paragraphs | FindingsList:
    """What fell short, costliest first, each once, with its money effect, its action and its link.

    A failed consistency check (two sections disagreeing on one figure) leads the list, citing both numbers.
    Rates resting on under 30 observations follow in one line, not ranked.
    """
    shown = FindingsList(
        _findings(ctx, "problem"), ctx.lang, ctx.tr("summary.problems_none"), link=True, currency=ctx.currency
    )
    small = [f for f in _all_findings(ctx) if f.too_small]
    if not small:
        return shown
    items = ("；" if ctx.lang == "zh" else "; ").join(f.text.rstrip("。.") for f in small)
    return Paragraphs([shown, ctx.tr("summary.too_small", items=items)])


@shows()
def carry_forward(ctx: SectionContext) -> Table | Note:
    """What to keep (the top highlights) and what to change (the costliest problems' actions, with each problem)."""
    rows = []
    for f in [f for f in _findings(ctx, "problem") if f.action][:CARRY_CHANGES]:
        if f.action:
            rows.append({"kind": ctx.tr("summary.carry.change"), "what": f.action, "because": f.text})
    for f in _findings(ctx, "highlight")[:3]:
        rows.append({"kind": ctx.tr("summary.carry.keep"), "what": f.text, "because": f.section_title})
    if not rows:
        return Note(ctx.tr("summary.problems_none"))
    df = pd.DataFrame(rows)
    return ctx.table(
        df, labels={c: ctx.tr(f"summary.col.{c}") for c in df.columns}, title=ctx.tr("summary.carry_title")
    )


def _roi_channels(ctx: SectionContext) -> str:
    """Channels whose ROI is below 1, with their ROI and spend, and what bringing them to 1 is worth."""
    from . import marketing

    try:
        rows = marketing.channel_rows(ctx)
    except (FileNotFoundError, KeyError):
        return ""
    low = rows[(rows["channel"] != "overall") & (rows["roi"] < 1) & (rows["spend"] > 0)]
    if low.empty:
        return ""
    low = low.sort_values("roi")
    names = {c: n for c, n in zip(low["channel"], marketing._channel_names(ctx, low["channel"]), strict=True)}
    items = [f"{names[r.channel]} ROI {r.roi:.2f}, {ctx.fmt(r.spend, 'money')}" for r in low.itertuples()]
    prize = float(((1 - low["roi"]) * low["spend"]).sum())
    return ctx.tr("summary.detail.roi", channels="; ".join(items), prize=ctx.fmt(prize, "money"))


def _sellouts(ctx: SectionContext) -> str:
    """The SKUs that sold out with most sales lost: when (hours after the burst began) and what it cost."""
    from . import fulfilment

    stock = fulfilment._stock(ctx) if ctx.has("table:inventory") else None
    if stock is None:
        return ""
    so = stock[stock["sellout_time"].notna()].copy()
    if so.empty:
        return ""
    so["lost"] = fulfilment._lost_sales(so)
    so = so.sort_values(["lost", "sku"], ascending=[False, True], na_position="last").head(3)
    items = [
        ctx.tr(
            "summary.detail.sellout_item",
            sku=fulfilment._sku_label(r),
            hours=ctx.fmt(r["hours_from_burst_start"], "hours"),
            lost=ctx.fmt(r["lost"], "money"),
        )
        for _, r in so.iterrows()
    ]
    return ctx.tr("summary.detail.sellouts", items=("；" if ctx.lang == "zh" else "; ").join(items))


ACTION_DETAILS = {"roi": _roi_channels, "lost_sales_estimate": _sellouts, "stockout_skus": _sellouts}
