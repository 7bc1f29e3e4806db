"""A hostile input corpus for the ingest, generated from the contract and a seed.

For every contract table: one file breaking every rule of every column alone (one row per broken
rule), one row breaking all of them together, and valid rows. For a few tables also: random byte
flips and truncations (CSV, .csv.gz, Parquet), a duplicated and a swapped column, huge fields, a
missing required column, an empty file, a header only, NUL bytes, invalid UTF-8, CRLF and a BOM,
an unterminated quote, damaged gzip and Parquet files. Each file is described by a `Planted`:
what was done to it and, where the structure is intact, how many data records it holds and which
column each broken row must be quarantined for (worked out here, from the contract, not by the
loader).

`python -m tests.hostile_corpus DIR` writes it; tests/test_hostile_input.py loads it.
"""

from __future__ import annotations

import gzip
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from dagster_project.ingest.contract import TABLES, Column, Table
from tests.ingest_helpers import VALID_ROWS, csv_text

# Tables that also get the structural damage (one per kind of column mix).
STRUCTURAL_TABLES = ("crm.order_lines", "hr.employees", "helpdesk.tickets", "marketing.campaigns")
_BAD_TYPE = {"int": "37.5", "dec": "12,50", "date": "2024-02-30", "ts": "2025-13-01 10:00", "bool": "maybe"}
_FUTURE = {"date": "2099-01-01", "ts": "2099-01-01 10:00:00"}


@dataclass(frozen=True)
class Planted:
    table_key: str
    path: Path
    what: str
    records: int | None = None  # data records written, when the file's structure is intact
    # Per data line (header = line 1): the column a quarantine reason must name.
    bad_lines: tuple[tuple[int, str], ...] = ()


def broken_values(column: Column) -> list[tuple[str, str]]:
    """(what, text) for every rule on this column, each broken alone."""
    broken = []
    if not column.nullable:
        broken.append(("required value missing", ""))
    if column.enum:
        broken.append(("not an allowed value", "nonsense"))
    elif column.type in _BAD_TYPE:
        broken.append((f"not {column.type}", _BAD_TYPE[column.type]))
    if column.check:
        broken.append(("out of range", "-1"))  # every range rule of the contract starts at 0 or 1
    if column.is_event and column.type in _FUTURE:
        broken.append(("in the future", _FUTURE[column.type]))
    return broken


def _valid(table: Table, count: int) -> list[dict[str, str]]:
    return [dict(VALID_ROWS[table.key]) for _ in range(count)]


def _rules_file(table: Table) -> tuple[list[dict[str, str]], list[tuple[int, str]]]:
    rows, bad = _valid(table, 3), []
    for column in table.columns:
        for _, text in broken_values(column):
            rows.append({**VALID_ROWS[table.key], column.name: text})
            bad.append((len(rows) + 1, column.name))
    everything = {c.name: (broken_values(c) or [("", "")])[0][1] for c in table.columns}
    rows.append(everything)
    first_broken = next(c.name for c in table.columns if broken_values(c))
    bad.append((len(rows) + 1, first_broken))
    return rows, bad


def _flip_bytes(data: bytes, rng: random.Random, flips: int) -> bytes:
    damaged = bytearray(data)
    for _ in range(flips):
        position = rng.randrange(len(damaged))
        damaged[position] = rng.randrange(256)
    return bytes(damaged)


def _parquet_bytes(rows: list[dict[str, str]]) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({name: [row[name] for row in rows] for name in rows[0]}), sink)
    return sink.getvalue().to_pybytes()


def write_corpus(landing: Path, seed: int = 11) -> list[Planted]:
    rng = random.Random(seed)
    planted: list[Planted] = []

    def plant(table: Table, name: str, data: bytes | str, what: str, records=None, bad=()) -> None:
        path = landing / table.source / table.name / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        planted.append(Planted(table.key, path, what, records, tuple(bad)))

    for table in TABLES:
        rows, bad = _rules_file(table)
        plant(table, "rules_alone_and_together.csv", csv_text(rows), "every rule broken", len(rows), bad)
        plant(
            table,
            "rules_alone_and_together.csv.gz",
            gzip.compress(csv_text(rows).encode(), mtime=0),
            "every rule broken, gzip",
            len(rows),
            bad,
        )
        plant(
            table,
            "rules_alone_and_together.parquet",
            _parquet_bytes(rows),
            "every rule broken, Parquet",
            len(rows),
            [(line - 1, column) for line, column in bad],  # Parquet rows count from 1, no header
        )

    for key in STRUCTURAL_TABLES:
        table = next(t for t in TABLES if t.key == key)
        header = list(VALID_ROWS[key])
        valid = _valid(table, 20)
        text = csv_text(valid)
        data = text.encode()
        for i in range(4):
            plant(table, f"flipped_{i}.csv", _flip_bytes(data, rng, rng.randint(1, 8)), "random byte flips")
            plant(table, f"truncated_{i}.csv", data[: rng.randrange(1, len(data))], "truncated")
        gz = gzip.compress(data, mtime=0)
        plant(table, "truncated.csv.gz", gz[: len(gz) // 2], "truncated gzip")
        plant(table, "flipped.csv.gz", _flip_bytes(gz, rng, 3), "gzip with flipped bytes")
        parquet = _parquet_bytes(valid)
        plant(table, "truncated.parquet", parquet[: len(parquet) // 2], "truncated Parquet")
        plant(table, "flipped.parquet", _flip_bytes(parquet, rng, 6), "Parquet with flipped bytes")
        plant(table, "magic_only.parquet", b"PAR1PAR1", "Parquet without content")
        plant(table, "duplicated_column.csv", csv_text(valid, [*header, header[0]]), "a column twice")
        swapped = [header[1], header[0], *header[2:]]
        plant(
            table,
            "swapped_columns.csv",
            csv_text(valid, header).replace(",".join(header), ",".join(swapped), 1),
            "two column names swapped",
            20,
        )
        huge = {**VALID_ROWS[key], header[0]: "x" * 3_000_000}
        plant(table, "huge_text_field.csv", csv_text([huge, *valid[:2]]), "a 3 MB field", 3)
        numeric = next((c for c in table.columns if c.type in ("int", "dec")), None)
        if numeric:
            long_number = {**VALID_ROWS[key], numeric.name: "9" * 100_000}
            plant(
                table,
                "huge_number.csv",
                csv_text([long_number, *valid[:2]]),
                "a 100,000-digit number",
                3,
                [(2, numeric.name)],
            )
        required = next(c.name for c in table.columns if not c.nullable)
        plant(
            table,
            "missing_required_column.csv",
            csv_text(valid, [h for h in header if h != required]),
            "a required column missing",
        )
        plant(table, "empty.csv", b"", "empty file")
        plant(table, "header_only.csv", ",".join(header) + "\n", "header only", 0)
        plant(table, "nul_bytes.csv", text.replace(valid[0][header[0]], "a\x00b", 1), "NUL bytes")
        plant(table, "invalid_utf8.csv", data.replace(b"\n", b"\n\xff\xfe", 1), "invalid UTF-8")
        plant(table, "crlf_bom.csv", "\ufeff" + text.replace("\n", "\r\n"), "CRLF and a BOM", 20)
        plant(table, "unterminated_quote.csv", text + '"' + ",".join(header), "an unterminated quote")
        plant(
            table,
            "extra_columns.csv",
            csv_text(
                [{**r, "x; drop table raw._file_ledger": "1"} for r in valid],
                [*header, "x; drop table raw._file_ledger"],
            ),
            "an extra column named like SQL",
            20,
        )
    return planted


if __name__ == "__main__":
    planted = write_corpus(Path(sys.argv[1]))
    print(f"{len(planted)} hostile files written below {sys.argv[1]}")
