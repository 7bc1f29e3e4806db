"""Every expectation catches a deliberately broken input, and all pass on the consistent warehouse.

The warehouse of tests/quality_fixtures/warehouse.py is consistent (its docstring has the
numbers); each test breaks one thing and checks that the expectation meant for it fails, with
the observed value and the failing row worked out by hand. As of 2025-03-10, freshness is
measured at the end of that day: 2025-03-11 00:00 Europe/Copenhagen (UTC+1 in March).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from dagster_project.catalog import write_catalog_tables
from dagster_project.quality.summaries import SUMMARIES, SummaryContext, read_catalog
from tests.quality_fixtures.runs import failed_ids, failing_rows, run
from tests.quality_fixtures.warehouse import (
    AS_OF,
    QualityWarehouse,
    consistent_warehouse,
    fixture_catalog,
    kpi_value_row,
    kpi_value_rows,
)


@pytest.fixture
def warehouse(tmp_path: Path) -> QualityWarehouse:
    warehouse = consistent_warehouse(tmp_path / "warehouse.duckdb")
    yield warehouse
    warehouse.con.close()


def _rows(warehouse: QualityWarehouse) -> list[dict]:
    return kpi_value_rows(warehouse.versions)


def _find(rows: list[dict], kpi_id: str, month: int, dimension_value: str = "total") -> dict:
    return next(
        row
        for row in rows
        if row["kpi_id"] == kpi_id
        and row["period_start"].month == month
        and row["dimension_value"] == dimension_value
    )


# ── The consistent warehouse ─────────────────────────────────────────────────


def test_consistent_warehouse_passes_every_expectation_of_every_suite(warehouse: QualityWarehouse) -> None:
    report = run(warehouse)
    assert [outcome.expectation_id for outcome in report.failures] == []
    assert set(report.suites) == {"freshness", "ingest_health", "kpi_definitions"}
    assert set(report.kpi_status.values()) == {"ok"}
    assert set(report.source_status.values()) == {"ok"}


# ── Freshness ────────────────────────────────────────────────────────────────


def test_source_ingested_66_hours_ago_is_stale_for_a_daily_kpi_only(warehouse: QualityWarehouse) -> None:
    # Last crm.orders file at 2025-03-08 06:00 local: 66 hours before the end of the as-of day.
    # sales.revenue allows 36 hours; ROAS and LTV/CAC, monthly, allow 768.
    warehouse.con.execute(
        "update raw._file_ledger set ingested_at = '2025-03-08 06:00:00+01' where source_table = 'crm.orders'"
    )
    report = run(warehouse, "freshness")
    outcome = report.outcome("freshness.ingested_within_limit")
    assert outcome.severity == "error" and not outcome.success
    assert failing_rows(outcome, "kpi_id", "source_table", "freshness_limit_hours", "ingest_age_hours") == [
        ("sales.revenue", "crm.orders", 36.0, 66.0)
    ]
    assert report.kpi_status["sales.revenue"] == "error"
    assert report.kpi_status["marketing.roas"] == "ok"
    assert report.source_status["crm.orders"] == "error"


def test_newest_event_60_hours_old_is_a_freshness_warning(warehouse: QualityWarehouse) -> None:
    # The only order is moved to 2025-03-08 12:00 local: 60 hours before the end of the as-of day.
    warehouse.con.execute("update raw.crm__orders set ordered_at = '2025-03-08 12:00:00+01'")
    report = run(warehouse, "freshness")
    assert failed_ids(report) == {"freshness.events_within_limit"}
    outcome = report.outcome("freshness.events_within_limit")
    assert outcome.severity == "warning"
    assert failing_rows(outcome, "kpi_id", "source_table", "event_age_hours") == [
        ("sales.revenue", "crm.orders", 60.0)
    ]
    assert report.kpi_status["sales.revenue"] == "warning"


def test_event_date_counts_as_the_end_of_that_day(warehouse: QualityWarehouse) -> None:
    warehouse.con.execute("update raw.marketing__ad_spend set spend_date = '2025-01-01'")
    # 2025-01-01 ends 2025-01-02 00:00 local; to 2025-03-11 00:00 are 68 days = 1632 hours > 768.
    report = run(warehouse, "freshness")
    outcome = report.outcome("freshness.events_within_limit")
    assert sorted(failing_rows(outcome, "kpi_id", "source_table", "event_age_hours")) == [
        ("marketing.ltv_to_cac", "marketing.ad_spend", 1632.0),
        ("marketing.roas", "marketing.ad_spend", 1632.0),
    ]


def test_event_table_that_never_received_a_file_is_an_error(warehouse: QualityWarehouse) -> None:
    warehouse.con.execute("delete from raw._file_ledger where source_table = 'helpdesk.nps_responses'")
    warehouse.con.execute("delete from raw.helpdesk__nps_responses")
    report = run(warehouse, "freshness")
    # Not delivered, so neither ingested nor with events within the limit.
    assert failed_ids(report) == {
        "freshness.every_source_table_delivered",
        "freshness.ingested_within_limit",
        "freshness.events_within_limit",
    }
    outcome = report.outcome("freshness.ingested_within_limit")
    assert failing_rows(outcome, "kpi_id", "source_table", "ingest_age_hours") == [
        ("cs.nps", "helpdesk.nps_responses", None)
    ]
    assert report.kpi_status["cs.nps"] == "error"


def test_reference_table_that_never_received_a_file_is_an_error(warehouse: QualityWarehouse) -> None:
    warehouse.con.execute("delete from raw._file_ledger where source_table = 'crm.products'")
    report = run(warehouse, "freshness")
    assert failed_ids(report) == {"freshness.every_source_table_delivered"}
    assert failing_rows(
        report.outcome("freshness.every_source_table_delivered"), "kpi_id", "source_table"
    ) == [("sales.revenue", "crm.products")]


def test_reference_table_delivered_long_ago_is_not_stale(warehouse: QualityWarehouse) -> None:
    # Products change rarely and arrive when they change: no freshness limit applies.
    warehouse.con.execute(
        "update raw._file_ledger set ingested_at = '2024-06-01 06:00:00+02' where source_table = 'crm.products'"
    )
    assert run(warehouse, "freshness").failures == []


def test_duplicate_of_an_old_file_counts_as_a_fresh_delivery(warehouse: QualityWarehouse) -> None:
    # The orders file was loaded three days ago; this morning the same extract came again.
    warehouse.con.execute(
        "update raw._file_ledger set ingested_at = '2025-03-07 06:00:00+01' where source_table = 'crm.orders'"
    )
    warehouse.duplicate_file("crm.orders", "orders_again.csv", "2025-03-10 06:00:00+01")
    assert run(warehouse, "freshness").failures == []


# ── Contract and ingest health ───────────────────────────────────────────────


def _orders(count: int, first: int = 10) -> list[dict]:
    return [
        {
            "order_id": f"A{n}",
            "customer_id": "K1",
            "channel": "web",
            "region": "Sjælland",
            "ordered_at": "2025-03-10 07:00:00+01",
        }
        for n in range(first, first + count)
    ]


def test_quarantine_burst_of_ten_percent_is_an_error(warehouse: QualityWarehouse) -> None:
    # A second delivery of crm.orders: 20 rows read, 2 quarantined = 10 % > 5 %.
    warehouse.file(
        "crm.orders", _orders(18), quarantined=["ordered_at: not a timestamp"] * 2, batch_id="batch-2"
    )
    report = run(warehouse, "ingest_health")
    assert failed_ids(report) == {"ingest.quarantine_rate_warning", "ingest.quarantine_rate_error"}
    outcome = report.outcome("ingest.quarantine_rate_error")
    assert failing_rows(
        outcome, "source_table", "latest_batch_id", "rows_read", "rows_quarantined", "quarantine_rate"
    ) == [("crm.orders", "batch-2", 20, 2, 0.1)]
    assert failing_rows(outcome, "top_reasons") == [("ordered_at: not a timestamp (2)",)]
    assert report.source_status["crm.orders"] == "error"
    # Every KPI reading crm.orders is reached; cs.nps and hr.sick_absence_rate do not read it.
    assert report.kpi_status == {
        "cs.nps": "ok",
        "hr.sick_absence_rate": "ok",
        "marketing.ltv_to_cac": "error",
        "marketing.roas": "error",
        "sales.revenue": "error",
    }


def test_quarantine_rate_of_two_percent_is_only_a_warning(warehouse: QualityWarehouse) -> None:
    # 50 rows read, 1 quarantined = 2 %: above 1 %, not above 5 %.
    warehouse.file(
        "crm.orders", _orders(49), quarantined=["region: required value is missing"], batch_id="batch-2"
    )
    report = run(warehouse, "ingest_health")
    assert failed_ids(report) == {"ingest.quarantine_rate_warning"}
    assert failing_rows(report.outcome("ingest.quarantine_rate_warning"), "quarantine_rate") == [(0.02,)]


def test_quarantine_rate_is_taken_over_the_latest_delivery_only(warehouse: QualityWarehouse) -> None:
    # A bad delivery followed by a clean one: the table's latest delivery is fine again.
    warehouse.file(
        "crm.orders", _orders(9), quarantined=["region: required value is missing"], batch_id="batch-2"
    )
    warehouse.file("crm.orders", _orders(10, first=30), batch_id="batch-3")
    report = run(warehouse, "ingest_health")
    assert "ingest.quarantine_rate_error" not in failed_ids(report)


def test_rejected_file_is_an_error_until_it_is_acknowledged(
    warehouse: QualityWarehouse, tmp_path: Path
) -> None:
    warehouse.rejected_file(
        "crm.orders", "orders_bad.csv", "abc123", "crm/orders/orders_bad.csv: not valid UTF-8"
    )
    report = run(warehouse, "ingest_health", project_root=tmp_path)
    outcome = report.outcome("ingest.rejected_files_resolved")
    assert not outcome.success and outcome.severity == "error"
    assert failing_rows(outcome, "source_table", "file_path", "content_hash") == [
        ("crm.orders", "crm/orders/orders_bad.csv", "abc123")
    ]
    acknowledgements = tmp_path / "expectations" / "acknowledged_rejections.yml"
    acknowledgements.parent.mkdir()
    acknowledgements.write_text(
        "acknowledged:\n"
        "  - {source_table: crm.orders, file_path: crm/orders/orders_bad.csv, content_hash: other,\n"
        "     acknowledged_by: Jane, reason: another file}\n"
    )
    assert (
        not run(warehouse, "ingest_health", project_root=tmp_path)
        .outcome("ingest.rejected_files_resolved")
        .success
    )
    acknowledgements.write_text(
        "acknowledged:\n"
        "  - {source_table: crm.orders, file_path: crm/orders/orders_bad.csv, content_hash: abc123,\n"
        "     acknowledged_by: Jane, reason: the same orders came again the next day}\n"
    )
    assert (
        run(warehouse, "ingest_health", project_root=tmp_path)
        .outcome("ingest.rejected_files_resolved")
        .success
    )


def test_rejected_file_landed_again_fixed_under_the_same_path_is_resolved(
    warehouse: QualityWarehouse,
) -> None:
    warehouse.rejected_file("crm.orders", "orders_bad.csv", "abc123", "missing column region")
    warehouse.file("crm.orders", _orders(1), name="orders_bad.csv", batch_id="batch-2")
    report = run(warehouse, "ingest_health")
    assert report.outcome("ingest.rejected_files_resolved").success


def test_ledger_that_counts_a_row_the_raw_table_lacks_is_an_error(warehouse: QualityWarehouse) -> None:
    file_id = warehouse.file("crm.orders", _orders(3), batch_id="batch-2")
    warehouse.con.execute("delete from raw.crm__orders where order_id = 'A10'")
    report = run(warehouse, "ingest_health")
    outcome = report.outcome("ingest.ledger_accounts_for_every_row")
    assert failing_rows(outcome, "file_id", "rows_loaded", "raw_rows", "mismatched_rows") == [
        (file_id, 3, 2, 1)
    ]


def test_order_of_a_customer_not_loaded_is_an_orphan_warning(warehouse: QualityWarehouse) -> None:
    warehouse.file("crm.orders", [{**_orders(1)[0], "customer_id": "K99"}], batch_id="batch-2")
    report = run(warehouse, "ingest_health")
    assert failed_ids(report) == {"ingest.no_orphan_foreign_keys"}
    outcome = report.outcome("ingest.no_orphan_foreign_keys")
    assert outcome.severity == "warning"
    assert failing_rows(outcome, "relation", "orphan_rows", "orphan_keys_sample") == [
        ("crm.orders(customer_id) -> crm.customers(customer_id)", 1, "K99")
    ]
    assert report.source_status["crm.orders"] == "warning"


def test_orphan_corrected_by_a_later_version_of_the_row_is_not_reported(warehouse: QualityWarehouse) -> None:
    warehouse.file("crm.orders", [{**_orders(1)[0], "customer_id": "K99"}], batch_id="batch-2")
    warehouse.file("crm.orders", [{**_orders(1)[0], "customer_id": "K2"}], batch_id="batch-3")
    report = run(warehouse, "ingest_health")
    assert report.outcome("ingest.no_orphan_foreign_keys").success


# ── Consistent definitions on kpi_values ─────────────────────────────────────


def test_ratio_above_one_is_an_error(warehouse: QualityWarehouse) -> None:
    rows = _rows(warehouse)
    # February's sick absence: 1332 sick hours of 1110 scheduled = 1.2.
    _find(rows, "hr.sick_absence_rate", 2).update(value=1.2, numerator=1332.0, denominator=1110.0)
    warehouse.write_kpi_values(rows)
    report = run(warehouse, "kpi_definitions")
    assert failed_ids(report) == {"definitions.values_within_their_range"}
    outcome = report.outcome("definitions.values_within_their_range")
    assert failing_rows(outcome, "kpi_id", "period_start", "value") == [
        ("hr.sick_absence_rate", "2025-02-01", 1.2)
    ]
    assert report.kpi_status["hr.sick_absence_rate"] == "error"
    assert report.kpi_status["sales.revenue"] == "ok"


def test_oee_performance_above_one_is_only_a_warning(warehouse: QualityWarehouse) -> None:
    # The line made 1020 units' worth of ideal cycle time in 1000 minutes of run time: the
    # product's ideal cycle time is too slow, a master data finding to publish with a warning.
    write_catalog_tables(warehouse.con, fixture_catalog({"production.oee_performance": ()}))
    version = warehouse.con.execute(
        "select definition_version from catalog.kpis where kpi_id = 'production.oee_performance'"
    ).fetchone()[0]
    performance = [
        kpi_value_row("production.oee_performance", 1, 0.9, 900.0, 1000.0),
        kpi_value_row("production.oee_performance", 2, 1.02, 1020.0, 1000.0),
        kpi_value_row("production.oee_performance", 3, 0.95, 950.0, 1000.0),
    ]
    warehouse.write_kpi_values(
        _rows(warehouse) + [{**row, "definition_version": version} for row in performance]
    )
    report = run(warehouse, "kpi_definitions")
    assert failed_ids(report) == {"definitions.values_against_a_standard_within_their_range"}
    outcome = report.outcome("definitions.values_against_a_standard_within_their_range")
    assert outcome.severity == "warning"
    assert failing_rows(outcome, "kpi_id", "period_start", "value") == [
        ("production.oee_performance", "2025-02-01", 1.02)
    ]
    # The three performance rows are the only ones of a KPI whose range is a warning: the two
    # that pass reach Great Expectations as one row, and still count as two rows checked.
    assert (outcome.failing_count, outcome.checked_count) == (1, 3)
    assert outcome.observed == "1 of 3 rows fail"


def test_the_rows_that_break_no_rule_are_validated_as_one_row_per_kpi_and_grain(
    warehouse: QualityWarehouse,
) -> None:
    rows = _rows(warehouse)
    _find(rows, "hr.sick_absence_rate", 2).update(value=1.2, numerator=1332.0, denominator=1110.0)
    warehouse.write_kpi_values(rows)
    context = SummaryContext(warehouse.con, AS_OF, read_catalog(warehouse.con))
    frame = SUMMARIES["kpi_values"].compute(context, {})
    groups = {(row["kpi_id"], row["grain"]) for row in rows}
    # The broken February row stands alone with its period; every other row is in its group's.
    breaking = frame[frame["period_start"].notna()]
    assert [(r.kpi_id, str(r.period_start)[:10], r.value) for r in breaking.itertuples()] == [
        ("hr.sick_absence_rate", "2025-02-01", 1.2)
    ]
    assert len(frame) == len(groups) + 1
    assert int(frame["represented_rows"].sum()) == len(rows)
    sick = frame[(frame["kpi_id"] == "hr.sick_absence_rate") & frame["period_start"].isna()]
    assert sick["represented_rows"].tolist() == [
        sum(1 for row in rows if row["kpi_id"] == "hr.sick_absence_rate") - 1
    ]


def test_nps_below_minus_100_is_an_error(warehouse: QualityWarehouse) -> None:
    rows = _rows(warehouse)
    _find(rows, "cs.nps", 2).update(value=-120.0, numerator=-480.0, denominator=4.0)
    warehouse.write_kpi_values(rows)
    report = run(warehouse, "kpi_definitions")
    assert failed_ids(report) == {"definitions.values_within_their_range"}
    outcome = report.outcome("definitions.values_within_their_range")
    assert failing_rows(outcome, "kpi_id", "value", "value_min", "value_max") == [
        ("cs.nps", -120.0, -100.0, 100.0)
    ]


def test_nps_with_more_detractors_than_promoters_is_in_range(warehouse: QualityWarehouse) -> None:
    # 1 promoter and 3 detractors of 4 responses: 100 * (1 - 3) / 4 = -50, numerator -200.
    rows = _rows(warehouse)
    _find(rows, "cs.nps", 2).update(value=-50.0, numerator=-200.0, denominator=4.0)
    warehouse.write_kpi_values(rows)
    assert failed_ids(run(warehouse, "kpi_definitions")) == set()


def test_employee_satisfaction_above_five_is_an_error(warehouse: QualityWarehouse) -> None:
    # The catalog's range of a mean of 1-5 answers is [1, 5].
    write_catalog_tables(warehouse.con, fixture_catalog({"hr.employee_satisfaction": ()}))
    version = warehouse.con.execute(
        "select definition_version from catalog.kpis where kpi_id = 'hr.employee_satisfaction'"
    ).fetchone()[0]
    satisfaction = [
        kpi_value_row("hr.employee_satisfaction", 1, 4.0, 24.0, 6.0),
        kpi_value_row("hr.employee_satisfaction", 2, 5.5, 33.0, 6.0),
        kpi_value_row("hr.employee_satisfaction", 3, 3.5, 21.0, 6.0),
    ]
    warehouse.write_kpi_values(
        _rows(warehouse) + [{**row, "definition_version": version} for row in satisfaction]
    )
    report = run(warehouse, "kpi_definitions")
    assert failed_ids(report) == {"definitions.values_within_their_range"}
    assert failing_rows(report.outcome("definitions.values_within_their_range"), "kpi_id", "value") == [
        ("hr.employee_satisfaction", 5.5)
    ]


def test_negative_ad_spend_is_an_error(warehouse: QualityWarehouse) -> None:
    rows = _rows(warehouse)
    _find(rows, "marketing.roas", 1).update(value=-3.0, denominator=-100.0)
    warehouse.write_kpi_values(rows)
    report = run(warehouse, "kpi_definitions")
    # ROAS below its range of 0 and up, and a negative part.
    assert failed_ids(report) == {
        "definitions.sums_and_counts_non_negative",
        "definitions.values_within_their_range",
    }
    assert failing_rows(
        report.outcome("definitions.sums_and_counts_non_negative"), "kpi_id", "denominator"
    ) == [("marketing.roas", -100.0)]


def test_negative_revenue_is_an_error(warehouse: QualityWarehouse) -> None:
    rows = _rows(warehouse)
    _find(rows, "sales.revenue", 3, "pumps").update(value=-200.0, numerator=-200.0)
    warehouse.write_kpi_values(rows)
    outcome = run(warehouse, "kpi_definitions").outcome("definitions.sums_and_counts_non_negative")
    assert failing_rows(outcome, "kpi_id", "dimension_value", "value") == [("sales.revenue", "pumps", -200.0)]


def test_dimension_value_double_counted_into_the_breakdown_is_an_error(warehouse: QualityWarehouse) -> None:
    rows = _rows(warehouse)
    # January's Hovedstaden revenue appears again under a second spelling: 600 + 400 + 600 = 1600
    # against a total of 1000, an excess of 600 / 1000 = 0.6.
    rows.append({**_find(rows, "sales.revenue", 1, "Hovedstaden"), "dimension_value": "hovedstaden"})
    warehouse.write_kpi_values(rows)
    report = run(warehouse, "kpi_definitions")
    assert failed_ids(report) == {"definitions.breakdown_not_above_total"}
    outcome = report.outcome("definitions.breakdown_not_above_total")
    assert failing_rows(
        outcome, "kpi_id", "period_start", "dimension_name", "breakdown_sum", "total_value", "relative_excess"
    ) == [("sales.revenue", "2025-01-01", "region", 1600.0, 1000.0, 0.6)]


def test_breakdown_short_of_the_total_on_a_dimension_every_row_carries_is_a_warning(
    warehouse: QualityWarehouse,
) -> None:
    # Without Sjælland, January's regions add up to 600 of 1000: 0.4 short.
    rows = _rows(warehouse)
    rows.remove(_find(rows, "sales.revenue", 1, "Sjælland"))
    warehouse.write_kpi_values(rows)
    report = run(warehouse, "kpi_definitions")
    assert failed_ids(report) == {"definitions.complete_breakdown_adds_up_to_total"}
    outcome = report.outcome("definitions.complete_breakdown_adds_up_to_total")
    assert outcome.severity == "warning"
    assert failing_rows(outcome, "dimension_name", "relative_shortfall") == [("region", 0.4)]


def test_breakdown_short_of_the_total_on_an_optional_dimension_passes(warehouse: QualityWarehouse) -> None:
    # The consistent data has it already: January's product categories add up to 900 of 1000.
    report = run(warehouse, "kpi_definitions")
    assert report.outcome("definitions.complete_breakdown_adds_up_to_total").success
    assert report.outcome("definitions.breakdown_not_above_total").success


def test_two_definition_versions_in_one_kpi_series_is_an_error(warehouse: QualityWarehouse) -> None:
    rows = _rows(warehouse)
    _find(rows, "cs.nps", 1)["definition_version"] = "0123456789ab"
    warehouse.write_kpi_values(rows)
    report = run(warehouse, "kpi_definitions")
    assert "definitions.one_version_per_kpi" in failed_ids(report)
    assert failing_rows(
        report.outcome("definitions.one_version_per_kpi"), "kpi_id", "versions_in_kpi_values"
    ) == [("cs.nps", 2)]


def test_definition_version_other_than_the_catalogs_is_an_error(warehouse: QualityWarehouse) -> None:
    rows = _rows(warehouse)
    for row in rows:
        if row["kpi_id"] == "cs.nps":
            row["definition_version"] = "0123456789ab"
    warehouse.write_kpi_values(rows)
    report = run(warehouse, "kpi_definitions")
    assert failed_ids(report) == {"definitions.version_matches_catalog"}


def _redefine(warehouse: QualityWarehouse, kpi_id: str, version: str) -> None:
    """The KPI is redefined: the catalog and kpi_values carry the new version."""
    for table in ("catalog.kpis", "main.kpi_values"):
        warehouse.con.execute(
            f"update {table} set definition_version = ? where kpi_id = ?", [version, kpi_id]
        )


def _recorded(warehouse: QualityWarehouse, computed_at: str, versions: dict[str, str]) -> None:
    """The versions a dbt build at `computed_at` appended to the model kpi_definition_history."""
    at = datetime.fromisoformat(computed_at)
    warehouse.con.execute(
        "create table if not exists main.kpi_definition_history "
        "(kpi_id varchar, definition_version varchar, first_computed_at timestamptz, first_as_of date)"
    )
    for kpi_id, version in versions.items():
        warehouse.con.execute(
            "insert into main.kpi_definition_history values (?, ?, ?, ?)", [kpi_id, version, at, at.date()]
        )


def _has_table(warehouse: QualityWarehouse, schema: str, table: str) -> bool:
    return bool(
        warehouse.con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def test_a_version_missing_from_the_definition_history_is_a_warning_until_recorded(
    warehouse: QualityWarehouse,
) -> None:
    versions = warehouse.versions
    # January's build: sales.revenue under an older definition, cs.nps as 'aaa'; marketing.roas
    # was never recorded. February's: sales.revenue's current version.
    _recorded(
        warehouse,
        "2025-01-10 06:00:00+01:00",
        {
            "sales.revenue": "ccc",
            "marketing.ltv_to_cac": versions["marketing.ltv_to_cac"],
            "hr.sick_absence_rate": versions["hr.sick_absence_rate"],
            "cs.nps": "aaa",
        },
    )
    _recorded(warehouse, "2025-02-10 06:00:00+01:00", {"sales.revenue": versions["sales.revenue"]})
    _redefine(warehouse, "cs.nps", "bbb")
    report = run(warehouse, "kpi_definitions", persist=True, run_id="run-1")
    # Only cs.nps: 'bbb' against its last recorded 'aaa'. sales.revenue's last recorded version
    # (February's) is its current one; marketing.roas has none to differ from.
    assert failed_ids(report) == {"definitions.definition_change_recorded_as_break"}
    outcome = report.outcome("definitions.definition_change_recorded_as_break")
    assert outcome.severity == "warning"
    assert (outcome.failing_count, outcome.checked_count) == (1, 5)
    assert failing_rows(outcome, "kpi_id", "published_version", "current_version") == [
        ("cs.nps", "aaa", "bbb")
    ]
    assert {kpi_id: status for kpi_id, status in report.kpi_status.items() if status != "ok"} == {
        "cs.nps": "warning"
    }
    # The quality run records no version itself: the dbt build does, and the warning ends.
    assert warehouse.con.execute(
        "select count(*) from main.kpi_definition_history where kpi_id = 'cs.nps'"
    ).fetchone() == (1,)
    _recorded(warehouse, "2025-03-10 06:00:00+01:00", {"cs.nps": "bbb"})
    assert run(warehouse, "kpi_definitions", persist=True, run_id="run-2").failures == []


def test_no_definition_change_before_the_history_exists(warehouse: QualityWarehouse) -> None:
    _redefine(warehouse, "cs.nps", "bbb")
    for run_id in ("run-1", "run-2"):
        report = run(warehouse, "kpi_definitions", persist=True, run_id=run_id)
        assert report.failures == []
        assert report.outcome("definitions.definition_change_recorded_as_break").success
    assert not _has_table(warehouse, "main", "kpi_definition_history")


def test_roas_revenue_above_sales_revenue_is_an_error(warehouse: QualityWarehouse) -> None:
    rows = _rows(warehouse)
    # February: 1600 attributed against 1500 of revenue, 100 / 1500 too much.
    _find(rows, "marketing.roas", 2).update(value=6.4, numerator=1600.0)
    warehouse.write_kpi_values(rows)
    report = run(warehouse, "kpi_definitions")
    assert failed_ids(report) == {"definitions.roas_revenue_within_sales_revenue"}
    outcome = report.outcome("definitions.roas_revenue_within_sales_revenue")
    [(kpi_id, period, kpi_revenue, sales_revenue, excess)] = failing_rows(
        outcome, "kpi_id", "period_start", "kpi_revenue", "sales_revenue", "relative_excess"
    )
    assert (kpi_id, period, kpi_revenue, sales_revenue) == ("marketing.roas", "2025-02-01", 1600.0, 1500.0)
    assert excess == pytest.approx(100 / 1500)


def test_ltv_revenue_other_than_twelve_months_of_sales_revenue_is_an_error(
    warehouse: QualityWarehouse,
) -> None:
    rows = _rows(warehouse)
    # February's LTV says 520 per customer × 5 customers = 2600, but January + February = 2500.
    _find(rows, "marketing.ltv_to_cac", 2).update(value=5.2, numerator=520.0)
    warehouse.write_kpi_values(rows)
    report = run(warehouse, "kpi_definitions")
    assert failed_ids(report) == {"definitions.ltv_revenue_equals_sales_revenue"}
    outcome = report.outcome("definitions.ltv_revenue_equals_sales_revenue")
    assert failing_rows(
        outcome, "kpi_id", "period_start", "kpi_revenue", "sales_revenue", "relative_difference"
    ) == [("marketing.ltv_to_cac", "2025-02-01", 2600.0, 2500.0, 0.04)]


def test_kpi_values_built_for_another_as_of_date_is_an_error(warehouse: QualityWarehouse) -> None:
    warehouse.con.execute("update main.kpi_values set as_of_date = date '2025-03-09'")
    report = run(warehouse, "kpi_definitions")
    assert failed_ids(report) == {"definitions.built_for_the_as_of_date"}


def test_missing_kpi_values_fails_every_definition_expectation_naming_the_relation(
    warehouse: QualityWarehouse,
) -> None:
    warehouse.con.execute("drop table main.kpi_values")
    report = run(warehouse, "kpi_definitions")
    assert len(report.failures) == len(report.outcomes) > 0
    assert all("main.kpi_values does not exist" in outcome.observed for outcome in report.outcomes)
    assert set(report.kpi_status.values()) == {"error"}
