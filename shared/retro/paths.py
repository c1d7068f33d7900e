"""Where the project lives: its notebooks, plug-ins, parameters and outputs.

The kit is installed editable from its checkout, which is the project by default. ``RETRO_PROJECT_ROOT``
points the kit at another folder with the same layout (``notebooks/``, ``shared/plugins/``,
``shared/templates/``, ``outputs/``); the plug-in tests use it to scaffold into a temporary copy. Kernels
started by a run inherit it, so every process of a run agrees on the project.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT_ENV = "RETRO_PROJECT_ROOT"
PROJECT_ROOT = Path(os.environ.get(PROJECT_ROOT_ENV) or Path(__file__).resolve().parents[2]).resolve()
