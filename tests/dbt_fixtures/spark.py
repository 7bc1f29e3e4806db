"""Build the dbt project on Apache Spark in local mode (the `spark` target, KPI_ENGINE=spark).

The raw rows come from a DuckDB warehouse written as the DuckDB tests write it; they reach
Spark as Parquet in a lake folder (dagster_project/lake.py), as in a real run. Spark keeps
its tables as Parquet under `<spark_dir>/warehouse/<schema>.db/<table>/`, which DuckDB reads
back for the comparisons.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import duckdb

from dagster_project.lake import export_to_lake, parquet_scan
from tests.dbt_fixtures.warehouse import run_dbt


def spark_unavailable_reason() -> str | None:
    """Why Spark cannot start on this machine, or None when it can."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed in this environment: run `make setup` (pyproject.toml pins pyspark)"
    if shutil.which("java") is None:
        return (
            "no `java` on PATH: pyspark needs a Java 17 runtime; `make setup` installs "
            "openjdk-17-jre-headless with apt-get (as root or through sudo)"
        )
    return None


def spark_env(lake: Path, spark_dir: Path) -> dict[str, str]:
    """The settings of the spark target for a few hundred rows: two cores, one shuffle partition,
    no adaptive execution or whole-stage code generation (planning, not work, is the cost here)."""
    return {
        "KPI_ENGINE": "spark",
        "KPI_LAKE_DIR": str(lake),
        "KPI_SPARK_DIR": str(spark_dir),
        "KPI_SPARK_MASTER": "local[2]",
        "KPI_SPARK_SHUFFLE_PARTITIONS": "1",
        "KPI_SPARK_ADAPTIVE": "false",
        "KPI_SPARK_CODEGEN": "false",
    }


def write_lake(warehouse: Path, lake: Path) -> list[str]:
    """The raw and catalog tables of a DuckDB warehouse as Parquet in `lake`."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return export_to_lake(con, lake)


def run_dbt_spark(
    args: list[str],
    warehouse: Path,
    lake: Path,
    spark_dir: Path,
    as_of: str,
    work_dir: Path,
    extra_env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run dbt on the spark target; `warehouse` is only the DuckDB path the profile names.
    `extra_env` adds settings (e.g. KPI_TESTED_BATCHES of a daily run)."""
    env = {**spark_env(lake, spark_dir), **(extra_env or {})}
    return run_dbt(args, warehouse, as_of, work_dir, extra_env=env)


def spark_table(spark_dir: Path, name: str, schema: str = "main") -> str:
    """A DuckDB table expression over the Parquet files of a Spark table (partitioned or not)."""
    return parquet_scan(spark_dir / "warehouse" / f"{schema}.db" / name)
