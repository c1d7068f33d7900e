"""Goals and attainment: targets vs actuals, the daily baseline comparison, phases, cumulative pace, and why.

Actuals come from the owning sections' ``figures(ctx)`` (one computation per figure, shared with that
section's page), so a figure is never counted twice in the summary. What this section records is its own:
the drivers of the GMV gap against each reference and the counterfactual lift (``retro.story``).
"""

from __future__ import annotations

import pandas as pd

from .. import charts, metrics, story
from ..catalog import FIGURES, label
from ..context import FigureSet, Recorded, SectionContext, section_figures, section_module, shows
from ..display import Cards, FindingsList, Note, Omitted, Table
from ..errors import RetroError
from ..findings import evaluate
from ..forecast import TooShort
from ..i18n import register
from ..registry import SECTIONS

register(
    {
        "goals.col.figure": ("Figure", "指标"),
        "goals.col.actual": ("Actual", "实际"),
        "goals.col.target": ("Target", "目标"),
        "goals.col.attainment": ("Attainment", "达成率"),
        "goals.col.status": ("Status", "状态"),
        "goals.col.campaign_daily": ("Campaign, per day", "活动期日均"),
        "goals.col.baseline_daily": ("Baseline, per day", "日常日均"),
        "goals.col.change": ("Change", "变化"),
        "goals.col.phase": ("Phase", "阶段"),
        "goals.col.dates": ("Dates", "日期"),
        "goals.col.days": ("Days", "天数"),
        "goals.col.gmv": ("GMV", "GMV"),
        "goals.col.gmv_share": ("Share of GMV", "GMV占比"),
        "goals.status.met": ("met", "达成"),
        "goals.status.missed": ("missed", "未达成"),
        "goals.status.na": ("n/a", "无法计算"),
        "goals.kpi_title": ("Targets and attainment", "目标与达成"),
        "goals.baseline_title": ("Campaign vs ordinary days (daily averages)", "活动期与日常对比（日均）"),
        "goals.no_baseline": (
            "No baseline period in the YAML: the comparison with ordinary days is skipped.",
            "参数未设置日常对照期（baseline），跳过与日常的对比。",
        ),
        "goals.phase_title": ("Phases and their GMV", "活动阶段与GMV"),
        "goals.pace_title": (
            "Cumulative GMV vs a linear pace to target ({currency})",
            "累计GMV与目标线性进度（{currency}）",
        ),
        "goals.pace_actual": ("Cumulative GMV", "累计GMV"),
        "goals.pace_target": ("Target pace (linear)", "目标进度（线性）"),
        "goals.no_gmv_target": (
            "No GMV target: the pace line is not drawn.",
            "未设置GMV目标，不绘制进度线。",
        ),
        "goals.series": ("Series", "口径"),
        "goals.status.missed_by": ("missed by {gap}", "未达成，差 {gap}"),
    }
)

_BASELINE_FIGURES = (("gmv", "money"), ("orders", "count"), ("net_sales", "money"), ("paid_orders", "count"))


def _owner_totals(ctx: SectionContext, section: str) -> dict:
    """The owning section's whole-campaign figures, or {} when its data or marts are not available.

    The kit's sections: the overall figures of their ``figures(ctx)``, exactly what their pages record. A
    plug-in: its ``figures(ctx)`` too, else its ``totals(ctx)``.
    """
    plugin = section in SECTIONS and SECTIONS[section].plugin is not None
    try:
        module = section_module(section)
        if hasattr(module, "figures"):
            figures = section_figures(ctx, section)
            return {f.key: f.value for f in figures if f.segment is None and ctx.supports(f.key)}
        fn = getattr(module, "totals", None)
        return fn(ctx) if fn else {}
    except (RetroError, FileNotFoundError, KeyError):
        return {}
    except Exception:  # noqa: BLE001 - a project's own code: its own page says what failed
        if plugin:
            return {}
        raise


def actuals(ctx: SectionContext, keys) -> dict:
    """Actual values of the given figure keys, each from its owning section."""
    cache: dict[str, dict] = {}
    out = {}
    for key in keys:
        owner = FIGURES[key].section
        if owner not in cache:
            cache[owner] = _owner_totals(ctx, owner)
        out[key] = cache[owner].get(key)
    return out


def story_inputs(ctx: SectionContext) -> dict:
    """The campaign's GMV, orders and UV, and its daily averages against the baseline, for ``retro.story``."""
    act = actuals(ctx, ("gmv", "orders", "uv"))
    daily = daily_vs_baseline(ctx)
    parts = {}
    if ctx.has("table:events"):
        try:
            uv_lift = [f for f in section_figures(ctx, "traffic") if f.key == "uv_lift" and f.segment is None]
        except (RetroError, FileNotFoundError, KeyError):
            uv_lift = []
        parts = (uv_lift[0].parts or {}) if uv_lift else {}
    return {
        **act,
        "daily": {k: v[:2] for k, v in daily.items()},
        "campaign_daily_uv": parts.get("campaign_daily_uv"),
        "baseline_daily_uv": parts.get("baseline_daily_uv"),
    }


def _gaps(ctx: SectionContext) -> list[story.Gap]:
    cached = getattr(ctx, "_gaps", None)
    if cached is None:
        try:
            cached = story.gaps(ctx, story_inputs(ctx))
        except (RetroError, FileNotFoundError, KeyError):
            cached = []
        ctx._gaps = cached
    return cached


def figures(ctx: SectionContext) -> FigureSet:
    """The goals section's own figures: drivers of each GMV gap (segment: its reference) and the lift."""
    out = FigureSet("goals")
    for gap in _gaps(ctx):
        for driver, value in gap.parts.items():
            out.add(story.FIGURE_OF[driver], value, segment=gap.reference)
    lift = story.incremental(ctx)
    if lift is not None and not isinstance(lift, TooShort):
        w = lift.windows
        out.add("campaign_lift_gmv", w["campaign"].lift, actual=w["campaign"].actual, forecast=w["campaign"].expected)
        if "pull_forward" in w:
            out.add("pull_forward_gmv", w["pull_forward"].lift)
        if "hangover" in w:
            out.add("hangover_gmv", w["hangover"].lift)
        out.add("incremental_gmv", w["net"].lift)
        out.add("incremental_gmv_low", w["net"].low)
        out.add("incremental_gmv_high", w["net"].high)
    return out


def _status(att, good: float, poor: float) -> str:
    if att is None:
        return "na"
    return "met" if att >= good else ("missed" if att < poor else "near")


def attainment_rows(ctx: SectionContext) -> pd.DataFrame:
    """One row per YAML target: actual, target, attainment (inverted for lower-is-better figures), status."""
    targets = ctx.params.targets
    act = actuals(ctx, targets)
    s = ctx.params.settings
    rows = []
    for key, target in targets.items():
        spec = FIGURES[key]
        a = act.get(key)
        att = metrics.ratio(target, a) if spec.better == "lower" else metrics.ratio(a, target)
        rows.append(
            {
                "key": key,
                "figure": label(key, ctx.lang, ctx.params.settings),
                "unit": spec.unit,
                "actual": a,
                "target": target,
                "attainment": att,
                "status": _status(att, s.attainment_good, s.attainment_poor),
            }
        )
    return pd.DataFrame(rows)


@shows("targets")
def kpi_cards(ctx: SectionContext) -> Cards | Note:
    """Each target as a card: actual, target and attainment, coloured by status."""
    rows = attainment_rows(ctx)
    if rows.empty:
        return ctx.omitted(["targets"])
    colour = {"met": "good", "near": "warn", "missed": "bad", "na": "none"}
    cards = []
    for r in rows.itertuples():
        cards.append(
            {
                "label": r.figure,
                "value": ctx.fmt(r.actual, r.unit),
                "status": colour[r.status],
                "lines": [
                    f"{ctx.tr('goals.col.target')} {ctx.fmt(r.target, r.unit)}",
                    f"{ctx.tr('goals.col.attainment')} {ctx.fmt(r.attainment, 'pct')}",
                ],
            }
        )
    return Cards(cards)


@shows("targets")
def kpi_table(ctx: SectionContext) -> Table | Note:
    """Targets vs actuals with attainment %, the table behind the cards."""
    rows = attainment_rows(ctx)
    if rows.empty:
        return ctx.omitted(["targets"])
    df = pd.DataFrame(
        {
            "figure": rows["figure"],
            "actual": [ctx.fmt(v, u) for v, u in zip(rows["actual"], rows["unit"], strict=True)],
            "target": [ctx.fmt(v, u) for v, u in zip(rows["target"], rows["unit"], strict=True)],
            "attainment": rows["attainment"],
            "status": [_status_text(ctx, r) for r in rows.itertuples()],
        }
    )
    labels = {c: ctx.tr(f"goals.col.{c}") for c in df.columns}
    return ctx.table(
        df, {"attainment": "pct"}, labels=labels, title=ctx.tr("goals.kpi_title"), right=("actual", "target")
    )


def _status_text(ctx: SectionContext, r) -> str:
    """Met, or missed with the gap in the figure's unit: a 90% attainment is a miss, never "near"."""
    if r.status in ("near", "missed") and r.actual is not None:
        return ctx.tr("goals.status.missed_by", gap=ctx.fmt(abs(r.actual - r.target), r.unit))
    return ctx.tr(f"goals.status.{r.status}")


@shows()
def target_findings(ctx: SectionContext) -> FindingsList:
    """Highlights and problems of the targets alone (benchmarks are judged in their sections)."""
    rows = attainment_rows(ctx)
    figs = [Recorded(r.key, r.actual, FIGURES[r.key].section) for r in rows.itertuples()] if len(rows) else []
    params = ctx.params.model_copy(update={"benchmarks": {}})
    return FindingsList(evaluate(figs, params), ctx.lang, empty_text=ctx.tr("section.no_findings"), link=True)


def daily_vs_baseline(ctx: SectionContext) -> dict[str, tuple]:
    """Per sales figure: (campaign daily average, baseline daily average, change); {} without a baseline."""
    if ctx.params.baseline is None or not ctx.has_mart("sales_by_period"):
        return {}
    per = ctx.mart("sales_by_period").set_index("period")
    if not {"baseline", "overall"} <= set(per.index):
        return {}
    out = {}
    for key, _ in _BASELINE_FIGURES:
        c = metrics.ratio(per.loc["overall", key], per.loc["overall", "days"])
        b = metrics.ratio(per.loc["baseline", key], per.loc["baseline", "days"])
        out[key] = (c, b, metrics.change(c, b))
    return out


@shows()
def baseline_comparison(ctx: SectionContext) -> Table | Note:
    """Daily averages in the campaign vs the baseline period: GMV, orders, net sales, paid orders, UV."""
    daily = daily_vs_baseline(ctx)
    if not daily:
        return Note(ctx.tr("goals.no_baseline"))
    rows = []
    for key, unit in _BASELINE_FIGURES:
        c, b, change = daily[key]
        rows.append((label(key, ctx.lang, ctx.params.settings), ctx.fmt(c, unit), ctx.fmt(b, unit), change))
    traffic = _owner_totals(ctx, "traffic")
    if traffic.get("uv_lift") is not None:
        rows.append((label("uv_lift", ctx.lang), "", "", traffic["uv_lift"]))
    df = pd.DataFrame(rows, columns=["figure", "campaign_daily", "baseline_daily", "change"])
    labels = {c: ctx.tr(f"goals.col.{c}") for c in df.columns}
    return ctx.table(
        df,
        {"change": "change"},
        labels=labels,
        title=ctx.tr("goals.baseline_title"),
        right=("campaign_daily", "baseline_daily"),
    )


@shows()
def phase_timeline(ctx: SectionContext) -> charts.Chart:
    """The phases as a timeline, each bar annotated with its dates and its GMV."""
    per = ctx.mart("sales_by_period").set_index("period")
    total = per.loc["overall", "gmv"] if "overall" in per.index else None
    fig, ax = charts.new_figure(height=1.0 + 0.55 * len(ctx.params.phases))
    colors = {"warmup": "#5B9BD5", "burst": "#ED7D31", "tail": "#70AD47"}
    for i, ph in enumerate(ctx.params.phases):
        start = pd.Timestamp(ph.start)
        ax.barh(i, ph.days, left=start, color=colors.get(ph.name, "#999"), height=0.6)
        gmv = per.loc[ph.name, "gmv"] if ph.name in per.index else None
        text = (
            f"{ph.start:%m-%d}–{ph.end:%m-%d} · {ctx.fmt(gmv, 'money')} ({ctx.fmt(metrics.ratio(gmv, total), 'pct')})"
        )
        ax.text(start + pd.Timedelta(days=ph.days + 0.2), i, text, va="center", fontsize=9)
    ax.set_yticks(range(len(ctx.params.phases)), [ctx.tr(f"phase.{p.name}") for p in ctx.params.phases])
    ax.invert_yaxis()
    ax.set_xlim(
        pd.Timestamp(ctx.params.start) - pd.Timedelta(days=0.5),
        pd.Timestamp(ctx.params.end) + pd.Timedelta(days=8),
    )
    ax.grid(axis="y", visible=False)
    fig.autofmt_xdate()
    return charts.finish(fig, ax, ctx.tr("goals.phase_title"))


@shows("target:gmv")
def cumulative_pace(ctx: SectionContext) -> charts.Chart:
    """Cumulative GMV by day against a straight-line pace to the GMV target."""
    d = ctx.mart("sales_daily")
    d = d[d["period"] != "baseline"].sort_values("day").copy()
    days = pd.date_range(pd.Timestamp(ctx.params.start), pd.Timestamp(ctx.params.end), freq="D")
    gmv = d.set_index(pd.to_datetime(d["day"]))["gmv"].reindex(days, fill_value=0.0)
    series = [pd.DataFrame({"day": days, "value": gmv.cumsum().to_numpy(), "series": ctx.tr("goals.pace_actual")})]
    target = ctx.params.targets.get("gmv")
    if target:
        pace = [target * (i + 1) / len(days) for i in range(len(days))]
        series.append(pd.DataFrame({"day": days, "value": pace, "series": ctx.tr("goals.pace_target")}))
    long = pd.concat(series, ignore_index=True)
    chart = charts.line(
        long,
        "day",
        "value",
        hue="series",
        title=ctx.tr("goals.pace_title", currency=ctx.currency),
        unit="money",
        lang=ctx.lang,
        currency=ctx.currency,
        xlabel=ctx.tr("date"),
    )
    if isinstance(chart, Omitted):  # nothing to draw: the line says so
        return chart
    chart.figure.axes[0].legend(fontsize=8)
    return chart


def _range(ctx: SectionContext, low, high) -> str:
    return f"{ctx.fmt(low, 'money')} – {ctx.fmt(high, 'money')}"


@shows()
def driver_waterfall(ctx: SectionContext) -> charts.Chart | Note:
    """GMV from its main reference to the actual, through each driver's contribution (target first)."""
    found = _gaps(ctx)
    if not found:
        return Note(ctx.tr("story.no_reference"))
    gap = found[0]
    steps = [(ctx.tr(f"story.driver.{d}"), gap.parts[d]) for d in story.DRIVERS]
    return charts.waterfall(
        steps,
        start=(gap.label[:1].upper() + gap.label[1:], gap.ref_gmv),  # a bar's label starts a line
        end=(ctx.tr("story.col.act_gmv"), gap.act_gmv),
        title=ctx.tr("story.waterfall_title", reference=gap.label),
        unit="money",
        lang=ctx.lang,
        currency=ctx.currency,
    )


@shows()
def drivers_table(ctx: SectionContext) -> Table | Note:
    """Each reference's GMV, the actual, the change and the three drivers' contributions (they sum to it)."""
    found = _gaps(ctx)
    if not found:
        return Note(ctx.tr("story.no_reference"))
    rows = []
    for gap in found:
        rows.append(
            {
                "reference": gap.label,
                "ref_gmv": gap.ref_gmv,
                "act_gmv": gap.act_gmv,
                "change": gap.change,
                **{d: gap.parts[d] for d in story.DRIVERS},
            }
        )
    df = pd.DataFrame(rows)
    labels = {c: ctx.tr(f"story.col.{c}") for c in ("reference", "ref_gmv", "act_gmv", "change")}
    labels |= {d: ctx.tr(f"story.driver.{d}") for d in story.DRIVERS}
    units = dict.fromkeys(["ref_gmv", "act_gmv", "change", *story.DRIVERS], "money")
    return ctx.table(df, units, labels=labels, title=ctx.tr("story.drivers_title"), note=ctx.tr("story.drivers_note"))


@shows()
def channel_drivers(ctx: SectionContext) -> Table | Note:
    """Against the comparison campaign: total visitors, channel mix, and rate and value within channels."""
    drivers = {"visitors": "visitors", "mix": "mix", "rate": "rate", "value": "value"}
    totals = ("story.col.ref_gmv", "story.col.act_gmv")
    return _mix_table(ctx, story.channel_gap(ctx), drivers, totals, "channels")


@shows("table:order_items")
def category_drivers(ctx: SectionContext) -> Table | Note:
    """Against the comparison campaign: units sold, category mix and net sales per unit within categories."""
    drivers = {"units": "units", "mix": "category_mix", "price": "price"}
    totals = ("story.col.ref_sales", "story.col.act_sales")
    return _mix_table(ctx, story.category_gap(ctx), drivers, totals, "categories")


def _mix_table(ctx: SectionContext, gap, drivers: dict, totals: tuple[str, str], kind: str) -> Table | Note:
    """One row: the reference and actual totals, the change and each driver's contribution (they sum to it)."""
    if gap is None:
        return Note(ctx.tr(f"story.no_{kind}"))
    row = {"ref": gap.ref_gmv, "act": gap.act_gmv, "change": gap.act_gmv - gap.ref_gmv}
    df = pd.DataFrame([{**row, **{d: gap.parts[d] for d in drivers}}])
    labels = {"ref": ctx.tr(totals[0]), "act": ctx.tr(totals[1]), "change": ctx.tr("story.col.change")}
    labels |= {d: ctx.tr(f"story.driver.{key}") for d, key in drivers.items()}
    return ctx.table(
        df,
        dict.fromkeys(df.columns, "money"),
        labels=labels,
        title=ctx.tr(f"story.{kind}_title", label=gap.label),
        note=ctx.tr(f"story.{kind}_note"),
    )


def _lift(ctx: SectionContext):
    """The counterfactual, or the one line saying why there is none (None: no order data at all)."""
    lift = story.incremental(ctx)
    if isinstance(lift, TooShort):
        return Note(ctx.tr("story.too_short", needed=lift.needed, days=lift.days))
    return lift


@shows("table:orders")
def lift_chart(ctx: SectionContext) -> charts.Chart | Note | Omitted:
    """Daily GMV over the pull-forward days, the campaign and the hangover against the forecast and its band."""
    labels = {"line": ctx.tr("story.lift.actual"), "expected": ctx.tr("story.lift.expected")}
    return _band_chart(ctx, "story.lift_title", labels)


@shows("table:orders")
def cumulative_lift_chart(ctx: SectionContext) -> charts.Chart | Note | Omitted:
    """Lift added up day by day from the first pull-forward day, with its 90% range: where the net ends."""
    labels = {"line": ctx.tr("story.cumulative.lift")}
    columns = ("cum_lift", "cum_low", "cum_high")
    return _band_chart(ctx, "story.cumulative_title", labels, columns=columns, expected=None, zero=True)


def _band_chart(ctx: SectionContext, title: str, labels: dict, **kw):
    lift = _lift(ctx)
    if lift is None or isinstance(lift, Note):
        return lift or ctx.omitted(["table:orders"])
    return charts.band(
        lift.daily,
        title=ctx.tr(title),
        unit="money",
        lang=ctx.lang,
        currency=ctx.currency,
        labels={**labels, "band": ctx.tr("story.lift.band")},
        phases=ctx.params.phases,
        **kw,
    )


@shows("table:orders")
def lift_table(ctx: SectionContext) -> Table | Note | Omitted:
    """Per window (before, during, after, net): actual GMV, forecast, lift and its 90% range."""
    lift = _lift(ctx)
    if lift is None or isinstance(lift, Note):
        return lift or ctx.omitted(["table:orders"])
    rows = []
    for name in ("pull_forward", "campaign", "hangover", "net"):
        w = lift.windows.get(name)
        if w is None:
            continue
        rows.append(
            {
                "window": ctx.tr(f"story.window.{name}"),
                "dates": f"{w.start:%m-%d} – {w.end:%m-%d}",
                "actual": w.actual,
                "expected": w.expected,
                "lift": w.lift,
                "range": _range(ctx, w.low, w.high),
            }
        )
    df = pd.DataFrame(rows)
    note = ctx.tr(
        "story.lift_note",
        method=ctx.tr(f"story.method.{lift.method}"),
        fit_start=f"{lift.fit_start:%Y-%m-%d}",
        fit_end=f"{lift.fit_end:%Y-%m-%d}",
    )
    if "hangover_short" in lift.notes:
        note += (" " if ctx.lang == "en" else "") + ctx.tr("story.hangover_short")
    return ctx.table(
        df,
        dict.fromkeys(["actual", "expected", "lift"], "money"),
        labels={c: ctx.tr(f"story.col.{c}") for c in df.columns},
        note=note,
        right=("range",),
    )
