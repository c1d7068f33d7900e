"""Ibis expression helpers that staging and the marts share: day literals and tie-breaking argmin/argmax.

Engine-neutral (DuckDB and Spark give the same answer), and free of any campaign rule.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import ibis


def ts(d: date) -> ibis.expr.types.TimestampScalar:
    """Midnight of a calendar day as a timestamp literal."""
    return ibis.timestamp(datetime.combine(d, time()))


def between_days(col, start: date, end: date):
    """Timestamp column falls on a day in [start, end] (inclusive days, half-open in time)."""
    return (col >= ts(start)) & (col < ts(end + timedelta(days=1)))


def first_by(value, *keys, where=None):
    """``value`` on the row with the smallest ``keys``, compared in order: an argmin that breaks ties.

    A plain argmin returns any of the rows tied on its key (two orders in the same second), and DuckDB and
    Spark pick different ones; the later keys (an id) make the choice the same on every engine.
    """
    return value.argmin(_key(keys), where=where)


def last_by(value, *keys, where=None):
    """``value`` on the row with the largest ``keys``, compared in order: an argmax that breaks ties."""
    return value.argmax(_key(keys), where=where)


def _key(keys):
    return keys[0] if len(keys) == 1 else ibis.struct({f"k{i}": k for i, k in enumerate(keys)})
