"""A daily run tests the new batch of each incremental fact; the weekly job tests every row.

The golden rows are built, then one stored session is broken by hand (a channel outside the
contract's list, as if a rule had slipped through years ago). A new file then brings two
sessions, one of them with a bad channel too. Testing stg_web__sessions:

- with KPI_TESTED_BATCHES (what the daily run sets: the highest _file_id before the build),
  the tests read the two new rows only: accepted_values finds exactly 1 bad row, the new one,
  and the old broken row is not read; dbt does not parse the project again for it;
- without it (the weekly job, a full refresh), the tests read every row: 2 bad rows.

The incremental marts likewise: with KPI_TESTED_MARTS a test of a mart reads the periods built at
the run's as-of date (built_as_of), so a broken row kept from an earlier day is not read again.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.transform.assets import (
    TESTED_BATCHES_ENV,
    TESTED_MARTS_ENV,
    fact_watermarks,
    rebuilt_row_models,
)
from tests.dbt_fixtures.golden_rows import AS_OF, new_golden_warehouse
from tests.dbt_fixtures.warehouse import RawWriter, run_dbt

ACCEPTED_CHANNEL = "accepted_values_stg_web__sessions_channel"


def _session(session_id: str, channel: str) -> dict:
    return {
        "session_id": session_id,
        "visitor_id": "V9",
        "started_at": "2024-04-09T10:00:00+02:00",
        "channel": channel,
        "pageviews": 2,
        "engaged_seconds": 30,
    }


def _results(work_dir: Path) -> dict[str, dict]:
    """The tests of the last dbt command by name: status, failing rows, compiled SQL."""
    results = json.loads((work_dir / "target" / "run_results.json").read_text())["results"]
    return {
        result["unique_id"].split(".")[2]: result
        for result in results
        if result["unique_id"].startswith("test.")
    }


def _failures(results: dict[str, dict]) -> dict[str, int]:
    return {name: result["failures"] for name, result in results.items() if result["status"] == "fail"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work_dir = tmp_path_factory.mktemp("dbt_new_batch")
    path = work_dir / "kpi.duckdb"
    new_golden_warehouse(path)
    first = run_dbt(["run", "--select", "stg_web__sessions"], path, AS_OF, work_dir)
    assert first.returncode == 0, first.stdout[-5000:]

    con = duckdb.connect(str(path))
    con.execute("update main.stg_web__sessions set channel = 'carrier_pigeon' where session_id = 'S1'")
    batches = fact_watermarks(con)
    RawWriter(con, next_file_id=100).file(
        "web.sessions", [_session("S900", "organic"), _session("S901", "telepathy")]
    )
    con.close()
    incremental = run_dbt(["run", "--select", "stg_web__sessions"], path, AS_OF, work_dir)
    assert incremental.returncode == 0, incremental.stdout[-5000:]
    return {"path": path, "work_dir": work_dir, "batches": batches}


def test_the_watermark_is_the_highest_file_id_before_the_build(built):
    con = duckdb.connect(str(built["path"]), read_only=True)
    try:
        (golden_highest,) = con.execute(
            "select max(_file_id) from main.stg_web__sessions where _file_id < 100"
        ).fetchone()
    finally:
        con.close()
    # Only the facts already built get a watermark: here the sessions, none of the other four.
    assert built["batches"] == {"stg_web__sessions": golden_highest}


def test_the_daily_run_tests_the_new_batch_only(built):
    result = run_dbt(
        ["test", "--select", "stg_web__sessions"],
        built["path"],
        AS_OF,
        built["work_dir"],
        {TESTED_BATCHES_ENV: json.dumps(built["batches"])},
    )
    assert result.returncode == 1, result.stdout[-3000:]
    # The new batch changes every day; reading it must not cost a parse of the whole project.
    assert "Unable to do partial parsing" not in result.stdout, result.stdout[:3000]
    results = _results(built["work_dir"])
    # S901 of the new file, not S1 of the old ones.
    assert _failures(results) == {name: 1 for name in results if name.startswith(ACCEPTED_CHANNEL)}
    # Every test of the fact reads the new batch alone (the uniqueness test too); a test of another
    # model that refers to the sessions (leads.session_id) reads them whole.
    watermark = f"_file_id > {built['batches']['stg_web__sessions']}"
    scoped = {name: watermark in result["compiled_code"] for name, result in results.items()}
    assert scoped == {name: "stg_web__sessions" in name.split("__ref_")[0] for name in results}
    assert sum(scoped.values()) == 4  # unique, not_null, accepted_values, relationships to campaigns


def test_the_weekly_job_tests_every_row(built):
    result = run_dbt(["test", "--select", "stg_web__sessions"], built["path"], AS_OF, built["work_dir"])
    assert result.returncode == 1, result.stdout[-3000:]
    results = _results(built["work_dir"])
    # S1 (broken by hand in the stored history) and S901.
    assert _failures(results) == {name: 2 for name in results if name.startswith(ACCEPTED_CHANNEL)}
    assert not any("_file_id >" in result["compiled_code"] for result in results.values())


# The incremental marts: a daily run tests the rows it built (built_as_of), not the kept ones.
LATER_AS_OF = "2024-04-13"
ACCEPTED_GRAIN = "accepted_values_fct_cs_kpis_grain"


@pytest.fixture(scope="module")
def mart(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """fct_cs_kpis built at the golden as-of date (2024-04-10), then again three days later:
    with nothing new, that run rebuilds April only (the as-of month; customer service has no
    provisional KPI). One stored row of March and one of April are then broken by hand (grains
    outside the accepted ones)."""
    work_dir = tmp_path_factory.mktemp("dbt_new_batch_marts")
    path = work_dir / "kpi.duckdb"
    new_golden_warehouse(path)
    for as_of in (AS_OF, LATER_AS_OF):
        result = run_dbt(["run", "--select", "+fct_cs_kpis"], path, as_of, work_dir)
        assert result.returncode == 0, result.stdout[-5000:]
    con = duckdb.connect(str(path))
    built = dict(
        con.execute("select period_start, built_as_of from main.fct_cs_kpis where grain = 'month'").fetchall()
    )
    # accepted_values counts the distinct bad values: one per month.
    for month, grain in (("2024-03-01", "fortnight"), ("2024-04-01", "quarter")):
        con.execute(
            "update main.fct_cs_kpis set grain = ? where kpi_id = 'cs.contact_volume' "
            "and grain = 'month' and dimension_name = 'total' and period_start = ?",
            [grain, month],
        )
    con.close()
    return {"path": path, "work_dir": work_dir, "built": built}


def test_a_mart_keeps_the_as_of_date_each_period_was_built_at(mart):
    assert mart["built"][date(2024, 3, 1)] == date(2024, 4, 10)
    assert mart["built"][date(2024, 4, 1)] == date(2024, 4, 13)


def test_the_daily_run_tests_the_periods_a_mart_rebuilt_at_its_as_of_date(mart):
    result = run_dbt(
        ["test", "--select", "fct_cs_kpis"],
        mart["path"],
        LATER_AS_OF,
        mart["work_dir"],
        {TESTED_MARTS_ENV: json.dumps(rebuilt_row_models())},
    )
    assert result.returncode == 1, result.stdout[-3000:]
    results = _results(mart["work_dir"])
    # April's broken row (built on 2024-04-13), not March's (kept from 2024-04-10).
    assert _failures(results) == {name: 1 for name in results if name.startswith(ACCEPTED_GRAIN)}
    assert all("built_as_of = cast('2024-04-13' as date)" in r["compiled_code"] for r in results.values())


def test_the_weekly_job_tests_every_row_of_a_mart(mart):
    result = run_dbt(["test", "--select", "fct_cs_kpis"], mart["path"], LATER_AS_OF, mart["work_dir"])
    assert result.returncode == 1, result.stdout[-3000:]
    results = _results(mart["work_dir"])
    assert _failures(results) == {name: 2 for name in results if name.startswith(ACCEPTED_GRAIN)}
