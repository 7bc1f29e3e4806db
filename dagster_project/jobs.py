"""Jobs, the daily schedule and the landing-folder sensor."""

import json

import dagster as dg

from dagster_project import settings
from dagster_project.transform.assets import FACT_MODELS
from dagster_project.up_to_date import run_tags, why_up_to_date

ALL_ASSETS = dg.AssetSelection.all()

# The daily and full-refresh runs are not partitioned: they build the partitioned facts in
# one go (incrementally, or from scratch), as every other asset.
# A full refresh rebuilds every dbt model from scratch; the daily run builds incrementally.
# A run config given to execute_in_process replaces this one: callers that add to it (make run's
# logger) start from FULL_REFRESH_CONFIG.
FULL_REFRESH_CONFIG = {
    "ops": {
        "dbt_models": {"config": {"full_refresh": True}},
        "dbt_fact_models": {"config": {"full_refresh": True}},
        "dbt_scorecard_models": {"config": {"full_refresh": True}},
        "published_kpis": {"config": {"write_whole": True}},
    }
}
full_refresh_job = dg.define_asset_job(
    "full_refresh",
    selection=ALL_ASSETS,
    description="Ingest new files, rebuild every dbt model from scratch, check, publish.",
    config=FULL_REFRESH_CONFIG,
)
daily_job = dg.define_asset_job(
    "daily",
    selection=ALL_ASSETS,
    description="Ingest new files, incremental dbt build, check (the facts' dbt tests read their new "
    "batch only), publish.",
)
# The daily run tests the new batch of each fact and the rebuilt periods of each mart; once a week
# every row of the history is tested again, as a full refresh does, without rebuilding it.
WEEKLY_CHECK_CONFIG = {
    "ops": {
        "dbt_fact_models": {"config": {"test_all_rows": True}},
        "dbt_models": {"config": {"test_all_rows": True}},
        "published_kpis": {"config": {"write_whole": True}},
    }
}
weekly_check_job = dg.define_asset_job(
    "weekly_check",
    selection=ALL_ASSETS,
    description="The daily run, with the facts' dbt tests over every row of the history and the "
    "published file written whole.",
    config=WEEKLY_CHECK_CONFIG,
)

# A backfill: the facts of a range of days (one run), then everything built on them, so the
# published KPIs reflect the rebuilt days. Ingest does not run: it rebuilds from loaded files.
FACTS = dg.AssetSelection.assets(*(dg.AssetKey([name]) for name in FACT_MODELS))
backfill_facts_job = dg.define_asset_job(
    "backfill_facts",
    selection=FACTS.downstream(),
    description="Rebuild the incremental facts of a range of days (the latest version of every key "
    "of those days, as a full refresh would), then the models, checks and publish built on them.",
)


@dg.schedule(
    name="daily_at_six",
    job=daily_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Europe/Copenhagen",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    tags = run_tags()
    up_to_date = why_up_to_date(context.instance, tags)
    return dg.SkipReason(up_to_date) if up_to_date else dg.RunRequest(tags=tags)


@dg.schedule(
    name="weekly_check_on_sunday",
    job=weekly_check_job,
    cron_schedule="0 5 * * 0",
    execution_timezone="Europe/Copenhagen",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def weekly_check_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    # Never skipped: its point is to test the rows that earlier runs tested only once.
    return dg.RunRequest(tags=run_tags())


def landing_fingerprint() -> dict[str, int]:
    """The newest modification time and the number of files in the landing folder."""
    landing = settings.landing_dir()
    newest = count = 0
    if landing.is_dir():
        for path in landing.rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                count += 1
                newest = max(newest, path.stat().st_mtime_ns)
    return {"newest_mtime_ns": newest, "files": count}


@dg.sensor(
    job=daily_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Starts the daily run when files arrive in the landing folder.",
)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    # Compare with the cursor, not the ledger: opening the warehouse here would
    # contend with a running job for DuckDB's single writer.
    fingerprint = landing_fingerprint()
    previous = json.loads(context.cursor) if context.cursor else {"newest_mtime_ns": 0, "files": 0}
    cursor = json.dumps(fingerprint, sort_keys=True)
    if fingerprint == previous or fingerprint["files"] == 0:
        return dg.SensorResult(skip_reason="No new files in the landing folder", cursor=cursor)
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=cursor, tags=run_tags())], cursor=cursor)
