"""How much was truly extra: the campaign days against a forecast of what they would have sold without it.

Forecast-based, not causal. An exponential smoothing state-space model (statsmodels' ``ETSModel``: additive
error, additive weekly season when the history holds at least four weeks, no trend) is fitted to the daily
series before the campaign, leaving out a pull-forward window just before it (shoppers wait for the promotion,
so those days are below normal). The fitted model simulates many possible paths over the pull-forward window,
the campaign and a hangover window after it; for each window, lift = actual − the forecast, and its interval
is the spread of actual − simulated total across the paths (so the days' errors are summed as the model says
they move together, not as independent). Net incremental = campaign lift + pull-forward lift + hangover lift
(the last two usually negative). With a history shorter than three times the campaign, no number is given.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

MIN_HISTORY_RATIO = 3  # history days needed per campaign day
SEASON = 7
LEVEL = 0.90  # the intervals' coverage


@dataclass(frozen=True)
class WindowLift:
    """One window's actual total, forecast total and lift (actual − forecast) with its interval."""

    name: str  # pull_forward | campaign | hangover | net
    start: date | None
    end: date | None
    actual: float
    expected: float
    lift: float
    low: float
    high: float

    @property
    def covers_zero(self) -> bool:
        return self.low <= 0 <= self.high


@dataclass
class Lift:
    """The counterfactual: per window lifts, the daily band, and the method (ets_weekly: ETS(A,N,A); ets)."""

    method: str
    fit_start: date
    fit_end: date
    level: float
    windows: dict[str, WindowLift]
    daily: pd.DataFrame  # day, window, actual, expected, low, high; cum_lift, cum_low, cum_high from the first day
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TooShort:
    """Not enough history for a forecast: how many days there are and how many are needed."""

    days: int
    needed: int


def _daily(series: pd.Series) -> pd.Series:
    """A daily series indexed by date with every day between its first and last (missing days sold 0)."""
    s = series.copy()
    s.index = pd.to_datetime(s.index).normalize()
    s = s.groupby(level=0).sum()
    full = pd.date_range(s.index.min(), s.index.max(), freq="D")
    return s.reindex(full, fill_value=0.0).astype(float)


def counterfactual(
    series: pd.Series,
    start: date,
    end: date,
    *,
    pull_forward_days: int = 7,
    hangover_days: int = 7,
    level: float = LEVEL,
    repetitions: int = 2000,
    seed: int = 0,
) -> Lift | TooShort:
    """Lift of the campaign ``start``..``end`` (inclusive) over a forecast from the days before it.

    ``series``: daily totals (GMV) indexed by day, covering history before the campaign and, where the data
    reaches, the hangover after it.
    """
    s = _daily(series)
    campaign_days = (end - start).days + 1
    pre_start = start - timedelta(days=pull_forward_days)
    history = s[s.index < pd.Timestamp(pre_start)]
    needed = MIN_HISTORY_RATIO * campaign_days
    if len(history) < needed or history.sum() <= 0:
        return TooShort(len(history), needed)
    post_end = end + timedelta(days=hangover_days)
    last = s.index.max().date()
    notes = []
    if last < post_end:
        post_end = max(last, end)
        if hangover_days:
            notes.append("hangover_short")
    horizon = (post_end - pre_start).days + 1
    result, method = _fit(history)
    paths = np.asarray(
        result.simulate(nsimulations=horizon, repetitions=repetitions, anchor="end", rng=np.random.default_rng(seed))
    ).reshape(horizon, -1)
    days = pd.date_range(pd.Timestamp(pre_start), periods=horizon, freq="D")
    actual = s.reindex(days).to_numpy()
    expected = np.asarray(result.forecast(horizon))
    alpha = (1 - level) / 2
    window = np.where(
        days < pd.Timestamp(start), "pull_forward", np.where(days > pd.Timestamp(end), "hangover", "campaign")
    )
    cumulative = np.nancumsum(actual)[:, None] - np.cumsum(paths, axis=0)  # lift so far, per simulated path
    daily = pd.DataFrame(
        {
            "day": days.date,
            "window": window,
            "actual": actual,
            "expected": expected,
            "low": np.quantile(paths, alpha, axis=1),
            "high": np.quantile(paths, 1 - alpha, axis=1),
            "cum_lift": np.nancumsum(actual) - np.cumsum(expected),
            "cum_low": np.quantile(cumulative, alpha, axis=1),
            "cum_high": np.quantile(cumulative, 1 - alpha, axis=1),
        }
    )
    windows = {}
    masks = {name: window == name for name in ("pull_forward", "campaign", "hangover")}
    masks["net"] = np.ones(horizon, dtype=bool)
    for name, mask in masks.items():
        if not mask.any():
            continue
        lifts = np.nansum(actual[mask]) - paths[mask].sum(axis=0)
        windows[name] = WindowLift(
            name,
            days[mask][0].date(),
            days[mask][-1].date(),
            float(np.nansum(actual[mask])),
            float(expected[mask].sum()),
            float(np.nansum(actual[mask]) - expected[mask].sum()),
            float(np.quantile(lifts, alpha)),
            float(np.quantile(lifts, 1 - alpha)),
        )
    fit_start, fit_end = history.index[0].date(), history.index[-1].date()
    return Lift(method, fit_start, fit_end, level, windows, daily, notes)


def _fit(history: pd.Series):
    """The fitted ETS model and its code; weekly season only with four weeks or more of history."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    seasonal = "add" if len(history) >= 4 * SEASON else None
    model = ETSModel(
        history.reset_index(drop=True),
        error="add",
        trend=None,
        seasonal=seasonal,
        seasonal_periods=SEASON if seasonal else None,
    )
    with warnings.catch_warnings():  # convergence chatter of the optimiser: the fit is used as it is
        warnings.simplefilter("ignore")
        result = model.fit(disp=False)
    return result, ("ets_weekly" if seasonal else "ets")
