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
