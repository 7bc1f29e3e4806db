"""The dbt data tests on kpi_values catch what they are there for, and nothing else.

The rules a dbt test can say about kpi_values (unique grain keys, value = numerator /
denominator, a reason exactly when a value is missing, HR privacy, contiguous periods, a
definition version on every row) are dbt tests only; the Great Expectations suites do not restate
them. Here the golden warehouse's kpi_values is broken in eight hand-picked rows, one rule per
breakage, and one `dbt test` must fail exactly the tests of those rules, on exactly those rows.
The unbroken golden warehouse passes them all (its `dbt build` in tests/conftest.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.dbt_fixtures.golden_rows import AS_OF
from tests.dbt_fixtures.warehouse import run_dbt

AUDIT_SCHEMA = "main_dbt_test__audit"
KEY = "kpi_id, grain, cast(period_start as varchar), dimension_name, dimension_value"

# Each statement breaks one rule on rows of the golden data (tests/dbt_fixtures/golden_rows.py).
BREAKAGES = [
    # A breakdown row twice: the grain key is no longer unique.
    """insert into main.kpi_values select * from main.kpi_values
       where kpi_id = 'sales.hit_rate' and grain = 'month' and period_start = '2024-03-01'
         and dimension_name = 'channel' and dimension_value = 'direct'""",
    # North's hit rate is 1 won of 2 quoted: 0.5, not 0.6.
    """update main.kpi_values set value = 0.6
       where kpi_id = 'sales.hit_rate' and grain = 'month' and period_start = '2024-03-01'
         and dimension_name = 'region' and dimension_value = 'north'""",
    # April has no quoted opportunity closed: 0 / 0 is no value, not 0.
    """update main.kpi_values set value = 0, null_reason = null
       where kpi_id = 'sales.hit_rate' and grain = 'month' and period_start = '2024-04-01'
         and dimension_name = 'total'""",
    # No opportunity won in April: a missing median without its reason.
    """update main.kpi_values set null_reason = null
       where kpi_id = 'sales.sales_cycle_days' and grain = 'month' and period_start = '2024-04-01'
         and dimension_name = 'total'""",
    # A value (0 of 1 quoted web opportunities won) that also says it is missing.
    """update main.kpi_values set null_reason = 'no quoted opportunities won or lost in period'
       where kpi_id = 'sales.hit_rate' and grain = 'month' and period_start = '2024-03-01'
         and dimension_name = 'channel' and dimension_value = 'web'""",
    # A department suppressed below 5 respondents that hands on its people count.
    """update main.kpi_values set people_count = 3
       where kpi_id = 'hr.enps' and grain = 'month' and period_start = '2024-03-01'
         and dimension_name = 'department' and dimension_value = 'ops'""",
    # A week of revenue missing between the first (2024-02-12) and the last.
    """delete from main.kpi_values
       where kpi_id = 'sales.revenue' and grain = 'week' and period_start = '2024-03-04'
         and dimension_name = 'total'""",
    # The first ticket is created on Thursday 2024-03-28 (the first day row), so the weeks start
    # with the week of Monday 2024-03-25; without it they would start a week late, without a gap.
    """delete from main.kpi_values
       where kpi_id = 'cs.contact_volume' and grain = 'week' and period_start = '2024-03-25'
         and dimension_name = 'total'""",
    # A row without its definition version.
    """update main.kpi_values set definition_version = null
       where kpi_id = 'cs.contact_volume' and grain = 'day' and period_start = '2024-04-01'
         and dimension_name = 'total'""",
]


@pytest.fixture(scope="module")
def broken_run(golden_warehouse, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict], Path]:
    """`dbt test --select kpi_values --store-failures` on a copy of the golden warehouse with
    the breakages above: each test's status and failure count, and the copy."""
    work_dir = tmp_path_factory.mktemp("dbt_broken_kpi_values")
    path = work_dir / "kpi.duckdb"
    shutil.copy(golden_warehouse.path, path)
    with duckdb.connect(str(path)) as con:
        for statement in BREAKAGES:
            con.execute(statement)
    result = run_dbt(["test", "--select", "kpi_values", "--store-failures"], path, AS_OF, work_dir)
    assert "Done." in result.stdout, result.stdout[-4000:]
    run_results = json.loads((work_dir / "target" / "run_results.json").read_text(encoding="utf-8"))
    # Tests only: the run's on-run-start hook (register_lake_sources) has a result too.
    tests = [row for row in run_results["results"] if row["unique_id"].startswith("test.")]
    return {row["unique_id"].split(".")[2]: row for row in tests}, path


def _failing(tests: dict[str, dict]) -> dict[str, int]:
    return {name: row["failures"] for name, row in tests.items() if row["status"] != "pass"}


def _stored_failures(path: Path, test: str, columns: str) -> set[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return set(con.execute(f"select {columns} from {AUDIT_SCHEMA}.{test}").fetchall())


def test_each_broken_rule_fails_its_own_test_and_no_other(broken_run) -> None:
    tests, _ = broken_run
    failing = _failing(tests)
    unique_key = next(name for name in tests if name.startswith("unique_combination_of_columns_kpi_values_"))
    assert failing == {
        unique_key: 1,
        "assert_kpi_ratios_roll_up": 2,
        "value_or_null_reason_kpi_values_value": 2,
        "assert_kpi_suppressed_cells_hide_their_inputs": 1,
        "assert_kpi_total_rows_are_contiguous": 2,
        "not_null_kpi_values_definition_version": 1,
    }
    # The rest still passes on the broken copy, among them the privacy guard recomputed from
    # staging and the catalog coverage.
    assert tests["assert_hr_small_groups_are_suppressed"]["status"] == "pass"
    assert tests["assert_kpi_values_cover_the_catalog"]["status"] == "pass"


def test_the_ratio_rule_names_the_wrong_value_and_the_value_of_a_zero_denominator(broken_run) -> None:
    _, path = broken_run
    assert _stored_failures(path, "assert_kpi_ratios_roll_up", KEY) == {
        ("sales.hit_rate", "month", "2024-03-01", "region", "north"),
        ("sales.hit_rate", "month", "2024-04-01", "total", "total"),
    }


def test_the_null_reason_rule_catches_both_directions(broken_run) -> None:
    _, path = broken_run
    assert _stored_failures(path, "value_or_null_reason_kpi_values_value", KEY) == {
        ("sales.sales_cycle_days", "month", "2024-04-01", "total", "total"),
        ("sales.hit_rate", "month", "2024-03-01", "channel", "web"),
    }


def test_the_period_rule_catches_a_gap_and_a_late_start(broken_run) -> None:
    _, path = broken_run
    assert _stored_failures(path, "assert_kpi_total_rows_are_contiguous", "kpi_id, grain") == {
        ("sales.revenue", "week"),
        ("cs.contact_volume", "week"),
    }
