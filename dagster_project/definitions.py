"""The Dagster code location: each domain module brings its own assets."""

import dagster as dg

from dagster_project.ingest.assets import ingest_assets
from dagster_project.jobs import (
    backfill_facts_job,
    daily_job,
    daily_schedule,
    full_refresh_job,
    landing_sensor,
    weekly_check_job,
    weekly_check_schedule,
)
from dagster_project.publish.assets import publish_assets, publish_checks
from dagster_project.quality.checks import quality_checks
from dagster_project.transform.assets import transform_assets, transform_checks
from dagster_project.transform.project import dbt_resource
from dagster_project.warehouse import Warehouse

defs = dg.Definitions(
    assets=[*ingest_assets, *transform_assets, *publish_assets],
    asset_checks=[*transform_checks, *quality_checks, *publish_checks],
    jobs=[full_refresh_job, daily_job, weekly_check_job, backfill_facts_job],
    schedules=[daily_schedule, weekly_check_schedule],
    sensors=[landing_sensor],
    resources={
        "warehouse": Warehouse(),
        "dbt": dbt_resource(),
    },
    # DuckDB has one writer: steps run one after another in the run's process.
    executor=dg.in_process_executor,
)
