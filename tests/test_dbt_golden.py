"""Golden values of the dbt KPI marts on a hand-made warehouse.

One `dbt build` (models, data tests and unit tests; tests/conftest.py) runs on the rows of
tests/dbt_fixtures/golden_rows.py with KPI_AS_OF=2024-04-10. Every expected number below is
worked out by hand from shared/spec/kpis.md, with the arithmetic in a comment. Copenhagen is
UTC+1 until 2024-03-31 02:00 local and UTC+2 from then on (the daylight saving change).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dagster_project.catalog import load_catalog

Key = tuple[str, str, date, str, str]


@pytest.fixture(scope="module")
def warehouse(golden_warehouse) -> Path:
    return golden_warehouse.path


@pytest.fixture(scope="module")
def kpi_values(warehouse: Path) -> dict[Key, dict[str, Any]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        relation = con.sql("select * from main.kpi_values")
        columns = relation.columns
        rows = [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]
    finally:
        con.close()
    values = {
        (
            row["kpi_id"],
            row["grain"],
            row["period_start"],
            row["dimension_name"],
            row["dimension_value"],
        ): row
        for row in rows
    }
    assert len(values) == len(rows), "kpi_values has duplicate grain keys"
    return values


def cell(
    values: dict[Key, dict[str, Any]],
    kpi_id: str,
    grain: str,
    period_start: str,
    dimension: str = "total",
    dimension_value: str = "total",
) -> dict[str, Any]:
    key = (kpi_id, grain, date.fromisoformat(period_start), dimension, dimension_value)
    assert key in values, f"no row {key}"
    return values[key]


def assert_value(row: dict[str, Any], expected: float) -> None:
    assert row["value"] == pytest.approx(expected, rel=1e-9), row
    assert row["null_reason"] is None


def assert_null(row: dict[str, Any], reason: str) -> None:
    assert row["value"] is None, row
    assert row["null_reason"] == reason


# ── Completeness ─────────────────────────────────────────────────────────────


def test_every_catalog_kpi_and_grain_has_rows_and_no_other_kpi_is_published(kpi_values):
    catalog = load_catalog()
    expected = {(kpi.id, grain) for kpi in catalog.kpis for grain in kpi.grains}
    published = {(key[0], key[1]) for key in kpi_values}
    assert published == expected


def test_only_catalog_dimensions_are_published(kpi_values):
    dimensions = {kpi.id: set(kpi.dimensions) | {"total"} for kpi in load_catalog().kpis}
    unexpected = {(key[0], key[3]) for key in kpi_values if key[3] not in dimensions[key[0]]}
    assert unexpected == set()


def test_total_rows_run_from_the_first_event_to_the_as_of_period(kpi_values):
    # sales.revenue: first order line 2024-02-15 (O4), as-of 2024-04-10, so day rows
    # 2024-02-15 .. 2024-04-10 = 15 (Feb) + 31 (Mar) + 10 (Apr) = 56 rows.
    days = sorted(key[2] for key in kpi_values if key[:2] == ("sales.revenue", "day") and key[3] == "total")
    assert len(days) == 56
    assert days[0] == date(2024, 2, 15)
    assert days[-1] == date(2024, 4, 10)
    # A day without orders (2024-03-25) is a 0, not a missing row.
    assert_value(cell(kpi_values, "sales.revenue", "day", "2024-03-25"), 0)
    # Only the as-of period is incomplete.
    assert cell(kpi_values, "sales.revenue", "day", "2024-04-10")["is_complete_period"] is False
    assert cell(kpi_values, "sales.revenue", "day", "2024-04-09")["is_complete_period"] is True
    assert cell(kpi_values, "sales.revenue", "month", "2024-04-01")["period_end"] == date(2024, 4, 30)


# ── Sales ────────────────────────────────────────────────────────────────────


def test_revenue_counts_the_updated_line_once_on_local_dates(kpi_values):
    # O1 (2024-02-29 23:30 UTC = 2024-03-01 00:30 local): line 1 updated to 3 × 100 = 300,
    # line 2: 1 × 50 × 0.9 = 45. O2 (DST day, 01:30 local): 1 × 1000 × 0.75 = 750.
    # March = 300 + 45 + 750 = 1095 (O3, 2024-03-31 22:30 UTC, is 2024-04-01 local).
    assert_value(cell(kpi_values, "sales.revenue", "month", "2024-03-01"), 1095)
    assert_value(cell(kpi_values, "sales.revenue", "day", "2024-03-01"), 345)
    assert_value(cell(kpi_values, "sales.revenue", "day", "2024-03-31"), 750)
    # Week 2024-03-25 .. 03-31 holds only O2; O3 belongs to the week of 2024-04-01.
    assert_value(cell(kpi_values, "sales.revenue", "week", "2024-03-25"), 750)
    # April: O3 4 × 10 = 40 + O6 60 = 100.
    assert_value(cell(kpi_values, "sales.revenue", "week", "2024-04-01"), 100)
    assert_value(
        cell(kpi_values, "sales.revenue", "month", "2024-03-01", "product_category", "widgets"),
        300 + 750,
    )
    assert cell(kpi_values, "sales.revenue", "month", "2024-03-01")["denominator"] is None


def test_average_order_size_counts_orders_without_lines(kpi_values):
    # March orders O1 (345), O2 (750), O5 (no lines, 0): 1095 / 3 = 365.
    row = cell(kpi_values, "sales.avg_order_size", "month", "2024-03-01")
    assert_value(row, 365)
    assert (row["numerator"], row["denominator"]) == (1095, 3)


def test_hit_rate_and_median_sales_cycle_over_the_dst_change(kpi_values):
    # Quoted and closed in March: OP1 won, OP2 lost -> 1 / 2.
    assert_value(cell(kpi_values, "sales.hit_rate", "month", "2024-03-01"), 0.5)
    # Won in March: OP1 9 days, OP3 2024-03-29 12:00+01 -> 03-31 12:00+02 = 47 h = 47/24 days.
    # Median of an even count: (9 + 47/24) / 2.
    row = cell(kpi_values, "sales.sales_cycle_days", "month", "2024-03-01")
    assert_value(row, (9 + 47 / 24) / 2)
    assert row["sample_size"] == 2


def test_retention_is_null_with_a_reason_without_previous_customers(kpi_values):
    # February is the first month with orders: nobody ordered in January.
    assert_null(
        cell(kpi_values, "sales.customer_retention", "month", "2024-02-01"),
        "no customers with an order in the previous period",
    )
    # April: March customers C1 and C3; C1 ordered again (O6) -> 1 / 2; churn 1 / 2.
    assert_value(cell(kpi_values, "sales.customer_retention", "month", "2024-04-01"), 0.5)
    assert_value(cell(kpi_values, "sales.churn_rate", "month", "2024-04-01"), 0.5)
    assert_value(
        cell(kpi_values, "sales.customer_retention", "month", "2024-04-01", "segment", "mid_market"),
        0,
    )


def test_revenue_vs_budget_sums_the_budget_over_regions(kpi_values):
    # March: 1095 / (1000 + 1000); north 345 / 1000.
    assert_value(cell(kpi_values, "sales.revenue_vs_budget", "month", "2024-03-01"), 0.5475)
    assert_value(
        cell(kpi_values, "sales.revenue_vs_budget", "month", "2024-03-01", "region", "north"),
        0.345,
    )
    assert_null(
        cell(kpi_values, "sales.revenue_vs_budget", "month", "2024-02-01"),
        "no revenue budget for period",
    )


# ── Marketing ────────────────────────────────────────────────────────────────


def test_leads_per_day_week_and_month(kpi_values):
    # L1 2024-03-05, L2 2024-03-10 (both in the week starting Monday 2024-03-04).
    assert_value(cell(kpi_values, "marketing.leads", "day", "2024-03-05"), 1)
    assert_value(cell(kpi_values, "marketing.leads", "week", "2024-03-04"), 2)
    assert_value(cell(kpi_values, "marketing.leads", "month", "2024-03-01"), 2)
    assert_value(cell(kpi_values, "marketing.leads", "month", "2024-03-01", "campaign", "K1"), 1)
    # L2 has no campaign: it counts in the total, not in the campaign breakdown.
    assert not any(
        key[:3] == ("marketing.leads", "month", date(2024, 3, 1)) and key[3] == "campaign" and key[4] != "K1"
        for key in kpi_values
    )


def test_visit_to_lead_rate_uses_the_sessions_channel(kpi_values):
    # Week 2024-03-04: sessions S1 (paid_search), S2 (organic); lead L1 from S1 -> 1 / 2.
    assert_value(cell(kpi_values, "marketing.visit_to_lead_rate", "week", "2024-03-04"), 0.5)
    # March: S1, S2, S3 (DST day) -> 1 / 3.
    assert_value(cell(kpi_values, "marketing.visit_to_lead_rate", "month", "2024-03-01"), 1 / 3)
    assert_value(
        cell(
            kpi_values,
            "marketing.visit_to_lead_rate",
            "month",
            "2024-03-01",
            "channel",
            "paid_search",
        ),
        1,
    )


def test_lead_to_customer_rate_is_provisional_for_90_days(kpi_values):
    # December 2023: L4 not converted -> 0 / 1; 2023-12-31 + 90 days = 2024-03-30 < as-of.
    december = cell(kpi_values, "marketing.lead_to_customer_rate", "month", "2023-12-01")
    assert_value(december, 0)
    assert december["is_provisional"] is False
    # January: L3 converted 2024-04-10 10:00+02 from 2024-01-10 10:00+01 = 91 days - 1 hour,
    # more than 90 days -> 0 / 1; 2024-01-31 + 90 = 2024-04-30 > as-of: provisional.
    january = cell(kpi_values, "marketing.lead_to_customer_rate", "month", "2024-01-01")
    assert_value(january, 0)
    assert january["is_provisional"] is True
    # March: L1 converted after 15 days, L2 not -> 1 / 2.
    assert_value(cell(kpi_values, "marketing.lead_to_customer_rate", "month", "2024-03-01"), 0.5)


def test_cac_ltv_to_cac_and_roas(kpi_values):
    # March: spend 300 (K1) + 100 (K2); new customers C1 (first order O1) and C3 (O5) -> 200.
    assert_value(cell(kpi_values, "marketing.cac", "month", "2024-03-01"), 200)
    assert_null(cell(kpi_values, "marketing.cac", "month", "2024-04-01"), "no new customers in period")
    # LTV of the 12 months to March: revenue 500 + 345 + 750 + 0 over customers C1, C2, C3.
    ltv = (500 + 345 + 750) / 3
    assert_value(cell(kpi_values, "marketing.ltv_to_cac", "month", "2024-03-01"), ltv / 200)
    # ROAS March: C1's earliest converted lead L1 has campaign K1: O1 + O2 = 1095 attributed;
    # total 1095 / 400, K1 1095 / 300, K2 0 / 100.
    assert_value(cell(kpi_values, "marketing.roas", "month", "2024-03-01"), 1095 / 400)
    assert_value(cell(kpi_values, "marketing.roas", "month", "2024-03-01", "campaign", "K1"), 1095 / 300)
    assert_value(cell(kpi_values, "marketing.roas", "month", "2024-03-01", "channel", "social"), 0)


def test_engagement_rate_without_impressions_is_null_with_a_reason(kpi_values):
    # PO1 (10 + 5 + 5) / 1000; PO2 on instagram has 0 impressions.
    assert_value(cell(kpi_values, "marketing.engagement_rate", "week", "2024-03-04"), 0.02)
    assert_null(
        cell(kpi_values, "marketing.engagement_rate", "month", "2024-03-01", "platform", "instagram"),
        "no social post impressions in period",
    )
    # Sessions in March: (100 + 50 + 31) / 3.
    assert_value(cell(kpi_values, "marketing.avg_engaged_seconds", "month", "2024-03-01"), 181 / 3)


# ── HR ───────────────────────────────────────────────────────────────────────


def test_turnover_suppresses_small_departments_and_their_complement(kpi_values):
    # Headcount 2024-03-01: ops 6 + sales 3 + it 5 = 14; 2024-03-31: E6 left 03-15 -> 13.
    # Turnover = 1 / ((14 + 13) / 2) = 1 / 13.5; ops 1 / ((6 + 5) / 2) = 1 / 5.5.
    total = cell(kpi_values, "hr.employee_turnover", "month", "2024-03-01")
    assert_value(total, 1 / 13.5)
    assert total["denominator"] == 13.5
    assert_value(
        cell(kpi_values, "hr.employee_turnover", "month", "2024-03-01", "department", "ops"),
        1 / 5.5,
    )
    assert_value(
        cell(
            kpi_values,
            "hr.employee_turnover",
            "month",
            "2024-03-01",
            "termination_type",
            "voluntary",
        ),
        1 / 13.5,
    )
    # Average headcount: sales 3 < 5 -> suppressed; the only one, so the next smallest,
    # it (5) before ops (169 / 31 = 5.45), is suppressed too.
    sales = cell(kpi_values, "hr.employee_turnover", "month", "2024-03-01", "department", "sales")
    assert_null(sales, "group below 5")
    assert (sales["numerator"], sales["denominator"], sales["sample_size"]) == (None, None, None)
    assert_null(
        cell(kpi_values, "hr.employee_turnover", "month", "2024-03-01", "department", "it"),
        "complementary suppression",
    )


def test_sick_absence_counts_workdays_of_employees_in_headcount(kpi_values):
    # Sick hours on workdays in headcount: E1 7.4 (Mon 03-04) + E7 3.7; E1's Saturday and
    # E6's day after leaving do not count. Scheduled hours on the 21 March workdays:
    # ops 5 × 7.4 × 21 + E6 7.4 × 10 (until 03-14) = 851; sales 3 × 3.7 × 21 = 233.1;
    # it 5 × 7.4 × 21 = 777.
    assert_value(
        cell(kpi_values, "hr.sick_absence_rate", "month", "2024-03-01"),
        (7.4 + 3.7) / (851 + 233.1 + 777),
    )
    assert_value(
        cell(kpi_values, "hr.sick_absence_rate", "month", "2024-03-01", "department", "ops"),
        7.4 / 851,
    )


def test_sick_absence_of_the_running_month_is_over_all_its_workdays(kpi_values):
    # As of 2024-04-10, April is incomplete; kpis.md divides by the scheduled hours on the
    # workdays in P, all 22 of April's (1-5, 8-12, 15-19, 22-26, 29-30), not only those so far.
    # In headcount: ops E1-E5 (7.4 h), sales E7-E9 (fte 0.5: 3.7 h), it E10-E14 (7.4 h):
    # 22 × (5 × 7.4 + 3 × 3.7 + 5 × 7.4) = 22 × 85.1 = 1872.2. No sick hours in April.
    april = cell(kpi_values, "hr.sick_absence_rate", "month", "2024-04-01")
    assert april["is_complete_period"] is False
    assert april["denominator"] == pytest.approx(1872.2)
    assert_value(april, 0.0)


def test_survey_kpis_are_suppressed_below_5_responses(kpi_values):
    # Satisfaction: 7 responses, (4 + 4 + 5 + 3 + 4 + 2 + 3) / 7. Sales has 2 responses
    # (suppressed); ops, the only other department, is suppressed as its complement.
    assert_value(cell(kpi_values, "hr.employee_satisfaction", "month", "2024-03-01"), 25 / 7)
    assert_null(
        cell(kpi_values, "hr.employee_satisfaction", "month", "2024-03-01", "department", "sales"),
        "group below 5",
    )
    assert_null(
        cell(kpi_values, "hr.employee_satisfaction", "month", "2024-03-01", "department", "ops"),
        "complementary suppression",
    )
    # eNPS: 6 scores (10, 9, 7, 5 in ops; 0, 10 in sales): promoters 3, detractors 2
    # -> 100 × (3 - 2) / 6. Ops has 4 scores and sales 2: both below 5.
    assert_value(cell(kpi_values, "hr.enps", "month", "2024-03-01"), 100 / 6)
    assert_null(cell(kpi_values, "hr.enps", "month", "2024-03-01", "department", "ops"), "group below 5")


def test_time_to_hire_median_and_internal_mobility(kpi_values):
    # Filled in March: R1 2024-02-01 -> 03-01 = 29 days, R2 03-01 -> 03-11 = 10 days.
    # Median of an even count: (29 + 10) / 2. Positions are not suppressed.
    assert_value(cell(kpi_values, "hr.time_to_hire_days", "month", "2024-03-01"), 19.5)
    # R1 internal, R2 empty (counts as external): 1 / 2.
    assert_value(cell(kpi_values, "hr.internal_mobility_rate", "month", "2024-03-01"), 0.5)
    assert_value(
        cell(kpi_values, "hr.internal_mobility_rate", "month", "2024-03-01", "department", "sales"),
        0,
    )


def test_early_attrition_of_a_final_cohort(kpi_values):
    # Hired 2023-01-01: 15 employees; E17 left after 45 days -> 1 / 15; ops 1 / 7.
    january = cell(kpi_values, "hr.early_attrition_rate", "month", "2023-01-01")
    assert_value(january, 1 / 15)
    assert january["is_provisional"] is False
    # Sales: 3 hires -> suppressed; it (5) is the next smallest -> complementary.
    assert_null(
        cell(kpi_values, "hr.early_attrition_rate", "month", "2023-01-01", "department", "it"),
        "complementary suppression",
    )
    assert cell(kpi_values, "hr.early_attrition_rate", "month", "2024-03-01")["is_provisional"] is True


def test_people_count_reaches_kpi_values_for_shown_hr_values_only(kpi_values):
    def people(kpi_id: str, period: str, *dimension: str) -> float | None:
        return cell(kpi_values, kpi_id, "month", period, *dimension)["people_count"]

    # Mean daily headcount over March: 14 on 1-14 March, 13 from 15 March (E6 left) ->
    # (14 × 14 + 13 × 17) / 31 = 417 / 31; ops (6 × 14 + 5 × 17) / 31 = 169 / 31. A
    # termination type carries the total's.
    assert people("hr.employee_turnover", "2024-03-01") == pytest.approx(417 / 31)
    assert people("hr.employee_turnover", "2024-03-01", "department", "ops") == pytest.approx(169 / 31)
    assert people("hr.employee_turnover", "2024-03-01", "termination_type", "voluntary") == pytest.approx(
        417 / 31
    )
    # Suppressed cells (sales below 5, it as its complement) hand on no count.
    assert people("hr.employee_turnover", "2024-03-01", "department", "sales") is None
    assert people("hr.employee_turnover", "2024-03-01", "department", "it") is None
    # April up to the as-of date 2024-04-10: 13 people every day.
    assert people("hr.sick_absence_rate", "2024-04-01") == pytest.approx(13)
    # Survey responses: 7 for satisfaction, 6 with an eNPS score; hires in January 2023: 15, ops 7.
    assert people("hr.employee_satisfaction", "2024-03-01") == 7
    assert people("hr.employee_satisfaction", "2024-03-01", "department", "ops") is None
    assert people("hr.enps", "2024-03-01") == 6
    assert people("hr.early_attrition_rate", "2023-01-01") == 15
    assert people("hr.early_attrition_rate", "2023-01-01", "department", "ops") == 7
    # Positions and other functions are not counted in people.
    assert people("hr.time_to_hire_days", "2024-03-01") == 0
    assert people("sales.hit_rate", "2024-03-01") == 0


# ── Production ───────────────────────────────────────────────────────────────


def test_output_per_day_week_and_month(kpi_values):
    # 2024-03-31: R1 1900 + R2 1000 good units; R3 (03-30) made nothing.
    for grain, start in (("day", "2024-03-31"), ("week", "2024-03-25"), ("month", "2024-03-01")):
        assert_value(cell(kpi_values, "production.output_units", grain, start), 2900)
    assert_value(cell(kpi_values, "production.output_units", "day", "2024-03-30"), 0)
    assert_value(cell(kpi_values, "production.output_units", "day", "2024-03-31", "line", "L1"), 1900)


def test_oee_aggregates_its_parts_before_multiplying(kpi_values):
    # 2024-03-31: run time 420 + 480 of 960 planned; ideal 10 × 2000 + 20 × 1000 = 40000 s
    # over 900 × 60 s; quality 2900 / 3000.
    availability, performance, quality = 900 / 960, 40000 / 54000, 2900 / 3000
    assert_value(
        cell(kpi_values, "production.oee", "day", "2024-03-31"),
        availability * performance * quality,
    )
    assert_value(cell(kpi_values, "production.units_per_run_hour", "day", "2024-03-31"), 2900 / 15)
    # Month: R3 adds 100 planned minutes and no run time or units.
    assert_value(
        cell(kpi_values, "production.oee", "month", "2024-03-01"),
        900 / 1060 * performance * quality,
    )
    # 2024-03-30: R3 only: no run time, no units.
    assert_null(cell(kpi_values, "production.oee", "day", "2024-03-30"), "no run time in period")
    assert_null(
        cell(kpi_values, "production.quality_rate", "day", "2024-03-30"),
        "no units produced in period",
    )


def test_delivery_kpis_on_local_delivery_dates(kpi_values):
    # Delivered in March: SH1 5 days after O1, SH3 24 days after O4 -> median (5 + 24) / 2.
    assert_value(cell(kpi_values, "production.delivery_lead_time_days", "month", "2024-03-01"), 14.5)
    # SH1 arrived 2024-03-05 23:30 UTC = 03-06 local, after the promised 03-05: late -> 0 / 1.
    assert_value(cell(kpi_values, "production.on_time_delivery_rate", "week", "2024-03-04"), 0)
    # SH2 arrived 2024-04-02, promised 04-03: on time.
    assert_value(cell(kpi_values, "production.on_time_delivery_rate", "month", "2024-04-01"), 1)
    # Waste March: (5 + 10) / (100 + 50).
    assert_value(cell(kpi_values, "production.waste_rate", "month", "2024-03-01"), 0.1)


# ── Customer service ─────────────────────────────────────────────────────────


def test_contact_volume_on_local_dates(kpi_values):
    # 2024-03-31 local: T1 (00:30 UTC), T2, T3 and T4 (2024-03-30 23:30 UTC = 00:30 local).
    assert_value(cell(kpi_values, "cs.contact_volume", "day", "2024-03-31"), 4)
    assert_value(cell(kpi_values, "cs.contact_volume", "day", "2024-03-30"), 0)
    # T4's later line in the same file says tech: 2 tech tickets (T3, T4).
    assert_value(cell(kpi_values, "cs.contact_volume", "day", "2024-03-31", "category", "tech"), 2)
    # T6 was created on 2024-04-11, the day after the as-of date: it counts in its own day,
    # which gets a row (incomplete); no later day has one.
    after_as_of = cell(kpi_values, "cs.contact_volume", "day", "2024-04-11")
    assert_value(after_as_of, 1)
    assert after_as_of["is_complete_period"] is False
    last_day = max(key[2] for key in kpi_values if key[:2] == ("cs.contact_volume", "day"))
    assert last_day == date(2024, 4, 11)
    # Week and month add T5 (2024-03-28).
    assert_value(cell(kpi_values, "cs.contact_volume", "week", "2024-03-25"), 5)
    assert_value(cell(kpi_values, "cs.contact_volume", "month", "2024-03-01"), 5)


def test_first_response_median_over_dst_and_the_updated_ticket(kpi_values):
    # 2024-03-31: T1 60 min (01:30 winter -> 03:30 summer time), T2 270, T3 30 (its update
    # in a later file), T4 30: sorted 30, 30, 60, 270 -> median (30 + 60) / 2 = 45.
    row = cell(kpi_values, "cs.first_response_minutes", "day", "2024-03-31")
    assert_value(row, 45)
    assert row["sample_size"] == 4
    # No tickets on 2024-03-30: null with a reason, never 0.
    assert_null(
        cell(kpi_values, "cs.first_response_minutes", "day", "2024-03-30"),
        "no answered tickets created in period",
    )
    assert_null(
        cell(kpi_values, "cs.response_within_4h", "day", "2024-03-30"),
        "no tickets created in period",
    )
    # Within 240 minutes on 2024-03-31: T1, T3, T4 of 4.
    assert_value(cell(kpi_values, "cs.response_within_4h", "day", "2024-03-31"), 0.75)


def test_resolution_guardrails_nps_and_csat(kpi_values):
    # Resolved week 2024-04-01: T2 (2 contacts, reopened) and T3 (resolved in its update).
    assert_value(cell(kpi_values, "cs.first_contact_resolution", "week", "2024-04-01"), 0.5)
    assert_value(cell(kpi_values, "cs.reopen_rate", "month", "2024-04-01"), 0.5)
    # Resolved in March: T5 and T1; only T1 was surveyed.
    assert_value(cell(kpi_values, "cs.csat_survey_coverage", "month", "2024-03-01"), 0.5)
    # NPS March: 10, 9, 9, 6, 3 -> 100 × (3 - 2) / 5.
    assert_value(cell(kpi_values, "cs.nps", "month", "2024-03-01"), 20)
    # CSAT answered in April: T1 5 (chat), T2 3 (email) -> 1 / 2.
    assert_value(cell(kpi_values, "cs.csat", "month", "2024-04-01"), 0.5)
    assert_value(cell(kpi_values, "cs.csat", "week", "2024-04-01", "channel", "chat"), 1)
    # Per 1,000 customers: 4 tickets on 2024-03-31 over 3 customers created by then.
    assert_value(cell(kpi_values, "cs.contacts_per_1000_customers", "day", "2024-03-31"), 4000 / 3)
