"""The annotations of kpi_scorecard on a small hand-made kpi_values set; every number worked out by hand.

The numbers are the dbt models' (dbt_models/models/scorecard/), the sentences the export's.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import duckdb
import pytest

from tests.publish_fixtures import ScorecardBuildError, dbt_show, publish_fixture, value_row

CPH = ZoneInfo("Europe/Copenhagen")
# Before today, so freshness is measured to the end of the as-of day, 2026-11-28 00:00 local.
AS_OF = date(2026, 11, 27)
NOV, OCT, NOV_2025 = date(2026, 11, 1), date(2026, 10, 1), date(2025, 11, 1)


def hand_made_rows() -> list[dict]:
    return [
        # sales.hit_rate: ratio, higher is better, constant target 0.30.
        value_row("sales.hit_rate", NOV_2025, 0.25, numerator=25, denominator=100),
        value_row("sales.hit_rate", OCT, 0.29, numerator=29, denominator=100),
        value_row("sales.hit_rate", NOV, 0.27, numerator=27, denominator=100, sample_size=100),
        value_row("sales.hit_rate", NOV, 0.285, dimension=("region", "Nord"), numerator=57, denominator=200),
        value_row(
            "sales.hit_rate", NOV, 0.2849, dimension=("region", "Syd"), numerator=2849, denominator=10000
        ),
        value_row("sales.hit_rate", NOV, 0.30, dimension=("region", "Øst"), numerator=3, denominator=10),
        # sales.sales_cycle_days: lower is better, target 45 days; 5 % of 45 = 2.25 days.
        value_row("sales.sales_cycle_days", NOV, 47.25, dimension=("channel", "direct")),
        value_row("sales.sales_cycle_days", NOV, 47.26, dimension=("channel", "partner")),
        value_row("sales.sales_cycle_days", NOV, 44.0, dimension=("channel", "web")),
        # sales.revenue: budget target on month rows only.
        value_row("sales.revenue", OCT, 10_000_000),
        value_row("sales.revenue", NOV, 10_500_000),
        value_row("sales.revenue", NOV, 5_800_000, dimension=("region", "Hovedstaden")),
        value_row("sales.revenue", date(2026, 11, 3), 400_000, grain="day"),
        # marketing.leads: per-period target 535 for 2026-11 (catalog), total row only.
        value_row("marketing.leads", NOV, 500),
        value_row("marketing.leads", NOV, 200, dimension=("channel", "web")),
        value_row("marketing.leads", date(2026, 11, 16), 120, grain="week"),
        # A provisional value (its 90 days are still running).
        value_row(
            "marketing.lead_to_customer_rate", OCT, 0.10, numerator=10, denominator=100, is_provisional=True
        ),
        # A suppressed HR cell, wrongly still carrying its inputs: nothing of it may be published.
        value_row(
            "hr.sick_absence_rate",
            NOV,
            None,
            dimension=("department", "Ledelse"),
            numerator=10.0,
            denominator=200.0,
            sample_size=3,
            null_reason="group below 5",
        ),
        # The incomplete as-of month.
        value_row("cs.contact_volume", NOV, 1200, is_complete_period=False),
        # Same week one ISO year earlier: 2026-W47 starts 2026-11-16, 2025-W47 starts 2025-11-17.
        value_row("cs.contact_volume", date(2026, 11, 16), 300, grain="week"),
        value_row("cs.contact_volume", date(2025, 11, 17), 280, grain="week"),
    ]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    folder = tmp_path_factory.mktemp("annotations")
    raw = {
        "finance__budgets": [
            # Two versions of Hovedstaden's November budget: the later file (higher _file_id) counts.
            {"month": NOV, "region": "Hovedstaden", "revenue_budget": 5_000_000, "_file_id": 1},
            {"month": NOV, "region": "Hovedstaden", "revenue_budget": 6_000_000, "_file_id": 2},
            {"month": NOV, "region": "Sjælland", "revenue_budget": 4_000_000, "_file_id": 1},
        ],
        "crm__opportunities": [
            {
                "opportunity_id": "O1",
                "first_contact_at": datetime(2026, 9, 1, 9, 0, tzinfo=CPH),
                "closed_at": datetime(2026, 11, 26, 22, 0, tzinfo=CPH),
            }
        ],
    }
    started = datetime.now(CPH)
    result = publish_fixture(
        folder,
        hand_made_rows(),
        as_of=AS_OF,
        raw=raw,
        data_quality={"sales.hit_rate": ("warning", "3 rows failed a range check"), "sales.revenue": "ok"},
    )
    assert started <= result.computed_at <= datetime.now(CPH)
    return duckdb.connect(str(result.database_path), read_only=True)


def row(con, kpi_id, period_start, dimension=("total", "total"), grain="month") -> dict:
    cursor = con.execute(
        "select * from kpi_scorecard where kpi_id = ? and grain = ? and period_start = ? "
        "and dimension_name = ? and dimension_value = ?",
        [kpi_id, grain, period_start, *dimension],
    )
    names = [column[0] for column in cursor.description]
    (values,) = cursor.fetchall()
    return dict(zip(names, values, strict=True))


def test_a_ratio_below_target_has_a_negative_gap_in_its_unit_and_is_off_track_beyond_five_percent(published):
    hit = row(published, "sales.hit_rate", NOV)
    assert hit["target"] == 0.30
    assert hit["target_gap"] == pytest.approx(-0.03)  # 0.27 - 0.30
    assert hit["status"] == "off_track"  # 0.03 > 0.05 * 0.30 = 0.015
    assert hit["unit"] == "ratio" and hit["direction"] == "higher"


def test_previous_period_change_and_same_period_last_year(published):
    hit = row(published, "sales.hit_rate", NOV)
    assert hit["previous_value"] == 0.29
    assert hit["change"] == pytest.approx(-0.02)  # 0.27 - 0.29
    assert hit["same_period_last_year"] == 0.25
    assert row(published, "sales.hit_rate", OCT)["previous_value"] is None  # no September row


def test_the_spec_sentence_comes_out_for_the_hit_rate(published):
    hit = row(published, "sales.hit_rate", NOV)
    assert hit["commentary_da"] == (
        "Hitrate 27 % i november 2026: 3 point under målet på 30 % og 2 point lavere end oktober."
    )
    assert hit["commentary_en"] == (
        "Hit rate 27% in November 2026: 3 points below the target of 30% and 2 points lower than October."
    )


@pytest.mark.parametrize(
    ("kpi_id", "dimension", "status"),
    [
        ("sales.hit_rate", ("region", "Nord"), "at_risk"),  # 0.285 = exactly 5 % below 0.30
        ("sales.hit_rate", ("region", "Syd"), "off_track"),  # 0.2849: 5.03 % below
        ("sales.hit_rate", ("region", "Øst"), "on_track"),  # on the target
        ("sales.sales_cycle_days", ("channel", "direct"), "at_risk"),  # 47.25 = 45 + 5 %
        ("sales.sales_cycle_days", ("channel", "partner"), "off_track"),  # 47.26 > 47.25
        ("sales.sales_cycle_days", ("channel", "web"), "on_track"),  # lower is better
    ],
)
def test_status_at_the_five_percent_boundary(published, kpi_id, dimension, status):
    assert row(published, kpi_id, NOV, dimension)["status"] == status


def test_the_revenue_budget_is_the_latest_version_summed_over_regions(published):
    total = row(published, "sales.revenue", NOV)
    assert total["target"] == 10_000_000  # 6,000,000 (file 2) + 4,000,000
    assert total["target_gap"] == 500_000
    assert total["status"] == "on_track"
    assert total["target_type"] == "budget"
    assert total["commentary_da"] == (
        "Omsætning 10.500.000 kr. i november 2026: 5 % over budgettet på 10.000.000 kr. og 5 % højere end oktober."
    )
    region = row(published, "sales.revenue", NOV, ("region", "Hovedstaden"))
    assert region["target"] == 6_000_000
    assert region["status"] == "at_risk"  # 200,000 below; 5 % of 6 m = 300,000
    assert row(published, "sales.revenue", date(2026, 11, 3), grain="day")["status"] == "no_target"


def test_a_per_period_target_applies_to_the_total_of_its_month_only(published):
    total = row(published, "marketing.leads", NOV)
    assert total["target"] == 535
    assert total["target_gap"] == -35
    assert total["status"] == "off_track"  # 35 > 0.05 * 535 = 26.75
    assert row(published, "marketing.leads", NOV, ("channel", "web"))["status"] == "no_target"
    assert row(published, "marketing.leads", date(2026, 11, 16), grain="week")["target"] is None


def test_a_provisional_value_is_marked_and_said_to_be_provisional(published):
    conversion = row(published, "marketing.lead_to_customer_rate", OCT)
    assert conversion["is_provisional"] is True
    assert "(foreløbigt tal)" in conversion["commentary_da"]
    assert "(provisional)" in conversion["commentary_en"]


def test_a_group_below_five_publishes_no_number_at_all(published):
    suppressed = row(published, "hr.sick_absence_rate", NOV, ("department", "Ledelse"))
    assert [suppressed[c] for c in ("value", "numerator", "denominator", "sample_size")] == [None] * 4
    assert suppressed["null_reason"] == "group below 5"
    assert suppressed["status"] is None
    assert suppressed["commentary_da"] == (
        "Sygefravær (afdeling Ledelse): ingen værdi i november 2026 (gruppen er under 5 personer)."
    )


def test_the_incomplete_month_is_marked_in_the_sentence(published):
    volume = row(published, "cs.contact_volume", NOV)
    assert volume["is_complete_period"] is False
    assert volume["commentary_da"].endswith("(perioden er ikke afsluttet).")


def test_the_same_iso_week_last_year_is_found(published):
    assert (
        row(published, "cs.contact_volume", date(2026, 11, 16), grain="week")["same_period_last_year"] == 280
    )


def test_freshness_runs_from_the_newest_source_event_to_the_end_of_the_as_of_day(published):
    hit = row(published, "sales.hit_rate", NOV)
    # closed_at 2026-11-26 22:00 local; the as-of day ends 2026-11-28 00:00 local: 26 hours.
    assert hit["data_freshness_at"] == datetime(2026, 11, 26, 22, 0, tzinfo=CPH)
    assert hit["freshness_hours"] == 26.0
    assert row(published, "marketing.leads", NOV)["data_freshness_at"] is None  # no leads loaded


def test_data_quality_comes_from_the_quality_verdicts_and_defaults_to_unknown(published):
    hit = row(published, "sales.hit_rate", NOV)
    assert hit["data_quality_status"] == "warning"
    assert hit["data_quality_notes"] == "3 rows failed a range check"
    assert row(published, "sales.revenue", NOV)["data_quality_status"] == "ok"
    assert row(published, "marketing.leads", NOV)["data_quality_status"] == "unknown"


def test_catalog_context_is_on_every_row(published):
    hit = row(published, "sales.hit_rate", NOV)
    assert hit["kpi_name_da"] == "Hitrate" and hit["kpi_name_en"] == "Hit rate"
    assert hit["function"] == "sales" and hit["kpi_role"] == "headline"
    assert hit["owner"] == "Salgschef / Sales Manager"
    assert hit["refresh_cadence"] == "monthly"
    assert hit["question"].startswith("Hvor stor en del")
    assert hit["definition"].startswith("Salgsmuligheder med et afsendt tilbud")
    assert len(hit["definition_version"]) == 12
    assert hit["computed_at"] == published.execute("select computed_at from publish_info").fetchone()[0]
    assert hit["guardrail_flags"] == "[]" and hit["is_flagged"] is False


def test_duplicate_rows_are_refused(tmp_path):
    rows = [value_row("sales.hit_rate", NOV, 0.27), value_row("sales.hit_rate", NOV, 0.28)]
    # The first model keyed on the row (its targets) refuses them; nothing is published.
    with pytest.raises(ScorecardBuildError, match="unique_combination_of_columns_kpi_targets"):
        publish_fixture(tmp_path, rows, as_of=AS_OF, with_tests=True)
    assert not (tmp_path / "published" / "kpis.duckdb").exists()


def _enps_it(people: float | None) -> dict:
    # eNPS of department IT in November over `people` scores with 2 promoters and 1 detractor:
    # 4 scores (10, 9, 7, 3) → 100 × (2 − 1) / 4 = 25; 5 scores (10, 9, 7, 7, 3) → 100 / 5 = 20.
    count = people or 5
    return value_row(
        "hr.enps",
        NOV,
        100 / count,
        dimension=("department", "IT"),
        numerator=100.0,
        denominator=count,
        sample_size=int(count),
        people_count=people,
    )


@pytest.mark.parametrize(
    ("people", "why"),
    [(4, "4 people: below 5 but not suppressed"), (None, "no people count: not shown to be 5 or more")],
)
def test_an_hr_value_over_fewer_than_5_people_is_refused(tmp_path, people, why):
    refused = pytest.raises(ScorecardBuildError, match="assert_scorecard_hr_values_rest_on_five_people")
    with refused:
        publish_fixture(tmp_path, [_enps_it(people)], as_of=AS_OF, with_tests=True)
    assert not (tmp_path / "published" / "kpis.duckdb").exists(), why


def test_an_hr_value_over_5_people_is_published_without_its_people_count(tmp_path):
    result = publish_fixture(tmp_path, [_enps_it(5)], as_of=AS_OF, with_tests=True)
    with duckdb.connect(str(result.database_path), read_only=True) as reader:
        value = reader.execute(
            "select value from kpi_scorecard where kpi_id = 'hr.enps' and dimension_value = 'IT'"
        ).fetchone()[0]
        assert value == pytest.approx(20.0)
        # kpis.md: the measure behind suppression is never published, in no table or view.
        assert (
            reader.execute(
                "select count(*) from information_schema.columns where column_name = 'people_count'"
            ).fetchone()[0]
            == 0
        )
    for path in (path for path in result.parquet_paths if path.suffix == ".parquet"):
        assert "people_count" not in duckdb.sql(f"select * from read_parquet('{path}') limit 0").columns
    assert "people_count" not in result.html_path.read_text(encoding="utf-8")


SAME_PERIOD_LAST_YEAR = [
    ("month", date(2026, 3, 1), date(2025, 3, 1)),
    ("week", date(2026, 11, 16), date(2025, 11, 17)),  # 2026-W47 → 2025-W47
    ("week", date(2026, 12, 28), None),  # 2026-W53: 2025 has 52 ISO weeks
    ("week", date(2026, 1, 5), date(2025, 1, 6)),  # 2026-W02 → 2025-W02
    ("day", date(2026, 11, 27), date(2025, 11, 27)),
    ("day", date(2028, 2, 29), None),
]


def test_same_period_last_year_start(tmp_path):
    cases = " union all ".join(
        f"select {index} as case_id, '{grain}' as grain, date '{start}' as period_start"
        for index, (grain, start, _) in enumerate(SAME_PERIOD_LAST_YEAR)
    )
    rows = dbt_show(
        f"select case_id, {{{{ same_period_last_year_start('grain', 'period_start') }}}} as last_year "
        f"from ({cases}) as cases order by case_id",
        tmp_path,
    )
    assert [last_year for _, last_year in rows] == [expected for _, _, expected in SAME_PERIOD_LAST_YEAR]


STATUS_CASES = [
    (0.3, 0.3, "higher", "on_track"),
    (0.285, 0.3, "higher", "at_risk"),
    (0.2849, 0.3, "higher", "off_track"),
    (0.315, 0.3, "lower", "at_risk"),
    (None, 0.3, "higher", None),
    (0.2, None, "higher", "no_target"),
    (-1.0, 0.0, "higher", "off_track"),  # a zero target has no at-risk band
]


def test_the_status_macro(tmp_path):
    def literal(number):
        return "null" if number is None else repr(number)

    cases = " union all ".join(
        f"select {index} as case_id, cast({literal(value)} as double) as value, "
        f"cast({literal(target)} as double) as target, '{direction}' as direction"
        for index, (value, target, direction, _) in enumerate(STATUS_CASES)
    )
    rows = dbt_show(
        f"select case_id, {{{{ kpi_status('value', 'target', 'direction') }}}} as status "
        f"from ({cases}) as cases order by case_id",
        tmp_path,
    )
    assert [status for _, status in rows] == [status for *_, status in STATUS_CASES]
