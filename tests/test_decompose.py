"""Driver contributions (retro.decompose) against hand-computed cases: they sum exactly to the change."""

from __future__ import annotations

import pytest
from retro.decompose import channel_gmv, channel_parts, funnel_drivers, product, shapley, split_channels, split_gmv


def test_two_drivers_moving_share_the_interaction_half_and_half():
    # 100 visitors × 0.1 orders each × ¥50 = ¥500 → 120 × 0.1 × ¥60 = ¥720
    ref = funnel_drivers(100, 10, 500)
    act = funnel_drivers(120, 12, 720)
    parts = split_gmv(ref, act)
    # visitors: ½[(20)(50) + (20)(60)] × 0.1 = 110; GMV per order: ½[(10)(100) + (10)(120)] × 0.1 = 110
    assert parts == pytest.approx({"visitors": 110.0, "orders_per_visitor": 0.0, "gmv_per_order": 110.0})
    assert sum(parts.values()) == pytest.approx(720 - 500)


def test_contributions_sum_exactly_for_any_change():
    ref, act = funnel_drivers(61234, 10412, 6_100_000), funnel_drivers(48000, 9800, 5_870_000)
    parts = split_gmv(ref, act)
    assert sum(parts.values()) == pytest.approx(5_870_000 - 6_100_000, abs=1e-6)
    assert all(v < 0 for k, v in parts.items() if k == "visitors")


def test_a_driver_without_data_gives_no_drivers():
    assert funnel_drivers(0, 10, 100) is None
    assert funnel_drivers(100, 0, 0) is None
    assert funnel_drivers(None, 3, 4) is None


def test_channel_mix_against_traffic():
    # search 100 visitors, 10 orders, ¥1000; live 100, 5, ¥500 → live grows to 300, 15, ¥1500
    ref = channel_parts(
        [
            {"channel": "search", "visitors": 100, "orders": 10, "gmv": 1000},
            {"channel": "live", "visitors": 100, "orders": 5, "gmv": 500},
        ]
    )
    act = channel_parts(
        [
            {"channel": "search", "visitors": 100, "orders": 10, "gmv": 1000},
            {"channel": "live", "visitors": 300, "orders": 15, "gmv": 1500},
        ]
    )
    assert channel_gmv(ref) == pytest.approx(1500) and channel_gmv(act) == pytest.approx(2500)
    parts = split_channels(ref, act)
    # G = T × Σ share·rate·value: 200 × 7.5 → 400 × 6.25; T: ½[200·7.5 + 200·6.25] = 1375, mix: −375
    assert parts == pytest.approx({"visitors": 1375.0, "mix": -375.0, "rate": 0.0, "value": 0.0})


def test_a_channel_new_this_time_is_decomposed_too():
    ref = channel_parts([{"channel": "search", "visitors": 100, "orders": 10, "gmv": 1000}])
    act = channel_parts(
        [
            {"channel": "search", "visitors": 100, "orders": 10, "gmv": 1000},
            {"channel": "live", "visitors": 100, "orders": 5, "gmv": 500},
        ]
    )
    parts = split_channels(ref, act)
    assert sum(parts.values()) == pytest.approx(500)


def test_orders_in_a_channel_nobody_visited_cannot_be_put_on_visits():
    assert channel_parts([{"channel": "other", "visitors": 0, "orders": 3, "gmv": 90}]) is None


def test_shapley_is_exact_for_a_non_product_too():
    def value(d):
        return d["a"] ** 2 + d["a"] * d["b"]

    parts = shapley(value, {"a": 1.0, "b": 2.0}, {"a": 3.0, "b": 5.0})
    assert sum(parts.values()) == pytest.approx(value({"a": 3, "b": 5}) - value({"a": 1, "b": 2}))
    assert product({"x": 2.0, "y": 3.0}) == 6.0


def test_category_mix_against_volume_and_price():
    from retro.decompose import category_parts, mixed_total, split_mix

    # A: 10 units at ¥100; B: 10 at ¥50 → B sells 30: units 20 → 40, mix moves to the cheaper category
    ref = category_parts(
        [{"category": "A", "units": 10, "net_sales": 1000}, {"category": "B", "units": 10, "net_sales": 500}]
    )
    act = category_parts(
        [{"category": "A", "units": 10, "net_sales": 1000}, {"category": "B", "units": 30, "net_sales": 1500}]
    )
    assert mixed_total(ref) == pytest.approx(1500) and mixed_total(act) == pytest.approx(2500)
    # units: ½[20·75 + 20·62.5] = 1375; mix: ½[20·(62.5 − 75) + 40·(62.5 − 75)] = −375; price unchanged
    assert split_mix(ref, act) == pytest.approx({"units": 1375.0, "mix": -375.0, "price": 0.0})
