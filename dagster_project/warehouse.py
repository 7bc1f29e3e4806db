"""The one DuckDB warehouse file every step writes to, as a Dagster resource."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project import settings

# Every step that opens the warehouse read-write claims this pool; dagster.yaml limits it to one
# slot, so steps of concurrent runs (a backfill, the sensor's run) wait instead of hitting the lock.
DUCKDB_POOL = "duckdb_warehouse"


def connect(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-write connection; creates the folder of a new warehouse."""
    path = path or settings.warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path))


class Warehouse(dg.ConfigurableResource):
    """DuckDB allows one writer process: steps share this path and run one at a time."""

    path: str = ""

    @property
    def resolved_path(self) -> Path:
        return Path(self.path) if self.path else settings.warehouse_path()

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect(self.resolved_path)
        try:
            yield con
        finally:
            con.close()
