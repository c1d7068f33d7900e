"""``retro rollup``: one page with every campaign of a year, for the year-end review.

Each row is one campaign's headline figures as its own run recorded them (``<run>/figures/``), so the
roll-up never re-reads raw data and shows exactly the numbers of each campaign's report. A campaign that has
never been run is run first (the run is cached like any other), unless ``run=False``, in which case its
row says so and its values are n/a. The year's total row adds what adds up (GMV, new customers) and
recomputes ratios from the summed parts (target attainment, ROI weighted by spend, CAC, retention: retained
over buyers, only when every campaign that ran has a matured retention window). A campaign whose run fails
is shown with what it recorded and named in the command's problems (the command then exits non-zero).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from . import metrics
from .catalog import FIGURES, label
from .context import load_figures
from .display import Note, Table, esc
from .errors import RetroError
from .i18n import register, tr
from .params import CampaignParams, load_params
from .report import stamp, write_standalone_page
from .rundir import OUTPUTS, Recorded, RunDir, default_run_dir, run_problems

register(
    {
        "rollup.title": ("Campaigns of {year}", "{year}年大促汇总"),
        "rollup.period": ("{n} campaigns · {start} to {end}", "{n} 场大促 · {start} 至 {end}"),
        "rollup.campaigns": ("One row per campaign", "各场大促"),
        "rollup.total": ("Year total", "全年合计"),
        "rollup.col.campaign": ("Campaign", "大促"),
        "rollup.col.dates": ("Dates", "日期"),
        "rollup.col.gmv_target": ("GMV target", "GMV目标"),
        "rollup.col.attainment": ("GMV attainment", "GMV达成率"),
        "rollup.col.as_of": ("Figures from", "数据截至"),
        "rollup.not_run": ("not run", "未运行"),
        "rollup.total_note": (
            "Totals add GMV and new customers over the campaigns that have them; the GMV target and attainment "
            "cover the campaigns with both a GMV and a target; ROI (weighted by spend) and CAC are recomputed from "
            "the summed parts; retention is retained over buyers summed, n/a unless every campaign that ran has it.",
            "合计：GMV与新客数为有该指标的大促之和；GMV目标与达成率只含既有GMV又有目标的大促；ROI（按投入加权）"
            "与获客成本由合计后的分子分母重新计算；留存率为合计回购人数除以合计购买人数，任一已运行大促缺少留存率时为n/a。",
        ),
        "rollup.na_note": (
            "n/a: the campaign has no such figure (its data lacks the table, it has no target, or it has not run).",
            "n/a：该大促没有此指标（数据缺少相应的表、未设目标或尚未运行）。",
        ),
    }
)

FIGURE_KEYS = ("gmv", "roi", "new_customers", "cac", "retention_30d")


@dataclass
class CampaignRow:
    """One campaign of the roll-up: its parameters, where its run lives and what that run recorded."""

    params: CampaignParams
    run_dir: Path
    figures: dict[str, Recorded] = field(default_factory=dict)
    note: str = ""  # why there are no figures ("not run" or the run's problem)
    problem: str = ""  # why its run failed, one line naming the campaign ("" when it did not fail)

    def value(self, key: str) -> float | None:
        f = self.figures.get(key)
        return None if f is None else f.value

    def part(self, key: str, part: str) -> float | None:
        f = self.figures.get(key)
        return None if f is None or not f.parts else f.parts.get(part)

    @property
    def as_of(self) -> date | None:
        """When the figures were recorded (the newest figures file of the run)."""
        files = RunDir(self.run_dir).figure_files()
        return datetime.fromtimestamp(max(p.stat().st_mtime for p in files)).date() if files else None


def headline_figures(run_dir: Path) -> dict[str, Recorded]:
    """Whole-campaign figures of a run, each from the section that owns it."""
    return {
        f.key: f
        for f in load_figures(run_dir)
        if f.segment is None and f.key in FIGURES and FIGURES[f.key].section == f.section
    }


def collect(campaigns: list[tuple[Path, CampaignParams]], *, run: bool = True, echo=print) -> list[CampaignRow]:
    """Each campaign's row, in start-date order; a campaign never run is run first when ``run``."""
    from .run import run_campaign

    rows = []
    for path, params in sorted(campaigns, key=lambda c: c[1].start):
        folder = params.run_dir if isinstance(params, RunCampaign) else None  # a run folder is read as it is
        row = CampaignRow(params, folder or default_run_dir(params))
        row.figures = headline_figures(row.run_dir)
        if not row.figures and run and folder is None:
            echo(f"{params.campaign.id}: no recorded figures yet, running it")
            try:
                result = run_campaign(path, echo=lambda line: echo(f"  {line}"))
                row.run_dir = result.run_dir
                row.figures = headline_figures(result.run_dir)
                if result.failed:
                    row.problem = f"{params.campaign.id}: section(s) failed: {', '.join(result.failed)}"
            except RetroError as e:
                row.note = e.problems[0]
                row.problem = f"{params.campaign.id}: could not run: {e.problems[0]}"
                echo(row.problem)
        if not row.figures and not row.note:
            row.note = "not_run"
        rows.append(row)
    return rows


def table_rows(rows: list[CampaignRow], lang: str) -> pd.DataFrame:
    """The roll-up table's values, unformatted (the page formats them by unit)."""
    records = []
    for r in rows:
        p = r.params
        target = p.targets.get("gmv")
        as_of = r.as_of
        records.append(
            {
                "campaign": p.campaign.name,
                "dates": f"{p.start:%Y-%m-%d} – {p.end:%m-%d}",
                "gmv": r.value("gmv"),
                "gmv_target": target,
                "attainment": metrics.attainment(r.value("gmv"), target),
                **{k: r.value(k) for k in FIGURE_KEYS[1:]},
                "as_of": as_of.isoformat() if as_of and r.figures else _note(r.note, lang),
            }
        )
    return pd.DataFrame.from_records(records)


def _note(note: str, lang: str) -> str:
    return tr("rollup.not_run", lang) if note == "not_run" else note


def _sum(values) -> float | None:
    present = [v for v in values if v is not None]
    return float(sum(present)) if present else None


def totals(rows: list[CampaignRow]) -> dict[str, float | None]:
    """The year's total: sums of additive figures, ratios recomputed from summed parts."""
    with_target = [r for r in rows if r.value("gmv") is not None and r.params.targets.get("gmv") is not None]
    with_roi = [r for r in rows if r.value("roi") is not None and r.part("roi", "spend") is not None]
    with_cac = [r for r in rows if r.part("cac", "spend") is not None and r.part("cac", "new_customers") is not None]
    # retention pooled only when every campaign that ran has it with its parts (a window not matured yet
    # has none): a total over some campaigns only would not be the year's
    ran = [r for r in rows if r.figures]
    pooled = bool(ran) and all(r.part("retention_30d", "buyers") and r.value("retention_30d") is not None for r in ran)
    return {
        "gmv": _sum(r.value("gmv") for r in rows),
        "gmv_target": _sum(r.params.targets["gmv"] for r in with_target),  # beside the GMV it is compared with
        "attainment": metrics.attainment(
            _sum(r.value("gmv") for r in with_target), _sum(r.params.targets["gmv"] for r in with_target)
        ),
        # ROI x spend is the campaign's return over spend: summed, then divided by the summed spend
        "roi": metrics.ratio(
            _sum(r.value("roi") * r.part("roi", "spend") for r in with_roi),
            _sum(r.part("roi", "spend") for r in with_roi),
        ),
        "new_customers": _sum(r.value("new_customers") for r in rows),
        "cac": metrics.cac(
            _sum(r.part("cac", "spend") for r in with_cac), _sum(r.part("cac", "new_customers") for r in with_cac)
        ),
        "retention_30d": (
            metrics.ratio(
                _sum(r.part("retention_30d", "retained") for r in ran),
                _sum(r.part("retention_30d", "buyers") for r in ran),
            )
            if pooled
            else None
        ),
    }


def page_body(rows: list[CampaignRow], lang: str, currency: str, year: int) -> str:
    """The roll-up page's HTML body: title, the campaigns table, the year's total and the notes."""
    units = {
        "gmv": FIGURES["gmv"].unit,
        "gmv_target": FIGURES["gmv"].unit,
        "attainment": "pct",
        **{k: FIGURES[k].unit for k in FIGURE_KEYS[1:]},
    }
    labels = {
        "campaign": tr("rollup.col.campaign", lang),
        "dates": tr("rollup.col.dates", lang),
        "gmv_target": tr("rollup.col.gmv_target", lang),
        "attainment": tr("rollup.col.attainment", lang),
        "as_of": tr("rollup.col.as_of", lang),
        **{k: label(k, lang) for k in FIGURE_KEYS},
    }
    df = table_rows(rows, lang)
    campaigns = Table(df, units, lang=lang, currency=currency, labels=labels, title=tr("rollup.campaigns", lang))
    total = pd.DataFrame([{"campaign": tr("rollup.total", lang), **totals(rows)}])
    total_table = Table(total, units, lang=lang, currency=currency, labels=labels, title=tr("rollup.total", lang))
    return (
        f"<h1>{esc(tr('rollup.title', lang, year=year))}</h1>"
        + campaigns._repr_html_()
        + total_table._repr_html_()
        + Note(tr("rollup.total_note", lang))._repr_html_()
        + Note(tr("rollup.na_note", lang))._repr_html_()
    )


@dataclass(frozen=True)
class RunCampaign:
    """A finished run folder standing for its campaign (a run made with ``--output``): its snapshot's facts.

    It holds what a roll-up row reads of a campaign (identity, language, dates, targets); ``run_dir`` says
    where its figures are, and it is never run again.
    """

    campaign: object
    lang: str
    start: date
    end: date
    targets: dict
    run_dir: Path


def run_campaign_of(folder: Path) -> RunCampaign:
    """The campaign a run folder holds, from the snapshot ``retro run`` wrote; RetroError when it has none."""
    from types import SimpleNamespace

    problems = run_problems(folder, str(folder))
    snap = RunDir(folder).read_snapshot() if not problems else None
    if snap is None:
        raise RetroError(problems or [f"{folder}: not a finished run folder (no campaign snapshot)"])
    phases = [(date.fromisoformat(p["start"]), date.fromisoformat(p["end"])) for p in snap["phases"]]
    campaign = SimpleNamespace(id=snap["id"], name=snap["name"], currency=snap["currency"], language=snap["language"])
    return RunCampaign(
        campaign,
        snap["language"],
        min(start for start, _ in phases),
        max(end for _, end in phases),
        dict(snap.get("targets") or {}),
        Path(folder).absolute(),
    )


def load_campaigns(params_files: list[Path]) -> list[tuple[Path, CampaignParams]]:
    """Every YAML validated (and every run folder read) first: all problems together, before anything runs."""
    if not params_files:
        raise RetroError("retro rollup: name the campaigns' YAML files or run folders, e.g. retro rollup params/*.yaml")
    loaded, problems = [], []
    for path in params_files:
        try:
            if Path(path).is_dir() or (not Path(path).exists() and Path(path).suffix not in (".yaml", ".yml")):
                loaded.append((Path(path).absolute(), run_campaign_of(Path(path))))
            else:
                loaded.append((Path(path).absolute(), load_params(path)))
        except RetroError as e:
            problems.extend(e.problems)
    if problems:
        raise RetroError(problems)
    currencies = sorted({p.campaign.currency for _, p in loaded})
    if len(currencies) > 1:
        raise RetroError(
            f"retro rollup: the campaigns use different currencies ({', '.join(currencies)}); "
            "roll up the campaigns of one currency at a time"
        )
    return loaded


def build_rollup(
    params_files: list[Path],
    *,
    output: Path | None = None,
    year: int | None = None,
    lang: str | None = None,
    run: bool = True,
    echo=print,
) -> tuple[Path, list[str]]:
    """Write the roll-up page of the campaigns of ``year`` (default: the latest campaign's).

    Returns the page's path and the campaigns whose run failed, one line each (the page shows them all).
    """
    loaded = load_campaigns(params_files)
    lang = lang or loaded[0][1].lang
    year = year or max(p.start.year for _, p in loaded)
    chosen = [(f, p) for f, p in loaded if p.start.year == year]
    left_out = [p.campaign.id for _, p in loaded if p.start.year != year]
    if left_out:
        echo(f"left out (not starting in {year}): {', '.join(left_out)}")
    if not chosen:
        raise RetroError(f"retro rollup: no campaign starts in {year}")
    for line in same_dates(chosen):
        echo(f"warning: {line}")
    rows = collect(chosen, run=run, echo=echo)
    title = tr("rollup.title", lang, year=year)
    start, end = min(r.params.start for r in rows), max(r.params.end for r in rows)
    period = tr("rollup.period", lang, n=len(rows), start=start.isoformat(), end=end.isoformat())
    body = page_body(rows, lang, rows[0].params.campaign.currency, year)
    out_dir = Path(output) if output else OUTPUTS / "rollup" / str(year)
    sources = ", ".join(f.name for f, _ in chosen)
    page = out_dir / "index.html"
    write_standalone_page(page, lang=lang, title=title, period=period, body=body, stamp=stamp(sources))
    return page, [r.problem for r in rows if r.problem]


def same_dates(campaigns: list[tuple[Path, CampaignParams]]) -> list[str]:
    """One line per set of campaigns with the same dates: one is likely a copy, and the year would count it twice."""
    by_dates: dict[tuple, list[str]] = {}
    for path, p in campaigns:
        by_dates.setdefault((p.start, p.end), []).append(f"{p.campaign.id} ({path.name})")
    return [
        f"{' and '.join(names)} have the same dates ({start} to {end}): is one a copy of the other?"
        for (start, end), names in by_dates.items()
        if len(names) > 1
    ]
