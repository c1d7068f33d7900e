"""Other campaigns shown against this one: the changes of their figures, and their days aligned by phase.

A comparison (YAML ``compare:``) is a finished run folder, read through ``retro.rundir`` (``ComparedRun``:
its snapshot, figures and marts; never its raw data). This module computes what the pages show of it.

Days are aligned by phase day (warm-up day 1, burst day 1, ...), never by calendar date: a 7-day warm-up lines
up with a 5-day one from its first day. Changes are relative, (this - that) / |that|, except for rates, which
change in percentage points, and scores, which change by their difference. A figure missing on either side or
a zero base gives None, shown "n/a", never 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .catalog import FIGURES
from .formatting import is_missing
from .i18n import register
from .params import CampaignParams
from .rundir import ComparedRun, Recorded, snapshot

PHASE_ORDER = ("warmup", "burst", "tail")
# a change this large (relative to the comparison's value) is worth a finding
NOTABLE_CHANGE = 0.10
FINDINGS_PER_KIND = 3

register(
    {
        "compare.vs": ("vs {label}", "较{label}"),
        "compare.this": ("This campaign", "本次"),
        "compare.change": ("Change", "变化"),
        "compare.phase_day": ("Day of phase", "阶段内第几天"),
        "compare.finding": (
            "{label} {change} vs {versus} ({value} vs {reference})",
            "{label}较{versus} {change}（{value}，对比 {reference}）",
        ),
        "compare.series": ("{series} · {label}", "{series} · {label}"),
    }
)


# --- changes -----------------------------------------------------------------------------------------
def relative_change(current, reference) -> float | None:
    """(current - reference) / |reference|; None when either is missing or the reference is 0."""
    if is_missing(current) or is_missing(reference) or float(reference) == 0:
        return None
    return (float(current) - float(reference)) / abs(float(reference))


def delta(key: str, current, reference, same_currency: bool = True) -> tuple[float | None, str]:
    """The change of one figure and the unit to show it in: points for rates, differences for scores.

    Money in two different currencies has no change (None).
    """
    unit = FIGURES[key].unit
    if unit in ("pct", "score"):
        diff = None if is_missing(current) or is_missing(reference) else float(current) - float(reference)
        return diff, ("pp" if unit == "pct" else "diff")
    if unit == "money" and not same_currency:
        return None, "change"
    return relative_change(current, reference), "change"


@dataclass
class Change:
    """One whole-campaign figure on both sides, with its change and whether that change is for the better."""

    key: str
    section: str
    value: float | None
    reference: float | None
    delta: float | None
    unit: str  # how to show delta: change | pp | diff
    size: float | None  # |relative change|, for ranking; None without a base

    @property
    def improved(self) -> bool | None:
        better = FIGURES[self.key].better
        if self.delta is None or self.delta == 0 or better not in ("higher", "lower"):
            return None
        return (self.delta > 0) == (better == "higher")


def figure_changes(figures: list[Recorded], other: ComparedRun, currency: str) -> list[Change]:
    """Whole-campaign figures of this run against another, one per figure (its owner section's record first)."""
    chosen: dict[str, Recorded] = {}
    for f in figures:
        if f.segment is not None or f.key not in FIGURES:
            continue
        if f.key not in chosen or FIGURES[f.key].section == f.section:
            chosen[f.key] = f
    out = []
    for key, f in chosen.items():
        ref = other.figure(key, section=f.section)
        same = other.currency == currency
        d, unit = delta(key, f.value, ref, same)
        size = relative_change(f.value, ref)
        if FIGURES[key].unit == "money" and not same:
            size = None
        out.append(Change(key, f.section, f.value, ref, d, unit, None if size is None else abs(size)))
    return out


def notable_changes(changes: list[Change], per_kind: int = FINDINGS_PER_KIND) -> list[Change]:
    """The largest changes for the better and for the worse (at least NOTABLE_CHANGE), largest first."""
    ranked = sorted(
        (c for c in changes if c.improved is not None and c.size is not None and c.size >= NOTABLE_CHANGE),
        key=lambda c: -c.size,
    )
    better = [c for c in ranked if c.improved][:per_kind]
    worse = [c for c in ranked if not c.improved][:per_kind]
    return worse + better


# --- phase-day alignment -------------------------------------------------------------------------------
def phase_days(daily: pd.DataFrame, phases: list[dict]) -> pd.DataFrame:
    """The rows of a daily mart that fall in a phase, with ``phase`` and ``phase_day`` (1 = its first day)."""
    day = pd.to_datetime(daily["day"])
    parts = []
    for ph in phases:
        start, end = pd.Timestamp(ph["start"]), pd.Timestamp(ph["end"])
        inside = (day >= start) & (day <= end)
        parts.append(
            daily[inside].assign(phase=ph["name"], phase_day=((day[inside] - start).dt.days + 1).astype("int64"))
        )
    if not parts:
        return daily.iloc[0:0].assign(phase=pd.Series(dtype="str"), phase_day=pd.Series(dtype="int64"))
    return pd.concat(parts, ignore_index=True)


def phase_axis(*phase_lists: list[dict]) -> pd.DataFrame:
    """A phase-day axis covering every campaign: each phase as long as its longest version, in phase order."""
    lengths: dict[str, int] = {}
    for phases in phase_lists:
        for ph in phases:
            days = (pd.Timestamp(ph["end"]) - pd.Timestamp(ph["start"])).days + 1
            lengths[ph["name"]] = max(lengths.get(ph["name"], 0), days)
    order = [p for p in PHASE_ORDER if p in lengths] + [p for p in lengths if p not in PHASE_ORDER]
    rows = [(name, d) for name in order for d in range(1, lengths[name] + 1)]
    axis = pd.DataFrame(rows, columns=["phase", "phase_day"])
    axis["slot"] = range(len(axis))
    return axis


def align_daily(series: list[tuple[str, pd.DataFrame | None, list[dict], str]]) -> pd.DataFrame:
    """Several campaigns' daily values on one phase-day axis.

    ``series``: (column name, daily mart with a ``day`` column or None, that campaign's phases, value column).
    Returns phase, phase_day, slot and one column per name; a day a campaign does not have is NaN (a gap).
    """
    axis = phase_axis(*(phases for _, _, phases, _ in series))
    for name, daily, phases, value in series:
        if daily is None or value not in daily.columns:
            axis[name] = float("nan")
            continue
        days = phase_days(daily, phases).groupby(["phase", "phase_day"], as_index=False)[value].sum(min_count=1)
        axis = axis.merge(days.rename(columns={value: name}), on=["phase", "phase_day"], how="left")
    return axis


def phases_of(params: CampaignParams) -> list[dict]:
    """A campaign's phases in the snapshot's shape."""
    return snapshot(params)["phases"]
