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
LAB_PARAMS_ENV = "RETRO_PARAMS"  # set by `retro lab` for the notebooks it opens
# set by `retro run` for the kernels it starts: the run folder whose marts it has just built, so that a
# notebook of that run does not check them again (and import the engine to do so)
MARTS_BUILT_ENV = "RETRO_MARTS_BUILT"
REPORT_LANG_ENV = "RETRO_REPORT_LANG"  # set by `retro run --lang` / YAML languages: the language its kernels write
PROJECT_ROOT = Path(os.environ.get(PROJECT_ROOT_ENV) or Path(__file__).resolve().parents[2]).resolve()
NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"


def twin_of(notebook: Path) -> Path:
    """A notebook's percent-format .py twin, in the ``py/`` folder beside it (jupytext.toml pairs them)."""
    return notebook.parent / "py" / f"{notebook.stem}.py"


PLUGIN_DIR = PROJECT_ROOT / "shared" / "plugins"
TEMPLATES = PROJECT_ROOT / "shared" / "templates"
DEMO_PARAMS = PROJECT_ROOT / "params" / "demo_double11.yaml"


def shown(path: Path) -> str:
    """A path as the user sees it: relative to the project when inside it, else as given."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def cjk_font_path() -> Path | None:
    """The Noto Sans CJK SC font file shipped by the mplfonts package (installed by requirements.txt).

    Here, not in ``retro.charts``: the export embeds it too, and importing the charts (seaborn) costs a second.
    """
    try:
        import mplfonts
    except ImportError:
        return None
    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    return path if path.is_file() else None
