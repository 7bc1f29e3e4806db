"""Write extract files the way the source systems deliver them, and keep the books.

CSV is assembled with Arrow string kernels (fields joined, quoted only where
RFC 4180 needs it) and written as one buffer, so a file costs a few vector
operations however many rows it has. Each source system has its own habits
(timestamp style, BOM, header case, column order, line ending); a few files
deviate, all within the data contract.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dagster_project.ingest.contract import TABLES_BY_KEY, Table
from tools.demo_data.badrows import BadRowInjector
from tools.demo_data.frame import Frame, n_rows, take, to_arrow, to_text
from tools.demo_data.rand import rng_for

MAX_ROWS_PER_FILE = 400_000
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class FileStyle:
    fmt: str = "csv"  # csv | csv.gz | parquet
    ts_style: str = "local_space"
    bool_style: str = "true_false"
    bom: bool = False
    crlf: bool = False
    upper_header: bool = False
    padded_header: bool = False
    column_order: tuple[str, ...] | None = None  # None = the contract's order
    extra_columns: tuple[tuple[str, str], ...] = ()  # (name, constant value)


@dataclass
class FileRecord:
    path: str  # below the landing root
    table: str
    rows: int
    bad_rows: int
    fmt: str


@dataclass
class TableBook:
    rows: int = 0
    files: int = 0
    bad_rows: dict[str, int] = field(default_factory=dict)  # kind -> rows
    orphans: dict[str, int] = field(default_factory=dict)  # column -> rows


def _needs_quotes(text: pa.Array) -> pa.Array:
    return pc.match_substring_regex(text, r'[",\r\n]')


def quote(text: pa.Array) -> pa.Array:
    """RFC 4180: enclose a field in quotes only when it holds a quote, comma or line break."""
    needs = _needs_quotes(text)
    if not pc.any(needs).as_py():
        return text
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, text)


def csv_bytes(header: list[str], columns: list[pa.Array], crlf: bool) -> bytes:
    newline = "\r\n" if crlf else "\n"
    head = ",".join(header) + newline
    if not columns or len(columns[0]) == 0:
        return head.encode()
    lines = pc.binary_join_element_wise(*columns, ",", null_handling="replace", null_replacement="")
    lines = pc.binary_join_element_wise(lines, "", newline)
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset : lines.offset + len(lines) + 1]
    body = lines.buffers()[2][int(offsets[0]) : int(offsets[-1])]
    return head.encode() + body.to_pybytes()


def render_csv(table: Table, frame: Frame, style: FileStyle, text_overrides) -> bytes:
    names = list(style.column_order or [c.name for c in table.columns])
    columns = []
    for name in names:
        column = table.column(name)
        text = to_text(frame[name], column.type, style.ts_style, style.bool_style)
        if name in text_overrides:
            rows, values = text_overrides[name]
            mask = np.zeros(len(text), dtype=bool)
            mask[rows] = True
            text = pc.replace_with_mask(text, pa.array(mask), pa.array(values, pa.string()))
        if column.type == "str" or name in text_overrides:
            text = quote(text)
        columns.append(text)
    rows = n_rows(frame)
    for _, value in style.extra_columns:
        columns.append(pa.array(np.full(rows, value, dtype=object), pa.string()))
    header = names + [name for name, _ in style.extra_columns]
    if style.upper_header:
        header = [h.upper() for h in header]
    if style.padded_header:
        header = [f" {h} " for h in header]
    data = csv_bytes(header, columns, style.crlf)
    return BOM + data if style.bom else data


def render_parquet(table: Table, frame: Frame) -> pa.Table:
    return pa.table({c.name: to_arrow(frame[c.name], c.type) for c in table.columns})


class Sink:
    """Writes every extract below the landing root, injecting bad rows and counting."""

    def __init__(self, landing: Path, seed: int, injector: BadRowInjector) -> None:
        self.landing = landing
        self.seed = seed
        self.injector = injector
        self.files: list[FileRecord] = []
        self.books: dict[str, TableBook] = {key: TableBook() for key in TABLES_BY_KEY}

    def table_dir(self, table_key: str) -> Path:
        table = TABLES_BY_KEY[table_key]
        return self.landing / table.source / table.name

    def emit(self, table_key: str, label: str, frame: Frame, style: FileStyle) -> None:
        """Write one extract (split into parts when large) named <table>_<label>[_pNN]."""
        rows = n_rows(frame)
        if rows == 0:
            return
        parts = max(1, -(-rows // MAX_ROWS_PER_FILE))
        bounds = np.linspace(0, rows, parts + 1).astype(np.int64)
        for part in range(parts):
            suffix = f"_p{part + 1:02d}" if parts > 1 else ""
            piece = frame if parts == 1 else take(frame, np.arange(bounds[part], bounds[part + 1]))
            self._write(table_key, f"{label}{suffix}", piece, style)

    def _write(self, table_key: str, label: str, frame: Frame, style: FileStyle) -> None:
        table = TABLES_BY_KEY[table_key]
        native = style.fmt == "parquet"
        rng = rng_for(self.seed, "bad", table_key, label)
        injection = self.injector.inject(table, frame, rng, native)
        path = self.table_dir(table_key) / f"{table.name}_{label}.{style.fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        if native:
            pq.write_table(render_parquet(table, injection.frame), path, compression="snappy")
        else:
            data = render_csv(table, injection.frame, style, injection.text)
            if style.fmt == "csv.gz":
                data = gzip.compress(data, compresslevel=1, mtime=0)
            path.write_bytes(data)
        book = self.books[table_key]
        rows = n_rows(frame)
        book.rows += rows
        book.files += 1
        for kind in injection.kinds:
            book.bad_rows[kind.kind] = book.bad_rows.get(kind.kind, 0) + 1
        relative = path.relative_to(self.landing).as_posix()
        self.files.append(FileRecord(relative, table_key, rows, len(injection.kinds), style.fmt))

    def count_orphans(self, table_key: str, column: str, count: int) -> None:
        book = self.books[table_key]
        book.orphans[column] = book.orphans.get(column, 0) + count
