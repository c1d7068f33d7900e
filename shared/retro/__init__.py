"""Campaign Retro Kit: the helper package behind the retrospective notebooks and report."""

from . import findings
from .context import SectionContext, open_section
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
