"""Report text in zh and en: labels for channels, phases and shared words, and sentence templates.

Section modules keep their own labels next to the code that uses them and add them with ``register``;
a key is defined once. ``tr`` falls back to the key itself so a missing label is visible, not a crash.
"""

from __future__ import annotations

_MESSAGES: dict[str, tuple[str, str]] = {}


def register(messages: dict[str, tuple[str, str]]) -> None:
    """Add (en, zh) labels; a key defined twice with different text is a bug."""
    for key, pair in messages.items():
        if key in _MESSAGES and _MESSAGES[key] != tuple(pair):
            raise ValueError(f"label {key!r} defined twice with different text")
        _MESSAGES[key] = tuple(pair)


def tr(key: str, lang: str, **values) -> str:
    """The label or sentence for ``key`` in ``lang``, with ``{placeholders}`` filled in."""
    pair = _MESSAGES.get(key)
    if pair is None:
        text = key
    else:
        text = pair[1] if lang == "zh" else pair[0]
    return text.format(**values) if values else text


def sentences(parts, lang: str) -> str:
    """Sentences run on as one note: zh sentences end in "。" and join with nothing, en ones with a space."""
    return ("" if lang == "zh" else " ").join(p for p in parts if p)


def has(key: str) -> bool:
    """Whether a label exists for ``key``."""
    return key in _MESSAGES


def label_values(values, prefix: str, lang: str) -> list[str]:
    """Translate codes such as channel or phase names (``channel.search``), keeping unknown ones as they are."""
    return [tr(f"{prefix}.{v}", lang) if has(f"{prefix}.{v}") else str(v) for v in values]


register(
    {
        # channels (canonical codes in the data) and phases
        "channel.search": ("Search", "搜索"),
        "channel.live": ("Livestream", "直播"),
        "channel.offsite": ("Off-site / KOL", "站外/达人"),
        "channel.private": ("Private domain", "私域"),
        "channel.other": ("Other", "其他"),
        "phase.warmup": ("Warm-up", "预热期"),
        "phase.burst": ("Burst", "爆发期"),
        "phase.tail": ("Tail", "返场期"),
        "phase.baseline": ("Baseline", "日常"),
        "phase.overall": ("Whole campaign", "全周期"),
        "segment.overall": ("Overall", "整体"),
        "status.paid": ("Paid", "已支付"),
        "status.cancelled": ("Cancelled", "已取消"),
        "status.refunded": ("Refunded", "已退款"),
        "status.pending": ("Unpaid (pending)", "待付款"),
        # shared words
        "other": ("Other", "其他"),
        "date": ("Date", "日期"),
        "hour": ("Hour", "小时"),
        "day": ("Day", "日"),
        "channel": ("Channel", "渠道"),
        "phase": ("Phase", "阶段"),
        "category": ("Category", "品类"),
        "sku": ("SKU", "SKU"),
        "region": ("Region", "地区"),
        "value": ("Value", "数值"),
        "target": ("Target", "目标"),
        "benchmark": ("Benchmark", "基准"),
        "attainment": ("Attainment", "达成率"),
        "actual": ("Actual", "实际"),
        "figure": ("Figure", "指标"),
        "share": ("Share", "占比"),
        "count": ("Count", "数量"),
        "vs_baseline": ("vs baseline", "较日常"),
        "definition": ("Definition", "定义"),
        "n_a_note": (
            "n/a: the figure cannot be computed (its denominator is zero or missing).",
            "n/a：分母为零或缺失，无法计算。",
        ),
        # section states
        "section.failed": ("This section could not be built.", "本章节生成失败。"),
        "section.missing_data": (
            "Not built: the campaign's data has no {tables} table.",
            "未生成：本次活动数据未提供 {tables} 表。",
        ),
        "section.no_findings": (
            "No finding in this section crossed a target or benchmark.",
            "本章节没有触及目标或基准的结论。",
        ),
        # findings
        "finding.highlight": ("Highlight", "亮点"),
        "finding.problem": ("Problem", "问题"),
        "finding.action": ("Action", "建议"),
        "finding.target_met": (
            "{label} {value} reached {attainment} of the {target} target.",
            "{label} {value}，达成目标 {target} 的 {attainment}。",
        ),
        "finding.target_missed": (
            "{label} {value} reached only {attainment} of the {target} target.",
            "{label} {value}，仅达成目标 {target} 的 {attainment}。",
        ),
        "finding.better_than_benchmark": (
            "{label}{segment} {value} beats the {reference} benchmark.",
            "{label}{segment} {value}，优于基准 {reference}。",
        ),
        "finding.worse_than_benchmark": (
            "{label}{segment} {value} is worse than the {reference} benchmark.",
            "{label}{segment} {value}，差于基准 {reference}。",
        ),
        "finding.rule_above": (
            "{label}{segment} {value} is above {threshold}.",
            "{label}{segment} {value}，高于 {threshold}。",
        ),
        "finding.rule_below": (
            "{label}{segment} {value} is below {threshold}.",
            "{label}{segment} {value}，低于 {threshold}。",
        ),
        "finding.see_section": ("see {section}", "见{section}"),
    }
)
