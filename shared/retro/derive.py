"""Canonical tables the data implies but does not give directly.

This is the seam for deriving orders, items, products and users from order-line exports, sessions from an
event log without session ids, and a users table from first orders.
"""

from __future__ import annotations

from .params import CampaignParams
from .quality import Problem


def derivable(provided: set[str], params: CampaignParams) -> set[str]:
    """Canonical tables that can be derived from the provided ones."""
    return set()


def derive_tables(con, tables: dict, params: CampaignParams) -> tuple[dict, list[Problem]]:
    """Add derived canonical tables to ``tables``; returns (tables, problems)."""
    return tables, []
