"""A daily run rebuilds only the periods its inputs touched, and gives a full refresh's numbers.

The KPI marts are incremental on DuckDB (dbt_models/macros/incremental_marts.sql): a run
computes again every row from the earliest month whose input checksum changed, or from the
month of the previous or current as-of date less the function's provisional window. These
tests build the golden warehouse (as-of 2024-04-10), then:

- late files that reach KPIs only through a foreign key or another table: a customer changes
  segment (retention by segment of the periods after her orders), a product changes category
  (revenue by category of every order with a line of it), a machine moves to another
  line (every run of it), an old ticket gets a CSAT survey (its resolved week's coverage), a
  lead converts a customer whose orders were placed before (ROAS re-attributes them); and the
  as-of date moves three days on;
- a run with nothing new;

and compare kpi_values, row for row, with a full refresh of the same raw rows and as-of date.
Where each mart's rebuild started is worked out from the rules and the fixture's dates.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.dbt_fixtures.golden_rows import AS_OF, write_golden_rows
from tests.dbt_fixtures.warehouse import RawWriter, new_warehouse, run_dbt

KPI_VALUES = "select * from main.kpi_values order by all"
MARTS = ("fct_sales_kpis", "fct_marketing_kpis", "fct_hr_kpis", "fct_production_kpis", "fct_cs_kpis")
LATER_AS_OF = "2024-04-13"


def _query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def _rebuilt_from(path: Path) -> dict[str, date]:
    """Each mart's rebuilt_from of its last run (the rows that run wrote carry the latest)."""
    return {mart: _query(path, f"select max(rebuilt_from) from main.{mart}")[0][0] for mart in MARTS}


def _run(args: list[str], path: Path, as_of: str, work_dir: Path) -> str:
    result = run_dbt(args, path, as_of, work_dir)
    assert result.returncode == 0, result.stdout[-5000:]
    return result.stdout


def _late_files(path: Path) -> None:
    con = duckdb.connect(str(path))
    late = RawWriter(con, next_file_id=100)
    late.file(
        "crm.customers",
        [
            {
                "customer_id": "C1",
                "segment": "mid_market",
                "region": "north",
                "created_at": "2024-01-05T09:00:00+01:00",
            }
        ],
    )
    late.file(
        "crm.products",
        [{"product_id": "P1", "product_name": "Widget", "category": "gadgets", "unit_cost": 1.0}],
    )
    late.file("mes.machines", [{"machine_id": "M2", "line_id": "L1", "site": "odense"}])
    late.file("helpdesk.csat_surveys", [{"ticket_id": "T5", "surveyed_at": "2024-03-28T13:00:00+01:00"}])
    late.file(
        "marketing.leads",
        [
            {
                "lead_id": "L9",
                "created_at": "2024-02-01T10:00:00+01:00",
                "channel": "email",
                "campaign_id": "K1",
                "converted_customer_id": "C1",
                "converted_at": "2024-02-20T10:00:00+01:00",
            }
        ],
    )
    con.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    work_dir = tmp_path_factory.mktemp("dbt_incremental_marts")
    path = work_dir / "kpi.duckdb"
    con, raw = new_warehouse(path)
    write_golden_rows(raw)
    con.close()
    _run(["run"], path, AS_OF, work_dir)
    first = _query(path, KPI_VALUES)

    _run(["run"], path, AS_OF, work_dir)
    nothing_new = _query(path, KPI_VALUES)
    nothing_new_from = _rebuilt_from(path)

    _late_files(path)
    _run(["run"], path, LATER_AS_OF, work_dir)
    late = _query(path, KPI_VALUES)
    late_from = _rebuilt_from(path)

    _run(["run", "--full-refresh"], path, LATER_AS_OF, work_dir)
    return {
        "first": first,
        "nothing_new": nothing_new,
        "nothing_new_from": nothing_new_from,
        "late": late,
        "late_from": late_from,
        "full_refresh": _query(path, KPI_VALUES),
        "full_refresh_from": _rebuilt_from(path),
    }


def test_a_run_with_nothing_new_keeps_every_value(runs):
    assert runs["nothing_new"] == runs["first"]


def test_a_run_with_nothing_new_rebuilds_only_the_as_of_month_and_provisional_windows(runs):
    # As-of 2024-04-10: month 2024-04; marketing and HR have 90-day provisional KPIs (lead to
    # customer, early attrition): 2024-04-10 - 90 days = 2024-01-11, month 2024-01.
    assert runs["nothing_new_from"] == {
        "fct_sales_kpis": date(2024, 4, 1),
        "fct_marketing_kpis": date(2024, 1, 1),
        "fct_hr_kpis": date(2024, 1, 1),
        "fct_production_kpis": date(2024, 4, 1),
        "fct_cs_kpis": date(2024, 4, 1),
    }


def test_late_files_through_foreign_keys_give_the_numbers_of_a_full_refresh(runs):
    assert runs["late"] != runs["first"]
    assert runs["late"] == runs["full_refresh"]


def test_late_files_rebuild_from_the_month_they_change(runs):
    late_from = runs["late_from"]
    # P1's new category: its lines are on O1, O2 (March) and O4 (15 February). C1's new segment
    # changes April's retention (her orders are in March; retention is monthly).
    assert late_from["fct_sales_kpis"] == date(2024, 2, 1)
    # The lead L9 was created in February and re-attributes C1's March orders (ROAS), but the
    # provisional window from the earlier as-of date starts before both.
    assert late_from["fct_marketing_kpis"] == date(2024, 1, 1)
    # T5 was created and resolved on 28 March: the coverage of its week and month.
    assert late_from["fct_cs_kpis"] == date(2024, 3, 1)
    # M2's only run (R2) was on 31 March: line L2's and L1's March onwards.
    assert late_from["fct_production_kpis"] == date(2024, 3, 1)
    # HR: nothing new, its 90-day window from the earlier as-of date.
    assert late_from["fct_hr_kpis"] == date(2024, 1, 1)
    assert all(rebuilt == date(1, 1, 1) for rebuilt in runs["full_refresh_from"].values())
