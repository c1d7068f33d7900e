"""Benchmark of a full campaign run against the SQL floor and the alternatives (issue 18). Prints; asserts nothing.

For each size: the SQL floor (``bench/floor.sql``: every mart the report reads, in one hand-written DuckDB
script on the same Parquet files, no kit code), one section's kernel start with the kit imported, the kit's cold
full run, a warm re-run with nothing changed, a re-run after editing one notebook, peak resident memory and the
bytes spilled to disk; then, on the same data, (a) the same notebooks run one after another with the papermill
CLI and exported one by one with the jupyter nbconvert CLI, and (b) no kit, same figures: one notebook per
section computing the same marts with pandas from the raw tables and drawing the same charts
(``bench/nokit/``). Then the ratios, and each target of issue 18 met or not. ``--spark`` adds the marts' build
on Spark (local[2]) next to DuckDB's.
Usage: ``python bench/bench.py --size medium [--size large] [--skip-baselines] [--spark]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORK = ROOT / "bench" / "data"
SPILL_GLOB = "retro-spill-*"  # the kit's DuckDB spill folders (retro.marts.build.SPILL_PREFIX)
FLOOR_SPILL_GLOB = "floor-spill-*"  # the SQL floor's (bench/floor.py)


def _module(path: Path):
    """A module of bench/ by path (bench/ is no package)."""
    spec = spec_from_file_location(path.stem, path)
    mod = module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, int, int]:
    """Run a command; return (seconds, exit code, peak RSS in bytes of it and the children it waited for)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"  ! {' '.join(cmd[:4])}… exited {code}: {proc.stderr.read().decode()[-800:]}", file=sys.stderr)
    return seconds, code, usage.ru_maxrss * 1024


def ensure_data(size: str) -> Path:
    """The demo data set of a size, generated once under bench/data/."""
    out = WORK / size
    if not (out / "_demo.json").is_file():
        print(f"generating {size} demo data …", flush=True)
        secs, code, rss = timed([str(BIN / "retro"), "demo", "--size", size, "--out", str(out)])
        print(f"  generated in {secs:.0f}s (peak {rss / 2**30:.1f} GiB)")
        if code:
            sys.exit(code)
    return out


def campaign_yaml(data: Path, size: str) -> Path:
    """A copy of the demo campaign pointing at the benchmark's data folder."""
    doc = yaml.safe_load((ROOT / "params" / "demo_double11.yaml").read_text(encoding="utf-8"))
    doc["campaign"]["id"] = f"bench_{size}"
    doc.pop("compare", None)  # one campaign's own work: last year's run is another campaign's
    tables = json.loads((data / "_demo.json").read_text())["rows"]
    doc["data"] = {"tables": {t: {"path": str(data / t / "*.parquet")} for t in tables}}
    path = WORK / f"bench_{size}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@contextmanager
def spill_watch(every: float = 0.5, pattern: str = SPILL_GLOB):
    """Peak bytes in the spill folders (the kit's by default) while the block runs (sampled; a dict filled on exit)."""
    folder = Path(tempfile.gettempdir())
    out = {"peak": 0}
    done = threading.Event()

    def sample():
        while not done.wait(every):
            size = 0
            for spill in folder.glob(pattern):
                for f in spill.rglob("*"):
                    try:
                        size += f.stat().st_blocks * 512  # on disk: DuckDB's temporary files are sparse
                    except OSError:  # removed meanwhile
                        pass
            out["peak"] = max(out["peak"], size)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield out
    finally:
        done.set()
        thread.join()


def sql_floor(params: Path) -> tuple[float, int]:
    """Seconds of the hand-written SQL script computing every mart the report reads (bench/floor.sql), and
    the most bytes it spilled at once (the same memory limit as the kit's)."""
    floor = _module(ROOT / "bench" / "floor.py")
    with spill_watch(pattern=FLOOR_SPILL_GLOB) as spill:
        seconds, _ = floor.run(params, fetch=False)
    return seconds, spill["peak"]


def floor_scan(data: Path) -> float:
    """One engine scan of every column of every input table (issue 4's floor, printed for reference)."""
    import duckdb

    con = duckdb.connect()
    t0 = time.perf_counter()
    for table in sorted(p.name for p in data.iterdir() if p.is_dir()):
        cols = [
            r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{data / table}/*.parquet')").fetchall()
        ]
        exprs = ", ".join(f'count("{c}")' for c in cols)
        con.execute(f"SELECT {exprs} FROM read_parquet('{data / table}/*.parquet')").fetchall()
    return time.perf_counter() - t0


def section_start() -> float:
    """Seconds a section pays before its first figure: start a kernel, import the kit, shut it down (mean of 3)."""
    from jupyter_client.manager import start_new_kernel

    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        km, kc = start_new_kernel(kernel_name="python3", extra_arguments=["--IPKernelApp.log_level=ERROR"])
        kc.execute_interactive("import retro, retro.charts, retro.sections.sales", timeout=120)
        times.append(time.perf_counter() - t0)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return sum(times) / len(times)


def kit_runs(params: Path, size: str) -> dict:
    """Cold, warm and one-notebook-edited runs of the kit."""
    run_dir = WORK / "runs" / size
    shutil.rmtree(run_dir, ignore_errors=True)
    cmd = [str(BIN / "retro"), "run", str(params), "--output", str(run_dir)]
    out = {}
    with spill_watch() as spill:
        out["cold"], _, out["cold_rss"] = timed(cmd)
    out["cold_spill"] = spill["peak"]
    out["warm"], _, _ = timed(cmd)
    # edit one notebook in a copy of the notebook folder, then re-run through the library
    nb_dir = WORK / "notebooks-edited"
    shutil.rmtree(nb_dir, ignore_errors=True)
    shutil.copytree(ROOT / "notebooks", nb_dir)
    nb = json.loads((nb_dir / "01_sales.ipynb").read_text(encoding="utf-8"))
    nb["cells"].append({"id": "bench-edit", "cell_type": "markdown", "metadata": {}, "source": "edited"})
    (nb_dir / "01_sales.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    code = (
        "from pathlib import Path; from retro.run import run_campaign; "
        f"run_campaign({str(params)!r}, run_dir=Path({str(run_dir)!r}), echo=lambda s: None, "
        f"notebook_dir=Path({str(nb_dir)!r}))"
    )
    out["one_notebook"], _, _ = timed([sys.executable, "-c", code])  # the cache keys on content, not path
    return out


def report_weight(report: Path) -> None:
    """Each page's bytes against the report's budget: 1.5 MB a page, 6 MB for the one-file report.html."""
    pages = sorted(report.glob("*.html"))
    if not pages:
        print("  ! no report pages to weigh", file=sys.stderr)
        return
    heaviest = max((p for p in pages if p.name != "report.html"), key=lambda p: p.stat().st_size)
    single = report / "report.html"
    mb = lambda p: p.stat().st_size / 1e6  # noqa: E731
    print(
        f"page weight: heaviest page {heaviest.name} {mb(heaviest):.2f} MB (budget 1.5 MB: "
        f"{'met' if mb(heaviest) <= 1.5 else 'not met'}), report.html {mb(single):.2f} MB (budget 6 MB: "
        f"{'met' if mb(single) <= 6 else 'not met'})"
    )
    print("  " + ", ".join(f"{p.name} {mb(p):.2f}" for p in pages))


def baseline_cli(params: Path, size: str) -> float:
    """(a) papermill CLI per notebook, one after another, then jupyter nbconvert CLI per notebook."""
    run_dir = WORK / "runs" / f"{size}-cli"
    shutil.rmtree(run_dir, ignore_errors=True)
    (run_dir / "nb").mkdir(parents=True)
    total = 0.0
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        out = run_dir / "nb" / nb.name
        secs, _, _ = timed(
            [
                str(BIN / "papermill"),
                str(nb),
                str(out),
                "-p",
                "params_file",
                str(params),
                "-p",
                "run_dir",
                str(run_dir),
                "--cwd",
                str(ROOT / "notebooks"),
                "--no-progress-bar",
            ]
        )
        total += secs
    for nb in sorted((run_dir / "nb").glob("*.ipynb")):
        secs, _, _ = timed([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)])
        total += secs
    return total


def baseline_no_kit(params: Path, size: str) -> tuple[float, int]:
    """(b) no kit, same figures: per section, pandas computes the marts from the raw tables and draws the charts."""
    nokit = _module(ROOT / "bench" / "nokit" / "run.py")
    run_dir = WORK / "runs" / f"{size}-nokit"
    shutil.rmtree(run_dir, ignore_errors=True)
    return nokit.run_nokit(params, run_dir)


def marts_on_engine(params: Path, size: str, engine: dict) -> float:
    """Seconds to build every mart (reading and checking the data included) on an engine, in a fresh process."""
    doc = yaml.safe_load(params.read_text(encoding="utf-8"))
    doc["engine"] = engine
    path = WORK / f"bench_{size}_{engine['kind']}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    run_dir = WORK / "runs" / f"{size}-marts-{engine['kind']}"
    shutil.rmtree(run_dir, ignore_errors=True)
    code = (
        "from pathlib import Path; from retro.params import load_params; from retro.marts.build import build_marts; "
        f"build_marts(load_params({str(path)!r}), Path({str(run_dir)!r}))"
    )
    secs, _, _ = timed([sys.executable, "-c", code])
    return secs


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", action="append", choices=["small", "medium", "large"])
    ap.add_argument("--skip-baselines", action="store_true")
    ap.add_argument("--skip-nokit", action="store_true", help="run (a) but not (b), the slowest baseline")
    ap.add_argument("--spark", action="store_true", help="also time the marts on Spark (local[2]) against DuckDB")
    args = ap.parse_args()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    cores = os.cpu_count() or 1
    print(f"machine: {cpu}, {cores} cores, {memory:.0f} GiB, Python {platform.python_version()}, {time.ctime()}")
    gib = 2**30
    for size in args.size or ["medium"]:
        data = ensure_data(size)
        params = campaign_yaml(data, size)
        rows = json.loads((data / "_demo.json").read_text())["rows"]
        print(f"\n== {size}: {rows['events']:,} events, {rows['orders']:,} orders ==")
        print(f"one scan of every input column (issue 4's floor, for reference): {floor_scan(data):.1f}s")
        floor, floor_spill = sql_floor(params)
        print(
            f"SQL floor (bench/floor.sql: every mart the report reads, hand-written DuckDB): {floor:.1f}s "
            f"(spilled {floor_spill / 1e9:.1f} GB at most)"
        )
        start = section_start()
        sections = len(list((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
        print(f"one section's kernel start and kit import: {start:.1f}s")
        kit = kit_runs(params, size)
        cold = kit["cold"]
        print(
            f"kit cold full run: {cold:.1f}s (peak RSS {kit['cold_rss'] / gib:.2f} GiB, "
            f"spilled {kit['cold_spill'] / 1e9:.1f} GB at most)"
        )
        print(f"kit warm re-run, no change: {kit['warm']:.1f}s")
        print(f"kit re-run after editing one notebook: {kit['one_notebook']:.1f}s")
        report_weight(WORK / "runs" / size / "report")
        target = 1.5 * (floor + start * sections / cores)
        print("targets (issue 18):")
        print(
            f"  cold <= 1.5 x (SQL floor + {sections} kernel starts / {cores} cores) = {target:.1f}s: "
            f"{verdict(cold <= target)} ({cold / target:.2f} x the target; {cold / floor:.1f} x the SQL floor)"
        )
        print(f"  warm re-run <= 1.5s: {verdict(kit['warm'] <= 1.5)} ({kit['warm']:.1f}s)")
        edit = kit["one_notebook"]
        print(f"  re-run after editing one notebook <= 6s: {verdict(edit <= 6)} ({edit:.1f}s)")
        if size == "large":
            print(f"  cold <= 8 min: {verdict(cold <= 480)} ({cold / 60:.1f} min)")
            print(f"  peak RSS <= 6 GiB: {verdict(kit['cold_rss'] <= 6 * gib)} ({kit['cold_rss'] / gib:.2f} GiB)")
            print(f"  spilled <= 10 GB: {verdict(kit['cold_spill'] <= 10e9)} ({kit['cold_spill'] / 1e9:.1f} GB)")
        if not args.skip_baselines:
            cli = baseline_cli(params, size)
            print(f"(a) papermill CLI + nbconvert CLI, one by one: {cli:.1f}s")
            print(f"  kit >= 2 x faster than (a): {verdict(cli >= 2 * cold)} ({cli / cold:.2f} x)")
        if not args.skip_baselines and not args.skip_nokit:
            nokit, nokit_rss = baseline_no_kit(params, size)
            print(f"(b) no kit, same figures in pandas: {nokit:.1f}s (peak RSS {nokit_rss / gib:.2f} GiB)")
            print(f"  kit >= 5 x faster than (b): {verdict(nokit >= 5 * cold)} ({nokit / cold:.2f} x)")
        if args.spark:  # the cost of engine.kind: spark on one machine (a cluster spreads the same work)
            duck = marts_on_engine(params, size, {"kind": "duckdb"})
            spark = marts_on_engine(params, size, {"kind": "spark", "master": "local[2]"})
            print(f"marts only (read, check, build every mart), DuckDB: {duck:.1f}s")
            print(f"marts only, Spark local[2] (JVM start included): {spark:.1f}s  -> {spark / duck:.1f}x DuckDB")


if __name__ == "__main__":
    main()
