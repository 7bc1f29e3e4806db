"""`make run`: demo data if the landing folder is empty, then every asset, then a summary."""

from __future__ import annotations

import sys
import time

import dagster as dg

from dagster_project import settings


def _landing_is_empty() -> bool:
    landing = settings.landing_dir()
    return not landing.is_dir() or not any(p.is_file() for p in landing.rglob("*"))


def main() -> int:
    started = time.monotonic()
    landing = settings.landing_dir()
    if _landing_is_empty():
        from dagster_project.demo_data import generate

        print(f"Landing folder {landing} is empty: generating demo data (scale 1) ...", flush=True)
        generate(landing)
    else:
        print(f"Using the files already in {landing}", flush=True)

    from dagster_project.definitions import defs

    print(f"Materializing every asset into {settings.warehouse_path()} (as of {settings.as_of()}) ...")
    result = defs.resolve_job_def("full_refresh").execute_in_process(
        instance=dg.DagsterInstance.get(),
        raise_on_error=False,
        # Progress at INFO (files, rows, models); the UI keeps the debug events.
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
    )
    _print_summary()
    print(f"{'Succeeded' if result.success else 'FAILED'} in {time.monotonic() - started:.0f} s")
    return 0 if result.success else 1


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
    sys.exit(main())
