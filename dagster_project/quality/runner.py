"""Run the suites against the warehouse: summaries in DuckDB, expectations in Great Expectations.

`run_suites(con, as_of)` computes each summary a suite needs once, validates it with Great
Expectations, turns every result into an ExpectationOutcome (observed value, failing rows or
groups, the KPIs and source tables they reach), derives a status per KPI and per source table,
stores all of it in the `quality` schema and builds the Data Docs under data/quality/.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.ingest.contract import TABLES
from dagster_project.quality import store
from dagster_project.quality.report import (
    FAILING_SAMPLE_SIZE,
    ExpectationOutcome,
    QualityReport,
    jsonable,
    kpis_reached,
    statuses,
)
from dagster_project.quality.spec import SUITES_DIR, ExpectationSpec, SuiteSpec, load_suites
from dagster_project.quality.summaries import (
    REPRESENTED_ROWS,
    SUMMARIES,
    SummaryContext,
    SummaryUnavailable,
    read_catalog,
)
from dagster_project.settings import PROJECT_ROOT

SOURCE_SUITES = ("freshness", "ingest_health")  # suites whose summaries are about source tables


def quality_dir() -> Path:
    """`KPI_QUALITY_DIR`, default data/quality: Data Docs and Great Expectations results."""
    path = Path(os.environ.get("KPI_QUALITY_DIR") or "data/quality")
    return path if path.is_absolute() else PROJECT_ROOT / path


def run_suites(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    suites: list[str] | None = None,
    run_id: str | None = None,
    persist: bool = True,
    reuse_stored: bool = False,
    docs_dir: Path | None | bool = True,
    suites_dir: Path = SUITES_DIR,
    project_root: Path = PROJECT_ROOT,
) -> QualityReport:
    """Run the named suites (all by default) on the warehouse of `con` for the as-of date.

    persist: store the report in the `quality` schema.
    reuse_stored: take the outcomes of suites this run_id already stored instead of running them
        again (the Dagster mart check reuses what the ingest checks of the same run found).
    docs_dir: where the Data Docs go (True: quality_dir(); None or False: no Data Docs).
    """
    started = time.monotonic()
    with _quiet(con):
        report = _run_suites(
            con, as_of, suites, run_id, persist, reuse_stored, docs_dir, suites_dir, project_root
        )
    report.seconds["total"] = time.monotonic() - started
    return report


@contextmanager
def _quiet(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """No DuckDB progress bar on stderr while the summaries run (restored afterwards)."""
    shown = con.execute("select current_setting('enable_progress_bar')").fetchone()[0]
    con.execute("set enable_progress_bar = false")
    try:
        yield
    finally:
        con.execute(f"set enable_progress_bar = {'true' if shown else 'false'}")


def _run_suites(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    suites: list[str] | None,
    run_id: str | None,
    persist: bool,
    reuse_stored: bool,
    docs_dir: Path | None | bool,
    suites_dir: Path,
    project_root: Path,
) -> QualityReport:
    run_id = run_id or f"cli-{uuid.uuid4()}"
    run_at = datetime.now(UTC)
    specs = load_suites(suites_dir, suites)
    all_suite_names = [suite.name for suite in load_suites(suites_dir)]
    catalog = read_catalog(con)
    kpi_sources = {row.kpi_id: list(row.sources) for row in catalog.itertuples(index=False)}
    context = SummaryContext(con=con, as_of=as_of, catalog=catalog, project_root=project_root)
    reused = store.load_outcomes(con, run_id, [suite.name for suite in specs]) if reuse_stored else {}
    to_run = [suite for suite in specs if suite.name not in reused]

    seconds: dict[str, float] = {}
    outcomes: list[ExpectationOutcome] = [
        outcome for suite in specs for outcome in reused.get(suite.name, [])
    ]
    session = None
    if to_run:
        tick = time.monotonic()
        from dagster_project.quality.gx_validation import GxSession

        target = quality_dir() if docs_dir is True else (docs_dir or None)
        session = GxSession(target)
        seconds["great_expectations_setup"] = time.monotonic() - tick
        for suite in to_run:
            outcomes += _run_suite(session, suite, context, kpi_sources, seconds, run_id, run_at)
    report = QualityReport(
        run_id=run_id,
        run_at=run_at,
        as_of=as_of,
        suites=tuple(suite.name for suite in specs),
        outcomes=sorted(outcomes, key=lambda outcome: _order(specs, outcome)),
    )
    report.kpi_status, report.source_status = statuses(
        report.outcomes, kpi_sources, [table.key for table in TABLES]
    )
    if session is not None:
        tick = time.monotonic()
        docs_index = session.build_docs()
        seconds["data_docs"] = time.monotonic() - tick
        report.docs_index = str(docs_index) if docs_index else None
    if persist:
        tick = time.monotonic()
        stored = _with_stored_suites(con, report, all_suite_names, kpi_sources)
        store.save_report(con, stored, is_complete=set(all_suite_names) <= set(stored.suites))
        seconds["persist"] = time.monotonic() - tick
    report.seconds = seconds
    return report


def _with_stored_suites(
    con: duckdb.DuckDBPyConnection,
    report: QualityReport,
    all_suite_names: list[str],
    kpi_sources: dict[str, list[str]],
) -> QualityReport:
    """The report joined with what the same run stored earlier for other suites.

    The Dagster checks of one run call run_suites more than once (ingest checks, then the
    kpi_values checks), in an order Dagster chooses: whichever stores last must not drop the
    others' suites from the run's statuses.
    """
    others = store.load_outcomes(
        con, report.run_id, [name for name in all_suite_names if name not in report.suites]
    )
    if not others:
        return report
    outcomes = report.outcomes + [outcome for suite in others.values() for outcome in suite]
    combined = QualityReport(
        run_id=report.run_id,
        run_at=report.run_at,
        as_of=report.as_of,
        suites=tuple(name for name in all_suite_names if name in report.suites or name in others),
        outcomes=outcomes,
        docs_index=report.docs_index,
    )
    combined.kpi_status, combined.source_status = statuses(
        outcomes, kpi_sources, [table.key for table in TABLES]
    )
    return combined


def _order(specs: list[SuiteSpec], outcome: ExpectationOutcome) -> int:
    ids = [expectation.id for suite in specs for expectation in suite.expectations]
    return ids.index(outcome.expectation_id) if outcome.expectation_id in ids else len(ids)


def _run_suite(
    session,
    suite: SuiteSpec,
    context: SummaryContext,
    kpi_sources: dict[str, list[str]],
    seconds: dict[str, float],
    run_id: str,
    run_at: datetime,
) -> list[ExpectationOutcome]:
    by_summary: dict[str, list[ExpectationSpec]] = defaultdict(list)
    for expectation in suite.expectations:
        by_summary[expectation.summary].append(expectation)
    outcomes = []
    for summary_name, specs in by_summary.items():
        summary = SUMMARIES.get(summary_name)
        tick = time.monotonic()
        try:
            if summary is None:
                raise SummaryUnavailable(
                    f"no summary named {summary_name!r} in dagster_project/quality/summaries.py"
                )
            frame = summary.compute(context, suite.summaries.get(summary_name, {}))
        except (SummaryUnavailable, duckdb.Error, ValueError) as error:
            message = f"{type(error).__name__}: {error}"
            outcomes += [_not_evaluated(spec, message, suite, kpi_sources) for spec in specs]
            continue
        finally:
            seconds[f"summary.{summary_name}"] = time.monotonic() - tick
        tick = time.monotonic()
        results = session.validate(suite.name, summary_name, frame, specs, run_id, run_at)
        seconds[f"validate.{summary_name}"] = time.monotonic() - tick
        for spec in specs:
            outcomes.append(_outcome(spec, results[spec.id], frame, summary.display_columns, kpi_sources))
    return outcomes


def _not_evaluated(
    spec: ExpectationSpec, message: str, suite: SuiteSpec, kpi_sources: dict[str, list[str]]
) -> ExpectationOutcome:
    """A summary that cannot be computed fails its expectations, reaching everything in scope."""
    return ExpectationOutcome(
        **_spec_fields(spec),
        success=False,
        observed=f"not evaluated: {message}",
        kpi_ids=tuple(sorted(kpi_sources)),
        source_tables=tuple(table.key for table in TABLES) if suite.name in SOURCE_SUITES else (),
        exception=message,
    )


def _spec_fields(spec: ExpectationSpec) -> dict:
    return {
        "expectation_id": spec.id,
        "suite": spec.suite,
        "severity": spec.severity,
        "description": spec.description,
        "threshold": str(spec.threshold),
        "summary": spec.summary,
        "dagster_check": spec.dagster_check,
        "expectation_type": spec.expectation,
    }


def checked_columns(spec: ExpectationSpec) -> list[str]:
    """The columns an expectation reads, from its kwargs."""
    columns = [spec.kwargs[key] for key in ("column", "column_A", "column_B") if key in spec.kwargs]
    return columns + list(spec.kwargs.get("column_list") or [])


def _outcome(
    spec: ExpectationSpec,
    gx_result,
    frame: pd.DataFrame,
    display_columns: tuple[str, ...],
    kpi_sources: dict[str, list[str]],
) -> ExpectationOutcome:
    result = gx_result.result
    checked_count = _rows_checked(spec, frame, int(result.get("element_count", len(frame)) or 0))
    if gx_result.exception:
        return ExpectationOutcome(
            **_spec_fields(spec),
            success=False,
            observed=f"not evaluated: {gx_result.exception}",
            checked_count=checked_count,
            kpi_ids=tuple(sorted(kpi_sources)) if not gx_result.success else (),
            exception=gx_result.exception,
        )
    failing = _failing_rows(frame, result.get("unexpected_index_list") or [])
    failing_count = int(result.get("unexpected_count") or len(failing))
    if gx_result.success:
        observed = _observed_value(result) or f"all {checked_count} rows pass"
        return ExpectationOutcome(
            **_spec_fields(spec), success=True, observed=observed, checked_count=checked_count
        )
    columns = [c for c in dict.fromkeys([*display_columns, *checked_columns(spec)]) if c in frame.columns]
    sample = tuple(
        {column: jsonable(value) for column, value in row.items()}
        for row in failing[columns].head(FAILING_SAMPLE_SIZE).to_dict(orient="records")
    )
    reach_columns = [c for c in ("kpi_id", "source_table") if c in failing.columns]
    kpis, sources = kpis_reached(
        failing[reach_columns].drop_duplicates().to_dict(orient="records"), kpi_sources
    )
    if failing.empty:  # an aggregate expectation: no rows to blame, so it reaches every KPI
        kpis = set(kpi_sources)
    observed = _observed_value(result) or f"{failing_count} of {checked_count} rows fail"
    return ExpectationOutcome(
        **_spec_fields(spec),
        success=False,
        observed=observed,
        failing_count=failing_count,
        checked_count=checked_count,
        failing_sample=sample,
        kpi_ids=tuple(sorted(kpis)),
        source_tables=tuple(sorted(sources)),
    )


def _rows_checked(spec: ExpectationSpec, frame: pd.DataFrame, element_count: int) -> int:
    """The rows an expectation checked: Great Expectations' count of frame rows, or, where a frame
    row stands for several rows of the relation (summaries.REPRESENTED_ROWS), their sum over the
    rows its row condition selects."""
    if REPRESENTED_ROWS not in frame.columns:
        return element_count
    selected = frame
    if spec.row_condition:
        column = frame[spec.row_condition["column"]]
        if "in" in spec.row_condition:
            selected = frame[column.isin(spec.row_condition["in"])]
        else:
            selected = frame[column == spec.row_condition["equals"]]
    return int(selected[REPRESENTED_ROWS].sum())


def _failing_rows(frame: pd.DataFrame, unexpected_index_list: list) -> pd.DataFrame:
    """The rows Great Expectations reported as unexpected (by frame index)."""
    indices = [
        index for index in unexpected_index_list if not isinstance(index, dict) and index in frame.index
    ]
    return frame.loc[list(dict.fromkeys(indices))]


def _observed_value(result: dict) -> str | None:
    if "observed_value" in result and result["observed_value"] is not None:
        return f"observed {jsonable(result['observed_value'])}"
    return None
