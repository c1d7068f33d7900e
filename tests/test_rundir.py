"""The run folder's records: written whole or not at all, a damaged one read as missing, one writer at a time."""

from __future__ import annotations

import os

import pyarrow as pa
import pytest
from retro.errors import RetroError
from retro.rundir import Recorded, RunDir, new_folder, read_json, swapped_in, write_json, write_problem


def test_a_record_round_trips_and_leaves_no_temporary_file(tmp_path):
    path = write_json(tmp_path / "a" / "rec.json", {"gmv": 1.5, "名称": "双11"})
    assert read_json(path) == {"gmv": 1.5, "名称": "双11"}
    assert sorted(p.name for p in path.parent.iterdir()) == ["rec.json"]


@pytest.mark.parametrize("text", ["", '{"fingerprint": "ab', "null", "[1, 2]"])
def test_a_damaged_or_foreign_manifest_reads_as_none(tmp_path, text):
    rd = RunDir(tmp_path)
    rd.marts.mkdir(parents=True)
    rd.manifest.write_text(text)
    assert rd.read_manifest() == {}  # every mart is rebuilt, none trusted


def test_damaged_figures_statuses_and_reads_are_missing(tmp_path):
    rd = RunDir(tmp_path)
    rd.write_figures("sales", [Recorded("gmv", 10.0, "sales")])
    assert rd.read_figures("sales") == [Recorded("gmv", 10.0, "sales")]
    rd.figures_of("sales").write_text('[{"key": "gmv", "val')  # a write cut short (disk full, kill -9)
    assert rd.read_figures("sales") == []
    rd.statuses.write_text("")
    assert rd.read_statuses() == {}
    rd.write_reads("sales", {"b", "a"})
    assert rd.read_reads("sales") == ["a", "b"]
    rd.reads_of("sales").write_text("{")
    assert rd.read_reads("sales") is None  # not recorded: the section depends on every mart


def test_an_empty_or_unreadable_mart_is_missing(tmp_path):
    rd = RunDir(tmp_path)
    rd.write_mart("sales_daily", pa.table({"gmv": [1.0, 2.0]}))
    assert rd.has_mart("sales_daily") and list(rd.read_mart("sales_daily")["gmv"]) == [1.0, 2.0]
    rd.mart("sales_daily").write_bytes(b"")
    assert not rd.has_mart("sales_daily") and rd.read_mart("sales_daily") is None
    rd.mart("sales_daily").write_bytes(b"PAR1 not really parquet")
    assert rd.read_mart("sales_daily") is None


def test_a_new_folder_replaces_the_old_one_only_when_complete(tmp_path):
    final = tmp_path / "report"
    final.mkdir()
    (final / "index.html").write_text("old")
    with pytest.raises(ZeroDivisionError), new_folder(final) as tmp:
        (tmp / "index.html").write_text("half")
        raise ZeroDivisionError("the export failed halfway")
    assert (final / "index.html").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
    with new_folder(final) as tmp:
        (tmp / "index.html").write_text("new")
    assert (final / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_a_swapped_in_file_is_untouched_until_its_writer_returns(tmp_path):
    nb = tmp_path / "notebooks" / "01_sales.ipynb"
    nb.parent.mkdir()
    nb.write_text("previous")
    with swapped_in(nb) as tmp:
        tmp.write_text("executing")
        assert nb.read_text() == "previous"
    assert nb.read_text() == "executing"
    with swapped_in(nb):
        pass  # the writer never started (a kernel that did not come up): nothing is swapped in
    assert nb.read_text() == "executing"


def test_a_second_writer_is_refused_naming_the_first(tmp_path):
    rd = RunDir(tmp_path / "outputs" / "x")
    with rd.lock():
        with pytest.raises(RetroError, match=f"process {os.getpid()}"), RunDir(rd.path).lock():
            pass
    with rd.lock():  # released when the first run ended
        pass
    assert not (tmp_path / "outputs").exists()  # the lock leaves nothing under outputs/


def test_an_interrupted_writer_leaves_the_file_as_it_was(tmp_path):
    nb = tmp_path / "01_sales.ipynb"
    nb.write_text("previous")
    with pytest.raises(KeyboardInterrupt), swapped_in(nb) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert nb.read_text() == "previous" and sorted(p.name for p in tmp_path.iterdir()) == ["01_sales.ipynb"]


def test_sweep_removes_what_a_killed_writer_left_and_puts_the_report_back(tmp_path):
    rd = RunDir(tmp_path / "run")
    (rd.path / ".report-old-123").mkdir(parents=True)  # killed between the export's two renames
    (rd.path / ".report-old-123" / "index.html").write_text("previous")
    (rd.path / ".report-new-x1").mkdir()
    rd.notebooks.mkdir()
    (rd.notebooks / ".01_sales.tmp123-456.ipynb").write_text("{")
    (rd.path / ".export-cache").mkdir()
    (rd.path / ".export-cache" / "font-1.txt").write_text("kept")
    removed = rd.sweep()
    assert (rd.report / "index.html").read_text() == "previous" and len(removed) == 2
    assert sorted(p.name for p in rd.path.iterdir()) == [".export-cache", "notebooks", "report"]
    assert not any(rd.notebooks.iterdir()) and (rd.path / ".export-cache" / "font-1.txt").is_file()


def test_a_refused_write_is_one_line_naming_the_folder(tmp_path):
    import errno

    run = tmp_path / "run"
    full = OSError(errno.ENOSPC, "No space left on device", str(run / "marts" / "x.parquet"))
    assert write_problem(full, run, str) == f"no space left on {run}: free some space, or use --output on another disk"
    spill = OSError(errno.ENOSPC, "No space left on device", "/var/tmp/spill/x.tmp")
    assert write_problem(spill, run, str) == "no space left on /var/tmp/spill: free some space"
    ro = OSError(errno.EROFS, "Read-only file system")
    assert write_problem(ro, run, str) == f"cannot write to {run} (read-only, or not yours): use --output elsewhere"
    assert write_problem(OSError(errno.ENOENT, "No such file"), run, str) is None
    assert write_problem(ValueError("x"), run, str) is None
    import duckdb

    engine = duckdb.IOException('Could not write file "/var/tmp/duck/t-1.block": No space left on device')
    assert write_problem(engine, run, str) == (
        "no space left on /var/tmp/duck for the engine's temporary files: free some space there"
    )
