"""Data-quality appendix: what the data check found, which rows are left out, which figures disagree.

Reads the soft problems the last mart build recorded (``marts/quality.json``), the sales section's excluded
non-merchandise lines and the consistency checks (``retro.consistency``, recomputed from the marts). It does
not read the executive summary, and the summary does not read it: both run after the other sections.
"""

from __future__ import annotations

import pandas as pd

from ..consistency import UNITS, check_findings, exact, run_checks
from ..context import SectionContext, shows
from ..display import FindingsList, Note, Table
from ..i18n import label_values, register, table_names
from ..staging.checks import is_exclusion
from . import quality_text

register(
    {
        "quality.col.table": ("Table", "数据表"),
        "quality.col.column": ("Column", "字段"),
        "quality.col.what": ("What was found", "问题"),
        "quality.col.rows": ("Rows", "行数"),
        "quality.col.examples": ("Examples", "示例"),
        "quality.col.fix": ("How to fix", "修正方法"),
        "quality.col.reasons": ("Why", "原因"),
        "quality.col.sku": ("SKU", "SKU"),
        "quality.col.category": ("Category", "品类"),
        "quality.col.lines": ("Order lines", "订单行"),
        "quality.col.net_sales": ("Net sales", "净销售额"),
        "quality.col.check": ("Check", "校验项"),
        "quality.col.left": ("Figure", "指标"),
        "quality.col.left_value": ("Value", "数值"),
        "quality.col.right": ("Compared with", "对照指标"),
        "quality.col.right_value": ("Value", "数值"),
        "quality.col.status": ("Status", "状态"),
        "quality.status.ok": ("agrees", "一致"),
        "quality.status.failed": ("differs", "不一致"),
        "quality.status.info": ("informational (different sources)", "仅供参考（来源不同）"),
        "quality.none": (
            "The data check found nothing to report: no row was left out and no value was doubtful.",
            "数据检查未发现问题：没有行被排除，也没有可疑数值。",
        ),
        "quality.summary": (
            "The data check reported {problems} item(s); {rows} row(s) are left out of the figures.",
            "数据检查共报告 {problems} 项；{rows} 行未计入指标。",
        ),
        "quality.excluded_none": ("No row was left out of the figures.", "没有行被排除在指标之外。"),
        "quality.excluded_note": (
            "A row left out for two reasons is counted under each.",
            "同一行因两个原因被排除时，两处均计数。",
        ),
        "quality.lines_none": (
            "No non-merchandise line (postage, fees, adjustments) was left out of the product rankings.",
            "没有非商品行（运费、手续费、调整项）被排除在商品排名之外。",
        ),
        "quality.lines_missing": (
            "Product rankings were not built (no order lines or products table), so nothing was excluded from them.",
            "未生成商品排名（缺少订单明细或商品表），无排除项。",
        ),
        "quality.lines_title": (
            "Non-merchandise lines left out of category and product rankings",
            "排除在品类与商品排名之外的非商品行",
        ),
        "quality.checks_none": (
            "No consistency check could run: the figures they compare are not in this data.",
            "未能进行一致性校验：当前数据中缺少需要相互比对的指标。",
        ),
        "quality.checks_ok": ("Every figure that must agree across sections does.", "各章节间应一致的指标均一致。"),
        "quality.checks_title": ("Figures that must agree across sections", "跨章节应一致的指标"),
        "quality.col.setting": ("Setting", "设置"),
        "quality.col.setting_value": ("Value", "取值"),
        "quality.col.key": ("Where to change it", "修改位置"),
        "quality.settings_note": (
            "Change a setting under settings: in the campaign's YAML file, then run retro run again.",
            "在活动参数文件的 settings 下修改，然后重新运行 retro run。",
        ),
        "quality.setting.new_customer_lookback_days": ("New-customer look-back", "新客回溯期"),
        "quality.setting.retention_days": ("Retention and follow-up window", "留存与回访观察期"),
        "quality.setting.rfm_lookback_days": ("RFM look-back", "RFM回溯期"),
        "quality.setting.top_n": ("Rows in top-N tables", "排行榜行数"),
        "quality.setting.ship_within_hours": ("Ship-on-time window", "及时发货时限"),
        "quality.setting.session_gap_minutes": ("Session break after inactivity", "会话切分的无操作间隔"),
        "quality.setting.offsite_channels": ("Off-site channels", "站外渠道"),
        "quality.setting.attainment_good": ("Target met from", "目标达成阈值"),
        "quality.setting.attainment_poor": ("Target missed below", "目标未达成阈值"),
        "quality.setting.pull_forward_days": (
            "Days before the campaign held back for the pull-forward dip",
            "活动前计入蓄水期观望下滑的天数",
        ),
        "quality.setting.hangover_days": ("Days after the campaign in the hangover", "活动后计入透支回落的天数"),
        "quality.setting.materiality": ("Smallest money effect of a finding (of GMV)", "结论的金额影响下限（占GMV）"),
        "quality.unit.days": ("{n} days", "{n} 天"),
        "quality.unit.hours": ("{n} hours", "{n} 小时"),
        "quality.unit.minutes": ("{n} minutes", "{n} 分钟"),
        "quality.excluded_title": ("Rows left out of the figures, per table", "各数据表未计入指标的行"),
    }
)


def _problems(ctx: SectionContext) -> list:
    problems, _ = ctx.rundir.read_quality()
    return [p for p in problems if not p.hard]


def _excluded(problems, lang: str = "en") -> dict[str, tuple[int, list[str]]]:
    """Rows left out per table (summed over reasons) and the reasons, in the report's language."""
    out: dict[str, tuple[int, list[str]]] = {}
    for p in problems:
        if is_exclusion(p):
            rows, reasons = out.get(p.table, (0, []))
            out[p.table] = (rows + int(p.rows), reasons + [quality_text.what(p, lang)])
    return out


@shows()
def overview(ctx: SectionContext) -> Note:
    """One sentence: how many problems the check reported and how many rows the figures leave out."""
    problems = _problems(ctx)
    if not problems:
        return Note(ctx.tr("quality.none"))
    rows = sum(r for r, _ in _excluded(problems).values())
    return Note(ctx.tr("quality.summary", problems=len(problems), rows=ctx.fmt(rows, "count")))


@shows()
def problems_table(ctx: SectionContext) -> Table | Note:
    """Every soft problem of the data check: table, column, what, rows, examples and the fix."""
    problems = _problems(ctx)
    if not problems:
        return Note(ctx.tr("quality.none"))
    places = [quality_text.where(p, ctx.lang) for p in problems]
    df = pd.DataFrame(
        {
            "table": [table for table, _ in places],
            "column": [column for _, column in places],
            "what": [quality_text.what(p, ctx.lang) for p in problems],
            "rows": _row_counts([p.rows for p in problems], ctx.lang),
            "examples": [", ".join(str(x) for x in p.examples[:3]) for p in problems],
            "fix": [quality_text.fix(p, ctx.lang) for p in problems],
        }
    )
    labels = {c: ctx.tr(f"quality.col.{c}") for c in df.columns}
    return ctx.table(df, labels=labels, right=("rows",))


def _row_counts(rows: list, lang: str) -> list[str]:
    """Row counts in one unit for the column (never 1.08万 beside 3); blank where a problem counts no rows."""
    from .. import formatting as fmt

    scale = fmt.scale_for([r for r in rows if r is not None], "count", lang)
    return ["" if r is None else fmt.in_scale(r, "count", scale) for r in rows]


@shows()
def excluded_rows(ctx: SectionContext) -> Table | Note:
    """Rows left out of every figure, per table, with the reasons."""
    excluded = _excluded(_problems(ctx), ctx.lang)
    if not excluded:
        return Note(ctx.tr("quality.excluded_none"))
    df = pd.DataFrame(
        {
            "table": [table_names([t], ctx.lang) for t in excluded],
            "rows": [rows for rows, _ in excluded.values()],
            "reasons": ["; ".join(reasons) for _, reasons in excluded.values()],
        }
    )
    labels = {c: ctx.tr(f"quality.col.{c}") for c in df.columns}
    return ctx.table(
        df,
        {"rows": "count"},
        labels=labels,
        title=ctx.tr("quality.excluded_title"),
        note=ctx.tr("quality.excluded_note"),
    )


@shows()
def excluded_lines(ctx: SectionContext) -> Table | Note:
    """Non-merchandise lines (postage, fees, adjustments) the sales rankings leave out."""
    if not ctx.has_mart("sales_excluded_lines"):
        return Note(ctx.tr("quality.lines_missing"))
    ex = ctx.mart("sales_excluded_lines")
    if ex.empty:
        return Note(ctx.tr("quality.lines_none"))
    ex = ex.sort_values(["net_sales", "sku"], ascending=[False, True], kind="stable")
    df = ex[["sku", "category", "lines", "net_sales"]].reset_index(drop=True)
    labels = {c: ctx.tr(f"quality.col.{c}") for c in df.columns}
    return ctx.table(df, {"lines": "count", "net_sales": "money"}, labels=labels, title=ctx.tr("quality.lines_title"))


@shows()
def failed_checks(ctx: SectionContext) -> FindingsList:
    """Checks whose figures disagree, as problems (the executive summary links here)."""
    checks = run_checks(ctx)
    found = check_findings(ctx, checks)
    if not found and not any(c.ok for c in checks):  # "every check agrees" only when one was run
        return ctx.once("quality.checks_none", ctx.tr("quality.checks_none"))
    return FindingsList(found, ctx.lang, empty_text=ctx.tr("quality.checks_ok"))


@shows()
def checks_table(ctx: SectionContext) -> Table | Note:
    """Every consistency check with both numbers and its status."""
    checks = run_checks(ctx)
    if not checks:
        return ctx.once("quality.checks_none", ctx.tr("quality.checks_none"))
    status = {True: "ok", False: "failed", None: "info"}
    df = pd.DataFrame(
        {
            "check": [ctx.tr(f"quality.check.{c.name}") for c in checks],
            "left": [c.left_label for c in checks],
            "left_value": [exact(c.left, UNITS.get(c.name, "count"), ctx.currency) for c in checks],
            "right": [c.right_label for c in checks],
            "right_value": [exact(c.right, UNITS.get(c.name, "count"), ctx.currency) for c in checks],
            "status": [ctx.tr(f"quality.status.{status[c.ok]}") for c in checks],
        }
    )
    labels = {c: ctx.tr(f"quality.col.{c}") for c in df.columns}
    return ctx.table(df, labels=labels, title=ctx.tr("quality.checks_title"), right=("left_value", "right_value"))


_SETTING_UNITS = {
    "new_customer_lookback_days": "days",
    "retention_days": "days",
    "rfm_lookback_days": "days",
    "ship_within_hours": "hours",
    "session_gap_minutes": "minutes",
    "pull_forward_days": "days",
    "hangover_days": "days",
}


@shows()
def settings_table(ctx: SectionContext) -> Table:
    """The analysis settings behind the figures, with the YAML key of each: the report's one "how to change this".

    Pages name a setting by what it does and its value (the 30-day retention window); the key is here.
    """
    settings = ctx.params.settings
    rows = []
    for key in type(settings).model_fields:
        value = getattr(settings, key)
        if key in _SETTING_UNITS:
            shown = ctx.tr(f"quality.unit.{_SETTING_UNITS[key]}", n=f"{value:g}")
        elif key == "offsite_channels":
            shown = (
                "、".join(label_values(value, "channel", ctx.lang))
                if ctx.lang == "zh"
                else ", ".join(label_values(value, "channel", ctx.lang))
            )
        elif key.startswith("attainment_") or key == "materiality":
            shown = ctx.fmt(value, "pct")
        else:
            shown = str(value)
        rows.append({"setting": ctx.tr(f"quality.setting.{key}"), "setting_value": shown, "key": f"settings.{key}"})
    df = pd.DataFrame(rows)
    labels = {c: ctx.tr(f"quality.col.{c}") for c in df.columns}
    return ctx.table(df, labels=labels, note=ctx.tr("quality.settings_note"))
