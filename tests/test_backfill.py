"""A backfill of the partitioned facts gives the numbers of a full refresh.

On a small demo dataset: a full refresh, then the stored fact rows of two days are wiped or
corrupted (one ticket of another day is even moved onto them), then the `backfill_facts` job
runs for exactly those two days. Their rows, the whole fact tables and the KPI values built
after must equal the full refresh's; a day outside the range is not touched.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

AS_OF = "2026-11-26"
DAYS = ("2026-09-15", "2026-09-16")  # a Tuesday and a Wednesday: every fact has rows
OUTSIDE = "2026-09-22"

# Each fact with the local date that places a row in a partition.
FACT_DAY = {
    "stg_crm__order_lines": "(select ordered_on from main.stg_crm__orders o where o.order_id = f.order_id)",
    "stg_web__sessions": "f.started_on",
    "stg_helpdesk__tickets": "f.created_on",
    "stg_hr__absences": "f.absence_date",
    "stg_mes__production_runs": "f.shift_date",
}
IN_DAYS = f"between date '{DAYS[0]}' and date '{DAYS[1]}'"
KPI_VALUES = "select * from main.kpi_values order by all"


def _same(row: tuple, other: tuple) -> bool:
    # Sums of doubles depend on the order of the stored rows, which a backfill changes (last digits).
    return len(row) == len(other) and all(
        math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        if isinstance(a, float) and isinstance(b, float)
        else a == b
        for a, b in zip(row, other, strict=True)
    )


def _assert_same_kpi_values(rows: list[tuple], expected: list[tuple]) -> None:
    assert len(rows) == len(expected)
    differing = [(row, other) for row, other in zip(rows, expected, strict=True) if not _same(row, other)]
    assert not differing, differing[:3]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tools.demo_data import generate

    root = tmp_path_factory.mktemp("backfill")
    generate(root / "landing", seed=7, start=date(2026, 6, 1), end=date.fromisoformat(AS_OF), scale=0.05)
    return root


@pytest.fixture
def env(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KPI_LANDING_DIR", str(project / "landing"))
    monkeypatch.setenv("KPI_WAREHOUSE_PATH", str(project / "warehouse" / "kpi.duckdb"))
    monkeypatch.setenv("KPI_PUBLISH_DIR", str(project / "published"))
    monkeypatch.setenv("KPI_QUALITY_DIR", str(project / "quality"))
    monkeypatch.setenv("KPI_AS_OF", AS_OF)
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    return project / "warehouse" / "kpi.duckdb"


def _rows(con: duckdb.DuckDBPyConnection, model: str, where: str = "true") -> list[tuple]:
    return con.sql(f"select f.* from main.{model} f where {where} order by all").fetchall()


def _day_rows(con: duckdb.DuckDBPyConnection, when: str) -> dict[str, list[tuple]]:
    return {model: _rows(con, model, f"{day} {when}") for model, day in FACT_DAY.items()}


def _snapshot(warehouse: Path) -> dict[str, object]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            "days": _day_rows(con, IN_DAYS),
            "tables": {model: _rows(con, model) for model in FACT_DAY},
            "kpi_values": con.sql(KPI_VALUES).fetchall(),
        }


def _backfill(job: dg.JobDefinition, **kwargs: object) -> dg.ExecuteInProcessResult:
    return job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        tags={"dagster/asset_partition_range_start": DAYS[0], "dagster/asset_partition_range_end": DAYS[1]},
        **kwargs,
    )


def test_a_backfill_of_two_days_equals_the_full_refresh_of_those_days(env: Path):
    from dagster_project.definitions import defs
    from dagster_project.transform.assets import dbt_fact_models
    from dagster_project.transform.project import dbt_resource
    from dagster_project.warehouse import Warehouse

    assert (
        defs.resolve_job_def("full_refresh")
        .execute_in_process(instance=dg.DagsterInstance.ephemeral())
        .success
    )
    full = _snapshot(env)
    for model, rows in full["days"].items():
        assert rows, f"{model} has no rows on {DAYS}: pick other days"

    with duckdb.connect(str(env)) as con:
        # Wipe the first day, corrupt the second, and move a ticket of another day onto it.
        for model, day in FACT_DAY.items():
            con.execute(f"delete from main.{model} f where {day} = date '{DAYS[0]}'")
        con.execute(f"update main.stg_web__sessions set pageviews = -1 where started_on = date '{DAYS[1]}'")
        con.execute(
            f"update main.stg_hr__absences set hours = hours + 99 where absence_date = date '{DAYS[1]}'"
        )
        con.execute(
            "update main.stg_helpdesk__tickets set created_on = date '2026-09-16', contacts_count = 42 "
            "where ticket_id = (select min(ticket_id) from main.stg_helpdesk__tickets "
            f"where created_on = date '{OUTSIDE}')"
        )
        assert _day_rows(con, IN_DAYS) != full["days"]

    result = _backfill(defs.resolve_job_def("backfill_facts"))
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert dg.AssetKey(["stg_web__sessions"]) in materialized
    assert dg.AssetKey(["kpi_values"]) in materialized

    after = _snapshot(env)
    assert after["days"] == full["days"]
    assert after["tables"] == full["tables"]  # the moved ticket is back on its own day
    _assert_same_kpi_values(after["kpi_values"], full["kpi_values"])

    # Only the partition's days are rebuilt: a corrupted row of another day stays as it is.
    with duckdb.connect(str(env)) as con:
        con.execute(f"update main.stg_web__sessions set pageviews = -1 where started_on = date '{OUTSIDE}'")
    single_day = dg.materialize(
        [dbt_fact_models],
        # The dbt steps take the warehouse too (on KPI_ENGINE=spark they write the lake from it).
        resources={"dbt": dbt_resource(), "warehouse": Warehouse()},
        partition_key=DAYS[0],
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert single_day.success
    with duckdb.connect(str(env), read_only=True) as con:
        assert _rows(con, "stg_web__sessions", f"started_on = date '{OUTSIDE}' and pageviews = -1")
        assert _day_rows(con, IN_DAYS) == full["days"]
