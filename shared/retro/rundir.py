"""The run folder ``outputs/<id>/``: every path and record in it, and the only module that writes there.

Layout (``RunDir`` names each part)::

    campaign.json          the campaign's snapshot (name, language, currency, phases): what `compare` reads
    marts/<name>.parquet   the marts; marts/manifest.json what built each; marts/quality.json the soft problems;
                           marts/profile.json which columns the data gives (retro.evidence)
    figures/<section>.json the figures a section recorded
    reads/<section>.json   the marts a section's last execution under `retro run` read
    notebooks/NN_x.ipynb   the executed notebooks
    status.json            how each section ended, with the fingerprint of its inputs
    report/                the exported bundle, swapped in whole; report.fingerprint beside it
    kernels.log            what the kernels printed on stderr
    .export-cache/         pages already converted, by content

Every record is written to a temporary name in the same folder and renamed into place, so a reader sees the
old record or the new one, never half of one; a record that does not parse is treated as missing, never
trusted. ``RunDir.lock`` makes a run the only writer of its folder (its lock file is in the temporary
folder). Compared runs (YAML ``compare:``) are
read through the same names, read-only (``ComparedRun``).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from .catalog import FIGURES
from .errors import RetroError
from .params import Campaign, CampaignParams
from .paths import PROJECT_ROOT
from .quality import Check, Problem

OUTPUTS = PROJECT_ROOT / "outputs"
SNAPSHOT = "campaign.json"
MANIFEST = "manifest.json"
QUALITY = "quality.json"
PROFILE = "profile.json"


# --- faults, for the tests ----------------------------------------------------------------------------
FAULT_ENV = "RETRO_FAULT"
_faulted: set[str] = set()


def fault_point(stage: str) -> None:
    """Test-only: ``RETRO_FAULT=<stage>`` kills this process (SIGKILL) the first time a run reaches ``stage``.

    ``<stage>:INT`` sends a Ctrl-C instead (SIGINT, to the process group when this process leads it, as a
    terminal does). The fault tests stop a real run at a known point with it; unset, it does nothing.
    Stages: ``marts`` (one mart written), ``notebooks`` (one section executed), ``export`` (one page written),
    ``swap`` (the old report moved aside, the new one not yet in place).
    """
    want = os.environ.get(FAULT_ENV, "")
    if want.split(":")[0] != stage or stage in _faulted:
        return
    _faulted.add(stage)
    if want.endswith(":INT"):
        leader = os.getpgid(0) == os.getpid()
        os.killpg(0, signal.SIGINT) if leader else os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)  # a key press lands while this thread works, not in the instant it picks the next task
    else:
        os.kill(os.getpid(), signal.SIGKILL)


# --- atomic files ------------------------------------------------------------------------------------
def write_atomic(path: Path, data: str | bytes) -> Path:
    """Write a file whole or not at all: a temporary name beside it, renamed over it once complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_json(path: Path, data, **dump) -> Path:
    """A JSON record, written atomically (UTF-8, non-ASCII kept as is)."""
    return write_atomic(path, json.dumps(data, ensure_ascii=False, default=str, **dump))


def read_json(path: Path):
    """A JSON record, or None when it is missing or does not parse (a half-written file is not trusted)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def hash_file(path: Path) -> str:
    """A short content hash of a file; "-" when it is not there."""
    path = Path(path)
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "-"


def hash_json(payload) -> str:
    """A short hash of a JSON-able value (keys sorted): the fingerprints of marts, sections and the report."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:20]


@contextmanager
def swapped_in(path: Path):
    """A temporary name for a file another program writes (papermill's executed notebook), renamed to ``path``.

    The rename happens once the writer has returned or raised (a failed execution's notebook shows its
    error); an interrupt (Ctrl-C) or a process killed meanwhile leaves ``path`` as it was, never half-written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # same suffix: the writer may choose its format by it (papermill warns on a name not ending in .ipynb)
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}-{threading.get_ident()}{path.suffix}")
    try:
        yield tmp
    except Exception:
        if tmp.is_file():  # a failed execution's notebook, with its error
            os.replace(tmp, path)
        raise
    except BaseException:  # interrupted: the file is as far as the writer got, never swapped in
        tmp.unlink(missing_ok=True)
        raise
    if tmp.is_file():
        os.replace(tmp, path)


@contextmanager
def new_folder(final: Path):
    """A temporary folder beside ``final``, filled by the caller, then swapped in for ``final`` whole.

    On any failure the temporary folder is removed and ``final`` is left as it was. A process killed between
    the two renames leaves ``final`` aside as ``.<name>-old-<pid>``: ``RunDir.sweep`` puts it back.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}-new-", dir=final.parent))
    try:
        yield tmp
        old = final.parent / f".{final.name}-old-{os.getpid()}"
        if final.exists():
            final.rename(old)
            fault_point("swap")
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# --- figures ------------------------------------------------------------------------------------------
@dataclass
class Recorded:
    """One headline figure as a section measured it; ``parts`` keeps numerator and denominator."""

    key: str
    value: float | None
    section: str
    segment: str | None = None
    parts: dict | None = None


# --- the run folder -----------------------------------------------------------------------------------
def default_run_dir(params: CampaignParams) -> Path:
    """Where a campaign's run lives unless told otherwise: outputs/<campaign id>/."""
    return OUTPUTS / params.campaign.id


class RunDir:
    """The paths and records of one run folder (nothing is created until something is written)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    # paths
    @property
    def marts(self) -> Path:
        return self.path / "marts"

    def mart(self, name: str) -> Path:
        return self.marts / f"{name}.parquet"

    @property
    def figures(self) -> Path:
        return self.path / "figures"

    def figures_of(self, section: str) -> Path:
        return self.figures / f"{section}.json"

    def reads_of(self, section: str) -> Path:
        return self.path / "reads" / f"{section}.json"

    @property
    def notebooks(self) -> Path:
        return self.path / "notebooks"

    @property
    def report(self) -> Path:
        return self.path / "report"

    @property
    def snapshot(self) -> Path:
        return self.path / SNAPSHOT

    @property
    def manifest(self) -> Path:
        return self.marts / MANIFEST

    @property
    def quality(self) -> Path:
        return self.marts / QUALITY

    @property
    def profile(self) -> Path:
        return self.marts / PROFILE

    @property
    def statuses(self) -> Path:
        return self.path / "status.json"

    @property
    def report_stamp(self) -> Path:
        return self.path / "report.fingerprint"

    @property
    def kernel_log(self) -> Path:
        return self.path / "kernels.log"

    @property
    def export_cache(self) -> Path:
        """Converted pages and the font subset, by content: a re-export converts only what changed."""
        return self.path / ".export-cache"

    # marts
    def read_manifest(self) -> dict:
        """What built each mart ({} when none, or when the manifest does not parse: every mart is rebuilt)."""
        data = read_json(self.manifest)
        return data if isinstance(data, dict) else {}

    def write_manifest(self, manifest: dict) -> None:
        write_json(self.manifest, manifest, indent=1, sort_keys=True)

    def has_mart(self, name: str) -> bool:
        """Whether a mart file is there and not empty (an empty one is a write that never finished)."""
        path = self.mart(name)
        return path.is_file() and path.stat().st_size > 0

    def read_mart(self, name: str):
        """A mart as a DataFrame, or None when it is missing or unreadable."""
        import pandas as pd

        if not self.has_mart(name):
            return None
        try:
            return pd.read_parquet(self.mart(name))
        except Exception:  # noqa: BLE001 - a damaged file is as good as none: rebuilt, never trusted
            return None

    def write_mart(self, name: str, table) -> None:
        """A mart from an Arrow table, written atomically."""
        import pyarrow.parquet as pq

        path = self.mart(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def write_quality(self, problems: list[Problem], checks: list[Check] | None = None) -> None:
        """The soft problems (and consistency checks) of the last mart build, next to the marts."""
        data = {"problems": [asdict(p) for p in problems], "checks": [asdict(c) for c in checks or []]}
        write_json(self.quality, data, indent=1)

    def read_quality(self) -> tuple[list[Problem], list[Check]]:
        data = read_json(self.quality) or {}
        return [Problem(**p) for p in data.get("problems", [])], [Check(**c) for c in data.get("checks", [])]

    def write_profile(self, profile: dict) -> None:
        """How many staged rows give each column a fact reads (``retro.evidence``)."""
        write_json(self.profile, profile, indent=1, sort_keys=True)

    def read_profile(self) -> dict:
        """The last build's profile ({} when none, or damaged: then no fact holds and nothing is claimed)."""
        data = read_json(self.profile)
        return data if isinstance(data, dict) else {}

    # figures and reads
    def write_figures(self, section: str, figures: list[Recorded]) -> None:
        write_json(self.figures_of(section), [asdict(f) for f in figures], indent=1)

    def read_figures(self, section: str) -> list[Recorded]:
        """The figures a section recorded ([] when none, or when the record does not parse)."""
        data = read_json(self.figures_of(section))
        if not isinstance(data, list):
            return []
        return [Recorded(**r) for r in data]

    def has_figures(self) -> bool:
        return any(self.figures.glob("*.json"))

    def figure_files(self) -> list[Path]:
        return sorted(self.figures.glob("*.json"))

    def load_figures(self, sections) -> list[Recorded]:
        """Every figure recorded by the given sections, in their order."""
        return [f for name in sections for f in self.read_figures(name)]

    def write_reads(self, section: str, marts) -> None:
        write_json(self.reads_of(section), sorted(marts))

    def read_reads(self, section: str) -> list[str] | None:
        """The marts a section's last execution under `retro run` read (None: not recorded)."""
        data = read_json(self.reads_of(section))
        return data if isinstance(data, list) else None

    # statuses, snapshot, report stamp
    def read_statuses(self) -> dict[str, dict]:
        data = read_json(self.statuses)
        return data if isinstance(data, dict) else {}

    def write_statuses(self, statuses: dict[str, dict]) -> None:
        write_json(self.statuses, statuses, indent=1)

    def write_snapshot(self, params: CampaignParams) -> None:
        """Record the campaign's identity and calendar (``retro run`` does), unless it is already there."""
        data = snapshot(params)
        if self.read_snapshot() != data:
            write_json(self.snapshot, data, indent=1)

    def read_snapshot(self) -> dict | None:
        data = read_json(self.snapshot)
        return data if isinstance(data, dict) else None

    def read_stamp(self) -> str | None:
        try:
            return self.report_stamp.read_text(encoding="utf-8")
        except OSError:
            return None

    def write_stamp(self, text: str) -> None:
        write_atomic(self.report_stamp, text)

    # one writer at a time
    def _beside_lock(self, suffix: str) -> Path:
        """A name in the temporary folder that belongs to this run folder (its path hashed)."""
        key = hashlib.sha256(str(self.path.resolve()).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"retro-run-{key}{suffix}"

    @property
    def kernels(self) -> Path:
        """The kernels' connection files (their keys) while a run executes, in the temporary folder.

        The lock holder owns it: it empties it when it starts (a killed run cannot) and removes it when it ends.
        """
        return self._beside_lock(".kernels")

    @contextmanager
    def lock(self):
        """Hold the run folder for this process; RetroError naming the process that holds it already.

        The lock file is kept in the temporary folder (named by the run folder's path), so that taking the
        lock before the data checks leaves nothing under outputs/ when they refuse the input.
        """
        path = self._beside_lock(".lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
                raise RetroError(
                    f"{self.path.name}: another `retro run` of this campaign is running (process {holder}); "
                    "wait for it to finish"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            yield self
        finally:
            os.close(fd)  # closing releases the lock

    def sweep(self) -> list[Path]:
        """Remove what a killed writer left (temporary files, a half-exported report); return what was removed.

        Only the lock holder calls it: no other writer can be half-way. A report moved aside by an export
        killed between its two renames is put back, so the previous report is kept.
        """
        if not self.path.is_dir():
            return []
        removed = []
        old = sorted(self.path.glob(f".{self.report.name}-old-*"))
        if old and not self.report.exists():
            old.pop().rename(self.report)
        for p in [*old, *self.path.glob(f".{self.report.name}-new-*")]:
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
        for p in self.path.rglob(".*.tmp*"):
            if p.is_file():
                p.unlink(missing_ok=True)
                removed.append(p)
        return removed


# --- what a write that fails says ---------------------------------------------------------------------
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)


def write_problem(exc: BaseException, folder: Path, shown) -> str | None:
    """One line for a write the machine refused (disk full, read-only or not ours), else None.

    ``folder``: where the command writes (the run folder); ``shown``: how a path is shown to the user. The
    line names ``folder`` when the failed file is in it, else the failed file's folder (the temporary one).
    """
    if not isinstance(exc, OSError) and "No space left on device" in str(exc):
        # the engine's own I/O error (DuckDB spilling past memory_limit): it names the file it could not write
        named = re.search(r'"(/[^"]+)"', str(exc))
        where = Path(named.group(1)).parent if named else Path(tempfile.gettempdir())
        return f"no space left on {shown(where)} for the engine's temporary files: free some space there"
    if not isinstance(exc, OSError) or exc.errno not in (*NO_SPACE, *NOT_WRITABLE):
        return None
    where, inside = Path(folder), True
    if exc.filename:
        failed = Path(os.fsdecode(exc.filename)).absolute()
        inside = failed == where.absolute() or where.absolute() in failed.parents
        where = where if inside else failed.parent
    if exc.errno in NO_SPACE:
        return f"no space left on {shown(where)}: free some space" + (", or use --output on another disk" * inside)
    return f"cannot write to {shown(where)} (read-only, or not yours)" + (": use --output elsewhere" * inside)


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
        # a roll-up of run folders (made with --output) reads the targets here, as it reads a YAML's
        "targets": {k: v for k, v in params.targets.items() if v is not None},
    }


# --- compared runs, read-only -------------------------------------------------------------------------
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

    def mart(self, name: str):
        """One of its marts, or None when that run did not build it."""
        return RunDir(self.run_dir).read_mart(name)


def run_problems(run_dir: Path, shown: str) -> list[str]:
    """Why a folder cannot be compared (not there, no figures, no campaign snapshot); empty when it can."""
    rd = RunDir(run_dir)
    if not rd.path.is_dir():
        return [f"{shown}: run folder not found"]
    if not rd.has_figures():
        return [f"{shown}: no recorded figures (figures/*.json): is it a finished run folder?"]
    if rd.read_snapshot() is None:
        return [f"{shown}: no {SNAPSHOT} (runs made before comparisons existed lack it): run that campaign again"]
    return []


def load_run(run_dir: Path, label: str | None = None, shown: str | None = None, sections=None) -> ComparedRun:
    """A finished run folder as a comparison; RetroError naming the folder when it is not one.

    ``sections``: the order its figures are read in (default: the figure files' names, sorted).
    """
    rd = RunDir(Path(run_dir).resolve())
    problems = run_problems(rd.path, shown or str(rd.path))
    if problems:
        raise RetroError(problems)
    campaign = rd.read_snapshot()
    names = sections if sections is not None else [p.stem for p in rd.figure_files()]
    return ComparedRun(label or campaign["name"], rd.path, campaign, rd.load_figures(names))


def yaml_run_dir(path: Path) -> tuple[Path | None, str]:
    """The default run folder of a campaign YAML (outputs/<its id>/), read without validating the rest of it."""
    if not path.is_file():
        return None, "file not found"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        campaign = Campaign.model_validate(raw["campaign"])
    except Exception:  # noqa: BLE001 - any unreadable file gets the same one-line answer
        return None, "not a campaign YAML with a valid campaign.id"
    return OUTPUTS / campaign.id, ""


def resolve_comparisons(params: CampaignParams, shown: str) -> tuple[list[tuple[str | None, Path]], list[str]]:
    """Each of the YAML's comparisons as (label, run folder), and the problems found on the way."""
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
            if bad and not RunDir(run_dir).figures.is_dir():
                bad = [
                    f"{where}.params: {entry.params} has not been run: run `retro run {entry.params}` first "
                    "(a run made with --output: name its folder under `run:` instead)"
                ]
        if run_dir.resolve() == own:
            bad = [f"{where}: this is the campaign's own run folder; compare with another campaign's run"]
        problems += bad
        if not bad:
            found.append((entry.label, run_dir.resolve()))
    return found, problems


def readable_comparisons(params: CampaignParams, sections=None) -> tuple[list[ComparedRun], list[str]]:
    """The campaign's comparisons that can be read, in YAML order, and one line for each that cannot."""
    found, problems = resolve_comparisons(params, str(params.source or "campaign"))
    return [load_run(run_dir, label, sections=sections) for label, run_dir in found], problems


def load_comparisons(params: CampaignParams, sections=None) -> list[ComparedRun]:
    """The campaign's comparisons, in YAML order; RetroError when one cannot be read."""
    runs, problems = readable_comparisons(params, sections)
    if problems:
        raise RetroError(problems)
    return runs


def comparison_files(params: CampaignParams) -> list:
    """What of the comparisons a section reads (snapshot, mart manifest, figures), hashed: a section's input."""
    found, problems = resolve_comparisons(params, "")
    out: list = [sorted(problems)]
    for label, run_dir in found:
        rd = RunDir(run_dir)
        files = [rd.snapshot, rd.manifest, *rd.figure_files()]
        out.append([label, str(run_dir), {p.name: hash_file(p) for p in files}])
    return out
