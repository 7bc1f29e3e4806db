"""The raw layer as Parquet files, for engines that cannot read the DuckDB file (KPI_ENGINE=spark).

Layout: `<lake>/<schema>/<table>/part-0.parquet`, one folder per table of the schemas the dbt
sources read (`raw`: validated rows with lineage and the file ledger; `catalog`: the KPI
catalog; `quality`: the checks' verdicts, a view). The Spark target registers each folder as an external table (dbt macro
register_lake_sources). A table's folder is written beside the old one and swapped in by
renames, so no reader finds a half-written file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

# The schemas of dbt_models/dbt_project.yml's var lake_schemas.
LAKE_SCHEMAS = ("raw", "catalog", "quality")


def export_to_lake(
    con: duckdb.DuckDBPyConnection, lake: Path, schemas: tuple[str, ...] = LAKE_SCHEMAS
) -> list[str]:
    """Write every table and view of `schemas` to the lake (an empty one too: its file carries the
    schema Spark reads); returns the `schema.table` names written."""
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in (select unnest(?)) "
        "order by all",
        [list(schemas)],
    ).fetchall()
    for schema, table in tables:
        folder = lake / schema / table
        staging = folder.with_name(f".{table}.{os.getpid()}.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        con.execute(
            f"copy (select * from {schema}.\"{table}\") to '{staging / 'part-0.parquet'}' (format parquet)"
        )
        old = folder.with_name(f".{table}.{os.getpid()}.old")
        if folder.exists():
            folder.rename(old)
        staging.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    return [f"{schema}.{table}" for schema, table in tables]


def mirror_spark_tables(con: duckdb.DuckDBPyConnection, spark_dir: Path, schema: str = "main") -> list[str]:
    """Make the Spark target's tables readable where the DuckDB ones were: one view per table over
    its Parquet files (`<spark_dir>/warehouse/<schema>.db/<table>/`), so the quality checks and
    the export read the models Spark built without knowing which engine built them."""
    folder = spark_dir / "warehouse" / f"{schema}.db"
    tables = sorted(path.name for path in folder.iterdir() if path.is_dir()) if folder.is_dir() else []
    con.execute(f"create schema if not exists {schema}")
    # A table of the same name (a DuckDB build into the same file) gives way to the view.
    duckdb_tables = {
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE'",
            [schema],
        ).fetchall()
    }
    for table in tables:
        if table in duckdb_tables:
            con.execute(f'drop table {schema}."{table}"')
        con.execute(f'create or replace view {schema}."{table}" as select * from {parquet_scan(folder / table)}')
    return tables


def parquet_scan(folder: Path) -> str:
    """DuckDB's table expression over the Parquet files of a Spark table: the files in its folder,
    or, for a partitioned table (the incremental facts: `<column>=<value>/` folders), the files of
    every partition, with the partition column read back from the folder names (a date or an
    integer, as Spark wrote it) as the last column, where Spark puts it too."""
    if any(path.is_dir() and "=" in path.name for path in folder.iterdir()):
        return f"read_parquet('{folder}/*/*.parquet', hive_partitioning = true)"
    return f"read_parquet('{folder}/*.parquet')"
