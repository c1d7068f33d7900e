"""Charts with one seaborn theme, a CJK font and 2x resolution, embedded as PNG in the page.

Figures are built with ``matplotlib.figure.Figure`` (not pyplot), so a notebook shows each chart once,
as the ``Chart`` the section function returns; the analyst can still reach ``chart.figure`` to tweak it.
Category axes are limited to the top N plus "other" so a 10 000-category table stays readable.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging

import matplotlib
import pandas as pd

matplotlib.use("Agg")

import seaborn as sns  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import Formatter  # noqa: E402

from . import formatting as fmt  # noqa: E402
from .display import Omitted  # noqa: E402
from .i18n import register, tr  # noqa: E402
from .paths import cjk_font_path  # noqa: E402

register({"chart.no_data": ("{title}: no data to draw.", "{title}：没有可绘制的数据。")})
_LANG = {"lang": "en"}  # the report language of this kernel's charts, set by setup_theme
_MOMENTS: list = []  # the campaign's moments (YAML ``moments``), drawn on every time-series chart

CJK_FONT = "Noto Sans CJK SC"
DPI = 200  # 2x of the 100 dpi the page lays the image out at
PALETTE = ["#2F5597", "#ED7D31", "#70AD47", "#7F6084", "#FFC000", "#5B9BD5", "#A5A5A5", "#C00000"]
_theme_ready = False


def set_moments(moments) -> None:
    """The moments (``retro.params.Moment``) that every chart with a time axis marks from now on."""
    _MOMENTS[:] = list(moments)


MOMENT_COLORS = {"incident": "#C00000", "stock_out": "#C55A11"}


def mark_moments(ax) -> int:
    """Draw the moments that fall inside a time axis: a line (a span for a range) and its label; how many."""
    import matplotlib.dates as mdates

    if not _MOMENTS or not isinstance(ax.xaxis.get_major_locator(), mdates.DateLocator):
        return 0
    low, high = (mdates.num2date(x).replace(tzinfo=None) for x in ax.get_xlim())
    drawn = 0
    for m in _MOMENTS:
        end = m.end or m.at
        if end < low or m.at > high:
            continue
        color = MOMENT_COLORS.get(m.kind, "#7F7F7F")
        gid = f"moment:{m.label}"  # read back as a marked area or line by retro.echart
        if m.end is not None and m.end > m.at:
            ax.axvspan(m.at, m.end, color=color, alpha=0.12, zorder=0.5, gid=gid)
        else:
            ax.axvline(m.at, color=color, linestyle=":", linewidth=1.1, zorder=0.5, gid=gid)
        ax.annotate(
            m.label,
            xy=(mdates.date2num(m.at), 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2),
            textcoords="offset points",
            rotation=90,
            va="top",
            ha="left",
            fontsize=7,
            color=color,
        )
        drawn += 1
    return drawn


def setup_theme(lang: str | None = None) -> None:
    """Register the CJK font and apply the report's seaborn theme (once per process); ``lang``: the report's."""
    global _theme_ready
    if lang:
        _LANG["lang"] = lang
    if _theme_ready:
        return
    path = cjk_font_path()
    families = ["DejaVu Sans"]
    if path is not None:
        font_manager.fontManager.addfont(str(path))
        families = [CJK_FONT, "DejaVu Sans"]
    sns.set_theme(
        style="whitegrid",
        palette=PALETTE,
        font=families[0],
        rc={
            "font.sans-serif": families,
            "axes.unicode_minus": False,
            "axes.titleweight": "bold",
            "axes.titlesize": 12,
            "axes.labelsize": 10,
            "figure.dpi": 100,
            # every label is text: a "$" in a channel, category or SKU name is no mathtext (it crashed a section)
            "text.parse_math": False,
        },
    )
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    _theme_ready = True


class Chart:
    """A rendered chart: interactive in the report (ECharts, read back from the figure), a PNG everywhere else.

    The PNG is the chart in print, in the PDF, in JupyterLab and where no script runs (mail previews, IM
    viewers); the page's script draws the same series from the inline option and hides the image.
    """

    def __init__(self, figure: Figure, title: str):
        self.figure = figure
        self.title = title

    def png(self) -> bytes:
        """The chart as PNG bytes at 2x resolution, in at most 256 colours (a chart has few; a third the bytes)."""
        from PIL import Image

        buf = io.BytesIO()
        # uncompressed: it is decoded at once (compressing it was a tenth of a chart's time)
        self.figure.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", pil_kwargs={"compress_level": 0})
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
        out = io.BytesIO()
        img.save(out, format="PNG", compress_level=7)  # 8% more bytes than level 9, at a sixth of its time
        return out.getvalue()

    def option(self) -> dict | None:
        """The ECharts option drawing the same series (retro.echart), None when the figure cannot be read back."""
        from .echart import option_of

        return option_of(self.figure, self.title, _LANG["lang"])

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.png()).decode("ascii")
        width = int(self.figure.get_figwidth() * 100)
        img = (
            f'<img class="retro-chart-static" src="data:image/png;base64,{data}" '
            f'alt="{html.escape(self.title)}" style="max-width:100%;width:{width}px">'
        )
        try:
            option = self.option()
            spec = json.dumps(option, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_plain)
        except Exception:  # noqa: BLE001 - an analyst's own figure the reader trips on keeps its image
            logging.getLogger(__name__).warning("chart %r: shown as an image only", self.title, exc_info=True)
            option = None
        if option is None:
            return f'<figure class="retro-chart">{img}</figure>'
        height = max(280, int(self.figure.get_figheight() * 100))
        spec = spec.replace("<", "\\u003c")  # "<" only occurs inside JSON strings: the script element stays shut
        title = html.escape(self.title)
        return (
            f'<figure class="retro-chart"><figcaption class="retro-chart-title">{title}</figcaption>'
            f'<div class="retro-echart" style="height:{height}px" role="img" aria-label="{title}"></div>'
            f'<script type="application/json" class="retro-echart-option">{spec}</script>{img}</figure>'
        )

    def __repr__(self) -> str:
        """The title and what is drawn: the series and the span of the x axis."""
        try:
            option = self.option()
        except Exception:  # noqa: BLE001 - a repr never raises
            option = None
        if option is None:
            return f"Chart: {self.title} (image)"
        shown = [s for s in option["series"] if not s.get("retroHidden") and s["data"]]
        names = ", ".join(f"{s['name'] or '-'} ({s['type']}, {len(s['data'])})" for s in shown)
        xs = [d.get("xf") for s in shown for d in s["data"] if isinstance(d, dict)]
        span = f"; {xs[0]} … {xs[-1]}" if len(xs) > 1 else ""
        return f"Chart: {self.title} — {names}{span}"


def _plain(v):
    """Numpy's scalars in an option, as JSON's."""
    if hasattr(v, "item"):
        return v.item()
    raise TypeError(f"{type(v).__name__} in a chart option")


def new_figure(width: float = 8.0, height: float = 3.8) -> tuple[Figure, object]:
    """A figure and axes in the report theme."""
    setup_theme()
    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    return fig, ax


class AxisFormatter(Formatter):
    """Tick labels of one axis in one unit and precision (¥0万 ¥5万 ¥10万; $0.25M … $1.50M), never mixed.

    The unit follows the largest tick (zh 万 / 亿, en K / M / B); the decimals are the fewest that show every
    tick exactly (¥0.25M needs two, ¥0.5M one).
    """

    def __init__(self, unit: str, lang: str, currency: str = "CNY"):
        self.unit, self.lang, self.currency = unit, lang, currency
        self.scale = fmt.Scale()

    def set_locs(self, locs):
        super().set_locs(locs)
        self.scale = self.scale_of([float(v) for v in locs])

    def scale_of(self, ticks: list[float]) -> fmt.Scale:
        ticks = sorted({v for v in ticks if not fmt.is_missing(v)})
        if not ticks:
            return fmt.Scale()
        base = fmt.scale_for([max(abs(t) for t in ticks)], "count", self.lang)
        shown = [t / base.divisor for t in ticks]
        decimals = next((d for d in range(3) if all(abs(round(v, d) - v) < 1e-9 * max(1, abs(v)) for v in shown)), 3)
        return fmt.Scale(base.divisor, base.suffix, decimals)

    def __call__(self, x, pos=None):
        if self.unit == "pct":
            return fmt.pct(x, decimals=0)
        return fmt.in_scale(x, "money" if self.unit == "money" else "count", self.scale, self.currency)


def axis_formatter(unit: str, lang: str, currency: str = "CNY") -> AxisFormatter:
    """Tick labels in the figure's unit and the report language, one scale per axis (¥1.2万, 12%, 3.5K)."""
    return AxisFormatter(unit, lang, currency)


PHASE_COLORS = {"warmup": "#e8eef8", "burst": "#fde9d9", "tail": "#eaf3e3"}


def shade_phases(ax, phases, lang: str) -> None:
    """Shade each phase's days (whole days, start to end inclusive) behind a daily chart, labelled for its legend."""
    for ph in phases:
        name = tr(f"phase.{ph.name}", lang)
        ax.axvspan(
            pd.Timestamp(ph.start),
            pd.Timestamp(ph.end) + pd.Timedelta(days=1),
            color=PHASE_COLORS.get(ph.name, "#eee"),
            alpha=0.6,
            zorder=0,
            label=name,
            gid=f"phase:{name}",  # read back as a marked area by retro.echart
        )


def has_data(fig: Figure) -> bool:
    """Whether a chart draws any value: a finite point of a data line, a non-zero bar, a filled area or a grid.

    Phase bands, reference lines (axhline) and zero-height bars alone are not data.
    """
    import numpy as np

    for ax in fig.axes:
        for line in ax.lines:
            if line.get_transform() != ax.transData:  # axhline / axvline: a reference, not a value
                continue
            y = np.asarray(line.get_ydata(), dtype="float64")
            if np.isfinite(y).any():
                return True
        for bars in ax.containers:
            horizontal = getattr(bars, "orientation", "vertical") == "horizontal"
            for p in getattr(bars, "patches", []):
                v = p.get_width() if horizontal else p.get_height()
                if np.isfinite(v) and v != 0:
                    return True
        if any(len(c.get_offsets()) or getattr(c, "get_array", lambda: None)() is not None for c in ax.collections):
            return True
        if ax.images:
            return True
    return False


def finish(fig: Figure, ax, title: str, xlabel: str = "", ylabel: str = "") -> Chart | Omitted:
    """Title and label a chart; every chart says what it shows and in which unit.

    A chart that draws no value is not shown: one line names it instead (never an empty frame with 0 ticks).
    """
    if not has_data(fig):
        return Omitted(tr("chart.no_data", _LANG["lang"], title=title))
    mark_moments(ax)
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    legend = ax.get_legend()
    if legend is not None:
        legend.set_title(legend.get_title().get_text() or None)
    return Chart(fig, title)


def top_n_other(
    df: pd.DataFrame, label: str, values: list[str], n: int, lang: str, sort_by: str | None = None
) -> pd.DataFrame:
    """Keep the n largest rows by ``sort_by`` (default: first value column) and sum the rest into "other"."""
    sort_by = sort_by or values[0]
    ordered = df.sort_values(sort_by, ascending=False, kind="stable")
    if len(ordered) <= n:
        return ordered.reset_index(drop=True)
    head, rest = ordered.iloc[:n], ordered.iloc[n:]
    other = {label: f"{tr('other', lang)} ({len(rest)})"}
    other.update({c: rest[c].sum() for c in values})
    return pd.concat([head, pd.DataFrame([other])], ignore_index=True)


def bar(
    df: pd.DataFrame,
    x: str,
    y: str,
    *,
    title: str,
    unit: str,
    lang: str,
    currency: str = "CNY",
    hue: str | None = None,
    horizontal: bool = True,
    xlabel: str = "",
    ylabel: str = "",
    annotate: bool = True,
    height: float | None = None,
) -> Chart:
    """A bar chart of ``y`` by category ``x`` (horizontal by default so long category names fit)."""
    n = df[x].nunique()
    fig, ax = new_figure(height=height or (max(2.6, 0.32 * n + 1.2) if horizontal else 3.8))
    if horizontal:
        sns.barplot(data=df, y=x, x=y, hue=hue, ax=ax, orient="h", legend=hue is not None)
        ax.xaxis.set_major_formatter(axis_formatter(unit, lang, currency))
    else:
        sns.barplot(data=df, x=x, y=y, hue=hue, ax=ax, legend=hue is not None)
        ax.yaxis.set_major_formatter(axis_formatter(unit, lang, currency))
    if annotate and hue is None:
        for container in ax.containers:
            ax.bar_label(
                container,
                labels=[fmt.value(v, unit, lang, currency) for v in container.datavalues],
                padding=3,
                fontsize=8,
            )
    return finish(fig, ax, title, xlabel, ylabel)


def line(
    df: pd.DataFrame,
    x: str,
    y: str,
    *,
    title: str,
    unit: str,
    lang: str,
    currency: str = "CNY",
    hue: str | None = None,
    xlabel: str = "",
    ylabel: str = "",
    markers: bool = True,
    reference: float | None = None,
    reference_label: str = "",
) -> Chart:
    """A line chart of ``y`` over ``x``, one line per ``hue``; an optional horizontal reference line."""
    fig, ax = new_figure()
    sns.lineplot(data=df, x=x, y=y, hue=hue, ax=ax, marker="o" if markers else None, markersize=4)
    ax.yaxis.set_major_formatter(axis_formatter(unit, lang, currency))
    if reference is not None and not fmt.is_missing(reference):
        ax.axhline(reference, color="#C00000", linestyle="--", linewidth=1, label=reference_label or None)
        if reference_label:
            ax.legend()
    fig.autofmt_xdate() if pd.api.types.is_datetime64_any_dtype(df[x]) else None
    return finish(fig, ax, title, xlabel, ylabel)


PHASE_COLORS = {"warmup": "#e8eef8", "burst": "#fde9d9", "tail": "#eaf3e3"}


def phase_day_lines(
    aligned: pd.DataFrame,
    lines: list[dict],
    *,
    title: str,
    unit: str,
    lang: str,
    currency: str = "CNY",
    xlabel: str = "",
    ylabel: str = "",
    reference: float | None = None,
    reference_label: str = "",
) -> Chart:
    """Campaigns against each other by phase day: x is warm-up day 1, 2 … burst day 1 …, never a date.

    ``aligned`` comes from ``retro.comparison.align_daily`` (phase, phase_day, slot and one column per line);
    ``lines`` are dicts with ``column``, ``label`` and optional ``dashed``. A missing day is a gap, not 0.
    """
    fig, ax = new_figure()
    for phase, days in aligned.groupby("phase", sort=False):
        lo, hi = days["slot"].min() - 0.5, days["slot"].max() + 0.5
        name = tr(f"phase.{phase}", lang)
        ax.axvspan(lo, hi, color=PHASE_COLORS.get(phase, "#eeeeee"), alpha=0.6, zorder=0, gid=f"phase:{name}")
        ax.text(
            (lo + hi) / 2,
            0.97,
            tr(f"phase.{phase}", lang),
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="top",
            fontsize=8,
            color="#555555",
        )
    top = 0.0
    for i, spec in enumerate(lines):
        values = aligned[spec["column"]]
        ax.plot(
            aligned["slot"],
            values,
            color=spec.get("color", PALETTE[i % len(PALETTE)]),
            linestyle="--" if spec.get("dashed") else "-",
            marker="o",
            markersize=3,
            label=spec["label"],
        )
        top = max(top, float(values.max()) if values.notna().any() else 0.0)
    if reference is not None and not fmt.is_missing(reference):
        ax.axhline(reference, color="#C00000", linestyle=":", linewidth=1, label=reference_label or None)
        top = max(top, float(reference))
    ax.set_ylim(0, (top or 1.0) * 1.15)  # room for the phase names
    ax.set_xlim(-0.5, len(aligned) - 0.5)
    ax.set_xticks(list(aligned["slot"]), [str(d) for d in aligned["phase_day"]], fontsize=8)
    ax.grid(axis="x", visible=False)
    ax.yaxis.set_major_formatter(axis_formatter(unit, lang, currency))
    ncols = min(len(lines) + (reference is not None), 4)
    ax.legend(fontsize=8, ncols=ncols, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    return finish(fig, ax, title, xlabel, ylabel)


def waterfall(
    steps: list[tuple[str, float]],
    *,
    start: tuple[str, float],
    end: tuple[str, float],
    title: str,
    unit: str,
    lang: str,
    currency: str = "CNY",
) -> Chart:
    """From ``start`` to ``end`` through additive ``steps`` (label, change): one floating bar per step.

    The steps must sum to end − start (a decomposition's contributions do, exactly); rises are green, falls
    red, the two totals grey, each bar labelled with its value.
    """
    labels = [start[0], *[s[0] for s in steps], end[0]]
    fig, ax = new_figure(height=3.6)
    level = start[1]
    ax.bar(0, start[1], color="#8C8C8C")
    for i, (_, change) in enumerate(steps, start=1):
        ax.bar(i, change, bottom=level, color="#70AD47" if change >= 0 else "#C0504D")
        level += change
    ax.bar(len(labels) - 1, end[1], color="#5B9BD5")
    values = [start[1], *[s[1] for s in steps], end[1]]
    tops = [start[1]]
    level = start[1]
    for _, change in steps:
        level += change
        tops.append(max(level, level - change))
    tops.append(end[1])
    for i, (v, top) in enumerate(zip(values, tops, strict=True)):
        shown = fmt.value(v, unit, lang, currency)
        if 0 < i < len(values) - 1 and v > 0:
            shown = "+" + shown
        ax.text(i, top, shown, ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(labels)), labels, fontsize=9)
    ax.yaxis.set_major_formatter(axis_formatter(unit, lang, currency))
    levels = [start[1], end[1], *(start[1] + sum(s[1] for s in steps[: k + 1]) for k in range(len(steps)))]
    low, high = min(levels), max(levels)
    pad = (high - low) or abs(high) or 1.0
    ax.set_ylim(bottom=max(0.0, low - 0.3 * pad), top=high + 0.12 * pad)
    ax.grid(axis="x", visible=False)
    return finish(fig, ax, title)


def band(
    daily: pd.DataFrame,
    *,
    title: str,
    unit: str,
    lang: str,
    currency: str = "CNY",
    labels: dict[str, str],
    phases=(),
    columns: tuple[str, str, str] = ("actual", "low", "high"),
    expected: str | None = "expected",
    zero: bool = False,
) -> Chart:
    """A daily line (``columns``: the line, its band's low and high) by ``day``, with an optional expected line.

    The daily GMV against its forecast (line ``actual``, ``expected`` dashed) and the cumulative lift against
    zero (``cum_lift``, ``zero=True``) are both drawn here. ``labels`` names the ``line``, ``band`` and
    ``expected`` series.
    """
    line, low, high = columns
    fig, ax = new_figure()
    days = pd.to_datetime(daily["day"])
    if phases:
        shade_phases(ax, phases, lang)
    area = ax.fill_between(days, daily[low], daily[high], color="#BDD7EE", alpha=0.7, label=labels["band"])
    area.retro_band = (list(days), daily[low].to_numpy(float), daily[high].to_numpy(float), labels["band"])
    if expected:
        ax.plot(days, daily[expected], color="#2F5597", linestyle="--", linewidth=1.2, label=labels["expected"])
    if zero:
        ax.axhline(0, color="#7F7F7F", linewidth=0.8)
    ax.plot(days, daily[line], color="#ED7D31", marker="o", markersize=3, linewidth=1.5, label=labels["line"])
    ax.yaxis.set_major_formatter(axis_formatter(unit, lang, currency))
    ax.legend(fontsize=8, loc="upper left")
    fig.autofmt_xdate()
    return finish(fig, ax, title)
