"""Load one contract table's landing files into the warehouse: clean rows, quarantine, ledger.

Per file: read the bytes once (content hash of the decompressed bytes, UTF-8
check, physical line count), skip content already ingested, check the header
against the contract, then read every record as text with its physical line and
parse and validate it in one DuckDB query into a temporary table. Valid rows go
to `raw.<source>__<table>`, the others to `quarantine.<source>__<table>` with
every rule they break, and the file's counts to the ledger: read = loaded +
quarantined. The files of a table are committed in batches (up to BATCH_BYTES),
each in one transaction holding only the inserts: a failure never leaves part
of a batch behind, and the next run reads its files again.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from dagster_project.ingest.contract import Column, Table
from dagster_project.ingest.raw_schema import LEDGER_TABLE, QUARANTINE_SCHEMA, RAW_SCHEMA
from dagster_project.ingest.sql_rules import MACROS, parse_expr, row_reasons, sql_literal

SUPPORTED_SUFFIXES = (".csv", ".csv.gz", ".parquet")
_CHUNK = 8 * 1024 * 1024
# Decompressed bytes of validated files held before their batch commits: bounds the memory of the
# temporary tables and the work a failure rolls back.
BATCH_BYTES = 256 * 1024 * 1024

Log = Callable[[str], None]


class FileRejected(Exception):
    """The whole file breaks the contract (encoding, header, format): nothing of it loads."""


class FileNotSettled(Exception):
    """The file changed or disappeared while it was read (still being written, replaced, moved):
    nothing of it is recorded, so the next run reads it again as it is then."""


@dataclass(frozen=True)
class FileResult:
    file_path: str
    status: str  # loaded | duplicate | rejected (in the ledger) | already_ingested | not_settled
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str | None = None


@dataclass(frozen=True)
class _Scan:
    """What one pass over a file's bytes tells."""

    content_hash: str
    size_bytes: int
    physical_lines: int
    utf8_error: str | None
    stored_bytes: int  # the file as found on disk (compressed or not) ...
    modified_ns: int  # ... and when it was last written: together they recognise it next time


def landing_files(table_dir: Path) -> list[Path]:
    """Files below a table folder in byte order of their relative path (the contract's load order)."""
    if not table_dir.is_dir():
        return []
    files = [p for p in table_dir.rglob("*") if p.is_file() and not p.name.startswith(".")]
    return sorted(files, key=lambda p: str(p.relative_to(table_dir)).encode())


def _open_decompressed(path: Path, decompress: bool = True) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if decompress and path.name.endswith(".gz") else path.open("rb")


def scan_file(path: Path, check_utf8: bool, decompress: bool = True) -> _Scan:
    """Hash the decompressed bytes, count physical lines, find the first invalid UTF-8 byte."""
    found = path.stat()  # before reading: a file changing meanwhile is read again next time
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = newlines = 0
    utf8_error = None
    last_byte = b""
    with _open_decompressed(path, decompress) as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            # ASCII is valid UTF-8: only a chunk with other bytes, or after a character cut at the
            # previous chunk's end, needs the decoder (most extracts are ASCII throughout).
            if check_utf8 and utf8_error is None and not (chunk.isascii() and not decoder.getstate()[0]):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    line = newlines + chunk.count(b"\n", 0, error.start) + 1
                    utf8_error = f"byte 0x{chunk[error.start]:02x} at line {line}"
            newlines += chunk.count(b"\n")
            size += len(chunk)
            last_byte = chunk[-1:]
    if check_utf8 and utf8_error is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_error = f"truncated character at the end (line {newlines + 1})"
    physical_lines = newlines + (1 if last_byte not in (b"", b"\n") else 0)
    return _Scan(digest.hexdigest(), size, physical_lines, utf8_error, found.st_size, found.st_mtime_ns)


def normalise(name: str) -> str:
    return name.replace("\ufeff", "").strip().lower()


def match_header(table: Table, header: list[str], file_label: str) -> tuple[dict[str, int], list[str]]:
    """Map contract columns to positions in the file; reject on a missing required column."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = normalise(name)
        if key in positions:
            raise FileRejected(f"{file_label}: column {key!r} appears twice in the header")
        positions[key] = index
    missing = [c.name for c in table.columns if not c.nullable and c.name not in positions]
    if missing:
        raise FileRejected(f"{file_label}: missing required column(s) {', '.join(missing)} for {table.key}")
    contract = {c.name for c in table.columns}
    extra = [normalise(name) for name in header if normalise(name) not in contract]
    return positions, extra


def _read_header(path: Path, file_label: str) -> list[str]:
    with _open_decompressed(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        try:
            return next(csv.reader(text))
        except StopIteration:
            raise FileRejected(f"{file_label}: the file is empty (no header row)") from None


def _csv_records_with_lines(path: Path) -> Iterator[tuple[int, list[str] | None, str, str | None]]:
    """Every record after the header: its start line (header = line 1), fields, original text, error.

    A record breaking the quoting rules has no fields but its error; the reader drops the
    rest of its line and goes on with the next line, so one bad record costs no others.
    """
    with _open_decompressed(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        consumed: list[str] = []  # the physical lines of the current record, as written

        def lines() -> Iterator[str]:
            for physical in text:
                consumed.append(physical)
                yield physical

        reader = csv.reader(lines(), strict=True)
        next(reader, None)
        line = reader.line_num + 1
        while True:
            consumed.clear()
            try:
                record, error = next(reader), None
            except StopIteration:
                return
            except csv.Error as csv_error:
                record, error = None, str(csv_error)
            original = "".join(consumed).removesuffix("\n").removesuffix("\r")
            if record != []:  # a blank line is not a record
                yield line, record, original, error
            line = reader.line_num + 1


@dataclass(frozen=True)
class _Outcome:
    """What became of one file before its batch commits: the result, and for a file that loads
    the temporary table of its validated rows and the SQL of their physical line."""

    result: FileResult
    path: Path
    scan: _Scan | None = None
    checked: str | None = None
    line_sql: str = "_line"


class TableLoader:
    """Loads the files of one contract table on an open warehouse connection."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        table: Table,
        landing_root: Path,
        as_of: date,
        batch_id: str,
        log: Log = print,
    ) -> None:
        self.con = con
        self.table = table
        self.landing_root = landing_root
        self.as_of = as_of
        self.batch_id = batch_id
        self.log = log
        self.current_file: Path | None = None
        # Content hash -> file of the open batch that loads it: a later copy is its duplicate.
        self._batch_hashes: dict[str, str] = {}
        self._files_seen = 0
        con.execute(MACROS)

    @property
    def table_dir(self) -> Path:
        return self.landing_root / self.table.source / self.table.name

    def load_new_files(self) -> list[FileResult]:
        """Every new file in load order; the files of one batch are committed in one transaction."""
        results: list[FileResult] = []
        batch: list[_Outcome] = []
        staged_bytes = 0
        try:
            for path in landing_files(self.table_dir):
                # Kept after an unexpected error, so the failure message can name the file.
                self.current_file = path
                outcome = self._prepare(path)
                batch.append(outcome)
                if outcome.checked:
                    staged_bytes += outcome.scan.size_bytes
                if staged_bytes >= BATCH_BYTES:
                    results += self._commit(batch)
                    batch, staged_bytes = [], 0
            results += self._commit(batch)
        except BaseException:
            self._drop_checked(batch)  # an unexpected error before the open batch's commit
            raise
        self.current_file = None
        return results

    def _unchanged_since_ingested(self, label: str, path: Path) -> bool:
        """The same path with the same size and modification time is already in the ledger.

        Reading and hashing every landed file on every run would cost seconds at scale; a file
        rewritten in place gets a new modification time, and then it is read and hashed again.
        """
        stat = path.stat()
        return bool(
            self.con.execute(
                f"select count(*) from {LEDGER_TABLE} where source_table = ? and file_path = ? "
                "and stored_bytes = ? and modified_ns = ?",
                [self.table.key, label, stat.st_size, stat.st_mtime_ns],
            ).fetchone()[0]
        )

    def _prepare(self, path: Path) -> _Outcome:
        """Decide what the file is and validate the rows of one that loads; nothing is written yet.

        Runs outside the batch's transaction: an error of DuckDB's reader here (a malformed file)
        would abort a transaction in DuckDB, so the transaction only holds the inserts.
        """
        label = path.relative_to(self.landing_root).as_posix()
        self._files_seen += 1
        checked = f"_checked_{self._files_seen}"
        outcome = None
        try:
            outcome = self._decide(path, label, checked)
        except (FileNotSettled, FileNotFoundError) as error:
            reason = error if isinstance(error, FileNotSettled) else "it disappeared before it was read"
            outcome = _Outcome(
                FileResult(label, "not_settled", message=f"not loaded, read again next run: {reason}"), path
            )
        finally:
            if outcome is None or outcome.checked is None:
                self.con.execute(f"drop table if exists {checked}")
        if outcome.checked:
            self._batch_hashes.setdefault(outcome.scan.content_hash, label)
        return outcome

    def _outside_landing(self, path: Path) -> Path | None:
        """Where a file that is a link to somewhere outside the landing folder points."""
        target = path.resolve()
        return None if target.is_relative_to(self.landing_root.resolve()) else target

    def _ensure_settled(self, path: Path, scan: _Scan) -> None:
        """The file is as it was when scanned: same size and modification time."""
        now = path.stat()
        if (now.st_size, now.st_mtime_ns) != (scan.stored_bytes, scan.modified_ns):
            raise FileNotSettled(
                f"it changed while it was read ({scan.stored_bytes:,} → {now.st_size:,} bytes; "
                "still being written?)"
            )

    def _decide(self, path: Path, label: str, checked: str) -> _Outcome:
        outside = self._outside_landing(path)
        if outside is not None:
            # Never read: its ledger row is keyed by where it points, not by its bytes.
            found = path.lstat()
            scan = _Scan(
                hashlib.sha256(f"link to {outside}".encode()).hexdigest(), 0, 0, None, 0, found.st_mtime_ns
            )
            if self.con.execute(
                f"select count(*) from {LEDGER_TABLE} where source_table = ? and file_path = ? and content_hash = ?",
                [self.table.key, label, scan.content_hash],
            ).fetchone()[0]:
                return _Outcome(FileResult(label, "already_ingested"), path)
            message = f"{label}: a link to {outside}, outside the landing folder: not read"
            return _Outcome(FileResult(label, "rejected", message=message), path, scan)
        if self._unchanged_since_ingested(label, path):
            return _Outcome(FileResult(label, "already_ingested"), path)
        is_parquet = path.name.endswith(".parquet")
        supported = path.name.endswith(SUPPORTED_SUFFIXES)
        unreadable = None
        try:
            scan = scan_file(path, check_utf8=supported and not is_parquet)
        except (gzip.BadGzipFile, EOFError, zlib.error) as error:
            # Not gzip, or a damaged one: there are no decompressed bytes to hash, so the ledger
            # keeps the hash of the file as stored (an unchanged file is not rejected twice).
            scan = scan_file(path, check_utf8=False, decompress=False)
            unreadable = f"{label}: not a valid gzip file ({type(error).__name__}: {error})"
        seen = self.con.execute(
            f"select file_path, status from {LEDGER_TABLE} where source_table = ? and content_hash = ? "
            "order by file_id",
            [self.table.key, scan.content_hash],
        ).fetchall()
        if any(file_path == label for file_path, _ in seen):
            # Remember how the file looks now (ledgers older than these columns, a touched file),
            # so the next run recognises it without reading it.
            self.con.execute(
                f"update {LEDGER_TABLE} set stored_bytes = ?, modified_ns = ? "
                "where source_table = ? and file_path = ? and content_hash = ?",
                [scan.stored_bytes, scan.modified_ns, self.table.key, label, scan.content_hash],
            )
            return _Outcome(FileResult(label, "already_ingested"), path)
        loaded_before = [file_path for file_path, status in seen if status == "loaded"]
        if scan.content_hash in self._batch_hashes:
            loaded_before.append(self._batch_hashes[scan.content_hash])
        if loaded_before and not unreadable:
            self._ensure_settled(path, scan)
            message = f"same content as {loaded_before[0]}: skipped"
            return _Outcome(FileResult(label, "duplicate", message=message), path, scan)
        try:
            if unreadable:
                raise FileRejected(unreadable)
            if not supported:
                raise FileRejected(f"{label}: unsupported file type (use .csv, .csv.gz or .parquet)")
            if scan.utf8_error:
                raise FileRejected(f"{label}: not valid UTF-8: first bad {scan.utf8_error}")
            extra, line_sql = (self._check_parquet if is_parquet else self._check_csv)(
                path, label, scan, checked
            )
        except FileRejected as rejection:
            return self._rejected(path, label, scan, str(rejection))
        # Read twice (hash, then rows): both reads saw the content scanned only if the file
        # did not change meanwhile. Otherwise nothing of it is kept.
        self._ensure_settled(path, scan)
        loaded, quarantined = self.con.execute(
            f"select count(*) filter (where _reason = ''), count(*) filter (where _reason <> '') from {checked}"
        ).fetchone()
        message = f"extra columns ignored: {', '.join(extra)}" if extra else None
        result = FileResult(label, "loaded", loaded + quarantined, loaded, quarantined, message)
        return _Outcome(result, path, scan, checked, line_sql)

    def _rejected(self, path: Path, label: str, scan: _Scan, message: str) -> _Outcome:
        self._ensure_settled(path, scan)  # a file that vanished or grew is no bad file
        return _Outcome(FileResult(label, "rejected", message=message), path, scan)

    # --- reading and validating: every record as text with its line, then one query ----------

    def _check_csv(self, path: Path, label: str, scan: _Scan, checked: str) -> tuple[list[str], str]:
        header = _read_header(path, label)
        positions, extra = match_header(self.table, header, label)
        names = [f"c{index}" for index in range(len(header))]
        columns_sql = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in names) + "}"
        reader = (
            f"read_csv({sql_literal(str(path))}, header = false, skip = 1, columns = {columns_sql}, "
            "delim = ',', quote = '\"', escape = '\"', auto_detect = false, strict_mode = true, "
            "null_padding = false)"
        )
        try:
            # DuckDB's reader gives no line numbers but keeps file order in a new table: when every
            # record is one physical line (the line count checks that), a row's line is its rowid
            # + 2 in the table of checked rows, and _line stays null.
            self._validate_into(checked, self._projection(positions, names, extra, reader, "null::bigint"))
            records = self.con.execute(f"select count(*) from {checked}").fetchone()[0]
            if records + 1 == scan.physical_lines:
                return extra, "rowid + 2"
        except duckdb.Error:
            pass
        self.con.execute(f"drop table if exists {checked}")
        self._check_csv_slowly(path, positions, names, extra, checked)
        return extra, "_line"

    def _check_csv_slowly(
        self, path: Path, positions: dict[str, int], names: list[str], extra: list[str], checked: str
    ) -> None:
        """Python's CSV reader: exact start lines for records spanning lines; malformed records kept."""
        lines, values, malformed = [], [[] for _ in names], []
        for line, record, original, error in _csv_records_with_lines(path):
            if record is None:
                malformed.append((line, original, f"malformed CSV record, breaks RFC 4180 quoting: {error}"))
                continue
            if len(record) != len(names):
                reason = f"malformed CSV record: {len(record)} fields where the header has {len(names)}"
                malformed.append((line, original, reason))
                continue
            lines.append(line)
            for column, value in zip(values, record, strict=True):
                column.append(value if value != "" else None)
        arrow = pa.table(
            {
                **{n: pa.array(v, pa.string()) for n, v in zip(names, values, strict=True)},
                "_line": pa.array(lines, pa.int64()),
            }
        )
        self.con.register("_stage_arrow", arrow)
        try:
            self._validate_into(checked, self._projection(positions, names, extra, "_stage_arrow", "_line"))
        finally:
            self.con.unregister("_stage_arrow")
        malformed_arrow = pa.table(
            {
                "_line": pa.array([m[0] for m in malformed], pa.int64()),
                "original": pa.array([m[1] for m in malformed], pa.string()),
                "reason": pa.array([m[2] for m in malformed], pa.string()),
            }
        )
        self.con.register("_malformed_arrow", malformed_arrow)
        try:
            self.con.execute(
                f"insert into {checked} (_line, _reason, _original) select _line, reason, "
                "to_json(struct_pack(record := original))::varchar from _malformed_arrow"
            )
        finally:
            self.con.unregister("_malformed_arrow")

    def _check_parquet(self, path: Path, label: str, scan: _Scan, checked: str) -> tuple[list[str], str]:
        source = f"read_parquet({sql_literal(str(path))}, file_row_number = true)"
        try:
            described = self.con.execute(f"describe select * from {source}").fetchall()
            header = [name for name, *_ in described if name != "file_row_number"]
            types = {name: sql_type for name, sql_type, *_ in described}
            positions, extra = match_header(self.table, header, label)
            contract = {c.name: c for c in self.table.columns}
            selects = []
            for index, name in enumerate(header):
                quoted = '"' + name.replace('"', '""') + '"'
                text = _parquet_text(quoted, types[name], contract.get(normalise(name)))
                selects.append(f"{text} as c{index}")
            names = [f"c{index}" for index in range(len(header))]
            text_source = f"(select {', '.join(selects)}, file_row_number + 1 as _line from {source})"
            self._validate_into(checked, self._projection(positions, names, extra, text_source, "_line"))
        except duckdb.Error as error:
            raise FileRejected(f"{label}: could not be read: {error}") from error
        return extra, "_line"

    def _projection(
        self, positions: dict[str, int], names: list[str], extra: list[str], source: str, line_sql: str
    ) -> str:
        """The file's text columns named by the contract (absent nullable columns are null)."""
        selects = [
            f'{names[positions[c.name]]} as "{c.name}"'
            if c.name in positions
            else f'null::varchar as "{c.name}"'
            for c in self.table.columns
        ]
        extra_sql = (
            "to_json(struct_pack("
            + ", ".join(f'"{name}" := {names[positions[name]]}' for name in extra)
            + "))::varchar"
            if extra
            else "null::varchar"
        )
        return (
            f"select {', '.join(selects)}, {extra_sql} as _extra_columns, {line_sql} as _line from {source}"
        )

    def _validate_into(self, checked: str, text_sql: str) -> None:
        """Parse and check every row in one query into a temporary table: the typed values, the
        rules broken ('' for none) and, for a bad row only, its original text."""
        typed = ", ".join(f'"{c.name}" := {parse_expr(c)}' for c in self.table.columns)
        original = (
            "to_json(struct_pack("
            + ", ".join(f'"{c.name}" := "{c.name}"' for c in self.table.columns)
            + "))::varchar"
        )
        self.con.execute(
            f"create or replace temp table {checked} as select typed, _extra_columns, _line, _reason, "
            f"case when _reason <> '' then {original} end as _original "
            f"from (select *, {row_reasons(self.table, self.as_of)} as _reason "
            f"from (select *, struct_pack({typed}) as typed from ({text_sql})))"
        )

    # --- the batch's transaction: ledger rows, clean rows, quarantine ------------------------

    def _commit(self, batch: list[_Outcome]) -> list[FileResult]:
        """Record the batch's files in one transaction: a failure leaves none of them behind."""
        recorded = [o for o in batch if o.result.status in ("loaded", "duplicate", "rejected")]
        try:
            if recorded:
                self.con.execute("begin transaction")
                try:
                    file_id = self.con.execute(
                        f"select coalesce(max(file_id), 0) + 1 from {LEDGER_TABLE}"
                    ).fetchone()[0]
                    for outcome in recorded:
                        self.current_file = outcome.path
                        self._insert(file_id, outcome)
                        file_id += 1
                    self.con.execute("commit")
                except BaseException:
                    self.con.execute("rollback")
                    raise
        finally:
            self._drop_checked(batch)
            self._batch_hashes.clear()
        for outcome in batch:
            self._log(outcome.result)
        return [o.result for o in batch]

    def _drop_checked(self, batch: list[_Outcome]) -> None:
        for outcome in batch:
            if outcome.checked:
                self.con.execute(f"drop table if exists {outcome.checked}")

    def _insert(self, file_id: int, outcome: _Outcome) -> None:
        result, scan = outcome.result, outcome.scan
        status = result.status
        counts = {
            "loaded": [result.rows_read, result.rows_loaded, result.rows_quarantined],
            "duplicate": [0, 0, 0],
        }.get(status, [None, None, None])
        self.con.execute(
            f"insert into {LEDGER_TABLE} (file_id, batch_id, source_table, file_path, content_hash, "
            "size_bytes, status, rows_read, rows_loaded, rows_quarantined, message, ingested_at, "
            "stored_bytes, modified_ns) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp, ?, ?)",
            [
                file_id,
                self.batch_id,
                self.table.key,
                result.file_path,
                scan.content_hash,
                scan.size_bytes,
                status,
                *counts,
                result.message,
                scan.stored_bytes,
                scan.modified_ns,
            ],
        )
        if outcome.checked is None:
            return
        lineage = (
            f"{sql_literal(result.file_path)}, {outcome.line_sql}, {file_id}, "
            f"{sql_literal(self.batch_id)}, current_timestamp"
        )
        typed_columns = ", ".join(f'typed."{c.name}"' for c in self.table.columns)
        self.con.execute(
            f"insert into {RAW_SCHEMA}.{self.table.raw_table} "
            f"select {typed_columns}, {lineage}, _extra_columns from {outcome.checked} where _reason = ''"
        )
        self.con.execute(
            f"insert into {QUARANTINE_SCHEMA}.{self.table.raw_table} "
            f"select {lineage}, _original, _reason from {outcome.checked} where _reason <> ''"
        )

    def _log(self, result: FileResult) -> None:
        if result.status == "not_settled":
            self.log(f"{self.table.key}: {result.file_path} {result.message}")
        elif result.status != "already_ingested":
            self.log(
                f"{self.table.key}: {result.file_path} {result.status}: read {result.rows_read:,}, "
                f"loaded {result.rows_loaded:,}, quarantined {result.rows_quarantined:,}"
                + (f" ({result.message})" if result.message else "")
            )


def _parquet_text(quoted: str, parquet_type: str, column: Column | None) -> str:
    """Text of a native Parquet value, such that it parses back to the contract type only when exact."""
    kind = column.type if column else "str"
    upper = parquet_type.upper()
    if upper == "VARCHAR":
        return quoted
    if kind == "int" and upper in ("FLOAT", "DOUBLE") or upper.startswith("DECIMAL") and kind == "int":
        # 37.0 converts exactly, 37.5 does not: keep the fraction so the integer rule rejects it.
        # try_cast: a whole number beyond bigint (or inf, nan) keeps its text and is a bad row.
        return (
            f"case when {quoted} = trunc({quoted}) then coalesce(cast(try_cast({quoted} as bigint) as varchar), "
            f"cast({quoted} as varchar)) else cast({quoted} as varchar) end"
        )
    if kind == "dec" and upper in ("FLOAT", "DOUBLE"):
        # A float widens exactly to a double; the double's shortest round-trip text (what a CSV
        # writer prints) then goes through the dec rule like CSV text: DECIMAL(38, 10) exactly or
        # a bad row. nan and inf stay as text and quarantine the row.
        return f"kpi_double_text(cast({quoted} as double))"
    if kind == "dec" and upper.startswith("DECIMAL"):
        # A decimal's own text is exact, so it becomes the same DECIMAL as that text in a CSV.
        return f"cast({quoted} as varchar)"
    if kind == "ts" and upper.startswith("TIMESTAMP WITH TIME ZONE"):
        return f"strftime({quoted} at time zone 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ')"
    if kind == "ts" and upper.startswith("TIMESTAMP"):
        return f"strftime({quoted}, '%Y-%m-%dT%H:%M:%S.%f')"
    if kind == "date" and upper.startswith("TIMESTAMP"):
        return f"case when {quoted} = date_trunc('day', {quoted}) then strftime({quoted}, '%Y-%m-%d') else cast({quoted} as varchar) end"
    return f"cast({quoted} as varchar)"
