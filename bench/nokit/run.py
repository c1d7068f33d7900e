"""Run baseline (b), "no kit, same figures": one notebook per section, executed and exported one by one.

Each section's notebook imports the pandas port (``marts.py`` beside this file), loads the campaign YAML
with plain ``yaml.safe_load``, computes the section's marts from the raw Parquet tables, draws its charts and
writes the marts to Parquet; it is executed with the papermill CLI and exported with ``jupyter nbconvert
--to html --no-input``, one process after another, as an analyst without the kit would. ``run_nokit``
times all of it for ``bench/bench.py``.

Usage: ``python bench/nokit/run.py <campaign.yaml> --out <folder>``.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = Path(sys.executable).parent
SECTIONS = ("goals", "sales", "traffic", "funnel", "users", "marketing", "fulfilment", "service")


def table_folders(params_file: Path, out_dir: Path) -> Path:
    """A folder with one sub-folder per table of the YAML, linking the files its ``path`` (glob) names.

    The port reads ``<folder>/<table>``; a YAML path may be a folder or a glob, relative to the YAML's folder.
    A YAML with ``data.demo`` (no tables) reads the generated demo folder, as the kit does.
    """
    doc = yaml.safe_load(Path(params_file).read_text(encoding="utf-8"))
    data = doc.get("data") or {}
    tables = data.get("tables") or {}
    if not tables and data.get("demo"):
        demo = data["demo"]
        edition = "" if demo.get("edition", "this_year") == "this_year" else f"-{demo['edition']}"
        folder = ROOT / "data" / "demo" / f"{demo.get('size', 'small')}-seed{demo.get('seed', 42)}{edition}"
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: generate the demo data first (retro demo)")
        return folder
    out = Path(out_dir) / "tables"
    for name, src in tables.items():
        paths = src["path"] if isinstance(src["path"], list) else [src["path"]]
        target = out / name
        shutil.rmtree(target, ignore_errors=True)  # links of an earlier run (only links live here)
        target.mkdir(parents=True)
        n = 0  # links are numbered: two patterns may match files of the same name
        for pattern in paths:
            p = Path(pattern).expanduser()
            p = p if p.is_absolute() else Path(params_file).resolve().parent / p
            files = sorted(p.rglob("*.parquet")) if p.is_dir() else sorted(Path(f) for f in glob.glob(str(p)))
            if not files:
                raise FileNotFoundError(f"data.tables.{name}.path: no file matches {pattern!r}")
            for f in files:
                (target / f"{n:05d}-{f.name}").symlink_to(f.resolve())
                n += 1
    return out


def section_notebook(section: str, params_file: Path, tables_dir: Path, out_dir: Path) -> nbformat.NotebookNode:
    """The notebook an analyst would keep for one section: load, aggregate, chart, show, save."""
    marts_dir = out_dir / "marts"
    figures_dir = out_dir / "figures"
    cells = [
        nbformat.v4.new_markdown_cell(f"# {section.title()} (no kit)"),
        nbformat.v4.new_code_cell(
            f"params_file = {str(params_file)!r}\n"
            f"tables_dir = {str(tables_dir)!r}\n"
            f"marts_dir = {str(marts_dir)!r}\n"
            f"figures_dir = {str(figures_dir)!r}",
            metadata={"tags": ["parameters"]},
        ),
        nbformat.v4.new_code_cell(
            "import sys\nfrom pathlib import Path\n\nimport pandas as pd\nimport yaml\n"
            "from IPython.display import Image, display\n\n"
            f"sys.path.insert(0, {str(HERE)!r})\nimport marts as nokit"
        ),
        nbformat.v4.new_code_cell("params = yaml.safe_load(Path(params_file).read_text(encoding='utf-8'))"),
        nbformat.v4.new_code_cell(f"marts = nokit.{section}(Path(tables_dir), params)\nsorted(marts)"),
        nbformat.v4.new_code_cell(
            f"for path in nokit.charts({section!r}, marts, Path(figures_dir), params):\n"
            "    display(Image(filename=path))"
        ),
        nbformat.v4.new_code_cell(
            "for name, df in marts.items():\n    display(pd.DataFrame(df).head(20).style.set_caption(name))"
        ),
        nbformat.v4.new_code_cell(
            "Path(marts_dir).mkdir(parents=True, exist_ok=True)\n"
            "for name, df in marts.items():\n    df.to_parquet(Path(marts_dir) / f'{name}.parquet', index=False)"
        ),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _timed(cmd: list[str], log: Path) -> tuple[float, int]:
    """Run a command (stderr to ``log``); (seconds, peak RSS in bytes of it and the children it waited for)."""
    t0 = time.perf_counter()
    with open(log, "ab") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(cmd[:3])} … exited {code}:\n{tail}")
    return seconds, usage.ru_maxrss * 1024


def run_nokit(params_file: Path, out_dir: Path) -> tuple[float, int]:
    """Execute and export every section's notebook in turn; (total seconds, peak RSS of the largest child).

    Writes ``out_dir/notebooks/NN_<section>.ipynb`` (executed), ``.html`` beside them, ``marts/*.parquet``
    and ``figures/*.png``. Raises RuntimeError when a step fails: a failed run has no time worth reporting.
    """
    params_file, out_dir = Path(params_file).resolve(), Path(out_dir).resolve()
    nb_dir = out_dir / "notebooks"
    nb_dir.mkdir(parents=True, exist_ok=True)
    tables_dir = table_folders(params_file, out_dir)
    log = out_dir / "nokit.log"
    total, peak = 0.0, 0
    for i, section in enumerate(SECTIONS):
        source = nb_dir / f"{i:02d}_{section}.source.ipynb"
        executed = nb_dir / f"{i:02d}_{section}.ipynb"
        nbformat.write(section_notebook(section, params_file, tables_dir, out_dir), source)
        secs, rss = _timed([str(BIN / "papermill"), str(source), str(executed), "--no-progress-bar"], log)
        total, peak = total + secs, max(peak, rss)
        secs, rss = _timed([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)], log)
        total, peak = total + secs, max(peak, rss)
    return total, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("params_file", type=Path, help="the campaign YAML")
    ap.add_argument("--out", type=Path, required=True, help="folder for the notebooks, pages, marts and figures")
    args = ap.parse_args()
    seconds, rss = run_nokit(args.params_file, args.out)
    print(f"no kit: {len(SECTIONS)} sections in {seconds:.1f}s (peak RSS {rss / 2**30:.2f} GiB)")


if __name__ == "__main__":
    main()
