"""The whole Dagster graph materializes in process on a small dataset, and failures say what to do."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.ingest.assets import ingest_failure_message
from dagster_project.ingest.contract import TABLES
from dagster_project.quality.checks import blocked_publish_message
from dagster_project.transform.assets import dbt_failure_message

AS_OF = "2026-11-26"


def test_an_ingest_failure_names_the_asset_the_file_and_what_to_do():
    table = next(t for t in TABLES if t.key == "helpdesk.tickets")
    message = ingest_failure_message(table, Path("landing/helpdesk/tickets/t1.csv"), OSError("lock held"))
    assert "raw/helpdesk__tickets" in message
    assert "landing/helpdesk/tickets/t1.csv" in message
    assert "lock held" in message
    assert "re-execute" in message


def test_a_dbt_command_starts_without_a_version_probe_or_an_in_process_adapter(monkeypatch):
    """dagster-dbt would run `dbt --version` and open a dbt adapter before every dbt step (4-5 s)."""
    import dagster_dbt.core.resource as dagster_dbt_resource

    from dagster_project.transform.project import dbt_resource

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"unexpected check_output{args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    invocation = dbt_resource().cli(["--version"])
    invocation.wait()
    assert invocation.is_successful()
    assert invocation.adapter is None


def test_a_dbt_failure_lists_the_failing_nodes_and_where_to_look():
    run_results = {
        "results": [
            {
                "unique_id": "model.kpi_platform.fct_cs_kpis",
                "status": "error",
                "message": "Binder Error: x\nmore",
            },
            {"unique_id": "test.kpi_platform.not_null_x", "status": "fail", "message": "Got 3 results"},
            {"unique_id": "model.kpi_platform.stg_x", "status": "success", "message": "OK"},
        ]
    }
    message = dbt_failure_message(run_results, Path("target/run_results.json"))
    assert "2 node(s)" in message
    assert "model.kpi_platform.fct_cs_kpis (error): Binder Error: x" in message
    assert "test.kpi_platform.not_null_x (fail)" in message
    assert "stg_x" not in message
    assert "target/run_results.json" in message
    assert "--select fct_cs_kpis not_null_x" in message
    assert "make check" in message


def test_a_blocked_publish_names_the_checks_and_says_make_check():
    message = blocked_publish_message({"source_quality_gate": ["ingest.no_rejected_files"]})
    assert "The scorecard models and the publish are blocked" in message
    assert "source_quality_gate (ingest.no_rejected_files)" in message
    assert "make check" in message


@pytest.fixture(scope="module")
def small_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from datetime import date

    from tools.demo_data import generate

    root = tmp_path_factory.mktemp("orchestration")
    generate(root / "landing", seed=42, start=date(2026, 6, 1), end=date.fromisoformat(AS_OF), scale=0.05)
    return root


@pytest.fixture
def project_env(small_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KPI_LANDING_DIR", str(small_project / "landing"))
    monkeypatch.setenv("KPI_WAREHOUSE_PATH", str(small_project / "warehouse" / "kpi.duckdb"))
    monkeypatch.setenv("KPI_PUBLISH_DIR", str(small_project / "published"))
    monkeypatch.setenv("KPI_QUALITY_DIR", str(small_project / "quality"))
    monkeypatch.setenv("KPI_AS_OF", AS_OF)
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    return small_project


def test_the_full_refresh_job_materializes_every_asset_and_runs_every_check(project_env: Path):
    from dagster_project.definitions import defs

    job = defs.resolve_job_def("full_refresh")
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())

    assert result.success
    graph = defs.resolve_asset_graph()
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert materialized == set(graph.materializable_asset_keys)
    evaluated = {(e.asset_key, e.check_name) for e in result.get_asset_check_evaluations()}
    expected = {(key.asset_key, key.name) for key in graph.asset_check_keys}
    assert evaluated == expected
    with duckdb.connect(str(project_env / "published" / "kpis.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from kpi_scorecard").fetchone()[0] > 0
    # The facts' dbt command left its parse state for the models' command, which parsed nothing again.
    from dagster_project.transform.project import DBT_DIR

    (models_log,) = (DBT_DIR / "target").glob(f"dbt_models-{result.run_id[:7]}-*/dbt.log")
    assert "Unable to do partial parsing" not in models_log.read_text()
