"""The counterfactual (retro.forecast) on synthetic series with a known injected effect."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from retro.forecast import TooShort, counterfactual

START, END = date(2026, 11, 4), date(2026, 11, 18)  # 15 campaign days
WEEK = np.array([1.0, 0.95, 0.9, 0.95, 1.05, 1.2, 1.15])


def series(effect: float = 0.0, dip: float = 0.0, seed: int = 1) -> pd.Series:
    """A year of daily GMV around ¥10,000 with a weekly shape and noise; ``effect`` per campaign day."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2025-11-01", "2026-11-25", freq="D")
    values = 10_000 * WEEK[days.day_of_week] + rng.normal(0, 500, len(days))
    s = pd.Series(values, index=days)
    s[(days >= "2026-11-04") & (days <= "2026-11-18")] += effect
    s[(days >= "2026-10-28") & (days <= "2026-11-03")] -= dip  # shoppers waiting for the promotion
    return s


def test_the_interval_covers_an_injected_effect():
    lift = counterfactual(series(effect=5_000), START, END)
    campaign = lift.windows["campaign"]
    assert campaign.low <= 75_000 <= campaign.high  # 15 days × ¥5,000
    assert not campaign.covers_zero
    assert lift.method == "ets_weekly"  # ETS(A,N,A): additive error, no trend, additive weekly season
    assert lift.fit_end == date(2026, 10, 27)  # the pull-forward week is left out of the fit


def test_no_effect_covers_zero():
    lift = counterfactual(series(), START, END)
    assert all(w.covers_zero for w in lift.windows.values())


def test_net_incremental_subtracts_the_pull_forward_dip():
    lift = counterfactual(series(effect=5_000, dip=2_000), START, END)
    pre, net = lift.windows["pull_forward"], lift.windows["net"]
    assert pre.low <= -14_000 <= pre.high  # 7 days × ¥2,000 below normal
    assert net.lift == pytest.approx(lift.windows["campaign"].lift + pre.lift + lift.windows["hangover"].lift)
    assert net.low <= 75_000 - 14_000 <= net.high


def test_short_history_gives_no_number():
    short = series()[-50:]  # 50 days: 21 of history, 7 of pull-forward, 15 of campaign, 7 after
    assert counterfactual(short, START, END) == TooShort(days=21, needed=45)


def test_a_hangover_past_the_data_is_cut_and_said():
    s = series(effect=5_000)
    lift = counterfactual(s[s.index <= "2026-11-20"], START, END)
    assert lift.windows["hangover"].end == date(2026, 11, 20)
    assert lift.notes == ["hangover_short"]
    daily = lift.daily
    assert list(daily["window"].unique()) == ["pull_forward", "campaign", "hangover"]
    assert (daily["low"] <= daily["expected"]).all() and (daily["expected"] <= daily["high"]).all()


def test_the_cumulative_lift_ends_at_the_net_lift_and_its_range():
    lift = counterfactual(series(effect=5_000), START, END)
    last = lift.daily.iloc[-1]
    net = lift.windows["net"]
    assert last["cum_lift"] == pytest.approx(net.lift)
    assert (last["cum_low"], last["cum_high"]) == pytest.approx((net.low, net.high))
    before = lift.daily[lift.daily["window"] == "pull_forward"]
    assert (before["cum_low"] <= 0).all() and (before["cum_high"] >= 0).all()  # no effect before: covers zero
