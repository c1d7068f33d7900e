"""Rows that repeat without meaning, dropped as the YAML asks (``TableSource.dedupe``), and counted.

Some exports repeat rows for reasons no figure should see: a review table lists a review id once per
order it answers, a warehouse dump appends the same row on every re-export, a status log keeps every
update of an order. A repeated key is a hard problem by default (each copy would be counted again); with
``dedupe`` the analyst says what the repetition means, and the rows dropped are a soft problem with their
count, so the data-quality appendix shows them among the rows left out.

- ``dedupe: exact``: drop rows equal to another row in every column.
- ``dedupe: {keep: last, by: <column>}``: one row per key, the one with the latest ``by`` value (``first``:
  the earliest); ties are broken by the other columns, so a re-run keeps the same row. The key is the
  table's (``orders.order_id``, ``products.sku``, …) or a lookup's join key; a row without a key is kept
  (the key checks report it).

It runs on the raw relation (source headers), before lookups are joined and before mapping.
"""

from __future__ import annotations

import ibis

from ..errors import DataError
from ..params import Dedupe, TableSource
from ..quality import Problem
from ..schema import TABLES


def source_key(name: str, src: TableSource) -> list[str]:
    """The source columns holding a table's key (its canonical key through ``columns``)."""
    spec = TABLES.get(name)
    return [src.columns.get(k, k) for k in (spec.key if spec else ())]


def dedupe(raw, name: str, src: TableSource, key: list[str], where: str, label: str):
    """``raw`` with repeated rows dropped as ``src.dedupe`` says; returns (relation, soft problems).

    Raises DataError naming the key word when a column it names is not in the source.
    """
    rule = src.dedupe
    if rule is None:
        return raw, []
    if rule == "exact":
        out = raw.distinct()
        what = "rows equal to another row in every column, dropped (dedupe: exact)"
        column = None
    else:
        # by: a header of the source, or a canonical name mapped to one under columns
        by = rule.by if rule.by in raw.columns else src.columns.get(rule.by, rule.by)
        out, column = _keep_one(raw, name, rule, by, key, where, label), ", ".join(key)
        kept = "latest" if rule.keep == "last" else "earliest"
        what = f"rows whose {column} is on another row, dropped (dedupe: kept the {kept} by {rule.by})"
    n = int(raw.count().execute()) - int(out.count().execute())
    if not n:
        return out, []
    return out, [
        Problem(
            name,
            column,
            what,
            rows=n,
            fix=f"none needed if expected; otherwise remove dedupe from {where}",
            hard=False,
            source=label,
            code="deduplicated",
            msg="deduplicated_exact" if rule == "exact" else f"deduplicated_{rule.keep}",
            args={"by": "" if rule == "exact" else rule.by, "where": where},
        )
    ]


def _keep_one(raw, name: str, rule: Dedupe, by: str, key: list[str], where: str, label: str):
    if not key:
        raise DataError(
            f"{name} ({label}): {where}.dedupe keeps one row per key, but {name} has no key; fix: use dedupe: exact"
        )
    missing = [k for k in key if k not in raw.columns]
    if by not in raw.columns:
        missing.append(rule.by)
    if missing:
        raise DataError(
            f"{name} ({label}): {where}.dedupe names {', '.join(map(repr, missing))}, not "
            f"{'a column' if len(missing) == 1 else 'columns'} of the source; fix: use its headers "
            f"({', '.join(list(raw.columns)[:10])})"
        )
    col = raw[by]
    # text (a CSV is read as text): a time, else a number, else the text itself
    order = [col.try_cast("timestamp"), col.try_cast("float64"), col] if col.type().is_string() else [col]
    order += [raw[c] for c in raw.columns if c not in (*key, by)]
    direction = ibis.desc if rule.keep == "last" else ibis.asc
    window = ibis.window(group_by=[raw[k] for k in key], order_by=[direction(o) for o in order])
    ranked = raw.mutate(__rank=ibis.row_number().over(window))
    has_key = ibis.and_(*[ranked[k].notnull() for k in key])
    return ranked.filter((ranked["__rank"] == 0) | ~has_key).drop("__rank")
