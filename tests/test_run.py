"""retro.run: which sections a run executes, on a tiny campaign with the notebook execution stubbed out."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from retro import run
from retro.sections import SECTIONS
from test_marts_traffic import EVENTS, ORDERS


def test_a_notebook_saved_while_it_runs_runs_again(tiny, tmp_path, monkeypatch):
    """The fingerprint kept after an execution is of the notebook as it started, not of an edit saved meanwhile."""
    camp = tiny({"events": EVENTS, "orders": ORDERS}, {"sections": ["traffic", "summary"]})
    notebooks = tmp_path / "notebooks"
    shutil.copytree(run.NOTEBOOK_DIR, notebooks)
    executed, edits = [], []

    def execute(name, params_file, run_dir, notebook_dir, stop=None, pool=None):
        executed.append(name)
        out = run_dir / "notebooks" / SECTIONS[name].notebook
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook_dir / SECTIONS[name].notebook, out)
        if name == "traffic" and not edits:  # the analyst saves an edit during the first run
            edits.append(name)
            path = notebook_dir / SECTIONS[name].notebook
            nb = json.loads(path.read_text(encoding="utf-8"))
            nb["cells"].append({"id": "edit", "cell_type": "markdown", "metadata": {}, "source": "edited"})
            path.write_text(json.dumps(nb), encoding="utf-8")
        return run.SectionStatus(name, "done")

    monkeypatch.setattr(run, "execute_section", execute)

    def run_once() -> list[str]:
        executed.clear()
        run.run_campaign(camp.params_file, run_dir=camp.run_dir, notebook_dir=notebooks, echo=lambda s: None)
        return sorted(executed)

    assert run_once() == ["summary", "traffic"]
    assert run_once() == ["traffic"]  # the saved edit had not been executed
    assert run_once() == []


def test_a_failure_reason_names_no_machine_path(tmp_path):
    run_dir = tmp_path / "out" / "run"
    exc = FileNotFoundError(f"{run_dir}/marts/x.parquet, {run.PROJECT_ROOT}/notebooks/a.ipynb and /srv/data/b.csv")
    reason = run.failure_reason(exc, run_dir)
    assert reason == "FileNotFoundError: marts/x.parquet, notebooks/a.ipynb and b.csv"
    assert run._scrub("see https://example.com/a/b and ./data/c.csv") == "see https://example.com/a/b and ./data/c.csv"


def test_a_kernels_write_refused_by_the_machine_stops_the_run():
    class Failed(Exception):
        ename, evalue = "OSError", "[Errno 28] No space left on device: '/x/run/figures/sales.json'"

    refused = run.refused_write(Failed())
    assert refused.errno == 28 and refused.filename == "/x/run/figures/sales.json"
    assert run.refused_write(ValueError("[Errno 2] nope")) is None


def test_a_compared_campaign_never_run_is_run_first(tmp_path):
    """compare: params: naming a campaign with no run folder yet: the run runs it first (once, no cycle)."""
    import yaml as _yaml
    from retro.params import load_params
    from retro.run import never_run_comparisons

    base = _yaml.safe_load((Path(__file__).parents[1] / "params" / "demo_double11_2025.yaml").read_text("utf-8"))
    other = {**base, "campaign": {**base["campaign"], "id": "never_run_in_any_test"}}
    (tmp_path / "last.yaml").write_text(_yaml.safe_dump(other, allow_unicode=True), encoding="utf-8")
    this = {**base, "compare": [{"params": "last.yaml"}, {"params": "demo_double11_2025.yaml"}]}
    (tmp_path / "this.yaml").write_text(_yaml.safe_dump(this, allow_unicode=True), encoding="utf-8")
    params = load_params(tmp_path / "this.yaml")
    last = (tmp_path / "last.yaml").resolve()
    assert never_run_comparisons(params, frozenset()) == [last]  # the missing second file is check's to report
    assert never_run_comparisons(params, frozenset({last})) == []  # already being run: no cycle


def test_a_run_imports_notebook_validation_without_the_iri_grammars(tmp_path):
    """jsonschema's IRI checker compiles 38 grammars on import (a second of every run); notebooks still validate."""
    code = (
        "import sys; from retro.run import skip_iri_checker; skip_iri_checker(); "
        "import papermill, nbformat; "
        "nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])); "
        "print('rfc3987_syntax' in sys.modules, 'jsonschema' in sys.modules); "
        "import rfc3987_syntax; print(rfc3987_syntax.is_valid_syntax('iri', 'https://例子.cn/'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True", "True"]  # left out, validation works, and the package is still importable


def test_a_section_sure_to_run_starts_its_kernel_before_the_data_checks(tiny, tmp_path, monkeypatch):
    """An edited notebook (or --force) runs its section whatever the data: its kernel starts at once. A run
    with nothing edited starts none before the checks (it may run no section at all), nor does a first run,
    whose run folder the checks may yet refuse to create."""
    import retro.marts.build

    camp = tiny({"events": EVENTS, "orders": ORDERS}, {"sections": ["traffic", "summary"]})
    notebooks = tmp_path / "notebooks"
    shutil.copytree(run.NOTEBOOK_DIR, notebooks)
    events: list[str] = []

    def execute(name, params_file, run_dir, notebook_dir, stop=None, pool=None):
        out = run_dir / "notebooks" / SECTIONS[name].notebook
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook_dir / SECTIONS[name].notebook, out)
        return run.SectionStatus(name, "done")

    build = retro.marts.build.build_marts

    def checked_and_built(*args, **kwargs):
        events.append("checks")
        return build(*args, **kwargs)

    monkeypatch.setattr(run, "execute_section", execute)
    monkeypatch.setattr(run.KernelPool, "start", lambda self, parallel=1: events.append("kernel"))
    monkeypatch.setattr(retro.marts.build, "build_marts", checked_and_built)

    def first_event(force=False) -> str:
        events.clear()
        run.run_campaign(
            camp.params_file, run_dir=camp.run_dir, notebook_dir=notebooks, echo=lambda s: None, force=force
        )
        return events[0]

    assert first_event() == "checks"  # a first run
    assert first_event() == "checks"  # nothing edited
    path = notebooks / SECTIONS["traffic"].notebook
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"].append({"id": "edit", "cell_type": "markdown", "metadata": {}, "source": "edited"})
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert first_event() == "kernel"  # the edited notebook
    assert first_event() == "checks"  # executed: nothing edited since
    assert first_event(force=True) == "kernel"


def test_a_failed_section_keeps_no_notebook_of_an_earlier_run(tmp_path, monkeypatch):
    """papermill writes the executed notebook once, at its end: a cell's error is written into it, but a kernel
    that dies writes nothing, and the notebook of an earlier, successful run must not stand in for this one."""
    import papermill
    from retro.rundir import RunDir

    run_dir = tmp_path / "run"
    nb = RunDir(run_dir).notebooks / SECTIONS["sales"].notebook
    nb.parent.mkdir(parents=True)

    def cell_error(input_path, output_path, **kwargs):
        Path(output_path).write_text("this run's notebook, with its error", encoding="utf-8")
        raise RuntimeError("a cell raised")

    def kernel_died(input_path, output_path, **kwargs):
        raise RuntimeError("Kernel died before replying to kernel_info")

    for execute, left in [(cell_error, "this run's notebook, with its error"), (kernel_died, None)]:
        nb.write_text("an earlier run's notebook", encoding="utf-8")
        monkeypatch.setattr(papermill, "execute_notebook", execute)
        st = run.execute_section("sales", tmp_path / "campaign.yaml", run_dir)
        assert st.status == "failed"
        assert (nb.read_text(encoding="utf-8") if nb.exists() else None) == left
