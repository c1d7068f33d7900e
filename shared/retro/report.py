"""Export executed notebooks into the HTML report bundle: index, one page per section, report.html, zip.

One nbconvert exporter instance renders every notebook in-process (no ``jupyter nbconvert`` per page).
The exporter drops code, prompts, the injected-parameters cell, the other language's markdown cells,
stderr and tracebacks; each body is wrapped in one page template with inline CSS, so the bundle opens
offline with no request leaving the file. The bundle is written to a temporary folder and swapped into
``<run>/report/`` only when complete, so an earlier good report is never left half-overwritten.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
import threading
import zipfile
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, unquote

import jinja2
import nbformat
from markupsafe import Markup

from .display import esc
from .i18n import has, register, table_names, tr
from .params import CampaignParams
from .paths import TEMPLATES, cjk_font_path
from .registry import SECTIONS, SUMMARY
from .rundir import RunDir, fault_point, hash_file, new_folder, swapped_in, write_atomic
from .version import __version__

LANGS = ("en", "zh")

register(
    {
        "report.index": ("Overview", "总览"),
        "report.single": ("Full report", "完整报告"),
        "report.nav": ("Report navigation", "报告导航"),
        "report.kit": ("Campaign Retro Kit", "大促复盘工具"),
        "report.run_at": ("built", "生成于"),
        "report.params": ("parameters", "参数"),
        "report.data": ("data", "数据"),
        "report.contents": ("Contents", "目录"),
        "report.period": ("{start} to {end}", "{start} 至 {end}"),
        "report.status.done": ("ready", "已生成"),
        "report.status.failed": ("failed", "失败"),
        "report.status.missing": ("no data", "缺少数据"),
        "report.status.skipped": ("not run", "未运行"),
        "report.failed_title": ("Section failed", "章节生成失败"),
        "report.failed_detail": (
            "Its figures are left out; the analyst who built the report has the reason (the command's output and "
            "kernels.log in the run folder).",
            "本章节的数据未展示；原因见生成报告时的命令行输出及运行目录中的 kernels.log。",
        ),
        "report.failed_kind.code": (
            "Why: the section's code stopped on an error, which has nothing to do with the campaign's results.",
            "原因：本章节的程序运行出错，与活动结果本身无关。",
        ),
        "report.failed_kind.data": (
            "Why: the data this section needs is missing or could not be read.",
            "原因：本章节所需的数据缺失或无法读取。",
        ),
        "report.failed_kind.memory": (
            "Why: the machine ran out of memory while building it.",
            "原因：生成时机器内存不足。",
        ),
        "report.failed_kind.stopped": (
            "Why: its process stopped before it finished (killed, or out of memory).",
            "原因：生成进程在完成前停止（被终止或内存不足）。",
        ),
        "report.summary_missing": (
            "The executive summary was not built; see the sections below.",
            "总结章节未生成，请查看以下各章节。",
        ),
    }
)


class _CleanOutputs:
    """nbconvert preprocessor: drop stderr/stdout streams and error tracebacks from outputs."""

    def __call__(self, nb, resources):
        for cell in nb.cells:
            if cell.get("cell_type") == "code":
                cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") not in ("stream", "error")]
        return nb, resources


class _DropEmptyParts:
    """nbconvert preprocessor: a heading whose elements all showed nothing goes with them.

    An element left out shows its "not shown" line once per page (``SectionContext.omitted``); the next ones
    for the same missing data show nothing, and their heading alone would promise content that is not there.
    A part is a markdown cell and the code cells up to the next markdown cell; it is dropped when its code
    cells displayed something and all of it was empty (cells that display nothing, like imports, do not count).
    """

    def __call__(self, nb, resources):
        parts: list[list] = []
        for cell in nb.cells:
            if cell.get("cell_type") == "markdown" or not parts:
                parts.append([cell])
            else:
                parts[-1].append(cell)
        keep = []
        for part in parts:
            shown = [o for c in part[1:] for o in c.get("outputs", []) if o.get("output_type") != "stream"]
            empty = shown and all(
                not o.get("data", {}).get("text/html", "").strip() and "image/png" not in o.get("data", {})
                for o in shown
            )
            if not (empty and part[0].get("cell_type") == "markdown"):
                keep.extend(part)
        nb.cells = keep
        return nb, resources


def make_exporter(lang: str):
    """One HTML exporter for a report language: body-only HTML, code and other-language cells removed."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    other = [x for x in LANGS if x != lang]
    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = {"injected-parameters", "parameters", *other}
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.anchor_link_text = ""
    # validate the notebook once after the preprocessors, not after each of them (nbformat compiles its
    # relaxed schema at every validation: seconds over a report's pages)
    c.HTMLExporter.optimistic_validation = True
    exporter = HTMLExporter(config=c, template_name="basic")
    exporter.register_preprocessor(TagRemovePreprocessor(config=c), enabled=True)
    exporter.register_preprocessor(_CleanOutputs(), enabled=True)
    exporter.register_preprocessor(_DropEmptyParts(), enabled=True)
    return exporter


def page_text(html_text: str) -> str:
    """The characters a page shows: tags, inline styles and embedded images removed, entities decoded.

    A chart's inline option (JSON) stays: its axis labels, legend and tooltips are drawn in the page's font.
    """
    text = re.sub(r"<(style|script)\b(?![^>]*application/json).*?</\1>", " ", html_text, flags=re.S)
    text = re.sub(r"data:[a-z/+]+;base64,[A-Za-z0-9+/=]+", "", text)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def font_subset(text: str) -> str:
    """Noto Sans CJK SC cut down to the characters in ``text``, as base64 WOFF ('' without the font).

    Embedding it makes Chinese render the same on any machine, offline, without shipping a 16 MB font.
    """
    import base64
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    path = cjk_font_path()
    if path is None:
        return ""
    opts = subset.Options()
    opts.flavor = "woff"
    opts.layout_features = ["*"]
    opts.hinting = False
    opts.desubroutinize = True
    opts.recalc_bounds = False
    # the same report text gives the same bytes; the bounding boxes stay the whole font's (a third of the time)
    font = TTFont(str(path), recalcTimestamp=False, recalcBBoxes=False)
    subsetter = subset.Subsetter(opts)
    subsetter.populate(text="".join(sorted(set(text) | set(" 0123456789▲▼"))))
    subsetter.subset(font)
    buf = io.BytesIO()
    font.flavor = "woff"
    font.save(buf)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)


def stamp(params_label: str, data: str = "-") -> dict:
    """The line at the foot of every page: the kit's version, when it was built, from which parameters and data."""
    return {
        "version": __version__,
        "run_at": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "params": params_label,
        "data": data,
    }


def _stamp(params: CampaignParams, run_dir: Path) -> dict:
    manifest = RunDir(run_dir).manifest
    return stamp(params.source.name if params.source else "-", hash_file(manifest)[:12] if manifest.is_file() else "-")


def _status_body(name: str, status, lang: str) -> str:
    section = SECTIONS[name]
    title = f"<h1>{section.number:02d} · {esc(section.title(lang))}</h1>"
    if status is None or status.status == "skipped":
        return title + f'<p class="section-status missing">{esc(tr("report.status.skipped", lang))}</p>'
    if status.status == "missing":
        text = tr("section.missing_data", lang, tables=table_names(status.reason.split(", "), lang))
        return title + f'<p class="section-status missing">{esc(text)}</p>'
    # the exception is for the analyst (the CLI line and kernels.log); the reader gets why in plain words
    kind = getattr(status, "kind", "") or "code"
    why = tr(f"report.failed_kind.{kind}", lang) if has(f"report.failed_kind.{kind}") else ""
    return title + (
        f'<div class="section-status failed"><p><b>{esc(tr("section.failed", lang))}</b> {esc(why)} '
        f"{esc(tr('report.failed_detail', lang))}</p></div>"
    )


_exporters: dict[str, object] = {}
_converting = threading.RLock()  # one exporter per language, used by one thread at a time


def exporter_for(lang: str):
    """The page exporter of a report language, made once per process (nbconvert's imports: half a second)."""
    with _converting:
        if lang not in _exporters:
            _exporters[lang] = make_exporter(lang)
        return _exporters[lang]


def page_body(run_dir: Path, name: str, lang: str) -> str:
    """The HTML body of an executed section's page, converted once per notebook content (the export cache).

    A run converts each page as soon as its section is done, while the other sections still execute, so the
    export at the end finds them converted; the export calls it too, for a page not converted yet.
    """
    rd = RunDir(run_dir)
    nb_path = rd.notebooks / SECTIONS[name].notebook
    rd.export_cache.mkdir(parents=True, exist_ok=True)
    with _converting:
        exporter = exporter_for(lang)
        return _cached(
            rd.export_cache,
            f"{name}-{lang}",
            nb_path.read_bytes(),
            lambda: exporter.from_notebook_node(nbformat.read(nb_path, as_version=4))[0],
        )


def export_report(params: CampaignParams, run_dir: Path, statuses: dict) -> Path:
    """Write the report bundle for a run and return the path of its index.html."""
    lang = params.lang
    # our own file: autoescaping would turn its quotes into entities, which CSS does not decode
    css = jinja2.utils.markupsafe.Markup((TEMPLATES / "report.css").read_text(encoding="utf-8"))
    page = _env().get_template("page.html.j2")
    stamp = _stamp(params, run_dir)
    names = params.enabled_sections
    labels = {k: tr(f"report.{k}", lang) for k in ("index", "nav", "kit", "run_at", "params", "data", "contents")}
    period = tr("report.period", lang, start=params.start.isoformat(), end=params.end.isoformat())
    common = dict(
        lang=lang,
        css=css,
        campaign_name=params.campaign.name,
        period=period,
        labels=labels,
        stamp=stamp,
        index_href="index.html",
    )

    rd = RunDir(run_dir)
    cache = rd.export_cache  # converted pages and the font, by content: a re-run converts what changed
    cache.mkdir(parents=True, exist_ok=True)
    bodies: dict[str, str] = {}
    for name in names:
        st = statuses.get(name)
        nb_path = rd.notebooks / SECTIONS[name].notebook
        if st is not None and st.status == "done" and nb_path.is_file():
            bodies[name] = page_body(run_dir, name, lang)
        else:
            bodies[name] = _status_body(name, st, lang)

    pages: dict[str, dict] = {}
    for i, name in enumerate(names):
        sec = SECTIONS[name]
        prev = SECTIONS[names[i - 1]] if i > 0 else None
        nxt = SECTIONS[names[i + 1]] if i + 1 < len(names) else None
        pages[sec.page] = dict(
            page_title=sec.title(lang),
            body=bodies[name],
            prev={"href": prev.page, "title": prev.title(lang)} if prev else None,
            next={"href": nxt.page, "title": nxt.title(lang)} if nxt else None,
        )
    index_body = _index_body(params, statuses, bodies.get(SUMMARY), names)
    first = SECTIONS[names[0]] if names else None
    pages["index.html"] = dict(
        page_title=tr("report.index", lang),
        body=index_body,
        prev=None,
        next={"href": first.page, "title": first.title(lang)} if first else None,
    )
    for filename, page_vars in pages.items():
        page_vars["toc"] = contents(names, statuses, lang, current=filename)
    # the overview already holds the executive summary; the one-file report does not repeat it
    pages["report.html"] = dict(
        toc=contents(names, statuses, lang, current=None, single_file=True),
        page_title=tr("report.single", lang),
        body=single_file_body(index_body, {n: bodies[n] for n in names if n != SUMMARY}),
        prev=None,
        next=None,
        index_href="#top",  # it stands alone: sent on its own, it links to nothing outside itself
    )
    text = "".join(page_text(p["body"]) + p["page_title"] for p in pages.values())
    text += "".join(e["title"] + e.get("status_text", "") for p in pages.values() for e in p["toc"])
    text += "显示全部行只前0123456789"  # the "show all" button of a long table (page.js)
    text += "".join(str(v) for v in [*labels.values(), *stamp.values()]) + params.campaign.name + period
    common["font"] = _cached(cache, "font", "".join(sorted(set(text))).encode(), lambda: font_subset(text))
    common["script"] = page_script()

    with new_folder(rd.report) as tmp:
        for filename, page_vars in pages.items():
            page_vars = {**common, **page_vars, "body": jinja2.utils.markupsafe.Markup(page_vars["body"])}
            page_vars["charts"] = chart_script(page_vars["body"])
            (tmp / filename).write_text(page.render(**page_vars), encoding="utf-8")
            fault_point("export")
        # the fastest deflate: the default level makes it 8% smaller at 1.8 times the time (medium: 0.45 s, most
        # of a re-export whose pages are all converted already); the pages are mostly base64 PNG and scripts
        with zipfile.ZipFile(tmp / "report.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for f in sorted(tmp.glob("*.html")):
                if f.name != "report.html":
                    z.write(f, f"{params.campaign.id}/{f.name}")
    return rd.report / "index.html"


ECHARTS = TEMPLATES / "echarts" / "echarts.common.min.js"


def page_script() -> Markup:
    """The script every page carries: sortable tables, long tables folded, the contents folded on a phone."""
    return Markup("\n".join((TEMPLATES / f).read_text(encoding="utf-8") for f in ("sort.js", "page.js")))


def chart_script(body: str) -> Markup | str:
    """ECharts and the code that draws the page's charts from their inline options, once, on a page with charts."""
    if "retro-echart-option" not in body:
        return ""
    code = ECHARTS.read_text(encoding="utf-8") + "\n" + (TEMPLATES / "charts.js").read_text(encoding="utf-8")
    return Markup(code)


def write_standalone_page(path: Path, *, lang: str, title: str, period: str, body: str, stamp: dict) -> Path:
    """One self-contained page outside a run's bundle (``retro compare``): same template, CSS, script and font."""
    labels = {k: tr(f"report.{k}", lang) for k in ("index", "nav", "kit", "run_at", "params", "data")}
    text = page_text(body) + title + period + "".join(str(v) for v in [*labels.values(), *stamp.values()])
    html_text = (
        _env()
        .get_template("page.html.j2")
        .render(
            lang=lang,
            css=jinja2.utils.markupsafe.Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
            script=page_script(),
            charts=chart_script(body),
            font=font_subset(text),
            campaign_name=title,
            page_title=title,
            period=period,
            labels=labels,
            stamp=stamp,
            index_href=path.name,
            toc=None,
            prev=None,
            next=None,
            body=jinja2.utils.markupsafe.Markup(body),
        )
    )
    return write_atomic(path, html_text)


def _cached(cache: Path, name: str, content: bytes, make) -> str:
    """``make()`` for this content, kept in ``cache`` and reused while the content and the kit's code are the same."""
    from .freshness import code_version

    key = hashlib.sha256(content + code_version().encode()).hexdigest()[:20]
    path = cache / f"{name}-{key}.txt"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    for old in cache.glob(f"{name}-*.txt"):  # one entry per page: the previous version is stale now
        old.unlink(missing_ok=True)
    text = make()
    write_atomic(path, text)
    return text


def single_file_body(index_body: str, sections: dict[str, str]) -> str:
    """The overview and every section in one body, each id once, every link inside the file.

    Links to another page's anchor become links to the anchor itself. An id the file already holds is made
    unique: the overview's own ids get an ``overview-`` prefix (its links still reach the sections' findings),
    a section's repeated ids its name, with that section's links to them.
    """
    seen: set[str] = set()
    out = [_unique_ids(_single_file_links(index_body), "overview", seen, own_links=False)]
    for name, body in sections.items():
        body = _unique_ids(_single_file_links(body), name, seen, own_links=True)
        out.append(f'<section class="report-section" id="sec-{name}">{body}</section>')
    return "".join(out)


_ID = re.compile(r'\bid="([^"]+)"')


def _unique_ids(body: str, prefix: str, seen: set[str], own_links: bool) -> str:
    """Rename the ids of ``body`` already in ``seen`` (the overview: all of them) and add them to ``seen``."""
    renamed = {}
    for ident in dict.fromkeys(_ID.findall(body)):
        if prefix == "overview" or ident in seen:
            renamed[ident] = f"{prefix}-{ident}"
    seen.update(renamed.get(i, i) for i in _ID.findall(body))
    if not renamed:
        return body
    body = _ID.sub(lambda m: f'id="{renamed.get(m.group(1), m.group(1))}"', body)

    def relink(m: re.Match) -> str:
        target = m.group(2)  # nbconvert writes a heading's id and its ¶ link alike, percent-encoded
        new = renamed.get(target) or (quote(renamed[unquote(target)]) if unquote(target) in renamed else None)
        if new is None or not (own_links or m.group(1)):
            return m.group(0)
        return f'{m.group(1) or ""}href="#{new}"'

    # the overview's links to findings reach the sections' items; its heading anchors (¶) its own headings
    return re.sub(r'(<a class="anchor-link" )?href="#([^"]+)"', relink, body)


def _single_file_links(body: str) -> str:
    """In the one-file report, links to another page's anchor become links to the anchor itself."""
    body = re.sub(r'href="\d\d_[a-z_]+\.html#([^"]+)"', r'href="#\1"', body)
    body = re.sub(r'href="(\d\d_([a-z_]+))\.html"', r'href="#sec-\2"', body)
    return body.replace(f'href="#sec-{SUMMARY}"', 'href="#top"')


def contents(names: list[str], statuses: dict, lang: str, current: str | None, single_file: bool = False) -> list:
    """The sidebar's entries: the overview and each section with its status, the page shown marked.

    In the one-file report they link to the sections inside it (the summary is its overview).
    """
    out = [{"href": "#top" if single_file else "index.html", "title": tr("report.index", lang), "status": "done"}]
    for name in names:
        sec = SECTIONS[name]
        if single_file and name == SUMMARY:
            continue
        st = statuses.get(name)
        code = st.status if st else "skipped"
        out.append(
            {
                "href": f"#sec-{name}" if single_file else sec.page,
                "title": f"{sec.number:02d} · {sec.title(lang)}",
                "status": code,
                "status_text": "" if code == "done" else tr(f"report.status.{code}", lang),
            }
        )
    for entry in out:
        entry["current"] = current is not None and entry["href"] == current
    return out


def _index_body(params: CampaignParams, statuses: dict, summary_body: str | None, names: list[str]) -> str:
    lang = params.lang
    phases = " · ".join(f"{tr(f'phase.{p.name}', lang)} {p.start:%m-%d}–{p.end:%m-%d}" for p in params.phases)
    toc = []
    for name in names:
        sec = SECTIONS[name]
        st = statuses.get(name)
        code = st.status if st else "skipped"
        toc.append(
            f'<li><a href="{sec.page}">{sec.number:02d} · {esc(sec.title(lang))}</a>'
            f'<span class="st-{code}">{esc(tr(f"report.status.{code}", lang))}</span></li>'
        )
    done = statuses.get(SUMMARY) is not None and statuses[SUMMARY].status == "done"
    summary = (
        summary_body
        if (done and summary_body)
        else f'<p class="retro-note">{esc(tr("report.summary_missing", lang))}</p>'
    )
    # the summary notebook's own title is replaced by the campaign title
    summary = re.sub(r"<h1[^>]*>.*?</h1>", "", summary, count=1, flags=re.S)
    return (
        f'<h1>{html.escape(params.campaign.name)}</h1><p class="phases">{esc(phases)}</p>'
        + summary
        + f'<h2 id="contents">{esc(tr("report.contents", lang))}</h2><ul class="toc">{"".join(toc)}</ul>'
    )


CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """A headless-capable Chromium on this machine (Debian's package: /usr/bin/chromium)."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def print_pdf(report_dir: Path, paper: str = "A4") -> Path:
    """Print the one-file report to ``report.pdf`` in the run folder: a cover, page numbers, a bookmark per section.

    Playwright drives the machine's Chromium (no browser download): A4 by default (``paper="Letter"``), charts
    as their embedded images (the print stylesheet), the page number and count at the foot of each page, and
    the PDF's outline built from the headings (the overview and each section are a top-level bookmark). The file
    lies beside ``report/``, not in it, so a re-run that rebuilds the report does not delete it.
    """
    from .errors import RetroError

    source = report_dir / "report.html"
    if not source.is_file():
        raise RetroError(f"{report_dir}: no report.html here; build the report first with retro run")
    browser = find_chromium()
    if browser is None:
        raise RetroError("Chromium not found: install it (Debian: apt-get install chromium) to print PDFs")
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    out = report_dir.parent / "report.pdf"
    footer = (
        '<div style="font-size:8px;width:100%;text-align:center;color:#666">'
        '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
    )
    try:
        with swapped_in(out) as tmp, sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=browser, args=CHROMIUM_ARGS)
            try:
                page = chromium.new_page()
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
                page.goto(source.as_uri(), wait_until="load")
                page.evaluate(COVER_SCRIPT)
                page.pdf(
                    path=str(tmp),
                    format=paper,
                    print_background=True,
                    display_header_footer=True,
                    header_template="<span></span>",
                    footer_template=footer,
                    margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
                    outline=True,
                    tagged=True,
                )
            finally:
                chromium.close()
    except PlaywrightError as e:
        raise RetroError(f"Chromium could not print the report: {str(e).splitlines()[0][:200]}") from None
    return out


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
# the cover: the campaign's name, dates and the report's stamp on a page of their own, before the overview
COVER_SCRIPT = """() => {
  const h = document.querySelector('.report-brand a'), p = document.querySelector('.report-period');
  const f = document.querySelector('.report-footer');
  const c = document.createElement('div');
  c.className = 'print-cover';
  c.innerHTML = '<div class="cover-title"></div><div class="cover-period"></div><div class="cover-stamp"></div>';
  c.querySelector('.cover-title').textContent = h ? h.textContent : document.title;
  c.querySelector('.cover-period').textContent = p ? p.textContent : '';
  c.querySelector('.cover-stamp').textContent = f ? f.textContent : '';
  document.body.insertBefore(c, document.body.firstChild);
}"""
