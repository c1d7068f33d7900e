"""What a section notebook holds: the campaign's parameters, its marts and the figures it records.

``open_section`` is the first call of every notebook. Run by ``retro run`` it finds the marts already
built; opened in JupyterLab it builds whatever is missing or stale first, so "Run all" works with no edits.
A section's figures are computed by one function of its module, ``figures(ctx)`` (a ``FigureSet``), over its
marts; ``open_section`` records them in ``<run>/figures/<section>.json`` for the executive summary, whatever
cells the notebook keeps. The cells only show them.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from . import formatting as fmt
from .catalog import FIGURES
from .display import Note, Omitted, Table, TeamNotes
from .errors import RetroError, SectionMissingData
from .evidence import FACTS, FIGURE_NEEDS, holds
from .i18n import has, register, sentences, table_names, tr
from .params import MART_SETTINGS, CampaignParams, Settings, load_params
from .paths import DEMO_PARAMS, LAB_PARAMS_ENV, MARTS_BUILT_ENV, REPORT_LANG_ENV
from .registry import SECTIONS, Section
from .rundir import Recorded, RunDir, default_run_dir, load_comparisons
from .staging.plan import TablePlan

__all__ = [
    "FigureSet",
    "Omitted",
    "Recorded",
    "SectionContext",
    "default_run_dir",
    "open_section",
    "section_figures",
    "shows",
]

register(
    {
        "needs.missing": ("Not shown: it needs {what}.", "此处未展示：需要{what}。"),
        "needs.or": (" or ", "或"),
        "needs.and": ("; ", "；"),
        "needs.target": ("a target for {label}", "{label}的目标值"),
        "needs.targets": ("the campaign's targets", "本次活动的目标值"),
        "needs.table.inventory": (
            "hourly stock snapshots",
            "每小时库存快照",
        ),
        "needs.table.events": ("a behaviour log", "用户行为日志"),
        "needs.table.coupons": ("a coupon table", "优惠券表"),
        "needs.table.users": ("a customer table", "客户表"),
        "needs.table.nps": ("NPS survey answers", "NPS 调查结果"),
        "needs.table.orders": ("an order table", "订单表"),
        "needs.table.order_items": ("order lines", "订单明细"),
    }
)


def _recorded(key: str, value, section: str, segment: str | None, parts: dict) -> Recorded:
    if key not in FIGURES:
        raise KeyError(f"figure {key!r} is not in retro.catalog.FIGURES")
    v = None if fmt.is_missing(value) else float(value)
    clean = {k: (None if fmt.is_missing(x) else float(x)) for k, x in parts.items()} or None
    return Recorded(key, v, section, segment, clean)


def _put(figures: list[Recorded], rec: Recorded) -> None:
    """Add a figure, replacing an earlier one of the same key and segment."""
    figures[:] = [f for f in figures if not (f.key == rec.key and f.segment == rec.segment)]
    figures.append(rec)


class FigureSet(list):
    """The figures one section measures, as its ``figures(ctx)`` function returns them (a list of Recorded)."""

    def __init__(self, section: str):
        super().__init__()
        self.section = section

    def add(self, key: str, value, segment: str | None = None, **parts) -> float | None:
        """Add a figure (numerator and denominator as ``parts``); returns its value as recorded."""
        rec = _recorded(key, value, self.section, segment, parts)
        _put(self, rec)
        return rec.value


def section_module(name: str):
    """The module holding a section's code: the kit's ``retro.sections.<name>``, or the plug-in's."""
    if SECTIONS[name].plugin is not None:
        from .plugins import load

        return load(name)
    return importlib.import_module(f"retro.sections.{name}")


def section_figures(ctx: SectionContext, name: str | None = None) -> list[Recorded]:
    """The figures a section's ``figures(ctx)`` computes from its marts ([] for a section without one)."""
    fn = getattr(section_module(name or ctx.section.name), "figures", None)
    return list(fn(ctx)) if fn else []


def shows(*needs: str):
    """Declare what a shown element (sentence, table or chart) needs from the data; left out without it.

    A need is a fact of ``retro.evidence.FACTS`` (``"order_times"``), alternatives joined by ``|``
    (``"order_city_tier|user_city_tier"``), ``"table:<name>"`` (a table the campaign provides or derives),
    ``"targets"`` (any YAML target) or ``"target:<figure>"``. An element with no need beyond its section's
    tables declares ``@shows()``: a test holds every element a notebook calls to a declaration.
    """

    def declare(fn):
        own = set(inspect.signature(fn).parameters)

        @functools.wraps(fn)
        def element(ctx: SectionContext, *args, **kwargs):
            # a setting as an argument (sales.category_chart(ctx, top_n=20)) is ctx.with_settings for this call
            changes = {k: kwargs.pop(k) for k in list(kwargs) if k in Settings.model_fields and k not in own}
            if changes:
                ctx = ctx.with_settings(**changes)
            unmet = [n for n in needs if not ctx.has(n)]
            return ctx.omitted(unmet) if unmet else fn(ctx, *args, **kwargs)

        element.__shows__ = needs
        return element

    return declare


class SectionContext:
    """Parameters, marts and recorded figures of one section, plus language-aware helpers."""

    def __init__(self, section: Section, params: CampaignParams, run_dir: Path):
        self.section = section
        self.params = params
        self.run_dir = Path(run_dir)
        self.rundir = RunDir(run_dir)
        self.lang = params.lang
        self.currency = params.campaign.currency
        self._figures: list[Recorded] = []
        self._computed = False  # whether the section's own figures(ctx) has been recorded yet
        self._marts: dict[str, pd.DataFrame] = {}
        self._reads: set[str] = set()  # marts read or looked for, recorded under `retro run` (retro.freshness)
        self._comparisons = None
        self._profile: dict | None = None
        self._plan: TablePlan | None = None
        self._said: set[str] = set()  # "not shown" lines this page has shown already
        self._local = False  # a with_settings copy: reads and shows, never records

    @property
    def comparisons(self) -> list:
        """The finished runs the YAML's ``compare`` names (retro.rundir.ComparedRun), read once."""
        if self._comparisons is None:
            self._comparisons = load_comparisons(self.params, list(SECTIONS)) if self.params.compare else []
        return self._comparisons

    # --- a notebook's own choices ----------------------------------------------------------------
    def with_settings(self, **changes) -> SectionContext:
        """The section with other display settings, for this notebook only: ``ctx.with_settings(top_n=20)``.

        The YAML, the recorded figures and the summary are untouched. Settings the marts are built with
        (``retention_days`` …) are refused: change them in the YAML and re-run the section.
        """
        fields = Settings.model_fields
        problems = [
            f"with_settings: unknown setting {k!r}; settings are {', '.join(fields)}"
            for k in changes
            if k not in fields
        ]
        problems += [
            f"with_settings: {k} shapes the marts; set settings.{k} in the YAML and run "
            f"`retro run <yaml> --only {self.section.name}`"
            for k in changes
            if k in MART_SETTINGS
        ]
        if problems:
            raise RetroError(problems)
        try:
            settings = Settings.model_validate({**self.params.settings.model_dump(), **changes})
        except ValidationError as e:
            raise RetroError(
                [f"with_settings: {'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors()]
            ) from None
        local = SectionContext(self.section, self.params.model_copy(update={"settings": settings}), self.run_dir)
        local._marts, local._profile, local._plan = self._marts, self._profile, self._plan
        local._comparisons, local._figures, local._computed = self._comparisons, list(self._figures), True
        local._local = True
        return local

    def marts(self) -> Table:
        """The built marts this run holds: section, rows, columns and what each one is (its definition's first line)."""
        import pyarrow.parquet as pq

        from .marts import load_definitions

        defs = load_definitions()
        rows = []
        for path in sorted(self.rundir.marts.glob("*.parquet")):
            name = path.stem
            meta = pq.read_metadata(path)
            d = defs.get(name)
            doc = (d.build.__doc__ or "").strip().splitlines()[0] if d and d.build.__doc__ else ""
            columns = ", ".join(meta.schema.names)
            rows.append([name, d.section if d else "", meta.num_rows, columns, doc])
        df = pd.DataFrame(rows, columns=["mart", "section", "rows", "columns", "definition"])
        return Table(df, units={"rows": "count"}, lang=self.lang, title=f"{len(df)} marts in {self.run_dir.name}")

    # --- data ------------------------------------------------------------------------------------
    def mart(self, name: str) -> pd.DataFrame:
        """A built mart as a DataFrame (cached per notebook)."""
        self._read(name)
        if name not in self._marts:
            df = self.rundir.read_mart(name)
            if df is None:
                raise SectionMissingData(f"mart {name!r} has not been built: is its table configured?")
            self._marts[name] = df
        return self._marts[name].copy()

    def has_mart(self, name: str) -> bool:
        """Whether a mart was built (optional tables may be absent)."""
        self._read(name)
        return self.rundir.has_mart(name)

    def _read(self, name: str) -> None:
        if name not in self._reads:
            self._reads.add(name)
            self._save_reads()

    def _save_reads(self) -> None:
        """Record the marts read so far, when `retro run` executes this notebook: its inputs for the next run."""
        if self._local or os.environ.get(MARTS_BUILT_ENV) != str(self.run_dir.resolve()):
            return  # opened in JupyterLab: what an analyst's edited cells read says nothing of the saved notebook
        self.rundir.write_reads(self.section.name, self._reads)

    # --- what the data supports ------------------------------------------------------------------
    def has(self, need: str) -> bool:
        """Whether a declared need holds (see ``shows``): a fact of the data, or a target in the YAML."""
        if "|" in need:
            return any(self.has(n) for n in need.split("|"))
        if need == "targets":
            return bool(self.params.targets)
        if need.startswith("target:"):
            return self.params.targets.get(need.split(":", 1)[1]) is not None
        if need.startswith("table:"):
            return need.split(":", 1)[1] in self.plan.available
        if need not in FACTS:
            raise KeyError(f"unknown need {need!r}: a fact of retro.evidence.FACTS, table:, target: or targets")
        if self._profile is None:
            self._profile = self.rundir.read_profile()
        return holds(FACTS[need], self._profile)

    def _need_text(self, need: str) -> str:
        if "|" in need:
            return tr("needs.or", self.lang).join(dict.fromkeys(self._need_text(n) for n in need.split("|")))
        if need == "targets":
            return tr("needs.targets", self.lang)
        if need.startswith("table:"):
            table = need.split(":", 1)[1]
            return tr(f"needs.table.{table}", self.lang) if has(f"needs.table.{table}") else table
        if need.startswith("target:"):
            from .catalog import label

            key = need.split(":", 1)[1]
            return tr("needs.target", self.lang, label=label(key, self.lang, self.params.settings))
        fact = FACTS[need]
        return fact.zh if self.lang == "zh" else fact.en

    def omitted(self, unmet: list[str]) -> Omitted:
        """The one line saying which data would enable an element; nothing for what this page has said already."""
        new = [n for n in dict.fromkeys(unmet) if n not in self._said]
        self._said.update(new)
        if not new:
            return Omitted()
        what = tr("needs.and", self.lang).join(dict.fromkeys(self._need_text(n) for n in new))
        return Omitted(tr("needs.missing", self.lang, what=what))

    def once(self, key: str, text: str, kind: str = "info") -> Note | Omitted:
        """A note this page shows once: a second element with the same reason shows nothing."""
        if key in self._said:
            return Omitted()
        self._said.add(key)
        return Note(text, kind)

    @property
    def plan(self) -> TablePlan:
        """The campaign's table plan (which tables it provides or derives), computed once."""
        if self._plan is None:
            self._plan = TablePlan.of(self.params)
        return self._plan

    # --- figures ---------------------------------------------------------------------------------
    @property
    def figures(self) -> list[Recorded]:
        """Every figure this section recorded: its ``figures(ctx)``, then any the cells added (``record``)."""
        self.record_section_figures()
        return self._figures

    def record_section_figures(self) -> None:
        """Compute and record the section's own figures once (``open_section`` does it first thing)."""
        if self._computed:
            return
        self._computed = True  # before computing: figures(ctx) reading ctx.figure sees an empty record
        for rec in section_figures(self):
            if self.supports(rec.key):
                _put(self._figures, rec)
        self._save()

    def supports(self, key: str) -> bool:
        """Whether the data gives what a figure means (``retro.evidence.FIGURE_NEEDS``): else it is not shown."""
        return all(self.has(n) for n in FIGURE_NEEDS.get(key, ()))

    def record(self, key: str, value, segment: str | None = None, **parts) -> float | None:
        """Record a further headline figure for findings and the summary (plug-ins' cells); returns the value."""
        rec = _recorded(key, value, self.section.name, segment, parts)
        _put(self._figures, rec)
        self._save()
        return rec.value

    def _save(self) -> None:
        if self._local:
            return  # ctx.with_settings: a notebook's own view records nothing
        self.rundir.write_figures(self.section.name, self._figures)

    def figure(self, key: str, segment: str | None = None) -> float | None:
        """A figure this section recorded."""
        for f in self.figures:
            if f.key == key and f.segment == segment:
                return f.value
        return None

    # --- presentation ----------------------------------------------------------------------------
    def tr(self, key: str, **values) -> str:
        """A label or sentence in the report language."""
        return tr(key, self.lang, **values)

    def fmt(self, value, unit: str) -> str:
        """A value formatted by unit in the report language and currency."""
        return fmt.value(value, unit, self.lang, self.currency)

    def table(self, df: pd.DataFrame, units: dict[str, str] | None = None, **kw) -> Table:
        """A display table in the report language."""
        return Table(df, units, lang=self.lang, currency=self.currency, **kw)

    def figures_table(self, values: dict, title: str, names: dict | None = None, note: str = "") -> Table:
        """Headline figures: each figure's catalog label (or a given name) and its value.

        A figure the data cannot give is left out (its needs, ``retro.evidence.FIGURE_NEEDS``, named once in the
        note). A figure the data gives but that is undefined here (a ratio over zero) reads "n/a".
        With comparisons in the YAML, each adds its value and the change (n/a where it lacks the figure).
        """
        from .catalog import label
        from .comparison import delta

        keys = [k for k in values if self.supports(k)]
        unmet = [n for k in values if not self.supports(k) for n in FIGURE_NEEDS[k] if not self.has(n)]
        if unmet:  # the one line saying which data would show the figures left out
            missing = self.omitted(unmet).text
            note = sentences([note, missing], self.lang) if missing else note
        df = pd.DataFrame(
            {
                "figure": [(names or {}).get(k) or label(k, self.lang, self.params.settings) for k in keys],
                "value": [self.fmt(values[k], FIGURES[k].unit) for k in keys],
            }
        )
        labels = {"figure": tr("figure", self.lang), "value": tr("value", self.lang)}
        right = ["value"]
        for i, other in enumerate(self.comparisons):
            refs = [other.figure(k, section=self.section.name) for k in keys]
            changes = [delta(k, values[k], r, other.currency == self.currency) for k, r in zip(keys, refs, strict=True)]
            df[f"compare{i}"] = [
                fmt.value(r, FIGURES[k].unit, self.lang, other.currency) for k, r in zip(keys, refs, strict=True)
            ]
            df[f"change{i}"] = [self.fmt(d, unit) for d, unit in changes]
            labels[f"compare{i}"] = other.label
            labels[f"change{i}"] = tr("compare.vs", self.lang, label=other.label)
            right += [f"compare{i}", f"change{i}"]
        return self.table(df, labels=labels, title=title, note=note, right=tuple(right))

    def note(self, text: str, kind: str = "info") -> Note:
        """A generated sentence shown as a paragraph."""
        return Note(text, kind)

    def moments_during(self, start, end) -> list:
        """The YAML's moments overlapping the time range [start, end): what a finding there coincides with."""
        start, end = pd.Timestamp(start).to_pydatetime(), pd.Timestamp(end).to_pydatetime()
        return [m for m in self.params.moments if m.at < end and (m.end or m.at) >= start]

    def coinciding(self, start, end) -> str:
        """One sentence naming the moments during [start, end), or "" when none."""
        found = self.moments_during(start, end)
        if not found:
            return ""
        labels = ("、" if self.lang == "zh" else ", ").join(m.label for m in found)
        return tr("moment.coincides", self.lang, labels=labels)

    def team_notes(self) -> TeamNotes | None:
        """The team's own account of this section (YAML ``notes``), rendered as safe Markdown.

        None without notes: the cell then displays nothing at all (an empty output would make the export drop
        the page's title with it, as a heading whose elements showed nothing).
        """
        text = self.params.note_text(self.section.name)
        return TeamNotes(text, self.lang) if text else None


def campaign_file(params_file: str | os.PathLike | None = None) -> Path:
    """The campaign a notebook opens: the one given, else the one `retro lab` was started for, else the demo."""
    if params_file:
        return Path(params_file)
    return Path(os.environ.get(LAB_PARAMS_ENV) or DEMO_PARAMS)


def open_section(
    name: str,
    params_file: str | os.PathLike | None = None,
    run_dir: str | os.PathLike | None = None,
    build: bool = True,
) -> SectionContext:
    """Load and validate the campaign, make sure this section's marts are current, and record its figures."""
    from .charts import set_moments, setup_theme

    section = SECTIONS[name]
    params = load_params(campaign_file(params_file))
    if os.environ.get(REPORT_LANG_ENV) in ("zh", "en"):  # a run building this campaign's report in another language
        params = params.in_language(os.environ[REPORT_LANG_ENV])
    run = Path(run_dir) if run_dir else default_run_dir(params)
    plan = TablePlan.of(params)
    missing = plan.missing(section.requires)
    if missing:
        raise SectionMissingData(tr("section.missing_data", params.lang, tables=table_names(missing, params.lang)))
    if build and name != "summary" and os.environ.get(MARTS_BUILT_ENV) != str(run.resolve()):
        from .marts.build import build_marts
        from .staging.demo import ensure_demo_data

        ensure_demo_data(params)
        build_marts(params, run, plan=plan)  # every enabled section's marts: goals reads other sections' marts
    setup_theme(params.lang)
    set_moments(params.moments)
    ctx = SectionContext(section, params, run)
    if params.compare and os.environ.get(MARTS_BUILT_ENV) != str(run.resolve()):
        ctx._comparisons = _readable_comparisons(params)
    ctx._save()  # start from an empty record so a re-run never shows stale figures
    ctx._save_reads()  # and from no marts read
    ctx.record_section_figures()
    return ctx


def _readable_comparisons(params) -> list:
    """Opened in JupyterLab: the comparisons that can be read; each one that cannot is said once, not raised.

    ``retro run`` runs a never-run compared campaign first and refuses an unreadable one before any notebook
    starts; an analyst's Run All should still show the section, saying what would add the comparison.
    """
    from .rundir import readable_comparisons

    runs, problems = readable_comparisons(params, list(SECTIONS))
    if problems:
        from IPython.display import display

        display(*(Note(f"Comparison left out: {p}", "warning") for p in problems))
    return runs


def load_figures(run_dir: Path) -> list[Recorded]:
    """Every figure recorded by any section of a run, in section order."""
    return RunDir(run_dir).load_figures(SECTIONS)
