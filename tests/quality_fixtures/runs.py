"""Helpers to run the suites on a fixture warehouse and pick outcomes out of the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dagster_project.quality.report import ExpectationOutcome, QualityReport
from dagster_project.quality.runner import run_suites
from tests.quality_fixtures.warehouse import AS_OF, QualityWarehouse


def run(
    warehouse: QualityWarehouse,
    *suites: str,
    project_root: Path | None = None,
    persist: bool = False,
    run_id: str | None = None,
    docs_dir: Path | None = None,
) -> QualityReport:
    """Run the named suites (all when none) on the fixture warehouse, as of its as-of date."""
    return run_suites(
        warehouse.con,
        AS_OF,
        suites=list(suites) or None,
        persist=persist,
        run_id=run_id,
        docs_dir=docs_dir,
        project_root=project_root or warehouse.path.parent,
    )


def failed_ids(report: QualityReport) -> set[str]:
    return {outcome.expectation_id for outcome in report.failures}


def failing_rows(outcome: ExpectationOutcome, *columns: str) -> list[tuple[Any, ...]]:
    """The failing rows of an outcome as tuples of the named columns."""
    return [tuple(row.get(column) for column in columns) for row in outcome.failing_sample]
