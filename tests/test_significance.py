"""Noise or finding (retro.significance): Wilson intervals and two-proportion tests on hand-checked cases."""

from __future__ import annotations

import pytest
from retro.significance import MIN_OBSERVATIONS, against_reference, two_rates, wilson


def test_wilson_interval_matches_the_formula():
    # 40 of 100: centre (0.4 + 1.96²/200) / (1 + 1.96²/100), half-width 1.96·sqrt(0.24/100 + 1.96²/40000) / (…)
    low, high = wilson(40, 100)
    assert low == pytest.approx(0.3094, abs=1e-4) and high == pytest.approx(0.4980, abs=1e-4)
    assert wilson(0, 0) is None


def test_a_bounce_rate_of_45_3_against_45_0_is_noise():
    verdict = against_reference(453, 1000, 0.45)
    assert not verdict.significant and not verdict.too_small
    assert against_reference(5300, 10000, 0.45).significant


def test_small_segments_are_flagged_not_ranked():
    verdict = against_reference(9, MIN_OBSERVATIONS - 1, 0.05)
    assert verdict.too_small and not verdict.significant
    assert two_rates(3, 10, 40, 400).too_small


def test_two_rates():
    # 8% of 2000 vs 12% of 2000: z ≈ 4.2, p < 0.001
    verdict = two_rates(160, 2000, 240, 2000)
    assert verdict.significant and verdict.p_value < 0.001
    assert not two_rates(50, 1000, 55, 1000).significant
