"""A daily run with nothing new is skipped, and anything new, changed or unsure means a run."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.ingest.raw_schema import LEDGER_TABLE, create_raw_tables
from dagster_project.jobs import daily_schedule
from dagster_project.up_to_date import (
    AS_OF_TAG,
    PROJECT_VERSION_TAG,
    project_version,
    run_tags,
    why_up_to_date,
)


@dg.op
def _nothing() -> None:
    pass


@dg.job
def _earlier_run() -> None:
    _nothing()


@dg.op
def _fails() -> None:
    raise RuntimeError("the earlier run failed")


@dg.job
def _earlier_failed_run() -> None:
    _fails()


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A landing folder with one file, a warehouse whose ledger holds it, a published file."""
    landing, published = tmp_path / "landing", tmp_path / "published"
    (landing / "crm" / "orders").mkdir(parents=True)
    published.mkdir()
    (published / "kpis.duckdb").write_bytes(b"")
    monkeypatch.setenv("KPI_LANDING_DIR", str(landing))
    monkeypatch.setenv("KPI_WAREHOUSE_PATH", str(tmp_path / "kpi.duckdb"))
    monkeypatch.setenv("KPI_PUBLISH_DIR", str(published))
    monkeypatch.setenv("KPI_AS_OF", "2026-11-26")
    land(landing, "crm/orders/orders_1.csv", ingested_at=datetime.now(UTC) - timedelta(hours=1))
    return landing


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def land(landing: Path, label: str, ingested_at: datetime | None) -> Path:
    """A landing file; with `ingested_at`, its ledger row as ingest writes it (size, mtime)."""
    path = landing / label
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("order_id\n1\n")
    if ingested_at:
        found = path.stat()
        with duckdb.connect(os.environ["KPI_WAREHOUSE_PATH"]) as con:
            create_raw_tables(con)
            file_id = con.execute(f"select coalesce(max(file_id), 0) + 1 from {LEDGER_TABLE}").fetchone()[0]
            con.execute(
                f"insert into {LEDGER_TABLE} (file_id, batch_id, source_table, file_path, content_hash, "
                "status, ingested_at, stored_bytes, modified_ns) values (?, 'b', 'crm.orders', ?, 'h', "
                "'loaded', ?, ?, ?)",
                [file_id, label, ingested_at, found.st_size, found.st_mtime_ns],
            )
    return path


def earlier_run(instance: dg.DagsterInstance, job: dg.JobDefinition = _earlier_run, **changed: str) -> None:
    job.execute_in_process(instance=instance, tags={**run_tags(), **changed}, raise_on_error=False)


def test_nothing_new_since_the_last_successful_run_skips(project, instance):
    earlier_run(instance)
    reason = why_up_to_date(instance)
    assert reason and "Nothing new" in reason and "2026-11-26" in reason


def test_without_an_earlier_run_of_this_warehouse_a_run_is_needed(project, instance):
    assert why_up_to_date(instance) is None


def test_a_new_landing_file_needs_a_run(project, instance):
    earlier_run(instance)
    land(project, "crm/orders/orders_2.csv", ingested_at=None)
    assert why_up_to_date(instance) is None


def test_a_file_rewritten_in_place_needs_a_run(project, instance):
    earlier_run(instance)
    path = project / "crm" / "orders" / "orders_1.csv"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    assert why_up_to_date(instance) is None


def test_files_ingested_after_the_last_run_by_another_run_need_a_run(project, instance):
    earlier_run(instance)
    land(project, "crm/orders/orders_2.csv", ingested_at=datetime.now(UTC) + timedelta(minutes=1))
    assert why_up_to_date(instance) is None


def test_another_as_of_date_needs_a_run(project, instance):
    earlier_run(instance, **{AS_OF_TAG: "2026-11-25"})
    assert why_up_to_date(instance) is None


def test_other_code_needs_a_run(project, instance):
    earlier_run(instance, **{PROJECT_VERSION_TAG: "an older version"})
    assert why_up_to_date(instance) is None


def test_a_failed_last_run_needs_a_run(project, instance):
    earlier_run(instance)
    earlier_run(instance, job=_earlier_failed_run)
    assert why_up_to_date(instance) is None


def test_missing_published_files_need_a_run(project, instance):
    earlier_run(instance)
    (Path(os.environ["KPI_PUBLISH_DIR"]) / "kpis.duckdb").unlink()
    assert why_up_to_date(instance) is None


def test_the_schedule_skips_a_tick_with_nothing_new(project, instance):
    earlier_run(instance)
    context = dg.build_schedule_context(instance=instance)
    result = daily_schedule.evaluate_tick(context)
    assert result.run_requests == [] and "Nothing new" in result.skip_message


def test_the_project_version_follows_the_code_not_the_build_output(tmp_path):
    (tmp_path / "dbt_models" / "target").mkdir(parents=True)
    model = tmp_path / "dbt_models" / "model.sql"
    model.write_text("select 1")
    before = project_version(tmp_path)
    (tmp_path / "dbt_models" / "target" / "compiled.sql").write_text("select 1")
    assert project_version(tmp_path) == before
    model.write_text("select 2")
    assert project_version(tmp_path) != before
