"""Highlights and problems derived from recorded figures against the YAML's targets and benchmarks.

Rules, not typed text: a figure with a target is a highlight when attainment reaches
``settings.attainment_good`` and a problem below ``settings.attainment_poor``; a figure with a benchmark
is a highlight when it is better and a problem when it is worse (direction from the catalog); with
``compare`` in the YAML, the largest changes against each comparison are findings too. Each finding cites its
number, carries the catalog's recommended action when it is a problem, and links to its section.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import formatting as fmt
from .catalog import FIGURES, label
from .context import Recorded, SectionContext, load_figures
from .display import FindingsList
from .i18n import has, tr
from .metrics import ratio
from .params import CampaignParams
from .registry import SECTIONS


@dataclass
class Finding:
    """One highlight or problem, ready to show."""

    kind: str  # highlight | problem
    key: str
    section: str
    segment: str | None
    value: float | None
    reference: float | None
    text: str
    action: str
    severity: float  # relative distance from the reference, for ordering

    @property
    def anchor(self) -> str:
        base = f"finding-{self.key}-{self.segment or 'overall'}"
        if self.versus is not None:
            return f"{base}-vs{self.versus}"
        return base if self.rule is None else f"{base}-rule{self.rule}"

    @property
    def href(self) -> str:
        return f"{SECTIONS[self.section].page}#{self.anchor}"

    section_title: str = ""
    rule: int | None = None  # index of the YAML rule behind a custom finding
    versus: int | None = None  # index of the comparison (YAML ``compare``) behind a change finding


def _segment_label(segment: str | None, lang: str) -> str:
    if not segment or segment == "overall":
        return ""
    for prefix in ("phase", "channel"):
        if has(f"{prefix}.{segment}"):
            return f" ({tr(f'{prefix}.{segment}', lang)})" if lang == "en" else f"（{tr(f'{prefix}.{segment}', lang)}）"
    return f" ({segment})" if lang == "en" else f"（{segment}）"


def _action(key: str, lang: str) -> str:
    spec = FIGURES[key]
    return spec.action_zh if lang == "zh" else spec.action_en


def evaluate(figures: list[Recorded], params: CampaignParams) -> list[Finding]:
    """All findings for the given figures, problems first, each group by how far off the reference."""
    lang, cur = params.lang, params.campaign.currency
    good, poor = params.settings.attainment_good, params.settings.attainment_poor
    out: list[Finding] = []
    for f in figures:
        spec = FIGURES[f.key]
        if f.value is None:
            continue
        shown = fmt.value(f.value, spec.unit, lang, cur)
        name = label(f.key, lang, params.settings)
        # targets apply to the whole-campaign figure only
        target = params.targets.get(f.key)
        if target is not None and f.segment in (None, "overall"):
            att = ratio(target, f.value) if spec.better == "lower" else ratio(f.value, target)
            if att is not None and (att >= good or att < poor):
                kind = "highlight" if att >= good else "problem"
                text = tr(
                    "finding.target_met" if kind == "highlight" else "finding.target_missed",
                    lang,
                    label=name,
                    value=shown,
                    target=fmt.value(target, spec.unit, lang, cur),
                    attainment=fmt.pct(att),
                )
                out.append(
                    Finding(
                        kind,
                        f.key,
                        f.section,
                        f.segment,
                        f.value,
                        target,
                        text,
                        _action(f.key, lang) if kind == "problem" else "",
                        abs(att - 1),
                    )
                )
        bench = params.benchmarks.get(f.key)
        ref = (
            bench.get(f.segment or "overall")
            if isinstance(bench, dict)
            else (bench if f.segment in (None, "overall") else None)
        )
        if ref is not None and spec.better in ("higher", "lower") and f.value != ref:
            better = f.value > ref if spec.better == "higher" else f.value < ref
            kind = "highlight" if better else "problem"
            text = tr(
                "finding.better_than_benchmark" if better else "finding.worse_than_benchmark",
                lang,
                label=name,
                segment=_segment_label(f.segment, lang),
                value=shown,
                reference=fmt.value(ref, spec.unit, lang, cur),
            )
            rel = abs(ratio(f.value - ref, ref) or 0.0)
            out.append(
                Finding(
                    kind,
                    f.key,
                    f.section,
                    f.segment,
                    f.value,
                    ref,
                    text,
                    _action(f.key, lang) if kind == "problem" else "",
                    rel,
                )
            )
    out.extend(_custom(figures, params))
    for f in out:
        f.section_title = SECTIONS[f.section].title(lang)
    out.sort(key=lambda x: (x.kind != "problem", -x.severity))
    return out


def comparison_findings(figures: list[Recorded], comparisons: list, lang: str, currency: str) -> list[Finding]:
    """The largest changes against each comparison, for better and worse ("AOV +22.0% vs Double 11 2025").

    Only whole-campaign figures with a direction count (the catalog's ``better``); a change is notable from
    ``retro.comparison.NOTABLE_CHANGE`` (relative to the comparison's value), the largest few of each kind.
    """
    from .comparison import figure_changes, notable_changes

    out = []
    for i, other in enumerate(comparisons):
        for c in notable_changes(figure_changes(figures, other, currency)):
            spec = FIGURES[c.key]
            text = tr(
                "compare.finding",
                lang,
                label=label(c.key, lang),
                change=fmt.value(c.delta, c.unit, lang, currency),
                versus=other.label,
                value=fmt.value(c.value, spec.unit, lang, currency),
                reference=fmt.value(c.reference, spec.unit, lang, other.currency),
            )
            kind = "highlight" if c.improved else "problem"
            action = _action(c.key, lang) if kind == "problem" else ""
            out.append(Finding(kind, c.key, c.section, None, c.value, c.reference, text, action, c.size, versus=i))
    for f in out:
        f.section_title = SECTIONS[f.section].title(lang)
    return out


def _with_comparisons(found: list[Finding], figures: list[Recorded], ctx: SectionContext) -> list[Finding]:
    if not ctx.params.compare:
        return found
    found = found + comparison_findings(figures, ctx.comparisons, ctx.lang, ctx.currency)
    found.sort(key=lambda x: (x.kind != "problem", -x.severity))
    return found


def section_findings(ctx: SectionContext) -> FindingsList:
    """The findings of the figures this section recorded, shown at the end of its page."""
    found = _with_comparisons(evaluate(ctx.figures, ctx.params), ctx.figures, ctx)
    return FindingsList(found, ctx.lang, empty_text=tr("section.no_findings", ctx.lang))


def campaign_findings(ctx: SectionContext) -> list[Finding]:
    """Findings over every section's recorded figures (for the executive summary), changes included."""
    figures = load_figures(ctx.run_dir)
    return _with_comparisons(evaluate(figures, ctx.params), figures, ctx)


def _custom(figures: list[Recorded], params: CampaignParams) -> list[Finding]:
    """Findings from the YAML's own rules (``findings:``): a figure above or below a threshold."""
    lang, cur = params.lang, params.campaign.currency
    out = []
    for i, rule in enumerate(params.findings):
        spec = FIGURES[rule.figure]
        for f in figures:
            if f.key != rule.figure or (f.segment or "overall") != rule.segment or f.value is None:
                continue
            threshold = rule.above if rule.above is not None else rule.below
            hit = f.value > threshold if rule.above is not None else f.value < threshold
            if not hit:
                continue
            values = {
                "label": label(f.key, lang, params.settings),
                "segment": _segment_label(f.segment, lang),
                "value": fmt.value(f.value, spec.unit, lang, cur),
                "threshold": fmt.value(threshold, spec.unit, lang, cur),
            }
            if rule.text is not None:
                text = (rule.text.zh if lang == "zh" else rule.text.en).format(**values)
            else:
                key = "finding.rule_above" if rule.above is not None else "finding.rule_below"
                text = tr(key, lang, **values)
            if rule.action is not None:
                action = rule.action.zh if lang == "zh" else rule.action.en
            else:
                action = _action(f.key, lang) if rule.kind == "problem" else ""
            severity = abs(ratio(f.value - threshold, threshold) or 0.0)
            out.append(
                Finding(rule.kind, f.key, f.section, f.segment, f.value, threshold, text, action, severity, rule=i)
            )
    return out
