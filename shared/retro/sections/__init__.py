"""The report's sections: order, notebook, titles and the tables each one needs.

The runner, the navigation and the summary all read this list, so a section is added in one place.
The modules beside this file hold each section's presentation code (tables, charts, figures), which the
section's notebook calls. The project's plug-in sections (``shared/plugins/``, see retro.plugins) join the
list here, numbered from 10 and placed before the executive summary and the appendix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Section:
    """One report section and the canonical tables it cannot run without."""

    name: str
    number: int
    en: str
    zh: str
    requires: tuple[str, ...]
    optional: tuple[str, ...] = ()
    plugin: Path | None = None  # the plug-in module that declares it; None for the kit's own sections

    @property
    def notebook(self) -> str:
        return f"{self.number:02d}_{self.name}.ipynb"

    @property
    def page(self) -> str:
        return f"{self.number:02d}_{self.name}.html"

    def title(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


_KIT_SECTIONS: dict[str, Section] = {
    s.name: s
    for s in (
        Section("goals", 0, "Goals and attainment", "目标达成", ("orders",), ("events", "marketing")),
        Section("sales", 1, "Sales", "销售", ("orders", "order_items", "products")),
        Section("traffic", 2, "Traffic", "流量", ("events",), ("orders",)),
        Section("funnel", 3, "Conversion funnel", "转化漏斗", ("events",)),
        Section("users", 4, "Users and retention", "用户与留存", ("orders",), ("users", "events")),
        Section(
            "marketing",
            5,
            "Marketing and ROI",
            "营销与ROI",
            ("marketing",),
            ("orders", "coupons", "order_items"),
        ),
        Section(
            "fulfilment",
            6,
            "Fulfilment and supply",
            "履约与供应链",
            ("orders", "shipments"),
            ("inventory", "order_items"),
        ),
        Section("service", 7, "Customer service", "客服与售后", ("service",), ("orders", "nps")),
        Section("summary", 8, "Executive summary", "总结", ()),
        Section("quality", 9, "Data quality appendix", "附录：数据质量", ()),
    )
}

SUMMARY = "summary"
QUALITY = "quality"
# Sections that read what the others produced (figures, marts, quality.json); run after them, each on its own.
LATE = (SUMMARY, QUALITY)


def _with_plugins(kit: dict[str, Section]) -> dict[str, Section]:
    """The kit's sections with the project's plug-in sections inserted before the late ones."""
    from ..plugins import PLUGIN_DIR, discover

    plugins = discover(kit)
    __path__.append(str(PLUGIN_DIR))  # a plug-in's module imports as retro.sections.<name>, like the kit's own
    ordered = [s for s in kit.values() if s.name not in LATE] + plugins + [kit[n] for n in LATE]
    return {s.name: s for s in ordered}


SECTIONS: dict[str, Section] = _with_plugins(_KIT_SECTIONS)


def section_names() -> list[str]:
    """All section names in report order."""
    return list(SECTIONS)
