"""Campaign Retro Kit: the helper package behind the retrospective notebooks and report.

The notebooks' entry points (``open_section``, ``SectionContext``, ``findings``) are loaded on first use: they
import pandas, which the command line does not need to decide that nothing changed (half of a warm re-run).
"""

from importlib import import_module

from .errors import RetroError
from .params import CampaignParams, load_params
from .version import __version__

__all__ = [
    "findings",
    "CampaignParams",
    "RetroError",
    "SectionContext",
    "__version__",
    "load_params",
    "open_section",
]

_LAZY = {
    "findings": (".findings", None),
    "SectionContext": (".context", "SectionContext"),
    "open_section": (".context", "open_section"),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'retro' has no attribute {name!r}")
    module, attr = _LAZY[name]
    value = import_module(module, __name__)
    value = value if attr is None else getattr(value, attr)
    globals()[name] = value
    return value
