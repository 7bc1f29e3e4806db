"""Warehouses for the publish tests: the real catalog plus hand-made or synthetic kpi_values rows.

`make_warehouse` builds a DuckDB file the way the pipeline leaves it (catalog.* tables, raw.*
tables, main.kpi_values) from rows written in the test; `synthetic` fills every catalog KPI with
two years of plausible monthly values (for the HTML page, the screenshot and the swap test).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from dagster_project.catalog import load_catalog, write_catalog_tables
from dagster_project.ingest.raw_schema import create_raw_tables

KPI_VALUES_COLUMNS = (
    ("kpi_id", "varchar"),
    ("grain", "varchar"),
    ("period_start", "date"),
    ("period_end", "date"),
    ("dimension_name", "varchar"),
    ("dimension_value", "varchar"),
    ("value", "double"),
    ("numerator", "double"),
    ("denominator", "double"),
    ("sample_size", "bigint"),
    ("is_complete_period", "boolean"),
    ("is_provisional", "boolean"),
    ("null_reason", "varchar"),
    ("people_count", "double"),
)


def period_end(grain: str, start: date) -> date:
    if grain == "day":
        return start
    if grain == "week":
        return start + timedelta(days=6)
    following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return following - timedelta(days=1)


def value_row(
    kpi_id: str,
    period_start: date,
    value: float | None,
    *,
    grain: str = "month",
    dimension: tuple[str, str] = ("total", "total"),
    numerator: float | None = None,
    denominator: float | None = None,
    sample_size: int | None = None,
    is_complete_period: bool = True,
    is_provisional: bool = False,
    null_reason: str | None = None,
    people_count: float | None = None,
) -> dict[str, Any]:
    """One kpi_values row; a count's numerator defaults to its value.

    `people_count` (HR privacy) defaults to null, which the publish step accepts on every row but
    a value of an HR KPI computed over people: give those one.
    """
    return {
        "kpi_id": kpi_id,
        "grain": grain,
        "period_start": period_start,
        "period_end": period_end(grain, period_start),
        "dimension_name": dimension[0],
        "dimension_value": dimension[1],
        "value": value,
        "numerator": numerator if numerator is not None or denominator is not None else value,
        "denominator": denominator,
        "sample_size": sample_size,
        "is_complete_period": is_complete_period,
        "is_provisional": is_provisional,
        "null_reason": null_reason,
        "people_count": people_count,
    }


def write_kpi_values(con: duckdb.DuckDBPyConnection, rows: Iterable[Mapping[str, Any]]) -> None:
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in KPI_VALUES_COLUMNS)
    con.execute(f"create or replace table main.kpi_values ({columns})")
    rows = list(rows)
    if not rows:
        return
    # Through Arrow: thousands of rows in one statement, not one insert each.
    names = [name for name, _ in KPI_VALUES_COLUMNS]
    arrow_types = {
        "varchar": pa.string(),
        "date": pa.date32(),
        "double": pa.float64(),
        "bigint": pa.int64(),
        "boolean": pa.bool_(),
    }
    table = pa.table(
        {
            name: pa.array([row.get(name) for row in rows], arrow_types[sql_type])
            for name, sql_type in KPI_VALUES_COLUMNS
        }
    )
    con.register("_fixture_rows", table)
    try:
        con.execute(f"insert into main.kpi_values select {', '.join(names)} from _fixture_rows")
    finally:
        con.unregister("_fixture_rows")


def make_warehouse(
    path: Path, rows: Iterable[Mapping[str, Any]], versions: Mapping[str, str] | None = None
) -> Path:
    """A warehouse file with the real catalog, empty raw tables and the given kpi_values rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        write_catalog_tables(con, load_catalog(), versions)
        create_raw_tables(con)
        write_kpi_values(con, rows)
    return path


def insert_raw(con: duckdb.DuckDBPyConnection, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """Rows into raw.<table>; `_file_id` and `_source_line` default to the row's position."""
    for index, row in enumerate(rows, 1):
        full = {"_file_id": 1, "_source_line": index + 1, **row}
        names = ", ".join(f'"{name}"' for name in full)
        con.execute(
            f"insert into raw.{table} ({names}) values ({', '.join('?' * len(full))})", list(full.values())
        )
