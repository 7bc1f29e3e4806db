"""DDL of the warehouse's raw layer: clean tables, quarantine tables and the file ledger."""

from __future__ import annotations

import duckdb

from dagster_project.ingest.contract import LINEAGE_COLUMNS, TABLES, Table

RAW_SCHEMA = "raw"
QUARANTINE_SCHEMA = "quarantine"
LEDGER_TABLE = f"{RAW_SCHEMA}._file_ledger"


def raw_table_ddl(table: Table) -> str:
    columns = [f'"{column.name}" {column.sql_type}' for column in table.columns]
    columns += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS]
    return f"create table if not exists {RAW_SCHEMA}.{table.raw_table} ({', '.join(columns)})"


def quarantine_table_ddl(table: Table) -> str:
    return (
        f"create table if not exists {QUARANTINE_SCHEMA}.{table.raw_table} ("
        "_source_file varchar, _source_line bigint, _file_id bigint, _batch_id varchar, "
        "_ingested_at timestamptz, original_values varchar, reason varchar)"
    )


LEDGER_DDL = f"""
create table if not exists {LEDGER_TABLE} (
    file_id bigint primary key,      -- ingest order: a higher id was ingested later
    batch_id varchar not null,       -- the ingest run
    source_table varchar not null,   -- contract name, e.g. crm.orders
    file_path varchar not null,      -- below the landing root
    content_hash varchar not null,   -- sha256 of the decompressed bytes
    size_bytes bigint,
    status varchar not null,         -- loaded | duplicate | rejected
    rows_read bigint,
    rows_loaded bigint,
    rows_quarantined bigint,
    message varchar,                 -- why rejected, duplicate of which file, extra columns ignored
    ingested_at timestamptz not null,
    stored_bytes bigint,             -- the file's size and modification time as found, so that an
    modified_ns bigint               -- unchanged file is recognised without reading it again
)
"""
# Ledgers written before stored_bytes and modified_ns existed.
LEDGER_MIGRATION = [
    f"alter table {LEDGER_TABLE} add column if not exists stored_bytes bigint",
    f"alter table {LEDGER_TABLE} add column if not exists modified_ns bigint",
]


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw, quarantine and ledger tables if they are missing."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    con.execute(f"create schema if not exists {QUARANTINE_SCHEMA}")
    con.execute(LEDGER_DDL)
    for statement in LEDGER_MIGRATION:
        con.execute(statement)
    for table in TABLES:
        con.execute(raw_table_ddl(table))
        con.execute(quarantine_table_ddl(table))
    migrate_column_types(con)


def migrate_column_types(con: duckdb.DuckDBPyConnection) -> None:
    """Raw tables written before a column's type changed (`dec` was DOUBLE) take the contract's type.

    A double that came from a decimal text of at most DEC_SCALE places converts back exactly.
    Types are compared as DuckDB names them (TIMESTAMPTZ is 'TIMESTAMP WITH TIME ZONE'): a
    mismatch of spelling alone rewrote every timestamp column of the raw layer in every ingest
    asset. One catalog query for all tables.
    """
    wanted = {
        sql_type: con.execute(f"select typeof(cast(null as {sql_type}))").fetchone()[0]
        for sql_type in {column.sql_type for table in TABLES for column in table.columns}
    }
    found = {
        (table_name, column_name): data_type
        for table_name, column_name, data_type in con.execute(
            "select table_name, column_name, data_type from information_schema.columns where table_schema = ?",
            [RAW_SCHEMA],
        ).fetchall()
    }
    for table in TABLES:
        for column in table.columns:
            current = found.get((table.raw_table, column.name))
            if current is not None and current != wanted[column.sql_type]:
                con.execute(
                    f'alter table {RAW_SCHEMA}.{table.raw_table} alter column "{column.name}" '
                    f"set data type {column.sql_type}"
                )
