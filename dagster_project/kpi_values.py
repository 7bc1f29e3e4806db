"""The columns of main.kpi_values (dbt_models/models/marts/kpi_values.sql), in one place.

The quality checks (dagster_project/quality/summaries.py) read kpi_values through these: they refuse a
kpi_values without a required column and read a missing optional one as a null of its type (an
older or hand-built kpi_values). Everything downstream of kpi_values is a dbt model.
"""

from __future__ import annotations

KPI_VALUES_RELATION = "main.kpi_values"

# One row per these.
KEY_COLUMNS = ("kpi_id", "grain", "period_start", "dimension_name", "dimension_value")

REQUIRED_COLUMNS = (
    "kpi_id",
    "grain",
    "period_start",
    "period_end",
    "dimension_name",
    "dimension_value",
    "value",
    "numerator",
    "denominator",
    "is_complete_period",
    "is_provisional",
    "null_reason",
)

# Column name -> the type a missing one is read as.
OPTIONAL_COLUMNS: dict[str, str] = {
    "definition_version": "varchar",
    "as_of_date": "date",
    "sample_size": "bigint",
}

# The people an HR value is computed over (kpis.md, Privacy); never published. The dbt test
# assert_scorecard_hr_values_rest_on_five_people requires it; the quality checks only check that
# suppressed cells hide it, so they read a missing one as null.
PEOPLE_COUNT = "people_count"
PEOPLE_COUNT_TYPE = "double"
