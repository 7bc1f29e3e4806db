"""`make bench`: speed targets measured on generated data (not timed tests).

Ingest: demo data at scale 10 (about 10 million rows) into a fresh warehouse;
target under 60 s on 2 cores. Figures go to stdout and to
data/bench/results.json so a note can quote them.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

from dagster_project import settings
from dagster_project.ingest.contract import TABLES
from dagster_project.ingest.loader import TableLoader
from dagster_project.ingest.raw_schema import create_raw_tables

BENCH_DIR = settings.PROJECT_ROOT / "data" / "bench"
SCALE = float(os.environ.get("BENCH_SCALE", "10"))
AS_OF = date(2026, 11, 26)


def _landing(scale: float) -> Path:
    landing = BENCH_DIR / f"landing_scale_{scale:g}"
    if not (landing / ".complete").exists():
        from dagster_project.demo_data import generate

        shutil.rmtree(landing, ignore_errors=True)
        print(f"Generating demo data at scale {scale:g} into {landing} ...", flush=True)
        started = time.monotonic()
        generate(landing, seed=42, end=AS_OF, scale=scale)
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
        print(f"  {table.key:<26} {table_rows:>12,} rows {time.monotonic() - table_started:>7.1f} s", flush=True)
    seconds = time.monotonic() - started
    con.close()
    return {"rows": rows, "files": files, "seconds": round(seconds, 1), "rows_per_second": round(rows / seconds)}


def main() -> int:
    landing = _landing(SCALE)
    print(f"Ingest benchmark, scale {SCALE:g}:", flush=True)
    ingest = bench_ingest(landing)
    print(
        f"Ingest: {ingest['rows']:,} rows in {ingest['files']} files, {ingest['seconds']} s, "
        f"{ingest['rows_per_second']:,} rows/s (target: under 60 s at scale 10)"
    )
    results = {"scale": SCALE, "ingest": ingest}
    (BENCH_DIR / "results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
