"""Customer-service section: contacts, response times, complaints, returns, reasons, CSAT and NPS.

Contact volume is compared with the baseline's daily average; first response is shown as median and P90.

Reads the marts of ``retro.marts.service``. Response percentiles come exact from the engine for each row's
group (day, phase, baseline, whole campaign); rates are recomputed from the parts with ``retro.metrics``.
Complaint and return rates need the optional ``orders`` table, NPS the optional ``nps`` table.
``totals`` is shared with the goals section.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import charts, metrics
from .. import formatting as fmt
from ..context import FigureSet, SectionContext, shows
from ..display import Note, Table
from ..i18n import label_values, register

TYPES = ("return", "complaint", "consult")
NICE_SECONDS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400)

register(
    {
        "service.kpis": ("Customer service at a glance", "客服概览"),
        "service.col.figure": ("Figure", "指标"),
        "service.col.value": ("Value", "数值"),
        "service.col.period": ("Period", "时期"),
        "service.col.days": ("Days", "天数"),
        "service.col.tickets": ("Contacts (tickets)", "咨询量（工单）"),
        "service.col.per_day": ("Contacts per day", "日均咨询量"),
        "service.col.vs_baseline": ("vs baseline", "较日常"),
        "service.col.consults": ("Consults", "咨询"),
        "service.col.complaints": ("Complaints", "投诉"),
        "service.col.returns": ("Return requests", "退货申请"),
        "service.col.responded": ("Tickets with a response", "有响应工单"),
        "service.col.p50": ("Median", "中位数"),
        "service.col.p90": ("P90", "P90"),
        "service.col.mean": ("Mean", "平均"),
        "service.col.paid_orders": ("Paid orders", "支付订单"),
        "service.col.complaint_rate": ("Complaint rate", "客诉率"),
        "service.col.return_rate": ("Return-request rate", "退货申请率"),
        "service.col.type": ("Ticket type", "工单类型"),
        "service.col.reason": ("Reason", "原因"),
        "service.col.share": ("Share of type", "类型内占比"),
        "service.col.rated": ("Rated tickets", "评价工单"),
        "service.col.csat": ("CSAT (1-5)", "满意度（1-5星）"),
        "service.col.responses": ("NPS responses", "NPS答卷"),
        "service.col.promoters": ("Promoters (9-10)", "推荐者（9-10）"),
        "service.col.passives": ("Passives (7-8)", "中立者（7-8）"),
        "service.col.detractors": ("Detractors (0-6)", "贬损者（0-6）"),
        "service.col.nps": ("NPS", "NPS"),
        "service.col.reliable": ("Reliability", "可靠性"),
        "service.reliable.no": ("unreliable (< 30 responses)", "不可靠（答卷少于30）"),
        "service.reliable.yes": ("", ""),
        "service.type.consult": ("Consult", "咨询"),
        "service.type.complaint": ("Complaint", "投诉"),
        "service.type.return": ("Return / after-sales", "退货/售后"),
        "service.contacts_title": (
            "Service contacts per day (tickets created) vs the baseline daily average",
            "每日客服咨询量（新建工单）与日常日均对比",
        ),
        "service.axis.tickets": ("Tickets", "工单数"),
        "service.baseline_avg": ("Baseline daily average ({value})", "日常日均（{value}）"),
        "service.contacts_note": (
            "{tickets} contacts in the campaign, {per_day} per day: {lift} vs the baseline's {base} per day.",
            "活动期咨询量 {tickets}，日均 {per_day}，较日常日均 {base} {lift}。",
        ),
        "service.no_baseline": (
            "No baseline period in the YAML: the lift cannot be computed.",
            "YAML未设置日常对比期，无法计算较日常变化。",
        ),
        "service.contacts_table_title": ("Contacts by phase vs baseline", "分阶段咨询量与日常对比"),
        "service.response_title": (
            "First-response time per day: median and P90 (log scale)",
            "每日首次响应时长：中位数与P90（对数刻度）",
        ),
        "service.axis.response": ("First response", "首次响应时长"),
        "service.series.p50": ("Median", "中位数"),
        "service.series.p90": ("P90", "P90"),
        "service.response_table_title": ("First-response time by phase", "分阶段首次响应时长"),
        "service.response_note": (
            "Percentiles are computed over each period's tickets, not averaged from days.",
            "分位数按各时期的全部工单直接计算，而非按日平均。",
        ),
        "service.complaints_title": (
            "Complaints and return requests per paid order",
            "客诉率与退货申请率（每支付订单）",
        ),
        "service.complaints_note": (
            "Rates = tickets created in the period / paid orders (status paid) placed in it.",
            "比率 = 期内新建工单数 / 期内下单且已支付（状态为已支付）的订单数。",
        ),
        "service.no_orders": (
            "Complaint and return rates are n/a: the campaign's data has no orders table.",
            "客诉率与退货申请率为 n/a：本次活动数据未提供 orders（订单）表。",
        ),
        "service.reasons_title": (
            "Reasons by ticket type, campaign (top {n} per type + other)",
            "活动期各类工单原因（每类前{n} + 其他）",
        ),
        "service.no_tickets": ("No ticket was created in the campaign.", "活动期没有新建工单。"),
        "service.satisfaction_title": (
            "Satisfaction: CSAT (mean stars) and NPS",
            "满意度：CSAT（平均星级）与NPS",
        ),
        "service.satisfaction_note": (
            "CSAT = mean star rating (1-5) over rated tickets created in the period. NPS = % promoters "
            "(9-10) − % detractors (0-6), in points, flagged unreliable under 30 responses; surveys usually "
            "follow delivery, so the whole-campaign NPS counts answers from the campaign start to {n} days "
            "after its end (the retention window).",
            "CSAT = 期内新建且已评价工单的平均星级（1-5）。NPS = 推荐者占比（9-10分）− 贬损者占比（0-6分），"
            "单位为分，答卷少于30份标记为不可靠；调研通常在收货后发出，因此全周期NPS统计活动开始至结束后"
            "{n}天（留存观察期）内的答卷。",
        ),
        "service.period.after": ("Follow-up ({n} days after)", "活动后回访（{n}天）"),
        "service.col.ticket_count": ("Tickets", "工单数"),
        "service.no_nps": (
            "NPS not computed: the campaign's data has no nps survey table.",
            "未计算NPS：本次活动数据未提供 nps（调研）表。",
        ),
    }
)


def _per(ctx: SectionContext) -> pd.DataFrame:
    return ctx.mart("service_by_period").set_index("period")


def _order(ctx: SectionContext, index) -> list[str]:
    return [p for p in [ph.name for ph in ctx.params.phases] + ["overall", "baseline"] if p in set(index)]


def _paid_orders(ctx: SectionContext) -> pd.Series | None:
    if not ctx.has_mart("service_paid_orders"):
        return None
    return ctx.mart("service_paid_orders").set_index("period")["paid_orders"]


def _nps_by_period(ctx: SectionContext) -> dict[str, dict] | None:
    """metrics.nps of each period's answers, rebuilt from the per-score counts."""
    if not ctx.has_mart("service_nps"):
        return None
    n = ctx.mart("service_nps")
    out = {}
    for period, g in n.groupby("period"):
        out[period] = metrics.nps(np.repeat(g["score"].to_numpy(), g["responses"].astype("int64").to_numpy()))
    return out


def _row(per: pd.DataFrame, period: str, col: str):
    return per.loc[period, col] if period in per.index else None


def _lift(per: pd.DataFrame, period: str):
    cur = metrics.ratio(_row(per, period, "tickets"), _row(per, period, "days"))
    base = metrics.ratio(_row(per, "baseline", "tickets"), _row(per, "baseline", "days"))
    return metrics.change(cur, base)


def totals(ctx: SectionContext) -> dict:
    """Whole-campaign service figures computed from the marts (no recording)."""
    per = _per(ctx)
    get = lambda col: _row(per, "overall", col)  # noqa: E731
    paid = _paid_orders(ctx)
    paid_overall = paid.get("overall") if paid is not None else None
    nps = _nps_by_period(ctx)
    return {
        "contacts": get("tickets"),
        "contacts_lift": _lift(per, "overall"),
        "first_response_p50_seconds": get("response_p50_seconds"),
        "first_response_p90_seconds": get("response_p90_seconds"),
        "complaint_rate": metrics.ratio(get("complaints"), paid_overall) if paid is not None else None,
        "return_rate": metrics.ratio(get("returns"), paid_overall) if paid is not None else None,
        "csat": metrics.ratio(get("stars_sum"), get("rated")),
        "nps": nps.get("overall", metrics.nps([]))["nps"] if nps is not None else None,
    }


KPI_KEYS = (
    "contacts",
    "contacts_lift",
    "first_response_p50_seconds",
    "first_response_p90_seconds",
    "complaint_rate",
    "return_rate",
    "csat",
    "nps",
)


def figures(ctx: SectionContext) -> FigureSet:
    """The service figures the kit records; response times, lift and rates also per phase."""
    out = FigureSet("service")
    t = totals(ctx)
    per = _per(ctx)
    paid = _paid_orders(ctx)
    nps = _nps_by_period(ctx)
    for key in KPI_KEYS:
        if key == "nps" and nps is not None:
            out.add(key, t[key], responses=nps.get("overall", metrics.nps([]))["responses"])
        elif key in ("complaint_rate", "return_rate") and paid is not None:
            col = "complaints" if key == "complaint_rate" else "returns"
            out.add(key, t[key], numerator=_row(per, "overall", col), denominator=paid.get("overall"))
        else:
            out.add(key, t[key])
    for ph in (p.name for p in ctx.params.phases):
        out.add("contacts_lift", _lift(per, ph), segment=ph)
        out.add("first_response_p50_seconds", _row(per, ph, "response_p50_seconds"), segment=ph)
        out.add("first_response_p90_seconds", _row(per, ph, "response_p90_seconds"), segment=ph)
        out.add("csat", metrics.ratio(_row(per, ph, "stars_sum"), _row(per, ph, "rated")), segment=ph)
        if paid is not None:
            for key, col in (("complaint_rate", "complaints"), ("return_rate", "returns")):
                out.add(
                    key,
                    metrics.ratio(_row(per, ph, col), paid.get(ph)),
                    segment=ph,
                    numerator=_row(per, ph, col),
                    denominator=paid.get(ph),
                )
    return out


@shows()
def kpi_table(ctx: SectionContext) -> Table:
    """Headline service figures, as the section recorded them."""
    note = ctx.tr("service.no_orders") if _paid_orders(ctx) is None else ""
    return ctx.figures_table({k: ctx.figure(k) for k in KPI_KEYS}, ctx.tr("service.kpis"), note=note)


def _period_labels(index, ctx: SectionContext) -> list[str]:
    after = ctx.tr("service.period.after", n=ctx.params.settings.retention_days)
    return [
        after if p == "after" else label for p, label in zip(index, label_values(index, "phase", ctx.lang), strict=True)
    ]


@shows()
def contacts_chart(ctx: SectionContext) -> charts.Chart:
    """Tickets created per campaign day against the baseline's daily average (dashed line)."""
    d = ctx.mart("service_daily")
    per = _per(ctx)
    base = metrics.ratio(_row(per, "baseline", "tickets"), _row(per, "baseline", "days"))
    camp = d[d["period"] != "baseline"].assign(day=lambda x: pd.to_datetime(x["day"]))
    return charts.line(
        camp,
        "day",
        "tickets",
        title=ctx.tr("service.contacts_title"),
        unit="count",
        lang=ctx.lang,
        xlabel=ctx.tr("date"),
        ylabel=ctx.tr("service.axis.tickets"),
        reference=base,
        reference_label=ctx.tr("service.baseline_avg", value=ctx.fmt(base, "count")) if base is not None else "",
    )


@shows()
def contacts_note(ctx: SectionContext) -> Note:
    """Campaign contacts per day against the baseline's (+x%)."""
    per = _per(ctx)
    if "baseline" not in per.index:
        return Note(ctx.tr("service.no_baseline"))
    lift = _lift(per, "overall")
    return Note(
        ctx.tr(
            "service.contacts_note",
            tickets=ctx.fmt(_row(per, "overall", "tickets"), "count"),
            per_day=ctx.fmt(metrics.ratio(_row(per, "overall", "tickets"), _row(per, "overall", "days")), "count"),
            base=ctx.fmt(metrics.ratio(per.loc["baseline", "tickets"], per.loc["baseline", "days"]), "count"),
            lift=fmt.pct(lift, signed=True),
        )
    )


@shows()
def contacts_by_phase(ctx: SectionContext) -> Table:
    """Contacts per phase, per day and against the baseline per day, split by ticket type."""
    per = _per(ctx)
    per = per.reindex(_order(ctx, per.index))
    df = pd.DataFrame(
        {
            "period": _period_labels(per.index, ctx),
            "days": per["days"].to_numpy(),
            "tickets": per["tickets"].to_numpy(),
            "per_day": metrics.ratio_column(per["tickets"], per["days"]).to_numpy(),
            "vs_baseline": ["" if p == "baseline" else fmt.pct(_lift(per, p), signed=True) for p in per.index],
            "consults": per["consults"].to_numpy(),
            "complaints": per["complaints"].to_numpy(),
            "returns": per["returns"].to_numpy(),
        }
    )
    units = {
        "days": "count",
        "tickets": "count",
        "per_day": "count",
        "consults": "count",
        "complaints": "count",
        "returns": "count",
    }
    labels = {c: ctx.tr(f"service.col.{c}") for c in df.columns}
    return ctx.table(df, units, labels=labels, title=ctx.tr("service.contacts_table_title"))


@shows()
def response_chart(ctx: SectionContext) -> charts.Chart:
    """Median and P90 first-response time per campaign day: the tail the mean hides."""
    from matplotlib.dates import DateFormatter
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    d = ctx.mart("service_daily")
    d = d[d["period"] != "baseline"]
    day = pd.to_datetime(d["day"])
    fig, ax = charts.new_figure()
    for col, key, color in (
        ("response_p50_seconds", "service.series.p50", charts.PALETTE[0]),
        ("response_p90_seconds", "service.series.p90", charts.PALETTE[1]),
    ):
        ax.plot(day, d[col], marker="o", markersize=4, color=color, label=ctx.tr(key))
    values = pd.concat([d["response_p50_seconds"], d["response_p90_seconds"]]).dropna()
    if len(values) and (values > 0).all():
        ax.set_yscale("log")
        lo, hi = values.min() / 1.5, values.max() * 1.5
        ax.yaxis.set_major_locator(FixedLocator([v for v in NICE_SECONDS if lo <= v <= hi]))
        ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.duration(v, ctx.lang)))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_major_formatter(DateFormatter("%m-%d"))
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    return charts.finish(fig, ax, ctx.tr("service.response_title"), ctx.tr("date"), ctx.tr("service.axis.response"))


@shows()
def response_by_phase(ctx: SectionContext) -> Table:
    """Median, P90 and mean first response per phase, the baseline and the whole campaign."""
    per = _per(ctx)
    per = per.reindex(_order(ctx, per.index))
    df = pd.DataFrame(
        {
            "period": _period_labels(per.index, ctx),
            "responded": per["responded"].to_numpy(),
            "p50": per["response_p50_seconds"].to_numpy(),
            "p90": per["response_p90_seconds"].to_numpy(),
            "mean": metrics.ratio_column(per["response_seconds_sum"], per["responded"]).to_numpy(),
        }
    )
    units = {"responded": "count", "p50": "seconds", "p90": "seconds", "mean": "seconds"}
    labels = {c: ctx.tr(f"service.col.{c}") for c in df.columns}
    return ctx.table(
        df,
        units,
        labels=labels,
        title=ctx.tr("service.response_table_title"),
        note=ctx.tr("service.response_note"),
    )


@shows()
def complaints_table(ctx: SectionContext) -> Table | Note:
    """Complaint and return-request rates per paid order by phase, against the baseline."""
    paid = _paid_orders(ctx)
    if paid is None:
        return Note(ctx.tr("service.no_orders"))
    per = _per(ctx)
    per = per.reindex(_order(ctx, per.index))
    orders = paid.reindex(per.index)
    rate = metrics.ratio_column(per["complaints"], orders)
    base = metrics.ratio(_row(per, "baseline", "complaints"), paid.get("baseline"))
    df = pd.DataFrame(
        {
            "period": _period_labels(per.index, ctx),
            "paid_orders": orders.to_numpy(),
            "complaints": per["complaints"].to_numpy(),
            "complaint_rate": rate.to_numpy(),
            "vs_baseline": [
                "" if p == "baseline" else fmt.pct(metrics.change(r, base), signed=True)
                for p, r in zip(per.index, rate, strict=True)
            ],
            "returns": per["returns"].to_numpy(),
            "return_rate": metrics.ratio_column(per["returns"], orders).to_numpy(),
        }
    )
    units = {
        "paid_orders": "count",
        "complaints": "count",
        "complaint_rate": "pct",
        "returns": "count",
        "return_rate": "pct",
    }
    labels = {c: ctx.tr(f"service.col.{c}") for c in df.columns}
    return ctx.table(
        df,
        units,
        labels=labels,
        title=ctx.tr("service.complaints_title"),
        note=ctx.tr("service.complaints_note"),
    )


@shows()
def reasons_table(ctx: SectionContext) -> Table | Note:
    """After-sales, complaint and consult reasons in the campaign: top N per type plus other."""
    r = ctx.mart("service_reasons")
    if r.empty:
        return Note(ctx.tr("service.no_tickets"))
    n = ctx.params.settings.top_n
    parts = []
    types = [t for t in TYPES if t in set(r["ticket_type"])] + sorted(set(r["ticket_type"]) - set(TYPES))
    for t in types:
        g = r[r["ticket_type"] == t].sort_values(["tickets", "reason"], ascending=[False, True])
        top = charts.top_n_other(g, "reason", ["tickets"], n, ctx.lang)
        top["share"] = metrics.share(top["tickets"])
        top["ticket_type"] = label_values([t], "service.type", ctx.lang)[0]
        parts.append(top[["ticket_type", "reason", "tickets", "share"]])
    df = pd.concat(parts, ignore_index=True)
    labels = {
        "ticket_type": ctx.tr("service.col.type"),
        "reason": ctx.tr("service.col.reason"),
        "tickets": ctx.tr("service.col.ticket_count"),
        "share": ctx.tr("service.col.share"),
    }
    return ctx.table(
        df, {"tickets": "count", "share": "pct"}, labels=labels, title=ctx.tr("service.reasons_title", n=n)
    )


@shows()
def satisfaction(ctx: SectionContext) -> Table:
    """CSAT per period and, with the survey table, NPS with its shares and response count."""
    per = _per(ctx)
    nps = _nps_by_period(ctx)
    order = _order(ctx, per.index)
    if nps and "after" in nps:
        order.insert(order.index("overall") if "overall" in order else len(order), "after")
    per = per.reindex(order)
    df = pd.DataFrame(
        {
            "period": _period_labels(per.index, ctx),
            "rated": per["rated"].to_numpy(),
            "csat": metrics.ratio_column(per["stars_sum"], per["rated"]).to_numpy(),
        }
    )
    units = {"rated": "count", "csat": "score"}
    note = ctx.tr("service.satisfaction_note", n=ctx.params.settings.retention_days)
    if nps is None:
        note += " " + ctx.tr("service.no_nps")
    else:
        empty = metrics.nps([])
        rows = [nps.get(p, empty) for p in per.index]
        for col in ("responses", "promoters", "passives", "detractors", "nps"):
            df[col] = [np.nan if r[col] is None else r[col] for r in rows]
        df["reliable"] = [
            "" if r["responses"] == 0 else ctx.tr(f"service.reliable.{'yes' if r['reliable'] else 'no'}") for r in rows
        ]
        units |= {
            "responses": "count",
            "promoters": "pct",
            "passives": "pct",
            "detractors": "pct",
            "nps": "score",
        }
    labels = {c: ctx.tr(f"service.col.{c}") for c in df.columns}
    return ctx.table(df, units, labels=labels, title=ctx.tr("service.satisfaction_title"), note=note)
