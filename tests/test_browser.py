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


def test_every_page_loads_offline_without_errors_or_requests(browser, report):
    for path in pages(report):
        page, requests, errors = open_offline(browser, path)
        assert requests == [], f"{path.name} requested {requests[:3]}"
        assert errors == [], f"{path.name}: {errors[:3]}"
        assert page.evaluate("document.fonts.check('16px \"Retro CJK\"', '销售')"), "embedded CJK font not usable"
        page.close()


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
    for path in pages(report):
        limit = 15 * 2**20 if path.name == "report.html" else 3 * 2**20
        assert path.stat().st_size < limit, f"{path.name}: {path.stat().st_size / 2**20:.1f} MB"


def test_sorting_keeps_total_rows_at_the_bottom(browser, report):
    page, _, _ = open_offline(browser, report / "05_marketing.html")
    table = page.locator("table.retro-table:has(tr.pinned)").first
    assert table.count() == 1, "the channel table has its total row"
    last = "els => els[els.length - 1].className"
    for _ in range(2):  # ascending, then descending
        table.locator("thead th").nth(1).click()
        assert table.locator("tbody tr").evaluate_all(last) == "pinned"
    page.close()
