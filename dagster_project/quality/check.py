"""Run only the checks against the current warehouse, for a data engineer debugging a failure.

    python -m dagster_project.quality.check                       # every suite, KPI_WAREHOUSE_PATH, KPI_AS_OF
    python -m dagster_project.quality.check --suite kpi_definitions --warehouse data/warehouse/kpi.duckdb
    python -m dagster_project.quality.check --list                # every expectation, severity and threshold

Prints each failing expectation with its observed value and the rows or groups that broke it,
and where the Data Docs are. Exit code 1 when an error-level expectation fails, else 0. The
warehouse is opened read-only (a running pipeline keeps the writer lock) unless --record is
given, which stores the results in the `quality` schema like a pipeline run does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from dagster_project import settings
from dagster_project.quality.report import ExpectationOutcome, QualityReport
from dagster_project.quality.spec import load_suites

MAX_CELL = 48


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.quality.check", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--warehouse", type=Path, help="DuckDB file (default: KPI_WAREHOUSE_PATH)")
    parser.add_argument("--suite", action="append", help="run only this suite (repeatable)")
    parser.add_argument(
        "--as-of", type=date.fromisoformat, help="as-of date (default: KPI_AS_OF, else today)"
    )
    parser.add_argument(
        "--rows", type=int, default=10, help="failing rows shown per expectation (default 10)"
    )
    parser.add_argument("--record", action="store_true", help="store the results in the quality schema")
    parser.add_argument("--no-docs", action="store_true", help="do not build the Data Docs")
    parser.add_argument("--list", action="store_true", help="list the expectations and exit")
    args = parser.parse_args(argv)

    if args.list:
        print(format_suites(args.suite))
        return 0
    warehouse = args.warehouse or settings.warehouse_path()
    if not warehouse.is_file():
        print(f"No warehouse at {warehouse}", file=sys.stderr)
        return 2
    as_of = args.as_of or settings.as_of()
    from dagster_project.quality.runner import run_suites

    with duckdb.connect(str(warehouse), read_only=not args.record) as con:
        report = run_suites(
            con, as_of, suites=args.suite, persist=args.record, docs_dir=None if args.no_docs else True
        )
    print(format_report(report, warehouse, max_rows=args.rows))
    return 1 if report.has_errors else 0


def format_report(report: QualityReport, warehouse: Path | None = None, max_rows: int = 10) -> str:
    lines = [
        f"Quality checks on {warehouse or 'the warehouse'}, as of {report.as_of}, "
        f"suites: {', '.join(report.suites)}",
        "",
    ]
    for outcome in sorted(report.failures, key=lambda outcome: outcome.severity != "error"):
        lines += format_failure(outcome, max_rows) + [""]
    passed = len(report.outcomes) - len(report.failures)
    lines.append(
        f"{len(report.errors)} error(s), {len(report.warnings)} warning(s), {passed} passed "
        f"of {len(report.outcomes)} expectations."
    )
    reached = {kpi: status for kpi, status in sorted(report.kpi_status.items()) if status != "ok"}
    if reached:
        lines.append("KPIs affected: " + ", ".join(f"{kpi} ({status})" for kpi, status in reached.items()))
    if report.docs_index:
        lines.append(f"Data Docs: {report.docs_index}")
    return "\n".join(lines)


def format_failure(outcome: ExpectationOutcome, max_rows: int = 10) -> list[str]:
    lines = [
        f"{outcome.severity.upper()}  {outcome.expectation_id}  [{outcome.suite} / {outcome.summary}]",
        f"  {outcome.description}",
        f"  threshold: {outcome.threshold}",
        f"  observed:  {outcome.observed}",
    ]
    rows = list(outcome.failing_sample)[:max_rows]
    if rows:
        shown = f"{len(rows)} of {outcome.failing_count}"
        lines.append(f"  rows or groups that broke it ({shown}):")
        lines += ["    " + line for line in format_table(rows)]
    return lines


def format_table(rows: list[dict[str, Any]], max_cell: int = MAX_CELL) -> list[str]:
    """Rows as an aligned text table, long cells cut."""
    columns = list(dict.fromkeys(column for row in rows for column in row))
    cells = [[_cell(row.get(column), max_cell) for column in columns] for row in rows]
    widths = [max(len(column), *(len(row[i]) for row in cells)) for i, column in enumerate(columns)]
    header = "  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True))
    body = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in cells]
    return [header, *body]


def _cell(value: Any, max_cell: int = MAX_CELL) -> str:
    text = "null" if value is None else (f"{value:.6g}" if isinstance(value, float) else str(value))
    return text if len(text) <= max_cell else text[: max_cell - 1] + "…"


def format_suites(names: list[str] | None = None) -> str:
    """Every expectation with its severity and threshold: the suites as a reviewer reads them."""
    rows = [
        {
            "id": expectation.id,
            "severity": expectation.severity,
            "threshold": expectation.threshold,
            "runs on": expectation.summary,
            "Great Expectations type": expectation.expectation,
        }
        for suite in load_suites(names=names)
        for expectation in suite.expectations
    ]
    return "\n".join(format_table(rows, max_cell=72))


if __name__ == "__main__":
    sys.exit(main())
