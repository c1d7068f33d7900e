"""Faults during a real `retro run`: killed (kill -9) at each stage, interrupted (Ctrl-C), a full disk, a read-only
folder, two runs at once. After each: the previous report is byte-identical or the next run's report equals a
clean run's, the exit code and its one line are the documented ones, never "internal error", and nothing is left
behind (temporary files in the run folder, kernels and their connection files).

Runs are subprocesses stopped at a known point by the test-only hook ``RETRO_FAULT=<stage>`` (``retro.rundir.
fault_point``). The campaign is the bad-input corpus's valid base (small CSVs) with four sections, so a run takes
about ten seconds on two cores.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from pg_server import pg_server  # noqa: F401  (the fixture)
from retro.paths import PROJECT_ROOT
from retro.registry import SECTIONS
from retro.report import page_text
from retro.rundir import RunDir
from test_corpus import ORDERS, write_base

SECTION_NAMES = ["sales", "traffic", "summary", "quality"]
CAMPAIGN = {
    "campaign": {"id": "faults", "name": "Faults campaign", "language": "en", "currency": "CNY"},
    "phases": [
        {"name": "warmup", "start": "2026-11-04", "end": "2026-11-10"},
        {"name": "burst", "start": "2026-11-11", "end": "2026-11-13"},
        {"name": "tail", "start": "2026-11-14", "end": "2026-11-18"},
    ],
    "baseline": {"start": "2026-10-14", "end": "2026-10-27"},
    "targets": {"gmv": 2000},
    "sections": SECTION_NAMES,
    "data": {"tables": {t: {"path": f"data/{t}.csv"} for t in ("orders", "order_items", "products", "events")}},
    "settings": {"top_n": 3},
}


def write_campaign(root: Path, **changes) -> Path:
    write_base(root)
    path = root / "campaign.yaml"
    path.write_text(yaml.safe_dump({**CAMPAIGN, **changes}, sort_keys=False), encoding="utf-8")
    return path


def retro_run(params: Path, out: Path, *extra, fault: str | None = None, new_session=False, wait=True):
    """``retro run`` as a subprocess (``fault``: the RETRO_FAULT stage); the finished process, or the running one."""
    env = {k: v for k, v in os.environ.items() if k != "RETRO_FAULT"}
    if fault:
        env["RETRO_FAULT"] = fault
    cmd = [sys.executable, "-m", "retro.cli", "run", str(params), "--output", str(out), "--jobs", "2", *extra]
    if not wait:
        return subprocess.Popen(cmd, cwd=params.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return subprocess.run(
        cmd, cwd=params.parent, env=env, capture_output=True, text=True, timeout=300, start_new_session=new_session
    )


def content(run: Path) -> dict:
    """What a reader gets from a run: every figure recorded and every page's text (build time and data id cut)."""
    figures = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted((run / "figures").glob("*.json"))}
    pages = {}
    for p in sorted((run / "report").glob("*.html")):
        text = re.sub(r"\s+", " ", page_text(p.read_text(encoding="utf-8")))
        pages[p.name] = re.sub(r"built \d{4}-\d\d-\d\d \d\d:\d\d · (.*) · data \w+", r"\1", text)
    return {"figures": figures, "pages": pages}


def report_bytes(run: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((run / "report").iterdir())}


def assert_nothing_left(run: Path) -> None:
    """No temporary file or half report in the run folder; no kernel, connection file or spill folder of the run."""
    left = [p for p in run.rglob(".*.tmp*")] + list(run.glob(".report-*"))
    assert not left, f"left behind: {left}"
    kernels = RunDir(run).kernels
    assert not kernels.exists(), f"kernel connection files left in {kernels}: {list(kernels.iterdir())}"
    deadline = time.time() + 5  # a kernel orphaned by kill -9 ends within a second (it polls its parent)
    while kernel_processes(kernels) and time.time() < deadline:
        time.sleep(0.2)
    assert not kernel_processes(kernels)


def kernel_processes(folder: Path) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if str(folder).encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            continue
    return found


def assert_one_error(r, pattern: str, code: int = 2) -> None:
    assert "internal error" not in r.stderr and "Traceback" not in r.stdout + r.stderr, r.stderr
    assert r.returncode == code, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert len(r.stderr.splitlines()) == 1 and re.fullmatch(pattern, r.stderr.strip()), r.stderr


def code_now() -> str:
    from retro.freshness import code_version

    return code_version.__wrapped__()  # not the cached value: the kit's files as they are now


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The campaign and a clean run of it: what every faulted run must end equal to."""
    root = tmp_path_factory.mktemp("faults")
    params = write_campaign(root)
    r = retro_run(params, root / "clean")
    assert r.returncode == 0, r.stdout + r.stderr
    return {"params": params, "run": root / "clean", "code": code_now(), "content": content(root / "clean")}


def expected(clean) -> dict:
    """The clean run's report, made again when the kit's code changed since (a developer editing it meanwhile)."""
    if code_now() != clean["code"]:
        clean["code"] = code_now()
        assert retro_run(clean["params"], clean["run"], "--force").returncode == 0
        clean["content"] = content(clean["run"])
    return clean["content"]


def previous(clean, tmp_path) -> Path:
    """A copy of the clean run (mtimes kept: nothing in it is stale), standing for the last good run."""
    run = tmp_path / "run"
    shutil.copytree(clean["run"], run)
    return run


# --- 1. killed (kill -9), then a plain re-run --------------------------------------------------------------
@pytest.mark.parametrize(
    "stage, force",
    [("marts", True), ("notebooks", True), ("notebooks", False), ("export", True)],
    ids=["marts-force", "notebooks-force", "notebooks-first-run", "export-force"],
)
def test_a_killed_run_then_a_plain_rerun_gives_the_clean_report(clean, tmp_path, stage, force):
    params = clean["params"]
    run = previous(clean, tmp_path) if force else tmp_path / "run"
    before = report_bytes(run) if force else {}
    killed = retro_run(params, run, *(["--force"] if force else []), fault=stage)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    if force:  # whatever the stage, the report a reader opens is the previous one, untouched
        assert report_bytes(run) == before
    again = retro_run(params, run)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "internal error" not in again.stderr
    assert content(run) == expected(clean)
    statuses = json.loads((run / "status.json").read_text(encoding="utf-8"))
    assert sorted(statuses) == sorted(SECTION_NAMES) and {s["status"] for s in statuses.values()} == {"done"}
    assert_nothing_left(run)


# --- 2. disk full, read-only ------------------------------------------------------------------------------
def can_mount() -> str:
    """Why the mount tests cannot run here ('' when they can): they need root and a kernel that lets it mount."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        return "needs root to mount a small tmpfs"
    probe = Path("/tmp") / f"retro-mount-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], capture_output=True)
        if done.returncode != 0:
            return f"mount refused: {done.stderr.decode().strip()}"
        subprocess.run(["umount", probe], check=True)
        return ""
    finally:
        probe.rmdir()


@pytest.fixture
def small_disk(tmp_path):
    """A folder on a tmpfs of a given size (resizable); unmounted after the test."""
    why = can_mount()
    if why:
        pytest.skip(why)
    disk = tmp_path / "disk"
    disk.mkdir()

    def mount(size: str, remount=False) -> Path:
        opts = f"remount,size={size}" if remount else f"size={size}"
        subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", disk], check=True)
        return disk

    yield mount
    subprocess.run(["umount", disk], capture_output=True)


@pytest.mark.parametrize("size", ["48k", "400k"], ids=["full-while-marts-build", "full-while-sections-run"])
def test_a_full_disk_is_one_line_and_the_next_run_recovers(clean, small_disk, size):
    params = clean["params"]
    run = small_disk(size) / "run"
    r = retro_run(params, run)
    assert_one_error(r, rf"error: no space left on {re.escape(str(run))}: free some space, or use --output on .*")
    status = run / "status.json"
    if status.exists():  # a record is whole or absent, never empty
        assert isinstance(json.loads(status.read_text(encoding="utf-8")), dict)
    assert_nothing_left(run)
    if size == "48k":
        return  # the next run's recovery is checked from the later point, below
    small_disk("64m", remount=True)
    again = retro_run(params, run)
    assert again.returncode == 0, again.stdout + again.stderr
    assert content(run) == expected(clean)
    assert_nothing_left(run)


def test_a_read_only_run_folder_is_one_line_and_keeps_the_report(clean, tmp_path):
    params = clean["params"]
    run = previous(clean, tmp_path)
    before = report_bytes(run)
    if os.geteuid() == 0:  # root writes through permissions: a read-only bind mount
        why = can_mount()
        if why:
            pytest.skip(why)
        subprocess.run(["mount", "--bind", run, run], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", run, run], check=True)
    else:
        for folder in [run, *[p for p in run.rglob("*") if p.is_dir()]]:
            folder.chmod(0o555)
    try:
        r = retro_run(params, run, "--force")
        assert_one_error(r, rf"error: cannot write to {re.escape(str(run))}\b.*")
        assert report_bytes(run) == before
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", run], check=True)
        else:
            for folder in [run, *[p for p in run.rglob("*") if p.is_dir()]]:
                folder.chmod(0o755)
    assert_nothing_left(run)


def test_input_refused_after_a_kernel_started_early_leaves_the_run_folder_as_it_was(clean, tmp_path):
    """--force starts a kernel before the data's checks (every section will run): when the checks then refuse
    the input, that kernel is stopped and nothing in the run folder is new or changed."""
    run = previous(clean, tmp_path)
    broken = tmp_path / "broken"
    params = write_campaign(broken)
    (broken / "data" / "orders.csv").unlink()

    def files() -> dict:
        return {str(p.relative_to(run)): (p.read_bytes(), p.stat().st_mtime_ns) for p in run.rglob("*") if p.is_file()}

    before = files()
    r = retro_run(params, run, "--force")
    assert r.returncode == 2 and "orders.csv" in r.stderr, r.stdout + r.stderr
    assert files() == before
    assert_nothing_left(run)


# --- 3. two runs at once ----------------------------------------------------------------------------------
def test_a_second_run_of_the_campaign_is_refused_naming_the_first(clean, tmp_path):
    params = clean["params"]
    other = tmp_path / "other"
    other.mkdir()
    shutil.copytree(params.parent / "data", other / "data")
    second_params = write_campaign(other, sections=["goals", "sales", "summary"])  # same campaign, other pages
    run = tmp_path / "run"
    first = retro_run(params, run, wait=False)
    lock_holder = run / "marts"  # written only while the first run holds the lock
    deadline = time.time() + 60
    while not lock_holder.exists() and first.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    second = retro_run(second_params, run)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out.decode() + err.decode()
    assert_one_error(second, rf"error: run: another `retro run` of this campaign is running \(process {first.pid}\).*")
    pages = {SECTIONS[s].page for s in SECTION_NAMES} | {"index.html", "report.html", "report.zip"}
    assert {p.name for p in (run / "report").iterdir()} == pages
    assert content(run) == expected(clean)
    assert_nothing_left(run)


# --- 4. Ctrl-C ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stage", ["marts", "notebooks"])
def test_ctrl_c_stops_at_once_and_keeps_the_previous_report_and_marts(clean, tmp_path, stage):
    params = clean["params"]
    run = previous(clean, tmp_path)
    before = report_bytes(run)
    t0 = time.perf_counter()
    # a new session: the Ctrl-C goes to the run's process group, kernels included, as a terminal sends it
    r = retro_run(params, run, "--force", fault=f"{stage}:INT", new_session=True)
    seconds = time.perf_counter() - t0
    assert r.returncode == 130, r.stdout + r.stderr
    assert r.stderr.splitlines() == ["interrupted: the previous report is kept"]
    started = [line.split()[0] for line in r.stdout.splitlines() if line.endswith(" started")]
    # the two sections start side by side, in either order; the summary and appendix never start
    assert sorted(started) == ([] if stage == "marts" else ["sales", "traffic"])
    assert "FAILED" not in r.stdout and seconds < 30
    assert report_bytes(run) == before
    rd = RunDir(run)
    for name in rd.read_manifest():  # every mart the manifest vouches for is whole
        assert rd.read_mart(name) is not None, name
    assert_nothing_left(run)
    if stage == "notebooks":  # the sections that finished were recorded: the next run goes on from there
        again = retro_run(params, run)
        assert again.returncode == 0, again.stdout + again.stderr
        assert content(run) == expected(clean)


# --- 5, 7. the working folder, machine paths in records and pages ------------------------------------------
def test_a_run_keeps_the_working_folder_and_records_no_machine_path(clean, tmp_path):
    """Sections run side by side without moving this process's working folder; a section failing with paths
    in its message is recorded without them, whatever ``--output`` is."""
    import nbformat
    from retro.run import run_campaign

    params = clean["params"]
    notebooks = tmp_path / "notebooks"
    shutil.copytree(PROJECT_ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    traffic = notebooks / SECTIONS["traffic"].notebook
    nb = nbformat.read(traffic, as_version=4)
    run = tmp_path / "elsewhere" / "run"
    secret = "/srv/finance/q4/secret_budget.xlsx"
    nb.cells.append(
        nbformat.v4.new_code_cell(f"raise FileNotFoundError(f'{{run_dir}}/marts/nope.parquet and {secret}')")
    )
    nbformat.write(nb, traffic)
    cwd = os.getcwd()
    result = run_campaign(params, run_dir=run, jobs=2, notebook_dir=notebooks, echo=lambda line: None)
    assert os.getcwd() == cwd
    assert result.failed == ["traffic"]
    reason = result.statuses["traffic"].reason
    # the message, then where it stopped (the cell's line shown as written, its paths scrubbed as well)
    assert reason.startswith("FileNotFoundError: marts/nope.parquet and secret_budget.xlsx (notebooks/"), reason
    assert "cell [" in reason and "/srv/" not in reason and str(tmp_path) not in reason
    machine = [str(tmp_path), str(PROJECT_ROOT), str(Path.home()), "/tmp/", "/srv/"]
    records = [p for p in run.rglob("*") if p.is_file() and p.suffix in (".json", ".html", ".fingerprint")]
    assert any(p.name == "status.json" for p in records) and any(p.suffix == ".html" for p in records)
    for p in records:
        text = p.read_text(encoding="utf-8")
        assert not [m for m in machine if m in text], (p, [m for m in machine if m in text])
    assert not RunDir(run).kernels.exists()


def test_rollup_goes_on_after_a_campaign_fails_and_exits_non_zero(project, tmp_path):
    root = project / "params"
    ok = write_campaign(root / "ok", campaign={**CAMPAIGN["campaign"], "id": "ok_sale"}, sections=["sales", "summary"])
    later = {"phases": [{"name": "burst", "start": "2026-12-12", "end": "2026-12-12"}], "baseline": None}
    bad = write_campaign(root / "bad", campaign={**CAMPAIGN["campaign"], "id": "bad_sale"}, **later)
    (root / "bad" / "data" / "orders.csv").unlink()
    twin = write_campaign(root / "twin", campaign={**CAMPAIGN["campaign"], "id": "twin_sale"}, **later)
    r = subprocess.run(
        [sys.executable, "-m", "retro.cli", "rollup", *(str(p.relative_to(root)) for p in (ok, bad, twin)), "--no-run"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "warning: bad_sale (campaign.yaml) and twin_sale (campaign.yaml) have the same dates" in r.stdout
    assert r.returncode == 0, r.stderr  # not run, not failed: shown as n/a
    r = subprocess.run(
        [sys.executable, "-m", "retro.cli", "rollup", *(str(p.relative_to(root)) for p in (ok, bad))],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "internal error" not in r.stderr and r.returncode == 1, r.stdout + r.stderr
    # its own problem (its orders file), not the next campaign's path read from a moved working folder
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("error: bad_sale: could not run: "), r.stderr
    assert "no file matches 'data/orders.csv'" in r.stderr
    assert (project / "outputs" / "ok_sale" / "report" / "index.html").is_file()  # ran from its relative path
    assert "rollup: " in r.stdout


# --- 8. the plain postgresql:// URL ------------------------------------------------------------------------
def test_a_plain_postgresql_url_reads_with_the_installed_driver(pg_server, tmp_path, monkeypatch):  # noqa: F811
    from click.testing import CliRunner
    from retro.cli import main

    rows = [line.split(",") for line in ORDERS.splitlines()]
    values = ", ".join("(" + ", ".join(f"'{v}'" if v else "NULL" for v in row) + ")" for row in rows[1:])
    pg_server.execute(
        "DROP TABLE IF EXISTS plain_orders; CREATE TABLE plain_orders ("
        + ", ".join(f"{c} text" for c in rows[0])
        + f"); INSERT INTO plain_orders VALUES {values}"
    )
    url = pg_server.url().replace("postgresql+psycopg2://", "postgresql://")
    assert url.startswith("postgresql://retro@")
    tables = {**CAMPAIGN["data"]["tables"], "orders": {"url": url, "password_env": "PLAIN_PG", "table": "plain_orders"}}
    params = write_campaign(tmp_path, data={"tables": tables})
    monkeypatch.setenv("PLAIN_PG", pg_server.password)
    result = CliRunner().invoke(main, ["check", str(params)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("ok: ")
    monkeypatch.setenv("PLAIN_PG", "wrong-Secret-123")  # psycopg's refusal reads as psycopg2's did
    result = CliRunner().invoke(main, ["check", str(params)], catch_exceptions=False)
    assert result.exit_code == 2 and "refused the login for user 'retro'" in result.stderr, result.output
    assert "wrong-Secret-123" not in result.output
