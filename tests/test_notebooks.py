"""The committed notebooks: clean, parameterised, one per section, narrating rather than computing."""

import ast
import json

import pytest
from retro.paths import PROJECT_ROOT, twin_of
from retro.sections import SECTIONS

NOTEBOOKS = PROJECT_ROOT / "notebooks"


@pytest.mark.parametrize("name", list(SECTIONS))
def test_notebook_is_clean_and_parameterised(name):
    path = NOTEBOOKS / SECTIONS[name].notebook
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"  # papermill needs it
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and not c.get("execution_count") for c in code), "commit notebooks without outputs"
    params = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1
    assert "params_file" in "".join(params[0]["source"]) and "run_dir" in "".join(params[0]["source"])
    assert any(f'open_section("{name}"' in "".join(c["source"]) for c in code)
    for cell in code:
        tree = ast.parse("".join(cell["source"]))
        for node in ast.walk(tree):
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.With)), (
                f"{path.name}: notebooks call the helper package; logic belongs in shared/retro"
            )


@pytest.mark.parametrize("name", list(SECTIONS))
def test_every_heading_exists_in_both_languages(name):
    nb = json.loads((NOTEBOOKS / SECTIONS[name].notebook).read_text(encoding="utf-8"))
    tagged = [c.get("metadata", {}).get("tags", []) for c in nb["cells"] if c["cell_type"] == "markdown"]
    en = sum("en" in t for t in tagged)
    zh = sum("zh" in t for t in tagged)
    assert en == zh and en >= 2
    assert all(("en" in t) != ("zh" in t) for t in tagged), "each markdown cell is tagged en or zh"


@pytest.mark.e2e
def test_notebook_runs_as_committed_like_run_all_in_jupyterlab(tmp_path):
    """No parameters injected: the defaults point at the demo campaign, which is generated if missing."""
    import papermill as pm

    out = tmp_path / "01_sales.ipynb"
    pm.execute_notebook(
        str(NOTEBOOKS / "01_sales.ipynb"),
        str(out),
        cwd=str(NOTEBOOKS),
        kernel_name="python3",
        progress_bar=False,
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    nb = json.loads(out.read_text(encoding="utf-8"))
    shown = "".join(
        o.get("data", {}).get("text/html", "")
        if isinstance(o.get("data", {}).get("text/html"), str)
        else "".join(o.get("data", {}).get("text/html", []))
        for c in nb["cells"]
        for o in c.get("outputs", [])
    )
    assert "retro-table" in shown and "retro-chart" in shown
    assert (PROJECT_ROOT / "outputs" / "demo_double11" / "figures" / "sales.json").is_file()


def test_the_notebook_folder_lists_one_file_per_section():
    """JupyterLab's file browser shows the notebooks; their twins are in py/, not beside them."""
    files = sorted(p.name for p in (PROJECT_ROOT / "notebooks").iterdir() if not p.name.startswith("."))
    assert files == sorted(s.notebook for s in SECTIONS.values() if s.plugin is None) + ["py"]


@pytest.mark.parametrize("name", list(SECTIONS))
def test_notebook_and_its_py_twin_are_in_sync(name):
    """The .py twin (jupytext percent format) holds the same cells, so reviews of either are reviews of both."""
    import jupytext

    ipynb = NOTEBOOKS / SECTIONS[name].notebook
    twin = twin_of(ipynb)
    assert twin.is_file(), f"{twin.name} missing: run `jupytext --sync {ipynb.relative_to(PROJECT_ROOT)}`"

    def cells(nb):
        return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in nb.cells]

    assert cells(jupytext.read(twin)) == cells(jupytext.read(ipynb)), (
        f"{ipynb.name} and {twin.name} differ: run `jupytext --sync {ipynb.relative_to(PROJECT_ROOT)}`"
    )
