"""The incremental staging models give the numbers of a full refresh.

A first `dbt run` builds the golden warehouse; then late files arrive: an updated version of
a ticket of an old period, a new line of an old order and a new ticket. The incremental run
must count the updated ticket once, in its new version, exactly as a full refresh does.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.dbt_fixtures.golden_rows import AS_OF, new_golden_warehouse
from tests.dbt_fixtures.warehouse import RawWriter, run_dbt

KPI_VALUES = "select * from main.kpi_values order by all"


def _snapshot(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(KPI_VALUES).fetchall()
    finally:
        con.close()


def _value(path: Path, kpi_id: str, grain: str, period_start: str) -> float | None:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "select value from main.kpi_values where kpi_id = ? and grain = ? "
            "and period_start = ? and dimension_name = 'total'",
            [kpi_id, grain, period_start],
        ).fetchone()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    work_dir = tmp_path_factory.mktemp("dbt_incremental")
    path = work_dir / "kpi.duckdb"
    new_golden_warehouse(path)

    first = run_dbt(["run"], path, AS_OF, work_dir)
    assert first.returncode == 0, first.stdout[-5000:]
    before = _snapshot(path)

    con = duckdb.connect(str(path))
    late = RawWriter(con, next_file_id=100)
    late.file(
        "helpdesk.tickets",
        [
            # T5 (resolved 2024-03-28) turns out to have needed 3 contacts.
            {
                "ticket_id": "T5",
                "channel": "email",
                "category": "billing",
                "agent_team": "team1",
                "created_at": "2024-03-28T10:00:00+01:00",
                "first_response_at": "2024-03-28T10:10:00+01:00",
                "resolved_at": "2024-03-28T12:00:00+01:00",
                "contacts_count": 3,
                "reopened_count": 0,
            },
            {
                "ticket_id": "T9",
                "channel": "phone",
                "category": "tech",
                "agent_team": "team1",
                "created_at": "2024-04-09T09:00:00+02:00",
                "contacts_count": 1,
                "reopened_count": 0,
            },
        ],
    )
    late.file(
        "crm.order_lines",
        [
            {
                "order_id": "O4",
                "line_number": 2,
                "product_id": "P2",
                "quantity": 1,
                "unit_price": 7.0,
                "discount_pct": 0.0,
            }
        ],
    )
    con.close()

    incremental = run_dbt(["run"], path, AS_OF, work_dir)
    assert incremental.returncode == 0, incremental.stdout[-5000:]
    after_incremental = _snapshot(path)
    values = {
        "fcr_week": _value(path, "cs.first_contact_resolution", "week", "2024-03-25"),
        "revenue_february": _value(path, "sales.revenue", "month", "2024-02-01"),
        "contacts_april_9": _value(path, "cs.contact_volume", "day", "2024-04-09"),
    }

    full = run_dbt(["run", "--full-refresh"], path, AS_OF, work_dir)
    assert full.returncode == 0, full.stdout[-5000:]
    return {
        "before": before,
        "incremental": after_incremental,
        "full_refresh": _snapshot(path),
        "values": values,
        "log": incremental.stdout,
    }


def test_incremental_run_gives_the_numbers_of_a_full_refresh(runs):
    assert runs["incremental"] != runs["before"]
    assert runs["incremental"] == runs["full_refresh"]


def test_late_update_of_an_old_ticket_is_counted_once_in_its_new_version(runs):
    # Week 2024-03-25: T5 now has 3 contacts, T1 is still first-contact resolved -> 1 / 2.
    assert runs["values"]["fcr_week"] == pytest.approx(0.5)
    # February: O4 500 + its late line 7.
    assert runs["values"]["revenue_february"] == pytest.approx(507)
    assert runs["values"]["contacts_april_9"] == 1


def test_big_facts_are_built_incrementally(runs):
    log = runs["log"]
    for model in (
        "stg_crm__order_lines",
        "stg_web__sessions",
        "stg_helpdesk__tickets",
        "stg_hr__absences",
        "stg_mes__production_runs",
    ):
        assert f"incremental model main.{model}" in log, model
