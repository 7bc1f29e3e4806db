"""The raw layer as Parquet files, for engines that cannot read the DuckDB file (KPI_ENGINE=spark).

Layout: `<lake>/<schema>/<table>/`, one folder per table of the schemas the dbt sources read
(`raw`: validated rows with lineage and the file ledger; `catalog`: the KPI catalog; `quality`:
the checks' verdicts, a view). The Spark target registers each folder as an external table
(dbt macro register_lake_sources). The rows of a source gain a file per batch of new files
(`batch-<first file id>-<last file id>.parquet`); other tables are one `part-0.parquet`, their
folder written beside the old one and swapped in by renames. No reader finds a half-written
file.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import duckdb

from dagster_project.ingest.raw_schema import LEDGER_TABLE

# The schemas of dbt_models/dbt_project.yml's var lake_schemas.
LAKE_SCHEMAS = ("raw", "catalog", "quality")
_BATCH_FILE = re.compile(r"batch-(\d+)-(\d+)\.parquet")


def export_to_lake(
    con: duckdb.DuckDBPyConnection, lake: Path, schemas: tuple[str, ...] = LAKE_SCHEMAS
) -> list[str]:
    """Bring the lake up to date with every table and view of `schemas` (an empty one too: its
    file carries the schema Spark reads); returns the `schema.table` names.

    The validated rows of a source (a table with a `_file_id` column) only ever grow, file by
    file, so their folder gains one file per export with the rows of the files it does not hold
    yet, `batch-<first file id>-<last file id>.parquet`: a daily run writes its new day, not the
    history. Every other table (the ledger, the catalog, the verdicts) is small and written
    whole.
    """
    tables = con.execute(
        "select table_schema, table_name, "
        "bool_or(column_name = '_file_id') from information_schema.columns "
        "where table_schema in (select unnest(?)) "
        "group by all order by all",
        [list(schemas)],
    ).fetchall()
    # File ids name the same files in the lake and the warehouse only while the ledgers agree
    # (read before this export rewrites the lake's ledger).
    extendable = _ledgers_agree(con, lake)
    for schema, table, by_file in tables:
        folder = lake / schema / table
        relation = f'{schema}."{table}"'
        if not (by_file and extendable and _append_new_files(con, relation, folder)):
            _write_whole(con, relation, folder, by_file)
    return [f"{schema}.{table}" for schema, table, _ in tables]


def _ledgers_agree(con: duckdb.DuckDBPyConnection, lake: Path) -> bool:
    """Every file the lake's ledger lists is in the warehouse's ledger under the same id and
    content: the lake's batch files hold rows of those files."""
    schema, table = LEDGER_TABLE.split(".")
    files = sorted((lake / schema / table).glob("*.parquet"))
    if not files:
        return False
    try:
        (differing,) = con.execute(
            "select count(*) from (select file_id, content_hash from read_parquet(?) "
            f"except select file_id, content_hash from {LEDGER_TABLE})",
            [[str(path) for path in files]],
        ).fetchone()
    except duckdb.Error:  # no ledger in the warehouse, or one of another shape
        return False
    return differing == 0


def _append_new_files(con: duckdb.DuckDBPyConnection, relation: str, folder: Path) -> bool:
    """Add the rows of the files the lake folder does not hold yet, as one more batch file;
    False when the folder cannot be extended: a first export, a file not written here, or
    rows that differ from the warehouse's (a warehouse built anew numbers its files anew)."""
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    batches = [_BATCH_FILE.fullmatch(path.name) for path in files]
    if not files or not all(batches):
        return False
    highest = max(int(batch.group(2)) for batch in batches)
    (in_lake,) = con.execute(
        "select count(*) from read_parquet(?)", [[str(path) for path in files]]
    ).fetchone()
    (stored,) = con.execute(f"select count(*) from {relation} where _file_id <= ?", [highest]).fetchone()
    if in_lake != stored:
        return False
    first, last = con.execute(
        f"select min(_file_id), max(_file_id) from {relation} where _file_id > ?", [highest]
    ).fetchone()
    if first is not None:
        target = folder / f"batch-{first}-{last}.parquet"
        # A hidden name until complete: Spark and DuckDB skip files whose name starts with a dot.
        staging = folder / f".{target.name}.{os.getpid()}.tmp"
        con.execute(
            f"copy (select * from {relation} where _file_id > {int(highest)}) to '{staging}' (format parquet)"
        )
        staging.rename(target)
    return True


def _write_whole(con: duckdb.DuckDBPyConnection, relation: str, folder: Path, by_file: bool) -> None:
    """The table as one file in a folder written beside the old one and swapped in by renames."""
    name = "part-0.parquet"
    if by_file:
        first, last = con.execute(f"select min(_file_id), max(_file_id) from {relation}").fetchone()
        name = f"batch-{first}-{last}.parquet" if first is not None else "empty.parquet"
    staging = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    con.execute(f"copy (select * from {relation}) to '{staging / name}' (format parquet)")
    old = folder.with_name(f".{folder.name}.{os.getpid()}.old")
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


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
        con.execute(
            f'create or replace view {schema}."{table}" as select * from {parquet_scan(folder / table)}'
        )
    return tables


def parquet_scan(folder: Path) -> str:
    """DuckDB's table expression over the Parquet files of a Spark table: the files in its folder,
    or, for a partitioned table (the incremental facts: `<column>=<value>/` folders), the files of
    every partition, with the partition column read back from the folder names (a date or an
    integer, as Spark wrote it) as the last column, where Spark puts it too."""
    if any(path.is_dir() and "=" in path.name for path in folder.iterdir()):
        return f"read_parquet('{folder}/*/*.parquet', hive_partitioning = true)"
    return f"read_parquet('{folder}/*.parquet')"
