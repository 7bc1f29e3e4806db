"""One Dagster asset per contract table: load its new landing files into the raw layer."""

import dagster as dg

from dagster_project import settings
from dagster_project.ingest.contract import TABLES, Table
from dagster_project.ingest.loader import TableLoader
from dagster_project.ingest.raw_schema import create_raw_tables
from dagster_project.warehouse import Warehouse


def raw_asset_key(table: Table) -> dg.AssetKey:
    return dg.AssetKey(["raw", table.raw_table])


def _ingest_asset(table: Table) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_asset_key(table),
        group_name=f"ingest_{table.source}",
        kinds={"duckdb"},
        description=(
            f"Clean rows of `{table.key}` from `<landing>/{table.source}/{table.name}/`; bad rows go to "
            f"`quarantine.{table.raw_table}`, every file to the ledger `raw._file_ledger`."
        ),
        retry_policy=dg.RetryPolicy(max_retries=2, delay=5),
    )
    def ingest(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.connection() as con:
            create_raw_tables(con)
            loader = TableLoader(
                con,
                table,
                settings.landing_dir(),
                settings.as_of(),
                batch_id=context.run_id,
                log=context.log.info,
            )
            results = [r for r in loader.load_new_files() if r.status != "already_ingested"]
            total_rows = con.execute(f"select count(*) from raw.{table.raw_table}").fetchone()[0]
        rejected = [r for r in results if r.status == "rejected"]
        for result in rejected:
            context.log.error(
                f"Rejected {result.file_path}: {result.message}. Fix the file and land it again; "
                "the other files were loaded."
            )
        return dg.MaterializeResult(
            metadata={
                "new_files": len(results),
                "rows_read": sum(r.rows_read for r in results),
                "rows_loaded": sum(r.rows_loaded for r in results),
                "rows_quarantined": sum(r.rows_quarantined for r in results),
                "files_rejected": len(rejected),
                "files_duplicate": sum(r.status == "duplicate" for r in results),
                "raw_rows_total": total_rows,
            }
        )

    return ingest


ingest_assets = [_ingest_asset(table) for table in TABLES]
