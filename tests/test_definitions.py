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
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(scheduled_execution_time=tick, instance=instance)
        (request,) = daily_schedule.evaluate_tick(context).run_requests
    assert request.job_name in (None, "daily")
    assert request.tags["kpi/as_of"]  # what tells the next tick whether anything changed


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


# Worked out by hand from dbt_models/kpi_catalog.yml: per table, the smallest
# freshness_limit_hours of the KPIs whose sources name it.
EXPECTED_FRESHNESS_HOURS = {
    "crm__customers": 36,  # cs.contacts_per_1000_customers (sales.customer_retention: 768)
    "crm__orders": 36,  # sales.revenue
    "crm__order_lines": 36,
    "crm__products": 36,
    "crm__opportunities": 768,
    "finance__budgets": 768,  # only sales.revenue_vs_budget
    "web__sessions": 192,
    "marketing__leads": 36,  # marketing.leads
    "marketing__campaigns": 768,  # only marketing.roas
    "marketing__ad_spend": 768,
    "marketing__social_posts": 192,
    "hr__employees": 768,
    "hr__absences": 768,
    "hr__requisitions": 768,
    "hr__survey_responses": 2208,  # the yearly survey
    "mes__machines": 36,
    "mes__production_runs": 36,
    "mes__material_usage": 192,
    "mes__shipments": 192,
    "helpdesk__tickets": 36,
    "helpdesk__csat_surveys": 192,
    "helpdesk__nps_responses": 768,
}


def _fail_hours(key: dg.AssetKey) -> float | None:
    policy = defs.resolve_asset_graph().get(key).freshness_policy
    return None if policy is None else policy.fail_window.to_timedelta().total_seconds() / 3600


def test_ingest_assets_carry_the_tightest_freshness_limit_of_the_kpis_reading_them():
    for raw_table, hours in EXPECTED_FRESHNESS_HOURS.items():
        assert _fail_hours(dg.AssetKey(["raw", raw_table])) == hours, raw_table


def test_a_table_no_kpi_reads_has_no_freshness_policy():
    assert _fail_hours(dg.AssetKey(["raw", "crm__salespeople"])) is None


def test_the_published_files_are_as_fresh_as_the_most_demanding_kpi():
    assert _fail_hours(dg.AssetKey(["published_kpis"])) == 36


def test_function_marts_are_owned_by_the_owners_of_their_kpis():
    graph = defs.resolve_asset_graph()
    assert set(graph.get(dg.AssetKey(["fct_cs_kpis"])).owners) == {
        "team:head-of-customer-service",
        "team:customer-service-quality-lead",
    }
    assert set(graph.get(dg.AssetKey(["fct_hr_kpis"])).owners) == {
        "team:head-of-hr",
        "team:head-of-talent-acquisition",
    }


def test_no_step_claims_a_dagster_pool_slot():
    """A pool claim of a killed run outlives it and blocks every later run; the warehouse's OS lock
    (dagster_project/warehouse.py) dies with its process instead."""
    graph = defs.resolve_asset_graph()
    for key in graph.materializable_asset_keys:
        assert not graph.get(key).pools, key


def test_the_instance_template_queues_runs_one_at_a_time_without_pools(tmp_path):
    from dagster_project.settings import PROJECT_ROOT

    (tmp_path / "dagster.yaml").write_text((PROJECT_ROOT / "dagster_project" / "dagster.yaml").read_text())
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        config = instance.get_concurrency_config()
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    assert config.run_queue_config.max_concurrent_runs == 1
    assert config.pool_config.default_pool_limit is None


FACTS = [
    "stg_crm__order_lines",
    "stg_web__sessions",
    "stg_helpdesk__tickets",
    "stg_hr__absences",
    "stg_mes__production_runs",
]


def test_the_incremental_facts_have_daily_partitions_and_backfill_in_one_run():
    graph = defs.resolve_asset_graph()
    for name in FACTS:
        node = graph.get(dg.AssetKey([name]))
        assert isinstance(node.partitions_def, dg.DailyPartitionsDefinition), name
        assert node.partitions_def.timezone == "Europe/Copenhagen"
        assert node.backfill_policy == dg.BackfillPolicy.single_run()
    for name in ("stg_crm__orders", "int_orders_with_revenue", "kpi_values"):
        assert graph.get(dg.AssetKey([name])).partitions_def is None, name


def test_the_backfill_job_rebuilds_the_facts_and_what_is_built_on_them():
    selected = defs.resolve_job_def("backfill_facts").asset_layer.selected_asset_keys
    assert {dg.AssetKey([name]) for name in FACTS} <= selected
    assert dg.AssetKey(["kpi_values"]) in selected
    assert dg.AssetKey(["raw", "helpdesk__tickets"]) not in selected


def test_the_scorecard_models_are_built_after_the_kpi_values_checks_and_before_the_export():
    graph = defs.resolve_asset_graph()
    scorecard = graph.get(dg.AssetKey(["kpi_scorecard"]))
    assert dg.AssetKey(["int_kpi_values_annotated"]) in scorecard.parent_keys
    annotated = graph.get(dg.AssetKey(["int_kpi_values_annotated"]))
    assert dg.AssetKey(["kpi_values"]) in annotated.parent_keys
    # The checks' verdicts reach the scorecard per KPI (kpi_scorecard joins kpi_data_quality).
    assert dg.AssetKey(["kpi_data_quality"]) in scorecard.parent_keys
    quality = graph.get(dg.AssetKey(["kpi_data_quality"]))
    assert dg.AssetKey(["quality", "kpi_data_quality"]) in quality.parent_keys
    assert {dg.AssetKey(["kpi_scorecard"]), dg.AssetKey(["kpi_flags"])} <= set(
        graph.get(dg.AssetKey(["published_kpis"])).parent_keys
    )
