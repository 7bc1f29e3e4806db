"""The columns of main.kpi_values (dbt_models/models/marts/kpi_values.sql), in one place.

Two steps read kpi_values: the quality checks (expectations/summaries.py) and the publish step
(dagster_project/publish/scorecard.py). Both refuse a kpi_values without a required column and
read a missing optional one as a null of its type (an older or hand-built kpi_values).
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

# The people an HR value is computed over (kpis.md, Privacy); never published. The publish step
# requires it (its privacy guard refuses HR values without one); the quality checks only check
# that suppressed cells hide it, so they read a missing one as null.
PEOPLE_COUNT = "people_count"
PEOPLE_COUNT_TYPE = "double"
