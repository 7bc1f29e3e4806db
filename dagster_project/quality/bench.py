"""Time the validation alone, for `make bench`: every suite on an already built warehouse.

    from dagster_project.quality.bench import time_validation
    figures = time_validation(Path("data/bench/warehouse.duckdb"))

or `python -m dagster_project.quality.bench WAREHOUSE [AS_OF]`. The warehouse is opened read-only and
nothing is stored in it; the Data Docs go to data/bench/quality/. The figures include importing
Great Expectations (a pipeline run pays it once) and split the time into DuckDB summaries and
Great Expectations validation per summary, so a slow one shows.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

from dagster_project import settings
from dagster_project.ingest.raw_schema import LEDGER_TABLE

BENCH_QUALITY_DIR = settings.PROJECT_ROOT / "data" / "bench" / "quality"


def time_validation(
    warehouse_path: Path, as_of: date | None = None, docs_dir: Path | None = BENCH_QUALITY_DIR
) -> dict:
    """Run every suite on the warehouse and return how long it took and what it found."""
    started = time.monotonic()
    from dagster_project.quality.runner import run_suites

    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        raw_rows = _raw_rows(con)
        kpi_values_rows = _count(con, "main.kpi_values")
        report = run_suites(con, as_of or settings.as_of(), persist=False, docs_dir=docs_dir or None)
    seconds = time.monotonic() - started
    summaries = sum(value for key, value in report.seconds.items() if key.startswith("summary."))
    validation = sum(value for key, value in report.seconds.items() if key.startswith("validate."))
    return {
        "seconds": round(seconds, 2),
        "summaries_seconds": round(summaries, 2),
        "great_expectations_seconds": round(validation, 2),
        "great_expectations_import_seconds": round(report.seconds.get("great_expectations_setup", 0.0), 2),
        "data_docs_seconds": round(report.seconds.get("data_docs", 0.0), 2),
        "per_step_seconds": {key: round(value, 3) for key, value in report.seconds.items()},
        "raw_rows": raw_rows,
        "kpi_values_rows": kpi_values_rows,
        "expectations": len(report.outcomes),
        "errors": [outcome.expectation_id for outcome in report.errors],
        "warnings": [outcome.expectation_id for outcome in report.warnings],
    }


def _raw_rows(con: duckdb.DuckDBPyConnection) -> int | None:
    try:
        return int(con.execute(f"select sum(rows_loaded) from {LEDGER_TABLE}").fetchone()[0] or 0)
    except duckdb.Error:
        return None


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int | None:
    try:
        return con.execute(f"select count(*) from {relation}").fetchone()[0]
    except duckdb.Error:
        return None


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else settings.warehouse_path()
    as_of = date.fromisoformat(sys.argv[2]) if len(sys.argv) > 2 else None
    print(json.dumps(time_validation(path, as_of), indent=2))
