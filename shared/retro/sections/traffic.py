"""Traffic section: PV and UV by channel and day, on-site vs off-site, new visitors, bounce, dwell, UV value.

Reads the marts of ``retro.marts.traffic``. UV is distinct at the level each table or chart shows (per day,
per phase, over the whole campaign) and every title says which; ratios are computed from the marts' parts
with ``retro.metrics``. ``totals`` is shared with the goals section so both show the same numbers.
"""

from __future__ import annotations

import pandas as pd

from .. import charts, metrics
from .. import formatting as fmt
from ..comparison import align_daily, phases_of
from ..context import FigureSet, SectionContext, shows
from ..display import Note, Omitted, Table
from ..i18n import label_values, register

ALL, OVERALL = "all", "overall"

register(
    {
        "traffic.kpis": (
            "Traffic at a glance (UV distinct over the whole campaign)",
            "流量概览（UV为活动期去重）",
        ),
        "traffic.col.figure": ("Figure", "指标"),
        "traffic.col.value": ("Value", "数值"),
        "traffic.col.channel": ("Channel", "渠道"),
        "traffic.col.period": ("Period", "时期"),
        "traffic.col.days": ("Days", "天数"),
        "traffic.col.uv": ("UV", "UV"),
        "traffic.col.uv_share": ("Share of campaign UV", "占活动UV比例"),
        "traffic.col.pv": ("PV", "PV"),
        "traffic.col.pv_per_uv": ("PV per UV", "人均浏览量"),
        "traffic.col.daily_uv": ("Average daily UV", "日均UV"),
        "traffic.col.daily_pv": ("Average daily PV", "日均PV"),
        "traffic.col.uv_vs_baseline": ("Daily UV vs baseline", "日均UV较日常"),
        "traffic.col.new_uv": ("New visitors", "新访客"),
        "traffic.col.returning_uv": ("Returning visitors", "老访客"),
        "traffic.col.new_share": ("New visitors' share", "新访客占比"),
        "traffic.col.onsite_uv": ("On-site UV", "站内UV"),
        "traffic.col.offsite_uv": ("Off-site UV", "站外UV"),
        "traffic.col.offsite_uv_share": ("Off-site share of UV", "站外UV占比"),
        "traffic.col.offsite_pv_share": ("Off-site share of PV", "站外PV占比"),
        "traffic.col.sessions": ("Sessions", "会话数"),
        "traffic.col.bounced_sessions": ("Single-event sessions", "单事件会话"),
        "traffic.col.bounce_rate": ("Bounce rate", "跳失率"),
        "traffic.col.avg_dwell": ("Average dwell per session", "平均停留时长（每会话）"),
        "traffic.col.gmv": ("GMV", "GMV"),
        "traffic.col.orders": ("Orders placed", "下单数"),
        "traffic.col.uv_value": ("UV value (GMV / UV)", "UV价值（GMV/UV）"),
        "traffic.all_channels": ("All channels", "全部渠道"),
        "traffic.channel_title": (
            "PV and UV by channel (UV distinct over the whole campaign)",
            "分渠道PV与UV（UV为活动期去重）",
        ),
        "traffic.channel_note": (
            "A visitor who came through several channels counts once in each, so channel UVs add up to more "
            "than the campaign UV.",
            "同一访客经多个渠道进入时在每个渠道各计一次，因此各渠道UV之和大于活动UV。",
        ),
        "traffic.daily_pv_title": (
            "Daily PV by channel (view events per day)",
            "每日分渠道PV（每日浏览事件数）",
        ),
        "traffic.daily_channel_title": (
            "Daily UV by channel (distinct visitors per day and channel; top {n})",
            "每日分渠道UV（按日、按渠道去重；前{n}）",
        ),
        "traffic.daily_uv_title_vs": (
            "Daily UV against {labels}, by phase day (distinct visitors per day)",
            "每日UV对比{labels}，按阶段内天数对齐（按日去重访客）",
        ),
        "traffic.daily_uv_title": (
            "Daily UV vs the baseline average (distinct visitors per day)",
            "每日UV与日常均值（按日去重访客）",
        ),
        "traffic.series.uv": ("Daily UV", "每日UV"),
        "traffic.baseline_avg": ("Baseline average daily UV ({value})", "日常日均UV（{value}）"),
        "traffic.lift_note": (
            "Average daily UV: {campaign} in the campaign vs {baseline} on baseline days ({change}; daily UV "
            "is distinct per day).",
            "日均UV：活动期 {campaign}，日常 {baseline}（{change}；每日UV为按日去重）。",
        ),
        "traffic.no_baseline": (
            "No baseline period or no baseline traffic: the comparison with ordinary days is skipped.",
            "未设置日常对照期或日常无流量数据，跳过与日常的对比。",
        ),
        "traffic.phase_title": (
            "UV by phase vs the daily baseline (UV distinct within each period; daily average = sum of "
            "distinct-per-day UV / calendar days)",
            "分阶段UV与日常对比（UV为各时期内去重；日均 = 每日去重UV之和 / 自然日数）",
        ),
        "traffic.site_title": (
            "On-site vs off-site traffic by phase (UV distinct within each period)",
            "分阶段站内与站外流量（UV为各时期内去重）",
        ),
        "traffic.site_note": (
            "Off-site channels: {channels}. A visitor seen on both sides counts "
            "on each, so on-site and off-site UV add up to more than the total.",
            "站外渠道：{channels}。同时出现在站内和站外的访客两边各计一次，因此站内与站外UV之和大于总UV。",
        ),
        "traffic.new_title": (
            "New vs returning visitors by channel (UV distinct over the whole campaign)",
            "分渠道新老访客（UV为活动期去重）",
        ),
        "traffic.new_note": (
            "New visitor = first seen in the data during the campaign: the events reach back only to "
            "{first}, so a visitor whose earlier visits were before that counts as new. {orders}",
            "新访客 = 活动期内在数据中首次出现的访客：行为数据最早只到 {first}，"
            "更早来访过的访客也会被算作新访客。{orders}",
        ),
        "traffic.new_orders_checked": (
            "Visitors who are users with a paid order before the campaign count as returning.",
            "活动前有过已支付订单的用户计为老访客。",
        ),
        "traffic.new_orders_unchecked": (
            "No orders table: earlier buyers could not be recognised.",
            "未提供订单表，无法识别活动前的老买家。",
        ),
        "traffic.bounce_title": (
            "Bounce rate and dwell time by channel (sessions of the campaign)",
            "分渠道跳失率与停留时长（活动期会话）",
        ),
        "traffic.session_note": (
            "A session is the source's session id and belongs to the channel of its first event; bounce rate "
            "= sessions with exactly one event / sessions; dwell = sum of dwell seconds / sessions.",
            "会话取数据中的会话编号，归属其首个事件的渠道；"
            "跳失率 = 仅一个事件的会话 / 会话数；平均停留 = 停留秒数之和 / 会话数。",
        ),
        "traffic.session_derived": (
            " {n} of {total} sessions have no session id in the source, where others have one: there each "
            "visitor-day counts as one session.",
            " 其中 {n} / {total} 个会话在数据中没有会话编号（其余会话有）：这部分按“访客×自然日”计为一个会话。",
        ),
        "traffic.session_rule": (
            " The log has no session ids: a visitor's next event more than {gap} minutes after the previous one "
            "starts a new session.",
            " 数据中没有会话编号：访客距上一事件超过 {gap} 分钟的事件开始一个新会话。",
        ),
        "traffic.session_hours": (
            " Event times are to the hour only, so each visitor-hour of activity is one session: sessions and "
            "bounce rate are approximate.",
            " 行为时间仅精确到小时，每个访客每小时的行为计为一个会话：会话数与跳失率为近似值。",
        ),
        "traffic.uv_value_title": (
            "UV value by channel (GMV of orders placed / UV distinct over the campaign)",
            "分渠道UV价值（下单GMV / 活动期去重UV）",
        ),
        "traffic.no_orders": (
            "UV value is not shown: the campaign's data has no orders table.",
            "未提供订单表，无法计算UV价值。",
        ),
        "traffic.axis.uv": ("UV (distinct visitors)", "UV（去重访客）"),
        "traffic.axis.pv": ("PV (view events)", "PV（浏览事件）"),
    }
)


# --- helpers ---------------------------------------------------------------------------------------
def _row(df: pd.DataFrame, key: str, value: str, period: str = OVERALL) -> pd.Series | None:
    """The mart row of one segment (``key`` column = value) and period, or None."""
    hit = df[(df[key] == value) & (df["period"] == period)]
    return hit.iloc[0] if len(hit) else None


def _get(row: pd.Series | None, col: str):
    """A mart value as a plain Python number (None when the row or value is missing)."""
    v = None if row is None else row.get(col)
    return None if v is None or pd.isna(v) else (v.item() if hasattr(v, "item") else v)


def _days(ctx: SectionContext) -> dict[str, int]:
    """Calendar days of each period the marts use."""
    p = ctx.params
    out = {ph.name: ph.days for ph in p.phases} | {OVERALL: (p.end - p.start).days + 1}
    if p.baseline is not None:
        out["baseline"] = p.baseline.days
    return out


def _channel_names(ctx: SectionContext, codes) -> list[str]:
    return [
        ctx.tr("traffic.all_channels") if c == ALL else n
        for c, n in zip(codes, label_values(codes, "channel", ctx.lang), strict=True)
    ]


def _campaign_channels(df: pd.DataFrame, sort_by: str) -> pd.DataFrame:
    """Whole-campaign rows per channel, largest first, then the pooled 'all' row."""
    camp = df[df["period"] == OVERALL]
    per = camp[camp["channel"] != ALL].sort_values([sort_by, "channel"], ascending=[False, True])
    return pd.concat([per, camp[camp["channel"] == ALL]], ignore_index=True)


def _daily_average_uv(ctx: SectionContext) -> tuple[float | None, float | None]:
    """(campaign, baseline) average daily UV: distinct-per-day UV summed over the period / calendar days."""
    d = ctx.mart("traffic_daily")
    d = d[d["channel"] == ALL]
    days = _days(ctx)
    camp = metrics.ratio(d.loc[d["period"] != "baseline", "uv"].sum(), days[OVERALL])
    if "baseline" not in days:
        return camp, None
    base = metrics.ratio(d.loc[d["period"] == "baseline", "uv"].sum(), days["baseline"])
    return camp, (base or None)


def _campaign_days(df: pd.DataFrame) -> pd.DataFrame:
    out = df[df["period"] != "baseline"].copy()
    out["day"] = pd.to_datetime(out["day"]) + pd.Timedelta(hours=12)  # centre points in their day's band
    return out


# --- figures ---------------------------------------------------------------------------------------
def totals(ctx: SectionContext) -> dict:
    """Whole-campaign traffic figures computed from the marts (no recording)."""
    ch = ctx.mart("traffic_by_channel")
    pooled = _row(ch, "channel", ALL)
    uv, pv, new_uv = _get(pooled, "uv"), _get(pooled, "pv"), _get(pooled, "new_uv")
    camp_daily, base_daily = _daily_average_uv(ctx)
    off = _row(ctx.mart("traffic_by_site"), "site", "offsite")
    sess = _row(ctx.mart("traffic_sessions"), "channel", ALL)
    gmv = _get(_row(ctx.mart("traffic_gmv"), "channel", ALL), "gmv") if ctx.has_mart("traffic_gmv") else None
    return {
        "uv": uv,
        "pv": pv,
        "uv_lift": metrics.change(camp_daily, base_daily),
        "uv_value": metrics.ratio(gmv, uv),
        "offsite_uv_share": metrics.ratio(_get(off, "uv") or 0, uv),
        "bounce_rate": metrics.ratio(_get(sess, "bounced_sessions"), _get(sess, "sessions")),
        "avg_dwell_seconds": metrics.ratio(_get(sess, "dwell_seconds"), _get(sess, "sessions")),
        "new_visitor_share": metrics.ratio(new_uv, uv),
        "campaign_daily_uv": camp_daily,
        "baseline_daily_uv": base_daily,
        "gmv": gmv,
    }


KPI_KEYS = (
    "uv",
    "pv",
    "uv_lift",
    "offsite_uv_share",
    "new_visitor_share",
    "bounce_rate",
    "avg_dwell_seconds",
    "uv_value",
)


def figures(ctx: SectionContext) -> FigureSet:
    """The traffic figures the kit records (bounce rate also per channel)."""
    out = FigureSet("traffic")
    t = totals(ctx)
    sess = _row(ctx.mart("traffic_sessions"), "channel", ALL)
    sessions = _get(sess, "sessions")
    parts = {
        "uv_lift": {"campaign_daily_uv": t["campaign_daily_uv"], "baseline_daily_uv": t["baseline_daily_uv"]},
        "uv_value": {"gmv": t["gmv"], "uv": t["uv"]},
        "bounce_rate": {"bounced": _get(sess, "bounced_sessions"), "sessions": sessions},
        "avg_dwell_seconds": {"dwell_seconds": _get(sess, "dwell_seconds"), "sessions": sessions},
    }
    for key in KPI_KEYS:
        out.add(key, t[key], **parts.get(key, {}))
    s = ctx.mart("traffic_sessions")
    for r in s[(s["period"] == OVERALL) & (s["channel"] != ALL)].itertuples():
        out.add(
            "bounce_rate",
            metrics.ratio(r.bounced_sessions, r.sessions),
            segment=r.channel,
            bounced=r.bounced_sessions,
            sessions=r.sessions,
        )
    return out


@shows()
def kpi_table(ctx: SectionContext) -> Table:
    """Headline traffic figures, as the section recorded them."""
    return ctx.figures_table({k: ctx.figure(k) for k in KPI_KEYS}, ctx.tr("traffic.kpis"))


# --- PV and UV by channel and day ------------------------------------------------------------------
@shows()
def channel_table(ctx: SectionContext) -> Table:
    """UV and PV per channel over the whole campaign, with each channel's share of the campaign UV."""
    c = _campaign_channels(ctx.mart("traffic_by_channel"), "uv")
    total = _get(_row(c, "channel", ALL), "uv")
    df = pd.DataFrame(
        {
            "channel": _channel_names(ctx, c["channel"]),
            "uv": c["uv"].to_numpy(),
            "uv_share": metrics.ratio_column(c["uv"], pd.Series(total, index=c.index)).to_numpy(),
            "pv": c["pv"].to_numpy(),
            "pv_per_uv": metrics.ratio_column(c["pv"], c["uv"]).to_numpy(),
        }
    )
    units = {"uv": "count", "uv_share": "pct", "pv": "count", "pv_per_uv": "ratio"}
    return ctx.table(
        df,
        units,
        labels={k: ctx.tr(f"traffic.col.{k}") for k in df.columns},
        title=ctx.tr("traffic.channel_title"),
        note=ctx.tr("traffic.channel_note"),
    )


@shows()
def daily_pv_chart(ctx: SectionContext) -> charts.Chart:
    """PV per campaign day stacked by channel (top N channels by PV, the rest as "other"): PV is additive."""
    d = _campaign_days(ctx.mart("traffic_daily"))
    d = d[d["channel"] != ALL]
    n = ctx.params.settings.top_n
    ranked = d.groupby("channel")["pv"].sum().sort_values(ascending=False, kind="stable")
    keep = list(ranked.index[:n])
    names = dict(zip(keep, _channel_names(ctx, keep), strict=True))
    d["name"] = [names.get(c, ctx.tr("other")) for c in d["channel"]]
    wide = d.pivot_table(index="day", columns="name", values="pv", aggfunc="sum", fill_value=0)
    order = [x for x in names.values() if x in wide.columns]
    wide = wide[order + [x for x in wide.columns if x not in order]]
    fig, ax = charts.new_figure()
    bottom = pd.Series(0.0, index=wide.index)
    for i, name in enumerate(wide.columns):
        ax.bar(
            wide.index,
            wide[name],
            bottom=bottom,
            width=0.8,
            label=name,
            color=charts.PALETTE[i % len(charts.PALETTE)],
        )
        bottom = bottom + wide[name]
    ax.set_ylim(0, float(bottom.max() or 1) * 1.25)  # headroom for the legend
    ax.yaxis.set_major_formatter(charts.axis_formatter("count", ctx.lang))
    ax.legend(fontsize=8, ncols=min(len(wide.columns), 5), loc="upper left")
    fig.autofmt_xdate()
    return charts.finish(fig, ax, ctx.tr("traffic.daily_pv_title"), ctx.tr("date"), ctx.tr("traffic.axis.pv"))


@shows()
def daily_channel_chart(ctx: SectionContext) -> charts.Chart:
    """UV per campaign day and channel; distinct counts do not add, so only the top N channels are drawn."""
    d = _campaign_days(ctx.mart("traffic_daily"))
    d = d[d["channel"] != ALL]
    n = ctx.params.settings.top_n
    top = _campaign_channels(ctx.mart("traffic_by_channel"), "uv")
    keep = [c for c in top["channel"] if c != ALL][:n]
    d = d[d["channel"].isin(keep)].copy()
    n = len(keep)
    names = _channel_names(ctx, keep)
    d["channel_name"] = pd.Categorical(_channel_names(ctx, d["channel"]), categories=names)
    d = d.sort_values(["channel_name", "day"])
    chart = charts.line(
        d,
        "day",
        "uv",
        hue="channel_name",
        title=ctx.tr("traffic.daily_channel_title", n=n),
        unit="count",
        lang=ctx.lang,
        xlabel=ctx.tr("date"),
        ylabel=ctx.tr("traffic.axis.uv"),
    )
    if isinstance(chart, Omitted):  # nothing to draw: the line says so
        return chart
    ax = chart.figure.axes[0]
    legend = ax.get_legend()
    if legend is not None:
        legend.set_title(None)
    return chart


# --- on-site vs off-site ---------------------------------------------------------------------------
@shows()
def site_table(ctx: SectionContext) -> Table:
    """On-site and off-site UV per phase and overall, with the off-site share of UV and of PV."""
    s = ctx.mart("traffic_by_site")
    periods = [ph.name for ph in ctx.params.phases] + [OVERALL]
    rows = []
    for period in periods:
        on, off, pooled = (_row(s, "site", k, period) for k in ("onsite", "offsite", ALL))
        rows.append(
            {
                "period": period,
                "onsite_uv": _get(on, "uv") or 0,
                "offsite_uv": _get(off, "uv") or 0,
                "uv": _get(pooled, "uv") or 0,
                "offsite_uv_share": metrics.ratio(_get(off, "uv") or 0, _get(pooled, "uv")),
                "offsite_pv_share": metrics.ratio(_get(off, "pv") or 0, _get(pooled, "pv")),
            }
        )
    df = pd.DataFrame(rows)
    df["period"] = label_values(df["period"], "phase", ctx.lang)
    units = {
        "onsite_uv": "count",
        "offsite_uv": "count",
        "uv": "count",
        "offsite_uv_share": "pct",
        "offsite_pv_share": "pct",
    }
    channels = ", ".join(label_values(ctx.params.settings.offsite_channels, "channel", ctx.lang)) or "-"
    return ctx.table(
        df,
        units,
        labels={k: ctx.tr(f"traffic.col.{k}") for k in df.columns},
        title=ctx.tr("traffic.site_title"),
        note=ctx.tr("traffic.site_note", channels=channels),
    )


# --- new vs returning ------------------------------------------------------------------------------
@shows()
def new_vs_returning(ctx: SectionContext) -> Table:
    """New and returning visitors per channel, with how far back "first seen in the data" can look."""
    c = _campaign_channels(ctx.mart("traffic_by_channel"), "uv")
    df = pd.DataFrame(
        {
            "channel": _channel_names(ctx, c["channel"]),
            "uv": c["uv"].to_numpy(),
            "new_uv": c["new_uv"].to_numpy(),
            "returning_uv": (c["uv"] - c["new_uv"]).to_numpy(),
            "new_share": metrics.ratio_column(c["new_uv"], c["uv"]).to_numpy(),
        }
    )
    cov = ctx.mart("traffic_coverage").iloc[0]
    first = cov["first_event_time"]
    first = pd.Timestamp(first).strftime("%Y-%m-%d") if pd.notna(first) else "n/a"
    orders = ctx.tr(f"traffic.new_orders_{'checked' if bool(cov['orders_checked']) else 'unchecked'}")
    note = ctx.tr("traffic.new_note", first=first, orders=orders)
    units = {"uv": "count", "new_uv": "count", "returning_uv": "count", "new_share": "pct"}
    return ctx.table(
        df,
        units,
        labels={k: ctx.tr(f"traffic.col.{k}") for k in df.columns},
        title=ctx.tr("traffic.new_title"),
        note=note,
    )


# --- bounce and dwell ------------------------------------------------------------------------------
@shows()
def bounce_dwell(ctx: SectionContext) -> Table:
    """Sessions, bounce rate and average dwell per channel, volumes beside the rates."""
    s = _campaign_channels(ctx.mart("traffic_sessions"), "sessions")
    df = pd.DataFrame(
        {
            "channel": _channel_names(ctx, s["channel"]),
            "sessions": s["sessions"].to_numpy(),
            "bounced_sessions": s["bounced_sessions"].to_numpy(),
            "bounce_rate": metrics.ratio_column(s["bounced_sessions"], s["sessions"]).to_numpy(),
            "avg_dwell": metrics.ratio_column(s["dwell_seconds"], s["sessions"]).to_numpy(),
        }
    )
    note = ctx.tr("traffic.session_note")
    pooled = _row(s, "channel", ALL)
    derived = int(_get(pooled, "derived_sessions") or 0)
    if derived:
        note += ctx.tr(
            "traffic.session_derived",
            n=ctx.fmt(derived, "count"),
            total=ctx.fmt(_get(pooled, "sessions"), "count"),
        )
    if int(_get(pooled, "rule_sessions") or 0):
        note += ctx.tr("traffic.session_rule", gap=ctx.params.settings.session_gap_minutes)
        if not ctx.has("event_minutes"):
            note += ctx.tr("traffic.session_hours")
    units = {"sessions": "count", "bounced_sessions": "count", "bounce_rate": "pct", "avg_dwell": "seconds"}
    return ctx.table(
        df,
        units,
        labels={k: ctx.tr(f"traffic.col.{k}") for k in df.columns},
        title=ctx.tr("traffic.bounce_title"),
        note=note,
    )


# --- UV value --------------------------------------------------------------------------------------
@shows()
def uv_value_table(ctx: SectionContext) -> Table | Note:
    """GMV per visitor by channel: which channels bring valuable traffic, not only more of it."""
    if not ctx.has_mart("traffic_gmv"):
        return Note(ctx.tr("traffic.no_orders"))
    c = _campaign_channels(ctx.mart("traffic_by_channel"), "uv")[["channel", "uv"]]
    g = ctx.mart("traffic_gmv")
    g = g[g["period"] == OVERALL][["channel", "gmv", "orders"]]
    m = c.merge(g, on="channel", how="outer")
    m = pd.concat(
        [
            m[m["channel"] != ALL].sort_values(["gmv", "channel"], ascending=[False, True]),
            m[m["channel"] == ALL],
        ],
        ignore_index=True,
    )
    df = pd.DataFrame(
        {
            "channel": _channel_names(ctx, m["channel"]),
            "uv": m["uv"].fillna(0).to_numpy(),
            "orders": m["orders"].fillna(0).to_numpy(),
            "gmv": m["gmv"].fillna(0).to_numpy(),
            "uv_value": metrics.ratio_column(m["gmv"].fillna(0), m["uv"]).to_numpy(),
        }
    )
    units = {"uv": "count", "orders": "count", "gmv": "money", "uv_value": "money"}
    return ctx.table(
        df,
        units,
        labels={k: ctx.tr(f"traffic.col.{k}") for k in df.columns},
        title=ctx.tr("traffic.uv_value_title"),
    )


# --- UV vs baseline --------------------------------------------------------------------------------
@shows()
def phase_table(ctx: SectionContext) -> Table:
    """UV and PV per phase with the average daily UV against the baseline's."""
    ch = ctx.mart("traffic_by_channel")
    d = ctx.mart("traffic_daily")
    d = d[d["channel"] == ALL]
    days = _days(ctx)
    _, base_daily = _daily_average_uv(ctx)
    order = (["baseline"] if "baseline" in days else []) + [ph.name for ph in ctx.params.phases] + [OVERALL]
    rows = []
    for period in order:
        r = _row(ch, "channel", ALL, period)
        daily_sum = (
            d.loc[d["period"] != "baseline", "uv"].sum()
            if period == OVERALL
            else d.loc[d["period"] == period, "uv"].sum()
        )
        daily_uv = metrics.ratio(daily_sum, days[period])
        daily_pv = metrics.ratio(_get(r, "pv") or 0, days[period])
        rows.append(
            {
                "period": period,
                "days": days[period],
                "uv": _get(r, "uv") or 0,
                "daily_uv": None if daily_uv is None else round(daily_uv),  # whole visitors per day
                "uv_vs_baseline": metrics.change(daily_uv, base_daily) if period != "baseline" else None,
                "pv": _get(r, "pv") or 0,
                "daily_pv": None if daily_pv is None else round(daily_pv),
            }
        )
    df = pd.DataFrame(rows)
    df["period"] = label_values(df["period"], "phase", ctx.lang)
    units = {
        "days": "count",
        "uv": "count",
        "daily_uv": "count",
        "uv_vs_baseline": "pct",
        "pv": "count",
        "daily_pv": "count",
    }
    return ctx.table(
        df,
        units,
        labels={k: ctx.tr(f"traffic.col.{k}") for k in df.columns},
        title=ctx.tr("traffic.phase_title"),
    )


@shows()
def daily_uv_chart(ctx: SectionContext) -> charts.Chart:
    """UV per campaign day (all channels) against the baseline's average daily UV as a dashed line.

    With comparisons in the YAML, by phase day, each comparison's daily UV dashed beside it.
    """
    if ctx.comparisons:
        return _daily_uv_chart_vs(ctx)
    d = _campaign_days(ctx.mart("traffic_daily"))
    d = d[d["channel"] == ALL].sort_values("day")
    _, base_daily = _daily_average_uv(ctx)
    fig, ax = charts.new_figure()
    charts.shade_phases(ax, ctx.params.phases, ctx.lang)
    ax.plot(
        d["day"],
        d["uv"],
        color=charts.PALETTE[0],
        marker="o",
        markersize=4,
        label=ctx.tr("traffic.series.uv"),
    )
    if base_daily is not None:
        ax.axhline(
            base_daily,
            color="#C00000",
            linestyle="--",
            linewidth=1,
            label=ctx.tr("traffic.baseline_avg", value=ctx.fmt(round(base_daily), "count")),
        )
    top = max(float(d["uv"].max()) if len(d) else 0.0, base_daily or 0.0)
    ax.set_ylim(0, (top or 1.0) * 1.35)  # headroom for the legend
    ax.yaxis.set_major_formatter(charts.axis_formatter("count", ctx.lang))
    ax.legend(fontsize=8, ncols=3, loc="upper left")
    fig.autofmt_xdate()
    return charts.finish(fig, ax, ctx.tr("traffic.daily_uv_title"), ctx.tr("date"), ctx.tr("traffic.axis.uv"))


def _daily_uv_chart_vs(ctx: SectionContext) -> charts.Chart:
    """Daily UV (all channels) by phase day against each comparison's, and this campaign's baseline average."""

    def pooled(daily: pd.DataFrame) -> pd.DataFrame:
        return daily[daily["channel"] == ALL]

    series = [("uv", pooled(ctx.mart("traffic_daily")), phases_of(ctx.params), "uv")]
    lines = [{"column": "uv", "label": ctx.tr("traffic.series.uv")}]
    shown = []
    for i, other in enumerate(ctx.comparisons):
        theirs = other.mart("traffic_daily")
        if theirs is None:
            continue
        series.append((f"compare{i}", pooled(theirs), other.phases, "uv"))
        label = ctx.tr("compare.series", series=ctx.tr("traffic.series.uv"), label=other.label)
        lines.append({"column": f"compare{i}", "label": label, "dashed": True, "color": charts.PALETTE[2 + i % 6]})
        shown.append(other.label)
    _, base_daily = _daily_average_uv(ctx)
    return charts.phase_day_lines(
        align_daily(series),
        lines,
        title=ctx.tr("traffic.daily_uv_title_vs", labels=", ".join(shown) or "-"),
        unit="count",
        lang=ctx.lang,
        xlabel=ctx.tr("compare.phase_day"),
        ylabel=ctx.tr("traffic.axis.uv"),
        reference=base_daily,
        reference_label=(
            ctx.tr("traffic.baseline_avg", value=ctx.fmt(round(base_daily), "count")) if base_daily else ""
        ),
    )


@shows()
def baseline_note(ctx: SectionContext) -> Note:
    """One sentence on the campaign's daily UV against ordinary days (or why it cannot be said)."""
    t = totals(ctx)
    if t["baseline_daily_uv"] is None:
        return Note(ctx.tr("traffic.no_baseline"))
    return Note(
        ctx.tr(
            "traffic.lift_note",
            campaign=ctx.fmt(round(t["campaign_daily_uv"]), "count"),
            baseline=ctx.fmt(round(t["baseline_daily_uv"]), "count"),
            change=fmt.pct(t["uv_lift"], signed=True),
        )
    )
