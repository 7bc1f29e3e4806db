"""make run's progress display: short on the console, everything in the log file, failures named."""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_project.progress import execute_with_progress, expected_step_seconds, new_progress
from dagster_project.run import parse_args


@dg.asset(group_name="ingest_crm", kinds={"duckdb"})
def raw_orders() -> dg.MaterializeResult:
    print("a library talking on stdout")  # noqa: T201 - the noise that belongs in the log file
    return dg.MaterializeResult(metadata={"new_files": 2, "rows_read": 10, "rows_quarantined": 1})


@dg.asset(group_name="publish", deps=[raw_orders])
def scorecard(context) -> None:
    context.log.info("wording the sentences")
    raise dg.Failure(description="crm/orders/orders_2026-11-02.csv line 3: fix the file and land it again")


@dg.asset_check(asset=raw_orders)
def orders_are_fresh() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN)


def _job(*assets) -> dg.JobDefinition:
    definitions = dg.Definitions(
        assets=list(assets),
        asset_checks=[orders_are_fresh],
        jobs=[dg.define_asset_job("small", selection=dg.AssetSelection.all())],
    )
    return definitions.resolve_job_def("small")


def test_the_console_gets_a_short_summary_and_the_failure_while_the_log_file_gets_everything(tmp_path, capfd):
    log = tmp_path / "run.log"
    result, progress = execute_with_progress(_job(raw_orders, scorecard), dg.DagsterInstance.ephemeral(), log)
    console = capfd.readouterr().out
    assert not result.success
    failure = "scorecard: crm/orders/orders_2026-11-02.csv line 3: fix the file and land it again"
    assert failure in console
    assert progress.errors == [failure]
    assert "ingest   1/1 tables, 2 new files, 10 rows read (1 quarantined)" in console
    assert "checks   1/1 evaluated: 0 passed, 1 warnings, 0 errors" in console
    assert "a library talking on stdout" not in console
    assert len(console.splitlines()) <= 12
    text = log.read_text()
    for line in (
        "a library talking on stdout",
        "wording the sentences",
        "STEP_FAILURE",
        failure.split(": ", 1)[1],
    ):
        assert line in text


def test_the_time_left_comes_from_the_last_successful_run_of_the_job(tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    job = _job(raw_orders)
    assert expected_step_seconds(instance, "small") == {}
    result, _ = execute_with_progress(job, instance, tmp_path / "run.log")
    assert result.success
    expected = expected_step_seconds(instance, "small")
    assert set(expected) == {"raw_orders", "raw_orders_orders_are_fresh"} and all(
        s >= 0 for s in expected.values()
    )
    progress = new_progress(job, {"raw_orders": 30.0, "raw_orders_orders_are_fresh": 12.0})
    assert progress.seconds_left() == 42.0
    progress.finished.add("raw_orders")
    assert progress.seconds_left() == 12.0


def test_make_run_takes_a_job_and_a_backfill_range():
    assert parse_args([]).job == "full_refresh"
    args = parse_args(["--job", "backfill_facts", "--partition-range", "2026-09-15...2026-09-16"])
    assert args.partition_range == "2026-09-15...2026-09-16"
    with pytest.raises(SystemExit):
        parse_args(["--job", "backfill_facts"])
