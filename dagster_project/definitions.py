"""The Dagster code location: each domain module brings its own assets."""

import dagster as dg

from dagster_project.ingest.assets import ingest_assets
from dagster_project.warehouse import Warehouse

full_refresh_job = dg.define_asset_job("full_refresh", selection=dg.AssetSelection.all())

defs = dg.Definitions(
    assets=[*ingest_assets],
    jobs=[full_refresh_job],
    resources={"warehouse": Warehouse()},
    # DuckDB has one writer: steps run one after another in the run's process.
    executor=dg.in_process_executor,
)
