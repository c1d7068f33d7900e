"""What a section notebook holds: the campaign's parameters, its marts and the figures it records.

``open_section`` is the first call of every notebook. Run by ``retro run`` it finds the marts already
built; opened in JupyterLab it builds whatever is missing or stale first, so "Run all" works with no edits.
Figures recorded here are written to ``<run>/figures/<section>.json`` for the executive summary.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from . import formatting as fmt
from .cache import READS_DIR
from .catalog import FIGURES
from .display import Note, Table
from .errors import SectionMissingData
from .i18n import tr
from .params import PROJECT_ROOT, CampaignParams, load_params
from .sections import SECTIONS, Section


@dataclass
class Recorded:
    """One headline figure as a section measured it; ``parts`` keeps numerator and denominator."""

    key: str
    value: float | None
    section: str
    segment: str | None = None
    parts: dict | None = None


LAB_PARAMS_ENV = "RETRO_PARAMS"  # set by `retro lab` for the notebooks it opens
# set by `retro run` for the kernels it starts: the run folder whose marts it has just built, so that a
# notebook of that run does not check them again (and import the engine to do so)
MARTS_BUILT_ENV = "RETRO_MARTS_BUILT"
DEMO_PARAMS = PROJECT_ROOT / "params" / "demo_double11.yaml"


def default_run_dir(params: CampaignParams) -> Path:
    """Where a campaign's run artefacts live unless told otherwise: outputs/<campaign id>/."""
    return PROJECT_ROOT / "outputs" / params.campaign.id


def missing_tables(section: Section, params: CampaignParams) -> list[str]:
    """Required tables of a section that the campaign's data does not provide."""
    from .sources import available_tables

    have = available_tables(params)
    return [t for t in section.requires if t not in have]


class SectionContext:
    """Parameters, marts and recorded figures of one section, plus language-aware helpers."""

    def __init__(self, section: Section, params: CampaignParams, run_dir: Path):
        self.section = section
        self.params = params
        self.run_dir = run_dir
        self.lang = params.lang
        self.currency = params.campaign.currency
        self.figures: list[Recorded] = []
        self._marts: dict[str, pd.DataFrame] = {}
        self._reads: set[str] = set()  # marts read or looked for, recorded under `retro run` (retro.cache)
        self._comparisons = None

    @property
    def comparisons(self) -> list:
        """The finished runs the YAML's ``compare`` names (retro.comparison.ComparedRun), read once."""
        if self._comparisons is None:
            from .comparison import load_comparisons

            self._comparisons = load_comparisons(self.params) if self.params.compare else []
        return self._comparisons

    # --- data ------------------------------------------------------------------------------------
    def mart(self, name: str) -> pd.DataFrame:
        """A built mart as a DataFrame (cached per notebook)."""
        self._read(name)
        if name not in self._marts:
            path = self.run_dir / "marts" / f"{name}.parquet"
            if not path.is_file():
                raise SectionMissingData(f"mart {name!r} has not been built: is its table configured?")
            self._marts[name] = pd.read_parquet(path)
        return self._marts[name].copy()

    def has_mart(self, name: str) -> bool:
        """Whether a mart was built (optional tables may be absent)."""
        self._read(name)
        return (self.run_dir / "marts" / f"{name}.parquet").is_file()

    def _read(self, name: str) -> None:
        if name not in self._reads:
            self._reads.add(name)
            self._save_reads()

    def _save_reads(self) -> None:
        """Record the marts read so far, when `retro run` executes this notebook: its inputs for the next run."""
        if os.environ.get(MARTS_BUILT_ENV) != str(self.run_dir.resolve()):
            return  # opened in JupyterLab: what an analyst's edited cells read says nothing of the saved notebook
        out = self.run_dir / READS_DIR
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{self.section.name}.json"
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(sorted(self._reads)))
        os.replace(tmp, path)

    # --- figures ---------------------------------------------------------------------------------
    def record(self, key: str, value, segment: str | None = None, **parts) -> float | None:
        """Record a headline figure for findings and the summary; returns the value."""
        if key not in FIGURES:
            raise KeyError(f"figure {key!r} is not in retro.catalog.FIGURES")
        v = None if fmt.is_missing(value) else float(value)
        clean = {k: (None if fmt.is_missing(x) else float(x)) for k, x in parts.items()} or None
        self.figures = [f for f in self.figures if not (f.key == key and f.segment == segment)]
        self.figures.append(Recorded(key, v, self.section.name, segment, clean))
        self._save()
        return v

    def _save(self) -> None:
        out = self.run_dir / "figures"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{self.section.name}.json"
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps([asdict(f) for f in self.figures], ensure_ascii=False, indent=1))
        os.replace(tmp, path)

    def figure(self, key: str, segment: str | None = None) -> float | None:
        """A figure this section recorded earlier."""
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

        With comparisons in the YAML, each adds its value and the change (n/a where it lacks the figure).
        """
        from .catalog import label
        from .comparison import delta

        keys = list(values)
        df = pd.DataFrame(
            {
                "figure": [(names or {}).get(k) or label(k, self.lang) for k in keys],
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
    """Load and validate the campaign, make sure this section's marts are current, and start recording."""
    from .charts import setup_theme

    section = SECTIONS[name]
    params = load_params(campaign_file(params_file))
    run = Path(run_dir) if run_dir else default_run_dir(params)
    missing = missing_tables(section, params)
    if missing:
        raise SectionMissingData(tr("section.missing_data", params.lang, tables=", ".join(missing)))
    if build and name != "summary" and os.environ.get(MARTS_BUILT_ENV) != str(run.resolve()):
        from .marts import build_marts

        build_marts(params, run)  # every enabled section's marts: goals reads other sections' marts
    setup_theme()
    ctx = SectionContext(section, params, run)
    ctx._save()  # start from an empty record so a re-run never shows stale figures
    ctx._save_reads()  # and from no marts read
    return ctx


def load_figures(run_dir: Path) -> list[Recorded]:
    """Every figure recorded by any section of a run, in section order."""
    out = []
    for name in SECTIONS:
        path = Path(run_dir) / "figures" / f"{name}.json"
        if path.is_file():
            out.extend(Recorded(**r) for r in json.loads(path.read_text(encoding="utf-8")))
    return out
