"""Other files of a multi-table export joined onto a source by key, before mapping (``TableSource.lookups``).

A marketplace export keeps an order's buyer in a customer table, its amount in the items or payments and a
category's English name in a translation table. Joining them here, on the raw relation, lets the YAML's
``columns`` name a lookup's column as if the source had it, so no export needs code. A lookup without
``sum`` must have one row per key (else each source row would be repeated: a hard problem naming the key);
with ``sum`` its rows are summed per key. The join is a left join: a source row is never dropped.
"""

from __future__ import annotations

import ibis

from ..errors import DataError
from ..params import CampaignParams, Lookup, TableSource
from .dedupe import dedupe
from .plan import source_label


def lookup_name(name: str, i: int) -> str:
    """The engine name of a table's i-th lookup (0-based): how its reads and problems are told apart."""
    return f"{name}_lookup{i}"


def _where(name: str, i: int) -> str:
    return f"data.tables.{name}.lookups[{i}]"


def _number(col):
    """A lookup's amount column as a number: text (a CSV read as strings) is cast, unparsable text is null."""
    return col.cast("float64") if col.type().is_numeric() else col.cast("string").strip().try_cast("float64")


def join_lookups(con, name: str, raw, src: TableSource, params: CampaignParams, read):
    """``raw`` with each lookup's columns joined on; ``read(con, name, lookup)`` reads one lookup's rows.

    Returns (relation, soft problems: a lookup's rows dropped by its ``dedupe``). Raises DataError with one
    line per problem (a key column missing, a repeated key, a name clash).
    """
    lines: list[str] = []
    soft = []
    for i, lk in enumerate(src.lookups):
        where, label = _where(name, i), source_label(lk)
        try:
            other = read(con, lookup_name(name, i), lk)
            other, found = dedupe(other, name, lk, [lk.lookup_key or lk.key], where, label)
        except DataError as e:
            lines.extend(e.problems)
            continue
        soft.extend(found)
        joined, problems = _join(raw, other, name, lk, where, label)
        lines.extend(problems)
        if joined is not None:
            raw = joined
    if lines:
        raise DataError(lines)
    return raw, soft


def _join(raw, other, name: str, lk: Lookup, where: str, label: str):
    key = lk.lookup_key or lk.key
    problems = []
    if lk.key not in raw.columns:
        problems.append(
            f"{name}: {where}.key names {lk.key!r}, not a column of the {name} source; fix: use one of "
            f"{', '.join(list(raw.columns)[:10])}"
        )
    if key not in other.columns and not (problems and lk.lookup_key is None):  # one mistake, one line
        problems.append(
            f"{name} ({label}): the lookup has no column {key!r} to join on; fix: set {where}.lookup_key to "
            f"its name there (one of {', '.join(list(other.columns)[:10])})"
        )
    if problems:
        return None, problems
    k = other[key].cast("string").strip()
    if lk.sum:
        missing = sorted({c for cols in lk.sum.values() for c in _cols(cols) if c not in other.columns})
        if missing:
            return None, [
                f"{name} ({label}): {where}.sum names {', '.join(map(repr, missing))}, not columns of the "
                f"lookup; fix: use its headers ({', '.join(list(other.columns)[:10])})"
            ]
        parts = {}
        for new, cols in lk.sum.items():
            total = None
            for c in _cols(cols):
                v = _number(other[c]).fill_null(0)
                total = v if total is None else total + v
            parts[new] = total
        other = other.mutate(__key=k, **parts).group_by("__key").aggregate(**{n: ibis._[n].sum() for n in parts})
        added = list(lk.sum)
    else:
        other = other.mutate(__key=k)
        repeated = other.group_by("__key").aggregate(n=other.count()).filter(lambda t: t.n > 1)
        n, example = repeated.aggregate(k=repeated.count(), e=repeated["__key"].min()).execute().iloc[0]
        if int(n):
            return None, [
                f"{name} ({label}): the lookup joined on {key!r} has {int(n)} key value"
                f"{'s' if int(n) != 1 else ''} on more than one row (e.g. {example!r}), so each {name} row "
                f"would be repeated; fix: give a table with one row per {key}, add sum: to {where} to "
                f"add its rows up, or dedupe: {{keep: last, by: <column>}} to keep one"
            ]
        added = [c for c in other.columns if c not in (key, "__key")]
    clash = [c for c in added if c in raw.columns]
    if clash:
        return None, [
            f"{name} ({label}): the lookup's column{'s' if len(clash) > 1 else ''} "
            f"{', '.join(map(repr, clash))} also in the {name} source; fix: drop "
            f"{'them' if len(clash) > 1 else 'it'} from one of the two files, or name the sum differently"
        ]
    left = raw.mutate(__on=raw[lk.key].cast("string").strip())
    joined = left.left_join(other.select("__key", *added), left["__on"] == other["__key"])
    return joined.select(*raw.columns, *added), []


def _cols(cols) -> list[str]:
    return [cols] if isinstance(cols, str) else list(cols)
