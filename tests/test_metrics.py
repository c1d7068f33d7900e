"""Metric formulas against hand-computed cases, including zero denominators and empty inputs."""

import math

import numpy as np
import pandas as pd
import pytest
from retro import metrics as m


def test_ratio_guards_zero_and_missing():
    assert m.ratio(3, 4) == 0.75
    assert m.ratio(3, 0) is None
    assert m.ratio(None, 4) is None and m.ratio(3, float("nan")) is None
    col = m.ratio_column(pd.Series([1, 2, 3]), pd.Series([2, 0, None]))
    assert col.iloc[0] == 0.5 and math.isnan(col.iloc[1]) and math.isnan(col.iloc[2])


def test_change_and_attainment():
    assert m.change(135, 100) == pytest.approx(0.35)
    assert m.change(5, 0) is None
    assert m.attainment(90, 100) == pytest.approx(0.9)


def test_aov_vs_spend_per_buyer_are_different_numbers():
    # 600 net over 3 paid orders by 2 buyers
    assert m.aov(600, 3) == 200
    assert m.spend_per_buyer(600, 2) == 300
    assert m.aov(0, 0) is None


def test_roas_roi_cac():
    assert m.roas(500, 100) == 5
    assert m.roi(500, 100) == 4  # (500 - 100) / 100
    assert m.roi(500, 100, cost_of_goods=200) == 2  # (500 - 100 - 200) / 100
    assert m.roas(500, 0) is None and m.roi(500, 0) is None
    assert m.cac(1000, 40) == 25 and m.cac(1000, 0) is None and m.cac(0, 40) is None


def test_largest_drop():
    assert m.largest_drop({"view": 100, "cart": 20, "order": 15, "pay": 12}, ["view", "cart", "order", "pay"]) == (
        "view",
        "cart",
        pytest.approx(0.8),
    )
    assert m.largest_drop({"view": 0, "cart": 0}, ["view", "cart"]) is None


def test_percentile_and_empty():
    assert m.percentile([1, 2, 3, 4, 100], 50) == 3
    assert m.percentile([10, 20], 90) == pytest.approx(19.0)
    assert m.percentile([], 50) is None


def test_nps_and_reliability():
    scores = [10, 9, 8, 7, 6, 0, 10, 10, 5, 9]  # 5 promoters, 2 passives, 3 detractors
    r = m.nps(scores)
    assert r["nps"] == 20.0 and r["responses"] == 10 and r["reliable"] is False
    assert r["promoters"] == 0.5 and r["detractors"] == 0.3
    assert m.nps([9] * 30)["reliable"] is True
    assert m.nps([])["nps"] is None


def test_csat():
    assert m.csat([5, 4, None, 3]) == 4.0
    assert m.csat([]) is None


def test_share_of_zero_total():
    s = m.share(pd.Series([0.0, 0.0]))
    assert s.isna().all()
    assert list(m.share(pd.Series([1.0, 3.0]))) == [0.25, 0.75]


def test_rfm_scores_by_quantile():
    c = pd.DataFrame(
        {
            "recency_days": [1, 10, 100, 200, 300],
            "frequency": [9, 5, 3, 2, 1],
            "monetary": [900, 500, 300, 200, 100],
        }
    )
    r = m.rfm_scores(c)
    # five customers, five bins: the best on every axis scores 5, the worst 1
    assert list(r["r"]) == [5, 4, 3, 2, 1]
    assert list(r["f"]) == [5, 4, 3, 2, 1] and list(r["m"]) == [5, 4, 3, 2, 1]
    assert r["segment"].iloc[0] == "champions" and r["segment"].iloc[-1] == "hibernating"
    assert m.rfm_scores(c.iloc[:0]).empty


def test_rfm_segments_take_the_first_rule_that_holds():
    # (r, f, m) -> segment, one case per rule and the boundaries between them
    cases = {
        (4, 4, 4): "champions",
        (5, 5, 3): "loyal",  # f >= 4 without m: loyal, not champions
        (3, 1, 4): "loyal",  # m >= 4 and r >= 3
        (2, 1, 4): "at_risk",  # m >= 4 but r < 3: not loyal; r <= 2 and m >= 3
        (4, 3, 3): "promising",
        (1, 3, 1): "at_risk",
        (3, 3, 3): "hibernating",  # r = 3 is neither promising nor at risk
        (1, 2, 2): "hibernating",
    }
    r, f, mon = (pd.Series([k[i] for k in cases]) for i in range(3))
    assert list(m.rfm_segments(r, f, mon)) == list(cases.values())


@pytest.mark.parametrize("kind", ["days", "amounts", "missing"])
def test_rfm_quantile_ranks_are_pandas_average_ranks_exactly(kind):
    """Scores are cut at quantile boundaries: a rank off by one float step moves customers between scores."""
    rng = np.random.default_rng(7)
    if kind == "days":  # whole numbers, counted
        values = pd.Series(-rng.integers(0, 366, 5000).astype("float64"))
    elif kind == "amounts":  # ties at common prices, sorted
        values = pd.Series(rng.choice([9.9, 19.9, 0.1 + 0.2, 0.3, 199.0, -0.0, 0.0], 5000) + (rng.random(5000) < 0.3))
    else:
        values = pd.Series([3.0, np.nan, 1.0, 3.0])
    expected = values.rank(method="average", pct=True).to_numpy()
    np.testing.assert_array_equal(m._pct_rank(values), expected)
