"""Customer-service marts: contacts, first-response time, complaints and returns, reasons, CSAT and NPS.

Tickets are placed in a period by their created time. First-response percentiles are computed exactly by the
engine within each row's group (per day, per phase, the baseline and the whole campaign), never averaged from
finer rows. Complaint and return rates divide tickets created in a period by the paid orders (status paid)
placed in it, from the optional ``orders`` table; NPS reads the optional ``nps`` survey table, including
answers given in the follow-up days after the campaign.
"""

from __future__ import annotations

from datetime import timedelta

import ibis

from . import mart
from .common import between_days, in_campaign, is_paid, phase_of


def _ticket_parts(s):
    """Counts and sums of one group of tickets, plus its exact first-response median and P90."""
    frs = s.first_response_seconds
    return {
        "tickets": s.ticket_id.count(),
        "consults": s.ticket_id.count(where=s.ticket_type == "consult"),
        "complaints": s.ticket_id.count(where=s.ticket_type == "complaint"),
        "returns": s.ticket_id.count(where=s.ticket_type == "return"),
        "responded": frs.count(),
        "response_seconds_sum": frs.sum(),
        "response_p50_seconds": frs.median(),
        "response_p90_seconds": frs.quantile(0.9),
        "rated": s.satisfaction.count(),
        "stars_sum": s.satisfaction.sum(),
    }


def _days(p):
    days = {ph.name: ph.days for ph in p.phases} | {"overall": (p.end - p.start).days + 1}
    if p.baseline is not None:
        days["baseline"] = p.baseline.days
    return days


def _by_period(table, time_col: str, parts, p):
    """Rows per phase and the baseline, plus 'overall' (whole campaign), with each period's day count."""
    tt = table.mutate(period=phase_of(table[time_col], p))
    phased = tt.filter(tt.period.notnull())
    per_phase = phased.group_by("period").aggregate(**parts(phased))
    camp = tt.filter(in_campaign(tt[time_col], p))
    overall = camp.aggregate(**parts(camp)).mutate(period=ibis.literal("overall"))
    out = per_phase.union(overall.select(per_phase.columns))
    return out.mutate(days=out.period.cases(*_days(p).items(), else_=None).cast("int64"))


@mart("service_by_period", section="service", needs=("service",))
def service_by_period(t, p):
    """One row per phase, the baseline and 'overall' (whole campaign): tickets by type, response times, stars.

    Each row also carries its number of days, for contacts per day against the baseline.
    """
    return _by_period(t.service, "created_time", _ticket_parts, p)


@mart("service_daily", section="service", needs=("service",))
def service_daily(t, p):
    """One row per calendar day of the baseline and the campaign (by created time), percentiles per day."""
    s = t.service
    s = s.mutate(period=phase_of(s.created_time, p), day=s.created_time.date())
    s = s.filter(s.period.notnull())
    return s.group_by(["day", "period"]).aggregate(**_ticket_parts(s)).order_by("day")


@mart("service_reasons", section="service", needs=("service",))
def service_reasons(t, p):
    """Tickets created in the campaign by type and reason (a missing reason is '(not given)')."""
    s = t.service
    s = s.filter(in_campaign(s.created_time, p))
    s = s.mutate(reason=s.reason.fill_null("(not given)"))
    return (
        s.group_by(["ticket_type", "reason"])
        .aggregate(tickets=s.ticket_id.count())
        .order_by(["ticket_type", ibis.desc("tickets"), "reason"])
    )


@mart("service_paid_orders", section="service", needs=("orders",))
def service_paid_orders(t, p):
    """Paid orders (status paid) placed per phase, the baseline and 'overall' (complaint-rate denominator)."""
    o = t.orders
    return _by_period(o, "order_time", lambda x: {"paid_orders": x.order_id.count(where=is_paid(x))}, p)


@mart("service_nps", section="service", needs=("nps",))
def service_nps(t, p):
    """Survey answers per period and score 0-10: the parts of NPS.

    Surveys usually follow delivery, so besides the phases and the baseline there is an 'after' period (the
    ``settings.retention_days`` days after the campaign ends); 'overall' runs from the campaign start to the
    end of that follow-up.
    """
    n = t.nps
    n = n.filter(n.score.notnull())
    follow_end = p.end + timedelta(days=p.settings.retention_days)
    after = between_days(n.survey_time, p.end_exclusive, follow_end)
    tt = n.mutate(period=phase_of(n.survey_time, p).fill_null(ibis.cases((after, "after"), else_=None)))
    phased = tt.filter(tt.period.notnull())
    per_phase = phased.group_by(["period", "score"]).aggregate(responses=phased.count())
    camp = tt.filter(between_days(tt.survey_time, p.start, follow_end))
    overall = camp.group_by("score").aggregate(responses=camp.count()).mutate(period=ibis.literal("overall"))
    return per_phase.union(overall.select(per_phase.columns)).order_by(["period", "score"])
