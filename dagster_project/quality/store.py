"""Quality results in the warehouse (`quality` schema), where the publish step reads them.

| table                        | one row per                              |
|------------------------------|------------------------------------------|
| quality.runs                 | run of the checks                        |
| quality.results              | run and expectation                      |
| quality.kpi_status           | run and catalog KPI                      |
| quality.source_status        | run and contract table                   |

The views quality.latest_results, quality.latest_kpi_status and quality.latest_source_status
hold the most recent complete run (every suite of the repository); quality.kpi_data_quality
(kpi_id, data_quality_status, message) is that run as the dbt model kpi_data_quality reads it.

Definition versions are not kept here: the dbt model kpi_definition_history is the one history,
and the check definitions.definition_change_recorded_as_break reads it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import duckdb

from dagster_project.quality.report import ExpectationOutcome, QualityReport

SCHEMA = "quality"

DDL = (
    f"create schema if not exists {SCHEMA}",
    f"""create table if not exists {SCHEMA}.runs (
        run_id varchar primary key,  -- the Dagster run id, or a uuid for a run from the command line
        run_at timestamptz not null,
        as_of date not null,
        suites varchar[] not null,
        is_complete boolean not null,  -- every suite of the repository ran
        status varchar not null,  -- ok | warning | error
        errors integer not null,  -- failed error-level expectations
        warnings integer not null,  -- failed warning-level expectations
        docs_index varchar  -- Great Expectations Data Docs of the run
    )""",
    f"""create table if not exists {SCHEMA}.results (
        run_id varchar not null,
        run_at timestamptz not null,
        as_of date not null,
        suite varchar not null,
        expectation_id varchar not null,
        severity varchar not null,  -- error | warning
        success boolean not null,
        observed varchar,
        failing_count bigint,  -- rows or groups of the summary that broke it
        checked_count bigint,
        failing_sample varchar,  -- JSON list of up to 20 failing rows or groups
        kpi_ids varchar[],  -- KPIs the failure reaches
        source_tables varchar[],  -- contract tables the failure names
        threshold varchar,
        description varchar,
        summary varchar,
        dagster_check varchar,
        expectation_type varchar,
        exception varchar,
        primary key (run_id, expectation_id)
    )""",
    f"""create table if not exists {SCHEMA}.kpi_status (
        run_id varchar not null,
        run_at timestamptz not null,
        kpi_id varchar not null,
        status varchar not null,  -- ok | warning | error: becomes data_quality_status when published
        failed_expectations varchar[] not null,
        primary key (run_id, kpi_id)
    )""",
    f"""create table if not exists {SCHEMA}.source_status (
        run_id varchar not null,
        run_at timestamptz not null,
        source_table varchar not null,
        status varchar not null,
        failed_expectations varchar[] not null,
        primary key (run_id, source_table)
    )""",
    f"""create or replace view {SCHEMA}.latest_complete_run as
        select * from {SCHEMA}.runs where is_complete order by run_at desc limit 1""",
    f"""create or replace view {SCHEMA}.latest_results as
        select results.* from {SCHEMA}.results as results
        semi join {SCHEMA}.latest_complete_run as latest on results.run_id = latest.run_id""",
    f"""create or replace view {SCHEMA}.latest_kpi_status as
        select kpi_status.* from {SCHEMA}.kpi_status as kpi_status
        semi join {SCHEMA}.latest_complete_run as latest on kpi_status.run_id = latest.run_id""",
    f"""create or replace view {SCHEMA}.latest_source_status as
        select source_status.* from {SCHEMA}.source_status as source_status
        semi join {SCHEMA}.latest_complete_run as latest on source_status.run_id = latest.run_id""",
    # What the dbt model kpi_data_quality reads (the source quality.kpi_data_quality): per KPI one
    # row per failed expectation that reaches it, or one 'ok' row.
    f"""create or replace view {SCHEMA}.kpi_data_quality as
        select kpi_id, status as data_quality_status, cast(null as varchar) as message
        from {SCHEMA}.latest_kpi_status
        where status = 'ok'
        union all
        select
            unnest(kpi_ids) as kpi_id,
            severity as data_quality_status,
            expectation_id || ': ' || observed as message
        from {SCHEMA}.latest_results
        where not success""",
)


def create_quality_tables(con: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        con.execute(statement)


def save_report(con: duckdb.DuckDBPyConnection, report: QualityReport, is_complete: bool) -> None:
    """Write the report, replacing what an earlier call of the same run wrote for the same suites."""
    create_quality_tables(con)
    con.execute("begin transaction")
    try:
        _save(con, report, is_complete)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _save(con: duckdb.DuckDBPyConnection, report: QualityReport, is_complete: bool) -> None:
    run_id, run_at = report.run_id, report.run_at
    con.execute(f"delete from {SCHEMA}.runs where run_id = ?", [run_id])
    con.execute(
        f"insert into {SCHEMA}.runs values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            run_at,
            report.as_of,
            list(report.suites),
            is_complete,
            report.status,
            len(report.errors),
            len(report.warnings),
            report.docs_index,
        ],
    )
    con.execute(
        f"delete from {SCHEMA}.results where run_id = ? and list_contains(?, expectation_id)",
        [run_id, [outcome.expectation_id for outcome in report.outcomes]],
    )
    if report.outcomes:
        con.executemany(
            f"insert into {SCHEMA}.results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_result_row(report, outcome) for outcome in report.outcomes],
        )
    for table, key, status, failed in (
        ("kpi_status", "kpi_id", report.kpi_status, report.failed_expectations_of_kpi),
        ("source_status", "source_table", report.source_status, report.failed_expectations_of_source),
    ):
        con.execute(f"delete from {SCHEMA}.{table} where run_id = ?", [run_id])
        rows = [(run_id, run_at, name, value, failed(name)) for name, value in sorted(status.items())]
        if rows:
            con.executemany(
                f"insert into {SCHEMA}.{table} (run_id, run_at, {key}, status, failed_expectations) "
                "values (?, ?, ?, ?, ?)",
                rows,
            )


def _result_row(report: QualityReport, outcome: ExpectationOutcome) -> list:
    return [
        report.run_id,
        report.run_at,
        report.as_of,
        outcome.suite,
        outcome.expectation_id,
        outcome.severity,
        outcome.success,
        outcome.observed,
        outcome.failing_count,
        outcome.checked_count,
        json.dumps(list(outcome.failing_sample), ensure_ascii=False, default=str),
        list(outcome.kpi_ids),
        list(outcome.source_tables),
        outcome.threshold,
        outcome.description,
        outcome.summary,
        outcome.dagster_check,
        outcome.expectation_type,
        outcome.exception,
    ]


def load_outcomes(
    con: duckdb.DuckDBPyConnection, run_id: str, suites: Iterable[str]
) -> dict[str, list[ExpectationOutcome]]:
    """Outcomes a run already stored, per suite (suites it did not store are absent)."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = 'results'",
        [SCHEMA],
    ).fetchone()[0]
    if not exists:
        return {}
    rows = con.execute(
        f"""select suite, expectation_id, severity, success, observed, failing_count, checked_count,
                failing_sample, kpi_ids, source_tables, description, threshold, summary, dagster_check,
                expectation_type, exception
            from {SCHEMA}.results where run_id = ? and list_contains(?, suite) order by expectation_id""",
        [run_id, list(suites)],
    ).fetchall()
    stored: dict[str, list[ExpectationOutcome]] = {}
    for row in rows:
        stored.setdefault(row[0], []).append(
            ExpectationOutcome(
                expectation_id=row[1],
                suite=row[0],
                severity=row[2],
                success=row[3],
                observed=row[4],
                failing_count=row[5] or 0,
                checked_count=row[6] or 0,
                failing_sample=tuple(json.loads(row[7] or "[]")),
                kpi_ids=tuple(row[8] or ()),
                source_tables=tuple(row[9] or ()),
                description=row[10] or "",
                threshold=row[11] or "",
                summary=row[12] or "",
                dagster_check=row[13] or "",
                expectation_type=row[14] or "",
                exception=row[15],
            )
        )
    return stored


def latest_kpi_status(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """kpi_id -> ok | warning | error of the latest complete run; empty before the first run."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = 'latest_kpi_status'",
        [SCHEMA],
    ).fetchone()[0]
    if not exists:
        return {}
    return dict(con.execute(f"select kpi_id, status from {SCHEMA}.latest_kpi_status").fetchall())
