"""Executive summary: KPI cards, highlights, problems with actions, and what to carry forward.

Everything here is derived from the figures the other sections recorded and the YAML's targets and
benchmarks; nothing is typed into the notebook. Each item cites its number and links to its section.
"""

from __future__ import annotations

import pandas as pd

from .. import formatting as fmt
from .. import metrics
from ..catalog import FIGURES, label
from ..comparison import delta
from ..consistency import check_findings, run_checks
from ..context import Recorded, SectionContext, load_figures, shows
from ..display import Cards, FindingsList, Note, Table
from ..findings import Finding, campaign_findings
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
    }
)

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


def _findings(ctx: SectionContext, kind: str) -> list[Finding]:
    found = [f for f in campaign_findings(ctx) if f.kind == kind]
    if kind == "problem":
        # figures that disagree across sections come first: every other finding may rest on them
        found = check_findings(ctx, run_checks(ctx)) + found
    return found


@shows()
def highlights(ctx: SectionContext) -> FindingsList:
    """What went well, largest margin first, each linking to its section."""
    return FindingsList(_findings(ctx, "highlight"), ctx.lang, ctx.tr("summary.highlights_none"), link=True)


@shows()
def problems(ctx: SectionContext) -> FindingsList:
    """What fell short, largest gap first, each with its recommended action and link.

    A failed consistency check (two sections disagreeing on one figure) leads the list, citing both numbers.
    """
    return FindingsList(_findings(ctx, "problem"), ctx.lang, ctx.tr("summary.problems_none"), link=True)


@shows()
def actions(ctx: SectionContext) -> Table | Note:
    """One recommended action per problem (an action shared by several problems is listed once)."""
    rows, seen = [], set()
    for f in _findings(ctx, "problem"):
        if not f.action or f.action in seen:
            continue
        seen.add(f.action)
        rows.append({"problem": f.text, "action": f.action, "section": f.section_title})
    if not rows:
        return Note(ctx.tr("summary.problems_none"))
    df = pd.DataFrame(rows)
    return ctx.table(df, labels={c: ctx.tr(f"summary.col.{c}") for c in df.columns})


@shows()
def carry_forward(ctx: SectionContext) -> Table | Note:
    """Keep doing what beat its reference; change what missed it (top three of each)."""
    found = campaign_findings(ctx)
    keep = [f.text for f in found if f.kind == "highlight"][:3]
    change = list(dict.fromkeys(f.action for f in found if f.kind == "problem" and f.action))[:3]
    if not keep and not change:
        return Note(ctx.tr("summary.problems_none"))
    n = max(len(keep), len(change))
    df = pd.DataFrame({"keep": keep + [""] * (n - len(keep)), "change": change + [""] * (n - len(change))})
    return ctx.table(
        df,
        labels={"keep": ctx.tr("summary.col.keep"), "change": ctx.tr("summary.col.change")},
        title=ctx.tr("summary.carry_title"),
    )
