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


def test_a_table_column_shares_one_unit_and_precision():
    """A column never mixes 1.08万 and 3,765: its typical value picks 万 (zh) or K (en) for every row."""
    import pandas as pd
    from retro.display import Table

    df = pd.DataFrame({"orders": [10800, 3765, 52000], "gmv": [12402400.0, 46373800.0, 998.5]})
    t = Table(df, {"orders": "count", "gmv": "money"}, lang="zh")
    # the unit is said once, in the header: the cells are numbers that never wrap on a 万 or a ¥
    assert [t.cell("orders", v)[0] for v in df["orders"]] == ["1.08", "0.38", "5.20"] and t.heading(
        "orders"
    ) == "orders（万）"
    assert [t.cell("gmv", v)[0] for v in df["gmv"]] == ["1,240.24", "4,637.38", "0.10"] and t.heading(
        "gmv"
    ) == "gmv（¥万）"
    en = Table(df, {"orders": "count"}, lang="en")
    assert [en.cell("orders", v)[0] for v in df["orders"]] == ["10.8", "3.8", "52.0"] and en.heading(
        "orders"
    ) == "orders (K)"
    brl = Table(pd.DataFrame({"gmv": [12.5, -3.0]}), {"gmv": "money"}, lang="en", currency="BRL")
    assert [brl.cell("gmv", v)[0] for v in brl.df["gmv"]] == ["12.50", "-3.00"] and brl.heading("gmv") == "gmv (BRL)"
    small = Table(pd.DataFrame({"n": [722.8, 12, 3]}), {"n": "count"}, lang="zh")
    assert [small.cell("n", v)[0] for v in small.df["n"]] == ["723", "12", "3"] and small.heading("n") == "n"


def test_counts_are_whole_and_large_numbers_keep_separators():
    assert f.value(722.8, "count", "zh") == "723"
    assert f.value(1.25, "count", "en") == "1.2"  # an average of a few items keeps one decimal
    assert f.number(12402400, "zh") == "1,240.24万"
    assert f.money(46373800, "zh") == "¥4,637.38万"


def test_an_axis_reads_in_one_unit_with_the_fewest_exact_decimals():
    """en axes never read ¥250.0K, ¥1M, ¥1.50M side by side; zh ones never mix 万 and plain ticks."""
    from retro.charts import axis_formatter

    def ticks(unit, lang, locs):
        f = axis_formatter(unit, lang)
        f.set_locs(locs)
        return [f(v) for v in locs]

    assert ticks("money", "en", [0, 250_000, 500_000, 1_500_000]) == ["¥0.00M", "¥0.25M", "¥0.50M", "¥1.50M"]
    assert ticks("money", "en", [0, 1e6, 2e6]) == ["¥0M", "¥1M", "¥2M"]
    assert ticks("count", "zh", [0, 7500, 15000]) == ["0.00万", "0.75万", "1.50万"]
    assert ticks("count", "zh", [0, 200, 400]) == ["0", "200", "400"]
    assert ticks("pct", "en", [0, 0.5]) == ["0%", "50%"]


def test_table_cells_are_text_without_markup_or_control_characters():
    import pandas as pd
    from retro.display import Table

    df = pd.DataFrame({"channel": ["sea\x00rch", "<b>live</b>"], "orders": [3, 4]})
    html = Table(df, {"orders": "count"}, lang="en")._repr_html_()
    assert ">search<" in html and "\x00" not in html
    assert "&lt;b&gt;live&lt;/b&gt;" in html and "<b>live" not in html


def test_total_and_baseline_rows_are_marked_to_stay_at_the_bottom_when_sorted():
    import pandas as pd
    from retro.display import Table

    df = pd.DataFrame({"channel": ["search", "整体", "live", "日常"], "orders": [3, 9, 6, 2]})
    html = Table(df, {"orders": "count"}, lang="zh")._repr_html_()
    assert html.count('<tr class="pinned">') == 2
    assert '<tr class="pinned"><td class="txt">整体</td>' in html and '<tr><td class="txt">search' in html
