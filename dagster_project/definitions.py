"""The Dagster code location: each domain module brings its own assets."""

import dagster as dg
from dagster_dbt import DbtCliResource

from dagster_project.ingest.assets import ingest_assets
from dagster_project.transform.assets import transform_assets, transform_checks
from dagster_project.transform.project import DBT_EXECUTABLE, dbt_project
from dagster_project.warehouse import Warehouse

full_refresh_job = dg.define_asset_job("full_refresh", selection=dg.AssetSelection.all())

defs = dg.Definitions(
    assets=[*ingest_assets, *transform_assets],
    asset_checks=[*transform_checks],
    jobs=[full_refresh_job],
    resources={
        "warehouse": Warehouse(),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
    },
    # DuckDB has one writer: steps run one after another in the run's process.
    executor=dg.in_process_executor,
)
