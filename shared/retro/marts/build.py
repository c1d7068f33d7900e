"""Building the marts: which are stale, staging the data once, writing each mart and the manifest.

A mart file is reused while its fingerprint holds (see ``retro.marts``); this module computes those
fingerprints, stages the tables only when some mart must be rebuilt, and records what was built in the run
folder's manifest (``retro.rundir``).

A build stopped half-way (Ctrl-C, kill -9, a full disk) leaves no mart the manifest vouches for wrongly: the
marts to rebuild leave the manifest before the first is written, each is written whole, and the data's
profile and soft problems are written before the marts, so the next build redoes what was not finished.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from ..params import CampaignParams
from ..progress import Progress, quiet
from ..rundir import RunDir, fault_point, hash_json
from ..staging.plan import TablePlan, sources_of
from . import MartDef, Tables, marts_for

SPILL_PREFIX = "retro-spill-"


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
    "retro.staging.exprs",
    "retro.staging.engines",
    "retro.staging.stage",
    "retro.staging.plan",
    "retro.staging.readers",
    "retro.staging.mapping",
    "retro.staging.derive",
    "retro.staging.checks",
    "retro.staging.profile",
    "retro.evidence",
)


@cache
def _code_hash(module: str) -> str:
    """The hash of a mart module's code with the shared code: read once per process."""
    code = inspect.getsource(importlib.import_module(module)) + "".join(
        inspect.getsource(importlib.import_module(name)) for name in _SHARED_CODE
    )
    return hashlib.sha256(code.encode()).hexdigest()


def fingerprint(m: MartDef, params: CampaignParams, table_prints: dict[str, str], reads: list[str] | None) -> str:
    """The cache key of one mart: its module's code and the shared mart code, params, input files.

    ``reads``: the tables the mart's definition touched when it was last built (None: not known).
    """
    sources = _sources_read(reads, table_prints, params)
    payload = {
        "mart": m.name,
        "code": _code_hash(m.build.__module__),
        "params": _params_fingerprint(params, sources),
        "tables": {k: v for k, v in sorted(table_prints.items()) if sources is None or k in sources},
    }
    return hash_json(payload)


def _clear_dead_spills() -> None:
    """Remove the spill folders of builds whose process is gone (killed: its ``finally`` never ran)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SPILL_PREFIX}*-*"):
        pid = folder.name[len(SPILL_PREFIX) :].split("-")[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # alive, another user's
            continue


def build_marts(
    params: CampaignParams,
    run_dir: Path,
    sections: list[str] | None = None,
    force: bool = False,
    progress: Progress | None = None,
    plan: TablePlan | None = None,
    starting=None,
) -> dict:
    """Build the stale marts of the given sections (all enabled ones by default); return the manifest.

    ``plan``: the campaign's table plan, when the caller has it already (computed here otherwise). The demo
    data must exist (``staging.demo.ensure_demo_data``). ``progress``: where the data checks and each mart
    show as they go, with one summary line each (``retro.progress``; nothing by default). ``starting``: called
    once when some mart must be built, once the data passed its checks (what can overlap the build starts then).
    """
    from ..staging import engines
    from ..staging.stage import stage_tables

    sections = sections or params.enabled_sections
    plan = plan or TablePlan.of(params)
    prints = plan.fingerprints()
    rd = RunDir(run_dir)
    manifest = rd.read_manifest()
    force = force or not rd.profile.is_file()  # the profile is written with the marts: stage again without it
    todo = []
    wanted = marts_for(sections, plan.available)
    for m in wanted:
        entry = manifest.get(m.name) or {}
        fp = fingerprint(m, params, prints, entry.get("tables"))
        if force or entry.get("fingerprint") != fp or not rd.has_mart(m.name):
            todo.append(m)
    progress = progress or quiet()
    if not todo:
        progress.echo(f"marts: all {len(manifest)} up to date")
        return manifest
    # outside outputs/ (a failed check leaves no trace), named by the process: a build removes those of dead ones
    _clear_dead_spills()
    spill = Path(tempfile.mkdtemp(prefix=f"{SPILL_PREFIX}{os.getpid()}-"))
    con = engines.connect(params, temp_dir=spill)
    try:
        n = len(plan.sources)

        def checked(st) -> str:
            return f"data: {n} table(s) read and checked in {st.seconds:.1f}s"

        with progress.stage("data: reading and checking", total=n, summary=checked) as st:
            profile: dict = {}
            staged, problems = stage_tables(con, params, plan, stage=st, profile=profile)  # raises on hard problems
        tables = Tables(staged, con)
        rd.write_quality(problems)
        rd.write_profile(profile)
        if starting is not None:
            starting()
        for m in todo:  # until rebuilt, these marts are as good as missing
            manifest.pop(m.name, None)
        rd.write_manifest(manifest)

        def build_one(m: MartDef) -> None:
            t0 = time.perf_counter()
            with tables.tracking() as reads:
                expr = m.build(tables, params)
            # through Arrow, cast to the expression's schema: DuckDB's own Parquet writer stores integer
            # sums (HUGEINT) as double
            rd.write_mart(m.name, con.to_pyarrow(expr))
            fault_point("marts")
            tables.done(m.name)
            manifest[m.name] = {
                "fingerprint": fingerprint(m, params, prints, sorted(reads)),
                "tables": sorted(reads),
                "section": m.section,
                "seconds": round(time.perf_counter() - t0, 3),
                "engine": params.engine.kind,
            }

        jobs = tables.plan([m for m in todo if all(tables.has(t) for t in m.needs)], params)
        workers = engines.concurrent_marts(con)  # DuckDB: one at a time, each query uses every core
        unchanged = len(wanted) - len(todo)

        def built(st) -> str:
            kept = f", {unchanged} unchanged" if unchanged else ""
            return f"marts: {st.count} built{kept} in {st.seconds:.1f}s"

        with progress.stage("marts", total=len(jobs), summary=built) as st:

            def step(m: MartDef) -> None:
                st.step(m.name)
                build_one(m)
                st.done(m.name)

            if workers == 1:
                for m in jobs:
                    step(m)
            else:  # Spark: several small jobs overlap
                with ThreadPoolExecutor(workers) as pool:
                    for done in [pool.submit(step, m) for m in jobs]:
                        done.result()
    finally:
        engines.disconnect(con)
        shutil.rmtree(spill, ignore_errors=True)
    rd.write_manifest(manifest)
    return manifest
