"""Kernels started ahead of their sections: ready with the kit imported, each used once, none left behind."""

import os
import sys

import pytest
from jupyter_core.utils import run_sync
from retro.kernels import KernelPool
from retro.run import stop_kernels

pytestmark = pytest.mark.e2e


async def _ask(km, code: str) -> str:
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=60)
        reply = await kc.execute_interactive(
            "", silent=True, user_expressions={"x": code}, timeout=60, output_hook=lambda _m: None
        )
        return reply["content"]["user_expressions"]["x"]["data"]["text/plain"]
    finally:
        kc.stop_channels()


def test_a_section_takes_a_started_kernel_with_the_kit_imported_and_the_rest_are_shut_down(tmp_path):
    folder, cwd = tmp_path / "kernels", tmp_path / "notebooks"
    cwd.mkdir()
    env = dict(os.environ, RETRO_POOL_TEST="yes", PYTHONPATH=os.pathsep.join(sys.path))
    pool = KernelPool(folder, cwd, env, tmp_path / "kernels.log", ready=1, total=2)
    pool.start()
    km = pool.take()  # waits for the one starting
    try:
        assert km is not None and run_sync(km.is_alive)()
        asked = run_sync(_ask)(
            km,
            "('retro.charts' in __import__('sys').modules, __import__('os').getcwd(), __import__('os').environ["
            "'RETRO_POOL_TEST'], get_ipython().execution_count)",
        )
        # imported before the first cell, in the notebook folder, with the run's environment, cell [1] next
        assert asked.split() == repr((True, str(cwd), "yes", 1)).split()
    finally:
        run_sync(km.shutdown_kernel)(now=True)
    second = pool.take()  # the pool started the next one meanwhile, up to total
    assert second is not None and second is not km
    assert pool.take() is None  # total reached: papermill starts its own
    pool.close()
    run_sync(second.shutdown_kernel)(now=True)
    assert stop_kernels(folder) == 0  # nothing of the pool is left running


def test_closing_shuts_down_the_kernels_no_section_took(tmp_path):
    folder = tmp_path / "kernels"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    pool = KernelPool(folder, tmp_path, env, tmp_path / "kernels.log", ready=1, total=3)
    pool.start()
    with pool._cv:  # one started and waiting
        pool._cv.wait_for(lambda: pool._idle, timeout=60)
    pool.close()
    assert stop_kernels(folder) == 0
    assert pool.take() is None


def _warming_pool(tmp_path, monkeypatch, ready: int, total: int):
    """A started pool whose first kernel is stuck in its warm-up, once it is (the marker file written)."""
    import time

    import retro.kernels

    folder, marker = tmp_path / "kernels", tmp_path / "warming"
    monkeypatch.setattr(retro.kernels, "WARM_UP", f"open({str(marker)!r}, 'w').close(); import time; time.sleep(300)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    pool = KernelPool(folder, tmp_path, env, tmp_path / "kernels.log", ready=ready, total=total)
    pool.start()
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), (tmp_path / "kernels.log").read_text()
    return pool, folder


def test_a_kernel_killed_while_it_warms_up_ends_the_wait_at_once(tmp_path, monkeypatch):
    """Ctrl-C's clean-up kills a pool kernel half-way through its imports: the section waiting for it goes on
    (papermill starts its own) instead of waiting out the warm-up's two-minute timeout."""
    import time

    pool, folder = _warming_pool(tmp_path, monkeypatch, ready=1, total=2)
    assert stop_kernels(folder) == 1
    t0 = time.monotonic()
    assert pool.take() is None
    assert time.monotonic() - t0 < 30  # the warm-up's own timeout is 120 s
    pool.close()
    assert stop_kernels(folder) == 0


def test_a_section_waiting_for_a_starting_kernel_stops_with_the_run(tmp_path, monkeypatch):
    import threading
    import time

    import retro.kernels

    folder = tmp_path / "kernels"
    monkeypatch.setattr(retro.kernels, "WARM_UP", "import time; time.sleep(300)")  # a kernel that never gets ready
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    pool = KernelPool(folder, tmp_path, env, tmp_path / "kernels.log", ready=1, total=1)
    pool.start()
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()  # Ctrl-C a second later
    t0 = time.monotonic()
    assert pool.take(stop) is None
    assert time.monotonic() - t0 < 30
    pool.close()
    stop_kernels(folder)


def test_closing_the_pool_while_a_kernel_starts_leaves_no_kernel(tmp_path, monkeypatch):
    """A run the data's checks end early closes its pool while the first kernel warms up: close returns once
    that kernel is gone, not after its warm-up, and nothing starts afterwards."""
    import time

    pool, folder = _warming_pool(tmp_path, monkeypatch, ready=2, total=4)
    t0 = time.monotonic()
    pool.close()
    assert time.monotonic() - t0 < 30  # the warm-up's own timeout is 120 s
    assert stop_kernels(folder) == 0  # shut down before close returned
    time.sleep(1)
    assert stop_kernels(folder) == 0  # and none started after it


@pytest.mark.parametrize("parallel", [1, 2])
def test_once_the_build_is_over_kernels_start_one_per_worker_at_once(tmp_path, monkeypatch, parallel):
    """While the marts build, one kernel starts at a time; after it, one per worker: a section no longer waits
    for the kernel started after the previous one was ready."""
    import time

    import retro.kernels

    folder, warming = tmp_path / "kernels", tmp_path / "warming"
    warming.mkdir()
    mark = f"open({str(warming)!r} + '/' + str(__import__('os').getpid()), 'w').close(); import time; time.sleep(8)"
    monkeypatch.setattr(retro.kernels, "WARM_UP", mark)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    pool = KernelPool(folder, tmp_path, env, tmp_path / "kernels.log", ready=2, total=2)
    pool.start(parallel=parallel)
    deadline = time.monotonic() + 60

    def warming_up() -> int:
        return len(list(warming.iterdir()))

    while not (warming_up() == 2 or pool._idle) and time.monotonic() < deadline:
        time.sleep(0.05)
    # side by side: both warm up before either is ready; one at a time: the second starts once the first is
    with pool._cv:
        assert (warming_up(), len(pool._idle)) == ((2, 0) if parallel == 2 else (1, 1))
    kms = [pool.take(), pool.take()]
    assert all(km is not None for km in kms)
    pool.close()
    for km in kms:
        run_sync(km.shutdown_kernel)(now=True)
    assert stop_kernels(folder) == 0
