"""Per-section aggregate tables ("marts"): defined once against Ibis, built in one pass, cached as Parquet.

A mart is a function ``(t: Tables, p: CampaignParams) -> ibis.Table`` registered with ``@mart``. Marts
hold parts (sums, counts, distinct counts at each level a section shows), not ratios: ratios are computed
from the parts by ``retro.metrics`` at display time. Because they are Ibis expressions, the same definitions
run on DuckDB or on Spark (``engine.kind``, ``retro.staging.engines``) with the same results; only the mart tables
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

import importlib
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

MART_MODULES = ("goals", "sales", "traffic", "funnel", "users", "marketing", "fulfilment", "service")


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
        self._made = 0  # shared tables materialised so far: each gets its own name
        self._planning: dict | None = None  # while planning: key -> (expression, the shared keys it reads)
        self._readers: dict[str, set[str]] | None = None  # shared key -> the marts that read it (None: unknown)
        self._staged_readers: dict[str, set[str]] = {}  # staged table -> the marts and intermediates reading it
        self._done: set[str] = set()

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
        from ..staging.engines import materialize

        if self._planning is not None:
            return self._planned(key, build)
        with self._lock:
            if key not in self._shared:
                with self.tracking() as reads:
                    expr = build()
                self._shared_reads[key] = reads
                self._made += 1
                self._shared[key] = materialize(self._con, f"__shared_{self._made}", expr)
                self.done(_built(key))  # what it was made from may go now
            for table in self._shared_reads[key]:  # whoever reads the intermediate reads what it was built from
                self._touch(table)
            return self._shared[key]

    def query(self, sql: Callable) -> object:
        """A table from SQL in the engine's own dialect, for what Ibis cannot say (GROUPING SETS).

        ``sql(compile, q)`` writes the statement: ``compile(expr)`` is an Ibis expression's SELECT, ``q(name)``
        quotes a name. Both engines run it (DuckDB and Spark SQL share the constructs used); their marts are
        compared by the Spark parity test.
        """
        from ..staging.engines import dialect

        return self._con.sql(sql(self._con.compile, dialect(self._con).q))

    def _planned(self, key: str, build: Callable):
        """While planning: the intermediate's expression, not run; note it (and what it reads) for the mart."""
        with self._lock:
            if key not in self._planning:
                outer = getattr(self._local, "shared_keys", None)
                self._local.shared_keys = inner = set()
                try:
                    with self.tracking() as reads:  # the staged tables its build reads, not its readers'
                        expr = build()
                finally:
                    self._local.shared_keys = outer
                self._planning[key] = (expr, inner, reads)
            expr, inner, _ = self._planning[key]
        keys = getattr(self._local, "shared_keys", None)
        if keys is not None:
            keys.add(key)
        return expr

    def plan(self, marts: list[MartDef], params) -> list[MartDef]:
        """Learn what reads each shared intermediate; return the marts in an order that keeps them short-lived.

        Every definition is run once without materialising anything (an Ibis expression is only a plan), so
        that an intermediate is freed as soon as its last reader, a mart written or an intermediate built from
        it, is done: on a large event log the visitor tables are tens of GB that would otherwise stay in memory
        and spill. The marts that read no intermediate go first; then those that read them, the ones reading
        intermediates built from the raw tables before those reading intermediates built from other ones (the
        sessions, read from the visits, before the visitor counts, read from the visitor rows made from the
        visits), so that the visits go as soon as the visitor rows are made, before the counts are.
        A definition that fails here leaves nothing to free early (it fails again, properly, when built).
        """
        direct: dict[str, set[str]] = {}  # mart -> the intermediates its definition asks for
        staged: dict[str, set[str]] = {}  # staged table -> the marts and intermediate builds reading it
        self._planning = planned = {}
        try:
            for m in marts:
                self._local.shared_keys = direct[m.name] = set()
                with self.tracking() as reads:
                    m.build(self, params)
                for table in reads:
                    staged.setdefault(table, set()).add(m.name)
            inner = {key: keys for key, (_, keys, _) in planned.items()}  # what building each one asks for
            built_reads = {key: reads for key, (_, _, reads) in planned.items()}  # the staged tables it reads
            for key, reads in built_reads.items():
                for table in reads:
                    staged.setdefault(table, set()).add(_built(key))
        except Exception:  # noqa: BLE001 - reported by the real build
            self._readers = None
            return marts
        finally:
            self._planning = None
            self._local.shared_keys = None
        depths: dict[str, int] = {}

        def depth(key: str) -> int:  # 1: built from raw tables; n + 1: from intermediates of depth n
            if key not in depths:
                depths[key] = 0  # a cycle cannot happen (a definition would recurse forever), but stop one
                depths[key] = 1 + max((depth(k) for k in inner.get(key, ())), default=0)
            return depths[key]

        def from_events(key: str) -> bool:  # built from the event log, directly or through other intermediates
            return "events" in built_reads.get(key, ()) or any(from_events(k) for k in inner.get(key, ()))

        def place(m: MartDef) -> tuple[int, bool]:
            # the event marts go last among their depth: by then the staged copies only the others read are
            # freed (``_release_staged``), leaving their memory to the largest reductions of the build
            return max((depth(k) for k in direct[m.name]), default=0), any(from_events(k) for k in direct[m.name])

        order = sorted(marts, key=place)  # stable
        readers: dict[str, set[str]] = {}
        for m in order:
            for key in direct[m.name]:
                readers.setdefault(key, set()).add(m.name)
        for key, keys in inner.items():
            for k in keys:
                readers.setdefault(k, set()).add(_built(key))
        self._readers = readers
        self._staged_readers = {name: staged.get(name, set()) for name in self._tables}
        self._release_staged()  # the tables no mart to build reads (a partial rebuild) go now
        return order

    def done(self, name: str) -> None:
        """A mart is written (or an intermediate built): free the intermediates nothing still to come reads."""
        from ..staging.engines import release

        with self._lock:
            self._done.add(name)
            if self._readers is None:
                return
            for key, names in self._readers.items():
                if key in self._shared and names <= self._done:
                    release(self._con, self._shared.pop(key).get_name())
            self._release_staged()

    def _release_staged(self) -> None:
        """Free the staged tables (copies in the engine's memory) that nothing still to come reads.

        The marts that read no intermediate are built first, so by the time the event marts run (the largest
        reductions), the order lines, users, shipments and the like have left the memory they need.
        """
        from ..staging.engines import release_staged

        free = [name for name, names in self._staged_readers.items() if names <= self._done]
        for name in free:
            del self._staged_readers[name]
        release_staged(self._con, [self._tables[name].get_name() for name in free if name in self._tables])

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


def _built(key: str) -> str:
    """How a built intermediate is named among the readers of others (never a mart's name)."""
    return f"shared:{key}"


def load_definitions() -> dict[str, MartDef]:
    """Import every mart module so that its marts register."""
    for mod in MART_MODULES:
        importlib.import_module(f"{__name__}.{mod}")
    return MARTS


def marts_for(sections: list[str], available: set[str]) -> list[MartDef]:
    """Marts the given sections read whose required tables are provided."""
    load_definitions()
    return [m for m in MARTS.values() if m.section in sections and set(m.needs) <= available]
