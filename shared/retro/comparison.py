"""Other campaigns to show this one against: finished runs, read from their figures and marts only.

A comparison (YAML ``compare:``) is a run folder (``run: ../outputs/x``) or a campaign YAML whose default run
folder ``outputs/<its id>/`` is read. Either must have been run already: this module never reads raw data and
never starts a run, so comparing costs no more than reading a few small files. ``retro run`` leaves a snapshot
of the campaign's parameters (``campaign.json``: name, language, currency, phases) beside the figures so a run
folder can be compared without its YAML.

Days are aligned by phase day (warm-up day 1, burst day 1, ...), never by calendar date: a 7-day warm-up lines
up with a 5-day one from its first day. Changes are relative, (this - that) / |that|, except for rates, which
change in percentage points, and scores, which change by their difference. A figure missing on either side or
a zero base gives None, shown "n/a", never 0.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from .catalog import FIGURES
from .context import Recorded, default_run_dir, load_figures
from .errors import RetroError
from .i18n import register
from .params import PROJECT_ROOT, Campaign, CampaignParams

SNAPSHOT = "campaign.json"
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


# --- the snapshot a run leaves ---------------------------------------------------------------------
def snapshot(params: CampaignParams) -> dict:
    """What a comparison needs to know about a campaign besides its figures and marts."""
    c = params.campaign
    return {
        "id": c.id,
        "name": c.name,
        "language": c.language,
        "currency": c.currency,
        "phases": [{"name": p.name, "start": p.start.isoformat(), "end": p.end.isoformat()} for p in params.phases],
        "baseline": (
            {"start": params.baseline.start.isoformat(), "end": params.baseline.end.isoformat()}
            if params.baseline
            else None
        ),
    }


def write_snapshot(params: CampaignParams, run_dir: Path) -> None:
    """Record the campaign's identity and calendar in its run folder (``retro run`` calls this)."""
    path = Path(run_dir) / SNAPSHOT
    text = json.dumps(snapshot(params), ensure_ascii=False, indent=1)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# --- a finished run ----------------------------------------------------------------------------------
@dataclass
class ComparedRun:
    """A finished run shown against this one: its label, snapshot and recorded figures."""

    label: str
    run_dir: Path
    campaign: dict
    figures: list[Recorded]

    @property
    def currency(self) -> str:
        return self.campaign["currency"]

    @property
    def phases(self) -> list[dict]:
        return self.campaign["phases"]

    def figure(self, key: str, segment: str | None = None, section: str | None = None) -> float | None:
        """The value it recorded for a figure: from the given section if it recorded one, else the owner's."""
        found = [f for f in self.figures if f.key == key and f.segment == segment]
        for want in (section, FIGURES[key].section if key in FIGURES else None):
            for f in found:
                if f.section == want:
                    return f.value
        return found[0].value if found else None

    def mart(self, name: str) -> pd.DataFrame | None:
        """One of its marts, or None when that run did not build it."""
        path = self.run_dir / "marts" / f"{name}.parquet"
        return pd.read_parquet(path) if path.is_file() else None


def run_problems(run_dir: Path, shown: str) -> list[str]:
    """Why a folder cannot be compared (not there, no figures, no campaign snapshot); empty when it can."""
    if not run_dir.is_dir():
        return [f"{shown}: run folder not found"]
    if not any((run_dir / "figures").glob("*.json")):
        return [f"{shown}: no recorded figures (figures/*.json): is it a finished run folder?"]
    if not (run_dir / SNAPSHOT).is_file():
        return [f"{shown}: no {SNAPSHOT} (runs made before comparisons existed lack it): run that campaign again"]
    return []


def load_run(run_dir: Path, label: str | None = None, shown: str | None = None) -> ComparedRun:
    """A finished run folder as a comparison; RetroError naming the folder when it is not one."""
    run_dir = Path(run_dir).resolve()
    problems = run_problems(run_dir, shown or str(run_dir))
    if problems:
        raise RetroError(problems)
    campaign = json.loads((run_dir / SNAPSHOT).read_text(encoding="utf-8"))
    return ComparedRun(label or campaign["name"], run_dir, campaign, load_figures(run_dir))


def yaml_run_dir(path: Path) -> tuple[Path | None, str]:
    """The default run folder of a campaign YAML (outputs/<its id>/), read without validating the rest of it."""
    if not path.is_file():
        return None, "file not found"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        campaign = Campaign.model_validate(raw["campaign"])
    except Exception:  # noqa: BLE001 - any unreadable file gets the same one-line answer
        return None, "not a campaign YAML with a valid campaign.id"
    return PROJECT_ROOT / "outputs" / campaign.id, ""


def _resolve(params: CampaignParams, shown: str) -> tuple[list[tuple[str | None, Path]], list[str]]:
    """Each comparison's (label, run folder), and the problems found on the way."""
    found, problems = [], []
    own = default_run_dir(params).resolve()
    for i, entry in enumerate(params.compare):
        where = f"{shown}: compare[{i}]"
        if entry.run is not None:
            run_dir = params.resolve(entry.run)
            bad = run_problems(run_dir, f"{where}.run: {entry.run}")
        else:
            run_dir, why = yaml_run_dir(params.resolve(entry.params))
            if run_dir is None:
                problems.append(f"{where}.params: {entry.params}: {why}")
                continue
            bad = run_problems(run_dir, f"{where}.params: {entry.params}")
            if bad and not (run_dir / "figures").is_dir():
                bad = [f"{where}.params: {entry.params} has not been run: run `retro run {entry.params}` first"]
        if run_dir.resolve() == own:
            bad = [f"{where}: this is the campaign's own run folder; compare with another campaign's run"]
        problems += bad
        if not bad:
            found.append((entry.label, run_dir.resolve()))
    return found, problems


def check_comparisons(params: CampaignParams, shown: str) -> list[str]:
    """Problems with the YAML's ``compare`` entries, one line each naming the key (empty when all can be read)."""
    found, problems = _resolve(params, shown)
    labels = [label or json.loads((d / SNAPSHOT).read_text(encoding="utf-8"))["name"] for label, d in found]
    for label in dict.fromkeys(x for x in labels if labels.count(x) > 1):
        problems.append(f"{shown}: compare: label {label!r} is used twice; give each comparison its own label")
    return problems


def load_comparisons(params: CampaignParams) -> list[ComparedRun]:
    """The campaign's comparisons, in YAML order (already checked when the YAML was loaded)."""
    found, problems = _resolve(params, str(params.source or "campaign"))
    if problems:
        raise RetroError(problems)
    return [load_run(run_dir, label) for label, run_dir in found]


def inputs_fingerprint(params: CampaignParams) -> list:
    """What of the comparisons a section reads (figures, snapshot, mart manifest), hashed for section caching."""
    import hashlib

    def digest(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "-"

    found, problems = _resolve(params, "")
    out: list = [sorted(problems)]
    for label, run_dir in found:
        files = [run_dir / SNAPSHOT, run_dir / "marts" / "manifest.json", *sorted(run_dir.glob("figures/*.json"))]
        out.append([label, str(run_dir), {p.name: digest(p) for p in files}])
    return out


# --- changes -----------------------------------------------------------------------------------------
def relative_change(current, reference) -> float | None:
    """(current - reference) / |reference|; None when either is missing or the reference is 0."""
    from .formatting import is_missing

    if is_missing(current) or is_missing(reference) or float(reference) == 0:
        return None
    return (float(current) - float(reference)) / abs(float(reference))


def delta(key: str, current, reference, same_currency: bool = True) -> tuple[float | None, str]:
    """The change of one figure and the unit to show it in: points for rates, differences for scores.

    Money in two different currencies has no change (None).
    """
    from .formatting import is_missing

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
