"""Dagster asset of the export: the KPI product in KPI_PUBLISH_DIR (`published_kpis`).

A thin wrapper around `dagster_project.publish.publish.publish`; see that module for what is
written and how it is swapped in. Its inputs are the dbt models of dbt_models/models/scorecard/.
"""

from datetime import timedelta

import dagster as dg

from dagster_project import settings
from dagster_project.catalog import load_catalog, tightest_freshness_limit
from dagster_project.warehouse import Warehouse

# The published files; the quality checks of the published outputs attach to this key.
PUBLISHED_KEY = dg.AssetKey(["published_kpis"])
# The dbt models the export reads.
MODEL_KEYS = [
    dg.AssetKey([name])
    for name in ("kpi_scorecard", "kpi_flags", "kpi_catalog_entries", "kpi_definition_history")
]


class PublishConfig(dg.Config):
    # A full refresh and the weekly check write the file whole; a daily run patches the last one.
    write_whole: bool = False


# The scorecard shows every KPI, so it must be as fresh as the most demanding one.
_FRESHNESS_HOURS = tightest_freshness_limit(load_catalog())


@dg.asset(
    key=PUBLISHED_KEY,
    group_name="publish",
    deps=MODEL_KEYS,
    kinds={"duckdb", "parquet", "html"},
    freshness_policy=(
        dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=_FRESHNESS_HOURS))
        if _FRESHNESS_HOURS
        else None
    ),
    description=(
        "The dbt models kpi_scorecard and kpi_flags worded (guardrail flag sentences, commentary in "
        "Danish and English) and published to `<KPI_PUBLISH_DIR>`: kpis.duckdb (swapped in "
        "atomically, DuckDB 1.x readable), parquet/*.parquet and scorecard.html."
    ),
)
def published_kpis(
    context: dg.AssetExecutionContext, config: PublishConfig, warehouse: Warehouse
) -> dg.MaterializeResult:
    from dagster_project.publish.publish import publish

    with warehouse.connection() as con:
        result = publish(
            con,
            settings.publish_dir(),
            run_id=context.run.run_id,
            whole=config.write_whole,
        )
    summary = result.summary
    how = f"written whole ({summary.why_whole})" if summary.why_whole else "the last published file patched"
    context.log.info(
        f"Published {summary.rows} rows of {summary.kpis} KPIs, {how}; "
        f"{summary.rows_written} rows worded in Danish and English and written"
    )
    return dg.MaterializeResult(
        metadata={
            "database": dg.MetadataValue.path(str(result.database_path)),
            "scorecard_html": dg.MetadataValue.path(str(result.html_path)),
            "rows": summary.rows,
            "kpis": summary.kpis,
            "flagged_rows": summary.flagged_rows,
            **{f"flags_{name}": count for name, count in summary.flag_counts.items()},
            "rows_written": summary.rows_written,
            "written_whole_because": summary.why_whole or "patched",
            "as_of": str(result.as_of),
            "computed_at": result.computed_at.isoformat(),
        }
    )


@dg.asset_check(
    asset=PUBLISHED_KEY,
    description="kpis.duckdb opens read-only, is DuckDB 1.x readable and publishes no suppressed HR number.",
)
def published_file_is_safe_to_read() -> dg.AssetCheckResult:
    from dagster_project.publish.checks import check_published_database
    from dagster_project.publish.publish import DATABASE_FILE

    problems = check_published_database(settings.publish_dir() / DATABASE_FILE)
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={"problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none")},
    )


publish_assets = [published_kpis]
publish_checks = [published_file_is_safe_to_read]
