"""The daily run's new day, held out of the yardstick's landing folder.

A daily delivery holds what the source systems wrote that day: the rows created that day and the
rows updated that day (a ticket resolved, an employee leaving), next to older rows that stay
as they are. The yardstick's folder ends on its last day D; `hold_out_last_day` copies it with
each table's last day left out: the rows whose latest event date (the most recent of their dates
and timestamps that are events, as written, a date's first ten characters) is the table's latest
up to D (D for timestamps; the folder's date-only events such as absences end the day before).
Those rows become delivery files, one beside each file they came from, in its format and with
its header. The full run then reads the folder up to D - 1 and the daily run gets the
delivery, on the same keys, customers and machines as the history.

Dates are compared as written (an offset timestamp near midnight may count on the day of its
writing rather than its local day): the bench needs a realistic day, not the exact one. A file
that DuckDB cannot read as a table (not UTF-8, a broken quote) stays whole in the history, as
does every row whose dates do not parse. Every row read ends up in one of the two copies; the
counts are checked per file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.ingest.contract import TABLES, Table


@dataclass(frozen=True)
class HeldOut:
    rows_kept: int
    rows_held: int
    delivery_files: tuple[Path, ...]


def _format(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".csv.gz"):
        return "csv.gz"
    if name.endswith(".csv"):
        return "csv"
    return None


def _reader(path: Path, kind: str) -> str:
    quoted = str(path).replace("'", "''")
    if kind == "parquet":
        return f"read_parquet('{quoted}')"
    return f"read_csv('{quoted}', all_varchar = true, header = true)"


def _writer(kind: str) -> str:
    if kind == "parquet":
        return "format parquet"
    return "format csv, header true" + (", compression gzip" if kind == "csv.gz" else "")


def _latest_day(con: duckdb.DuckDBPyConnection, relation: str, table: Table) -> str:
    """SQL of a row's latest event day as written ('YYYY-MM-DD'), by the file's own header."""
    events = {column.name for column in table.columns if column.type in ("ts", "date") and column.is_event}
    names = [row[0] for row in con.execute(f"describe select * from {relation}").fetchall()]
    dated = [name for name in names if name.strip().lower() in events]
    if not dated:
        return "null"
    days = ", ".join(f'left(trim(cast("{name}" as varchar)), 10)' for name in dated)
    return f"greatest({days})" if len(dated) > 1 else days


def _table_files(source: Path, table: Table) -> list[Path]:
    folder = source / table.source / table.name
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else []


def _last_day(con: duckdb.DuckDBPyConnection, paths: list[Path], table: Table, up_to: date) -> str | None:
    """The latest event day of the table's rows, up to `up_to`."""
    days = []
    for path in paths:
        kind = _format(path)
        if kind is None:
            continue
        relation = _reader(path, kind)
        try:
            latest = _latest_day(con, relation, table)
            days.append(
                con.execute(f"select max({latest}) from {relation} where {latest} <= '{up_to}'").fetchone()[0]
            )
        except duckdb.Error:
            continue
    return max((day for day in days if day), default=None)


def hold_out_last_day(source: Path, history: Path, delivery_day: date) -> HeldOut:
    """Copy `source` to `history` without each table's last day up to `delivery_day`; return
    those rows as delivery files (put into `history`'s table folders by `land_delivery` when the
    daily run should see them). Files without such rows are hard links to the source."""
    con = duckdb.connect()
    kept = held = 0
    deliveries: list[Path] = []
    staged = delivery_folder(history)
    for table in TABLES:
        paths = _table_files(source, table)
        last_day = _last_day(con, paths, table, delivery_day)
        for path in paths:
            target = history / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            kind = _format(path)
            try:
                if kind is None:
                    raise duckdb.Error("not a table file")
                relation = _reader(path, kind)
                is_held = f"coalesce({_latest_day(con, relation, table)} = '{last_day}', false)"
                read, day_rows = con.execute(
                    f"select count(*), count(*) filter (where {is_held}) from {relation}"
                ).fetchone()
            except duckdb.Error:
                os.link(path, target)
                continue
            if not day_rows:
                os.link(path, target)
                kept += read
                continue
            quoted = str(target).replace("'", "''")
            con.execute(
                f"copy (select * from {relation} where not {is_held}) to '{quoted}' ({_writer(kind)})"
            )
            # The day's rows of this file, as one delivery file of the same format and header.
            stem, dot, suffix = path.name.partition(".")
            delivery = (
                staged / path.parent.relative_to(source) / f"{stem}__delivery_{delivery_day}{dot}{suffix}"
            )
            delivery.parent.mkdir(parents=True, exist_ok=True)
            quoted = str(delivery).replace("'", "''")
            con.execute(f"copy (select * from {relation} where {is_held}) to '{quoted}' ({_writer(kind)})")
            deliveries.append(delivery)
            written = con.execute(f"select count(*) from {_reader(target, kind)}").fetchone()[0]
            if written + day_rows != read:
                raise RuntimeError(f"{path}: {read} rows read, {written} kept and {day_rows} held out")
            kept += written
            held += day_rows
    con.close()
    return HeldOut(kept, held, tuple(deliveries))


def delivery_folder(history: Path) -> Path:
    """Where the delivery files wait, beside the history folder."""
    return history.parent / f"{history.name}.delivery"


def land_delivery(held_out: HeldOut, history: Path) -> int:
    """Put the delivery files into the history's table folders; returns how many."""
    staged = delivery_folder(history)
    for delivery in held_out.delivery_files:
        target = history / delivery.relative_to(staged)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(delivery, target)
    return len(held_out.delivery_files)
