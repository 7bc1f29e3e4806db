"""The Dagster code location loads and holds the jobs, schedule, sensor and checks it promises."""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from dagster_project.definitions import defs
from dagster_project.ingest.contract import TABLES
from dagster_project.jobs import daily_schedule, landing_sensor


def test_every_contract_table_has_an_ingest_asset_grouped_by_source():
    graph = defs.resolve_asset_graph()
    for table in TABLES:
        node = graph.get(dg.AssetKey(["raw", table.raw_table]))
        assert node.group_name == f"ingest_{table.source}"


def test_dbt_sources_depend_on_the_ingest_assets():
    graph = defs.resolve_asset_graph()
    parents = graph.get(dg.AssetKey(["stg_helpdesk__tickets"])).parent_keys
    assert dg.AssetKey(["raw", "helpdesk__tickets"]) in parents


def test_the_jobs_and_the_schedule_exist():
    assert {"full_refresh", "daily"} <= {job.name for job in defs.resolve_all_job_defs()}
    assert daily_schedule.cron_schedule == "0 6 * * *"
    assert daily_schedule.execution_timezone == "Europe/Copenhagen"


def test_the_catalog_lint_is_an_asset_check():
    check_keys = defs.resolve_asset_graph().asset_check_keys
    assert dg.AssetCheckKey(dg.AssetKey(["kpi_catalog"]), "catalog_lint") in check_keys


def test_a_schedule_tick_requests_the_daily_run():
    tick = datetime(2026, 11, 27, 6, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
    context = dg.build_schedule_context(scheduled_execution_time=tick)
    (request,) = daily_schedule.evaluate_tick(context).run_requests
    assert request.job_name in (None, "daily")


@pytest.fixture
def landing(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_LANDING_DIR", str(tmp_path))
    return tmp_path


def _tick(cursor: str | None):
    return landing_sensor(dg.build_sensor_context(cursor=cursor))


def test_the_sensor_requests_a_run_for_new_files_and_nothing_on_a_quiet_tick(landing):
    assert _tick(None).run_requests == []  # an empty landing folder
    (landing / "helpdesk" / "tickets").mkdir(parents=True)
    (landing / "helpdesk" / "tickets" / "t1.csv").write_text("ticket_id\n")
    first = _tick(None)
    assert len(first.run_requests) == 1
    quiet = _tick(first.cursor)
    assert quiet.run_requests == []
    newer = landing / "helpdesk" / "tickets" / "t2.csv"
    newer.write_text("ticket_id\nT2\n")
    os.utime(newer, ns=(10**19, 10**19))  # clearly newer than anything seen
    assert len(_tick(quiet.cursor).run_requests) == 1
