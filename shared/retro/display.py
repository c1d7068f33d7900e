"""What a section shows besides charts: formatted tables, notes, KPI cards, findings lists.

Each object renders itself as HTML (``_repr_html_``), so a notebook cell that returns one shows it both in
JupyterLab and in the exported report. Every user-provided string is HTML-escaped here, in one place.
Numbers are formatted by unit and language; numeric cells carry class ``num`` (right-aligned, sortable).
"""

from __future__ import annotations

import html
import re

import pandas as pd

from . import formatting as fmt
from .i18n import UNKNOWN, tr

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def esc(text) -> str:
    """HTML-escape any value for text content or attributes; control characters (a NUL from a typed store) go."""
    return html.escape(_CONTROL.sub("", "" if text is None else str(text)), quote=True)


SCALED = ("money", "count")  # units whose columns share one scale (万 / K) and precision


class Table:
    """A table with per-column units; ``df`` keeps the raw numbers for the analyst."""

    def __init__(
        self,
        df: pd.DataFrame,
        units: dict[str, str] | None = None,
        *,
        lang: str,
        currency: str = "CNY",
        title: str = "",
        note: str = "",
        labels: dict[str, str] | None = None,
        right: tuple[str, ...] = (),
    ):
        self.df = df
        self.units = units or {}
        self.lang = lang
        self.currency = currency
        self.title = title
        self.note = note
        self.labels = labels or {}
        self.right = set(right)  # columns of pre-formatted numbers, right-aligned like numeric ones
        self._scales: dict[str, fmt.Scale] = {}

    def cell(self, column: str, value) -> tuple[str, bool]:
        """The formatted text of one cell and whether it is numeric.

        Money and count columns share one unit and precision per column (``fmt.scale_for``): a column never
        mixes 1.08万 and 3,765.
        """
        unit = self.units.get(column)
        if unit in SCALED:  # the unit (¥, 万, K) is in the header: a narrow column's numbers never wrap on it
            if fmt.is_missing(value):
                return fmt.NA, True
            scale = self._scale(column, unit)
            v = float(value)
            return ("-" if v < 0 else "") + fmt.scaled(abs(v), fmt.Scale(scale.divisor, "", scale.decimals)), True
        if unit is not None:
            return fmt.value(value, unit, self.lang, self.currency), True
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return fmt.number(value, self.lang), True
        if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
            return "", False
        if isinstance(value, pd.Timestamp):
            return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime(
                "%Y-%m-%d"
            ), False
        if value == UNKNOWN:  # the marts' label for a row without a category, region, channel, …
            return tr("unknown", self.lang), False
        return str(value), False

    def heading(self, column: str) -> str:
        """A column's header: its label, with the unit its cells are in for money and counts (GMV（¥万）)."""
        label = self.labels.get(column, column)
        unit = self.units.get(column)
        if unit not in SCALED:
            return label
        scale = self._scale(column, unit)
        symbol = fmt.SYMBOLS.get(self.currency) or f"{self.currency} "
        shown = ((symbol if unit == "money" else "") + scale.suffix).strip()
        if not shown:
            return label
        return f"{label}（{shown}）" if self.lang == "zh" else f"{label} ({shown})"

    def _scale(self, column: str, unit: str) -> fmt.Scale:
        if column not in self._scales:
            self._scales[column] = fmt.scale_for(self.df[column].tolist(), unit, self.lang)
        return self._scales[column]

    def _pinned(self) -> set[str]:
        """First-cell texts of total and baseline rows: sorting a column keeps them at the bottom (sort.js)."""
        from .i18n import has

        keys = ("phase.overall", "segment.overall", "phase.baseline", "segment.baseline")
        return {"overall", "all", "baseline", *(tr(k, self.lang) for k in keys if has(k))}

    def text(self) -> str:
        """The table as aligned plain text, each cell as the page shows it (a console, a log, a test)."""
        cols = list(self.df.columns)
        numeric = set(self.units) | self.right
        rows = [[self.heading(c) for c in cols]]
        rows += [
            [self.cell(c, v)[0] for c, v in zip(cols, rec, strict=True)] for rec in self.df.itertuples(False, None)
        ]
        widths = [max(_width(r[i]) for r in rows) for i in range(len(cols))]

        def line(r):
            return "  ".join(
                _pad(t, w, right=c in numeric and i > 0)
                for i, (c, t, w) in enumerate(zip(cols, r, widths, strict=True))
            ).rstrip()

        out = [self.title] if self.title else []
        out += [line(rows[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in rows[1:]]
        return "\n".join(out + ([self.note] if self.note else []))

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        cols = list(self.df.columns)
        numeric_cols = set(self.units) | self.right
        head = "".join(
            f'<th class="{"num" if c in numeric_cols else "txt"}" scope="col">{esc(self.heading(c))}</th>' for c in cols
        )
        rows = []
        for rec in self.df.itertuples(index=False, name=None):
            cells = []
            for c, v in zip(cols, rec, strict=True):
                text, numeric = self.cell(c, v)
                numeric = numeric or c in self.right
                sort = "" if not numeric or fmt.is_missing(v) else f' data-sort="{float(v)!r}"'
                cells.append(f'<td class="{"num" if numeric else "txt"}"{sort}>{esc(text)}</td>')
            pinned = ' class="pinned"' if rec and str(self.cell(cols[0], rec[0])[0]) in self._pinned() else ""
            rows.append(f"<tr{pinned}>" + "".join(cells) + "</tr>")
        caption = f"<caption>{esc(self.title)}</caption>" if self.title else ""
        note = f'<p class="retro-note">{esc(self.note)}</p>' if self.note else ""
        return (
            f'<div class="retro-table-wrap"><table class="retro-table">{caption}<thead><tr>{head}</tr>'
            f"</thead><tbody>{''.join(rows)}</tbody></table>{note}</div>"
        )


def _width(text: str) -> int:
    """Columns a text takes in a terminal: a Chinese character takes two (rich's measure, as its display)."""
    from rich.cells import cell_len

    return cell_len(text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


class Note:
    """A generated sentence or caveat shown as a paragraph."""

    def __init__(self, text: str, kind: str = "info"):
        self.text = text
        self.kind = kind

    def _repr_html_(self) -> str:
        return f'<p class="retro-note retro-note-{esc(self.kind)}">{esc(self.text)}</p>'

    def __repr__(self) -> str:
        return self.text


class Paragraphs:
    """Several sentences or elements in a row: the summary's headline, a list followed by its footnote."""

    def __init__(self, items: list, kind: str = "info"):
        self.items = items
        self.kind = kind

    def _repr_html_(self) -> str:
        out = []
        for item in self.items:
            if hasattr(item, "_repr_html_"):
                out.append(item._repr_html_())
            elif self.kind == "headline":
                out.append(f'<p class="retro-headline">{esc(item)}</p>')
            else:
                out.append(f'<p class="retro-note">{esc(item)}</p>')
        return "".join(out)

    def __repr__(self) -> str:
        return "\n".join(repr(i) if hasattr(i, "_repr_html_") else str(i) for i in self.items)


class TeamNotes:
    """The team's own account of a section (YAML ``notes``): Markdown rendered safely.

    Raw HTML in the text shows as text, harmful links (``javascript:``) are dropped by the renderer, and
    headings start below the page's own (a ``#`` heading is a level-4 one).
    """

    def __init__(self, markdown: str, lang: str):
        self.markdown = markdown
        self.lang = lang

    def _repr_html_(self) -> str:
        import mistune

        from .i18n import tr

        body = mistune.create_markdown(escape=True)(self.markdown)
        body = re.sub(r"<(/?)h([1-6])\b", lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + 3)}", body)
        title = esc(tr("notes.title", self.lang))
        return f'<aside class="retro-team-notes"><div class="notes-title">{title}</div>{body}</aside>'

    def __repr__(self) -> str:
        return self.markdown


class Cards:
    """KPI cards: value, target, attainment and change, coloured by status (good / warn / bad / none)."""

    def __init__(self, cards: list[dict]):
        self.cards = cards

    def _repr_html_(self) -> str:
        items = []
        for c in self.cards:
            lines = "".join(f'<div class="kpi-sub">{esc(s)}</div>' for s in c.get("lines", []) if s)
            link = c.get("href")
            name = esc(c["label"])
            name = f'<a href="{esc(link)}">{name}</a>' if link else name
            items.append(
                f'<div class="kpi-card kpi-{esc(c.get("status", "none"))}"><div class="kpi-label">{name}</div>'
                f'<div class="kpi-value">{esc(c["value"])}</div>{lines}</div>'
            )
        return f'<div class="kpi-cards">{"".join(items)}</div>'


class FindingsList:
    """Highlights and problems with their figures, actions and links to the section they come from."""

    def __init__(self, findings: list, lang: str, empty_text: str = "", link: bool = False, currency: str = "CNY"):
        self.findings = findings
        self.lang = lang
        self.empty_text = empty_text
        self.link = link
        self.currency = currency

    def _repr_html_(self) -> str:
        from .i18n import tr

        if not self.findings:
            return f'<p class="retro-note">{esc(self.empty_text)}</p>' if self.empty_text else ""
        items = []
        for f in self.findings:
            kind = tr(f"finding.{f.kind}", self.lang)
            text = esc(f.text)
            if self.link and f.href:
                text += f' <a class="finding-link" href="{esc(f.href)}">→ {esc(f.section_title)}</a>'
            action = (
                (f'<div class="finding-action"><b>{esc(tr("finding.action", self.lang))}:</b> {esc(f.action)}</div>')
                if f.action
                else ""
            )
            money = getattr(f, "money", None)
            if money is not None:
                shown = fmt.value(money, "money", self.lang, self.currency)
                shown = ("+" + shown) if money > 0 else shown
                label = esc(tr("finding.money_cost", self.lang))
                text += f' <span class="finding-money">({label} {esc(shown)})</span>'
            items.append(
                f'<li class="finding finding-{esc(f.kind)}" id="{esc(f.anchor)}"><span class="finding-kind">'
                f"{esc(kind)}</span> {text}{action}</li>"
            )
        return f'<ul class="retro-findings">{"".join(items)}</ul>'


class Omitted:
    """An element left out because its inputs are missing.

    It shows one line saying which data would enable it, or nothing when the page has said the same already.
    """

    def __init__(self, text: str = ""):
        self.text = text

    def _repr_html_(self) -> str:
        return f'<p class="retro-note retro-note-missing">{esc(self.text)}</p>' if self.text else ""

    def __repr__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return False
