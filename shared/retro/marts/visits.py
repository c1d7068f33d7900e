"""The event log reduced once per build: every traffic, funnel and visitor mart counts from these tables.

Event logs are by far the largest input, and every event mart reduces them per visitor. Scanning the raw
events once per mart (and once per level inside a mart) made them most of a cold run, so the reduction is
done once here, materialised for the duration of the build (``Tables.shared``), and the marts count rows of
the reduced tables:

- ``visits``: one row per visitor, user id, channel, calendar day and session, all days of the data (the
  sessions and the log's coverage are counted from it too, not from the raw events);
- ``visitor_channel_period``: one row per visitor, channel and period, with the new-visitor flag;
- ``visitor_counts``: from it, the distinct-visitor counts of every level (channel, site, all x period,
  'overall'), for the traffic and funnel marts.

Periods are whole calendar days (phases and the baseline are date ranges), so the period of a visit is
the period of its day. Period 'overall' rows cover the campaign phases only, never the baseline.
"""

from __future__ import annotations

import ibis

from ..schema import EVENT_TYPES
from .common import in_campaign, is_paid, phase_of, ts

STEPS = EVENT_TYPES  # view, cart, order, pay: the funnel's steps, in order
ALL = "all"  # channel (or site) value of rows pooling every channel
OVERALL = "overall"  # period value of rows covering the whole campaign
SUMS = ("pv", "events", "pay_events")  # additive counts carried through every reduction
STEP_BITS = {step: 1 << i for i, step in enumerate(STEPS)}  # view 1, cart 2, order 4, pay 8


def int_sum(col, where=None):
    """Sum of an integer column (of the rows where ``where`` holds), stored as int64.

    DuckDB sums integers as HUGEINT (written to Parquet as double) and Ibis drops a cast to the type it
    already assumes, hence the round trip through float64 (exact below 2**53).
    """
    return col.sum(where=where).cast("float64").cast("int64")


def visits(t, p):
    """One row per visitor, user id, channel, day and session id: PV, events, pay events, steps, times, dwell.

    Keyed by session too (a session is rarely split over channels or days, so this has hardly more rows than
    per visitor and day), so that the sessions are counted from it. The times, events, dwell and missing dwell
    are those of the visitor's own events, not of the rows the kit added (``is_derived``: a step copied from
    one of them). ``steps``: the funnel steps of the row's events as bits (``STEP_BITS``; ``has_step``).

    Written in SQL (both engines run it; the Spark parity test compares them): Ibis has no BIT_OR for Spark,
    and one BIT_OR in place of a flag per step is a tenth of this, the largest reduction of the build.
    """

    def build():
        def sql(compile, q):
            own = f"NOT COALESCE({q('is_derived')}, FALSE)"  # a step the kit added is no event of the visitor's
            kind, when, dwell = q("event_type"), q("event_time"), q("dwell_seconds")
            bits = " ".join(f"WHEN '{step}' THEN {bit}" for step, bit in STEP_BITS.items())
            keys = [q("visitor_id"), q("user_id"), q("channel"), f"CAST({when} AS DATE)", q("session_id")]
            columns = [*keys[:3], f"{keys[3]} AS {q('day')}", keys[4]]
            columns += [
                f"COUNT(*) FILTER (WHERE {kind} = 'view') AS {q('pv')}",
                f"COUNT(*) FILTER (WHERE {own}) AS {q('events')}",
                f"COUNT(*) FILTER (WHERE {kind} = 'pay') AS {q('pay_events')}",
                f"BIT_OR(CASE {kind} {bits} ELSE 0 END) AS {q('steps')}",
                f"MIN({when}) FILTER (WHERE {own}) AS {q('first_time')}",
                f"MAX({when}) FILTER (WHERE {own}) AS {q('last_time')}",
                f"SUM({dwell}) FILTER (WHERE {own}) AS {q('dwell')}",
                f"COUNT(*) FILTER (WHERE {own} AND {dwell} IS NULL) AS {q('no_dwell')}",
            ]
            return f"SELECT {', '.join(columns)} FROM ({compile(t.events)}) AS e GROUP BY {', '.join(keys)}"

        return t.query(sql)

    return t.shared("visits", build)


def has_step(steps, step: str):
    """Whether a ``steps`` column (``visits``) holds the funnel step ``step``."""
    return (steps & STEP_BITS[step]) != 0


def period_of_day(day, p):
    """Phase name or 'baseline' of a calendar day column (null outside them)."""
    return phase_of(day.cast("timestamp"), p)


def new_visitors(t, p):
    """One row per visitor with ``is_new``.

    New = first seen in the data inside the campaign window and not a user with a paid order before the
    campaign started (checked only when orders are provided; the visitor id or its user id may match).
    """
    v = visits(t, p)
    first = v.group_by("visitor_id").aggregate(first_time=v.first_time.min(), user_id=v.user_id.max())
    is_new = in_campaign(first.first_time, p)
    if t.has("orders"):
        o = t.orders
        buyers = o.filter(is_paid(o) & (o.order_time < ts(p.start))).user_id
        was_buyer = first.visitor_id.isin(buyers).fill_null(False) | first.user_id.isin(buyers).fill_null(False)
        is_new = is_new & ~was_buyer
    return first.select("visitor_id", is_new=is_new)


def visitor_channel_period(t, p):
    """One row per visitor, channel and period (baseline and phases): site, counts, ``steps`` and ``is_new``.

    Site: 'offsite' for the YAML's settings.offsite_channels, else 'onsite'. The grouping is SQL for its
    BIT_OR (see ``visits``).
    """

    def build():
        v = visits(t, p)
        offsite = list(p.settings.offsite_channels)
        is_off = v.channel.isin(offsite) if offsite else ibis.literal(False)
        v = v.mutate(period=period_of_day(v.day, p), site=ibis.ifelse(is_off, "offsite", "onsite"))
        v = v.filter(v.period.notnull())

        def sql(compile, q):
            keys = ", ".join(q(c) for c in ("visitor_id", "channel", "site", "period"))
            sums = ", ".join(f"CAST(SUM({q(c)}) AS BIGINT) AS {q(c)}" for c in SUMS)
            steps = q("steps")
            return f"SELECT {keys}, {sums}, BIT_OR({steps}) AS {steps} FROM ({compile(v)}) AS v GROUP BY {keys}"

        g = t.query(sql)
        g = g.left_join(new_visitors(t, p), "visitor_id")
        return g.select(
            "visitor_id",
            "channel",
            "site",
            "period",
            *SUMS,
            steps=g.steps.cast("int32"),
            is_new=g.is_new.fill_null(False),
        )

    return t.shared("visitors@channel,period", build)


def visitor_counts(t, p):
    """Visitor counts per level ('channel', 'site', 'all'), key (a channel, a site, 'all') and period.

    Periods are the phases, 'baseline' and 'overall' (the phases together). Made in one query from the visitor
    x channel x period rows: each level's one-row-per-visitor rows exist only inside it (stored, on a large
    event log they were tens of GB in memory and on disk), so a row count is a distinct-visitor count. Site: as
    the rows carry it (``visitor_channel_period``). The funnel's counts are of the visitors
    with a step in a campaign period; closed: a step counts with every earlier one (``retro.marts.funnel``);
    payers and pay_events are open.

    Written in SQL (both engines run it; the Spark parity test compares them): from Ibis, the levels read the
    stored rows through shared subqueries, which DuckDB materialises as whole copies first (a third slower).
    """

    def build():
        rows = visitor_channel_period(t, p)

        def sql(compile, q):
            src = f"({compile(rows)})"
            visitor, channel, site, period = q("visitor_id"), q("channel"), q("site"), q("period")
            is_new, steps = q("is_new"), q("steps")
            folded = ", ".join([is_new, *(f"SUM({q(c)}) AS {q(c)}" for c in SUMS), f"BIT_OR({steps}) AS {steps}"])
            campaign = f"{period} <> 'baseline'"

            lv, kq = q("level"), q("key")

            def level(name, key, by_period):
                """One row per visitor at a level: per key (or all) and per period (or the whole campaign)."""
                keys = [visitor, *([key] if key else []), *([period] if by_period else []), is_new]
                key_sql = key or f"'{ALL}'"
                period_sql, where = (period, "") if by_period else (f"'{OVERALL}'", f" WHERE {campaign}")
                return (
                    f"SELECT '{name}' AS {lv}, {key_sql} AS {kq}, {period_sql} AS {period}, {folded} "
                    f"FROM {src} AS v{where} GROUP BY {', '.join(keys)}"
                )

            own = f"SELECT 'channel' AS {lv}, {channel} AS {kq}, {period}, {is_new}, "
            own += ", ".join([*(q(c) for c in SUMS), steps]) + f" FROM {src} AS v"
            levels = [
                own,  # one row per visitor, channel and period already
                level("channel", channel, False),
                level("site", site, True),
                level("site", site, False),
                level(ALL, None, True),
            ]
            funnel = f"{steps} <> 0 AND {campaign}"
            reached, closed = 0, []
            for step in STEPS:
                reached |= STEP_BITS[step]
                closed.append(f"COUNT(*) FILTER (WHERE {campaign} AND ({steps} & {reached}) = {reached}) AS {q(step)}")
            pay = STEP_BITS[STEPS[-1]]
            counts = ", ".join(
                [
                    f"CAST(SUM({q('pv')}) AS BIGINT) AS {q('pv')}",
                    f"COUNT(*) AS {q('uv')}",
                    f"COUNT(*) FILTER (WHERE {is_new}) AS {q('new_uv')}",
                    f"CAST(SUM({q('events')}) AS BIGINT) AS {q('events')}",
                    f"COUNT(*) FILTER (WHERE {funnel}) AS {q('visitors')}",
                    *closed,
                    f"COUNT(*) FILTER (WHERE {funnel} AND ({steps} & {pay}) = {pay}) AS {q('payers')}",
                    f"CAST(SUM({q('pay_events')}) FILTER (WHERE {funnel}) AS BIGINT) AS {q('pay_events')}",
                ]
            )
            # the whole campaign's row is there even without a visitor (its counts are 0, not missing)
            whole = level(ALL, None, False)
            return (
                f"SELECT {lv}, {kq}, {period}, {counts} FROM ({' UNION ALL '.join(levels)}) AS per "
                f"GROUP BY {lv}, {kq}, {period} "
                f"UNION ALL SELECT '{ALL}' AS {lv}, '{ALL}' AS {kq}, '{OVERALL}' AS {period}, {counts} "
                f"FROM ({whole}) AS per"
            )

        return t.query(sql)

    return t.shared("visitor_counts", build)


def union(parts):
    """Rows of several tables with the first one's columns."""
    out = parts[0]
    for part in parts[1:]:
        out = out.union(part.select(out.columns))
    return out
