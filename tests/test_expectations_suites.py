"""The suites as data: every expectation, its severity and its threshold in expectations/suites/."""

from __future__ import annotations

from typing import Any

import pytest

from dagster_project.quality.check import format_suites
from dagster_project.quality.spec import SuiteError, all_expectations, load_suites, parse_suite
from dagster_project.quality.summaries import SUMMARIES


@pytest.fixture(scope="module")
def expectations_by_id() -> dict[str, Any]:
    return {expectation.id: expectation for expectation in all_expectations(load_suites())}


def _document(**changes: Any) -> dict[str, Any]:
    expectation = {
        "id": "ingest.example",
        "description": "An example.",
        "severity": "error",
        "threshold": 0.05,
        "summary": "quarantine_rates",
        "dagster_check": "quarantine_rate",
        "expectation": "expect_column_values_to_be_between",
        "kwargs": {"column": "quarantine_rate", "max_value": "$threshold"},
        **changes,
    }
    return {"suite": "example", "summaries": {"quarantine_rates": {}}, "expectations": [expectation]}


def test_the_repository_has_the_three_suites_of_the_issue() -> None:
    assert [suite.name for suite in load_suites()] == ["freshness", "ingest_health", "kpi_definitions"]


def test_every_expectation_runs_on_a_summary_that_exists() -> None:
    for suite in load_suites():
        for expectation in suite.expectations:
            assert expectation.summary in SUMMARIES, expectation.id
            assert expectation.summary in suite.summaries, expectation.id


def test_every_expectation_type_exists_in_great_expectations() -> None:
    from dagster_project.quality.gx_validation import build_expectation

    for expectation in all_expectations(load_suites()):
        built = build_expectation(expectation)
        assert built.meta["id"] == expectation.id


def test_quarantine_rate_warns_above_one_percent_and_errs_above_five(
    expectations_by_id: dict[str, Any],
) -> None:
    warning = expectations_by_id["ingest.quarantine_rate_warning"]
    error = expectations_by_id["ingest.quarantine_rate_error"]
    assert (warning.severity, warning.kwargs["max_value"]) == ("warning", 0.01)
    assert (error.severity, error.kwargs["max_value"]) == ("error", 0.05)


def test_orphans_warn_and_unresolved_rejected_files_are_errors(expectations_by_id: dict[str, Any]) -> None:
    assert expectations_by_id["ingest.no_orphan_foreign_keys"].severity == "warning"
    assert expectations_by_id["ingest.rejected_files_resolved"].severity == "error"


def test_range_breakdown_and_revenue_rules_are_errors(expectations_by_id: dict[str, Any]) -> None:
    for expectation_id in (
        "definitions.values_within_their_range",
        "definitions.sums_and_counts_non_negative",
        "definitions.breakdown_not_above_total",
        "definitions.roas_revenue_within_sales_revenue",
        "definitions.ltv_revenue_equals_sales_revenue",
    ):
        assert expectations_by_id[expectation_id].severity == "error", expectation_id
    assert (
        expectations_by_id["definitions.values_against_a_standard_within_their_range"].severity == "warning"
    )


def test_what_a_dbt_test_says_is_not_restated_by_a_suite(expectations_by_id: dict[str, Any]) -> None:
    # Unique keys, numerator over denominator, null reasons, HR privacy, contiguous periods and a
    # definition version on every row are dbt tests on kpi_values (tests/test_dbt_kpi_values_tests.py).
    expectations = {
        (e.expectation, str(e.kwargs.get("column") or e.kwargs.get("column_list")))
        for e in expectations_by_id.values()
    }
    assert (
        "expect_compound_columns_to_be_unique",
        str(["kpi_id", "grain", "period_start", "dimension_name", "dimension_value"]),
    ) not in expectations
    assert not {column for _, column in expectations} & {
        "ratio_relative_error", "is_null_reason_consistent", "hides_suppressed_inputs", "missing_periods", "definition_version",
    }  # fmt: skip


def test_threshold_placeholder_takes_the_expectations_own_threshold() -> None:
    suite = parse_suite(_document())
    assert suite.expectations[0].kwargs == {"column": "quarantine_rate", "max_value": 0.05}


def test_threshold_placeholder_needs_a_number() -> None:
    with pytest.raises(SuiteError, match=r"ingest.example.*\$threshold needs a numeric threshold"):
        parse_suite(_document(threshold="a sentence"))


def test_unknown_field_names_the_expectation_and_the_field() -> None:
    with pytest.raises(SuiteError, match=r"expectation 'ingest.example', field 'treshold': unknown field"):
        parse_suite(_document(treshold=0.05))


def test_severity_other_than_error_or_warning_is_rejected() -> None:
    with pytest.raises(SuiteError, match=r"field 'severity': 'fatal'"):
        parse_suite(_document(severity="fatal"))


def test_summary_not_listed_in_the_suite_is_rejected() -> None:
    with pytest.raises(SuiteError, match=r"field 'summary': 'kpi_values' is not listed"):
        parse_suite(_document(summary="kpi_values"))


def test_row_condition_is_a_column_and_a_value() -> None:
    suite = parse_suite(_document(row_condition={"column": "source_table", "equals": "crm.orders"}))
    assert suite.expectations[0].row_condition == {"column": "source_table", "equals": "crm.orders"}
    with pytest.raises(SuiteError, match=r"field 'row_condition'"):
        parse_suite(_document(row_condition="source_table == 'crm.orders'"))


def test_listing_shows_every_expectation_with_its_severity_and_threshold() -> None:
    listing = format_suites()
    lines = listing.splitlines()
    assert lines[0].split()[:3] == ["id", "severity", "threshold"]
    assert len(lines) == 1 + len(all_expectations(load_suites()))
    quarantine_line = next(line for line in lines if line.startswith("ingest.quarantine_rate_error "))
    assert quarantine_line.split()[1:3] == ["error", "0.05"]
