"""Plug-in sections: importing a project's own section code (``shared/plugins/<name>.py``).

What a plug-in declares (``SECTION``, ``FIGURES``) is read without running it by ``retro.registry``. The rest of
the module is ordinary code, imported by ``load`` as ``retro.sections.<name>``: marts (``@mart``), labels
(``register``), the functions its notebook calls and, like the kit's section modules, ``totals(ctx)`` for the
goals section. The run loads it before building marts; its notebook loads it first thing. A broken plug-in is
skipped with one line naming its file; the rest of the report builds.
"""

from __future__ import annotations

import importlib
import traceback
import types
from pathlib import Path

from .errors import RetroError
from .paths import shown
from .registry import PLUGIN_DIR, PluginError, plugin_file, problems, read_plugin

__all__ = ["PLUGIN_DIR", "PluginError", "load", "load_all", "problems", "read_plugin"]


def load(name: str) -> types.ModuleType:
    """Import a plug-in's module as ``retro.sections.<name>`` (once per process), registering its marts and labels.

    ``retro.sections`` lists the plug-in folder in its package path, so the module is also what the kit's
    goals section finds when it asks a figure's section for its ``totals``. The section's notebook calls this
    before ``open_section`` so that its marts are registered when they are built there; a failure is one line
    naming the file.
    """
    path = plugin_file(name)
    if path is None:
        raise RetroError(f"no plug-in section {name!r} (plug-ins live in {shown(PLUGIN_DIR)}/<name>.py)")
    try:
        return importlib.import_module(f"retro.sections.{name}")
    except Exception as e:  # noqa: BLE001 - any failure of the user's module becomes one line naming it
        frames = [f for f in traceback.extract_tb(e.__traceback__) if Path(f.filename) == path]
        line = f"line {frames[-1].lineno}: " if frames else ""
        raise PluginError(f"{shown(path)}: {line}{type(e).__name__}: {e}") from None


def load_all(names: list[str]) -> dict[str, str]:
    """Load the given plug-ins; a failure is returned by name (its notebook fails with the same reason)."""
    failed = {}
    for name in names:
        try:
            load(name)
        except RetroError as e:
            failed[name] = e.problems[0]
    return failed
