"""Highlights and problems derived from recorded figures against the YAML's targets and benchmarks.

Rules, not typed text: a figure with a target is a highlight when attainment reaches
``settings.attainment_good`` and a problem below it; a figure with a benchmark
is a highlight when it is better and a problem when it is worse (direction from the catalog); with
``compare`` in the YAML, the largest changes against each comparison are findings too. Each finding cites its
number, carries the catalog's recommended action when it is a problem, and links to its section.

A finding earns its place (``weigh``): a rate against a benchmark must differ beyond noise (Wilson interval
of its own counts, ``retro.significance``) and rest on at least 30 observations (smaller ones are set apart
as too small to judge); a finding whose money effect (``money_effect``) is below ``settings.materiality`` of
GMV is none; one without a money effect must be at least ``MIN_RELATIVE`` from its reference. Findings are
ranked by money effect, largest first; those without one follow, by distance.
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
from .significance import against_reference


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
    money: float | None = None  # its effect on GMV (negative: what it cost), see money_effect
    too_small: bool = False  # under 30 observations: shown apart, never ranked
    basis: str = ""  # target | benchmark | rule | compare: what the figure was held to


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
    good = params.settings.attainment_good
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
            if att is not None:  # short of the target is a miss, however close (its size is its money effect)
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
                        basis="target",
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
                    basis="benchmark",
                )
            )
    out.extend(_custom(figures, params))
    for f in out:
        f.section_title = SECTIONS[f.section].title(lang)
    return weigh(out, figures, params)


# figures whose distance from a reference moves GMV in proportion (GMV = visitors × conversion × order value)
PROPORTIONAL = ("uv", "conversion_rate", "aov", "orders", "paid_orders")
# a finding without a money effect must be at least this far from its reference, relative to it (for a rate,
# relative to the smaller of the rate and its complement: 93.7% vs 95% on-time is 26% more late, not 1.4%)
MIN_RELATIVE = 0.05
PER_SPEND = ("roi", "roas")


def money_effect(f: Finding, figures: list[Recorded]) -> float | None:
    """What a finding's distance from its reference is worth in GMV (negative: what it cost).

    GMV and net sales: the gap itself; sales lost to stock-outs: the gap, negated. Visitors, conversion, AOV
    and orders: GMV × (1 − reference / actual), the GMV had the figure been at its reference with the others
    unchanged (visitors against a target: their contribution in the goals page's decomposition). ROI and
    ROAS: the difference × marketing spend. Others: None (no path to money the kit can state).
    """
    if f.value is None or f.reference is None or f.segment not in (None, "overall"):
        return None
    overall = {r.key: r for r in figures if r.segment is None and FIGURES[r.key].section == r.section}
    if f.key in ("gmv", "net_sales"):
        return f.value - f.reference
    if f.key == "lost_sales_estimate":  # sales lost to stock-outs: more lost is that much less sold
        return f.reference - f.value
    gmv = overall.get("gmv")
    if f.key == "uv" and f.basis == "target":
        split = next((r for r in figures if r.key == "gmv_from_visitors" and r.segment == "target"), None)
        if split is not None and split.value is not None:
            return split.value
    if f.key in PROPORTIONAL:
        return _proportional(f, gmv)
    spend = overall.get("spend")
    if f.key in PER_SPEND and spend is not None and spend.value:
        return (f.value - f.reference) * spend.value
    return None


def _proportional(f: Finding, gmv: Recorded | None) -> float | None:
    if gmv is None or gmv.value is None or not f.value:
        return None
    return gmv.value * (1 - f.reference / f.value)


def _relative_distance(f: Finding) -> float:
    """How far a figure is from its reference, relative to the reference (a rate: to its smaller side)."""
    if f.value is None or f.reference is None:
        return float("inf")
    base = abs(f.reference)
    if FIGURES[f.key].unit == "pct" and 0 < f.reference < 1:
        base = min(f.reference, 1 - f.reference)
    return abs(f.value - f.reference) / base if base else float("inf")


def weigh(found: list[Finding], figures: list[Recorded], params: CampaignParams) -> list[Finding]:
    """Keep the findings that earn their place and rank them by what they cost or earned (see module doc)."""
    gmv = next((r.value for r in figures if r.key == "gmv" and r.segment is None), None)
    floor = abs(gmv) * params.settings.materiality if gmv else 0.0
    kept = []
    for f in found:
        if f.basis == "benchmark":
            rec = next((r for r in figures if r.key == f.key and r.segment == f.segment), None)
            parts = list((rec.parts or {}).values()) if rec is not None else []
            if FIGURES[f.key].unit == "pct" and len(parts) == 2 and None not in parts:
                verdict = against_reference(parts[0], parts[1], f.reference)
                if verdict.too_small:
                    f.too_small = True
                elif not verdict.significant:
                    continue  # within noise: no highlight, no problem
        f.money = money_effect(f, figures)
        if f.money is not None and abs(f.money) < floor:
            continue
        if f.money is None and f.basis != "rule" and _relative_distance(f) < MIN_RELATIVE:
            continue
        kept.append(f)
    return ranked(kept)


def ranked(found: list[Finding]) -> list[Finding]:
    """Problems first, then by money effect (largest first), those without one after, by distance."""
    return sorted(
        found, key=lambda x: (x.kind != "problem", x.too_small, x.money is None, -abs(x.money or 0), -x.severity)
    )


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
            out.append(
                Finding(
                    kind, c.key, c.section, None, c.value, c.reference, text, action, c.size, versus=i, basis="compare"
                )
            )
    for f in out:
        f.section_title = SECTIONS[f.section].title(lang)
    return out


def _with_comparisons(found: list[Finding], figures: list[Recorded], ctx: SectionContext) -> list[Finding]:
    if not ctx.params.compare:
        return found
    changes = comparison_findings(figures, ctx.comparisons, ctx.lang, ctx.currency)
    return ranked(found + weigh(changes, figures, ctx.params))  # ``found`` comes weighed from evaluate


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
                Finding(
                    rule.kind,
                    f.key,
                    f.section,
                    f.segment,
                    f.value,
                    threshold,
                    text,
                    action,
                    severity,
                    rule=i,
                    basis="rule",
                )
            )
    return out
