"""Section kernels started ahead of their sections, with the kit already imported.

A section's kernel costs about 1.7 s before its first cell runs: the process starts, then pandas, matplotlib,
seaborn (and through it scipy) and the kit are imported. Started by papermill, that cost comes after the marts
are built and before each section. The pool starts kernels while the marts build (``KernelPool.start``, one
at a time), before the data's checks when a section is sure to run (``run.surely_runs``), or with the first
section when no mart is rebuilt; it keeps one ready per worker while sections run (starting one per worker at
once), so a section takes a kernel that has done its imports (the summary's and the appendix's start while the
sections before run).

Each kernel serves one section and is shut down after it, as papermill's own would be: no state passes from
one notebook to the next. Its warm-up runs silently (no output, no history, the notebook's first cell is still
[1]). Its connection file is in the run's kernel folder, so Ctrl-C and a killed run's clean-up find it
(``run.stop_kernels``), and its stderr goes to the run's kernel log, like the kernels papermill starts there.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from pathlib import Path

WARM_UP = "import retro, retro.charts, retro.context, retro.display, retro.findings"


class KernelPool:
    """Up to ``ready`` started kernels waiting for sections; ``total`` started at most over the run."""

    def __init__(self, folder: Path, cwd: Path, env: dict[str, str], log: Path, ready: int, total: int):
        self.folder, self.cwd, self.env, self.log = folder, cwd, env, log
        self.ready, self.total = max(0, ready), max(0, total)
        self._idle: deque = deque()
        self._started = 0
        self._starting = 0  # kernels starting now
        self._parallel = 1  # at most this many at once
        self._closed = False
        self._failed = False
        self._threads: list[threading.Thread] = []  # the kernels' starts
        self._cv = threading.Condition()

    def start(self, parallel: int = 1) -> None:
        """Start filling the pool in the background, ``parallel`` kernels at a time.

        One while the marts build (the build keeps the cores busy); one per worker once it is over: a kernel's
        start (2 s) then takes longer than most sections run, and one at a time they would wait for it.
        """
        with self._cv:
            self._parallel = max(self._parallel, parallel)
        self._fill()

    def _fill(self) -> None:
        with self._cv:
            while (
                not self._closed
                and not self._failed
                and self._starting < self._parallel
                and len(self._idle) + self._starting < self.ready
                and self._started < self.total
            ):
                self._starting += 1
                self._started += 1
                number = self._started
                thread = threading.Thread(
                    target=self._start_one, args=(number,), name=f"kernel-pool-{number}", daemon=True
                )
                self._threads.append(thread)
                thread.start()

    def _start_one(self, number: int) -> None:
        km = None
        try:
            self.folder.mkdir(mode=0o700, exist_ok=True)  # in the temporary folder: nothing under outputs/
            connection_file = self.folder / f"kernel-pool-{os.getpid()}-{number}.json"
            km = _started_kernel(connection_file, self.cwd, self.env, self.log, cancelled=lambda: self._closed)
        except Exception:  # noqa: BLE001 - sections start their own kernels instead
            with self._cv:
                self._failed = True
        with self._cv:
            self._starting -= 1
            if km is not None and not self._closed:
                self._idle.append(km)
                km = None
            self._cv.notify_all()
        if km is not None:  # closed meanwhile
            shutdown(km)
        self._fill()

    def take(self, stop: threading.Event | None = None):
        """A started kernel manager, or None (papermill then starts one); waits for one half-started.

        ``stop`` (the run's Ctrl-C): set, no kernel is taken and the wait ends within a fifth of a second.
        """
        with self._cv:
            while not self._idle and self._starting and not self._closed and not (stop and stop.is_set()):
                self._cv.wait(timeout=0.2)
            if stop is not None and stop.is_set():
                return None
            km = self._idle.popleft() if self._idle else None
        self._fill()
        return km

    def close(self) -> None:
        """Shut down the kernels no section took, and the one starting (waited for: no kernel outlives the run).

        A run that ends early (the data's checks refused the input) may close the pool while its first kernel
        starts: that start gives up within a quarter of a second and its kernel is shut down before this returns.
        """
        with self._cv:
            self._closed = True
            idle, self._idle = list(self._idle), deque()
            threads = list(self._threads)
            self._cv.notify_all()
        shutdown(*idle)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(timeout=60)


def _started_kernel(connection_file: Path, cwd: Path, env: dict[str, str], log: Path, cancelled=lambda: False):
    """A python3 kernel started in ``cwd`` with ``env``, its stderr in ``log``, once it has imported the kit.

    ``cancelled()`` true meanwhile (the pool closed): the kernel is shut down and RuntimeError raised.
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = AsyncKernelManager(kernel_name="python3", connection_file=str(connection_file))

    async def start_and_warm():
        with open(log, "ab") as err:
            await km.start_kernel(cwd=str(cwd), env=env, stderr=err, extra_arguments=["--IPKernelApp.log_level=ERROR"])
        kc = km.client()
        kc.start_channels()
        try:
            await _while_alive(km, kc.wait_for_ready(timeout=120), cancelled)
            warm_up = kc.execute_interactive(WARM_UP, silent=True, timeout=120, output_hook=lambda _m: None)
            await _while_alive(km, warm_up, cancelled)
        finally:
            kc.stop_channels()

    try:
        run_sync(start_and_warm)()
    except BaseException:
        shutdown(km)
        raise
    return km


async def _while_alive(km, work, cancelled):
    """``work``, given up once the kernel has died (Ctrl-C's clean-up, out of memory) or ``cancelled()`` holds.

    A reply never comes from a dead kernel: without this the warm-up would wait its whole timeout.
    """
    import asyncio

    task = asyncio.ensure_future(work)
    while not (await asyncio.wait({task}, timeout=0.25))[0]:
        if cancelled() or not await km.is_alive():
            task.cancel()
            raise RuntimeError("the kernel died, or the run ended, while it imported the kit")
    return task.result()


def shutdown(*kms) -> None:
    """Stop kernels the pool started, side by side (each waits a tenth of a second for its process to end).

    One already gone (killed by Ctrl-C's clean-up, or never fully started): nothing to do.
    """
    import asyncio

    from jupyter_core.utils import run_sync

    async def stop(km):
        try:
            await km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - gone already
            pass

    async def stop_all():
        await asyncio.gather(*(stop(km) for km in kms))

    if kms:
        run_sync(stop_all)()
