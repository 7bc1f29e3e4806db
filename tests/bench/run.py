"""Per-component benchmarks on generated data (`python -m tests.bench.run`; `make bench` runs the
speed targets of the whole pipeline, tests/bench/targets.py).

- Ingest: demo data at scale 10 (about 10 million rows) into a fresh warehouse;
  target under 60 s on 2 cores.
- dbt: `dbt build --full-refresh` on that warehouse, against running the compiled
  SQL of the same models and data tests directly in DuckDB (target: dbt under 1.5x
  of that); `dbt run` against the models' SQL alone likewise.
- Validation: the Great Expectations suites on the same warehouse, as a share of
  the pipeline's time (target: under 10 %).

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
from datetime import date
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


def _save(name: str, figures: dict) -> None:
    """Merge one benchmark's figures into results.json, keeping the others'."""
    path = BENCH_DIR / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results.update({"scale": SCALE, name: figures})
    path.write_text(json.dumps(results, indent=2))


def main() -> int:
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
