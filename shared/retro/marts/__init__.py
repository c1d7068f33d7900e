"""Per-section aggregate tables ("marts"): defined once against Ibis, built in one pass, cached as Parquet.

A mart is a function ``(t: Tables, p: CampaignParams) -> ibis.Table`` registered with ``@mart``. Marts
hold parts (sums, counts, distinct counts at each level a section shows), not ratios: ratios are computed
from the parts by ``retro.metrics`` at display time. Because they are Ibis expressions, the same definitions
run on DuckDB or on Spark (``engine.kind``, ``retro.engines``) with the same results; only the mart tables
come back from the engine, through Arrow, to be written here.

Each mart file is reused while its fingerprint holds: the mart module's code, the YAML values marts depend
on, and the identity of the data files of the tables it reads. Which tables a mart reads is recorded as it
is built (``Tables`` notes every table a definition touches, also through a shared intermediate) and kept in
the manifest, so the next run fingerprints exactly those tables' files and YAML sources: new service data
rebuilds the service marts, not the sales ones. A derived table counts as the sources it comes from
(orders from order lines, users from orders: ``derive.sources_of``); a mart not built before, or one that
looked for a table the data lacks, counts on every source. A stale mart is never used.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from ..params import CampaignParams

MART_MODULES = ("goals", "sales", "traffic", "funnel", "users", "marketing", "fulfilment", "service")
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class MartDef:
    """A registered mart: the section that reads it and the tables it needs."""

    name: str
    section: str
    needs: tuple[str, ...]
    optional: tuple[str, ...]
    build: Callable


MARTS: dict[str, MartDef] = {}


def mart(name: str, *, section: str, needs: tuple[str, ...], optional: tuple[str, ...] = ()):
    """Register a mart definition under ``name``."""

    def register(fn):
        if name in MARTS and MARTS[name].build.__module__ != fn.__module__:
            raise ValueError(f"mart {name!r} defined twice")
        MARTS[name] = MartDef(name, section, tuple(needs), tuple(optional), fn)
        return fn

    return register


class Tables:
    """The staged canonical tables, by attribute (``t.orders``); ``t.has('events')`` for optional ones."""

    def __init__(self, tables: dict, con):
        self._tables = tables
        self._con = con  # the engine the tables live on: where shared intermediates are kept
        self._shared: dict = {}
        self._shared_reads: dict[str, set[str]] = {}  # tables each shared intermediate was built from
        self._lock = threading.RLock()  # marts may be built in threads (Spark); a shared table builds once
        self._local = threading.local()  # the tables the mart being defined in this thread has touched

    @contextmanager
    def tracking(self):
        """The set of tables touched (read or looked for) by the definitions run meanwhile in this thread."""
        outer = getattr(self._local, "reads", None)
        self._local.reads = reads = set()
        try:
            yield reads
        finally:
            self._local.reads = outer

    def _touch(self, name: str) -> None:
        reads = getattr(self._local, "reads", None)
        if reads is not None:
            reads.add(name)

    def shared(self, key: str, build: Callable):
        """An intermediate table several marts read, computed and materialised once per build.

        ``build()`` returns an Ibis expression; the engine keeps its result like a staged table
        (``engines.materialize``, gone with the connection) so the marts that share it do not reduce the raw
        events again.
        """
        from ..engines import materialize

        with self._lock:
            if key not in self._shared:
                with self.tracking() as reads:
                    expr = build()
                self._shared_reads[key] = reads
                self._shared[key] = materialize(self._con, f"__shared_{len(self._shared)}", expr)
            for table in self._shared_reads[key]:  # whoever reads the intermediate reads what it was built from
                self._touch(table)
            return self._shared[key]

    def __getattr__(self, name):
        if name.startswith("_"):  # attributes of the object itself (before __init__ has set them, too)
            raise AttributeError(name)
        self._touch(name)
        try:
            return self._tables[name]
        except KeyError:
            raise AttributeError(f"table {name!r} is not loaded") from None

    def has(self, name: str) -> bool:
        self._touch(name)
        return name in self._tables


def load_definitions() -> dict[str, MartDef]:
    """Import every mart module so that its marts register."""
    for mod in MART_MODULES:
        importlib.import_module(f"{__name__}.{mod}")
    return MARTS


def marts_for(sections: list[str], available: set[str]) -> list[MartDef]:
    """Marts the given sections read whose required tables are provided."""
    load_definitions()
    return [m for m in MARTS.values() if m.section in sections and set(m.needs) <= available]


def _params_fingerprint(params: CampaignParams, sources: list[str] | None = None) -> dict:
    """Values marts depend on (targets, benchmarks, names and language only affect presentation).

    ``sources``: the data sources the mart reads (their YAML entries only); None: the whole data section.
    """
    out = params.model_dump(mode="json", include={"phases", "baseline", "settings", "data"}) | {
        "timezone": params.campaign.timezone,
        "currency": params.campaign.currency,
    }
    if sources is not None:
        out["data"]["tables"] = {k: v for k, v in out["data"]["tables"].items() if k in sources}
    return out


def _sources_read(reads: list[str] | None, table_prints: dict[str, str], params: CampaignParams) -> list[str] | None:
    """The sources behind the tables a mart read (a derived table: the ones it comes from); None: every source.

    Every source when the tables are not known (a mart not built before) and for a table the data does
    not provide (an optional one looked for): adding its source later must rebuild the mart.
    """
    from ..derive import sources_of

    if reads is None:
        return None
    out: set[str] = set()
    for table in reads:
        found = sources_of(table, set(table_prints), params)
        if found is None:
            return None
        out |= found
    return sorted(out)


# Modules whose code shapes every mart: shared expressions, canonical types, staging.
_SHARED_CODE = (
    "retro.marts.common",
    "retro.marts.visits",
    "retro.schema",
    "retro.engines",
    "retro.sources",
    "retro.readers",
    "retro.mapping",
    "retro.derive",
    "retro.validate",
)


def fingerprint(m: MartDef, params: CampaignParams, table_prints: dict[str, str], reads: list[str] | None) -> str:
    """The cache key of one mart: its module's code and the shared mart code, params, input files.

    ``reads``: the tables the mart's definition touched when it was last built (None: not known).
    """
    code = inspect.getsource(inspect.getmodule(m.build)) + "".join(
        inspect.getsource(importlib.import_module(name)) for name in _SHARED_CODE
    )
    sources = _sources_read(reads, table_prints, params)
    payload = {
        "mart": m.name,
        "code": hashlib.sha256(code.encode()).hexdigest(),
        "params": _params_fingerprint(params, sources),
        "tables": {k: v for k, v in sorted(table_prints.items()) if sources is None or k in sources},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:20]


def read_manifest(mart_dir: Path) -> dict:
    """The manifest of built marts ({} when none)."""
    path = mart_dir / MANIFEST
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _write_json_atomic(path: Path, data) -> None:
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True, default=str))
    os.replace(tmp, path)


def build_marts(
    params: CampaignParams,
    run_dir: Path,
    sections: list[str] | None = None,
    force: bool = False,
    progress=None,
) -> dict:
    """Build the stale marts of the given sections (all enabled ones by default); return the manifest."""
    from .. import engines, sources
    from ..quality import write_quality

    sections = sections or params.enabled_sections
    sources.ensure_demo_data(params, progress)
    available = sources.available_tables(params)
    prints = sources.table_fingerprints(params)
    mart_dir = run_dir / "marts"
    manifest = read_manifest(mart_dir)
    todo = []
    for m in marts_for(sections, available):
        entry = manifest.get(m.name) or {}
        fp = fingerprint(m, params, prints, entry.get("tables"))
        if force or entry.get("fingerprint") != fp or not (mart_dir / f"{m.name}.parquet").is_file():
            todo.append(m)
    if not todo:
        return manifest
    started = time.perf_counter()
    spill = Path(tempfile.mkdtemp(prefix="retro-spill-"))  # outside outputs/: a failed check leaves no trace
    con = sources.connect(params, temp_dir=spill)
    try:
        staged, problems = sources.stage_tables(con, params)  # raises on hard problems: nothing written yet
        tables = Tables(staged, con)
        mart_dir.mkdir(parents=True, exist_ok=True)

        def build_one(m: MartDef) -> None:
            t0 = time.perf_counter()
            with tables.tracking() as reads:
                expr = m.build(tables, params)
            tmp = mart_dir / f"{m.name}.parquet.tmp{os.getpid()}"
            # through Arrow, cast to the expression's schema: DuckDB's own Parquet writer stores integer
            # sums (HUGEINT) as double
            pq.write_table(con.to_pyarrow(expr), tmp)
            os.replace(tmp, mart_dir / f"{m.name}.parquet")
            manifest[m.name] = {
                "fingerprint": fingerprint(m, params, prints, sorted(reads)),
                "tables": sorted(reads),
                "section": m.section,
                "seconds": round(time.perf_counter() - t0, 3),
                "engine": params.engine.kind,
            }

        jobs = [m for m in todo if all(tables.has(t) for t in m.needs)]
        workers = engines.concurrent_marts(con)  # DuckDB: one at a time, each query uses every core
        if workers == 1:
            for m in jobs:
                build_one(m)
        else:  # Spark: several small jobs overlap
            with ThreadPoolExecutor(workers) as pool:
                for done in [pool.submit(build_one, m) for m in jobs]:
                    done.result()
        write_quality(mart_dir, problems)
    finally:
        engines.disconnect(con)
        shutil.rmtree(spill, ignore_errors=True)
    _write_json_atomic(mart_dir / MANIFEST, manifest)
    if progress:
        progress(f"built {len(todo)} mart(s) in {time.perf_counter() - started:.1f}s")
    return manifest
