"""Charts (retro.charts): labels are text, whatever characters the data's names hold."""

from __future__ import annotations

import pandas as pd
from retro import charts
from retro import formatting as fmt
from retro.i18n import tr


def test_dollar_signs_and_backslashes_in_names_are_drawn_as_text():
    df = pd.DataFrame({"category": ["$5 deals", "50% off $ $", r"a\b_{x}^2"], "net": [120.0, 80.0, 30.0]})
    chart = charts.bar(df, "category", "net", title="Net $ales", unit="money", lang="en")
    assert chart.png()[:8] == b"\x89PNG\r\n\x1a\n"  # mathtext would raise on "$ $" while drawing
    ax = chart.figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["$5 deals", "50% off $ $", r"a\b_{x}^2"]


# --- the interactive chart (retro.echart): the page's ECharts option is read back from the drawn figure ------
def _visible(option):
    return [s for s in option["series"] if not s.get("retroHidden")]


def test_a_daily_line_reads_back_as_a_time_series_with_the_report_formatted_values():
    days = pd.date_range("2026-11-09", periods=3, freq="D")
    df = pd.DataFrame({"day": days, "gmv": [1234.5, 56789.0, float("nan")]})
    chart = charts.line(df, "day", "gmv", title="Daily GMV", unit="money", lang="en", currency="CNY")
    option = chart.option()
    assert option["xAxis"]["type"] == "time" and option["dataZoom"], "daily series zoom"
    (s,) = _visible(option)
    assert [d["value"][0] for d in s["data"]] == [int(d.timestamp() * 1000) for d in days[:2]]
    assert [d["value"][1] for d in s["data"]] == [1234.5, 56789.0]
    assert [d["xf"] for d in s["data"]] == ["11-09", "11-10"]
    assert [d["f"] for d in s["data"]] == ["¥1,234.50", "¥56.8K"]  # as the report formats money

    fig, ax = charts.new_figure()
    ax.plot(days, df["gmv"])
    ax.yaxis.set_major_formatter(charts.axis_formatter("money", "en"))
    (s,) = _visible(charts.finish(fig, ax, "t").option())
    assert [d["value"][1] for d in s["data"]] == [1234.5, 56789.0, None] and not s["connectNulls"]  # a gap, not 0
    assert s["data"][2]["f"] == fmt.NA


def test_phases_and_moments_are_marked_areas_and_lines_on_a_series_of_their_own():
    from types import SimpleNamespace

    days = pd.date_range("2026-11-01", periods=6, freq="D")
    fig, ax = charts.new_figure()
    phases = [SimpleNamespace(name="warmup", start=days[0].date(), end=days[2].date())]
    charts.shade_phases(ax, phases, "en")
    ax.plot(days, [1, 2, 3, 4, 5, 6], label="GMV")
    charts.set_moments([SimpleNamespace(at=days[4].to_pydatetime(), end=None, label="Livestream", kind="event")])
    try:
        option = charts.finish(fig, ax, "t").option()
    finally:
        charts.set_moments([])
    marks = [s for s in option["series"] if s.get("retroHidden") and "markArea" in s]
    assert len(marks) == 1 and marks[0]["data"] == []  # hiding GMV in the legend keeps them
    (area,) = marks[0]["markArea"]["data"]
    assert area[0]["name"] == tr("phase.warmup", "en")  # the phase's name, in the report language
    ms = lambda t: int(pd.Timestamp(t).timestamp() * 1000)  # noqa: E731
    assert (area[0]["xAxis"], area[1]["xAxis"]) == (ms(days[0]), ms(days[3]))  # whole days: to the next midnight
    (moment,) = marks[0]["markLine"]["data"]
    assert moment["xAxis"] == ms(days[4]) and moment["label"]["formatter"] == "Livestream"


def test_a_waterfall_floats_each_step_on_a_hidden_base_and_labels_it_as_drawn():
    chart = charts.waterfall(
        [("Traffic", 30.0), ("Conversion", -50.0)],
        start=("Target", 100.0),
        end=("Actual", 80.0),
        title="Gap",
        unit="count",
        lang="en",
    )
    option = chart.option()
    base, bars = option["series"]
    assert base["retroHidden"] and base["itemStyle"]["color"] == "transparent"
    assert option["xAxis"]["data"] == ["Target", "Traffic", "Conversion", "Actual"]
    assert [d["value"][1] for d in base["data"]] == [0.0, 100.0, 80.0, 0.0]  # each bar's low end
    assert [d["value"][1] for d in bars["data"]] == [100.0, 30.0, 50.0, 80.0]  # its height
    assert [d["f"] for d in bars["data"]] == ["100", "+30", "-50", "80"]  # as the static chart labels them


def test_stacked_and_grouped_bars_keep_their_layout():
    fig, ax = charts.new_figure()
    ax.bar([0, 1], [3, 4], label="a")
    ax.bar([0, 1], [1, 2], bottom=[3, 4], label="b")
    ax.set_xticks([0, 1], ["x", "y"])
    option = charts.finish(fig, ax, "stacked").option()
    assert [s.get("stack") for s in option["series"]] == ["total", "total"]
    assert [[d["value"][1] for d in s["data"]] for s in option["series"]] == [[3, 4], [1, 2]]
    assert option["legend"]["data"] == ["a", "b"]

    df = pd.DataFrame({"c": ["x", "x", "y", "y"], "v": [1.0, 2.0, 3.0, 4.0], "h": ["p", "q", "p", "q"]})
    grouped = charts.bar(df, "c", "v", hue="h", title="grouped", unit="count", lang="en", horizontal=False).option()
    assert [s.get("stack") for s in grouped["series"]] == [None, None]
    assert grouped["xAxis"] == {**grouped["xAxis"], "type": "category", "data": ["x", "y"]}


def test_a_forecast_band_is_a_filled_range_whose_tooltip_gives_both_ends():
    daily = pd.DataFrame(
        {
            "day": pd.date_range("2026-11-01", periods=2, freq="D"),
            "actual": [10.0, 12.0],
            "low": [8.0, 9.0],
            "high": [11.0, 13.0],
            "expected": [9.5, 11.0],
        }
    )
    labels = {"line": "Actual", "band": "90% range", "expected": "Expected"}
    option = charts.band(daily, title="t", unit="count", lang="en", labels=labels).option()
    low, rng = [s for s in option["series"] if s.get("stack", "").startswith("band")]
    assert low["retroHidden"] and [d["value"][1] for d in low["data"]] == [8.0, 9.0]
    assert [d["value"][1] for d in rng["data"]] == [3.0, 4.0] and rng["areaStyle"]
    assert [d["f"] for d in rng["data"]] == ["8 – 11", "9 – 13"]
    assert {s["name"] for s in _visible(option)} == {"90% range", "Expected", "Actual"}


def test_a_figure_it_cannot_read_keeps_its_image_only():
    import numpy as np

    fig, ax = charts.new_figure()
    ax.imshow(np.eye(3))
    chart = charts.Chart(fig, "heat")
    assert chart.option() is None
    html = chart._repr_html_()
    assert "retro-echart-option" not in html and "data:image/png;base64," in html


def test_the_inline_option_cannot_close_its_script_element():
    df = pd.DataFrame({"category": ["</script><script>alert(1)</script>"], "net": [1.0]})
    html = charts.bar(df, "category", "net", title="t", unit="money", lang="en")._repr_html_()
    assert html.count("</script>") == 1 and "\\u003c/script>" in html


def test_every_chart_text_is_at_least_11_px():
    df = pd.DataFrame({"category": ["a", "b"], "net": [1.0, 2.0]})
    option = charts.bar(df, "category", "net", title="t", unit="money", lang="en").option()
    sizes = []

    def walk(node):
        if isinstance(node, dict):
            sizes.extend(v for k, v in node.items() if k == "fontSize")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(option)
    assert sizes and min(sizes) >= 11


def test_seaborn_series_are_named_as_their_legend_names_them():
    import seaborn as sns

    fig, ax = charts.new_figure()
    df = pd.DataFrame(
        {"d": list(pd.date_range("2026-11-01", periods=3)) * 2, "v": range(6), "s": ["a"] * 3 + ["b"] * 3}
    )
    sns.lineplot(data=df, x="d", y="v", hue="s", marker="o", ax=ax)
    option = charts.finish(fig, ax, "t").option()
    assert [s["name"] for s in _visible(option)] == ["a", "b"]  # not seaborn's empty legend proxies
    assert option["legend"]["data"] == ["a", "b"]
    df = pd.DataFrame({"c": ["x", "x", "y", "y"], "v": [1.0, 2.0, 3.0, 4.0], "h": ["p", "q", "p", "q"]})
    bars = charts.bar(df, "c", "v", hue="h", title="t", unit="count", lang="en", horizontal=False).option()
    assert [s["name"] for s in bars["series"]] == ["p", "q"]


def test_phase_days_that_repeat_their_labels_are_placed_by_position():
    aligned = pd.DataFrame(
        {
            "phase": ["warmup", "warmup", "burst", "burst"],
            "phase_day": [1, 2, 1, 2],
            "slot": [0, 1, 2, 3],
            "gmv": [10.0, 20.0, 30.0, 40.0],
        }
    )
    chart = charts.phase_day_lines(aligned, [{"column": "gmv", "label": "GMV"}], title="t", unit="count", lang="en")
    option = chart.option()
    axis = option["xAxis"]  # slots labelled by their phase day, so a phase shades its days edge to edge
    assert axis["axisLabel"]["customValues"] == [0, 1, 2, 3] and axis["axisLabel"]["retroLabels"] == ["1", "2"] * 2
    (line,) = [s for s in _visible(option) if s["type"] == "line"]
    assert [d["value"] for d in line["data"]] == [[0, 10.0], [1, 20.0], [2, 30.0], [3, 40.0]]
    warmup, burst = tr("phase.warmup", "en"), tr("phase.burst", "en")
    assert [d["xf"] for d in line["data"]] == [f"{warmup} 1", f"{warmup} 2", f"{burst} 1", f"{burst} 2"]
    (marks,) = [s for s in option["series"] if "markArea" in s]
    assert [(a["xAxis"], b["xAxis"]) for a, b in marks["markArea"]["data"]] == [(-0.5, 1.5), (1.5, 3.5)]
