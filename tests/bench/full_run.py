"""One full run of the pipeline on a landing folder, measured from outside.

    python -m tests.bench.full_run LANDING --as-of 2026-07-15 [--reference]

Runs `python -m dagster_project.run` (the full_refresh job: empty warehouse, every file
ingested, every model built, every check, the export) in a fresh working folder, samples the
resident memory of its whole process tree (the sum over every process, every 0.2 s), and reads
each step's time from the Dagster instance. With --reference it first runs the yardstick
(`../shared/bench/reference.py`) on the same folder and as-of date, so the ratio compares the
two in turn on the same machine. Prints a table and writes data/bench/full_run.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from dagster_project.settings import PROJECT_ROOT

BENCH_DIR = PROJECT_ROOT / "data" / "bench"
REFERENCE = PROJECT_ROOT.parent / "shared" / "bench" / "reference.py"


def _tree_usage(root: int) -> tuple[int, dict[int, int]]:
    """Resident memory (bytes) of a process and all its descendants, and the CPU clock ticks
    each of them has used so far (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            statm = (entry / "statm").read_text().split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(statm[1]) * os.sysconf("SC_PAGE_SIZE")
        ticks[pid] = int(fields[11]) + int(fields[12])  # utime + stime
    total, tree, frontier = 0, {}, [root]
    while frontier:
        pid = frontier.pop()
        total += rss.get(pid, 0)
        tree[pid] = ticks.get(pid, 0)
        frontier += children.get(pid, [])
    return total, tree


def measured(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> dict:
    """Wall and CPU seconds and the process tree's peak resident memory of one command; its
    output goes to `log`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    samples: list[tuple[float, int]] = []  # (unix time, bytes)
    ticks: dict[int, int] = {}  # CPU clock ticks of every process seen in the tree
    with log.open("w") as output:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)

        def sample() -> None:
            while process.poll() is None:
                rss, tree = _tree_usage(process.pid)
                samples.append((time.time(), rss))
                ticks.update(tree)
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = process.wait()
        sampler.join()
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The children's rusage counts only processes their parents waited for; Spark's JVM is not
    # among them (pyspark's java_gateway.py starts it and never waits for it on Linux). The sampled ticks count every
    # process of the tree but miss each one's last 0.2 s: the larger of the two.
    cpu = max(
        (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        sum(ticks.values()) / os.sysconf("SC_CLK_TCK"),
    )
    peak = max((rss for _, rss in samples), default=0)
    return {
        "exit_code": code,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "peak_gib": round(peak / 2**30, 2),
        "samples": samples,
    }


def _steps(
    dagster_home: Path, samples: list[tuple[float, int]]
) -> tuple[str | None, dict[str, dict[str, float]]]:
    """The id of the Dagster run started while the samples were taken (None when the command had
    nothing to run) and each of its steps' seconds and the process tree's peak memory while it
    ran (GiB)."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    instance = dg.DagsterInstance.get()
    records = instance.get_run_records(limit=1)
    steps = {}
    if not records or not samples or records[0].create_timestamp.timestamp() < samples[0][0]:
        return None, steps
    run_id = records[0].dagster_run.run_id
    for stats in instance.get_run_step_stats(run_id):
        if not (stats.end_time and stats.start_time):
            continue
        during = [rss for at, rss in samples if stats.start_time <= at <= stats.end_time]
        steps[stats.step_key] = {
            "seconds": round(stats.end_time - stats.start_time, 1),
            "peak_gib": round(max(during, default=0) / 2**30, 2),
        }
    return run_id, steps


def _dbt_commands(project: Path, run_id: str) -> dict[str, dict]:
    """dbt's own timings of each dbt command of the run, from its run_results.json (dagster-dbt
    gives every command a target folder `<step>-<run id[:7]>-<id>`): the command's elapsed
    seconds, the seconds its models and its tests executed, and its slowest nodes. What a step
    spends outside them is start-up (Python, dbt's parse, on Spark the JVM and the session) and
    the step's own work (the lake export before dbt on Spark)."""
    commands = {}
    for run_results in sorted((project / "dbt_models" / "target").glob(f"*-{run_id[:7]}-*/run_results.json")):
        results = json.loads(run_results.read_text())
        nodes = [
            (result["unique_id"].split(".")[0], result["unique_id"].split(".")[2], result["execution_time"])
            for result in results["results"]
        ]
        commands[run_results.parent.name.rsplit("-", 2)[0]] = {
            "elapsed_s": round(results["elapsed_time"], 1),
            "models": sum(1 for kind, _, _ in nodes if kind == "model"),
            "model_s": round(sum(seconds for kind, _, seconds in nodes if kind == "model"), 1),
            "tests": sum(1 for kind, _, _ in nodes if kind == "test"),
            "test_s": round(sum(seconds for kind, _, seconds in nodes if kind == "test"), 1),
            "slowest": [
                [name, round(seconds, 1)] for _, name, seconds in sorted(nodes, key=lambda node: -node[2])[:5]
            ],
        }
    return commands


def run_job(
    landing: Path,
    as_of: str,
    work: Path,
    job: str = "full_refresh",
    project: Path = PROJECT_ROOT,
    engine: str = "duckdb",
) -> dict:
    """`python -m dagster_project.run --job JOB` of the project in `project` (another checkout, to
    compare with an older one) with its warehouse, published files and Dagster home in `work`;
    `engine` is KPI_ENGINE (on spark the lake and Spark's tables are in `work` too)."""
    if not (work / "dagster_home" / "dagster.yaml").exists():
        (work / "dagster_home").mkdir(parents=True, exist_ok=True)
        shutil.copy(project / "dagster_project" / "dagster.yaml", work / "dagster_home" / "dagster.yaml")
    env = {
        **os.environ,
        "KPI_LANDING_DIR": str(landing),
        "KPI_WAREHOUSE_PATH": str(work / "kpi.duckdb"),
        "KPI_PUBLISH_DIR": str(work / "published"),
        "KPI_QUALITY_DIR": str(work / "quality"),
        "KPI_AS_OF": as_of,
        "KPI_ENGINE": engine,
        "KPI_LAKE_DIR": str(work / "lake"),
        "KPI_SPARK_DIR": str(work / "spark"),
        "DAGSTER_HOME": str(work / "dagster_home"),
        "DO_NOT_TRACK": "1",
        "GX_ANALYTICS_ENABLED": "false",
    }
    command = [sys.executable, "-m", "dagster_project.run", "--job", job]
    result = measured(command, env, project, work / f"output-{job}.log")
    run_id, result["steps"] = _steps(work / "dagster_home", result.pop("samples"))
    result["dbt"] = _dbt_commands(project, run_id) if run_id else {}
    return result


def run_pipeline(
    landing: Path, as_of: str, work: Path, project: Path = PROJECT_ROOT, engine: str = "duckdb"
) -> dict:
    """The full run (empty warehouse and published folder) of the project in `project`."""
    shutil.rmtree(work, ignore_errors=True)
    return run_job(landing, as_of, work, "full_refresh", project, engine)


def run_reference(landing: Path, as_of: str, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    out = work / "reference.duckdb"
    out.unlink(missing_ok=True)
    command = [sys.executable, str(REFERENCE), str(landing), "--as-of", as_of, "--out", str(out)]
    result = measured(command, dict(os.environ), work, work / "reference.log")
    del result["samples"]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing", type=Path)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--reference", action="store_true", help="run the yardstick first, in turn")
    parser.add_argument("--project", type=Path, default=PROJECT_ROOT, help="checkout to run (default this)")
    args = parser.parse_args(argv)
    results: dict = {}
    if args.reference:
        results["reference"] = run_reference(args.landing, args.as_of, BENCH_DIR / "reference")
        print(f"reference: {results['reference']}", flush=True)
    pipeline = run_pipeline(args.landing, args.as_of, BENCH_DIR / "full_run", args.project.resolve())
    results["pipeline"] = pipeline
    steps = pipeline["steps"]
    print(
        f"pipeline: wall {pipeline['wall_s']} s, CPU {pipeline['cpu_s']} s, peak {pipeline['peak_gib']} GiB, "
        f"exit {pipeline['exit_code']}"
    )
    for step, figures in sorted(steps.items(), key=lambda item: -item[1]["seconds"])[:12]:
        share = figures["seconds"] / pipeline["wall_s"]
        print(
            f"  {step:<55} {figures['seconds']:>7.1f} s {share:>6.1%}  peak {figures['peak_gib']:>5.2f} GiB"
        )
    if args.reference:
        print(
            f"ratio wall {pipeline['wall_s'] / results['reference']['wall_s']:.1f}x, "
            f"CPU {pipeline['cpu_s'] / results['reference']['cpu_s']:.1f}x"
        )
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    (BENCH_DIR / "full_run.json").write_text(json.dumps(results, indent=2))
    return 0 if pipeline["exit_code"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
