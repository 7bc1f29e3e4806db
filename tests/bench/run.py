"""`make bench`: speed targets measured on generated data (not timed tests).

- Ingest: demo data at scale 10 (about 10 million rows) into a fresh warehouse;
  target under 60 s on 2 cores.
- dbt: `dbt build --full-refresh` on that warehouse, against running the compiled
  SQL of the same models and data tests directly in DuckDB (target: dbt under 1.5x
  of that); `dbt run` against the models' SQL alone likewise.
- Validation: the Great Expectations suites on the same warehouse, as a share of
  the pipeline's time (target: under 10 %).
- Daily run: the Dagster `full_refresh` job on that landing folder, then one new day
  of files (generated for the day after, at the same scale) and the `daily` job
  (ingest new files, incremental dbt build, checks, publish); target: the daily run
  under 15 % of the full refresh. `python -m tests.bench.run daily` runs only this one.

Figures go to stdout and to data/bench/results.json so a note can quote them.
Set BENCH_SCALE for another scale.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from dagster_project import settings
from dagster_project.catalog import load_catalog, write_catalog_tables
from dagster_project.ingest.contract import TABLES
from dagster_project.ingest.loader import TableLoader
from dagster_project.ingest.raw_schema import create_raw_tables

BENCH_DIR = settings.PROJECT_ROOT / "data" / "bench"
SCALE = float(os.environ.get("BENCH_SCALE", "10"))
AS_OF = date(2026, 11, 26)


def _landing(scale: float) -> Path:
    landing = BENCH_DIR / f"landing_scale_{scale:g}"
    if not (landing / ".complete").exists():
        from tools.demo_data import generate

        shutil.rmtree(landing, ignore_errors=True)
        print(f"Generating demo data at scale {scale:g} into {landing} ...", flush=True)
        started = time.monotonic()
        generate(
            landing, seed=42, end=AS_OF, scale=scale, progress=lambda line: print(f"  {line}", flush=True)
        )
        print(f"  generated in {time.monotonic() - started:.1f} s", flush=True)
        (landing / ".complete").touch()
    return landing


def bench_ingest(landing: Path) -> dict:
    warehouse = BENCH_DIR / "ingest_bench.duckdb"
    warehouse.unlink(missing_ok=True)
    con = duckdb.connect(str(warehouse))
    create_raw_tables(con)
    started = time.monotonic()
    rows = files = 0
    for table in TABLES:
        table_started = time.monotonic()
        results = TableLoader(con, table, landing, AS_OF, "bench", log=lambda _: None).load_new_files()
        table_rows = sum(r.rows_read for r in results)
        rows += table_rows
        files += len(results)
        print(
            f"  {table.key:<26} {table_rows:>12,} rows {time.monotonic() - table_started:>7.1f} s", flush=True
        )
    seconds = time.monotonic() - started
    con.close()
    return {
        "rows": rows,
        "files": files,
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
    }


def _dbt(args: list[str], warehouse: Path) -> float:
    from dagster_project.transform.project import DBT_DIR, DBT_EXECUTABLE

    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "KPI_WAREHOUSE_PATH": str(warehouse),
        "KPI_AS_OF": AS_OF.isoformat(),
    }
    started = time.monotonic()
    subprocess.run(
        [
            DBT_EXECUTABLE,
            *args,
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(BENCH_DIR / "dbt_target"),
            "--quiet",
        ],
        check=True,
        env=env,
    )
    return time.monotonic() - started


def _run_compiled_sql(warehouse: Path) -> tuple[float, float]:
    """Every model's compiled SQL in dependency order, then every data test's, straight into DuckDB.

    The same work `dbt build` does, without dbt: (seconds for the models, seconds for the tests).
    """
    manifest = json.loads((BENCH_DIR / "dbt_target" / "manifest.json").read_text())
    nodes = manifest["nodes"]
    models = {uid: n for uid, n in nodes.items() if n["resource_type"] == "model"}
    order: list[str] = []

    def visit(uid: str) -> None:
        if uid in models and uid not in order:
            for parent in models[uid]["depends_on"]["nodes"]:
                visit(parent)
            order.append(uid)

    for uid in sorted(models):
        visit(uid)
    con = duckdb.connect(str(warehouse))
    con.execute("set TimeZone = 'Europe/Copenhagen'")
    started = time.monotonic()
    for uid in order:
        node = models[uid]
        kind = "view" if node["config"]["materialized"] == "view" else "table"
        relation = f'"{node["schema"]}"."{node["alias"]}"'
        con.execute(f"create or replace {kind} {relation} as {node['compiled_code']}")
    models_seconds = time.monotonic() - started
    started = time.monotonic()
    for node in nodes.values():
        if node["resource_type"] == "test" and node.get("compiled_code"):
            con.execute(f"select count(*) from ({node['compiled_code']})").fetchone()
    tests_seconds = time.monotonic() - started
    con.close()
    return models_seconds, tests_seconds


def bench_dbt() -> dict:
    warehouse = BENCH_DIR / "ingest_bench.duckdb"
    con = duckdb.connect(str(warehouse))
    write_catalog_tables(con, load_catalog())
    con.close()
    run = _dbt(["run", "--full-refresh"], warehouse)
    build = _dbt(["build", "--full-refresh"], warehouse)  # last: its manifest holds tests' SQL too
    models, tests = _run_compiled_sql(warehouse)
    return {
        "dbt_build_seconds": round(build, 1),
        "dbt_run_seconds": round(run, 1),
        "compiled_models_seconds": round(models, 1),
        "compiled_tests_seconds": round(tests, 1),
        "build_ratio": round(build / (models + tests), 2),
        "run_ratio": round(run / models, 2),
    }


NEW_DAY = AS_OF + timedelta(days=1)


def _add_one_day_of_files(landing: Path, day: date, scale: float) -> int:
    """Generate one day of extracts and land them under new names, as a daily delivery would arrive.

    The generator restarts its ids for a new window, so some keys repeat older ones: the warehouse
    treats them as updates, which costs the incremental models the same as new keys.
    """
    from tools.demo_data import generate

    day_dir = BENCH_DIR / "one_day"
    generate(day_dir, seed=43, start=day, end=day, scale=scale)
    files = [path for path in sorted(day_dir.rglob("*")) if path.is_file()]
    for path in files:
        stem, dot, suffix = path.name.partition(".")
        target = (
            landing / path.parent.relative_to(day_dir) / f"{stem}__delivery_{day.isoformat()}{dot}{suffix}"
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    shutil.rmtree(day_dir)
    return len(files)


def _timed_job(job_name: str, previous: dict | None = None) -> dict:
    """Run a job of the code location in process; wall time, success and seconds per step.

    The progress display estimates the time left from `previous` (this benchmark's last figures
    of the same run); the job's full log goes to data/bench/<job>.log.
    """
    import dagster as dg

    from dagster_project.definitions import defs
    from dagster_project.jobs import FULL_REFRESH_CONFIG
    from dagster_project.progress import execute_with_progress

    log_path = BENCH_DIR / f"{job_name}.log"
    print(f"  full log: {log_path}", flush=True)
    started = time.monotonic()
    result, _ = execute_with_progress(
        defs.resolve_job_def(job_name),
        dg.DagsterInstance.ephemeral(),
        log_path,
        FULL_REFRESH_CONFIG if job_name == "full_refresh" else None,
        expected=(previous or {}).get("steps", {}),
    )
    seconds = time.monotonic() - started
    steps = {
        event.step_key: round(event.event_specific_data.duration_ms / 1000, 1)
        for event in result.all_events
        if event.event_type_value == "STEP_SUCCESS"
    }
    failed = {
        event.step_key: str(event.event_specific_data.error.message)[:2000]
        for event in result.all_events
        if event.event_type_value == "STEP_FAILURE"
    }
    for step_key, message in failed.items():
        print(f"  step {step_key} failed: {message}", flush=True)
    skipped = sorted(
        event.step_key for event in result.all_events if event.event_type_value == "STEP_SKIPPED"
    )
    return {
        "success": result.success,
        "seconds": round(seconds, 1),
        "steps": steps,
        "failed": sorted(failed),
        "skipped": skipped,
    }


def _top_steps(steps: dict[str, float], n: int = 4) -> str:
    return ", ".join(f"{key} {seconds} s" for key, seconds in sorted(steps.items(), key=lambda s: -s[1])[:n])


def bench_daily_run(scale: float) -> dict:
    """Full refresh through Dagster, then one new day of files through the daily job."""
    root = BENCH_DIR / "daily_run"
    shutil.rmtree(root, ignore_errors=True)
    landing = root / "landing"
    shutil.copytree(_landing(scale), landing, ignore=shutil.ignore_patterns(".complete"))
    os.environ.update(
        {
            "KPI_LANDING_DIR": str(landing),
            "KPI_WAREHOUSE_PATH": str(root / "warehouse" / "kpi.duckdb"),
            "KPI_PUBLISH_DIR": str(root / "published"),
            "KPI_QUALITY_DIR": str(root / "quality"),
            "KPI_AS_OF": AS_OF.isoformat(),
            "DO_NOT_TRACK": "1",
        }
    )
    last = _previous("daily_run")
    print(f"Full refresh (Dagster job full_refresh) at scale {scale:g} ...", flush=True)
    full = _timed_job("full_refresh", last.get("full_refresh"))
    print(
        f"  {full['seconds']} s, success {full['success']}; slowest: {_top_steps(full['steps'])}", flush=True
    )
    new_files = _add_one_day_of_files(landing, NEW_DAY, scale)
    os.environ["KPI_AS_OF"] = NEW_DAY.isoformat()
    print(f"Daily run (Dagster job daily) after {new_files} files of {NEW_DAY} ...", flush=True)
    daily = _timed_job("daily", last.get("daily"))
    print(
        f"  {daily['seconds']} s, success {daily['success']}; slowest: {_top_steps(daily['steps'])}",
        flush=True,
    )
    # The same job once more with nothing new: what every daily run costs before any data work
    # (dbt start-up, data tests, quality checks, rewriting the published files).
    print("Daily run again without new files (the job's fixed cost) ...", flush=True)
    idle = _timed_job("daily", last.get("daily_without_new_files"))
    print(
        f"  {idle['seconds']} s, success {idle['success']}; slowest: {_top_steps(idle['steps'])}", flush=True
    )
    return {
        "full_refresh": full,
        "daily": daily,
        "daily_without_new_files": idle,
        "new_files": new_files,
        "daily_share_of_full_refresh": round(daily["seconds"] / full["seconds"], 3),
    }


def _previous(name: str) -> dict:
    """The figures of this benchmark's last run at the same scale, for the time-left estimates."""
    path = BENCH_DIR / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    return results.get(name, {}) if results.get("scale") == SCALE else {}


def _save(name: str, figures: dict) -> None:
    """Merge one benchmark's figures into results.json, keeping the others'."""
    path = BENCH_DIR / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results.update({"scale": SCALE, name: figures})
    path.write_text(json.dumps(results, indent=2))


def main_daily() -> int:
    daily = bench_daily_run(SCALE)
    print(
        f"Daily run: {daily['daily']['seconds']} s against a full refresh of {daily['full_refresh']['seconds']} s: "
        f"{daily['daily_share_of_full_refresh']:.1%} (target: under 15 %); without new files "
        f"{daily['daily_without_new_files']['seconds']} s"
    )
    _save("daily_run", daily)
    return 0


def main() -> int:
    if sys.argv[1:] == ["daily"]:
        return main_daily()
    landing = _landing(SCALE)
    print(f"Ingest benchmark, scale {SCALE:g}:", flush=True)
    ingest = bench_ingest(landing)
    print(
        f"Ingest: {ingest['rows']:,} rows in {ingest['files']} files, {ingest['seconds']} s, "
        f"{ingest['rows_per_second']:,} rows/s (target: under 60 s at scale 10)",
        flush=True,
    )
    dbt = bench_dbt()
    print(
        f"dbt: build {dbt['dbt_build_seconds']} s against its compiled SQL run directly "
        f"({dbt['compiled_models_seconds']} s models + {dbt['compiled_tests_seconds']} s tests): "
        f"{dbt['build_ratio']}x; run {dbt['dbt_run_seconds']} s against the models' SQL: "
        f"{dbt['run_ratio']}x (target: under 1.5x)"
    )
    from dagster_project.quality.bench import time_validation

    validation = time_validation(BENCH_DIR / "ingest_bench.duckdb", as_of=AS_OF)
    pipeline = ingest["seconds"] + dbt["dbt_build_seconds"]
    validation["share_of_pipeline"] = round(validation["seconds"] / pipeline, 3)
    print(
        f"Validation: {validation['seconds']} s, {validation['share_of_pipeline']:.1%} of ingest + dbt build "
        "(target: under 10 %)"
    )
    for name, figures in (("ingest", ingest), ("dbt", dbt), ("validation", validation)):
        _save(name, figures)
    return main_daily()


if __name__ == "__main__":
    sys.exit(main())
