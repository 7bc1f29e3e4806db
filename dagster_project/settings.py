"""Configuration from environment variables, shared by `make run`, Dagster and the tests.

| variable            | default                    | meaning                                            |
|---------------------|----------------------------|----------------------------------------------------|
| KPI_LANDING_DIR     | data/landing               | where operational extracts arrive                  |
| KPI_WAREHOUSE_PATH  | data/warehouse/kpi.duckdb  | the DuckDB warehouse (raw, staging, marts)         |
| KPI_PUBLISH_DIR     | data/published             | published KPI tables for analysts and BI tools     |
| KPI_AS_OF           | today in Europe/Copenhagen | the date that counts as today (freshness, periods) |
| KPI_DUCKDB_MEMORY_LIMIT | 2GB                    | DuckDB's memory limit (it spills to disk beyond)   |
| KPI_ENGINE          | duckdb                     | the dbt target the models run on: duckdb or spark  |
| KPI_SPARK_DIR       | data/spark                 | the Spark target's tables (Parquet) and metastore  |
| KPI_LAKE_DIR        | data/lake                  | the raw layer as Parquet, which the Spark target reads |
| KPI_SPARK_MASTER    | local[2]                   | the Spark master of the `session` method           |

Relative paths are taken from the project root, so every entry point agrees.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The company's time zone: dbt's `as_of_date` macro takes "today" there too.
LOCAL_TZ = ZoneInfo("Europe/Copenhagen")


# DuckDB's own default is 80 % of the machine's memory, which the pipeline does not need; dbt's
# profile reads the same variable with the same default.
DEFAULT_DUCKDB_MEMORY_LIMIT = "2GB"


def _path(variable: str, default: str) -> Path:
    path = Path(os.environ.get(variable) or default)
    return path if path.is_absolute() else PROJECT_ROOT / path


# The dbt targets of dbt_models/profiles.yml; the profile picks its output by the same variable.
ENGINES = ("duckdb", "spark")


def engine() -> str:
    """`KPI_ENGINE`: the dbt target (and so the engine) the models run on; an unknown one is an error."""
    name = os.environ.get("KPI_ENGINE", "").strip() or "duckdb"
    if name not in ENGINES:
        raise ValueError(f"KPI_ENGINE must be one of {', '.join(ENGINES)}, got {name!r}")
    return name


def spark_dir() -> Path:
    """Where the Spark target keeps its tables (`warehouse/<schema>.db/<table>/`) and its metastore."""
    return _path("KPI_SPARK_DIR", "data/spark")


def lake_dir() -> Path:
    """The raw layer as Parquet (`<schema>/<table>/*.parquet`): what the Spark target reads as sources."""
    return _path("KPI_LAKE_DIR", "data/lake")


def landing_dir() -> Path:
    return _path("KPI_LANDING_DIR", "data/landing")


def warehouse_path() -> Path:
    return _path("KPI_WAREHOUSE_PATH", "data/warehouse/kpi.duckdb")


def publish_dir() -> Path:
    return _path("KPI_PUBLISH_DIR", "data/published")


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for every connection to the warehouse (it spills to disk beyond it)."""
    return os.environ.get("KPI_DUCKDB_MEMORY_LIMIT", "").strip() or DEFAULT_DUCKDB_MEMORY_LIMIT


def today_in_copenhagen(now: datetime | None = None) -> date:
    """The local date in Europe/Copenhagen at `now` (an aware datetime; default: the current instant).

    Not `date.today()`: that is the host's time zone (often UTC on servers), which
    disagrees with dbt's as-of date for an hour or two around local midnight.
    """
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("today_in_copenhagen needs an aware datetime; a naive one is ambiguous")
    return now.astimezone(LOCAL_TZ).date()


def as_of() -> date:
    """`KPI_AS_OF` as a date; a malformed value is an error, not a silent default."""
    text = os.environ.get("KPI_AS_OF", "").strip()
    if not text:
        return today_in_copenhagen()
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"KPI_AS_OF must be an ISO date (YYYY-MM-DD), got {text!r}") from error
