"""A daily run rebuilds only the periods its inputs touched, and gives a full refresh's numbers.

The KPI marts are incremental on DuckDB (dbt_models/macros/incremental_marts.sql): a run
computes again the rows of the months whose input checksum changed, of the previous and current
as-of date, of the months whose provisional flags the move of the as-of date turns, and for
LTV the 11 months after a changed one. These tests build the golden warehouse (as-of
2024-04-10), then:

- late files that reach KPIs only through a foreign key or another table: a customer changes
  segment (retention by segment of the periods after her orders), a product changes category
  (revenue by category of every order with a line of it), a machine moves to another
  line (every run of it), an old ticket gets a CSAT survey (its resolved week's coverage), a
  lead converts a customer whose orders were placed before (ROAS re-attributes them); and the
  as-of date moves three days on;
- a run with nothing new;

and compare kpi_values, row for row, with a full refresh of the same raw rows and as-of date.
Which months each mart rebuilt is worked out from the rules and the fixture's dates.

The annotated values behind the scorecard (int_kpi_values_annotated) are incremental per KPI
and month (dbt_models/macros/incremental_scorecard.sql): a KPI's changed month rebuilds itself,
the next month and the months 12 and 13 later, and every KPI's as-of month is rebuilt; which
months, per KPI, is worked out here from the kpi_values rows before and after. The published
scorecard and flags are compared with the full refresh's too.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.dbt_fixtures.golden_rows import AS_OF, new_golden_warehouse
from tests.dbt_fixtures.warehouse import RawWriter, run_dbt

KPI_VALUES = "select * from main.kpi_values order by all"
MARTS = ("fct_sales_kpis", "fct_marketing_kpis", "fct_hr_kpis", "fct_production_kpis", "fct_cs_kpis")
LATER_AS_OF = "2024-04-13"
# The scorecard's values and flags, without what records a build (the as-of date a row was
# computed at, the months its run rebuilt, its checksum) and without the computation time.
ANNOTATED = (
    "select * exclude (rebuilt_months, built_as_of, inputs_checksum, scorecard_version) "
    "from main.int_kpi_values_annotated order by all"
)
SCORECARD = "select * exclude (computed_at, built_as_of) from main.kpi_scorecard order by all"
# kpi_values as the annotated values read it: without the as-of date.
ANNOTATED_INPUTS = "select * exclude (as_of_date) from main.kpi_values"
FLAGS = "select * from main.kpi_flags order by all"


def _query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def _rebuilt_months(path: Path) -> dict[str, list[date]]:
    """The months each mart's last run rebuilt (the row that ends last is that run's)."""
    return {
        mart: _query(path, f"select arg_max(rebuilt_months, period_end) from main.{mart}")[0][0]
        for mart in MARTS
    }


def _annotated_rebuilt_months(path: Path) -> dict[str, list[date]]:
    """Per KPI, the months the last run of the annotated values rebuilt (its rows that end last
    are that run's: every run rebuilds the as-of month)."""
    return dict(
        _query(
            path,
            "select kpi_id, arg_max(rebuilt_months, period_end) from main.int_kpi_values_annotated group by kpi_id",
        )
    )


def _add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _expected_annotated_months(
    before: list[tuple], after: list[tuple], kpis: set[str]
) -> dict[str, list[date]]:
    """The rule, from the rows: a KPI's month changed where its kpi_values rows starting in it
    differ (kpi_id first, period_start third column); it and the months 1, 12 and 13 later are
    rebuilt, and the as-of month of every KPI."""

    def by_kpi_month(rows):
        cells: dict[tuple[str, date], list[tuple]] = {}
        for row in rows:
            cells.setdefault((row[0], row[2].replace(day=1)), []).append(row)
        return {key: sorted(rows, key=repr) for key, rows in cells.items()}

    old, new = by_kpi_month(before), by_kpi_month(after)
    changed = {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}
    return {
        kpi: sorted(
            {APRIL}
            | {
                _add_months(month, offset)
                for (changed_kpi, month) in changed
                if changed_kpi == kpi
                for offset in (0, 1, 12, 13)
            }
        )
        for kpi in kpis
    }


def _scorecard(path: Path) -> dict[str, list[tuple]]:
    return {
        name: _query(path, sql)
        for name, sql in {"annotated": ANNOTATED, "scorecard": SCORECARD, "flags": FLAGS}.items()
    }


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
    new_golden_warehouse(path)
    _run(["run"], path, AS_OF, work_dir)
    first = _query(path, KPI_VALUES)
    first_inputs = _query(path, ANNOTATED_INPUTS)
    first_scorecard = _scorecard(path)

    _run(["run"], path, AS_OF, work_dir)
    nothing_new = _query(path, KPI_VALUES)
    nothing_new_scorecard = _scorecard(path)
    nothing_new_from = _rebuilt_months(path)
    nothing_new_annotated_from = _annotated_rebuilt_months(path)

    _late_files(path)
    _run(["run"], path, LATER_AS_OF, work_dir)
    late = _query(path, KPI_VALUES)
    late_inputs = _query(path, ANNOTATED_INPUTS)
    late_scorecard = _scorecard(path)
    late_from = _rebuilt_months(path)
    late_annotated_from = _annotated_rebuilt_months(path)

    _run(["run", "--full-refresh"], path, LATER_AS_OF, work_dir)
    return {
        "first": first,
        "first_scorecard": first_scorecard,
        "nothing_new": nothing_new,
        "nothing_new_scorecard": nothing_new_scorecard,
        "nothing_new_from": nothing_new_from,
        "nothing_new_annotated_from": nothing_new_annotated_from,
        "first_inputs": first_inputs,
        "late_inputs": late_inputs,
        "late_annotated_from": late_annotated_from,
        "late": late,
        "late_scorecard": late_scorecard,
        "late_from": late_from,
        "full_refresh": _query(path, KPI_VALUES),
        "full_refresh_scorecard": _scorecard(path),
        "full_refresh_from": _rebuilt_months(path),
    }


def test_a_run_with_nothing_new_keeps_every_value(runs):
    assert runs["nothing_new"] == runs["first"]
    assert runs["nothing_new_scorecard"] == runs["first_scorecard"]


APRIL = date(2024, 4, 1)
# As-of 2024-04-10 (and 13): marketing and HR have 90-day provisional KPIs (lead to customer,
# early attrition): 2024-04-10 - 90 days = 2024-01-11 and 2024-04-13 - 90 days = 2024-01-14,
# the provisional flags that can turn are January's.
JANUARY = date(2024, 1, 1)


def test_a_run_with_nothing_new_rebuilds_only_the_as_of_month_and_provisional_months(runs):
    assert runs["nothing_new_from"] == {
        "fct_sales_kpis": [APRIL],
        "fct_marketing_kpis": [JANUARY, APRIL],
        "fct_hr_kpis": [JANUARY, APRIL],
        "fct_production_kpis": [APRIL],
        "fct_cs_kpis": [APRIL],
    }
    # No kpi_values row changed: every KPI's as-of month only.
    annotated = runs["nothing_new_annotated_from"]
    assert annotated and all(months == [APRIL] for months in annotated.values())


def test_late_files_through_foreign_keys_give_the_numbers_of_a_full_refresh(runs):
    assert runs["late"] != runs["first"]
    assert runs["late"] == runs["full_refresh"]
    for name in ("annotated", "scorecard", "flags"):
        assert runs["late_scorecard"][name] == runs["full_refresh_scorecard"][name], name
    assert runs["late_scorecard"]["annotated"] != runs["first_scorecard"]["annotated"]


def test_late_files_rebuild_the_months_they_change(runs):
    late = runs["late_from"]
    february, march = date(2024, 2, 1), date(2024, 3, 1)
    # P1's new category: its lines are on O1, O2 (March) and O4 (15 February). C1's new segment
    # changes April's retention (her orders are in March; retention is monthly).
    assert late["fct_sales_kpis"] == [february, march, APRIL]
    # M2's only run (R2) was on 31 March.
    assert late["fct_production_kpis"] == [march, APRIL]
    # T5 was created and resolved on 28 March: the coverage of its week and month.
    assert late["fct_cs_kpis"] == [march, APRIL]
    # The lead L9 was created in February and re-attributes C1's March orders (ROAS); LTV looks
    # back 12 months, so the months after them up to the as-of month are rebuilt too.
    assert late["fct_marketing_kpis"] == [JANUARY, february, march, APRIL]
    # HR: nothing new; January's provisional flags and the as-of month.
    assert late["fct_hr_kpis"] == [JANUARY, APRIL]
    assert all(months == [date(1, 1, 1)] for months in runs["full_refresh_from"].values())


def test_late_files_rebuild_the_annotated_months_of_the_kpis_they_change(runs):
    annotated = runs["late_annotated_from"]
    assert annotated == _expected_annotated_months(runs["first_inputs"], runs["late_inputs"], set(annotated))
    # Not everything: some KPI rebuilds only its as-of month and the months that compare with it
    # (its rows before April did not change), and some KPI rebuilds an earlier month.
    assert any(
        months == [APRIL, date(2024, 5, 1), date(2025, 4, 1), date(2025, 5, 1)]
        for months in annotated.values()
    )
    assert any(months[0] < APRIL for months in annotated.values())


def test_a_mart_stored_before_its_checksums_is_rebuilt_whole_once(tmp_path: Path):
    # A warehouse built by an older release: the mart lacks the columns that record its builds.
    path = tmp_path / "kpi.duckdb"
    new_golden_warehouse(path)
    _run(["run"], path, AS_OF, tmp_path)
    built = _query(path, KPI_VALUES)
    annotated = _query(path, ANNOTATED)
    con = duckdb.connect(str(path))
    for model in ("fct_sales_kpis", "int_kpi_values_annotated"):
        for column in ("rebuilt_months", "built_as_of", "inputs_checksum"):
            con.execute(f"alter table main.{model} drop column {column}")
    con.close()

    _run(["run"], path, AS_OF, tmp_path)
    # Every stored row was replaced, none kept beside its new version.
    assert _query(path, KPI_VALUES) == built
    assert _query(path, ANNOTATED) == annotated
    for model in ("fct_sales_kpis", "int_kpi_values_annotated"):
        assert _query(path, f"select distinct rebuilt_months from main.{model}") == [([date(1, 1, 1)],)]


def test_a_change_of_the_dbt_code_rebuilds_the_annotated_values_whole(tmp_path: Path):
    # The Dagster steps set KPI_CODE_VERSION to a hash of the dbt project: a macro the scorecard
    # reads may have changed, so every month is computed again (the marts follow their own
    # definition versions instead).
    path = tmp_path / "kpi.duckdb"
    new_golden_warehouse(path)
    _run(["run"], path, AS_OF, tmp_path)
    built = _query(path, ANNOTATED)

    result = run_dbt(["run"], path, AS_OF, tmp_path, {"KPI_CODE_VERSION": "another version"})
    assert result.returncode == 0, result.stdout[-5000:]
    assert set(map(tuple, _annotated_rebuilt_months(path).values())) == {(date(1, 1, 1),)}
    assert _rebuilt_months(path)["fct_sales_kpis"] == [APRIL]
    assert _query(path, ANNOTATED) == built
