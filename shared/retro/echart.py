"""A finished matplotlib chart as an Apache ECharts option: the same series, read back from the figure.

Every chart of the kit (and of an analyst's own section) is drawn once, with matplotlib; the page shows it
interactive (hover values, legend toggles, zoom on time axes) by reading the drawn artists back: data lines,
bars (grouped, stacked or floating), bands, phase shading, moments and reference lines. The values are the
figure's own, and each point carries its text as the report formats it, so a tooltip reads exactly as the
tables do. A figure this module cannot read (an image, a scatter cloud, a second x axis) gives ``None``
and the page keeps the static image; the PNG stays for print, the PDF and viewers that run no script.
"""

from __future__ import annotations

import datetime as dt
import logging
import math

import matplotlib.dates as mdates
import numpy as np
from matplotlib.axis import Axis
from matplotlib.category import StrCategoryConverter
from matplotlib.colors import to_hex
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedLocator

from . import formatting as fmt

FONT_PX = 12  # every text of a chart, also at 390 px: nothing under 11 px
MS_PER_DAY = 86_400_000


class Unreadable(Exception):
    """The figure holds something this module does not convert: the page keeps the static image."""


def option_of(fig: Figure, title: str, lang: str) -> dict | None:
    """The ECharts option for ``fig``, or None when it holds what cannot be read back faithfully."""
    try:
        return _option(fig, title, lang)
    except Unreadable as e:
        logging.getLogger(__name__).info("chart %r stays an image: %s", title, e)
        return None


# --- axes ------------------------------------------------------------------------------------------------
def _is_date_axis(axis: Axis) -> bool:
    return isinstance(axis.get_major_locator(), mdates.DateLocator) or isinstance(
        axis.get_major_formatter(), (mdates.DateFormatter, mdates.AutoDateFormatter, mdates.ConciseDateFormatter)
    )


def _categories(axis: Axis, positions: list[float] | None) -> dict[float, str] | None:
    """Position -> label of a category axis, None for a value or time axis.

    Seaborn's string categories, or ticks set with labels where every bar or point sits on a tick (a
    waterfall's steps, phase days, a timeline's phases).
    """
    converter = axis.get_converter() if hasattr(axis, "get_converter") else axis.converter
    if isinstance(converter, StrCategoryConverter) and axis.units is not None:
        return {float(i): str(label) for label, i in axis.units._mapping.items()}
    if not positions or not isinstance(axis.get_major_locator(), FixedLocator):
        return None
    locs = [float(v) for v in axis.get_majorticklocs()]
    if not all(any(abs(p - t) < 1e-9 for t in locs) for p in positions):
        return None
    return dict(zip(locs, axis.get_major_formatter().format_ticks(locs), strict=True))


def _positions(axes, horizontal: bool) -> list[float]:
    """Where the bars and points sit along the category axis (x; y for horizontal bars)."""
    out: set[float] = set()
    for ax in axes:
        for c in ax.containers:
            for p in getattr(c, "patches", []):
                if horizontal:
                    out.add(round(_float(p.get_y()) + _float(p.get_height()) / 2, 9))
                else:
                    out.add(round(_float(p.get_x()) + _float(p.get_width()) / 2, 9))
        for ln in ax.lines:
            if ln.get_transform() == ax.transData and not horizontal:
                out.update(round(float(v), 9) for v in np.asarray(ln.get_xydata(), dtype="float64")[:, 0])
    return sorted(v for v in out if np.isfinite(v))


class _Axis:
    """One matplotlib axis as ECharts sees it: its type, how a value reads, and its option."""

    def __init__(self, mpl: Axis, lang: str, positions: list[float] | None = None):
        self.mpl, self.lang = mpl, lang
        self.cats = _categories(mpl, positions)
        self.time = self.cats is None and _is_date_axis(mpl)
        self.log = mpl.get_scale() == "log"
        if mpl.get_scale() not in ("linear", "log"):
            raise Unreadable(mpl.get_scale())
        self.formatter = mpl.get_major_formatter()
        self.positions = sorted(self.cats) if self.cats else []
        # phase days (retro.charts.phase_day_lines): a value axis labelled 1, 2 … so the phases shade whole
        # slots, and each position's phase, for the tooltip ("Burst 1", not "1")
        self.phases: list[tuple[float, float, str]] = []

    # a data value on this axis, as ECharts takes it
    def data(self, v: float):
        if self.cats is not None and self.phases:
            self.label(v)
            return _num(v)
        if self.cats is not None:  # by index: phase days repeat their labels (1, 2, … 1, 2 …)
            self.label(v)  # between two categories: unreadable
            return min(range(len(self.positions)), key=lambda i: abs(self.positions[i] - v))
        if self.time:
            return int(round(float(v) * MS_PER_DAY))
        if self.log:
            return math.log10(v) if v > 0 else None
        return _num(v)

    def label(self, v: float, day: bool = False) -> str:
        """A position's category, a time's day (or hour), a value as the report formats it."""
        if self.cats is not None:
            near = min(self.positions, key=lambda p: abs(p - v)) if self.positions else None
            if near is None or abs(near - v) > 0.5:
                raise Unreadable(f"value {v} between categories")
            phase = next((name for lo, hi, name in self.phases if lo <= near <= hi), "")
            return f"{phase} {self.cats[near]}" if phase else self.cats[near]
        if self.time:
            t = mdates.num2date(v).replace(tzinfo=None)
            return t.strftime("%m-%d") if day or t.time() == dt.time() else t.strftime("%m-%d %H:%M")
        return self.text(v)

    def text(self, v) -> str:
        """A value in the axis' unit, at the precision the report's tables use."""
        if v is None or not np.isfinite(v):
            return fmt.NA
        f = self.formatter
        unit = getattr(f, "unit", None)
        if unit is not None:  # retro.charts.AxisFormatter
            return fmt.value(v, unit if unit in ("pct", "money") else "count", f.lang, f.currency)
        try:
            shown = f(v)
        except Exception:  # noqa: BLE001 - a formatter that needs its ticks: the plain number
            shown = ""
        return shown or f"{v:,.4g}"

    def option(self, *, value_range: bool = True) -> dict:
        label = {"fontSize": FONT_PX, "hideOverlap": True}
        if self.cats is not None and self.phases:
            lo, hi = self.mpl.get_view_interval()
            values = list(self.positions)
            return {
                "type": "value",
                "min": _num(lo),
                "max": _num(hi),
                "axisLabel": {**label, "customValues": values, "retroLabels": [self.cats[p] for p in values]},
                "axisTick": {"customValues": values},
                "splitLine": {"show": False},
            }
        if self.cats is not None:
            return {"type": "category", "data": [self.cats[p] for p in self.positions], "axisLabel": label}
        if self.time:
            lo, hi = self.mpl.get_view_interval()
            return {
                "type": "time",
                "min": int(lo * MS_PER_DAY),
                "max": int(hi * MS_PER_DAY),
                "axisLabel": {**label, "formatter": {"day": "{MM}-{dd}", "hour": "{HH}:{mm}"}},
            }
        lo, hi = sorted(self.mpl.get_view_interval())
        ticks = [float(t) for t in self.mpl.get_majorticklocs() if lo - 1e-9 * abs(hi) <= t <= hi + 1e-9 * abs(hi)]
        labels = self.formatter.format_ticks(ticks) if ticks else []
        if self.log:
            ticks = [math.log10(t) for t in ticks if t > 0]
            lo, hi = math.log10(lo), math.log10(hi)
        out = {"type": "value", "axisLabel": {**label, "customValues": ticks, "retroLabels": labels}}
        out["axisTick"] = {"customValues": ticks}
        if value_range:
            out.update(min=lo, max=hi)
        out["splitLine"] = {"show": True, "lineStyle": {"color": "#e6e6e6"}}
        return out


def _float(v) -> float:
    """A patch's coordinate as a number (a bar given dates keeps them as dates)."""
    try:
        return float(v)
    except TypeError:
        return float(mdates.date2num(v))


def _num(v) -> float | None:
    v = float(v)
    return round(v, 6) if math.isfinite(v) else None


def _color(artist_color) -> str:
    return to_hex(artist_color, keep_alpha=False)


# --- series -----------------------------------------------------------------------------------------------
def _helper_marks(ax, x: _Axis) -> tuple[list, list]:
    """Phase shading and moments as mark areas, moments and reference lines as mark lines."""
    areas, lines = [], []
    for p in ax.patches:
        gid = p.get_gid() or ""
        if not (gid.startswith("phase") or gid.startswith("moment")) or not isinstance(p, Rectangle):
            continue
        x0 = _float(p.get_x())
        x1 = x0 + _float(p.get_width())
        name = gid.split(":", 1)[1] if ":" in gid else ""
        color = _color(p.get_facecolor())
        if x.cats is not None:  # phase by phase day: the slots it shades, edge to edge
            a, b = _num(x0), _num(x1)
        else:
            a, b = x.data(x0), x.data(x1)
        moment = gid.startswith("moment")
        areas.append(
            [
                {
                    "name": "" if moment else name,
                    "xAxis": a,
                    "itemStyle": {"color": color, "opacity": 0.25 if moment else 0.45},
                    "label": {"fontSize": FONT_PX, "color": "#555", "position": "insideTop"},
                },
                {"xAxis": b},
            ]
        )
        if moment:  # its name along its start, as a moment at one time has it: phase names stay legible
            style = {"color": color, "type": "dotted"}
            label = {"formatter": name, "fontSize": FONT_PX, "position": "insideEndTop"}
            lines.append({"xAxis": a, "name": name, "lineStyle": style, "label": label})
    for ln in ax.lines:
        gid = ln.get_gid() or ""
        if ln.get_transform() == ax.transData and not gid.startswith("moment"):
            continue
        xy = np.asarray(ln.get_xydata(), dtype="float64")
        xs, ys = xy[:, 0], xy[:, 1]
        color = _color(ln.get_color())
        style = {"color": color, "type": "dashed" if ln.get_linestyle() in ("--", ":", "-.") else "solid"}
        label = ln.get_label() if not ln.get_label().startswith("_") else ""
        if gid.startswith("moment") or (len(set(np.atleast_1d(xs))) == 1 and len(set(np.atleast_1d(ys))) > 1):
            name = gid.split(":", 1)[1] if ":" in gid else label
            at = float(np.atleast_1d(xs)[0])
            lines.append(
                {
                    "xAxis": x.data(at),
                    "name": name,
                    "lineStyle": style,
                    "label": {"formatter": name, "fontSize": FONT_PX, "position": "insideEndTop"},
                }
            )
        else:  # axhline: a reference value
            y = float(np.atleast_1d(ys)[0])
            lines.append(
                {
                    "yAxis": y,
                    "name": label,
                    "lineStyle": style,
                    "label": {"formatter": label, "fontSize": FONT_PX, "position": "insideEndTop"}
                    if label
                    else {"show": False},
                }
            )
    return areas, lines


def _dash(ln) -> str:
    return "dashed" if ln.get_linestyle() in ("--", ":", "-.") else "solid"


def _key(color) -> str:
    return to_hex(color, keep_alpha=False)


def _legend_names(ax) -> dict[str, str]:
    """Colour -> name, from the legend and labelled artists: seaborn names its legend, not its lines or bars."""
    out: dict[str, str] = {}
    legend = ax.get_legend()
    if legend is not None:
        for handle, text in zip(legend.legend_handles, legend.texts, strict=False):
            color = handle.get_color() if isinstance(handle, Line2D) else getattr(handle, "get_facecolor", None)
            if callable(color):
                color = color()
            try:
                out.setdefault(_key(color), text.get_text())
            except (ValueError, TypeError):
                continue
    for ln in ax.lines:
        if not ln.get_label().startswith("_"):
            out.setdefault(_key(ln.get_color()), ln.get_label())
    return out


def _line_series(ax, x: _Axis, y: _Axis, y_index: int) -> list[dict]:
    out = []
    names = _legend_names(ax)
    for ln in ax.lines:
        if ln.get_transform() != ax.transData or (ln.get_gid() or "").startswith("moment"):
            continue
        xy = np.asarray(ln.get_xydata(), dtype="float64")  # in axis units: dates as day numbers
        xs, ys = xy[:, 0], xy[:, 1]
        if not np.isfinite(xs).any() or not np.isfinite(ys).any() or (len(set(xs.tolist())) == 1 and len(xs) > 1):
            continue  # a legend's proxy or an empty error bar (seaborn draws both), a vertical line: no series
        # one point a day (at noon or midnight): its tooltip names the day
        days = x.time and len(xs) > 1 and np.allclose(np.diff(xs), np.round(np.diff(xs)), atol=1e-6)
        data = []
        for a, b in zip(xs, ys, strict=True):
            finite = bool(np.isfinite(b))
            when = x.label(a, day=days)
            data.append({"value": [x.data(a), y.data(b) if finite else None], "xf": when, "f": y.text(b)})
        label = ln.get_label()
        if label.startswith("_"):
            label = names.get(_key(ln.get_color()), label)
        marker = bool(ln.get_marker() not in (None, "", "None", " "))
        out.append(
            {
                "type": "line",
                "name": "" if label.startswith("_") else label,
                "data": data,
                "yAxisIndex": y_index,
                "color": _color(ln.get_color()),
                "showSymbol": marker,
                "symbolSize": 6,
                "connectNulls": False,
                "lineStyle": {"width": max(1.0, float(ln.get_linewidth())), "type": _dash(ln)},
            }
        )
    return out


def _band_series(ax, x: _Axis, y: _Axis, y_index: int) -> list[dict]:
    """A band (``retro.charts.band``): a low line and the stacked height above it, filled."""
    out = []
    for coll in ax.collections:
        band = getattr(coll, "retro_band", None)
        if band is None:
            if (coll.get_gid() or "").startswith(("phase", "moment")) or not _draws(coll):
                continue
            raise Unreadable(type(coll).__name__)
        xs, low, high, name = band
        xs = [mdates.date2num(v) for v in xs] if x.time else list(xs)
        stack = f"band{len(out)}"
        color = _color(coll.get_facecolor()[0])
        base, width = [], []
        for a, lo, hi in zip(xs, low, high, strict=True):
            ok = bool(np.isfinite(lo) and np.isfinite(hi))
            base.append({"value": [x.data(a), _num(lo) if ok else None], "xf": x.label(a), "f": ""})
            text = f"{y.text(lo)} – {y.text(hi)}" if ok else fmt.NA
            width.append({"value": [x.data(a), _num(hi - lo) if ok else None], "xf": x.label(a), "f": text})
        common = {
            "type": "line",
            "stack": stack,
            "showSymbol": False,
            "yAxisIndex": y_index,
            "lineStyle": {"opacity": 0},
        }
        out.append({**common, "name": "", "data": base, "retroHidden": True, "color": color})
        out.append(
            {**common, "name": name, "data": width, "color": color, "areaStyle": {"color": color, "opacity": 0.6}}
        )
    return out


def _draws(coll) -> bool:
    """Whether a collection draws anything (seaborn leaves an empty error band where each x has one value)."""
    if len(getattr(coll, "get_offsets", lambda: [])()) and not hasattr(coll, "get_paths"):
        return True
    for path in coll.get_paths():
        v = np.asarray(path.vertices, dtype="float64")
        if len(v) and np.ptp(v[:, 1]) > 0 and np.ptp(v[:, 0]) > 0:
            return True
    return False


def _bar_series(ax, x: _Axis, y: _Axis, horizontal: bool, y_index: int) -> list[dict]:
    """Bars: grouped (seaborn's hue), stacked (each on the one before), or floating (a waterfall, a timeline)."""
    cat, val = (y, x) if horizontal else (x, y)
    containers = [c for c in ax.containers if isinstance(c, BarContainer)]
    rows = []  # (container index, position, start, length, color)
    for ci, c in enumerate(containers):
        for p in c.patches:
            px, py, w, h = (_float(v) for v in (p.get_x(), p.get_y(), p.get_width(), p.get_height()))
            pos, start, length = (py + h / 2, px, w) if horizontal else (px + w / 2, py, h)
            if not np.isfinite(length):
                continue
            rows.append((ci, pos, start, length, _color(p.get_facecolor())))
    if not rows:
        return []
    labels = _bar_texts(ax, horizontal)
    stacked = _is_stacked(rows)
    floating = not stacked and any(abs(r[2]) > 1e-12 for r in rows)

    def item(pos, length, start, color, own_color):
        shown = labels.get(round(pos, 6))
        v = val.text(length) if not val.time else _days(length, val.lang)
        d = {"value": _pair(cat, val, pos, length, horizontal, span=True), "xf": cat.label(pos), "f": v}
        if shown:
            d["label"] = {
                "show": True,
                "formatter": shown,
                "fontSize": FONT_PX,
                "position": "right" if horizontal else "top",
            }
            d["f"] = shown
        if own_color:
            d["itemStyle"] = {"color": color}
        return d

    if floating:  # a hidden base under each bar, then the bar: ECharts' waterfall
        base, bars = [], []
        for _, pos, start, length, color in sorted(rows, key=lambda r: r[1]):
            low = start + min(length, 0.0)
            base.append({"value": _pair(cat, val, pos, low, horizontal), "xf": cat.label(pos), "f": ""})
            bars.append(item(pos, abs(length), start, color, True))
            if length < 0:
                bars[-1]["f"] = val.text(length)
        common = {"type": "bar", "stack": "float", "barWidth": "60%"}
        if not horizontal:
            common["yAxisIndex"] = y_index
        name = next((c.get_label() for c in containers if not c.get_label().startswith("_")), "")
        return [
            {**common, "name": "", "data": base, "retroHidden": True, "itemStyle": {"color": "transparent"}},
            {**common, "name": name, "data": bars, "labelLayout": {"hideOverlap": True}},
        ]
    out = []
    names = _legend_names(ax)
    for ci, c in enumerate(containers):
        own = [r for r in rows if r[0] == ci]
        if not own:
            continue
        colors = {r[4] for r in own}
        label = c.get_label()
        if label.startswith("_"):
            label = names.get(own[0][4], label)
        s = {
            "type": "bar",
            "name": "" if label.startswith("_") else label,
            "data": [item(pos, length, start, color, len(colors) > 1) for _, pos, start, length, color in own],
            "color": own[0][4],
        }
        if stacked:
            s["stack"] = "total"
        if any("label" in d for d in s["data"]):
            s["labelLayout"] = {"hideOverlap": True}
        if not horizontal:
            s["yAxisIndex"] = y_index
        out.append(s)
    return out


def _days(width: float, lang: str) -> str:
    """A bar's length on a time axis: a span of days."""
    days = f"{round(width)}" if abs(width - round(width)) < 1e-6 else f"{width:.1f}"
    return f"{days}天" if lang == "zh" else f"{days} days"


def _pair(cat: _Axis, val: _Axis, pos: float, length: float, horizontal: bool, span: bool = False) -> list:
    v = length * MS_PER_DAY if (val.time and span) else val.data(length)
    c = cat.data(pos)
    return [v, c] if horizontal else [c, v]


def _is_stacked(rows) -> bool:
    """Each container's bars start where the previous containers' bars at the same position end."""
    if len({r[0] for r in rows}) < 2:
        return False
    level: dict[float, float] = {}
    for _, pos, start, length, _ in rows:
        key = round(pos, 6)
        if abs(level.get(key, 0.0) - start) > 1e-9 * max(1.0, abs(start)):
            return False
        level[key] = start + length
    return any(abs(r[2]) > 1e-12 for r in rows)


def _bar_texts(ax, horizontal: bool) -> dict[float, str]:
    """The text drawn at a bar (bar_label, a waterfall's values, a timeline's dates), by the bar's position."""
    out = {}
    for t in ax.texts:
        if t.get_transform() != ax.transData and not hasattr(t, "xy"):
            continue
        if hasattr(t, "xy"):  # an Annotation (bar_label) anchors at the bar's end
            try:
                if t.xycoords != "data":
                    continue
            except AttributeError:
                continue
            px, py = t.xy
        else:
            px, py = t.get_position()
        pos = py if horizontal else px
        try:
            pos = float(pos)
        except (TypeError, ValueError):
            continue
        text = t.get_text()
        if text:
            out[round(pos, 6)] = text
    return out


def _option(fig: Figure, title: str, lang: str) -> dict:
    axes = [a for a in fig.axes if a.get_visible()]
    if not axes or any(a.images for a in axes):
        raise Unreadable("image")
    main = axes[0]
    twins = axes[1:]
    for t in twins:  # a twin shares the x axis and has its own y (a rate beside counts); nothing else
        if not main.get_shared_x_axes().joined(main, t):
            raise Unreadable("more than one chart in the figure")
    horizontal = any(getattr(c, "orientation", "vertical") == "horizontal" for c in main.containers)
    where = _positions(axes, horizontal)
    x = _Axis(main.xaxis, lang, None if horizontal else where)
    if x.cats is not None and not horizontal and not any(a.containers for a in axes):
        x.phases = [
            (_float(p.get_x()), _float(p.get_x()) + _float(p.get_width()), (p.get_gid() or "").split(":", 1)[1])
            for p in main.patches
            if (p.get_gid() or "").startswith("phase:") and isinstance(p, Rectangle)
        ]
    ys = [_Axis(a.yaxis, lang, where if horizontal and not i else None) for i, a in enumerate(axes)]
    series: list[dict] = []
    for i, (a, y) in enumerate(zip(axes, ys, strict=True)):
        if horizontal and i:
            raise Unreadable("twin axes of horizontal bars")
        series += _bar_series(a, x, y, horizontal, i)
        series += _band_series(a, x, y, i)
        series += _line_series(a, x, y, i)
    if not [s for s in series if not s.get("retroHidden")]:
        raise Unreadable("no series")
    areas, lines = ([], []) if horizontal else _helper_marks(main, x)
    if areas or lines:  # on a series of its own: hiding a data series keeps the phases and moments
        marks = {"type": "line", "name": "", "data": [], "retroHidden": True, "silent": True}
        if areas:
            marks["markArea"] = {"silent": True, "data": areas}
        if lines:
            marks["markLine"] = {"silent": True, "symbol": "none", "data": lines}
        series.append(marks)
    named = [s["name"] for s in series if s["name"] and not s.get("retroHidden")]
    option = {
        "animation": False,
        "textStyle": {
            "fontFamily": "Retro CJK, Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif",
            "fontSize": FONT_PX,
        },
        "tooltip": {
            "trigger": "axis",
            "confine": True,
            "textStyle": {"fontSize": FONT_PX},
            "axisPointer": {"type": "shadow" if series[0]["type"] == "bar" else "line"},
        },
        "grid": {"left": 8, "right": 16, "top": 36 if len(named) > 1 else 16, "bottom": 16, "containLabel": True},
        "series": series,
    }
    if len(named) > 1:
        option["legend"] = {
            "data": list(dict.fromkeys(named)),
            "type": "scroll",
            "top": 0,
            "left": 0,
            "textStyle": {"fontSize": FONT_PX},
        }
    cat_axis, val_axes = (ys[0], [x]) if horizontal else (x, ys)
    if horizontal:
        option["yAxis"] = {**cat_axis.option(), "inverse": main.yaxis_inverted()}
        option["xAxis"] = x.option()
        if x.time:  # bars stack on a value axis only: times as milliseconds, labelled as days
            option["xAxis"].update(
                type="value", axisLabel={"fontSize": FONT_PX, "hideOverlap": True, "retroDate": True}
            )
    else:
        option["xAxis"] = x.option()
        option["yAxis"] = [
            {**y.option(), "axisLine": {"onZero": False}, **({"splitLine": {"show": False}} if i else {})}
            for i, y in enumerate(val_axes)
        ]
        if x.time:
            option["dataZoom"] = [
                {"type": "inside", "filterMode": "none"},
                {"type": "slider", "height": 18, "bottom": 4, "showDetail": False, "filterMode": "none"},
            ]
            option["grid"]["bottom"] = 36
    return option
