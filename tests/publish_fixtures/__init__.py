"""Warehouses for the publish tests: the real catalog plus hand-made or synthetic kpi_values rows.

`make_warehouse` builds a DuckDB file the way the pipeline leaves it (catalog.* tables, raw.*
tables, main.kpi_values) from rows written in the test; `build_scorecard` runs the dbt models of
the published product (dbt_models/models/scorecard/) on it, as the pipeline does before the
export; `synthetic` fills every catalog KPI with two years of plausible monthly values (for the
HTML page, the screenshot and the swap test).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from dagster_project.catalog import load_catalog, write_catalog_tables
from dagster_project.ingest.raw_schema import create_raw_tables
from tests.dbt_fixtures.warehouse import DBT_PROJECT_DIR

# The scorecard models and what they read that a hand-made warehouse does not have built.
SCORECARD_BUILD = (
    "stg_catalog__kpis",
    "stg_catalog__kpi_targets",
    "stg_catalog__guardrail_pairs",
    "stg_catalog__special_checks",
    "stg_finance__budgets",
    "stg_helpdesk__tickets",
    "stg_helpdesk__csat_surveys",
    "int_tickets_resolved",
    "kpi_definition_history",
    "path:models/scorecard",
)

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
    ("as_of_date", "date"),
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


def write_kpi_values(
    con: duckdb.DuckDBPyConnection, rows: Iterable[Mapping[str, Any]], as_of: date | None = None
) -> None:
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
            name: pa.array(
                [as_of if name == "as_of_date" else row.get(name) for row in rows], arrow_types[sql_type]
            )
            for name, sql_type in KPI_VALUES_COLUMNS
        }
    )
    con.register("_fixture_rows", table)
    try:
        con.execute(f"insert into main.kpi_values select {', '.join(names)} from _fixture_rows")
    finally:
        con.unregister("_fixture_rows")


def make_warehouse(
    path: Path,
    rows: Iterable[Mapping[str, Any]],
    versions: Mapping[str, str] | None = None,
    as_of: date | None = None,
) -> Path:
    """A warehouse file with the real catalog, empty raw tables and the given kpi_values rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        write_catalog_tables(con, load_catalog(), versions)
        create_raw_tables(con)
        write_kpi_values(con, rows, as_of)
    return path


def insert_raw(con: duckdb.DuckDBPyConnection, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """Rows into raw.<table>; `_file_id` and `_source_line` default to the row's position."""
    for index, row in enumerate(rows, 1):
        full = {"_file_id": 1, "_source_line": index + 1, **row}
        names = ", ".join(f'"{name}"' for name in full)
        con.execute(
            f"insert into raw.{table} ({names}) values ({', '.join('?' * len(full))})", list(full.values())
        )


def write_data_quality(con: duckdb.DuckDBPyConnection, verdicts: Mapping[str, str | tuple[str, str]]) -> None:
    """quality.kpi_data_quality as the quality step leaves it: kpi_id → status or (status, message)."""
    con.execute("create schema if not exists quality")
    con.execute(
        "create or replace table quality.kpi_data_quality "
        "(kpi_id varchar, data_quality_status varchar, message varchar)"
    )
    for kpi_id, verdict in verdicts.items():
        status, message = verdict if isinstance(verdict, tuple) else (verdict, None)
        con.execute("insert into quality.kpi_data_quality values (?, ?, ?)", [kpi_id, status, message])


class ScorecardBuildError(RuntimeError):
    """dbt could not build (or test) the scorecard models; the message says which node failed."""


@cache
def _parsed_manifest():
    """The project parsed once per test session (a parse takes seconds; a build of the models one)."""
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(["parse", "--quiet", *_DBT_DIRS])
    if not result.success:
        raise ScorecardBuildError(f"dbt parse failed: {result.exception}")
    return result.result


_DBT_DIRS = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]


def build_scorecard(warehouse: Path, *, with_tests: bool = False) -> None:
    """Build the scorecard models on a warehouse as the pipeline does (and their tests, if asked).

    In process, on a manifest parsed once: the models read the as-of date from kpi_values and the
    warehouse path from the environment at run time, so one parse serves every warehouse.
    """
    from dbt.cli.main import dbtRunner

    command = ["build", "--exclude-resource-type", "unit_test", "--indirect-selection", "cautious"]
    if not with_tests:
        command = ["run"]
    work = warehouse.parent / "dbt"
    args = [
        *command,
        "--quiet",
        "--select",
        *SCORECARD_BUILD,
        *_DBT_DIRS,
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    previous = os.environ.get("KPI_WAREHOUSE_PATH")
    os.environ["KPI_WAREHOUSE_PATH"] = str(warehouse)
    try:
        result = dbtRunner(manifest=_parsed_manifest()).invoke(args)
    finally:
        _close_dbt_duckdb()
        if previous is None:
            os.environ.pop("KPI_WAREHOUSE_PATH", None)
        else:
            os.environ["KPI_WAREHOUSE_PATH"] = previous
    failed = [
        f"{node.node.name}: {node.message}"
        for node in (result.result or [])
        if str(node.status) in ("error", "fail")
    ]
    if not result.success:
        raise ScorecardBuildError("; ".join(failed) or str(result.exception))


def dbt_show(sql: str, work_dir: Path) -> list[tuple]:
    """The rows of a query that may call the project's macros, run by dbt on an empty warehouse."""
    from dbt.cli.main import dbtRunner

    previous = os.environ.get("KPI_WAREHOUSE_PATH")
    os.environ["KPI_WAREHOUSE_PATH"] = str(work_dir / "show.duckdb")
    try:
        result = dbtRunner(manifest=_parsed_manifest()).invoke(
            [
                "show",
                "--quiet",
                "--inline",
                sql,
                "--limit",
                "1000",
                *_DBT_DIRS,
                "--target-path",
                str(work_dir / "target"),
                "--log-path",
                str(work_dir / "logs"),
            ]
        )
    finally:
        _close_dbt_duckdb()
        if previous is None:
            os.environ.pop("KPI_WAREHOUSE_PATH", None)
        else:
            os.environ["KPI_WAREHOUSE_PATH"] = previous
    if not result.success:
        raise ScorecardBuildError(f"dbt show failed: {result.exception}")
    return [tuple(row) for row in result.result.results[0].agate_table.rows]


def _close_dbt_duckdb() -> None:
    """Close the DuckDB instance dbt-duckdb keeps open in the process after a command.

    Left open, it holds the warehouse's file lock, and a later `duckdb.connect` of the same path
    in this process is handed that same instance (DuckDB caches instances by path).
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def rebuild_and_publish(
    warehouse: Path,
    publish_dir: Path,
    *,
    as_of: date,
    versions: Mapping[str, str] | None = None,
    run_id: str | None = None,
):
    """A later run on the same warehouse: the catalog's versions and the as-of date of
    kpi_values set, the scorecard models rebuilt, published; the PublishResult."""
    from dagster_project.publish.publish import publish

    with duckdb.connect(str(warehouse)) as con:
        if versions is not None:
            write_catalog_tables(con, load_catalog(), versions)
        con.execute("update main.kpi_values set as_of_date = ?", [as_of])
    build_scorecard(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        return publish(con, publish_dir, run_id=run_id)


def publish_fixture(
    tmp_path: Path,
    rows: Iterable[Mapping[str, Any]],
    *,
    as_of: date,
    raw: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
    versions: Mapping[str, str] | None = None,
    data_quality: Mapping[str, str | tuple[str, str]] | None = None,
    publish_dir: Path | None = None,
    run_id: str | None = None,
    with_tests: bool = False,
):
    """A warehouse from the given rows, its scorecard models built, published; the PublishResult."""
    from dagster_project.publish.publish import publish

    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", rows, versions, as_of)
    with duckdb.connect(str(warehouse)) as con:
        for table, table_rows in (raw or {}).items():
            insert_raw(con, table, table_rows)
        if data_quality is not None:
            write_data_quality(con, data_quality)
    build_scorecard(warehouse, with_tests=with_tests)
    with duckdb.connect(str(warehouse)) as con:
        return publish(con, publish_dir or tmp_path / "published", run_id=run_id)
