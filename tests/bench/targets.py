"""`make bench`: the speed and memory targets, measured in one go on one landing folder.

    python -m tests.bench.targets                 # scale 10 (BENCH_SCALE=100 for scale 100)
    BENCH_SPARK=1 python -m tests.bench.targets   # and the full run on Spark (KPI_ENGINE=spark)

1. The yardstick (`../shared/bench/reference.py`) and the pipeline's full run, in turn, on the
   same landing folder, as-of date and machine: wall, CPU seconds, peak memory of the whole
   process tree, seconds per step (tests/bench/full_run.py). With BENCH_SPARK=1 the full run
   once more with KPI_ENGINE=spark (dbt on Spark local[2]) on the same folder, right after the
   DuckDB one: both side by side, the ratio, and dbt's own timings of each dbt command.
2. The daily run after one new day of files, then the daily run with nothing new: both `python -m
   dagster_project.run --job daily` in the full run's folder, measured from outside. The new day
   is the landing folder's last day, held out of the history (tests/bench/last_day.py): the
   yardstick and the full run read the folder up to the day before (their as-of date), the daily
   run gets that day's new and updated rows as delivery files (as-of the last day).
3. `make run` on the scale-1 demo data into empty folders, demo data generation included.

The landing folder is `../shared/bench/scale_landing.py --scale BENCH_SCALE` (generated once
into data/bench/, or BENCH_LANDING for an existing one; the history and the day go into a copy,
hard links where a file is unchanged).
Prints each figure with its target and writes data/bench/targets.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from tests.bench.full_run import BENCH_DIR, REFERENCE, measured, run_job, run_pipeline, run_reference
from tests.bench.last_day import delivery_folder, hold_out_last_day, land_delivery

SCALE = float(os.environ.get("BENCH_SCALE", "10"))
SPARK = os.environ.get("BENCH_SPARK", "") not in ("", "0")
AS_OF = date(2026, 7, 15)  # scale_landing.py's default end
SCALE_LANDING = REFERENCE.parent / "scale_landing.py"
WORK = BENCH_DIR / "targets"


def landing_folder(scale: float) -> Path:
    """The yardstick's landing folder at `scale`, generated once (deterministic)."""
    if os.environ.get("BENCH_LANDING"):
        return Path(os.environ["BENCH_LANDING"])
    landing = BENCH_DIR / f"scale_landing_{scale:g}"
    done = landing.with_name(landing.name + ".complete")
    if not done.exists():
        shutil.rmtree(landing, ignore_errors=True)
        print(f"Generating the yardstick's landing folder at scale {scale:g} into {landing} ...", flush=True)
        subprocess.run(
            [sys.executable, str(SCALE_LANDING), str(landing), "--scale", f"{scale:g}", "--end", str(AS_OF)],
            check=True,
        )
        done.touch()
    return landing


def make_run_on_demo_data() -> dict:
    """`make run` into empty folders: demo data generation, then the full run."""
    root = WORK / "make_run"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    env = {
        **os.environ,
        "KPI_LANDING_DIR": str(root / "landing"),
        "KPI_WAREHOUSE_PATH": str(root / "kpi.duckdb"),
        "KPI_PUBLISH_DIR": str(root / "published"),
        "KPI_QUALITY_DIR": str(root / "quality"),
        "DAGSTER_HOME": str(root / "dagster_home"),
    }
    from dagster_project.settings import PROJECT_ROOT

    result = measured(["make", "-s", "run"], env, PROJECT_ROOT, root / "output.log")
    del result["samples"]
    return result


def _line(name: str, figure: str, target: str) -> None:
    print(f"  {name:<40} {figure:<44} target: {target}", flush=True)


def _spark_against_duckdb(duckdb_run: dict, spark_run: dict) -> None:
    """The two full runs side by side: the whole run, each step, and each dbt command."""
    print("\nFull run, Spark (local[2]) against DuckDB, same landing folder:")
    print(f"  {'':<52} {'DuckDB':>9} {'Spark':>9} {'ratio':>7}")
    for name, unit in (("wall_s", "s"), ("cpu_s", "s"), ("peak_gib", "GiB")):
        duck, spark = duckdb_run[name], spark_run[name]
        print(f"  {name.split('_')[0] + ' ' + unit:<52} {duck:>9} {spark:>9} {spark / duck:>6.1f}x")
    for step in sorted(spark_run["steps"], key=lambda step: -spark_run["steps"][step]["seconds"]):
        duck = duckdb_run["steps"].get(step, {}).get("seconds", 0.0)
        spark = spark_run["steps"][step]["seconds"]
        ratio = f"{spark / duck:>6.1f}x" if duck else ""
        print(f"  {step:<52} {duck:>9.1f} {spark:>9.1f} {ratio:>7}")
    print("  dbt's own timings on Spark (command elapsed; models' and tests' execution):")
    for command, figures in spark_run["dbt"].items():
        print(
            f"    {command:<28} {figures['elapsed_s']:>7.1f} s: {figures['models']} models "
            f"{figures['model_s']:.1f} s, {figures['tests']} tests {figures['test_s']:.1f} s; slowest "
            + ", ".join(f"{name} {seconds} s" for name, seconds in figures["slowest"][:3])
        )


def main() -> int:
    WORK.mkdir(parents=True, exist_ok=True)
    source = landing_folder(SCALE)
    landing = WORK / "landing"
    shutil.rmtree(landing, ignore_errors=True)
    shutil.rmtree(delivery_folder(landing), ignore_errors=True)
    held_out = hold_out_last_day(source, landing, AS_OF)
    history_as_of = AS_OF - timedelta(days=1)
    from dagster_project.up_to_date import project_version

    # A daily run with nothing new is skipped only on unchanged code: an edit of the project while
    # the bench runs makes that figure (and the others) measure something else.
    version = project_version()
    results: dict = {
        "scale": SCALE,
        "as_of": str(history_as_of),
        "new_day": str(AS_OF),
        "new_day_rows": held_out.rows_held,
        "history_rows": held_out.rows_kept,
        "project_version": version,
    }

    print(f"1. Yardstick and full run, in turn, scale {SCALE:g} ...", flush=True)
    reference = results["reference"] = run_reference(landing, str(history_as_of), WORK / "reference")
    work = WORK / "pipeline"
    full = results["full_run"] = run_pipeline(landing, str(history_as_of), work)
    # Each figure as soon as it is measured: a long bench stopped early still tells something.
    print(
        f"   yardstick {reference['wall_s']} s; full run {full['wall_s']} s, peak {full['peak_gib']} GiB",
        flush=True,
    )
    if SPARK:
        print(f"1b. Full run on Spark, scale {SCALE:g} ...", flush=True)
        results["full_run_spark"] = run_pipeline(
            landing, str(history_as_of), WORK / "pipeline_spark", engine="spark"
        )
    print(f"2. Daily runs, scale {SCALE:g} ...", flush=True)
    results["new_files"] = land_delivery(held_out, landing)
    daily = results["daily"] = run_job(landing, str(AS_OF), work, "daily")
    print(f"   daily run {daily['wall_s']} s", flush=True)
    idle = results["daily_nothing_new"] = run_job(landing, str(AS_OF), work, "daily")
    print("3. make run on the scale-1 demo data ...", flush=True)
    demo = results["make_run"] = make_run_on_demo_data()

    print(f"\nTargets (scale {SCALE:g}, {os.cpu_count()} cores):")
    _line(
        "full run against the yardstick",
        f"{full['wall_s']} s / {reference['wall_s']} s = {full['wall_s'] / reference['wall_s']:.1f}x wall, "
        f"{full['cpu_s'] / reference['cpu_s']:.1f}x CPU",
        "at most 1.5x wall",
    )
    _line("peak memory of the process tree", f"{full['peak_gib']} GiB", "at most 8 GiB at scale 100")
    for step, figures in sorted(full["steps"].items(), key=lambda item: -item[1]["seconds"])[:8]:
        print(f"      {step:<52} {figures['seconds']:>7.1f} s  peak {figures['peak_gib']:>5.2f} GiB")
    _line(
        f"daily run after {results['new_files']} new files ({held_out.rows_held:,} rows)",
        f"{daily['wall_s']} s = {daily['wall_s'] / full['wall_s']:.1%} of the full run",
        "at most 10 % at scale 100",
    )
    _line("daily run with nothing new", f"{idle['wall_s']} s", "at most 10 s")
    _line("make run, scale-1 demo data", f"{demo['wall_s']} s", "at most 30 s")
    if SPARK:
        _spark_against_duckdb(full, results["full_run_spark"])
    failed = [
        name
        for name in ("full_run", "full_run_spark", "daily", "daily_nothing_new", "make_run")
        if name in results and results[name]["exit_code"]
    ]
    if project_version() != version:
        results["code_changed_during_bench"] = True
        print(
            "WARNING: the project's code changed while the bench ran: these figures do not measure one version"
        )
    if failed:
        print(f"FAILED: {', '.join(failed)} (logs in {WORK})")
    (BENCH_DIR / "targets.json").write_text(json.dumps(results, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
