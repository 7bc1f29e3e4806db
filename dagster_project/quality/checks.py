"""Dagster asset checks that run the Great Expectations suites of expectations/suites/.

Three groups, each running its suites once per Dagster run:

- on every ingest asset raw/<source>__<table>: freshness, quarantine rate, rejected files,
  ledger reconciliation and orphan foreign keys (suites freshness and ingest_health);
- on the mart kpi_values: one check per `dagster_check` name of the kpi_definitions suite, plus
  source_quality_gate, which fails when an error-level ingest or freshness expectation failed.
  A check holding an error-level expectation is blocking: when it fails with severity ERROR, the
  publish asset downstream does not run and the previously published files stay as they were;
- on the export published_kpis: the published files open and hold the rows of kpi_values.

The checks of kpi_values reuse the ingest results the ingest checks of the same run stored, and
store the complete report (quality.*), which the publish step reads as data_quality_status.
Great Expectations is imported inside the check functions only (it takes seconds).
"""

from collections.abc import Iterable
from typing import Any

import dagster as dg

from dagster_project import settings
from dagster_project.ingest.assets import raw_asset_key
from dagster_project.ingest.contract import TABLES, Table
from dagster_project.quality.spec import ExpectationSpec, load_suites
from dagster_project.warehouse import Warehouse

KPI_VALUES_KEY = dg.AssetKey(["kpi_values"])
PUBLISH_KEY = dg.AssetKey(["published_kpis"])
INGEST_SUITES = ("freshness", "ingest_health")
MART_SUITES = ("kpi_definitions",)
GATE_CHECK = "source_quality_gate"
SAMPLE_ROWS = 10
PUBLISHED_DATABASE = "kpis.duckdb"
PUBLISHED_PARQUET = "parquet/kpi_scorecard.parquet"
PUBLISHED_HTML = "scorecard.html"


def _expectations(suites: Iterable[str]) -> list[ExpectationSpec]:
    return [expectation for suite in load_suites(names=list(suites)) for expectation in suite.expectations]


def _check_names(expectations: list[ExpectationSpec]) -> dict[str, list[ExpectationSpec]]:
    names: dict[str, list[ExpectationSpec]] = {}
    for expectation in expectations:
        names.setdefault(expectation.dagster_check, []).append(expectation)
    return names


def _description(expectations: list[ExpectationSpec]) -> str:
    return "\n".join(
        f"- `{e.id}` ({e.severity}, threshold {e.threshold}): {e.description}" for e in expectations
    )


# ── Turning outcomes into check results ─────────────────────────────────────


def check_result(
    outcomes: list, expectation_ids: Iterable[str], source_table: str | None = None
) -> dict[str, Any]:
    """passed, severity and metadata of one check from the outcomes of its expectations.

    With `source_table`, a failure counts only when it names that table (or could not be
    evaluated at all), and the failing rows shown are that table's.
    """
    ids = set(expectation_ids)
    relevant = [outcome for outcome in outcomes if outcome.expectation_id in ids]
    failed = [
        outcome
        for outcome in relevant
        if not outcome.success
        and (source_table is None or outcome.exception or source_table in outcome.source_tables)
    ]
    is_error = any(outcome.severity == "error" for outcome in failed)
    metadata: dict[str, Any] = {
        outcome.expectation_id: dg.MetadataValue.text(
            f"{'ok' if outcome not in failed else outcome.severity}: {outcome.observed}"
        )
        for outcome in relevant
    }
    rows = [
        {"expectation": outcome.expectation_id, **row}
        for outcome in failed
        for row in outcome.failing_sample
        if source_table is None or row.get("source_table") in (None, source_table)
    ]
    if rows:
        metadata["failing_rows"] = dg.MetadataValue.md(_markdown_table(rows[:SAMPLE_ROWS]))
    return {
        "passed": not failed,
        "severity": dg.AssetCheckSeverity.ERROR if is_error else dg.AssetCheckSeverity.WARN,
        "metadata": metadata,
    }


def _markdown_table(rows: list[dict[str, Any]]) -> str:
    columns = list(dict.fromkeys(column for row in rows for column in row))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_md_cell(row.get(column)) for column in columns) + " |")
    return "\n".join(lines)


def _md_cell(value: Any) -> str:
    text = "" if value is None else (f"{value:.6g}" if isinstance(value, float) else str(value))
    return text.replace("|", "\\|").replace("\n", " ")[:80]


def _run(warehouse: Warehouse, run_id: str, suites: tuple[str, ...] | None, reuse_stored: bool):
    from dagster_project.quality.runner import run_suites

    with warehouse.connection() as con:
        return run_suites(
            con,
            settings.as_of(),
            suites=list(suites) if suites else None,
            run_id=run_id,
            reuse_stored=reuse_stored,
        )


def _log_report(context, report) -> None:
    context.log.info(
        f"Quality run {report.run_id}: {len(report.errors)} error(s), {len(report.warnings)} warning(s) "
        f"of {len(report.outcomes)} expectations in {report.seconds.get('total', 0):.1f} s; "
        f"Data Docs: {report.docs_index}"
    )
    for outcome in report.failures:
        log = context.log.error if outcome.severity == "error" else context.log.warning
        log(f"{outcome.expectation_id}: {outcome.observed}")


# ── Ingest assets ───────────────────────────────────────────────────────────

_INGEST_CHECKS = _check_names(_expectations(INGEST_SUITES))


def _applies(check_name: str, table: Table) -> bool:
    return check_name != "orphan_foreign_keys" or bool(table.foreign_keys)


_INGEST_SPECS = [
    dg.AssetCheckSpec(
        name=check_name,
        asset=raw_asset_key(table),
        description=_description(expectations),
        blocking=False,  # errors stop the publish step through source_quality_gate on kpi_values
    )
    for table in TABLES
    for check_name, expectations in _INGEST_CHECKS.items()
    if _applies(check_name, table)
]


@dg.multi_asset_check(
    specs=_INGEST_SPECS,
    name="ingest_quality_checks",
    description="Freshness and ingest health suites (expectations/suites/), run once for every ingest asset.",
)
def ingest_quality_checks(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
    report = _run(warehouse, context.run.run_id, INGEST_SUITES, reuse_stored=False)
    _log_report(context, report)
    tables = {raw_asset_key(table): table for table in TABLES}
    for spec in _INGEST_SPECS:
        table = tables[spec.asset_key]
        ids = [expectation.id for expectation in _INGEST_CHECKS[spec.name]]
        yield dg.AssetCheckResult(
            asset_key=spec.asset_key, check_name=spec.name, **check_result(report.outcomes, ids, table.key)
        )


# ── The mart kpi_values ─────────────────────────────────────────────────────

_MART_CHECKS = _check_names(_expectations(MART_SUITES))
_GATE_EXPECTATIONS = [e for e in _expectations(INGEST_SUITES) if e.is_error]

_MART_SPECS = [
    dg.AssetCheckSpec(
        name=check_name,
        asset=KPI_VALUES_KEY,
        description=_description(expectations),
        blocking=any(expectation.is_error for expectation in expectations),
    )
    for check_name, expectations in _MART_CHECKS.items()
] + [
    dg.AssetCheckSpec(
        name=GATE_CHECK,
        asset=KPI_VALUES_KEY,
        description="No error-level expectation of the freshness and ingest_health suites fails:\n"
        + _description(_GATE_EXPECTATIONS),
        blocking=True,
    )
]


@dg.multi_asset_check(
    specs=_MART_SPECS,
    name="kpi_values_quality_checks",
    description="Consistent-definition suite on kpi_values, and the gate on the source suites; "
    "error-level checks block the publish step.",
)
def kpi_values_quality_checks(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
    report = _run(warehouse, context.run.run_id, None, reuse_stored=True)
    _log_report(context, report)
    blocking_failures: dict[str, list[str]] = {}
    for spec in _MART_SPECS:
        if spec.name == GATE_CHECK:
            ids = [expectation.id for expectation in _GATE_EXPECTATIONS]
        else:
            ids = [expectation.id for expectation in _MART_CHECKS[spec.name]]
        result = check_result(report.outcomes, ids)
        if report.docs_index:
            result["metadata"]["data_docs"] = dg.MetadataValue.path(report.docs_index)
        if spec.blocking and not result["passed"] and result["severity"] == dg.AssetCheckSeverity.ERROR:
            blocking_failures[spec.name] = _failed_error_ids(report.outcomes, ids)
        yield dg.AssetCheckResult(asset_key=KPI_VALUES_KEY, check_name=spec.name, **result)
    if blocking_failures:
        context.log.error(blocked_publish_message(blocking_failures))


def _failed_error_ids(outcomes: list, expectation_ids: list[str]) -> list[str]:
    ids = set(expectation_ids)
    return [
        o.expectation_id
        for o in outcomes
        if o.expectation_id in ids and not o.success and o.severity == "error"
    ]


def blocked_publish_message(failures: dict[str, list[str]]) -> str:
    """Why the scorecard was not built and published: the failing checks, their expectations, and what to do."""
    checks = "; ".join(f"{name} ({', '.join(ids) or 'see check metadata'})" for name, ids in failures.items())
    return (
        f"The scorecard models and the publish are blocked: error-level check(s) on kpi_values failed: {checks}. "
        "The previously published files stay as they were. Run `make check` to print each failing "
        "expectation with its rows; fix the source file and land it again, or acknowledge a rejected "
        "file (`python -m dagster_project.quality.acknowledge`), then re-run the daily job."
    )


# ── The export published_kpis ─────────────────────────────────────────────


def published_outputs_findings(publish_dir, expected_rows: int | None) -> tuple[list[str], dict[str, Any]]:
    """Problems with the published files (empty when fine), and what was found."""
    import duckdb

    problems: list[str] = []
    found: dict[str, Any] = {}
    database = publish_dir / PUBLISHED_DATABASE
    parquet = publish_dir / PUBLISHED_PARQUET
    html = publish_dir / PUBLISHED_HTML
    try:
        with duckdb.connect(str(database), read_only=True) as reader:
            found["database_rows"] = reader.execute("select count(*) from kpi_scorecard").fetchone()[0]
            found["publish_info_rows"] = reader.execute("select scorecard_rows from publish_info").fetchone()[
                0
            ]
    except (duckdb.Error, TypeError) as error:
        problems.append(f"{database} cannot be read: {error}")
    try:
        with duckdb.connect() as reader:
            found["parquet_rows"] = reader.execute(
                "select count(*) from read_parquet(?)", [str(parquet)]
            ).fetchone()[0]
    except duckdb.Error as error:
        problems.append(f"{parquet} cannot be read: {error}")
    if not html.is_file() or html.stat().st_size == 0:
        problems.append(f"{html} is missing or empty")
    counts = {
        name: found[name] for name in ("database_rows", "publish_info_rows", "parquet_rows") if name in found
    }
    if expected_rows is not None:
        counts["kpi_values_rows"] = expected_rows
    if len(set(counts.values())) > 1:
        problems.append(
            "row counts differ: " + ", ".join(f"{name} {count}" for name, count in counts.items())
        )
    return problems, found


@dg.asset_check(
    asset=PUBLISH_KEY,
    name="published_outputs_readable_and_complete",
    description=f"{PUBLISHED_DATABASE}, {PUBLISHED_PARQUET} and {PUBLISHED_HTML} open, and hold as many "
    "rows as kpi_values in the warehouse.",
)
def published_outputs_check(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connection() as con:
        expected = con.execute("select count(*) from main.kpi_values").fetchone()[0]
    problems, found = published_outputs_findings(settings.publish_dir(), expected)
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={**found, "kpi_values_rows": expected, "problems": "\n".join(problems) or "none"},
    )


ingest_checks = [ingest_quality_checks]
mart_checks = [kpi_values_quality_checks]
publish_checks = [published_outputs_check]
quality_checks = [*ingest_checks, *mart_checks, *publish_checks]
