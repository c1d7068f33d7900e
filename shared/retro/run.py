"""One campaign run: validate, build marts, execute the section notebooks with papermill, export the report.

Sections run in parallel (one kernel each); the executive summary and the data-quality appendix after them.
A failed section does not stop the others: its status and one-paragraph reason are recorded for the report,
and the run reports it.
Nothing under the run folder is touched before the parameters and data have passed their checks.

Faults: a Ctrl-C or a write the machine refuses (disk full, read-only folder) stops the run at once: no
section starts, every kernel is killed, the sections that finished are recorded and the previous report is
kept. A run killed outright (kill -9) leaves temporary files and kernels; the next run of the campaign,
holding its lock, removes them before it starts.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed, wait
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import plugins
from .errors import RetroError
from .freshness import code_version, report_fingerprint, section_fingerprint
from .kernels import KernelPool, shutdown
from .params import CampaignParams, load_params
from .paths import MARTS_BUILT_ENV, NOTEBOOK_DIR, PROJECT_ROOT, REPORT_LANG_ENV, shown
from .progress import Progress
from .registry import LATE, SECTIONS
from .rundir import (
    NO_SPACE,
    NOT_WRITABLE,
    RunDir,
    default_run_dir,
    fault_point,
    hash_file,
    hash_json,
    swapped_in,
    write_problem,
    yaml_run_dir,
)
from .staging.plan import TablePlan


@dataclass
class SectionStatus:
    """How one section's notebook ended: done, failed, missing (data not provided) or skipped.

    ``stopped`` (the run was interrupted before or while it ran) is never recorded: its last status stands.
    """

    name: str
    status: str
    seconds: float = 0.0
    reason: str = ""
    fingerprint: str = ""  # inputs of the executed notebook (retro.freshness); unchanged inputs skip execution
    kind: str = ""  # a failure in plain words for the page: code, data, memory or stopped (retro.report)
    started_with: str = ""  # its notebook and the kit's code when it ran: an edit to either runs it again


@dataclass
class RunResult:
    """What a run produced: section statuses and the report's location."""

    run_dir: Path
    statuses: dict[str, SectionStatus] = field(default_factory=dict)
    report: Path | None = None

    @property
    def failed(self) -> list[str]:
        return [s.name for s in self.statuses.values() if s.status == "failed"]


# an absolute path (not part of a URL or of a relative one): all but its last part goes
_ABSOLUTE = re.compile(r"(?<![\w.:/~-])/(?:[^\s/'\"<>:,;()\[\]]+/)+(?=[^\s/'\"<>:,;()\[\]]*)")


def _scrub(text: str, *folders: str | os.PathLike) -> str:
    """Remove machine paths and ANSI colour codes from a message that may reach a record or the report.

    ``folders`` (the run folder, the notebook folder …), the project, the temporary folder and the home folder
    are cut from the paths under them (``<run>/marts/x.parquet`` reads ``marts/x.parquet``); any other
    absolute path keeps its last part only.
    """
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    roots = {str(Path(f)) for f in folders} | {str(PROJECT_ROOT), tempfile.gettempdir(), str(Path.home())}
    for root in sorted(roots - {"", os.sep}, key=len, reverse=True):
        text = text.replace(root + os.sep, "")
        text = re.sub(re.escape(root) + r"(?![\w.-])", ".", text)
    return _ABSOLUTE.sub("", text).strip()


def failure_reason(exc: BaseException, *folders: str | os.PathLike) -> str:
    """One paragraph a reader can act on, from a papermill execution error or any exception."""
    ename = getattr(exc, "ename", None) or type(exc).__name__
    evalue = getattr(exc, "evalue", None)
    if evalue is None:
        evalue = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
    return _scrub(f"{ename}: {evalue}", *folders)[:1000]


def _plain(traceback_lines) -> str:
    """An IPython traceback without its terminal colours (nbconvert's own filter)."""
    from nbconvert.filters.ansi import strip_ansi

    return strip_ansi("\n".join(traceback_lines or []))


def failure_location(exc: BaseException, notebook: str, *folders: str | os.PathLike) -> str:
    """Where a section stopped: the executed notebook, the cell and its line, the code that raised.

    From papermill's execution error (its cell, source and traceback); '' for any other exception.
    """
    count, source = getattr(exc, "exec_count", None), getattr(exc, "source", None)
    if source is None:
        return ""
    text = _plain(getattr(exc, "traceback", None))
    cell = re.search(r"Cell In ?\[(\d+)\], line (\d+)", text)
    lines = [ln.strip() for ln in str(source).splitlines()]
    at = int(cell[2]) if cell else 0
    line = lines[at - 1] if 0 < at <= len(lines) else next((ln for ln in lines if ln and not ln.startswith("#")), "")
    where = [notebook]
    where.append(f"cell [{count}]" if count else f"cell {getattr(exc, 'cell_index', 0) + 1}")
    if line:
        where.append(f"`{line[:120]}`")
    frames = re.findall(r"File (\S+?\.py):(\d+)", text)
    if frames:
        where.append(f"raised at {frames[-1][0]}:{frames[-1][1]}")
    return _scrub(", ".join(where), *folders)


def failure_kind(exc: BaseException) -> str:
    """The failure in a reader's terms: the section's code, its data, the machine's memory, or a stopped kernel."""
    ename = getattr(exc, "ename", None) or type(exc).__name__
    if ename in ("MemoryError", "OutOfMemoryException") or "out of memory" in str(exc).lower():
        return "memory"
    if ename in ("DeadKernelError", "CellTimeoutError") or "Kernel died" in str(exc):
        return "stopped"
    if ename in ("SectionMissingData", "DataError", "RetroError"):
        return "data"
    return "code"


def log_failure(run_dir: Path, name: str, exc: BaseException, *folders: str | os.PathLike) -> None:
    """The whole traceback of a failed section into the run's kernels.log (machine paths scrubbed)."""
    tb = getattr(exc, "traceback", None)
    text = _plain(tb) if tb else "".join(traceback.format_exception(exc))
    entry = f"\n== section {name} failed ==\n{_scrub(text, *folders)}\n"
    try:
        with open(RunDir(run_dir).kernel_log, "a", encoding="utf-8") as f:
            f.write(entry)
    except OSError:
        pass  # the log is a convenience: the CLI line already names the notebook and the cell


def refused_write(exc: BaseException) -> OSError | None:
    """The write the machine refused (disk full, read-only) behind a section's failure, or None.

    The write may be this process's (papermill saving the notebook) or the kernel's (reported as ``evalue``).
    """
    if isinstance(exc, OSError):
        return exc if exc.errno in (*NO_SPACE, *NOT_WRITABLE) else None
    found = re.search(r"\[Errno (\d+)\] ([^:]+)(?:: '([^']+)')?", str(getattr(exc, "evalue", "") or ""))
    if found and int(found[1]) in (*NO_SPACE, *NOT_WRITABLE):
        return OSError(int(found[1]), found[2], found[3])
    return None


def skip_iri_checker() -> None:
    """Import jsonschema (papermill's and nbformat's notebook validation) without its IRI format checker.

    When the ``rfc3987_syntax`` package is installed (JupyterLab's jupyter-events brings it), importing
    jsonschema compiles its 38 lark grammars for the "iri" formats, about 1 s of every run before its first
    section; notebook schemas use no such format. Done once per process, before anything imports jsonschema;
    the package itself stays importable afterwards.
    """
    if "jsonschema" in sys.modules:
        return
    had = "rfc3987_syntax" in sys.modules
    saved = sys.modules.get("rfc3987_syntax")
    sys.modules["rfc3987_syntax"] = None  # an ImportError to jsonschema, which then leaves the checker out
    try:
        import jsonschema  # noqa: F401
    finally:
        if had:
            sys.modules["rfc3987_syntax"] = saved
        else:
            del sys.modules["rfc3987_syntax"]


def execute_section(
    name: str,
    params_file: Path,
    run_dir: Path,
    notebook_dir: Path = NOTEBOOK_DIR,
    stop: threading.Event | None = None,
    pool: KernelPool | None = None,
) -> SectionStatus:
    """Run one section notebook with papermill into ``<run>/notebooks/``.

    ``stop``: set when the run is interrupted; the section then does not start, or, when its kernel is killed
    meanwhile, keeps its previous notebook. A write the machine refused is raised (it stops the run). ``pool``:
    where a kernel started ahead may be waiting (``retro.kernels``); papermill starts one otherwise.
    """
    import papermill as pm
    from traitlets.config import Config

    section = SECTIONS[name]
    rd = RunDir(run_dir)
    t0 = time.perf_counter()
    config = Config()
    # the connection file holds the kernel's key: in the run's own folder, removed when the run ends
    config.KernelManager.connection_file = str(rd.kernels / f"kernel-{name}.json")
    km = pool.take(stop) if pool is not None else None  # None at once when the run is interrupted
    try:
        if stop is not None and stop.is_set():  # before it started, or while a kernel was starting for it
            return SectionStatus(name, "stopped")
        with swapped_in(rd.notebooks / section.notebook) as out:
            try:
                pm.execute_notebook(
                    str(notebook_dir / section.notebook),
                    str(out),
                    parameters={"params_file": str(params_file), "run_dir": str(run_dir)},
                    # the kernel starts in the notebook folder; papermill's cwd= would chdir this whole process,
                    # from every worker thread at once (nbclient takes the kernel's folder from here instead)
                    resources={"metadata": {"path": str(notebook_dir)}},
                    config=config,
                    progress_bar=False,
                    log_output=False,
                    # written once it ends (with its error, if a cell raised), not at every cell's start and end:
                    # those writes were 40% of a section's time, in this process (and its GIL, which the other
                    # sections' threads wait for)
                    request_save_on_cell_execute=False,
                    kernel_name="python3",
                    # ipykernel warns on stderr about TCP without encryption on every start; the kernel is local
                    extra_arguments=["--IPKernelApp.log_level=ERROR"],
                    km=km,
                )
            except Exception:
                if stop is not None and stop.is_set():
                    out.unlink(missing_ok=True)  # stopped half-way: the previous notebook is kept
                elif not out.is_file():  # nothing written (its kernel died): the previous run's is not this one's
                    (rd.notebooks / section.notebook).unlink(missing_ok=True)
                raise
    except Exception as exc:  # noqa: BLE001 - any failure of a section becomes its status
        if stop is not None and stop.is_set():
            return SectionStatus(name, "stopped", time.perf_counter() - t0)
        refused = refused_write(exc)
        if refused is not None:
            raise refused from None
        folders = (run_dir, notebook_dir, params_file.parent)
        reason = failure_reason(exc, *folders)
        executed = shown(rd.notebooks / section.notebook)  # outputs/<id>/notebooks/…, or the --output folder's
        if Path(executed).is_absolute():
            executed = f"notebooks/{section.notebook} of the run folder"
        where = failure_location(exc, executed, *folders)
        log_failure(run_dir, name, exc, *folders)
        reason = f"{reason} ({where})" if where else reason
        return SectionStatus(name, "failed", time.perf_counter() - t0, reason[:1000], kind=failure_kind(exc))
    finally:
        if km is not None:  # papermill leaves a kernel it did not start running
            shutdown(km)
    return SectionStatus(name, "done", time.perf_counter() - t0)


def prepare_export(lang: str) -> None:
    """Make the report's page exporter while the first kernels start (a failure shows at the export)."""
    with suppress(Exception):
        from .report import exporter_for

        exporter_for(lang)


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
    progress: Progress | None = None,
    lang: str | None = None,
    _running: frozenset = frozenset(),
) -> RunResult:
    """Validate, build marts, execute sections and export the report; returns statuses and report path.

    A campaign named under ``compare: params:`` that has never been run is run first (as ``retro rollup``
    does), so a first run of a campaign that compares with last year's shows the comparison. ``progress``:
    where each stage shows as it goes (``retro.progress``; plain lines through ``echo`` by default).

    Languages: the report in campaign.language goes to the run folder; each other language of the YAML's
    ``languages`` (or ``lang``, alone) to ``<run folder>/<language>/``, built from the same marts (the
    folder's ``marts`` links to the run folder's). The result is the last report built.
    """
    progress = progress or Progress(echo, live=False)
    from .staging.demo import ensure_demo_data
    from .validate import check_campaign

    params_file = Path(params_file).resolve()
    params: CampaignParams = load_params(params_file)
    for other in never_run_comparisons(params, _running | {params_file}):
        echo(f"compared campaign {shown(other)} has not been run: running it first")
        run_campaign(
            other, jobs=jobs, echo=echo, notebook_dir=notebook_dir, progress=progress, _running=_running | {params_file}
        )
    run_dir = Path(run_dir).resolve() if run_dir else default_run_dir(params)
    rd = RunDir(run_dir)
    ensure_demo_data(params, echo)  # the demo's generated data, on first use (nothing under outputs/)
    plan = TablePlan.of(params)  # the tables, their sources and fingerprints: once per run
    check_campaign(params, plan)  # raises RetroError before anything is written
    if lang is not None and lang not in ("zh", "en"):
        raise RetroError(f"--lang {lang!r}: the report languages are zh and en")
    languages = [lang] if lang else [params.lang, *params.other_languages]
    result = None
    for language in languages:
        if language == params.lang:
            result = _run_in(rd, params, params_file, plan, only, jobs, force, progress, notebook_dir)
            continue
        # another language: the same marts (built or refreshed in the run folder first), its own pages
        if result is None:
            with rd.lock():
                from .marts.build import build_marts

                build_marts(
                    params, run_dir, sections=params.enabled_sections, force=force, progress=progress, plan=plan
                )
                rd.write_snapshot(params)
        progress.echo(f"report in {language}: {shown(run_dir / language)}")
        other = RunDir(run_dir / language)
        other.path.mkdir(parents=True, exist_ok=True)
        if not other.marts.exists():
            os.symlink("../marts", other.marts, target_is_directory=True)
        with environment(REPORT_LANG_ENV, language):
            params_in = params.in_language(language)
            result = _run_in(other, params_in, params_file, plan, only, jobs, False, progress, notebook_dir, False)
    return result


def _run_in(rd: RunDir, params, params_file, plan, only, jobs, force, progress, notebook_dir, marts=True) -> RunResult:
    """One report of the campaign into one run folder, holding its lock; a refused write is one line.

    ``marts``: build them here (False: another language's folder, whose marts are the run folder's).
    """
    with rd.lock():  # one run of a campaign at a time; a second one is told which process holds it
        clear_leftovers(rd)
        try:
            return _run_locked(params, params_file, rd, plan, only, jobs, force, progress, notebook_dir, marts)
        except Exception as exc:  # a refused write (ours or the engine's spill) is one line; anything else a bug
            problem = write_problem(exc, rd.path, shown)
            if problem is None:
                raise
            raise RetroError(problem) from None
        finally:
            stop_kernels(rd.kernels)
            shutil.rmtree(rd.kernels, ignore_errors=True)


def never_run_comparisons(params: CampaignParams, running: frozenset) -> list[Path]:
    """The YAMLs of ``compare: params:`` whose default run folder has no figures yet (and not being run)."""
    out = []
    for entry in params.compare:
        if entry.params is None:
            continue
        path = params.resolve(entry.params).resolve()
        run_dir, _ = yaml_run_dir(path)
        if run_dir is not None and path not in running and not RunDir(run_dir).figures.is_dir():
            out.append(path)
    return out


def clear_leftovers(rd: RunDir) -> None:
    """Remove what a run killed outright left: its kernels and their connection files, temporary files.

    A report it moved aside is put back. Called by the lock holder before it writes anything.
    """
    stop_kernels(rd.kernels)
    shutil.rmtree(rd.kernels, ignore_errors=True)
    rd.sweep()


def stop_kernels(folder: Path) -> int:
    """Kill every kernel started with a connection file in ``folder`` (SIGKILL, at once); return how many.

    A kernel is found by its command line (``-f <folder>/kernel-….json``), which also finds those a killed
    run left running. Linux's /proc is read; elsewhere nothing is found and kernels end with their parent.
    """
    needle = os.fsencode(str(folder)) + b"/"
    killed = 0
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()) if os.path.isdir("/proc") else ():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if needle not in f.read():
                    continue
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except OSError:  # gone meanwhile, or not ours
            continue
    return killed


def _run_locked(
    params, params_file, rd: RunDir, plan: TablePlan, only, jobs, force, progress, notebook_dir, marts=True
) -> RunResult:
    """The run itself, while this process holds the run folder."""
    from .marts.build import build_marts

    run_dir = rd.path
    enabled = params.enabled_sections
    # plug-ins' marts register on import; one that fails to import fails its section, with the same reason
    plugins.load_all([s for s in enabled if SECTIONS[s].plugin])
    # the summary and the data-quality appendix read every other section's output: always refreshed
    chosen = [s for s in enabled if (not only or s in only or s in LATE)]
    workers = max(1, jobs or os.cpu_count() or 1)
    # kernels for the sections start while the marts build, or at once for a section sure to run (a run with
    # nothing to build may run no section at all), one ready per worker, the kit imported
    may_run = [s for s in chosen if not plan.missing(SECTIONS[s].requires)]  # those that may take a kernel
    pool = KernelPool(
        rd.kernels,
        notebook_dir,
        dict(os.environ, **{MARTS_BUILT_ENV: str(run_dir)}),
        rd.kernel_log,
        ready=workers,
        total=len(may_run),
    )
    try:
        # a kernel's start (2 s) meanwhile, not after the data's checks; only into a run folder with a kernel log
        # already (a kernel appends its stderr to it): input the checks refuse leaves nothing new under outputs/
        last = read_statuses(run_dir)
        if rd.kernel_log.is_file() and any(surely_runs(s, last.get(s), notebook_dir, force, only) for s in may_run):
            pool.start()
        # stages and checks the data first: on a hard problem it raises before creating anything
        if marts:
            build_marts(
                params, run_dir, sections=enabled, force=force, progress=progress, plan=plan, starting=pool.start
            )
        return _sections_and_report(
            params, params_file, rd, plan, chosen, only, force, progress, notebook_dir, pool, workers
        )
    finally:
        pool.close()


def started_with(notebook: Path, notebook_hash: str | None = None) -> str:
    """What a section's execution started from, short of the data: its notebook and the kit's code."""
    return hash_json([notebook_hash or hash_file(notebook), code_version()])


def surely_runs(name: str, last: SectionStatus | None, notebook_dir: Path, force: bool, only) -> bool:
    """Whether a section will execute whatever the data: forced, never done, or its notebook or the code edited.

    ``last``: its status recorded by the previous run. Known before the data is checked, so its kernel can start
    at once; the other sections are known to run only once the marts are (their kernels start with the build).
    """
    if force or (only and name in only):
        return True
    return (
        last is None
        or last.status != "done"
        or last.started_with != started_with(notebook_dir / SECTIONS[name].notebook)
    )


def _sections_and_report(
    params, params_file, rd: RunDir, plan: TablePlan, chosen, only, force, progress, notebook_dir, pool, workers
) -> RunResult:
    """The ``chosen`` sections that are not current, then the report, once the marts are built."""
    skip_iri_checker()
    run_dir = rd.path
    echo = progress.line  # above the live display, when there is one
    enabled = params.enabled_sections
    rd.write_snapshot(params)  # name, currency, phases: what `compare` needs besides figures and marts

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

    def fingerprint_of(name, notebook_hash=None):
        notebook = notebook_dir / SECTIONS[name].notebook
        fp = section_fingerprint(name, params, run_dir, notebook, name in LATE, notebook_hash)
        if SECTIONS[name].plugin:  # the kit's code version does not cover the project's plug-ins
            fp = f"{fp}-{hash_file(SECTIONS[name].plugin)}"
        return fp

    def run_one(name):
        if stop.is_set():
            return SectionStatus(name, "stopped")
        echo(f"  {name:<{width}} started")
        executed = hash_file(notebook_dir / SECTIONS[name].notebook)
        st = execute_section(name, params_file, run_dir, notebook_dir, stop=stop, pool=pool)
        if st.status == "stopped":
            return st
        fault_point("notebooks")
        # taken after the execution, to cover the marts it read (retro.freshness), of the notebook it started with
        st.fingerprint = fingerprint_of(name, executed) if st.status == "done" else ""
        st.started_with = started_with(notebook_dir / SECTIONS[name].notebook, executed)
        if st.status == "done":
            convert_page(name)
        word = "done" if st.status == "done" else "FAILED"
        echo(f"  {name:<{width}} {word} in {st.seconds:.1f}s" + (f": {st.reason}" if st.reason else ""))
        return st

    def convert_page(name) -> None:
        """Its report page, while the other sections execute: the export at the end finds it converted.

        A page that fails to convert here is left to the export, which converts it again and says why.
        """
        from .report import page_body  # imports nbformat (1.5 s): once, in the first section's thread

        with suppress(Exception):
            page_body(run_dir, name, params.lang)

    def current(name, fingerprint) -> bool:
        """Whether the last execution of a section had exactly these inputs (and its notebook is there)."""
        if force or (only and name in only):
            return False
        last = statuses.get(name)
        out = rd.notebooks / SECTIONS[name].notebook
        return last is not None and last.status == "done" and last.fingerprint == fingerprint and out.is_file()

    def record(st: SectionStatus) -> None:
        if st.status != "stopped":
            statuses[st.name] = st

    stop = threading.Event()
    rd.kernels.mkdir(mode=0o700, exist_ok=True)

    # the summary and the appendix run after the sections, side by side: neither reads the other
    def executed(st) -> str:
        ran = [statuses[n] for n in ran_now if n in statuses]
        failed = sum(1 for x in ran if x.status == "failed")
        kept = len(runnable) - len(ran_now)
        parts = [f"{len(ran) - failed} done"] + ([f"{failed} failed"] if failed else [])
        parts += [f"{kept} unchanged"] if kept else []
        return f"sections: {', '.join(parts)} in {st.seconds:.1f}s"

    ran_now: list[str] = []

    def run_and_count(name):
        stage.step(name)
        st = run_one(name)
        stage.done(name)
        return st

    try:
        with (
            kernel_stderr_to(rd.kernel_log),
            environment(MARTS_BUILT_ENV, str(run_dir)),
            progress.stage("sections", total=len(runnable), summary=executed) as stage,
        ):
            for batch in (sections, [s for s in runnable if s in LATE]):
                todo = []
                for name in batch:
                    if current(name, fingerprint_of(name)):
                        echo(f"  {name:<{width}} unchanged")
                        stage.done(name)
                    else:
                        todo.append(name)
                ran_now.extend(todo)
                if todo:  # started already when marts were built; now one per worker at once, the build over
                    pool.start(parallel=workers)
                    # the exporter meanwhile (nbconvert's imports: 0.5 s), for the first page to convert as it ends
                    threading.Thread(target=prepare_export, args=(params.lang,), daemon=True).start()
                execute_all(todo, run_and_count, workers, stop, rd.kernels, record)
    except BaseException:
        with suppress(OSError):  # what finished is kept: the next run goes on from there
            write_statuses(run_dir, statuses)
        raise
    write_statuses(run_dir, statuses)

    fingerprint = report_fingerprint(params, run_dir, statuses)
    index = rd.report / "index.html"
    if not force and index.is_file() and rd.read_stamp() == fingerprint:
        echo(f"  {'report':<{width}} unchanged")
        return RunResult(run_dir, statuses, index)
    from .report import export_report  # imports nbformat (1.5 s): only when a page changed

    with progress.stage("report", summary=lambda st: f"report: exported in {st.seconds:.1f}s"):
        report = export_report(params, run_dir, statuses)
    rd.write_stamp(fingerprint)
    return RunResult(run_dir, statuses, report)


def execute_all(names: list[str], run_one, workers: int, stop: threading.Event, kernels: Path, record) -> None:
    """``run_one`` each section, ``workers`` at a time, ``record`` each status as it ends.

    On Ctrl-C, or a section's write the machine refused: ``stop`` is set (no section starts any more), every
    kernel is killed at once until the running sections have returned, then the exception goes on.
    """
    pool = ThreadPoolExecutor(max_workers=workers)
    futures = [pool.submit(run_one, n) for n in names]
    try:
        for fut in as_completed(futures):
            record(fut.result())
    except BaseException:
        stop.set()
        with _no_second_interrupt():
            for fut in futures:
                fut.cancel()
            while wait(futures, timeout=0.2).not_done:
                stop_kernels(kernels)
        raise
    finally:
        pool.shutdown(wait=True)


@contextmanager
def _no_second_interrupt():
    """Ignore Ctrl-C meanwhile (a second one during the clean-up would leave kernels running)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, saved)


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
