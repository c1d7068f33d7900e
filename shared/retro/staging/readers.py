"""Reading a table's source into the engine as a raw relation, with the source's own column names.

CSV/TSV and Parquet files are read by DuckDB, lazily, through a view: nothing large is loaded into pandas.
CSV columns all arrive as text, because the mapping step parses amounts ("¥1,299.00") and dates in the
formats the YAML names. GBK/GB18030 files are transcoded to UTF-8 in a temporary folder first (DuckDB cannot
read them without a network extension). Excel files (small by nature) go through pandas; SQL databases are
streamed in chunks through SQLAlchemy and Arrow; DuckDB database files are opened read-only by their own
connection and streamed through Arrow too. On Spark, Parquet files and folders, remote paths (s3a://,
hdfs://) and catalogue tables are read by Spark itself (``read_by_spark``).

Every failure is a DataError with one line per problem, naming the table, the file and the YAML key to change.
"""

from __future__ import annotations

import codecs
import datetime as dt
import glob
import hashlib
import os
import re
import shutil
import tempfile
import uuid
import weakref
from decimal import Decimal
from pathlib import Path

from ..errors import DataError
from ..formatting import short
from ..params import REMOTE_PATH, CampaignParams, TableSource
from ..quality import Problem
from .engines import DuckDBSql, is_spark

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")
DUCKDB_SUFFIXES = (".duckdb", ".ddb")
CHUNK_BYTES = 1 << 20  # encoding checks and transcoding stream the file in chunks of this size
CHUNK_ROWS = 50_000  # rows per fetch from an SQL database

_HIVE_PART = re.compile(r"[^=/\\]+=[^/\\]*")
_ABS_PATH = re.compile(r"(?<![\w.:/])(?:/[^\s'\"/]+)*/([^\s'\"/]+)")

_SQL = DuckDBSql()  # the sources are read by DuckDB: its quoting of names and literals


# --- where the data is --------------------------------------------------------------------------------


def resolve_files(name: str, src: TableSource, params: CampaignParams) -> list[Path]:
    """The files behind a file source (a file, a glob or a folder); raises DataError when none match.

    A folder means every Parquet file under it (hive-partitioned folders included), else its CSV/TSV/TXT
    files, else its Excel files.
    """
    patterns = [src.path] if isinstance(src.path, str) else list(src.path or [])
    found: list[Path] = []
    for pattern in patterns:
        resolved = params.resolve(pattern)
        if resolved.is_dir():
            matches = sorted(p for p in resolved.rglob("*") if p.suffix.lower() in PARQUET_SUFFIXES)
            for suffixes in (CSV_SUFFIXES, EXCEL_SUFFIXES):
                matches = matches or sorted(p for p in resolved.glob("*") if p.suffix.lower() in suffixes)
        else:
            matches = sorted(Path(p) for p in glob.glob(str(resolved), recursive=True))
        matches = [m for m in matches if m.is_file() and not m.name.startswith((".", "~$"))]
        if not matches:
            raise DataError(f"data.tables.{name}.path: no file matches {pattern!r}")
        found.extend(m for m in matches if m not in found)
    return found


def is_catalog(src: TableSource) -> bool:
    """Whether the source is a table (or query) of the Spark session's catalogue: no files, no database."""
    return not src.path and not src.url and src.format not in ("duckdb", "sql")


def remote_paths(src: TableSource) -> list[str]:
    """The source's paths on a cluster file system (s3a://, hdfs://, ...), which only Spark lists and reads."""
    patterns = [src.path] if isinstance(src.path, str) else list(src.path or [])
    return [p for p in patterns if re.match(REMOTE_PATH, p)]


def read_by_spark(name: str, src: TableSource, params: CampaignParams) -> bool:
    """Whether Spark reads the source itself: Parquet files and folders, remote paths, catalogue tables.

    The others (CSV, Excel, databases) are read and mapped here by DuckDB and shipped to Spark.
    """
    if is_catalog(src) or remote_paths(src):
        return True
    if is_database(src):
        return False
    return file_format(src, resolve_files(name, src, params)) == "parquet"


def is_database(src: TableSource) -> bool:
    """Whether the source is a database (an SQLAlchemy URL or a DuckDB database file) rather than files."""
    return src.format in ("duckdb", "sql") or bool(src.url)


def database_kind(src: TableSource) -> str:
    """``duckdb`` for a DuckDB database file (read natively), ``sql`` for an SQLAlchemy URL."""
    if src.format in ("duckdb", "sql"):
        return src.format
    url = src.url or ""
    if url.startswith("duckdb:") or "://" not in url:
        return "duckdb"
    return "sql"


def source_fingerprint(name: str, src: TableSource, params: CampaignParams) -> str:
    """Identity of a source's data for the mart cache.

    Files (and DuckDB database files with their write-ahead log): path, size and modification time.
    SQL databases: a value that changes on every call, because their data cannot be fingerprinted cheaply,
    so a campaign reading from a database server re-reads it on every run.
    """
    if is_database(src) and database_kind(src) == "sql":
        return "db-" + uuid.uuid4().hex[:12]
    if is_catalog(src) or remote_paths(src):  # a cluster's data: listing it here is not possible or cheap
        return "spark-" + uuid.uuid4().hex[:12]
    files = [_duckdb_file(name, src, params)] if is_database(src) else resolve_files(name, src, params)
    h = hashlib.sha256()
    for p in files:
        for q in (p, p.with_name(p.name + ".wal")) if is_database(src) else (p,):
            if q.is_file():
                st = q.stat()
                h.update(f"{q}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    for i, lk in enumerate(src.lookups):  # a lookup's data is this table's data too
        h.update(source_fingerprint(f"{name}_lookup{i}", lk, params).encode())
    return h.hexdigest()[:16]


def file_format(src: TableSource, paths: list[Path]) -> str:
    """The source's format, from the YAML or the files' extension (csv, tsv, excel, parquet or duckdb)."""
    if src.format != "auto":
        return src.format
    suffixes = {p.suffix.lower() for p in paths}
    if suffixes and suffixes <= {".tsv"}:
        return "tsv"
    if suffixes & set(CSV_SUFFIXES):
        return "csv"
    if suffixes & set(EXCEL_SUFFIXES) or ".xls" in suffixes:
        return "excel"
    if suffixes & set(DUCKDB_SUFFIXES):
        return "duckdb"
    return "parquet"


def _family(p: Path) -> str:
    suffix = p.suffix.lower()
    for family, suffixes in (
        ("csv", CSV_SUFFIXES),
        ("excel", (*EXCEL_SUFFIXES, ".xls")),
        ("duckdb", DUCKDB_SUFFIXES),
    ):
        if suffix in suffixes:
            return family
    return "parquet"


def read_source(con, name: str, src: TableSource, params: CampaignParams):
    """The source as an Ibis table with its own column names (read by the engine where it can)."""
    if is_spark(con):
        return _read_spark(con, name, src, params)
    if is_database(src):
        if database_kind(src) == "duckdb":
            _read_duckdb(con, name, src, params)
        else:
            _read_sql(con, name, src, params)
        return con.table(_raw_name(name))
    files = resolve_files(name, src, params)
    fmt = file_format(src, files)
    families = {_family(p) for p in files}
    if src.format == "auto" and len(families) > 1:
        raise DataError(
            _fail(
                name,
                f"files of different kinds ({', '.join(sorted(families))}) in one table",
                _shown(files[0], params),
                f"narrow data.tables.{name}.path to one kind, or set data.tables.{name}.format",
            )
        )
    if fmt == "duckdb":
        _read_duckdb(con, name, src.model_copy(update={"path": str(files[0])}), params)
        return con.table(_raw_name(name))
    empty = [_fail(name, "file is empty (0 bytes)", _shown(p, params), _fix_path(name)) for p in files if _empty(p)]
    if empty:
        raise DataError(empty)
    if fmt in ("csv", "tsv"):
        _read_csv(con, name, src, params, files, fmt)
    elif fmt == "excel":
        _read_excel(con, name, src, params, files)
    else:
        _read_parquet(con, name, params, files)
    return con.table(_raw_name(name))


# --- CSV / TSV ----------------------------------------------------------------------------------------


def _read_csv(con, name: str, src: TableSource, params: CampaignParams, files: list[Path], fmt: str) -> None:
    """A view over the CSV files with every column as text; GBK/GB18030 files are transcoded to UTF-8 first."""
    duck = con.con
    problems: list[str] = []
    readable: list[Path] = []
    workdir = None
    for i, p in enumerate(files):
        try:
            encoding = _csv_encoding(name, src, params, p)
            if encoding != "utf-8":
                if workdir is None:
                    workdir = _scratch_dir(con)
                out = workdir / f"{name}-{i}.csv"
                _transcode(name, params, p, encoding, out)
                p = out
            readable.append(p)
        except DataError as e:
            problems.extend(e.problems)
    if problems:
        raise DataError(problems)
    delim = src.delimiter or ("\t" if fmt == "tsv" else None)
    if delim is None:
        delim = _sniff_delimiter(duck, readable[0], src.skip_rows)
    if src.header:
        _check_header_line(name, src, params, files[0], readable[0], delim)
    header = "true" if src.header else "false"
    options = f"all_varchar=true, header={header}, skip={int(src.skip_rows)}, delim={_SQL.lit(delim)}"
    headers = {}
    for original, p in zip(files, readable, strict=True):
        if src.header and not _has_header(p, src.skip_rows):
            problems.append(
                _fail(
                    name,
                    f"no header row after skipping {src.skip_rows} rows",
                    _shown(original, params),
                    f"check data.tables.{name}.skip_rows",
                )
            )
            continue
        try:
            headers[original] = [
                r[0] for r in duck.execute(f"DESCRIBE SELECT * FROM read_csv({_SQL.lit(p)}, {options})").fetchall()
            ]
        except Exception as e:  # duckdb.Error: a file DuckDB cannot parse as CSV
            problems.append(_csv_problem(name, src, params, original, p, delim, e))
    if problems:
        raise DataError(problems)
    _check_same_headers(name, params, headers)
    file_list = "[" + ", ".join(_SQL.lit(p) for p in readable) + "]"
    select = "*"
    if not src.header:  # no header row: columns are named by position, "1" for the first
        first = next(iter(headers.values()))
        select = ", ".join(f"{_SQL.q(c)} AS {_SQL.q(str(i + 1))}" for i, c in enumerate(first))
    _create_view(duck, name, f"SELECT {select} FROM read_csv({file_list}, {options})", _shown(files[0], params))


def _csv_problem(name: str, src: TableSource, params: CampaignParams, original: Path, p: Path, delim: str, e) -> str:
    """One line for a CSV DuckDB cannot read: the first row with a wrong number of fields, else its words."""
    long_line = _over_long_line(p)
    if long_line:
        line, length = long_line
        return _fail(
            name,
            f"line {line} is {length:,} bytes long, more than a CSV row may have ({MAX_LINE_BYTES:,})",
            _shown(original, params),
            "check the export around that line: a quote left open joins the rows after it into one",
        )
    ragged = _ragged_row(p, src.skip_rows, delim) if src.header else None
    if ragged:
        line, found, expected = ragged
        return _fail(
            name,
            f"line {line} has {found} fields where the header has {expected}",
            _shown(original, params),
            (
                'quote values that contain the delimiter ("a, b"), or remove the extra fields'
                if found > expected
                else "write every field of the row (an empty value is nothing between two delimiters)"
            )
            + f"; check data.tables.{name}.delimiter",
        )
    line = re.search(r"Line: (\d+)", str(e))
    where = f" (line {line.group(1)})" if line else ""
    return _fail(
        name,
        f"cannot be read as CSV{where}: {_first_line(e)}",
        _shown(original, params),
        f"check data.tables.{name}.delimiter and that every row has as many fields as the header",
    )


MAX_LINE_BYTES = 2_097_152  # DuckDB's max_line_size


def _over_long_line(p: Path) -> tuple[int, int] | None:
    """The first line longer than a CSV row may be: (line number, its length in bytes)."""
    line = length = 0
    with open(p, "rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            start = 0
            while (end := chunk.find(b"\n", start)) >= 0:
                length += end - start
                if length > MAX_LINE_BYTES:
                    return line + 1, length
                line, length, start = line + 1, 0, end + 1
            length += len(chunk) - start
    return (line + 1, length) if length > MAX_LINE_BYTES else None


def _ragged_row(p: Path, skip_rows: int, delim: str) -> tuple[int, int, int] | None:
    """The first row whose field count differs from the header's: (line number, fields, header's fields)."""
    import csv

    csv.field_size_limit(1 << 30)
    with open(p, encoding="utf-8-sig", errors="replace", newline="") as f:
        for _ in range(skip_rows):
            f.readline()
        reader = csv.reader(f, delimiter=delim)
        header = next(reader, None)
        if not header:
            return None
        for row in reader:
            if row and len(row) != len(header):
                return skip_rows + reader.line_num, len(row), len(header)
    return None


def _csv_encoding(name: str, src: TableSource, params: CampaignParams, p: Path) -> str:
    """``utf-8`` (BOM or not: DuckDB strips it) or ``gb18030`` (a superset of GBK); raises on a wrong declaration."""
    declared = src.encoding
    if declared in ("gbk", "gb18030"):
        return "gb18030"
    bad = _utf8_error(p)
    if bad is None:
        return "utf-8"
    if declared == "auto":
        return "gb18030"  # checked strictly while transcoding
    offset, line, byte = bad
    raise DataError(
        _fail(
            name,
            f"not valid UTF-8 (byte 0x{byte:02x} on line {line}, offset {offset})",
            _shown(p, params),
            f"set data.tables.{name}.encoding: gbk (files saved by Excel or Chinese back ends usually are), "
            "or save the file as UTF-8",
        )
    )


def _utf8_error(p: Path) -> tuple[int, int, int] | None:
    """Where a file stops being valid UTF-8: (byte offset, line number, byte), or None when it is valid."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = lines = 0
    with open(p, "rb") as f:
        while True:
            chunk = f.read(CHUNK_BYTES)
            pending = len(decoder.getstate()[0])
            try:
                if not chunk:
                    decoder.decode(b"", final=True)
                    return None
                if not (pending == 0 and chunk.isascii()):
                    decoder.decode(chunk)
            except UnicodeDecodeError as e:
                at = e.start - pending
                return offset + at, lines + chunk.count(b"\n", 0, max(at, 0)) + 1, e.object[e.start]
            offset += len(chunk)
            lines += chunk.count(b"\n")


def _transcode(name: str, params: CampaignParams, p: Path, encoding: str, out: Path) -> None:
    """Stream ``p`` from ``encoding`` to UTF-8 into ``out``; raises DataError where the bytes do not decode."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = lines = 0
    with open(p, "rb") as f, open(out, "w", encoding="utf-8", newline="") as w:
        if f.read(3) == codecs.BOM_UTF8:  # a UTF-8 mark some tools put before any text, GBK text included
            offset = 3
        else:
            f.seek(0)
        while True:
            chunk = f.read(CHUNK_BYTES)
            pending = len(decoder.getstate()[0])
            try:
                w.write(decoder.decode(chunk, final=not chunk))
            except UnicodeDecodeError as e:
                at = max(e.start - pending, 0)
                line = lines + chunk.count(b"\n", 0, at) + 1
                raise DataError(
                    _fail(
                        name,
                        f"neither UTF-8 nor GBK/GB18030 text (line {line}, offset {offset + at})",
                        _shown(p, params),
                        f"save the file as UTF-8, or set data.tables.{name}.encoding to its encoding",
                    )
                ) from None
            if not chunk:
                return
            offset += len(chunk)
            lines += chunk.count(b"\n")


DELIMITERS = (",", ";", "\t", "|")


def _sniff_delimiter(duck, p: Path, skip_rows: int) -> str:
    """The delimiter of the first file: DuckDB's sniffer, unless the header line says otherwise.

    The sniffer reads a sample of rows; one ragged row (an unquoted comma in a value) can make it settle on
    a delimiter that leaves the header whole. The header line decides then: the mark that splits it most.
    """
    try:
        row = duck.execute(
            f"SELECT Delimiter FROM sniff_csv({_SQL.lit(p)}, header=true, skip={int(skip_rows)})"
        ).fetchone()
        found = row[0] if row and row[0] and len(row[0]) == 1 else ","
    except Exception:  # duckdb.Error: fall back to the common case, the read reports real problems
        found = ","
    fields = {d: len(_header_fields(p, skip_rows, d)) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: fields[d])
    return found if fields.get(found, 0) > 1 or fields[best] == 1 else best


def _header_fields(p: Path, skip_rows: int, delim: str) -> list[str]:
    """The header row's fields as the csv module splits them (quotes honoured); [] when there is none."""
    import csv

    with open(p, encoding="utf-8-sig", errors="replace", newline="") as f:
        for i, line in enumerate(f):
            if i >= skip_rows:
                if len(line) > CHUNK_BYTES:  # not a header: the read reports the file
                    return []
                return next(csv.reader([line.rstrip("\r\n")], delimiter=delim), [])
    return []


def _check_header_line(name: str, src: TableSource, params: CampaignParams, original: Path, p: Path, delim: str):
    """Refuse a header the delimiter does not split, and one that names a column twice."""
    fields = _header_fields(p, src.skip_rows, delim)
    if len(fields) == 1:
        others = [d for d in DELIMITERS if d != delim and len(_header_fields(p, src.skip_rows, d)) > 1]
        if others:
            shown_delim = {"\t": "tab"}.get(delim, delim)
            given = (
                f"data.tables.{name}.delimiter {shown_delim!r}" if src.delimiter else f"the delimiter {shown_delim!r}"
            )
            looks = {"\t": "tab"}.get(others[0], others[0])
            raise DataError(
                _fail(
                    name,
                    f"{given} does not split the header {short(fields[0], 60)!r}; it looks {looks!r}-separated",
                    _shown(original, params),
                    f"set data.tables.{name}.delimiter: {others[0]!r}"
                    if src.delimiter
                    else f"set data.tables.{name}.delimiter",
                )
            )
    _refuse_repeated_header(name, fields, _shown(original, params))


def _refuse_repeated_header(name: str, fields: list, shown: str) -> None:
    """A header naming a column twice (as the mapping matches names: case and blanks aside) is refused.

    Readers rename the second copy (``paid_amount_1``, ``paid_amount.1``) and the mapping would take the
    first without a word; which one the export meant cannot be told.
    """
    seen: dict[str, tuple[int, str]] = {}
    for i, field in enumerate(fields, start=1):
        key = str(field).strip(" \t\ufeff").lower() if field is not None else ""
        if key and key != "nan" and key in seen:
            first, spelled = seen[key]
            names = (
                f"{spelled!r} twice (columns {first} and {i})"
                if spelled == str(field)
                else f"{spelled!r} and {str(field)!r} (columns {first} and {i}), one column to the mapping"
            )
            raise DataError(
                _fail(
                    name,
                    f"the header names {names}: which one is meant cannot be told",
                    shown,
                    "rename or remove one of them in the file",
                )
            )
        seen.setdefault(key, (i, str(field)))


def _has_header(p: Path, skip_rows: int) -> bool:
    """Whether a (UTF-8) file has a non-blank line after its first ``skip_rows`` lines."""
    with open(p, encoding="utf-8", errors="replace") as f:
        for i, line in enumerate(f):
            if i >= skip_rows:
                return bool(line.strip().lstrip("\ufeff"))
    return False


def _check_same_headers(name: str, params: CampaignParams, headers: dict[Path, list[str]]) -> None:
    """Several files read as one table must share their header; raises naming the first pair that differs."""
    items = list(headers.items())
    first, cols = items[0]
    for other, theirs in items[1:]:
        if theirs != cols:
            only_first = [c for c in cols if c not in theirs]
            only_other = [c for c in theirs if c not in cols]
            detail = (
                f"{_shown(first, params)} has {only_first[:3]}, {_shown(other, params)} has {only_other[:3]}"
                if only_first or only_other
                else "the same columns in a different order"
            )
            raise DataError(
                _fail(
                    name,
                    f"files have different headers: {_shown(first, params)} and {_shown(other, params)} ({detail})",
                    "",
                    f"give each file the same header, or split them into separate sources in data.tables.{name}.path",
                )
            )


# --- Excel --------------------------------------------------------------------------------------------


def _read_excel(con, name: str, src: TableSource, params: CampaignParams, files: list[Path]) -> None:
    """A table from the Excel sheets: text columns as strings, real number and date cells kept typed."""
    import pandas as pd

    frames, headers, problems = [], {}, []
    for p in files:
        try:
            df = _excel_frame(name, src, params, p)
        except DataError as e:
            problems.extend(e.problems)
            continue
        frames.append(df)
        headers[p] = list(df.columns)
    if problems:
        raise DataError(problems)
    _check_same_headers(name, params, headers)
    df = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    _create_table_from_frame(con.con, name, df)


def _excel_frame(name: str, src: TableSource, params: CampaignParams, p: Path):
    """One sheet of one workbook, header after ``skip_rows``, cleaned for the engine."""
    import pandas as pd

    shown = _shown(p, params)
    if p.suffix.lower() == ".xls":
        raise DataError(_fail(name, "old .xls workbooks are not read", shown, "save it as .xlsx in Excel"))
    try:
        book = pd.ExcelFile(p, engine="openpyxl")
    except Exception as e:  # zipfile.BadZipFile, openpyxl InvalidFileException, ...
        raise DataError(_fail(name, f"not an Excel .xlsx workbook ({_first_line(e)})", shown, "")) from None
    with book:
        sheets = book.sheet_names
        sheet = src.sheet
        listed = ", ".join(repr(s) for s in sheets)
        if isinstance(sheet, int) and not 0 <= sheet < len(sheets):
            raise DataError(
                _fail(
                    name,
                    f"has no sheet number {sheet} (sheets, from 0: {listed})",
                    shown,
                    f"set data.tables.{name}.sheet",
                )
            )
        if isinstance(sheet, str) and sheet not in sheets:
            raise DataError(
                _fail(name, f"has no sheet {sheet!r} (sheets: {listed})", shown, f"set data.tables.{name}.sheet")
            )
        try:
            df = pd.read_excel(book, sheet_name=sheet, skiprows=src.skip_rows, header=0)
            first = pd.read_excel(book, sheet_name=sheet, skiprows=src.skip_rows, header=None, nrows=1)
        except Exception as e:  # an unreadable or empty sheet
            raise DataError(_fail(name, f"sheet {sheet!r} cannot be read ({_first_line(e)})", shown, "")) from None
    if len(first):
        _refuse_repeated_header(name, list(first.iloc[0]), shown)
    if len(df.columns) == 0:
        raise DataError(_fail(name, f"sheet {sheet!r} has no header row", shown, f"check data.tables.{name}.skip_rows"))
    return _excel_types(df)


def _excel_types(df):
    """Text columns as strings; number, date and boolean columns kept; whole-number floats as integers."""
    import pandas as pd

    out = {}
    for i, col in enumerate(df.columns):
        s = df.iloc[:, i]
        key = str(col)
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            out[key] = s
        elif pd.api.types.is_numeric_dtype(s):
            whole = s.dropna()
            out[key] = s.astype("Int64") if s.dtype.kind == "f" and len(whole) and (whole % 1 == 0).all() else s
        else:
            out[key] = s.map(_excel_text, na_action="ignore").astype(object).where(s.notna(), None)
    return pd.DataFrame(out)


def _excel_text(v) -> str:
    """A cell of a text column as a string (a whole-number cell as ``12``, not ``12.0``)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# --- Parquet ------------------------------------------------------------------------------------------


def _read_parquet(con, name: str, params: CampaignParams, files: list[Path]) -> None:
    """A view over the Parquet files; key=value folders (hive partitioning) become ordinary columns."""
    hive = any(_HIVE_PART.fullmatch(part) for p in files for part in p.parent.parts)
    file_list = "[" + ", ".join(_SQL.lit(p) for p in files) + "]"
    sql = f"SELECT * FROM read_parquet({file_list}, hive_partitioning={'true' if hive else 'false'})"
    _create_view(con.con, name, sql, _shown(files[0], params))


# --- read by Spark ------------------------------------------------------------------------------------


def _read_spark(con, name: str, src: TableSource, params: CampaignParams):
    """Parquet files, folders, remote paths or a catalogue table, read by Spark as the view ``raw_<name>``."""
    session = con._session
    if is_catalog(src):
        shown, key = (src.table, "table") if src.table else ("query", "query")
        fix = f"check data.tables.{name}.{key} (tables the Spark session's catalogue holds)"
    else:
        shown, key = "", "path"
        fix = f"check data.tables.{name}.path"
    try:
        if is_catalog(src):
            df = session.table(src.table) if src.table else session.sql(src.query)
        else:
            paths, options = _spark_paths(name, src, params)
            shown = paths[0] if remote_paths(src) else _shown(Path(paths[0].removeprefix("file://")), params)
            df = session.read.options(**options).parquet(*paths)
    except DataError:
        raise
    except Exception as e:  # pyspark AnalysisException: no such table or path, not Parquet; Py4JJavaError
        java = getattr(e, "java_exception", None)  # the Java error says more than "error calling o83.parquet"
        why = _first_line(java.toString() if java is not None else e)
        raise DataError(_fail(name, f"Spark cannot read it: {why}", shown, fix)) from None
    df.createOrReplaceTempView(_raw_name(name))
    return con.table(_raw_name(name))


def _spark_paths(name: str, src: TableSource, params: CampaignParams) -> tuple[list[str], dict]:
    """Paths for Spark's Parquet reader: remote ones as written, local files as DuckDB would read them.

    Files under key=value folders keep those as columns (hive partitioning), as with DuckDB.
    """
    if remote_paths(src):
        return [src.path] if isinstance(src.path, str) else list(src.path), {}
    files = resolve_files(name, src, params)
    options = {}
    for part in files[0].parent.parts:
        if _HIVE_PART.fullmatch(part):
            base = Path(*files[0].parts[: files[0].parts.index(part)])
            options["basePath"] = f"file://{base}"
            break
    return [f"file://{p}" for p in files], options


# --- DuckDB database files ----------------------------------------------------------------------------


def _duckdb_file(name: str, src: TableSource, params: CampaignParams) -> Path:
    """The DuckDB database file named by ``url`` (a path, or ``duckdb:///path``) or ``path``."""
    target = src.url or (src.path if isinstance(src.path, str) else (src.path or [""])[0])
    target = re.sub(r"^duckdb:(///?)?", "", target)
    return params.resolve(target)


def _read_duckdb(con, name: str, src: TableSource, params: CampaignParams) -> None:
    """Copy the table or the query's result from the database file, opened read-only, into a temporary table.

    The file is opened by its own connection, so the query's table names resolve in that database and not
    to tables staged in this one (which have the canonical names), and it is closed right after: no lock is
    held on it. Rows travel as a stream of Arrow batches.
    """
    import duckdb

    key = "url" if src.url else "path"
    file = _duckdb_file(name, src, params)
    shown = _shown(file, params)
    if not file.is_file():
        raise DataError(_fail(name, "DuckDB database file not found", shown, f"check data.tables.{name}.{key}"))
    if not src.table and not src.query:
        raise DataError(
            _fail(name, "a database file needs a table or a query", shown, f"set data.tables.{name}.table or .query")
        )
    try:
        source = duckdb.connect(str(file), read_only=True)
    except Exception as e:  # duckdb.Error: not a DuckDB file, locked by a writer, newer format
        raise DataError(
            _fail(
                name,
                f"cannot open the DuckDB database ({_first_line(e)})",
                shown,
                f"check data.tables.{name}.{key}; close any program writing to it",
            )
        ) from None
    what = "table" if src.table else "query"
    try:
        if src.table:
            parts = src.table.split(".")
            if not _duckdb_has_table(source, parts):
                raise DataError(
                    _fail(
                        name,
                        f"table {src.table!r} not found in the database (tables: {_duckdb_tables(source)})",
                        shown,
                        f"check data.tables.{name}.table",
                    )
                )
            sql = "SELECT * FROM " + ".".join(_SQL.q(x) for x in parts)
        else:
            sql = src.query
        batches = source.execute(sql).fetch_record_batch(CHUNK_ROWS)
        duck = con.con
        duck.register("_retro_batches", batches)
        try:
            duck.execute(f"CREATE OR REPLACE TEMP TABLE {_SQL.q(_raw_name(name))} AS SELECT * FROM _retro_batches")
        finally:
            duck.unregister("_retro_batches")
    except DataError:
        raise
    except Exception as e:  # duckdb.Error: the query is the user's
        raise DataError(
            _fail(
                name,
                f"the database rejected the {what}: {_first_line(e)}",
                shown,
                f"check data.tables.{name}.{what}",
            )
        ) from None
    finally:
        source.close()


def _duckdb_has_table(source, parts: list[str]) -> bool:
    schema, table = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[-1])
    sql = (
        "SELECT count(*) FROM (SELECT schema_name, table_name FROM duckdb_tables() UNION ALL "
        "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal) "
        "WHERE table_name = ? AND (? IS NULL OR schema_name = ?)"
    )
    return source.execute(sql, [table, schema, schema]).fetchone()[0] > 0


def _duckdb_tables(source) -> str:
    """Up to ten table names of a database, for a hint."""
    rows = source.execute(
        "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views() WHERE NOT internal "
        "ORDER BY 1 LIMIT 10"
    ).fetchall()
    return ", ".join(r[0] for r in rows) or "none"


# --- SQL databases through SQLAlchemy -----------------------------------------------------------------


def _read_sql(con, name: str, src: TableSource, params: CampaignParams) -> None:
    """Stream the table or query into a temporary DuckDB table, CHUNK_ROWS rows at a time, through Arrow."""
    import sqlalchemy as sa

    try:
        url = sa.engine.make_url(src.url)
    except Exception:  # sqlalchemy.exc.ArgumentError
        raise DataError(
            _fail(
                name,
                "url is not a database URL",
                "",
                f"write data.tables.{name}.url as dialect+driver://user@host:port/database",
            )
        ) from None
    password = None
    if src.password_env:
        password = os.environ.get(src.password_env)
        if not password:  # an empty variable is an unset one: connecting without a password is never meant
            raise DataError(
                _fail(
                    name,
                    f"environment variable ${src.password_env} is {'empty' if password == '' else 'not set'}",
                    "",
                    f"export {src.password_env} with the database password (named by data.tables.{name}.password_env)",
                )
            )
        url = url.set(password=password)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        file = params.resolve(url.database)
        if not file.is_file():  # SQLite would create an empty database there
            raise DataError(
                _fail(name, "SQLite database file not found", _shown(file, params), f"check data.tables.{name}.url")
            )
        url = url.set(database=str(file))
    kwargs = {"connect_args": {"connect_timeout": 15}} if url.get_backend_name() == "postgresql" else {}
    try:
        engine = sa.create_engine(url, **kwargs)
    except Exception as e:  # NoSuchModuleError, ImportError of a driver that is not installed
        raise DataError(
            _fail(
                name,
                f"no database driver for {url.drivername!r} ({_scrub(_first_line(e), password)})",
                "",
                f"check data.tables.{name}.url, or install the driver",
            )
        ) from None
    label = f"table {src.table!r}" if src.table else "the query"
    try:
        with engine.connect() as conn:
            if src.table:
                prep = engine.dialect.identifier_preparer
                sql = "SELECT * FROM " + ".".join(prep.quote(x) for x in src.table.split("."))
            else:
                sql = src.query
            result = conn.execution_options(stream_results=True, max_row_buffer=CHUNK_ROWS).execute(sa.text(sql))
            _stream_rows(con.con, name, label, result)
    except DataError:
        raise
    except sa.exc.DBAPIError as e:
        raise DataError(_sql_problem(name, src, url, e, password, engine)) from None
    except sa.exc.SQLAlchemyError as e:
        raise DataError(_fail(name, f"database error: {_scrub(_first_line(e), password)}", "", "")) from None
    finally:
        engine.dispose()


def _sql_problem(name: str, src: TableSource, url, e, password: str | None, engine) -> str:
    """One line for a database error: refused connection, refused login, missing table, or the driver's words."""
    text = _scrub(str(getattr(e, "orig", e) or e), password)
    low = text.lower()
    label = ""  # the line names the table or query itself
    user = url.username or ""
    where = f"{url.host or 'localhost'}" + (f":{url.port}" if url.port else "")
    if "password authentication failed" in low or "access denied" in low or "login failed" in low:
        fix = (
            f"check the password in ${src.password_env}" if src.password_env else f"set data.tables.{name}.password_env"
        )
        return _fail(name, f"the database refused the login for user {user!r}", label, fix)
    if "no password supplied" in low or "password is required" in low:
        return _fail(
            name,
            f"the database asks for a password for user {user!r}",
            label,
            f"name the environment variable holding it in data.tables.{name}.password_env",
        )
    if any(x in low for x in _UNREACHABLE):
        return _fail(
            name,
            f"cannot connect to the database at {where} (connection refused or timed out)",
            label,
            f"check that the server runs and data.tables.{name}.url",
        )
    if re.search(r'database "[^"]*" does not exist|unknown database', low):
        return _fail(
            name, f"database {url.database!r} does not exist on {where}", label, f"check data.tables.{name}.url"
        )
    if src.table and ("does not exist" in low or "no such table" in low or "doesn't exist" in low):
        return _fail(
            name,
            f"table {src.table!r} not found in the database{_sql_tables(engine, src.table)}",
            label,
            f"check data.tables.{name}.table",
        )
    key = "table" if src.table else "query"
    return _fail(
        name,
        f"the database rejected the {key}: {_first_line(text)}",
        label,
        f"check data.tables.{name}.{key}",
    )


_UNREACHABLE = (
    "connection refused",
    "could not connect",
    "can't connect",
    "timeout expired",
    "timed out",
    "could not translate host name",
    "name or service not known",
)


def _sql_tables(engine, table: str) -> str:
    """`` (tables: a, b, …)`` in the table's schema, or nothing when they cannot be listed."""
    import sqlalchemy as sa

    schema = table.split(".")[0] if "." in table else None
    try:
        names = sa.inspect(engine).get_table_names(schema=schema)
    except Exception:  # listing is only a hint
        return ""
    return f" (tables: {', '.join(sorted(names)[:10]) or 'none'})"


def _stream_rows(duck, name: str, label: str, result) -> None:
    """Insert the result's rows into the raw table chunk by chunk; column types fixed by the first chunk."""
    import pyarrow as pa

    keys = [str(k) for k in result.keys()]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise DataError(
            _fail(name, f"{label} has duplicate column names {dupes}", "", "give each column its own alias")
        )
    raw = _SQL.q(_raw_name(name))
    kinds: list[str] | None = None
    seen = 0
    while True:
        rows = result.fetchmany(CHUNK_ROWS)
        if kinds is None:
            columns = list(zip(*rows, strict=True)) if rows else [() for _ in keys]
            kinds = [_column_kind(col) for col in columns]
            schema = pa.schema([(k, _arrow_type(kind)) for k, kind in zip(keys, kinds, strict=True)])
            duck.register("_retro_chunk", schema.empty_table())
            duck.execute(f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT * FROM _retro_chunk")
            duck.unregister("_retro_chunk")
        if not rows:
            return
        columns = list(zip(*rows, strict=True))
        arrays = []
        for key, kind, col in zip(keys, kinds, columns, strict=True):
            try:
                arrays.append(pa.array([_convert(v, kind) for v in col], type=_arrow_type(kind)))
            except (TypeError, ValueError, pa.ArrowException) as e:
                raise DataError(
                    _fail(
                        name,
                        f"column {key!r} of {label} changes type after row {seen} "
                        f"(first {kind}, then {_first_line(e)})",
                        "",
                        f"read it with a query (data.tables.{name}.query) that casts it to one type",
                    )
                ) from None
        duck.register("_retro_chunk", pa.Table.from_arrays(arrays, names=keys))
        duck.execute(f"INSERT INTO {raw} SELECT * FROM _retro_chunk")
        duck.unregister("_retro_chunk")
        seen += len(rows)


def _arrow_type(kind: str):
    import pyarrow as pa

    return {
        "bool": pa.bool_(),
        "int": pa.int64(),
        "float": pa.float64(),
        "timestamp": pa.timestamp("us"),
        "timestamptz": pa.timestamp("us", tz="UTC"),
        "date": pa.date32(),
    }.get(kind, pa.string())


def _value_kind(v) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float | Decimal):
        return "float"
    if isinstance(v, dt.datetime):
        return "timestamptz" if v.tzinfo is not None else "timestamp"
    if isinstance(v, dt.date):
        return "date"
    return "string"


def _column_kind(values) -> str:
    """The column's type from its first chunk: one Python type, or int mixed with float; anything else is text."""
    kinds = {_value_kind(v) for v in values if v is not None}
    if kinds == {"int", "float"}:
        return "float"
    return kinds.pop() if len(kinds) == 1 else "string"


def _convert(v, kind: str):
    """A database value for an Arrow column of ``kind``; raises TypeError when it does not fit."""
    if v is None:
        return None
    if kind == "string":
        return v if isinstance(v, str) else str(v)
    got = _value_kind(v)
    if kind == "float" and got in ("int", "float"):
        return float(v)
    if kind == "int" and got == "float" and float(v).is_integer():
        return int(v)
    if got != kind:
        raise TypeError(f"{got} {short(v)!r}")
    return v


# --- shared helpers -----------------------------------------------------------------------------------


def _raw_name(name: str) -> str:
    return f"raw_{name}"


def _create_view(duck, name: str, select: str, shown: str) -> None:
    """``raw_<name>`` as a temporary view; DuckDB's binding errors (unreadable files) become one line."""
    try:
        duck.execute(f"CREATE OR REPLACE TEMP VIEW {_SQL.q(_raw_name(name))} AS {select}")
    except Exception as e:  # duckdb.Error
        raise DataError(_fail(name, f"cannot be read: {_first_line(e)}", shown, "")) from None


def _create_table_from_frame(duck, name: str, df) -> None:
    """``raw_<name>`` as a temporary table from a DataFrame; a column without any value is text, as in a CSV."""
    import pyarrow as pa

    table = pa.Table.from_pandas(df, preserve_index=False)
    for i, column in enumerate(table.columns):
        if column.null_count == len(column):
            table = table.set_column(i, table.field(i).name, pa.nulls(len(column), pa.string()))
    duck.register("_retro_frame", table)
    try:
        duck.execute(f"CREATE OR REPLACE TEMP TABLE {_SQL.q(_raw_name(name))} AS SELECT * FROM _retro_frame")
    finally:
        duck.unregister("_retro_frame")


def _scratch_dir(con) -> Path:
    """A temporary folder that lives as long as the connection (its views read files in it)."""
    d = Path(tempfile.mkdtemp(prefix="retro-transcoded-"))
    weakref.finalize(con, shutil.rmtree, d, True)
    return d


def _empty(p: Path) -> bool:
    return p.stat().st_size == 0


def _fail(name: str, what: str, source: str, fix: str) -> str:
    return Problem(name, None, what, fix=fix, source=source, code="source").line()


def _fix_path(name: str) -> str:
    return f"export the data again, or remove the file from data.tables.{name}.path"


def _shown(p: Path, params: CampaignParams) -> str:
    """A file as the user recognises it: relative to the YAML's folder, else its name (no home paths)."""
    if params.source is not None:
        try:
            return str(Path(p).resolve().relative_to(params.source.parent))
        except ValueError:
            pass
    return Path(p).name


def _first_line(e) -> str:
    """The first line of an error, with machine paths cut to their file names."""
    lines = [x.strip() for x in str(e).splitlines() if x.strip()]
    return short(_ABS_PATH.sub(r"\1", lines[0]), 160) if lines else type(e).__name__


def _scrub(text: str, secret: str | None) -> str:
    """The text without the password, should a driver ever echo it."""
    return text.replace(secret, "***") if secret else text
