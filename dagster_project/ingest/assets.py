"""One Dagster asset per contract table: load its new landing files into the raw layer."""

from datetime import timedelta
from pathlib import Path

import dagster as dg

from dagster_project import settings
from dagster_project.catalog import freshness_limits_by_source, load_catalog
from dagster_project.ingest.contract import TABLES, Table
from dagster_project.ingest.loader import TableLoader
from dagster_project.ingest.raw_schema import create_raw_tables
from dagster_project.warehouse import Warehouse


def raw_asset_key(table: Table) -> dg.AssetKey:
    return dg.AssetKey(["raw", table.raw_table])


def ingest_failure_message(table: Table, failed_file: Path | None, error: Exception) -> str:
    """What failed (asset, file), why, and what to do; rejected files never get here."""
    where = f" while loading {failed_file}" if failed_file else ""
    return (
        f"Ingest asset raw/{table.raw_table} failed{where}: {type(error).__name__}: {error}\n"
        "Batches of files committed before it stay and are skipped on the next run; its own batch was "
        "rolled back whole and is read again. "
        "If the warehouse is locked, close the other process that has it open (a DuckDB shell, a notebook) "
        "and re-execute the asset; otherwise look at the file and the ledger "
        "(select * from raw._file_ledger order by file_id desc)."
    )


def freshness_policy(table: Table, limits: dict[str, int]) -> dg.FreshnessPolicy | None:
    """Stale when not loaded within the tightest limit of the KPIs reading the table; none if unread."""
    hours = limits.get(table.key)
    return dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=hours)) if hours else None


def _ingest_asset(table: Table, limits: dict[str, int]) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_asset_key(table),
        group_name=f"ingest_{table.source}",
        kinds={"duckdb"},
        description=(
            f"Clean rows of `{table.key}` from `<landing>/{table.source}/{table.name}/`; bad rows go to "
            f"`quarantine.{table.raw_table}`, every file to the ledger `raw._file_ledger`."
        ),
        retry_policy=dg.RetryPolicy(max_retries=2, delay=5),
        freshness_policy=freshness_policy(table, limits),
    )
    def ingest(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        loader = None
        try:
            with warehouse.connection() as con:
                create_raw_tables(con)
                loader = TableLoader(
                    con,
                    table,
                    settings.landing_dir(),
                    settings.as_of(),
                    batch_id=context.run.run_id,
                    log=context.log.info,
                )
                results = [r for r in loader.load_new_files() if r.status != "already_ingested"]
                total_rows = con.execute(f"select count(*) from raw.{table.raw_table}").fetchone()[0]
        except Exception as error:
            failed_file = loader.current_file if loader else None
            raise dg.Failure(description=ingest_failure_message(table, failed_file, error)) from error
        for result in results:
            if result.status == "not_settled":
                context.log.warning(f"{result.file_path}: {result.message}")
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
                "files_not_settled": sum(r.status == "not_settled" for r in results),
                "raw_rows_total": total_rows,
            }
        )

    return ingest


_LIMITS = freshness_limits_by_source(load_catalog())
ingest_assets = [_ingest_asset(table, _LIMITS) for table in TABLES]
