"""Charts (retro.charts): labels are text, whatever characters the data's names hold."""

from __future__ import annotations

import pandas as pd
from retro import charts


def test_dollar_signs_and_backslashes_in_names_are_drawn_as_text():
    df = pd.DataFrame({"category": ["$5 deals", "50% off $ $", r"a\b_{x}^2"], "net": [120.0, 80.0, 30.0]})
    chart = charts.bar(df, "category", "net", title="Net $ales", unit="money", lang="en")
    assert chart.png()[:8] == b"\x89PNG\r\n\x1a\n"  # mathtext would raise on "$ $" while drawing
    ax = chart.figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["$5 deals", "50% off $ $", r"a\b_{x}^2"]
