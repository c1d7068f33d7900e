"""The ``retro`` command: run, check, new, demo, compare … Thin over the library.

Problems the user can fix print one line each on stderr and exit 2 (a full disk or a folder it cannot write
to included); a failed section exits 1 naming it; Ctrl-C prints one line and exits 130; anything else is a
bug and says so (set RETRO_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import os
import sys
import time
from importlib import resources
from pathlib import Path

import click

from .errors import RetroError
from .paths import shown
from .registry import SECTIONS


def _echo(line: str) -> None:
    click.echo(line)


def _fail(problems: list[str], code: int = 2) -> None:
    for p in problems:
        click.echo(f"error: {p}", err=True)
    sys.exit(code)


INTERRUPTED = 130  # the shell's code for a command ended by Ctrl-C


def _guard(fn):
    """Turn user errors into one-line messages and bugs into a short report, never a bare traceback."""

    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except RetroError as e:
            _fail(e.problems, e.exit_code)
        except KeyboardInterrupt:
            kept = ": the previous report is kept" if fn.__name__ in ("run", "rollup") else ""
            click.echo(f"interrupted{kept}", err=True)
            sys.exit(INTERRUPTED)
        except SystemExit:
            raise
        except Exception as e:  # noqa: BLE001
            from .rundir import write_problem

            problem = write_problem(e, Path(e.filename).parent if getattr(e, "filename", None) else Path.cwd(), shown)
            if problem:  # a write the machine refused, outside a run (which names its folder itself)
                _fail([problem])
            if os.environ.get("RETRO_DEBUG"):
                raise
            _fail(
                [
                    f"internal error ({type(e).__name__}: {e}); this is a bug in the kit, "
                    "re-run with RETRO_DEBUG=1 for details"
                ],
                1,
            )

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _sections_option(value: str | None) -> list[str] | None:
    if not value:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        raise RetroError([f"--only: unknown section {n!r}; sections are {', '.join(SECTIONS)}" for n in unknown])
    return names


class _Commands(click.Group):
    """`retro --help` lists each command with its whole first sentence, not cut at 45 characters."""

    def format_commands(self, ctx, formatter):
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120})
@click.version_option(package_name="campaign-retro-kit")
def main():
    """Campaign Retro Kit: build a campaign retrospective report from one YAML file."""


@main.command()
@click.argument("params_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--only", help="Comma-separated sections to re-run (the summary is always refreshed).")
@click.option(
    "--output",
    "output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Run folder (default outputs/<campaign id>).",
)
@click.option("--jobs", type=click.IntRange(1, 64), help="Sections executed at once (default: CPU cores).")
@click.option("--force", is_flag=True, help="Rebuild every mart even when its inputs have not changed.")
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    help="Build the report in this language from the same marts (another than the YAML's: into <run folder>/<lang>/).",
)
@_guard
def run(params_file, only, output, jobs, force, lang):
    """Validate, build marts, execute every section notebook and export the HTML report."""
    from .run import run_campaign

    skipped = _print_plugin_problems()
    t0 = time.perf_counter()
    from .progress import Progress

    progress = Progress(_echo)  # live on a terminal, plain lines in a log or a pipe
    result = run_campaign(
        params_file,
        only=_sections_option(only),
        run_dir=output,
        jobs=jobs,
        force=force,
        echo=_echo,
        progress=progress,
        lang=lang,
    )
    failed = result.failed
    click.echo(f"report: {result.report}  ({time.perf_counter() - t0:.1f}s)")
    problems = [f"section(s) failed: {', '.join(failed)} (see their pages in the report)"] if failed else []
    if skipped:
        problems.append(f"{skipped} plug-in section(s) skipped (see above); the rest of the report is built")
    if problems:
        _fail(problems, 1)


def _print_plugin_problems() -> int:
    """Print one line per plug-in section that cannot be used (it is left out; the rest runs); return how many."""
    from .plugins import problems

    for problem in problems():
        click.echo(f"error: {problem}", err=True)
    return len(problems())


@main.command()
@click.argument("params_file", type=click.Path(dir_okay=False, path_type=Path))
@_guard
def check(params_file):
    """Validate the YAML and the data without executing anything."""
    from .params import load_params
    from .staging.demo import ensure_demo_data
    from .staging.plan import TablePlan
    from .validate import check_data

    skipped = _print_plugin_problems()
    params = load_params(params_file)
    ensure_demo_data(params, _echo)
    plan = TablePlan.of(params)
    for problem in check_data(params, plan):  # what is expected of an export is a note, the rest a warning
        click.echo(f"{'note' if problem.routine else 'warning'}: {problem.line()}")
    buildable = []
    for name in params.enabled_sections:
        missing = plan.missing(SECTIONS[name].requires)
        if missing:
            click.echo(f"note: section {name} will say it has no data ({', '.join(missing)} not provided)")
        else:
            buildable.append(name)
    if skipped:
        _fail([f"{params_file} is valid, but plug-in section(s) would be skipped (see above)"])
    click.echo(f"ok: {params_file} is valid; sections with data: {', '.join(buildable) or 'none'}")


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@_guard
def new(path, force):
    """Write a commented YAML skeleton for a new campaign."""
    if path.exists() and not force:
        raise RetroError(f"{path}: already exists (use --force to overwrite)")
    text = resources.files("retro").joinpath("skeleton.yaml").read_text(encoding="utf-8")
    campaign_id = "".join(c if c.isalnum() else "_" for c in path.stem.lower()).strip("_") or "my_campaign"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace("my_campaign", campaign_id), encoding="utf-8")
    click.echo(f"wrote {path}; edit it, then: retro check {path}")


def lab_command(
    params_file: Path, port: int | None = None, jupyter_args: tuple[str, ...] = (), root: bool | None = None
) -> tuple[list[str], dict]:
    """The JupyterLab command and environment that open the notebooks on one campaign.

    Jupyter's own options (``--no-browser``, ``--ip``, ``--port`` …) pass through; as root, where Jupyter
    refuses to start without it, ``--allow-root`` is added.
    """
    from .paths import LAB_PARAMS_ENV, PROJECT_ROOT

    argv = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={PROJECT_ROOT / 'notebooks'}"]
    if port:
        argv.append(f"--port={port}")
    argv += list(jupyter_args)
    root = (hasattr(os, "geteuid") and os.geteuid() == 0) if root is None else root
    if root and "--allow-root" not in jupyter_args:
        argv.append("--allow-root")
    return argv, {**os.environ, LAB_PARAMS_ENV: str(params_file.resolve())}


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("params_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--port", type=click.IntRange(1, 65535), help="Port for JupyterLab (default: its own).")
@click.argument("jupyter_args", nargs=-1, type=click.UNPROCESSED)
@_guard
def lab(params_file, port, jupyter_args):
    """Open JupyterLab with the section notebooks set to this campaign (their parameters cell left at None).

    Any other option goes to JupyterLab as given: retro lab x.yaml --no-browser --ip=0.0.0.0
    """
    from .params import load_params

    params = load_params(params_file)  # a bad YAML is reported here, not in every notebook
    argv, env = lab_command(params_file, port, tuple(jupyter_args))
    click.echo(f"JupyterLab on {params.campaign.name} ({params_file}); notebooks read it while params_file is None")
    os.execvpe(argv[0], argv, env)


@main.command()
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--paper", type=click.Choice(["a4", "letter"], case_sensitive=False), default="a4", show_default=True)
@_guard
def pdf(target, paper):
    """Print a built report to PDF (TARGET: the campaign YAML or its run folder), A4 unless --paper letter."""
    from .params import load_params
    from .progress import Progress
    from .report import print_pdf
    from .rundir import RunDir, default_run_dir

    run_dir = default_run_dir(load_params(target)) if target.suffix in (".yaml", ".yml") else target
    with Progress(_echo).stage(
        "pdf: printing report.html with Chromium", summary=lambda st: f"pdf: printed in {st.seconds:.1f}s"
    ):
        out = print_pdf(RunDir(run_dir).report, paper={"a4": "A4", "letter": "Letter"}[paper.lower()])
    click.echo(f"pdf: {out}")


@main.command()
@click.option("--size", type=click.Choice(["small", "medium", "large"]), default="small", show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--params",
    "params_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Campaign YAML whose calendar the data follows (default: the demo campaign).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default data/demo/<size>-seed<seed>).",
)
@_guard
def demo(size, seed, params_file, out):
    """Generate the deterministic demo data set as Parquet."""
    from .params import load_params
    from .paths import DEMO_PARAMS, PROJECT_ROOT
    from .staging.demo import generate_demo

    params = load_params(params_file or DEMO_PARAMS)
    out = out or PROJECT_ROOT / "data" / "demo" / f"{size}-seed{seed}"
    t0 = time.perf_counter()
    written = generate_demo(params, out, size=size, seed=seed, progress=_echo)
    click.echo(f"wrote {len(written)} tables to {out} in {time.perf_counter() - t0:.1f}s")


def _run_folder(target: Path) -> Path:
    """A run folder given as itself or as the campaign YAML whose default run folder it is."""
    if target.suffix not in (".yaml", ".yml"):
        return target
    from .rundir import RunDir, yaml_run_dir

    run_dir, why = yaml_run_dir(target)
    if run_dir is None:
        raise RetroError(f"{target}: {why}")
    if not RunDir(run_dir).has_figures():  # run elsewhere with --output: that folder is the one to name
        raise RetroError(
            f"{target}: no finished run in {shown(run_dir)}; run it (retro run {target}), or name the folder a run "
            "made with --output wrote"
        )
    return run_dir


@main.command()
@click.argument("run_a", type=click.Path(path_type=Path))
@click.argument("run_b", type=click.Path(path_type=Path))
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for index.html (default outputs/compare/<a id>-vs-<b id>).",
)
@_guard
def compare(run_a, run_b, output):
    """Compare two finished runs (RUN_A against RUN_B) from their figures and marts, without raw data."""
    from .comparison_report import build_comparison_report

    page = build_comparison_report(_run_folder(run_a), _run_folder(run_b), output)
    click.echo(f"comparison: {page}")


@main.group(cls=_Commands)
def section():
    """Add report sections of your own (plug-ins in shared/plugins/, no change to the kit)."""


@section.command("new")
@click.argument("title")
@click.option("--name", help="File and page name (lowercase letters and _; default: from the title).")
@click.option("--en", "en_title", help="English title (default: the title).")
@click.option("--zh", "zh_title", help="Chinese title (default: the title).")
@click.option("--requires", help="Comma-separated tables it cannot run without (default: orders).")
@click.option("--force", is_flag=True, help="Overwrite the plug-in's files if they exist.")
@_guard
def section_new(title, name, en_title, zh_title, requires, force):
    """Scaffold a plug-in section: shared/plugins/<name>.py and notebooks/NN_<name>.ipynb (+ .py twin)."""
    from .scaffold import new_section

    made = new_section(title, name=name, en=en_title, zh=zh_title, requires=requires, force=force)
    click.echo(f"wrote {made.module}: its declaration, an example mart and table (your computations go here)")
    click.echo(f"wrote {made.notebook} and {made.twin.name}: the narrative, one call per cell")
    click.echo(f"next: retro run params/demo_double11.yaml --only {made.name}, then open {made.notebook} in JupyterLab")


@main.command()
@click.argument("params_files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for index.html (default outputs/rollup/<year>).",
)
@click.option("--year", type=click.IntRange(2000, 2100), help="Campaigns starting that year (default: the latest).")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Page language (default: the first campaign's).")
@click.option("--no-run", is_flag=True, help="Do not run campaigns that have not been run; show them as n/a.")
@_guard
def rollup(params_files, output, year, lang, no_run):
    """One page with every campaign of a year: GMV, attainment, ROI, new customers, CAC, retention.

    Name each campaign by its YAML or by a run folder (one made with --output): PARAMS_FILES… may mix them.
    """
    from .rollup import build_rollup

    page, failed = build_rollup(list(params_files), output=output, year=year, lang=lang, run=not no_run, echo=_echo)
    click.echo(f"rollup: {page}")
    if failed:  # the page shows the others; the command says it is not the whole year
        _fail(failed, 1)


if __name__ == "__main__":
    main()
