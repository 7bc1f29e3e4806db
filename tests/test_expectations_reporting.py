"""What a quality run reports: statuses per KPI and table, stored results, the CLI, Data Docs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_project.quality import acknowledge, check
from dagster_project.quality.report import ExpectationOutcome, kpis_reached, statuses
from dagster_project.quality.store import latest_kpi_status
from tests.quality_fixtures.runs import run
from tests.quality_fixtures.warehouse import AS_OF, QualityWarehouse, consistent_warehouse, kpi_value_rows


@pytest.fixture
def warehouse(tmp_path: Path) -> QualityWarehouse:
    warehouse = consistent_warehouse(tmp_path / "warehouse.duckdb")
    yield warehouse
    warehouse.con.close()


def _outcome(expectation_id: str, severity: str, kpi_ids=(), source_tables=()) -> ExpectationOutcome:
    return ExpectationOutcome(
        expectation_id=expectation_id,
        suite="example",
        severity=severity,
        success=False,
        observed="1 of 1 rows fail",
        kpi_ids=tuple(kpi_ids),
        source_tables=tuple(source_tables),
    )


def _break_ratio(warehouse: QualityWarehouse) -> None:
    rows = kpi_value_rows(warehouse.versions)
    row = next(r for r in rows if r["kpi_id"] == "hr.sick_absence_rate" and r["period_start"].month == 2)
    row.update(value=1.2, numerator=1332.0, denominator=1110.0)
    warehouse.write_kpi_values(rows)


# ── Statuses ─────────────────────────────────────────────────────────────────


def test_a_kpi_takes_the_worst_severity_among_the_failures_that_reach_it() -> None:
    kpi_status, source_status = statuses(
        [
            _outcome("a.warning", "warning", ["sales.revenue", "cs.nps"], ["crm.orders"]),
            _outcome("b.error", "error", ["sales.revenue"]),
        ],
        ["sales.revenue", "cs.nps", "hr.enps"],
        ["crm.orders", "hr.employees"],
    )
    assert kpi_status == {"sales.revenue": "error", "cs.nps": "warning", "hr.enps": "ok"}
    assert source_status == {"crm.orders": "warning", "hr.employees": "ok"}


def test_a_failing_source_table_reaches_every_kpi_that_reads_it() -> None:
    kpis, sources = kpis_reached(
        [{"source_table": "crm.orders"}, {"kpi_id": "cs.nps", "source_table": "helpdesk.nps_responses"}],
        {
            "sales.revenue": ["crm.orders"],
            "marketing.cac": ["crm.orders", "marketing.ad_spend"],
            "cs.nps": [],
            "hr.enps": [],
        },
    )
    # A row naming a KPI reaches that KPI only, even though it names a table too.
    assert kpis == {"sales.revenue", "marketing.cac", "cs.nps"}
    assert sources == {"crm.orders", "helpdesk.nps_responses"}


# ── Stored results ───────────────────────────────────────────────────────────


def test_results_are_stored_per_expectation_with_the_run(warehouse: QualityWarehouse) -> None:
    _break_ratio(warehouse)
    report = run(warehouse, persist=True, run_id="run-1")
    stored = warehouse.con.execute(
        "select count(*), count(*) filter (where not success) from quality.results where run_id = 'run-1'"
    ).fetchone()
    assert stored == (len(report.outcomes), 1)
    run_row = warehouse.con.execute(
        "select as_of, is_complete, status, errors, warnings from quality.runs"
    ).fetchone()
    assert run_row == (AS_OF, True, "error", 1, 0)
    failing = warehouse.con.execute(
        "select expectation_id, kpi_ids, failing_count from quality.latest_results where not success"
    ).fetchall()
    assert failing == [("definitions.values_within_their_range", ["hr.sick_absence_rate"], 1)]


def test_the_verdicts_the_scorecard_reads_are_those_of_the_latest_complete_run(
    warehouse: QualityWarehouse,
) -> None:
    run(warehouse, persist=True, run_id="run-1")
    _break_ratio(warehouse)
    run(warehouse, persist=True, run_id="run-2")
    # A later run of one suite only is not complete: the scorecard keeps reading run-2.
    run(warehouse, "freshness", persist=True, run_id="run-3")
    assert latest_kpi_status(warehouse.con)["hr.sick_absence_rate"] == "error"
    verdicts = warehouse.con.execute(
        "select kpi_id, data_quality_status, message from quality.kpi_data_quality "
        "where kpi_id in ('hr.sick_absence_rate', 'sales.revenue') order by all"
    ).fetchall()
    assert verdicts == [
        ("hr.sick_absence_rate", "error", "definitions.values_within_their_range: 1 of 27 rows fail"),
        ("sales.revenue", "ok", None),
    ]


def test_a_run_reuses_what_the_same_run_stored_for_a_suite(warehouse: QualityWarehouse) -> None:
    run(warehouse, "freshness", persist=True, run_id="dagster-run")
    # The ledger changes afterwards; a reusing run keeps the stored freshness results.
    warehouse.con.execute("update raw._file_ledger set ingested_at = '2025-01-01 00:00:00+01'")
    from dagster_project.quality.runner import run_suites

    reused = run_suites(
        warehouse.con,
        AS_OF,
        run_id="dagster-run",
        reuse_stored=True,
        persist=False,
        docs_dir=None,
        project_root=warehouse.path.parent,
    )
    assert reused.outcome("freshness.ingested_within_limit").success
    assert set(reused.suites) == {"freshness", "ingest_health", "kpi_definitions"}


def test_a_later_call_of_the_same_run_keeps_what_the_earlier_one_stored(warehouse: QualityWarehouse) -> None:
    # Dagster may run the kpi_values checks (every suite) before the ingest checks (two suites).
    _break_ratio(warehouse)
    run(warehouse, persist=True, run_id="dagster-run")
    run(warehouse, "freshness", "ingest_health", persist=True, run_id="dagster-run")
    suites, is_complete = warehouse.con.execute("select suites, is_complete from quality.runs").fetchone()
    assert (sorted(suites), is_complete) == (["freshness", "ingest_health", "kpi_definitions"], True)
    assert latest_kpi_status(warehouse.con)["hr.sick_absence_rate"] == "error"


# ── Command line ─────────────────────────────────────────────────────────────


def test_check_command_prints_failing_expectation_observed_value_and_rows_and_exits_1(
    warehouse: QualityWarehouse, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _break_ratio(warehouse)
    warehouse.con.close()
    monkeypatch.setenv("KPI_AS_OF", AS_OF.isoformat())
    code = check.main(["--warehouse", str(warehouse.path), "--suite", "kpi_definitions", "--no-docs"])
    out = capsys.readouterr().out
    assert code == 1
    assert "ERROR  definitions.values_within_their_range" in out
    assert "observed:  1 of 27 rows fail" in out
    row_line = next(
        line for line in out.splitlines() if "hr.sick_absence_rate" in line and "2025-02-01" in line
    )
    assert "1.2" in row_line.split()
    assert "1 error(s), 0 warning(s)" in out
    assert "KPIs affected: hr.sick_absence_rate (error)" in out


def test_check_command_exits_0_when_only_warnings_fail(
    warehouse: QualityWarehouse, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse.con.execute("update raw.crm__orders set ordered_at = '2025-03-08 12:00:00+01'")
    warehouse.con.close()
    monkeypatch.setenv("KPI_AS_OF", AS_OF.isoformat())
    code = check.main(["--warehouse", str(warehouse.path), "--suite", "freshness", "--no-docs"])
    out = capsys.readouterr().out
    assert code == 0
    assert "WARNING  freshness.events_within_limit" in out


def test_check_command_does_not_write_to_the_warehouse_unless_asked(
    warehouse: QualityWarehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse.con.close()
    monkeypatch.setenv("KPI_AS_OF", AS_OF.isoformat())
    check.main(["--warehouse", str(warehouse.path), "--suite", "freshness", "--no-docs"])
    with duckdb.connect(str(warehouse.path), read_only=True) as con:
        schemas = {
            row[0] for row in con.execute("select schema_name from information_schema.schemata").fetchall()
        }
    assert "quality" not in schemas


def test_acknowledge_command_appends_an_entry_that_resolves_the_rejection(
    warehouse: QualityWarehouse, tmp_path: Path
) -> None:
    warehouse.rejected_file(
        "crm.orders", "orders_bad.csv", "abc123", "crm/orders/orders_bad.csv: not valid UTF-8"
    )
    assert (
        not run(warehouse, "ingest_health", project_root=tmp_path)
        .outcome("ingest.rejected_files_resolved")
        .success
    )
    warehouse.con.close()
    acknowledgements = tmp_path / "expectations" / "acknowledged_rejections.yml"
    acknowledgements.parent.mkdir()
    acknowledgements.write_text(
        acknowledge.ACKNOWLEDGEMENTS_PATH.read_text(encoding="utf-8"), encoding="utf-8"
    )
    code = acknowledge.main(
        [
            "crm/orders/orders_bad.csv",
            "--by",
            "Jane Doe",
            "--reason",
            "Same orders delivered again the next day",
            "--warehouse",
            str(warehouse.path),
            "--file",
            str(acknowledgements),
        ]
    )
    assert code == 0
    text = acknowledgements.read_text(encoding="utf-8")
    assert text.startswith("# Rejected files that are dealt with")  # the comments are kept
    [entry] = yaml.safe_load(text)["acknowledged"]
    assert (entry["file_path"], entry["content_hash"], entry["acknowledged_by"]) == (
        "crm/orders/orders_bad.csv",
        "abc123",
        "Jane Doe",
    )
    warehouse.con = duckdb.connect(str(warehouse.path))
    assert (
        run(warehouse, "ingest_health", project_root=tmp_path)
        .outcome("ingest.rejected_files_resolved")
        .success
    )


def test_acknowledging_the_same_file_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "acknowledged.yml"
    entry = acknowledge.acknowledgement(
        {
            "source_table": "crm.orders",
            "file_path": "crm/orders/a.csv",
            "content_hash": "abc",
            "message": "bad",
        },
        "Jane",
        "why",
        AS_OF,
    )
    acknowledge.append_acknowledgement(path, entry)
    with pytest.raises(acknowledge.AcknowledgeError, match="already acknowledged"):
        acknowledge.append_acknowledgement(path, entry)


# ── Data Docs ────────────────────────────────────────────────────────────────


def test_data_docs_are_built_as_html_under_the_quality_folder(
    warehouse: QualityWarehouse, tmp_path: Path
) -> None:
    _break_ratio(warehouse)
    report = run(warehouse, "kpi_definitions", docs_dir=tmp_path / "quality", run_id="docs-run")
    index = tmp_path / "quality" / "docs" / "index.html"
    assert report.docs_index == str(index)
    assert index.is_file()
    pages = list((tmp_path / "quality" / "docs" / "validations").rglob("*.html"))
    assert any("docs-run" in str(page) for page in pages)
    assert "is_within_range" in "".join(page.read_text(encoding="utf-8") for page in pages)


def test_data_docs_keep_only_the_newest_runs_of_each_suite(tmp_path: Path) -> None:
    import os

    from dagster_project.quality.gx_validation import prune_results

    results = tmp_path / "validations"
    for age, run_name in enumerate(["run-c", "run-b", "run-a"]):  # run-c newest
        for suite in ("kpi_definitions/kpi_values", "freshness/source_freshness"):
            page = results / suite / run_name / "20250310T060000.000000Z" / "batch.json"
            page.parent.mkdir(parents=True)
            page.write_text("{}")
            os.utime(page, (1_000_000 - age * 1000, 1_000_000 - age * 1000))
    prune_results(results, keep_runs=2)
    assert sorted(path.name for path in (results / "kpi_definitions" / "kpi_values").iterdir()) == [
        "run-b",
        "run-c",
    ]
    assert sorted(path.name for path in (results / "freshness" / "source_freshness").iterdir()) == [
        "run-b",
        "run-c",
    ]
