"""`retro rollup`: one row per campaign of the year from each run's recorded figures, and a year total
recomputed from the summed parts, checked against numbers worked out by hand."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import retro
from retro.errors import RetroError
from retro.rollup import CampaignRow, collect, headline_figures, load_campaigns, totals
from retro.run import RunResult


def campaign(folder: Path, cid: str, start: str, end: str, gmv_target=None, language="en", currency="CNY") -> Path:
    doc = {
        "campaign": {"id": cid, "name": cid.replace("_", " ").title(), "language": language, "currency": currency},
        "phases": [{"name": "burst", "start": start, "end": end}],
        "data": {"demo": {"size": "small"}},
    }
    if gmv_target:
        doc["targets"] = {"gmv": gmv_target}
    path = folder / f"{cid}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def record(run_dir: Path, section: str, *figures: tuple) -> None:
    """Write a section's figures file as a run would: (key, value, parts)."""
    rows = [{"key": k, "value": v, "section": section, "segment": None, "parts": parts} for k, v, parts in figures]
    (run_dir / "figures").mkdir(parents=True, exist_ok=True)
    (run_dir / "figures" / f"{section}.json").write_text(json.dumps(rows))


def record_campaign(run_dir: Path, gmv, roi, spend, new, retention=None) -> None:
    record(run_dir, "sales", ("gmv", gmv, None), ("orders", 10, None))
    record(
        run_dir,
        "marketing",
        ("roi", roi, {"attributed_revenue": None, "spend": spend}),
        ("cac", spend / new, {"spend": spend, "new_customers": new}),
    )
    users = [("new_customers", new, None)] + ([("retention_30d", retention, None)] if retention is not None else [])
    record(run_dir, "users", *users)


def table_cells(page: str, caption: str) -> list[list[str]]:
    table = re.search(rf"<caption>{caption}</caption>(.*?)</table>", page, re.S).group(1)
    body = table[table.index("<tbody>") :]
    rows = re.findall(r"<tr>(.*?)</tr>", body)
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)] for row in rows]


def test_rollup_page_rows_and_year_total(project):
    params = project / "params"
    # June: GMV 1.00M of a 1.25M target (80.0%), ROI 2.0 on 100K spend, 2,000 new customers (CAC 50), retention 30%
    a = campaign(params, "mid_year", "2026-06-16", "2026-06-18", gmv_target=1_250_000)
    record_campaign(project / "outputs" / "mid_year", 1_000_000, 2.0, 100_000, 2_000, retention=0.30)
    # November: GMV 3.00M of 2.50M (120.0%), ROI 1.0 on 300K, 4,000 new (CAC 75), retention not recorded
    b = campaign(params, "double11", "2026-11-04", "2026-11-18", gmv_target=2_500_000)
    record_campaign(project / "outputs" / "double11", 3_000_000, 1.0, 300_000, 4_000)
    c = campaign(params, "year_end", "2026-12-12", "2026-12-12", gmv_target=900_000)  # never run: not in the total
    d = campaign(params, "last_year", "2025-11-04", "2025-11-18")  # another year

    r = retro("rollup", b, a, c, d, "--no-run")
    assert r.returncode == 0, r.stderr
    assert "left out (not starting in 2026): last_year" in r.stdout
    out = project / "outputs" / "rollup" / "2026" / "index.html"
    assert r.stdout.strip().endswith(f"rollup: {out}")
    page = out.read_text(encoding="utf-8")
    assert "<title>Campaigns of 2026" in page and "3 campaigns · 2026-06-16 to 2026-12-12" in page
    assert "<script src" not in page and "Traceback" not in page

    rows = table_cells(page, "One row per campaign")
    # campaign, dates, GMV, target, attainment, ROI, new customers, CAC, retention, figures from
    assert [row[:2] for row in rows] == [
        ["Mid Year", "2026-06-16 – 06-18"],
        ["Double11", "2026-11-04 – 11-18"],
        ["Year End", "2026-12-12 – 12-12"],
    ]
    assert rows[0][2:9] == ["1.00", "1.25", "80.0%", "2.00", "2,000", "50.00", "30.0%"]
    assert rows[1][2:9] == ["3.00", "2.50", "120.0%", "1.00", "4,000", "75.00", "n/a"]
    # one unit per column, said in its header: the target column is in ¥M, so 900 000 reads 0.90 like its neighbours
    assert rows[2][2:] == ["n/a", "0.90"] + ["n/a"] * 5 + ["not run"]
    assert "GMV (¥M)</th>" in page and "(¥)</th>" in page
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", rows[0][9])
    # GMV 4.00M of 3.75M = 106.7%; ROI (2.0 x 100K + 1.0 x 300K) / 400K = 1.25; CAC 400K / 6,000 = 66.67
    total = table_cells(page, "Year total")
    assert total == [["Year total", "4.00", "3.75", "106.7%", "1.25", "6,000", "66.67", "n/a"]]

    zh = retro("rollup", a, b, "--no-run", "--lang", "zh", "--output", project / "zh")
    assert zh.returncode == 0, zh.stderr
    page = (project / "zh" / "index.html").read_text(encoding="utf-8")
    assert "2026年大促汇总" in page and ">400.00<" in page and "（¥万）</th>" in page and 'lang="zh-CN"' in page


def test_year_total_pools_retention_from_its_parts(tmp_path):
    def row(cid, start, retention, retained, buyers):
        run_dir = tmp_path / "outputs" / cid
        record(run_dir, "users", ("retention_30d", retention, {"retained": retained, "buyers": buyers}))
        _, params = load_campaigns([campaign(tmp_path, cid, start, start)])[0]
        return CampaignRow(params, run_dir, headline_figures(run_dir))

    # June: 30 of 100 buyers came back (30%); November: 100 of 400 (25%); pooled 130 / 500 = 26.0%, not the
    # 27.5% mean of the two rates
    june = row("mid_year", "2026-06-16", 0.30, 30, 100)
    assert totals([june, row("double11", "2026-11-11", 0.25, 100, 400)])["retention_30d"] == pytest.approx(0.26)
    # a campaign whose window has not matured (no value) leaves the year's retention n/a
    assert totals([june, row("double12", "2026-12-12", None, None, 400)])["retention_30d"] is None


def test_a_campaign_never_run_is_run_first(tmp_path, monkeypatch):
    import retro.run

    ran = []

    def fake_run(path, echo=print, **kw):
        ran.append(Path(path).name)
        run_dir = tmp_path / "runs" / Path(path).stem
        record(run_dir, "sales", ("gmv", 500.0, None))
        return RunResult(run_dir)

    monkeypatch.setattr(retro.run, "run_campaign", fake_run)
    fresh = campaign(tmp_path, "rollup_test_never_run", "2026-03-01", "2026-03-02")
    rows = collect(load_campaigns([fresh]), echo=lambda line: None)
    assert ran == ["rollup_test_never_run.yaml"] and rows[0].value("gmv") == 500.0 and rows[0].note == ""
    rows = collect(load_campaigns([fresh]), run=False, echo=lambda line: None)
    assert rows[0].figures == {} and rows[0].note == "not_run"


def test_rollup_problems_are_one_line_each(tmp_path):
    usd = campaign(tmp_path, "usd_sale", "2026-03-01", "2026-03-02", currency="USD")
    cny = campaign(tmp_path, "cny_sale", "2026-04-01", "2026-04-02")
    with pytest.raises(RetroError, match=r"different currencies \(CNY, USD\)"):
        load_campaigns([usd, cny])
    with pytest.raises(RetroError) as err:
        load_campaigns([tmp_path / "missing.yaml", cny, tmp_path / "gone.yaml"])
    assert len(err.value.problems) == 2 and all("file not found" in p for p in err.value.problems)


def test_campaigns_with_the_same_dates_are_named(tmp_path):
    a = campaign(tmp_path / "a", "double11", "2026-11-04", "2026-11-18")
    b = campaign(tmp_path / "b", "double11_copy", "2026-11-04", "2026-11-18")
    c = campaign(tmp_path, "double12", "2026-12-12", "2026-12-12")
    from retro.rollup import same_dates

    assert same_dates(load_campaigns([a, b, c])) == [
        "double11 (double11.yaml) and double11_copy (double11_copy.yaml) have the same dates "
        "(2026-11-04 to 2026-11-18): is one a copy of the other?"
    ]


def test_a_run_folder_made_with_output_stands_for_its_campaign(tmp_path):
    """`retro rollup a.yaml runs/b` mixes a YAML and a --output run folder; the folder's row is read as it is."""
    from retro.params import load_params
    from retro.rundir import RunDir

    a = campaign(tmp_path / "params", "mid_year", "2026-06-16", "2026-06-18", gmv_target=1_250_000)
    b = campaign(tmp_path / "params", "double11", "2026-11-04", "2026-11-18", gmv_target=2_500_000)
    folder = tmp_path / "elsewhere" / "d11-run"
    record_campaign(folder, 3_000_000, 1.0, 300_000, 4_000)
    RunDir(folder).write_snapshot(load_params(b))  # what `retro run b.yaml --output …` records
    loaded = load_campaigns([a, folder])
    rows = collect(loaded, run=False)
    d11 = next(r for r in rows if r.params.campaign.id == "double11")
    assert d11.run_dir == folder and d11.value("gmv") == 3_000_000 and d11.params.targets == {"gmv": 2_500_000}
    assert (d11.params.start.isoformat(), d11.params.end.isoformat()) == ("2026-11-04", "2026-11-18")
    with pytest.raises(RetroError, match="run folder not found"):
        load_campaigns([tmp_path / "nowhere-run"])  # a path that is no file is read as a folder, and said so
    empty = tmp_path / "empty-run"
    empty.mkdir()
    with pytest.raises(RetroError, match="no recorded figures"):
        load_campaigns([empty])
