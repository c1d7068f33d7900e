"""The demo report in a real browser (Debian's Chromium driven by Playwright), opened from file:// offline."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from retro.report import find_chromium

pytestmark = pytest.mark.e2e
CHROMIUM = find_chromium()
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium not installed (Debian: apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def report(built):
    *_, run_dir, result = built
    assert result.returncode == 0, result.stderr
    return run_dir / "report"


def pages(report: Path) -> list[Path]:
    return sorted(report.glob("*.html"))


def open_offline(browser, path: Path, width: int = 1440):
    """Open a page with every request other than the page itself recorded and aborted."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    requests, errors = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        if r.request.url == path.as_uri():
            return r.continue_()
        requests.append(r.request.url)
        return r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri(), wait_until="load")
    page.evaluate("document.fonts.ready")
    return page, requests, errors


SMALL_CHART_TEXT = """() => [...document.querySelectorAll('.retro-echart text')]
    .map(t => parseFloat(getComputedStyle(t).fontSize)).filter(s => s < 11)"""


@pytest.mark.parametrize("width", [1440, 390])
def test_every_page_loads_offline_without_errors_or_requests_and_draws_every_chart(browser, report, width):
    charts = 0
    for path in pages(report):
        page, requests, errors = open_offline(browser, path, width)
        assert requests == [], f"{path.name} requested {requests[:3]}"
        assert errors == [], f"{path.name}: {errors[:3]}"
        assert page.evaluate("document.fonts.check('16px \"Retro CJK\"', '销售')"), "embedded CJK font not usable"
        static = page.locator("figure.retro-chart:not(.live)").count()
        assert static == 0, f"{path.name}: {static} chart(s) left as images"
        charts += page.locator("figure.retro-chart.live").count()
        assert page.evaluate(SMALL_CHART_TEXT) == [], f"{path.name}: chart text under 11px at {width}px"
        page.close()
    assert charts >= 15


def test_every_link_resolves_to_an_existing_anchor(browser, report):
    ids: dict[str, set[str]] = {}
    for path in pages(report):
        page, _, _ = open_offline(browser, path)
        ids[path.name] = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
        page.close()
    for path in pages(report):
        page, _, _ = open_offline(browser, path)
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        page.close()
        assert hrefs, path.name
        for href in hrefs:
            url = urlparse(href)
            assert not url.scheme, f"{path.name}: external link {href}"
            target = unquote(url.path) or path.name
            assert target in ids, f"{path.name}: link to missing page {href}"
            if url.fragment:
                assert url.fragment in ids[target], f"{path.name}: link to missing anchor {href}"


@pytest.mark.parametrize("width", [1440, 390])
def test_screenshots_without_horizontal_overflow(browser, report, width):
    shots = report.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    for path in pages(report):
        if path.name == "report.html":
            continue
        page, _, _ = open_offline(browser, path, width)
        page.screenshot(path=str(shots / f"{path.stem}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path.name} is {overflow}px wider than a {width}px screen"
        page.close()
    assert len(list(shots.glob(f"*-{width}.png"))) == len(pages(report)) - 1


def test_zh_report_has_no_tofu_and_no_missing_glyph_warnings(browser, report):
    for path in pages(report):
        page, _, _ = open_offline(browser, path)
        text = page.inner_text("body")
        page.close()
        assert "□" not in text and "\ufffd" not in text, path.name
    for nb in (report.parent / "notebooks").glob("*.ipynb"):
        streams = [
            o
            for c in json.loads(nb.read_text(encoding="utf-8"))["cells"]
            for o in c.get("outputs", [])
            if o.get("output_type") == "stream"
        ]
        assert not any("Glyph" in "".join(o.get("text", "")) for o in streams), nb.name


def test_campaign_name_with_a_script_renders_as_text(browser, report, tmp_path):
    from retro.params import load_params
    from retro.report import export_report
    from retro.run import read_statuses

    run_dir = report.parent
    params = load_params(run_dir.parent / "campaign.yaml")
    hostile = "<script>alert(1)</script>"
    params = params.model_copy(update={"campaign": params.campaign.model_copy(update={"name": hostile})})
    copy = tmp_path / "run"
    copy.mkdir()
    for sub in ("notebooks", "marts", "figures"):
        (copy / sub).symlink_to(run_dir / sub)
    index = export_report(params, copy, read_statuses(run_dir))
    page, _, errors = open_offline(browser, index)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.reload()
    assert page.inner_text("h1") == hostile
    assert dialogs == [] and errors == []
    page.close()


def test_pdf_has_a_page_per_section_and_the_campaign_name(report):
    out = subprocess.run(
        [sys.executable, "-m", "retro.cli", "pdf", str(report.parent)], capture_output=True, text=True, timeout=300
    )
    if CHROMIUM is None:
        pytest.skip("Chromium not installed")
    assert out.returncode == 0, out.stderr
    from pypdf import PdfReader

    reader = PdfReader(report.parent / "report.pdf")  # beside report/: a re-run does not delete it
    sections = [p for p in pages(report) if re.match(r"\d\d_", p.name) and not p.name.startswith("08_")]
    assert len(reader.pages) >= len(sections) + 2  # a cover, the overview, a page per section at least
    width, height = (round(float(x)) for x in reader.pages[0].mediabox[2:])
    assert (width, height) == (595, 842) or (width, height) == (596, 843)  # A4 in points
    text = "".join(p.extract_text() or "" for p in reader.pages[:2])
    assert "双11大促2026（演示数据）" in re.sub(r"\s+", "", text)  # extraction breaks lines at spaces
    assert f"2 / {len(reader.pages)}" in (reader.pages[1].extract_text() or "")  # page numbers in the footer
    bookmarks = [b.title for b in reader.outline if not isinstance(b, list)]
    assert len(bookmarks) == len(sections) + 1 and bookmarks[1].startswith("00 · ")  # the overview, each section


def test_size_budget(report):
    """At most 1.5 MB a page (ECharts inlined once where there are charts) and 6 MB for report.html."""
    for path in pages(report):
        limit = 6e6 if path.name == "report.html" else 1.5e6
        assert path.stat().st_size <= limit, f"{path.name}: {path.stat().st_size / 1e6:.2f} MB"


# --- interactive charts -----------------------------------------------------------------------------------
FIND_POINT = """([series, day]) => {
  for (const el of document.querySelectorAll('.retro-echart')) {
    const chart = echarts.getInstanceByDom(el);
    if (!chart) continue;
    const option = chart.getOption();
    const i = option.series.findIndex(s => s.name === series && s.data.some(d => d && d.xf === day));
    if (i < 0) continue;
    const item = option.series[i].data.find(d => d.xf === day);
    el.scrollIntoView({block: 'center'});
    const [x, y] = chart.convertToPixel({seriesIndex: i}, item.value);
    const box = el.getBoundingClientRect();
    return {x: box.left + x, y: box.top + y, f: item.f, count: document.querySelectorAll('.retro-echart').length};
  }
  return null;
}"""


def _campaign_day_with_most_gmv(report: Path):
    import pandas as pd

    daily = pd.read_parquet(report.parent / "marts" / "sales_daily.parquet")
    daily = daily[daily["period"] != "baseline"]
    return daily.loc[daily["gmv"].idxmax()]


def test_hovering_a_day_of_the_daily_gmv_chart_shows_the_recorded_value(browser, report):
    import retro.sections.sales  # noqa: F401 - registers the section's texts
    from retro import formatting as fmt
    from retro.i18n import tr

    top = _campaign_day_with_most_gmv(report)
    day = pd_day(top["day"])
    expected = fmt.value(top["gmv"], "money", "zh", "CNY")
    for width in (1440, 390):
        page, _, errors = open_offline(browser, report / "01_sales.html", width)
        point = page.evaluate(FIND_POINT, [tr("sales.series.gmv", "zh"), day])
        assert point is not None, f"no interactive daily GMV chart with {day} at {width}px"
        assert point["f"] == expected
        page.mouse.move(point["x"], point["y"])
        tip = page.locator(".retro-tip").first
        tip.wait_for(state="visible", timeout=5000)
        assert day in tip.inner_text() and expected in tip.inner_text(), tip.inner_text()
        assert errors == []
        page.close()


def pd_day(value) -> str:
    import pandas as pd

    return pd.Timestamp(value).strftime("%m-%d")


def test_clicking_a_legend_entry_hides_its_series(browser, report):
    import retro.sections.sales  # noqa: F401 - registers the section's texts
    from retro.i18n import tr

    page, _, _ = open_offline(browser, report / "01_sales.html")
    name = tr("sales.series.net", "zh")
    figure = page.locator("figure.retro-chart.live", has=page.locator(f"text={name}")).first
    entry = figure.locator(".retro-echart text", has_text=name).first
    entry.scroll_into_view_if_needed()
    entry.click()
    selected = figure.locator(".retro-echart").evaluate(
        "(el, name) => echarts.getInstanceByDom(el).getOption().legend[0].selected[name]", name
    )
    assert selected is False
    page.close()


def test_charts_print_as_images(browser, report):
    page, _, _ = open_offline(browser, report / "01_sales.html")
    page.emulate_media(media="print")
    shown = "el => getComputedStyle(el).display"
    assert page.locator("figure.retro-chart.live .retro-echart").first.evaluate(shown) == "none"
    assert page.locator("figure.retro-chart.live img.retro-chart-static").first.evaluate(shown) != "none"
    page.close()


def test_report_html_copied_alone_links_to_nothing_missing(browser, report, tmp_path):
    import shutil

    alone = tmp_path / "sent" / "report.html"
    alone.parent.mkdir()
    shutil.copy(report / "report.html", alone)
    page, requests, errors = open_offline(browser, alone)
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.getAttribute('href'))")
    ids = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
    assert hrefs, "the report has links"
    for href in hrefs:
        assert href.startswith("#") and {href[1:], unquote(href[1:])} & ids, f"report.html alone: broken link {href}"
    assert requests == [] and errors == []
    page.close()


def test_sorting_keeps_total_rows_at_the_bottom(browser, report):
    page, _, _ = open_offline(browser, report / "05_marketing.html")
    table = page.locator("table.retro-table:has(tr.pinned)").first
    assert table.count() == 1, "the channel table has its total row"
    last = "els => els[els.length - 1].className"
    for _ in range(2):  # ascending, then descending
        table.locator("thead th").nth(1).click()
        assert table.locator("tbody tr").evaluate_all(last) == "pinned"
    page.close()


def test_every_page_has_the_contents_with_its_own_entry_marked(browser, report):
    sections = [p for p in pages(report) if re.match(r"\d\d_", p.name)]
    page, _, _ = open_offline(browser, report / "02_traffic.html")
    toc = page.locator("details.report-toc")
    assert toc.get_attribute("open") is not None, "open beside the page on a desktop"
    hrefs = toc.locator("li a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert hrefs == ["index.html", *[p.name for p in sections]]
    assert toc.locator("[aria-current=page]").get_attribute("href") == "02_traffic.html"
    page.mouse.wheel(0, 3000)
    assert toc.is_visible() and toc.bounding_box()["y"] >= 0, "sticky: still in view after scrolling"
    page.close()

    phone, _, _ = open_offline(browser, report / "02_traffic.html", 390)
    toc = phone.locator("details.report-toc")
    assert toc.get_attribute("open") is None and not toc.locator("li").first.is_visible(), "folded on a phone"
    toc.locator("summary").click()
    assert toc.locator("li").first.is_visible()
    phone.close()


def test_a_long_table_shows_its_top_rows_and_a_button_for_all(browser, report):
    page, _, _ = open_offline(browser, report / "07_service.html")
    assert page.locator("table.retro-table.folded").count() == 1, "the contact reasons are over 15 rows"
    table = page.locator("table.retro-table.folded").element_handle()
    visible = (
        "t => [...t.tBodies[0].rows].filter(r => !r.classList.contains('pinned') && r.offsetParent !== null).length"
    )
    total = table.evaluate("t => [...t.tBodies[0].rows].filter(r => !r.classList.contains('pinned')).length")
    assert total > 15 and table.evaluate(visible) == 10
    button = page.locator("button.retro-show-all").first
    assert str(total) in button.inner_text()
    button.click()
    assert table.evaluate(visible) == total
    button.click()
    assert table.evaluate(visible) == 10
    page.emulate_media(media="print")  # folded, yet printed whole
    assert table.evaluate(visible) == total
    page.close()
