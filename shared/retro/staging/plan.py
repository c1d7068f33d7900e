"""The table plan: which canonical tables a campaign provides or can derive, from where, and their identity.

Pure rules over the YAML (no engine, no Ibis), so a section kernel can ask which tables exist without paying
for the engine's import. A run computes the plan once (``TablePlan.of``) and hands it to every step that
needs it; the data files' fingerprints are taken once per plan, on first use.

Derivations (``retro.staging.derive`` does them): an order-line export (``order_lines``) gives orders, order
lines, products, users and, when a ship date is mapped, shipments; orders give users (from first orders).
A table the YAML gives itself is never derived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError
from ..params import CampaignParams, TableSource
from ..paths import PROJECT_ROOT
from ..schema import TABLES

ORDER_LINE_TABLES = ("orders", "order_items", "products", "users")
SHIPMENT_COLUMNS = ("shipped_time", "delivered_time")


def demo_dir(params: CampaignParams) -> Path:
    """Folder of the generated demo data for this campaign's size and seed."""
    d = params.data.demo
    edition = "" if d.edition == "this_year" else f"-{d.edition}"
    return PROJECT_ROOT / "data" / "demo" / f"{d.size}-seed{d.seed}{edition}"


def table_sources(params: CampaignParams) -> dict[str, TableSource]:
    """Every provided table's source: the demo's Parquet folders, then the YAML's tables (which win)."""
    out: dict[str, TableSource] = {}
    if params.data.demo is not None:
        root = demo_dir(params)
        for name in TABLES:
            out[name] = TableSource(path=str(root / name / "*.parquet"), format="parquet")
    out.update(params.data.tables)
    return out


def source_label(src: TableSource) -> str:
    """How a problem names its source: the file pattern, or the database or catalogue table, never a password."""
    if src.url or src.format in ("duckdb", "sql") or not src.path:
        return src.table or "query"
    path = src.path if isinstance(src.path, str) else ", ".join(src.path or [])
    return Path(path).name if path else ""


def lines_source(params: CampaignParams) -> TableSource | None:
    """The YAML's order-line export, if it gives one."""
    return params.data.tables.get("order_lines")


def _maps(src: TableSource | None, columns) -> bool:
    """Whether the YAML maps (or gives a default for) any of ``columns``."""
    return src is not None and any(c in src.columns or c in src.defaults for c in columns)


def derivable(provided: set[str], params: CampaignParams) -> set[str]:
    """Canonical tables that can be derived from the provided ones (and that are not provided)."""
    out: set[str] = set()
    if "order_lines" in provided:
        out.update(ORDER_LINE_TABLES)
        if _maps(lines_source(params), SHIPMENT_COLUMNS):
            out.add("shipments")
    if "orders" in provided:
        out.add("users")  # from first orders: province and city tier, no membership or registration
    return out - provided


def sources_of(name: str, provided: set[str], params: CampaignParams) -> set[str] | None:
    """The provided sources a staged table is made from (None: it is neither provided nor derivable).

    A provided table comes from itself; a derived one from every source ``derivable`` derives it from
    (users from orders or from order lines: both, when both are given).
    """
    if name in provided:
        return {name}
    return {src for src in provided if name in derivable({src}, params)} or None


@dataclass
class TablePlan:
    """A campaign's tables: their sources, what is provided and what is available (provided or derivable)."""

    params: CampaignParams
    sources: dict[str, TableSource]
    available: set[str]
    _prints: dict[str, str] | None = field(default=None, repr=False)
    _unfound: list[str] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, params: CampaignParams) -> TablePlan:
        sources = table_sources(params)
        provided = set(sources)
        return cls(params, sources, provided | derivable(provided, params))

    @property
    def provided(self) -> set[str]:
        return set(self.sources)

    def missing(self, tables) -> list[str]:
        """Those of ``tables`` the campaign neither provides nor can derive."""
        return [t for t in tables if t not in self.available]

    def labels(self) -> dict[str, str]:
        """How problems name each provided table's source."""
        return {name: source_label(src) for name, src in self.sources.items()}

    def fingerprints(self) -> dict[str, str]:
        """Identity of each provided table's data (taken once per plan); DataError naming every bad source."""
        if self._prints is None:
            from .readers import source_fingerprint

            prints, problems, unfound = {}, [], []
            for name, src in sorted(self.sources.items()):
                try:
                    prints[name] = source_fingerprint(name, src, self.params)
                except DataError as e:
                    problems.extend(e.problems)
                    unfound.append(name)
            self._unfound = unfound
            if problems:
                raise DataError(problems)
            self._prints = prints
        return self._prints

    def readable(self) -> TablePlan:
        """The plan without the sources that cannot be found, so one check pass reads all the others.

        The sources left out are named by ``fingerprints`` (the config check); the tables derived from them
        are left out with them.
        """
        if self._unfound is None:
            try:
                self.fingerprints()
            except DataError:
                pass
        if not self._unfound:
            return self
        kept = {n: s for n, s in self.sources.items() if n not in self._unfound}
        return TablePlan(self.params, kept, set(kept) | derivable(set(kept), self.params))
