"""Build a tiny warehouse for the dbt tests and run dbt against it.

Rows are written straight into the raw tables (`create_raw_tables`), one call per landing
file: the file gets a ledger id (`_file_id`) and every row a physical line (`_source_line`),
so the latest-version rules of the staging models can be exercised without the ingest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.catalog import load_catalog, write_catalog_tables
from dagster_project.ingest.contract import LINEAGE_COLUMNS, TABLES_BY_KEY
from dagster_project.ingest.raw_schema import create_raw_tables

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_models"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"


@dataclass
class RawWriter:
    """Appends rows to raw tables as numbered landing files, like the ingest does."""

    con: duckdb.DuckDBPyConnection
    next_file_id: int = 1
    files: list[str] = field(default_factory=list)

    def file(self, table_key: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert `rows` as one file of `table_key` (e.g. 'crm.orders'); returns its file id."""
        table = TABLES_BY_KEY[table_key]
        file_id = self.next_file_id
        self.next_file_id += 1
        path = f"{table.source}/{table.name}/file_{file_id:03d}.csv"
        self.files.append(path)
        names = [column.name for column in table.columns]
        lineage = [name for name, _ in LINEAGE_COLUMNS]
        placeholders = ", ".join("?" * (len(names) + len(lineage)))
        quoted = ", ".join(f'"{name}"' for name in names + lineage)
        for line, row in enumerate(rows, start=2):
            unknown = set(row) - set(names)
            if unknown:
                raise KeyError(f"{table_key}: no column(s) {sorted(unknown)}")
            values = [row.get(name) for name in names]
            values += [path, line, file_id, "test-batch", "2024-04-10 06:00:00+00", None]
            self.con.execute(f"insert into raw.{table.raw_table} ({quoted}) values ({placeholders})", values)
        return file_id


def new_warehouse(path: Path) -> tuple[duckdb.DuckDBPyConnection, RawWriter]:
    """An empty warehouse with the raw tables and the KPI catalog written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    create_raw_tables(con)
    write_catalog_tables(con, load_catalog())
    return con, RawWriter(con)


def run_dbt(
    args: list[str],
    warehouse: Path,
    as_of: str,
    work_dir: Path,
    extra_env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run dbt on the project against `warehouse`; target and logs stay in `work_dir`.

    `extra_env` adds settings, e.g. KPI_ENGINE=spark with its KPI_LAKE_DIR and KPI_SPARK_DIR.
    """
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "KPI_WAREHOUSE_PATH": str(warehouse),
        "KPI_AS_OF": as_of,
        "KPI_ENGINE": "duckdb",
        **(extra_env or {}),
    }
    command = [
        str(DBT_EXECUTABLE),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)
