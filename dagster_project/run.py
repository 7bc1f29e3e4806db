"""`make run`: every asset, then a summary (the Makefile writes demo data first into an empty landing).

    python -m dagster_project.run                      # the full refresh (make run)
    python -m dagster_project.run --job daily
    python -m dagster_project.run --job backfill_facts --partition-range 2026-09-15...2026-09-16

The console shows a short live display (dagster_project/progress.py) and the summary; the full
Dagster and dbt log goes to data/logs/<job>-<time>.log, whose path is printed first.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import time
import uuid
from datetime import datetime

import dagster as dg

from dagster_project import settings
from dagster_project.up_to_date import run_tags, why_up_to_date
from dagster_project.warehouse import LockHolder, exclusive

# Tags of a `make run`, so that a later run can tell that its process is gone.
PID_TAG, HOST_TAG = "kpi/pid", "kpi/host"
_UNFINISHED = (dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING)

LOG_DIR = settings.PROJECT_ROOT / "data" / "logs"


def _landing_is_empty() -> bool:
    landing = settings.landing_dir()
    return not landing.is_dir() or not any(p.is_file() for p in landing.rglob("*"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--job", default="full_refresh", choices=("full_refresh", "daily", "weekly_check", "backfill_facts")
    )
    parser.add_argument(
        "--partition-range", metavar="START...END", help="local days to rebuild (backfill_facts only)"
    )
    args = parser.parse_args(argv)
    if (args.job == "backfill_facts") != bool(args.partition_range):
        parser.error("--partition-range goes with --job backfill_facts, and that job needs it")
    return args


def _run_config_and_tags(args: argparse.Namespace) -> tuple[dict, dict]:
    from dagster_project.jobs import FULL_REFRESH_CONFIG, WEEKLY_CHECK_CONFIG

    if args.job == "full_refresh":
        return FULL_REFRESH_CONFIG, {}
    if args.job == "weekly_check":
        return WEEKLY_CHECK_CONFIG, {}
    if args.job == "backfill_facts":
        start, _, end = args.partition_range.partition("...")
        return {}, {"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end}
    return {}, {}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    # SIGTERM ends the run as Ctrl-C does (Dagster maps both to an interrupt while steps run).
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    instance = dg.DagsterInstance.get()
    run_id = str(uuid.uuid4())
    recovered: list[LockHolder] = []
    log_path = LOG_DIR / f"{args.job}-{datetime.now():%Y%m%d-%H%M%S}.log"
    # The whole run holds the warehouse: a second `make run` waits here, before Dagster starts.
    with exclusive(settings.warehouse_path(), run_id=run_id, on_recovered=recovered.append):
        fail_dead_runs(instance, also=recovered[0].run_id if recovered else None)
        landing = settings.landing_dir()
        if _landing_is_empty():
            print(f"Landing folder {landing} is empty: nothing to ingest (make demo-data writes demo files).")
        else:
            print(f"Using the files in {landing}", flush=True)
        tags = run_tags()
        up_to_date = why_up_to_date(instance, tags) if args.job == "daily" else None
        if up_to_date:
            print(f"{up_to_date}\nSucceeded in {time.monotonic() - started:.0f} s: nothing to run.")
            return 0
        # Loading the definitions reads the dbt manifest: a run with nothing to do does without.
        from dagster_project.definitions import defs
        from dagster_project.progress import execute_with_progress

        print(f"Running job {args.job} into {settings.warehouse_path()} (as of {settings.as_of()})")
        print(f"Full Dagster and dbt log: {log_path}", flush=True)
        run_config, job_tags = _run_config_and_tags(args)
        result, progress = execute_with_progress(
            defs.resolve_job_def(args.job),
            instance,
            log_path,
            run_config,
            run_id=run_id,
            tags={**job_tags, **tags, PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()},
        )
    _print_summary()
    if progress.errors:
        print(f"\n{len(progress.errors)} error(s); each names its step (full context in {log_path}):")
        for message in progress.errors:
            print(f"  {message}")
    print(
        f"{'Succeeded' if result.success else 'FAILED'} in {time.monotonic() - started:.0f} s; log: {log_path}"
    )
    return 0 if result.success else 1


def _process_is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def fail_dead_runs(instance: dg.DagsterInstance, also: str | None = None) -> list[str]:
    """Mark failed the unfinished runs whose process is gone: `also` (the run that left the
    warehouse lock behind) and every `make run` of this host whose pid no longer exists.

    Called while holding the warehouse lock, so no live run of this warehouse is mid-write.
    Frees any Dagster concurrency slots they claimed (older versions used a pool).
    """
    host = socket.gethostname()
    failed = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=list(_UNFINISHED))):
        pid = run.tags.get(PID_TAG)
        mine = run.tags.get(HOST_TAG) == host and pid is not None and _process_is_gone(int(pid))
        if run.run_id != also and not mine:
            continue
        message = (
            f"Marked failed by a later run: the process of this run (pid {pid or 'unknown'}) ended "
            "without finishing it (killed?)."
        )
        instance.report_run_failed(run, message=message)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        print(f"Run {run.run_id} of job {run.job_name} was left unfinished by a dead process: marked failed")
        failed.append(run.run_id)
    return failed


def _print_summary() -> None:
    import duckdb

    with duckdb.connect(str(settings.warehouse_path()), read_only=True) as con:
        ledger = con.execute(
            "select status, count(*), sum(rows_read), sum(rows_loaded), sum(rows_quarantined) "
            "from raw._file_ledger group by status order by status"
        ).fetchall()
        quality = _optional(
            con, "select status, errors, warnings, docs_index from quality.runs order by run_at desc limit 1"
        )
    print("\nIngest ledger (files, rows read / loaded / quarantined):")
    for status, files, read, loaded, quarantined in ledger:
        print(f"  {status:<10} {files:>5} files  {read or 0:>12,} {loaded or 0:>12,} {quarantined or 0:>10,}")
    if quality:
        status, errors, warnings, docs = quality
        print(
            f"\nData quality: {status} ({errors} errors, {warnings} warnings); details: make check; docs: {docs}"
        )
    database = settings.publish_dir() / "kpis.duckdb"
    if database.exists():
        with duckdb.connect(str(database), read_only=True) as con:
            rows, flagged = con.execute(
                "select count(*), count(*) filter (where is_flagged) from kpi_scorecard"
            ).fetchone()
        print(f"Published: {rows:,} annotated KPI values, {flagged:,} with a guardrail flag")
    print("\nOutputs:")
    print(f"  warehouse  {settings.warehouse_path()}")
    print(f"  published  {database}  (open read-only; views per function, latest_kpis)")
    print(f"  scorecard  {settings.publish_dir() / 'scorecard.html'}")


def _optional(con, sql: str):
    """A row from a table that exists only after a step ran, or None."""
    import duckdb

    try:
        return con.execute(sql).fetchone()
    except duckdb.CatalogException:
        return None


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("Interrupted (SIGINT or SIGTERM): stopped", file=sys.stderr)
        sys.exit(130)
