"""``retro compare RUN_A RUN_B``: one self-contained page showing a finished run against another.

Built from the two run folders only (recorded figures, marts and the campaign snapshot), never from raw data,
so it takes seconds and works after the data has moved. A is the campaign under review, B the reference:
every change reads "A against B". Headline figures sit side by side per section; daily curves are aligned by
phase day (warm-up day 1, burst day 1 …), not by calendar date.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import charts
from . import formatting as fmt
from .catalog import FIGURES, label
from .comparison import align_daily, delta, figure_changes
from .display import Cards, FindingsList, Note, Table, esc
from .findings import comparison_findings
from .i18n import register, tr
from .registry import SECTIONS
from .report import stamp, write_standalone_page
from .rundir import OUTPUTS, ComparedRun, load_run

register(
    {
        "compare.title": ("{a} vs {b}", "{a} 对比 {b}"),
        "compare.intro": (
            "{a} against {b}. Changes are relative to {b}; rates change in percentage points. n/a: the figure "
            "is missing on one side or its base is 0. Daily curves are aligned by phase day, not by date.",
            "{a} 对比 {b}。变化以 {b} 为基数；比率类指标的变化以百分点表示。n/a：一方缺少该指标或基数为0。"
            "每日曲线按阶段内天数对齐，而非按日期。",
        ),
        "compare.currency_note": (
            "The campaigns use different currencies ({a}, {b}): money figures are shown but not compared.",
            "两次活动币种不同（{a}、{b}）：金额类指标仅列出，不计算变化。",
        ),
        "compare.cards": ("Headline figures", "核心指标"),
        "compare.changes": ("Largest changes", "变化最大的指标"),
        "compare.no_changes": (
            "No headline figure changed by 10% or more.",
            "没有核心指标变化超过10%。",
        ),
        "compare.by_section": ("Figures by section", "分章节指标"),
        "compare.daily": ("Daily curves by phase day", "按阶段内天数对齐的每日曲线"),
        "compare.no_daily": ("{what}: not built in {run}.", "{what}：{run} 中没有该数据。"),
        "compare.gmv_title": ("Daily GMV by phase day", "每日GMV（按阶段内天数对齐）"),
        "compare.net_title": ("Daily net sales by phase day", "每日净销售额（按阶段内天数对齐）"),
        "compare.uv_title": (
            "Daily UV by phase day (distinct visitors per day)",
            "每日UV（按阶段内天数对齐，按日去重）",
        ),
        "compare.card_line": ("{b}: {reference} · {change}", "{b}：{reference} · {change}"),
    }
)

CARD_KEYS = ("gmv", "net_sales", "paid_orders", "aov", "uv", "conversion_rate", "new_customers", "roi")


def default_output(a: ComparedRun, b: ComparedRun) -> Path:
    """outputs/compare/<a id>-vs-<b id>/."""
    return OUTPUTS / "compare" / f"{a.campaign['id']}-vs-{b.campaign['id']}"


def build_comparison_report(run_a: Path, run_b: Path, output: Path | None = None) -> Path:
    """Write ``index.html`` comparing two finished runs and return its path."""
    order = list(SECTIONS)
    a = load_run(run_a, shown=str(run_a), sections=order)
    b = load_run(run_b, shown=str(run_b), sections=order)
    lang = a.campaign["language"]
    title = tr("compare.title", lang, a=a.label, b=b.label)
    period = " · ".join(f"{r.phases[0]['start']} – {r.phases[-1]['end']}" for r in (a, b))
    out = Path(output) if output else default_output(a, b)
    return write_standalone_page(
        out / "index.html",
        lang=lang,
        title=title,
        period=period,
        body=comparison_body(a, b),
        stamp=stamp(f"{a.campaign['id']} / {b.campaign['id']}"),
    )


def comparison_body(a: ComparedRun, b: ComparedRun) -> str:
    """The page's HTML: cards, largest changes, figures per section, daily curves."""
    lang = a.campaign["language"]
    parts = [f"<h1>{esc(tr('compare.title', lang, a=a.label, b=b.label))}</h1>"]
    parts += [f'<p class="phases">{esc(r.label)}: {esc(_calendar(r, lang))}</p>' for r in (a, b)]
    parts.append(Note(tr("compare.intro", lang, a=a.label, b=b.label))._repr_html_())
    if a.currency != b.currency:
        parts.append(Note(tr("compare.currency_note", lang, a=a.currency, b=b.currency), "warn")._repr_html_())
    changes = {c.key: c for c in figure_changes(a.figures, b, a.currency)}
    parts.append(f"<h2>{esc(tr('compare.cards', lang))}</h2>" + _cards(a, b, changes, lang)._repr_html_())
    found = comparison_findings(a.figures, [b], lang, a.currency)
    parts.append(f"<h2>{esc(tr('compare.changes', lang))}</h2>")
    parts.append(FindingsList(found, lang, tr("compare.no_changes", lang))._repr_html_())
    parts.append(f"<h2>{esc(tr('compare.by_section', lang))}</h2>")
    for name, section in SECTIONS.items():
        table = section_table(a, b, name, lang)
        if table is not None:
            parts.append(f"<h3>{section.number:02d} · {esc(section.title(lang))}</h3>" + table._repr_html_())
    parts.append(f"<h2>{esc(tr('compare.daily', lang))}</h2>")
    parts += [x._repr_html_() for x in daily_charts(a, b, lang)]
    return "\n".join(parts)


def _calendar(run: ComparedRun, lang: str) -> str:
    return " · ".join(f"{tr('phase.' + p['name'], lang)} {p['start']} – {p['end']}" for p in run.phases)


def _cards(a: ComparedRun, b: ComparedRun, changes: dict, lang: str) -> Cards:
    cards = []
    for key in CARD_KEYS:
        c = changes.get(key)
        if c is None:
            continue
        unit = FIGURES[key].unit
        status = "none" if c.improved is None else ("good" if c.improved else "bad")
        line = tr(
            "compare.card_line",
            lang,
            b=b.label,
            reference=fmt.value(c.reference, unit, lang, b.currency),
            change=fmt.value(c.delta, c.unit, lang, a.currency),
        )
        value = fmt.value(c.value, unit, lang, a.currency)
        cards.append({"label": label(key, lang), "value": value, "status": status, "lines": [line]})
    return Cards(cards)


def section_table(a: ComparedRun, b: ComparedRun, section: str, lang: str) -> Table | None:
    """One section's whole-campaign figures: A, B and the change; n/a where one side lacks a figure."""
    keys = [f.key for f in a.figures if f.section == section and f.segment is None and f.key in FIGURES]
    keys += [f.key for f in b.figures if f.section == section and f.segment is None and f.key in FIGURES]
    keys = list(dict.fromkeys(keys))
    if not keys:
        return None
    rows = []
    for key in keys:
        unit = FIGURES[key].unit
        mine, theirs = a.figure(key, section=section), b.figure(key, section=section)
        change, change_unit = delta(key, mine, theirs, a.currency == b.currency)
        rows.append(
            {
                "figure": label(key, lang),
                "a": fmt.value(mine, unit, lang, a.currency),
                "b": fmt.value(theirs, unit, lang, b.currency),
                "change": fmt.value(change, change_unit, lang, a.currency),
            }
        )
    labels = {"figure": tr("figure", lang), "a": a.label, "b": b.label, "change": tr("compare.change", lang)}
    return Table(pd.DataFrame(rows), lang=lang, currency=a.currency, labels=labels, right=("a", "b", "change"))


def daily_charts(a: ComparedRun, b: ComparedRun, lang: str) -> list:
    """GMV, net sales and UV per phase day, A solid and B dashed; a note where a run lacks the mart."""
    out = []
    plans = [
        ("sales_daily", "gmv", "compare.gmv_title", "money", None),
        ("sales_daily", "net_sales", "compare.net_title", "money", None),
        ("traffic_daily", "uv", "compare.uv_title", "count", "all"),
    ]
    for mart, value, title_key, unit, channel in plans:
        frames = [r.mart(mart) for r in (a, b)]
        missing = [r.label for r, f in zip((a, b), frames, strict=True) if f is None]
        if missing:
            out.append(Note(tr("compare.no_daily", lang, what=tr(title_key, lang), run=", ".join(missing))))
            continue
        if unit == "money" and a.currency != b.currency:
            continue
        if channel is not None:
            frames = [f[f["channel"] == channel] for f in frames]
        aligned = align_daily([("a", frames[0], a.phases, value), ("b", frames[1], b.phases, value)])
        lines = [{"column": "a", "label": a.label}, {"column": "b", "label": b.label, "dashed": True}]
        out.append(
            charts.phase_day_lines(
                aligned,
                lines,
                title=tr(title_key, lang),
                unit=unit,
                lang=lang,
                currency=a.currency,
                xlabel=tr("compare.phase_day", lang),
            )
        )
    return out
