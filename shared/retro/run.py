"""One campaign run: validate, build marts, execute the section notebooks with papermill, export the report.

Sections run in parallel (one kernel each); the executive summary and the data-quality appendix after them.
A failed section does not stop the others: its status and one-paragraph reason are recorded for the report,
and the run reports it.
Nothing under the run folder is touched before the parameters and data have passed their checks.
"""

from __future__ import annotations

import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import plugins
from .context import MARTS_BUILT_ENV
from .freshness import report_fingerprint, section_fingerprint
from .params import CampaignParams, load_params
from .paths import NOTEBOOK_DIR, PROJECT_ROOT
from .registry import LATE, SECTIONS
from .rundir import RunDir, default_run_dir, hash_file, swapped_in
from .staging.plan import TablePlan


@dataclass
class SectionStatus:
    """How one section's notebook ended: done, failed, missing (data not provided) or skipped."""

    name: str
    status: str
    seconds: float = 0.0
    reason: str = ""
    fingerprint: str = ""  # inputs of the executed notebook (retro.freshness); unchanged inputs skip execution


@dataclass
class RunResult:
    """What a run produced: section statuses and the report's location."""

    run_dir: Path
    statuses: dict[str, SectionStatus] = field(default_factory=dict)
    report: Path | None = None

    @property
    def failed(self) -> list[str]:
        return [s.name for s in self.statuses.values() if s.status == "failed"]


def _scrub(text: str) -> str:
    """Remove machine paths and ANSI colour codes from a message that may reach the report."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    for root in {str(PROJECT_ROOT), str(Path.home())}:
        text = text.replace(root + os.sep, "").replace(root, ".")
    return text.strip()


def failure_reason(exc: BaseException) -> str:
    """One paragraph a reader can act on, from a papermill execution error or any exception."""
    ename = getattr(exc, "ename", None) or type(exc).__name__
    evalue = getattr(exc, "evalue", None)
    if evalue is None:
        evalue = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
    return _scrub(f"{ename}: {evalue}")[:1000]


def execute_section(name: str, params_file: Path, run_dir: Path, notebook_dir: Path = NOTEBOOK_DIR) -> SectionStatus:
    """Run one section notebook with papermill into ``<run>/notebooks/``."""
    import papermill as pm

    section = SECTIONS[name]
    t0 = time.perf_counter()
    try:
        with swapped_in(RunDir(run_dir).notebooks / section.notebook) as out:
            pm.execute_notebook(
                str(notebook_dir / section.notebook),
                str(out),
                parameters={"params_file": str(params_file), "run_dir": str(run_dir)},
                cwd=str(notebook_dir),
                progress_bar=False,
                log_output=False,
                kernel_name="python3",
                # ipykernel warns on stderr about TCP without encryption on every start; the kernel is local
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
    except Exception as exc:  # noqa: BLE001 - any failure of a section becomes its status
        return SectionStatus(name, "failed", time.perf_counter() - t0, failure_reason(exc))
    return SectionStatus(name, "done", time.perf_counter() - t0)


def read_statuses(run_dir: Path) -> dict[str, SectionStatus]:
    """Statuses recorded by earlier runs of this campaign ({} when none, or when the record is damaged)."""
    out = {}
    for k, v in RunDir(run_dir).read_statuses().items():
        try:
            out[k] = SectionStatus(**v)
        except TypeError:  # a record of another shape is not trusted: that section runs again
            continue
    return out


def write_statuses(run_dir: Path, statuses: dict[str, SectionStatus]) -> None:
    """Record section statuses for the report and for later partial re-runs."""
    RunDir(run_dir).write_statuses({k: asdict(v) for k, v in statuses.items()})


def run_campaign(
    params_file: str | Path,
    *,
    only: list[str] | None = None,
    run_dir: Path | None = None,
    jobs: int | None = None,
    force: bool = False,
    echo=print,
    notebook_dir: Path = NOTEBOOK_DIR,
) -> RunResult:
    """Validate, build marts, execute sections and export the report; returns statuses and report path."""
    from .staging.demo import ensure_demo_data
    from .validate import check_campaign

    params_file = Path(params_file).resolve()
    params: CampaignParams = load_params(params_file)
    run_dir = Path(run_dir).resolve() if run_dir else default_run_dir(params)
    rd = RunDir(run_dir)
    ensure_demo_data(params, echo)  # the demo's generated data, on first use (nothing under outputs/)
    plan = TablePlan.of(params)  # the tables, their sources and fingerprints: once per run
    check_campaign(params, plan)  # raises RetroError before anything is written
    with rd.lock():  # one run of a campaign at a time; a second one is told which process holds it
        return _run_locked(params, params_file, rd, plan, only, jobs, force, echo, notebook_dir)


def _run_locked(params, params_file, rd: RunDir, plan: TablePlan, only, jobs, force, echo, notebook_dir) -> RunResult:
    """The run itself, while this process holds the run folder."""
    from .marts.build import build_marts

    run_dir = rd.path

    enabled = params.enabled_sections
    # plug-ins' marts register on import; one that fails to import fails its section, with the same reason
    plugins.load_all([s for s in enabled if SECTIONS[s].plugin])
    # the summary and the data-quality appendix read every other section's output: always refreshed
    chosen = [s for s in enabled if (not only or s in only or s in LATE)]
    t0 = time.perf_counter()
    # stages and checks the data first: on a hard problem it raises before creating anything
    build_marts(params, run_dir, sections=enabled, force=force, progress=echo, plan=plan)
    rd.write_snapshot(params)  # name, currency, phases: what `compare` needs besides figures and marts
    echo(f"marts ready ({time.perf_counter() - t0:.1f}s)")

    statuses = {k: v for k, v in read_statuses(run_dir).items() if k in enabled}
    width = max([11, *map(len, enabled)])  # progress lines align on the longest (plug-in) section name
    runnable = []
    for name in chosen:
        missing = plan.missing(SECTIONS[name].requires)
        if missing:
            statuses[name] = SectionStatus(name, "missing", 0.0, ", ".join(missing))
            echo(f"  {name:<{width}} not built: no {', '.join(missing)} table")
        else:
            runnable.append(name)
    sections = [s for s in runnable if s not in LATE]
    workers = max(1, jobs or os.cpu_count() or 1)

    def fingerprint_of(name, notebook_hash=None):
        notebook = notebook_dir / SECTIONS[name].notebook
        fp = section_fingerprint(name, params, run_dir, notebook, name in LATE, notebook_hash)
        if SECTIONS[name].plugin:  # the kit's code version does not cover the project's plug-ins
            fp = f"{fp}-{hash_file(SECTIONS[name].plugin)}"
        return fp

    def run_one(name):
        echo(f"  {name:<{width}} started")
        executed = hash_file(notebook_dir / SECTIONS[name].notebook)
        st = execute_section(name, params_file, run_dir, notebook_dir)
        # taken after the execution, to cover the marts it read (retro.freshness), of the notebook it started with
        st.fingerprint = fingerprint_of(name, executed) if st.status == "done" else ""
        word = "done" if st.status == "done" else "FAILED"
        echo(f"  {name:<{width}} {word} in {st.seconds:.1f}s" + (f": {st.reason}" if st.reason else ""))
        return st

    def current(name, fingerprint) -> bool:
        """Whether the last execution of a section had exactly these inputs (and its notebook is there)."""
        if force or (only and name in only):
            return False
        last = statuses.get(name)
        out = rd.notebooks / SECTIONS[name].notebook
        return last is not None and last.status == "done" and last.fingerprint == fingerprint and out.is_file()

    # the summary and the appendix run after the sections, side by side: neither reads the other
    with kernel_stderr_to(rd.kernel_log), environment(MARTS_BUILT_ENV, str(run_dir)):
        for batch in (sections, [s for s in runnable if s in LATE]):
            todo = []
            for name in batch:
                if current(name, fingerprint_of(name)):
                    echo(f"  {name:<{width}} unchanged")
                else:
                    todo.append(name)
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for fut in as_completed([pool.submit(run_one, n) for n in todo]):
                    st = fut.result()
                    statuses[st.name] = st
    write_statuses(run_dir, statuses)

    fingerprint = report_fingerprint(params, run_dir, statuses)
    index = rd.report / "index.html"
    if not force and index.is_file() and rd.read_stamp() == fingerprint:
        echo(f"  {'report':<{width}} unchanged")
        return RunResult(run_dir, statuses, index)
    from .report import export_report  # imports nbformat (1.5 s): only when a page changed

    report = export_report(params, run_dir, statuses)
    rd.write_stamp(fingerprint)
    return RunResult(run_dir, statuses, report)


@contextmanager
def environment(name: str, value: str):
    """Set an environment variable meanwhile (kernels started meanwhile inherit it), then restore it."""
    saved = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved


@contextmanager
def kernel_stderr_to(path: Path):
    """Point this process's stderr (which kernels inherit when they start) at a log file meanwhile.

    A kernel writes its own warnings and, on some shutdowns, a harmless ZMQ traceback there; the user's
    terminal shows only the kit's progress and its one-line problems. The log stays beside the run.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
