"""Where marts are computed: DuckDB in this process (the default) or Spark, both behind one Ibis connection.

``engine.kind`` in the YAML picks one. DuckDB runs in-process with a memory limit and spills to a temporary
folder beyond it. Spark runs where ``engine.master`` points (``local[2]`` on this machine, or a cluster):
raw Parquet and catalogue tables are read there, mapping, derivations, checks and every mart run there, and
only the mart tables (small aggregates) come back to be written as Parquet here.

Staging asks this module, not the backend, for the few things the engines do differently: keeping a staged
table (a temporary table in DuckDB, a cached temporary view in Spark), running a statement and fetching its
rows, and the SQL dialect of the few statements the mapping writes by hand.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path

from ..errors import RetroError
from ..params import CampaignParams, Engine
from ..rundir import write_atomic

# Our defaults for a Spark session we start; the YAML's engine.conf wins over every one of them.
SPARK_DEFAULTS = {
    "spark.sql.ansi.enabled": "false",  # x / 0 is NULL and casts do not throw: the same results as DuckDB
    "spark.sql.execution.arrow.pyspark.enabled": "true",  # mart tables come back through Arrow
    "spark.sql.session.timeZone": "UTC",  # canonical times are naive local times; UTC keeps them as written
    "spark.ui.showConsoleProgress": "false",  # no progress bars in the terminal or the notebooks
}
# Only for local masters: a handful of shuffle partitions suits one machine (the default 200 suits clusters).
LOCAL_DEFAULTS = {"spark.sql.shuffle.partitions": "4", "spark.ui.enabled": "false"}
# The JVM's log: warnings only, less two harmless ones at start (loopback host name, no native Hadoop library);
# once the session runs, errors only.
_QUIET_LOG4J = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.utils.name = org.apache.spark.util.Utils
logger.utils.level = error
logger.hadoop.name = org.apache.hadoop
logger.hadoop.level = error
"""

SPARK_CONCURRENT_MARTS = 4  # marts built at once on Spark: their many small jobs overlap
# A source Spark does not read itself (CSV, Excel, a database) is read here and sent; beyond this, refused.
LOCAL_ROWS_LIMIT = 5_000_000
_owned_sessions: set[int] = set()  # sessions this module started (and so stops)
_cached: dict[int, dict] = {}  # Spark DataFrames cached per connection, by staged name


# --- connecting -----------------------------------------------------------------------------------------


def connect(params: CampaignParams, temp_dir: Path | None = None):
    """An Ibis connection to the YAML's engine."""
    if params.engine.kind == "spark":
        return spark_connect(params.engine, app_name=f"retro {params.campaign.id}")
    return duckdb_connect(params.engine, temp_dir)


def duckdb_connect(engine: Engine, temp_dir: Path | None = None):
    """An in-process DuckDB connection with the YAML's memory and thread limits."""
    import ibis

    con = ibis.duckdb.connect()
    con.raw_sql(f"SET memory_limit = '{engine.memory_limit}'")
    if engine.threads:
        con.raw_sql(f"SET threads = {int(engine.threads)}")
    if temp_dir is not None:  # where the engine spills when a table or a join outgrows the memory limit
        temp_dir.mkdir(parents=True, exist_ok=True)
        con.raw_sql(f"SET temp_directory = '{temp_dir}'")
    return con


def spark_connect(engine: Engine, app_name: str = "retro"):
    """Ibis over a Spark session: the one already running in this process, else one started at engine.master."""
    import ibis

    # raised inside pyspark's Arrow conversion under pandas 3; nothing the kit can change
    warnings.filterwarnings("ignore", message="The copy keyword is deprecated", module=r"pyspark\.")
    session = spark_session(engine, app_name)
    for key, value in SPARK_DEFAULTS.items():  # runtime settings, also on a session someone else started
        if key.startswith("spark.sql.") and key not in engine.conf:
            session.conf.set(key, value)
    return ibis.pyspark.connect(session)


def spark_session(engine: Engine, app_name: str = "retro"):
    """The active Spark session, or a new one from engine.master and engine.conf (stopped by ``disconnect``).

    A session that was running before (a notebook's, a test's) is reused as it is: its master and static
    settings cannot change once started, and it stays up after the build.
    """
    builder = spark_builder(engine, app_name)
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if SparkContext._active_spark_context is not None:  # started in another thread: shared, not ours to stop
        return builder.getOrCreate()
    try:
        session = builder.getOrCreate()
    except Exception as e:  # py4j / Java errors: no JVM, unreachable master, a bad setting
        first = next((x.strip() for x in str(e).splitlines() if x.strip()), type(e).__name__)
        raise RetroError(f"engine: cannot start Spark at {engine.master or 'local[*]'!r}: {first[:200]}") from None
    session.sparkContext.setLogLevel("ERROR")
    _owned_sessions.add(id(session))
    return session


def spark_builder(engine: Engine, app_name: str = "retro"):
    """A SparkSession builder with engine.master, our defaults and engine.conf (which wins); raises without Java."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise RetroError(
            "engine: kind spark needs Java 17 (no java found): install openjdk-17-jre-headless or set JAVA_HOME"
        )
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise RetroError("engine: kind spark needs PySpark: pip install -r requirements.txt") from None
    master = engine.master or "local[*]"
    conf = dict(SPARK_DEFAULTS)
    if master.startswith("local"):  # the driver does all the work: bounded by the YAML's memory_limit
        conf.update(LOCAL_DEFAULTS | {"spark.driver.memory": _jvm_memory(engine.memory_limit)})
    conf.update({k: _conf_text(v) for k, v in engine.conf.items()})
    java_options = conf.get("spark.driver.extraJavaOptions", "")
    if "log4j2.configurationFile" not in java_options:  # the JVM's INFO and WARN lines stay out of the terminal
        java_options = f"{java_options} -Dlog4j2.configurationFile=file:{_log4j_file()}".strip()
    conf["spark.driver.extraJavaOptions"] = java_options
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder


def memory_bytes(limit: str) -> int:
    """A memory_limit ('4GB', '1.5 GiB', '512MB') in bytes (KB, MB... read as powers of 1024, like DuckDB)."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT])i?B", limit.strip())
    number, unit = float(m.group(1)), m.group(2)
    return int(number * 1024 ** ("KMGT".index(unit) + 1))


def _jvm_memory(limit: str) -> str:
    """A memory_limit ('4GB', '1.5 GiB', '512MB') as a JVM size in whole megabytes ('4096m')."""
    return f"{max(memory_bytes(limit) // 2**20, 256)}m"


def _conf_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _log4j_file() -> Path:
    path = Path(tempfile.gettempdir()) / "retro-spark-log4j2.properties"
    if not path.is_file() or path.read_text() != _QUIET_LOG4J:
        write_atomic(path, _QUIET_LOG4J)
    return path


def is_spark(con) -> bool:
    """Whether the connection is a Spark one."""
    return getattr(con, "name", "") == "pyspark"


def concurrent_marts(con) -> int:
    """Marts built at once: one on DuckDB (each query uses every core), several on Spark (small jobs overlap)."""
    return SPARK_CONCURRENT_MARTS if is_spark(con) else 1


def disconnect(con) -> None:
    """Release the engine: DuckDB's connection; Spark's cached staged tables, and the session if we started it."""
    if not is_spark(con):
        con.disconnect()
        return
    session = con._session
    for df in _cached.pop(id(con), {}).values():
        df.unpersist()
    if id(session) in _owned_sessions:
        _owned_sessions.discard(id(session))
        session.stop()


# --- staged tables and statements -----------------------------------------------------------------------


def materialize(con, name: str, expr):
    """Keep ``expr`` as the staged table ``name`` (replacing one of that name) and return it.

    DuckDB writes a temporary table; Spark caches the result (memory, then disk) under a temporary view, so
    that the checks and every mart read it without recomputing the mapping.
    """
    if not is_spark(con):
        return _duckdb_table_as(con, name, expr)
    con._run_pre_execute_hooks(expr)  # in-memory tables the expression reads
    return _cache_spark(con, name, con.raw_sql(con.compile(expr)))


def _duckdb_table_as(con, name: str, expr):
    """``CREATE TEMP TABLE name AS SELECT``, each column cast to the type the expression declares.

    Ibis's ``create_table`` declares the table, then inserts into it, which DuckDB runs at half the speed of
    one CREATE TABLE AS (tens of millions of rows: seconds). The casts keep Ibis's types (DuckDB would store
    an integer sum as HUGEINT).
    """
    from ibis.backends.sql.datatypes import DuckDBType

    con._run_pre_execute_hooks(expr)  # in-memory tables the expression reads
    sql = dialect(con)
    cols = ", ".join(
        f"CAST({sql.q(col)} AS {DuckDBType.to_string(dtype)}) AS {sql.q(col)}" for col, dtype in expr.schema().items()
    )
    return materialize_sql(con, name, f"SELECT {cols} FROM ({con.compile(expr)}) AS __q")


def materialize_sql(con, name: str, sql: str):
    """Like ``materialize`` for a SELECT statement in the engine's own dialect."""
    if not is_spark(con):
        con.raw_sql(f"CREATE OR REPLACE TEMP TABLE {dialect(con).q(name)} AS {sql}")
        return con.table(name)
    return _cache_spark(con, name, con.raw_sql(sql))


def view_sql(con, name: str, sql: str):
    """A temporary view ``name`` over a SELECT statement in the engine's own dialect."""
    if not is_spark(con):
        con.raw_sql(f"CREATE OR REPLACE TEMP VIEW {dialect(con).q(name)} AS {sql}")
    else:
        con.raw_sql(sql).createOrReplaceTempView(name)
    return con.table(name)


_VIEWS = "SELECT sql FROM duckdb_views() WHERE NOT internal"
_LITERAL = re.compile(r"'(?:[^']|'')*'")


def _named(name: str) -> re.Pattern:
    return re.compile(rf'(?<![\w"]){re.escape(name)}(?![\w"])|"{re.escape(name)}"', re.IGNORECASE)


def release_staged(con, names: list[str]) -> list[str]:
    """Free staged tables nothing reads any more (DuckDB); return those dropped.

    Only a table staging copied into memory (a TEMP TABLE, not a view over its files) and only when no view
    reads it (a derived table may be a view over it): on a large campaign the copies of order lines and
    users fill much of the memory limit that the event marts, built last, need. Spark keeps its staged
    tables (views over cached data, evicted as needed).
    """
    if is_spark(con) or not names:
        return []
    duck = con.con
    copies = {n for (n,) in duck.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()}
    names = [n for n in names if n in copies]
    if not names:
        return []
    # the views' text without its string literals (file paths name tables too: .../order_items/part-0.parquet);
    # a name left in it, bare or quoted, may be a table the view reads (or a column: then the copy is kept)
    views = [_LITERAL.sub("''", sql or "") for (sql,) in duck.execute(_VIEWS).fetchall()]
    dropped = [n for n in names if not any(_named(n).search(v) for v in views)]
    for n in dropped:
        release(con, n)
    return dropped


def release(con, name: str) -> None:
    """Free a table ``materialize`` kept: its memory, and its spill on disk, before the connection ends."""
    if not is_spark(con):
        con.raw_sql(f"DROP TABLE IF EXISTS {dialect(con).q(name)}")
        return
    old = _cached.get(id(con), {}).pop(name, None)
    if old is not None:
        old.unpersist()


def _cache_spark(con, name: str, df):
    cached = _cached.setdefault(id(con), {})
    old = cached.pop(name, None)
    df = df.cache()
    df.createOrReplaceTempView(name)
    if old is not None:
        old.unpersist()
    cached[name] = df
    return con.table(name)


def zoned_columns(con, table) -> frozenset[str]:
    """Columns of ``table`` holding instants (Spark TIMESTAMP) that Ibis shows as plain timestamps.

    DuckDB's Ibis schema already says which timestamps carry a zone, so there it is empty.
    """
    if not is_spark(con):
        return frozenset()
    from pyspark.sql.types import TimestampType

    schema = con.raw_sql(con.compile(table)).schema  # analysed, not run
    return frozenset(f.name for f in schema.fields if isinstance(f.dataType, TimestampType))


def fetch(con, sql: str) -> list[tuple]:
    """The rows of a query in the engine's own dialect, as tuples."""
    if is_spark(con):
        return [tuple(row) for row in con.raw_sql(sql).collect()]
    return con.raw_sql(sql).fetchall()


def ship_arrow(con, name: str, table):
    """A small Arrow table (read and mapped locally) as the staged table ``name`` on the engine.

    On Spark, timestamps become TIMESTAMP_NTZ, the type of naive times read from Parquet, so that staged
    tables have one timestamp type whatever their source.
    """
    if not is_spark(con):
        return con.create_table(name, table, temp=True, overwrite=True)
    import pyarrow as pa

    session = con._session
    df = session.createDataFrame(table)
    casts = [
        f"CAST({dialect(con).q(f.name)} AS TIMESTAMP_NTZ) AS {dialect(con).q(f.name)}"
        if pa.types.is_timestamp(f.type)
        else dialect(con).q(f.name)
        for f in table.schema
    ]
    view = f"__shipped_{name}"
    df.createOrReplaceTempView(view)
    return materialize_sql(con, name, f"SELECT {', '.join(casts)} FROM {dialect(con).q(view)}")


def local_rows_limit() -> int:
    """Rows a source read on this machine may have to be shipped to Spark (env RETRO_SPARK_LOCAL_ROWS)."""
    return int(os.environ.get("RETRO_SPARK_LOCAL_ROWS", LOCAL_ROWS_LIMIT))


# --- the SQL the mapping writes by hand ---------------------------------------------------------------------


class DuckDBSql:
    """DuckDB's spelling of the SQL constructs the mapping step writes by hand."""

    types = {
        "string": "VARCHAR",
        "int": "BIGINT",
        "float": "DOUBLE",
        "bool": "BOOLEAN",
        "timestamp": "TIMESTAMP",
        "date": "DATE",
    }

    def q(self, name: str) -> str:
        """A quoted identifier."""
        return '"' + str(name).replace('"', '""') + '"'

    def lit(self, value) -> str:
        """A string literal."""
        return "'" + str(value).replace("'", "''") + "'"

    def text(self, v: str) -> str:
        return f"CAST({v} AS VARCHAR)"

    def trim(self, v: str, chars: str | None = None) -> str:
        return f"trim({v}, {self.lit(chars)})" if chars else f"trim({v})"

    def replace_all(self, v: str, pattern: str, replacement: str) -> str:
        """Every match of a regular expression replaced (backslash-1 in the replacement is the first group)."""
        return f"regexp_replace({v}, {self.lit(pattern)}, {self.lit(replacement)}, 'g')"

    def full_match(self, v: str, pattern: str) -> str:
        return f"regexp_full_match({v}, {self.lit(pattern)})"

    def search(self, v: str, pattern: str) -> str:
        return f"regexp_matches({v}, {self.lit(pattern)})"

    def strptime(self, v: str, formats) -> str:
        """A naive timestamp from text by the first strptime format that fits (NULL when none does)."""
        return f"try_strptime({v}, [{', '.join(self.lit(f) for f in formats)}])"

    def zoned_cast(self, v: str) -> str:
        """Text with a UTC offset as an instant (NULL when it is not one)."""
        return f"TRY_CAST({v} AS TIMESTAMPTZ)"

    def local_of_instant(self, zone: str, instant: str) -> str:
        """An instant as the naive local time of ``zone``."""
        return f"timezone({self.lit(zone)}, {instant})"

    def convert_naive(self, ts: str, src_zone: str, zone: str) -> str:
        """A naive time taken in ``src_zone`` as the naive local time of ``zone``."""
        return f"timezone({self.lit(zone)}, timezone({self.lit(src_zone)}, {ts}))"

    def from_epoch(self, seconds: str, zone: str) -> str:
        """Unix seconds as the naive local time of ``zone``."""
        return self.local_of_instant(zone, f"to_timestamp({seconds})")

    def finite(self, x: str) -> str:
        """A double, NULL where it is NaN or infinite (pandas writes NaN for a missing value)."""
        return f"CASE WHEN isfinite({x}) THEN {x} END"


class SparkSql(DuckDBSql):
    """Spark SQL's spelling; timestamps in between are Spark TIMESTAMPs read in the session's UTC zone."""

    types = DuckDBSql.types | {"string": "STRING", "timestamp": "TIMESTAMP_NTZ"}

    def q(self, name: str) -> str:
        return "`" + str(name).replace("`", "``") + "`"

    def lit(self, value) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    def text(self, v: str) -> str:
        return f"CAST({v} AS STRING)"

    def trim(self, v: str, chars: str | None = None) -> str:
        return f"trim(BOTH {self.lit(chars)} FROM {v})" if chars else f"trim({v})"

    def replace_all(self, v: str, pattern: str, replacement: str) -> str:
        return f"regexp_replace({v}, {self.lit(pattern)}, {self.lit(replacement.replace(chr(92) + '1', '$1'))})"

    def full_match(self, v: str, pattern: str) -> str:
        return f"({v} RLIKE {self.lit('^(?:' + pattern + ')$')})"

    def search(self, v: str, pattern: str) -> str:
        return f"({v} RLIKE {self.lit(pattern)})"

    def strptime(self, v: str, formats) -> str:
        tries = [f"try_to_timestamp({v}, {self.lit(java_pattern(f))})" for f in formats]
        return tries[0] if len(tries) == 1 else f"COALESCE({', '.join(tries)})"

    def zoned_cast(self, v: str) -> str:
        return f"TRY_CAST({v} AS TIMESTAMP)"

    def local_of_instant(self, zone: str, instant: str) -> str:
        return f"from_utc_timestamp({instant}, {self.lit(zone)})"

    def convert_naive(self, ts: str, src_zone: str, zone: str) -> str:
        return f"from_utc_timestamp(to_utc_timestamp({ts}, {self.lit(src_zone)}), {self.lit(zone)})"

    def from_epoch(self, seconds: str, zone: str) -> str:
        return self.local_of_instant(zone, f"timestamp_seconds({seconds})")

    def finite(self, x: str) -> str:
        return f"CASE WHEN NOT isnan({x}) AND abs({x}) <> double('inf') THEN {x} END"


def dialect(con) -> DuckDBSql:
    """The SQL spelling of the connection's engine."""
    return SparkSql() if is_spark(con) else DuckDBSql()


# strptime directive -> Java DateTimeFormatter letters: (one or two digits allowed, fixed width)
_JAVA = {
    "Y": ("yyyy", "yyyy"),
    "y": ("yy", "yy"),
    "m": ("M", "MM"),
    "d": ("d", "dd"),
    "H": ("H", "HH"),
    "I": ("h", "hh"),
    "M": ("m", "mm"),
    "S": ("s", "ss"),
    "f": ("SSSSSS", "SSSSSS"),
    "p": ("a", "a"),
    "b": ("MMM", "MMM"),
    "B": ("MMMM", "MMMM"),
    "a": ("EEE", "EEE"),
    "A": ("EEEE", "EEEE"),
    "j": ("D", "DDD"),
    "z": ("XXX", "XXX"),
    "Z": ("z", "z"),
}


def java_pattern(fmt: str) -> str:
    """A strptime format as a Spark datetime pattern (``%Y/%m/%d`` -> ``yyyy/M/d``).

    A field followed directly by another field gets its fixed width (``%Y%m%d`` -> ``yyyyMMdd``); text
    between fields is quoted (``%Y年%m月`` -> ``yyyy'年'M'月'``).
    """
    out, literal, i, after_field = [], "", 0, False
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            d = fmt[i + 1]
            i += 2
            if d == "%":
                literal += "%"
                continue
            if literal:
                out.append(_quoted(literal))
                literal, after_field = "", False
            before_field = i < len(fmt) - 1 and fmt[i] == "%" and fmt[i + 1] != "%"
            loose, fixed = _JAVA.get(d, (d, d))
            out.append(fixed if before_field or after_field else loose)
            after_field = True
        else:
            literal += fmt[i]
            i += 1
    if literal:
        out.append(_quoted(literal))
    return "".join(out)


def _quoted(text: str) -> str:
    """Literal text of a Java pattern: quoted when it holds letters or pattern symbols."""
    if all(not c.isalpha() and c not in "'[]{}#" for c in text):
        return text
    return "'" + text.replace("'", "''") + "'"
