"""The campaign YAML: a typed model, validated in full before any data is read or kernel started.

Every problem is reported as one line, ``<file>: <key path>: <what is wrong>``, and all problems are
reported together. Secrets never live in the YAML: a data source names the environment variable that
holds its password.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from .catalog import FIGURES
from .errors import ParamsError
from .formatting import suggest
from .paths import shown
from .registry import SECTIONS
from .schema import INPUT_TABLES, TABLES

PhaseKind = Literal["warmup", "burst", "tail"]
PHASE_ORDER = ("warmup", "burst", "tail")
SPARK_MASTER = r"local(\[(\*|\d+)(,\d+)?\])?|spark://\S+|yarn|k8s://\S+|mesos://\S+"
REMOTE_PATH = r"[a-zA-Z][a-zA-Z0-9+.-]*://"  # s3a://, hdfs://, abfss://, gs://: read by Spark, never listed here


class _Model(BaseModel):
    # NaN and infinity are never a target, budget, threshold or setting (an attainment of -75% came from one)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Campaign(_Model):
    """Who and what: identity, report language and units."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    language: Literal["zh", "en"] = "zh"
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "CNY"
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (use an IANA name such as Asia/Shanghai)") from None
        return v


class Period(_Model):
    """An inclusive range of calendar days."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class Phase(Period):
    """One phase of the promotion (warm-up, burst, tail)."""

    name: PhaseKind


class DemoData(_Model):
    """Use the kit's generated demo data (written under data/demo/ when missing).

    small: ~11 k campaign orders, ~0.4 M events (seconds; tests). medium: ~1 M campaign orders, ~33 M events.
    large: ~5 M campaign orders, ~170 M events (the benchmark's scale test).
    """

    size: Literal["small", "medium", "large"] = "small"
    seed: int = 42
    # last_year: the same shop a year earlier (fewer visitors and new buyers, more search and less
    # livestream), for a demo campaign to compare against
    edition: Literal["this_year", "last_year"] = "this_year"


class Dedupe(_Model):
    """Keep one row per key: the one with the latest (``last``) or earliest (``first``) ``by`` value."""

    keep: Literal["last", "first"] = "last"
    by: str


class TableSource(_Model):
    """Where one table comes from (files or a database) and how it maps onto the canonical names.

    Files: ``path`` is a file, a glob or a folder (several files or one per day are read as one table).
    Databases: ``url`` is an SQLAlchemy URL without the password, or a DuckDB database file; the password is
    read from the environment variable named by ``password_env``, never written here.
    Mapping: ``columns`` maps canonical names to the source's headers; ``values`` maps source values to
    canonical ones per column; ``defaults`` gives a constant for a canonical column the source lacks.
    """

    path: str | list[str] | None = None
    format: Literal["auto", "parquet", "csv", "tsv", "excel", "duckdb", "sql"] = "auto"
    encoding: Literal["auto", "utf-8", "utf-8-sig", "gbk", "gb18030"] = "auto"
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] | None = None
    skip_rows: Annotated[int, Field(ge=0)] = 0
    header: bool = True  # false: a CSV without a header row; ``columns`` then names columns by position (1 = first)
    sheet: str | int = 0
    url: str | None = None
    password_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    table: str | None = None
    query: str | None = None
    columns: dict[str, str] = Field(default_factory=dict, description="canonical name -> source column")

    @field_validator("columns", mode="before")
    @classmethod
    def _positions(cls, v):
        """A column given by position (``header: false``) may be written as a number: 1 is the first."""
        return (
            {k: str(c) if isinstance(c, int) and not isinstance(c, bool) else c for k, c in v.items()}
            if isinstance(v, dict)
            else v
        )

    values: dict[str, dict[str, str | bool | None]] = Field(default_factory=dict)
    defaults: dict[str, str | float | bool] = Field(default_factory=dict)
    amount_unit: Literal["main", "fen", "cents"] = "main"
    # the decimal separator of numbers written as text: "." (1,299.50) or "," (1.299,50); None: read from the
    # values of each column, refused where they do not tell
    decimal: Literal[".", ","] | None = None
    timezone: str | None = None
    time_format: str | list[str] | None = None  # strptime pattern(s) tried in turn, or epoch / epoch_ms
    status_rule: Literal["column", "negative_quantity", "invoice_prefix"] = "column"
    cancel_prefix: str = "C"
    # order_lines: SKUs that are not merchandise (postage, fees); None: retro.staging.derive.NON_MERCHANDISE_SKUS
    non_merchandise: list[str] | None = None
    # other files joined onto this source's rows by key before mapping (a multi-table export): their columns
    # can then be named under ``columns`` like the source's own
    lookups: list[Lookup] = Field(default_factory=list)
    # rows repeating without meaning (retro.staging.dedupe): "exact" drops rows equal in every column;
    # {keep: last, by: column} keeps one row per key; the rows dropped are counted in the appendix
    dedupe: Literal["exact"] | Dedupe | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v):
        return v if v is None else Campaign._known_zone(v)

    @model_validator(mode="after")
    def _one_place(self):
        if self.format in ("duckdb", "sql"):
            if not self.url and not (self.format == "duckdb" and self.path):
                raise ValueError(f"format {self.format} needs url (the database)")
            if bool(self.table) == bool(self.query):
                raise ValueError("give exactly one of table or query")
        elif self.url:
            if bool(self.table) == bool(self.query):
                raise ValueError("give exactly one of table or query with url")
        elif not self.path and bool(self.table) == bool(self.query):
            # neither files nor a database: a Spark catalogue table (checked against engine.kind)
            raise ValueError("give path (files), url (a database), or table or query (a Spark catalogue table)")
        for where, text in (("url", self.url), *(("path", p) for p in _paths(self.path))):
            if secret := credential_in(text):
                fix = (
                    "name its environment variable in password_env"
                    if where == "url"
                    else "give the keys to Spark in spark-defaults.conf or the environment"
                )
                raise ValueError(f"the {where} contains {secret}: remove it and {fix}")
        return self


class Lookup(TableSource):
    """Another file or table of the export joined onto a source's rows by key, before mapping.

    ``key``: the key column in the source; ``lookup_key``: its name in the lookup when it differs (not
    ``on``: YAML reads a bare ``on`` as true). Without ``sum``
    the lookup must have one row per key (a customer table: the person behind each order's customer id; a
    category translation) and its other columns are added. With ``sum`` (new column -> the lookup's columns
    added together) the lookup's rows are summed per key (an order's items: price plus freight; its
    payments), and only those new columns are added. A key without a lookup row gets empty values.
    """

    key: str
    lookup_key: str | None = None
    sum: dict[str, str | list[str]] = Field(default_factory=dict)


TableSource.model_rebuild()


class Data(_Model):
    """The campaign's data: the demo generator, or one source per canonical table."""

    demo: DemoData | None = None
    tables: dict[str, TableSource] = Field(default_factory=dict)

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, v: dict) -> dict:
        known = {**TABLES, **INPUT_TABLES}
        unknown = [f"unknown table {_short(name)!r}{suggest(name, known)}" for name in v if name not in known]
        if unknown:
            raise ValueError("; ".join(unknown))
        return v

    @model_validator(mode="after")
    def _some_data(self):
        if self.demo is None and not self.tables:
            raise ValueError("give either data.demo or data.tables")
        return self


class Settings(_Model):
    """Analysis choices with defaults that match the metric conventions."""

    new_customer_lookback_days: Annotated[int, Field(ge=0, le=3650)] = 365
    retention_days: Annotated[int, Field(ge=1, le=365)] = 30
    rfm_lookback_days: Annotated[int, Field(ge=1, le=3650)] = 365
    top_n: Annotated[int, Field(ge=3, le=50)] = 10
    ship_within_hours: Annotated[float, Field(gt=0)] = 48
    session_gap_minutes: Annotated[int, Field(ge=1, le=1440)] = 30
    offsite_channels: list[str] = Field(default_factory=lambda: ["offsite"])
    attainment_good: Annotated[float, Field(gt=0)] = 1.0
    attainment_poor: Annotated[float, Field(gt=0)] = 0.9
    # the counterfactual (retro.forecast): days before the campaign left out of the fit (shoppers wait for the
    # promotion) and days after it (the hangover), both counted against the lift
    pull_forward_days: Annotated[int, Field(ge=0, le=60)] = 7
    hangover_days: Annotated[int, Field(ge=0, le=60)] = 7
    # a finding's money effect below this share of GMV is no finding
    materiality: Annotated[float, Field(ge=0, le=1)] = 0.005

    def __setattr__(self, name, value):
        """Settings are the YAML's: say how a notebook changes one for itself (pydantic says "Instance is frozen")."""
        raise AttributeError(
            f"settings are read-only: ctx = ctx.with_settings({name}={value!r}) changes it for this notebook, "
            f"settings.{name} in the YAML for the report"
        )


# Settings the marts are built with: a notebook cannot change them for itself (the YAML and a re-run can)
MART_SETTINGS = frozenset(
    {
        "new_customer_lookback_days",
        "retention_days",
        "rfm_lookback_days",
        "ship_within_hours",
        "session_gap_minutes",
        "offsite_channels",
    }
)


class Engine(_Model):
    """Where marts are computed (``retro.staging.engines``).

    ``duckdb`` (default): in this process, memory bounded, spilling to disk beyond ``memory_limit``.
    ``spark``: a Spark session at ``master`` (``local[2]``, ``spark://host:7077``, ``yarn``, ``k8s://…``;
    default ``local[*]``) with ``conf`` (Spark settings, never secrets: those belong in spark-defaults.conf
    or the environment). With Spark, ``memory_limit`` is a local master's driver memory, and it and ``threads``
    bound the DuckDB that reads small sources (CSV, Excel, databases) here before they are shipped to Spark.
    """

    kind: Literal["duckdb", "spark"] = "duckdb"
    memory_limit: Annotated[str, Field(pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")] = "4GB"
    threads: Annotated[int, Field(ge=1)] | None = None
    master: str | None = None
    conf: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @field_validator("master")
    @classmethod
    def _known_master(cls, v):
        if v is not None and not re.fullmatch(SPARK_MASTER, v):
            raise ValueError(f"not a Spark master URL: {v!r} (use local[2], spark://host:7077, yarn or k8s://…)")
        return v

    @model_validator(mode="after")
    def _spark_settings(self):
        if self.kind != "spark":
            for key in ("master", "conf"):
                if key in self.model_fields_set:
                    raise ValueError(f"{key} is a Spark setting: add kind: spark, or remove it")
        for key in self.conf:
            if re.search(r"secret|password|token|credential", key, re.IGNORECASE):
                raise ValueError(
                    f"conf.{key} looks like a secret: put it in spark-defaults.conf or the environment, not the YAML"
                )
        return self


Benchmark = float | dict[str, float]


class Wording(_Model):
    """A sentence in both report languages; ``{label}``, ``{value}``, ``{threshold}``, ``{segment}`` are filled in."""

    en: str
    zh: str


class FindingRule(_Model):
    """A custom finding: a figure above or below a threshold, with optional wording and action."""

    figure: str
    segment: str = "overall"
    above: float | None = None
    below: float | None = None
    kind: Literal["problem", "highlight"] = "problem"
    text: Wording | None = None
    action: Wording | None = None

    @field_validator("figure")
    @classmethod
    def _known_figure(cls, v: str) -> str:
        if v not in FIGURES:
            raise ValueError(f"unknown figure {v!r}{suggest(v, FIGURES)}")
        return v

    @model_validator(mode="after")
    def _one_threshold(self):
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above or below")
        return self


class Comparison(_Model):
    """Another campaign to show this one against: its YAML (its default run folder is read) or a run folder.

    Paths are relative to this YAML. The other campaign must have been run; its raw data is never read.
    """

    label: Annotated[str, Field(min_length=1, max_length=80)] | None = None  # default: its campaign name
    params: str | None = None
    run: str | None = None

    @model_validator(mode="after")
    def _one_source(self):
        if (self.params is None) == (self.run is None):
            raise ValueError("give exactly one of params (a campaign YAML) or run (a finished run folder)")
        return self


class Moment(_Model):
    """Something the team did or that happened at a time (a livestream, a coupon drop, an incident).

    Drawn on every time-series chart of the report and cited by findings that coincide with it.
    """

    at: datetime
    end: datetime | None = None
    label: Annotated[str, Field(min_length=1, max_length=60)]
    kind: Literal["livestream", "coupon_drop", "price_change", "incident", "stock_out", "other"] = "other"

    @field_validator("at", "end", mode="before")
    @classmethod
    def _day_is_midnight(cls, v):
        return datetime.combine(v, datetime.min.time()) if isinstance(v, date) and not isinstance(v, datetime) else v

    @model_validator(mode="after")
    def _ordered(self):
        if self.end is not None and self.end < self.at:
            raise ValueError(f"end {self.end} is before at {self.at}")
        return self


class CampaignParams(_Model):
    """Everything one retrospective is built from."""

    campaign: Campaign
    phases: Annotated[list[Phase], Field(min_length=1)]
    baseline: Period | None = None
    targets: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    benchmarks: dict[str, Benchmark] = Field(default_factory=dict)
    budget: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    findings: list[FindingRule] = Field(default_factory=list)
    data: Data
    sections: list[str] | None = None
    settings: Settings = Field(default_factory=Settings)
    engine: Engine = Field(default_factory=Engine)
    compare: list[Comparison] = Field(default_factory=list)
    moments: list[Moment] = Field(default_factory=list)
    # the team's own account per section (planning, execution, interviews): Markdown, or a .md file beside the YAML
    notes: dict[str, str] = Field(default_factory=dict)
    # the reports `retro run` builds from the same marts: campaign.language's in outputs/<id>/, each other one in
    # outputs/<id>/<language>/
    languages: list[Literal["zh", "en"]] = Field(default_factory=list)

    _source: Path | None = PrivateAttr(default=None)

    @field_validator("targets", "benchmarks")
    @classmethod
    def _known_figures(cls, v: dict) -> dict:
        for key in v:
            if key not in FIGURES:
                raise ValueError(f"unknown figure {_short(key)!r}{suggest(key, FIGURES)}")
        return v

    @field_validator("sections", "notes")
    @classmethod
    def _known_sections(cls, v):
        """Section names, as a list (``sections``) or as the keys of a mapping (``notes``)."""
        if v is not None:
            for name in v:
                if name not in SECTIONS:
                    raise ValueError(f"unknown section {_short(name)!r}{suggest(name, SECTIONS)}")
        return v

    @model_validator(mode="after")
    def _consistent(self):
        problems = []
        kinds = [p.name for p in self.phases]
        if len(set(kinds)) != len(kinds):
            problems.append(f"each phase may appear once, got {kinds}")
        elif kinds != sorted(kinds, key=PHASE_ORDER.index):
            problems.append(f"phases are listed as {', '.join(kinds)}: list them in the order warmup, burst, tail")
        for a, b in zip(self.phases, self.phases[1:], strict=False):
            if b.start <= a.end:
                problems.append(f"phase {b.name} starts {b.start}, before {a.name} ends {a.end}")
            elif b.start > a.end + timedelta(days=1):
                gap = (b.start - a.end).days - 1
                problems.append(
                    f"phase {b.name} starts {b.start}, {gap} day{'s' if gap > 1 else ''} after {a.name} ends {a.end}: "
                    f"orders on the days between would belong to no phase; end {a.name} on "
                    f"{b.start - timedelta(days=1)} or start {b.name} on {a.end + timedelta(days=1)}"
                )
        if self.baseline and self.baseline.end >= self.phases[0].start:
            problems.append(f"baseline ends {self.baseline.end}, not before the campaign starts {self.phases[0].start}")
        if self.engine.kind != "spark":
            problems.extend(_spark_only_sources(self.data))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # --- derived values the marts and sections share ---------------------------------------------
    @property
    def start(self) -> date:
        return self.phases[0].start

    @property
    def end(self) -> date:
        return self.phases[-1].end

    @property
    def end_exclusive(self) -> date:
        return self.end + timedelta(days=1)

    @property
    def lang(self) -> str:
        return self.campaign.language

    @property
    def other_languages(self) -> list[str]:
        """The report languages beyond campaign.language (YAML ``languages``), in order, each once."""
        return [lang for lang in dict.fromkeys(self.languages) if lang != self.lang]

    def in_language(self, lang: str) -> CampaignParams:
        """The same campaign reported in another language (``retro run --lang``, YAML ``languages``)."""
        if lang == self.lang:
            return self
        out = self.model_copy(update={"campaign": self.campaign.model_copy(update={"language": lang})})
        out._source = self._source
        return out

    @property
    def source(self) -> Path | None:
        return self._source

    @property
    def enabled_sections(self) -> list[str]:
        chosen = self.sections or list(SECTIONS)
        return [s for s in SECTIONS if s in chosen]

    def phase_of(self, day: date) -> str | None:
        """The phase a calendar day belongs to, or None outside the campaign."""
        for p in self.phases:
            if p.start <= day <= p.end:
                return p.name
        return None

    def note_text(self, section: str) -> str | None:
        """The team's notes on a section: the YAML's Markdown, or the file it names (``x.md`` beside the YAML)."""
        text = self.notes.get(section)
        if text is None:
            return None
        if _is_note_file(text):
            return self.resolve(text).read_text(encoding="utf-8")
        return text

    def resolve(self, path: str) -> Path:
        """A path from the YAML, relative to the YAML file's folder."""
        p = Path(path).expanduser()
        if p.is_absolute() or self._source is None:
            return p
        return (self._source.parent / p).resolve()


# query parameters that carry a credential (?password=, &sslpassword=, ?token=, ?access_key= …)
_SECRET_PARAM = re.compile(
    r"[?&;]([\w.-]*(?:password|passwd|pwd|secret|token|credential|api[_-]?key|access[_-]?key)[\w.-]*)=",
    re.IGNORECASE,
)


def _is_note_file(text: str) -> bool:
    return "\n" not in text and text.strip().lower().endswith((".md", ".markdown", ".txt"))


def credential_in(text: str | None) -> str | None:
    """What credential a URL or path carries (a password after the user name, a secret query parameter), or None."""
    if not text:
        return None
    if re.search(r"://[^/@?#]*:[^/@?#]*@", text):
        return "a password"
    if m := _SECRET_PARAM.search(text):
        return f"a credential ({m.group(1)}=)"
    return None


def _paths(path: str | list[str] | None) -> list[str]:
    return [path] if isinstance(path, str) else list(path or [])


def _spark_only_sources(data: Data) -> list[str]:
    """Sources only Spark reads: catalogue tables and paths on a cluster file system (s3a://, hdfs://)."""
    out = []
    for name, src in data.tables.items():
        paths = _paths(src.path)
        if not paths and not src.url and src.format not in ("duckdb", "sql"):
            out.append(f"data.tables.{name}: a catalogue table (table or query, no path) needs engine.kind: spark")
        elif remote := [p for p in paths if re.match(REMOTE_PATH, p)]:
            scheme = remote[0].split(":")[0]
            out.append(f"data.tables.{name}.path: a {scheme}:// path is read by Spark only: set engine.kind: spark")
    return out


def _format_errors(err: ValidationError, file: str, raw: dict) -> list[str]:
    lines = []
    errors = [(_clean_loc(e["loc"]), e) for e in err.errors()]
    for loc, e in errors:
        if e["type"] in _UNION_MISS and any(len(o) > len(loc) and o[: len(loc)] == loc for o, _ in errors):
            continue  # a union (a number, or a mapping per segment): the deeper error says what is wrong
        path = ""
        for x in loc:
            path += f"[{x}]" if isinstance(x, int) else (f".{x}" if path else str(x))
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            parent = _lookup(raw, loc[:-1])
            known = _known_keys(loc[:-1])
            msg = f"unknown key{suggest(str(loc[-1]), known) if known else ''}"
            del parent
        elif e["type"] == "missing":
            msg = "required key is missing"
        elif e["type"] == "literal_error":
            msg = f"{msg}, got {e.get('input')!r}"
        line = f"{file}: {path or '(top level)'}: {msg}"
        if line not in lines:
            lines.append(line)
    return lines


_UNION_MISS = frozenset({"float_type", "float_parsing", "dict_type", "string_type", "int_type"})


def _clean_loc(loc) -> list:
    """A pydantic error location without the union member names pydantic inserts."""
    loc = [x for x in loc if not (isinstance(x, str) and x in ("function-after", "tagged-union"))]
    return [x for x in loc if not (isinstance(x, str) and re.fullmatch(r"(float|int|str|dict\[.*\]|list\[.*\])", x))]


def _lookup(raw: Any, loc: list) -> Any:
    for x in loc:
        try:
            raw = raw[x]
        except (KeyError, IndexError, TypeError):
            return None
    return raw


def _known_keys(loc: list) -> list[str]:
    """Field names of the model found at a key path, for 'did you mean' hints."""
    model: Any = CampaignParams
    in_mapping = False  # the previous key was a dict of models (data.tables): this key is a name, not a field
    for x in loc:
        if isinstance(x, int) or model is None:
            continue
        if in_mapping:
            in_mapping = False
            continue
        field = model.model_fields.get(x)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", (ann,))
        in_mapping = getattr(ann, "__origin__", None) is dict
        model = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if model is None and isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
    return list(model.model_fields) if model is not None else []


class _BadValue(Exception):
    """A YAML scalar that parses but is not a valid value (e.g. the date 2026-13-14)."""

    def __init__(self, mark, message: str):
        super().__init__(message)
        self.mark = mark
        self.message = message


MAX_NODES = 100_000  # values a YAML may hold once its aliases are expanded (an alias bomb holds billions)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reporting impossible dates with their line and column and every repeated key.

    A key written twice in one mapping (two ``targets:`` blocks) would silently keep the last; it is recorded
    with both lines and refused. Keys brought in by a merge (``<<: *base``) may be overridden, as YAML intends.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self.repeated: list[tuple[int, str]] = []

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            first: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    seen = first.setdefault(key, key_node.start_mark)
                except TypeError:  # an unhashable key: PyYAML reports it below
                    continue
                if seen is not key_node.start_mark:
                    line = key_node.start_mark.line + 1
                    self.repeated.append(
                        (
                            line,
                            f"line {line}: key {_short(key)!r} is given twice in one mapping "
                            f"(first on line {seen.line + 1}); keep one",
                        )
                    )
        return super().construct_mapping(node, deep=deep)


def _construct_timestamp(loader, node):
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as e:
        raise _BadValue(node.start_mark, f"not a valid date: {node.value} ({e})") from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _short(value, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _expanded_size(node, limit: int = MAX_NODES) -> int:
    """How many values the document holds with every alias expanded; raises _BadValue past ``limit``."""
    memo: dict[int, int] = {}
    open_: set[int] = set()

    def size(n) -> int:
        key = id(n)
        if key in memo:
            return memo[key]
        if key in open_:
            raise _BadValue(n.start_mark, "an alias refers to the mapping or list that contains it")
        open_.add(key)
        if isinstance(n, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in n.value)
        elif isinstance(n, yaml.SequenceNode):
            total = 1 + sum(size(v) for v in n.value)
        else:
            total = 1
        open_.discard(key)
        if total > limit:
            raise _BadValue(n.start_mark, f"its aliases expand to more than {limit:,} values; write the values out")
        memo[key] = total
        return total

    return size(node)


def _control_characters(raw, path: str = "") -> list[str]:
    """Key paths of strings holding a control character (written as an escape in a quoted YAML string)."""
    out = []
    if isinstance(raw, dict):
        for k, v in raw.items():
            sub = f"{path}.{k}" if path else str(k)
            if isinstance(k, str) and _CONTROL.search(k):
                out.append(f"{path or '(top level)'}: a key holds a control character; remove it")
            out.extend(_control_characters(v, sub))
    elif isinstance(raw, list):
        for i, v in enumerate(raw):
            out.extend(_control_characters(v, f"{path}[{i}]"))
    elif isinstance(raw, str) and (m := _CONTROL.search(raw)):
        out.append(f"{path}: holds a control character (U+{ord(m.group()):04X}); remove it")
    return out


def _read_yaml(text: str, where: str):
    """The YAML's data; ParamsError with the line of a syntax error, a repeated key or an alias bomb."""
    try:
        loader = _Loader(text)  # the reader refuses a control character here, before any parsing
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, e.position) + 1
        column = e.position - (text.rfind("\n", 0, e.position) + 1) + 1
        raise ParamsError(
            f"{where}: line {line}, column {column}: a control character (U+{e.character:04X}) is not allowed "
            "in YAML; remove it"
        ) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node)
        raw = loader.construct_document(node)
    except _BadValue as e:
        raise ParamsError(f"{where}: line {e.mark.line + 1}, column {e.mark.column + 1}: {e.message}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ParamsError(f"{where}: {at}YAML syntax error: {_short(problem, 200)}") from None
    finally:
        loader.dispose()
    problems = [f"{where}: {r}" for _, r in sorted(loader.repeated)]
    problems += [f"{where}: {c}" for c in _control_characters(raw)]
    if problems:
        raise ParamsError(problems)
    return raw


def load_params(path: str | Path) -> CampaignParams:
    """Read and validate a campaign YAML; raise ParamsError listing every problem."""
    path = Path(path)
    where = shown(path)
    if not path.is_file():
        raise ParamsError(f"{where}: file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ParamsError(f"{where}: not UTF-8 text; save the YAML as UTF-8") from None
    raw = _read_yaml(text, where)
    if not isinstance(raw, dict):
        raise ParamsError(
            f"{where}: expected a mapping of keys (campaign, phases, data, ...), got {type(raw).__name__}"
        )
    try:
        params = CampaignParams.model_validate(raw)
    except ValidationError as e:
        raise ParamsError(_format_errors(e, where, raw)) from None
    params._source = path.resolve()
    missing = [
        f"{where}: notes.{name}: file not found: {text}"
        for name, text in params.notes.items()
        if _is_note_file(text) and not params.resolve(text).is_file()
    ]
    if missing:
        raise ParamsError(missing)
    return params
