"""The kit's section modules: each section's presentation code (figures, tables, charts), which its notebook calls.

The list of sections lives in ``retro.registry`` and is re-exported here. The project's plug-in modules
(``shared/plugins/``) are importable as ``retro.sections.<name>`` too, like the kit's own (``retro.plugins.load``).
"""

from __future__ import annotations

from ..paths import PLUGIN_DIR
from ..registry import _KIT_SECTIONS, LATE, QUALITY, SECTIONS, SUMMARY, Section, section_names

__all__ = ["LATE", "QUALITY", "SECTIONS", "SUMMARY", "Section", "_KIT_SECTIONS", "section_names"]

__path__.append(str(PLUGIN_DIR))  # a plug-in's module imports as retro.sections.<name>, like the kit's own
