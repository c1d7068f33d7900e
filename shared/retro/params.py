"""The campaign YAML: a typed model, validated in full before any data is read or kernel started.

Every problem is reported as one line, ``<file>: <key path>: <what is wrong>``, and all problems are
reported together. Secrets never live in the YAML: a data source names the environment variable that
holds its password.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
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
SPARK_MASTER = r"local(\[(\*|\d+)(,\d+)?\])?|spark://\S+|yarn|k8s://\S+|mesos://\S+"
REMOTE_PATH = r"[a-zA-Z][a-zA-Z0-9+.-]*://"  # s3a://, hdfs://, abfss://, gs://: read by Spark, never listed here


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
        if self.url and re.search(r"://[^/@]*:[^/@]+@", self.url):
            raise ValueError("the url contains a password: remove it and name its environment variable in password_env")
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
        unknown = [f"unknown table {name!r}{suggest(name, known)}" for name in v if name not in known]
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


class CampaignParams(_Model):
    """Everything one retrospective is built from."""

    campaign: Campaign
    phases: Annotated[list[Phase], Field(min_length=1)]
    baseline: Period | None = None
    targets: dict[str, float] = Field(default_factory=dict)
    benchmarks: dict[str, Benchmark] = Field(default_factory=dict)
    budget: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    findings: list[FindingRule] = Field(default_factory=list)
    data: Data
    sections: list[str] | None = None
    settings: Settings = Field(default_factory=Settings)
    engine: Engine = Field(default_factory=Engine)
    compare: list[Comparison] = Field(default_factory=list)

    _source: Path | None = PrivateAttr(default=None)

    @field_validator("targets", "benchmarks")
    @classmethod
    def _known_figures(cls, v: dict) -> dict:
        for key in v:
            if key not in FIGURES:
                raise ValueError(f"unknown figure {key!r}{suggest(key, FIGURES)}")
        return v

    @field_validator("sections")
    @classmethod
    def _known_sections(cls, v):
        if v is not None:
            for name in v:
                if name not in SECTIONS:
                    raise ValueError(f"unknown section {name!r}{suggest(name, SECTIONS)}")
        return v

    @model_validator(mode="after")
    def _consistent(self):
        problems = []
        for a, b in zip(self.phases, self.phases[1:], strict=False):
            if b.start <= a.end:
                problems.append(f"phase {b.name} starts {b.start}, before {a.name} ends {a.end}")
        kinds = [p.name for p in self.phases]
        if len(set(kinds)) != len(kinds):
            problems.append(f"each phase may appear once, got {kinds}")
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

    def resolve(self, path: str) -> Path:
        """A path from the YAML, relative to the YAML file's folder."""
        p = Path(path).expanduser()
        if p.is_absolute() or self._source is None:
            return p
        return (self._source.parent / p).resolve()


def _spark_only_sources(data: Data) -> list[str]:
    """Sources only Spark reads: catalogue tables and paths on a cluster file system (s3a://, hdfs://)."""
    out = []
    for name, src in data.tables.items():
        paths = [src.path] if isinstance(src.path, str) else list(src.path or [])
        if not paths and not src.url and src.format not in ("duckdb", "sql"):
            out.append(f"data.tables.{name}: a catalogue table (table or query, no path) needs engine.kind: spark")
        elif remote := [p for p in paths if re.match(REMOTE_PATH, p)]:
            scheme = remote[0].split(":")[0]
            out.append(f"data.tables.{name}.path: a {scheme}:// path is read by Spark only: set engine.kind: spark")
    return out


def _format_errors(err: ValidationError, file: str, raw: dict) -> list[str]:
    lines = []
    for e in err.errors():
        loc = [x for x in e["loc"] if not (isinstance(x, str) and x in ("function-after", "tagged-union"))]
        # pydantic puts the union member's type name in the path for unions; drop those.
        loc = [x for x in loc if not (isinstance(x, str) and re.fullmatch(r"(float|int|str|dict\[.*\]|list\[.*\])", x))]
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


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reporting impossible dates with their line and column."""


def _construct_timestamp(loader, node):
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as e:
        raise _BadValue(node.start_mark, f"not a valid date: {node.value} ({e})") from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def load_params(path: str | Path) -> CampaignParams:
    """Read and validate a campaign YAML; raise ParamsError listing every problem."""
    path = Path(path)
    where = shown(path)
    if not path.is_file():
        raise ParamsError(f"{where}: file not found")
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a safe loader
    except UnicodeDecodeError:
        raise ParamsError(f"{where}: not UTF-8 text; save the YAML as UTF-8") from None
    except _BadValue as e:
        raise ParamsError(f"{where}: line {e.mark.line + 1}, column {e.mark.column + 1}: {e.message}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ParamsError(f"{where}: {at}YAML syntax error: {problem}") from None
    if not isinstance(raw, dict):
        raise ParamsError(
            f"{where}: expected a mapping of keys (campaign, phases, data, ...), got {type(raw).__name__}"
        )
    try:
        params = CampaignParams.model_validate(raw)
    except ValidationError as e:
        raise ParamsError(_format_errors(e, where, raw)) from None
    params._source = path.resolve()
    return params
