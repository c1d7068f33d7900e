"""Numbers as the report shows them in zh and en."""

from retro import formatting as f


def test_money_zh_uses_wan_and_yi():
    assert f.money(6123456.7, "zh") == "¥612.35万"
    assert f.money(2.5e8, "zh") == "¥2.50亿"
    assert f.money(532.1, "zh") == "¥532.10"


def test_money_en_uses_k_m_and_currency():
    assert f.money(6123456.7, "en", "USD") == "$6.12M"
    assert f.money(12500, "en", "EUR") == "€12.5K"
    assert f.money(-20, "en", "SEK") == "-SEK 20.00"


def test_pct_one_decimal_and_na():
    assert f.pct(0.1234) == "12.3%"
    assert f.pct(0.35, signed=True) == "+35.0%"
    assert f.pct(None) == "n/a" and f.pct(float("inf")) == "n/a" and f.pct(float("nan")) == "n/a"


def test_counts_durations_by_unit():
    assert f.number(11234, "zh") == "1.12万" and f.number(11234, "en") == "11.2K" and f.number(999, "en") == "999"
    assert f.value(15, "seconds", "en") == "15 s" and f.value(480, "seconds", "zh") == "8.0分钟"
    assert f.value(3.1234, "ratio", "en") == "3.12"
    assert f.value(0.35, "change", "en") == "+35.0%" and f.value(-0.2, "change", "zh") == "-20.0%"
    assert f.value(None, "money", "zh") == "n/a"
