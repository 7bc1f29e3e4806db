"""The suites as Dagster asset checks: error-level failures stop the scorecard and the publish.

A small graph stands in for the pipeline: ingest assets that load nothing (the fixture
warehouse is already loaded), a kpi_values asset that writes the fixture's rows, possibly
broken, an asset that builds the dbt scorecard models on them (as the dbt_scorecard_models step
does), and the real export asset (dagster_project/publish/assets.py). The real checks of
dagster_project/quality/checks.py run on it in-process.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.ingest.assets import raw_asset_key
from dagster_project.ingest.contract import TABLES
from dagster_project.publish.assets import MODEL_KEYS, published_kpis
from dagster_project.quality.checks import (
    KPI_VALUES_KEY,
    ingest_quality_checks,
    kpi_values_quality_checks,
    published_outputs_check,
    published_outputs_findings,
)
from dagster_project.warehouse import Warehouse
from tests.publish_fixtures import build_scorecard
from tests.quality_fixtures.warehouse import AS_OF, QualityWarehouse, consistent_warehouse, kpi_value_rows


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> QualityWarehouse:
    monkeypatch.setenv("KPI_AS_OF", AS_OF.isoformat())
    monkeypatch.setenv("KPI_QUALITY_DIR", str(tmp_path / "quality"))
    monkeypatch.setenv("KPI_PUBLISH_DIR", str(tmp_path / "published"))
    warehouse = consistent_warehouse(tmp_path / "warehouse.duckdb")
    yield warehouse
    warehouse.con.close()


def _kpi_values_asset(path: Path, rows: list[dict]) -> dg.AssetsDefinition:
    @dg.asset(key=KPI_VALUES_KEY, deps=[raw_asset_key(table) for table in TABLES])
    def kpi_values(warehouse: Warehouse) -> None:
        with warehouse.connection() as con:
            QualityWarehouse(con, path).write_kpi_values(rows)

    return kpi_values


def _scorecard_models_asset(path: Path) -> dg.AssetsDefinition:
    @dg.multi_asset(specs=[dg.AssetSpec(key, deps=[KPI_VALUES_KEY]) for key in MODEL_KEYS])
    def scorecard_models():
        build_scorecard(path)
        for key in MODEL_KEYS:
            yield dg.MaterializeResult(asset_key=key)

    return scorecard_models


def _noop_ingest_asset(table) -> dg.AssetsDefinition:
    @dg.asset(key=raw_asset_key(table))
    def ingest() -> None:
        return None

    return ingest


def _materialize(warehouse: QualityWarehouse, rows: list[dict], with_ingest: bool = False):
    """Materialize kpi_values (and the no-op ingest assets), the scorecard models and the export."""
    warehouse.con.close()  # DuckDB has one writer: the run opens the warehouse itself
    assets = [
        _kpi_values_asset(warehouse.path, rows),
        _scorecard_models_asset(warehouse.path),
        published_kpis,
    ]
    checks = [kpi_values_quality_checks, published_outputs_check]
    if with_ingest:
        assets += [_noop_ingest_asset(table) for table in TABLES]
        checks.append(ingest_quality_checks)
    result = dg.materialize(
        [*assets, *checks], resources={"warehouse": Warehouse(path=str(warehouse.path))}, raise_on_error=False
    )
    warehouse.con = duckdb.connect(str(warehouse.path))
    return result


def _checks(result) -> dict[tuple[str, str], tuple[bool, dg.AssetCheckSeverity]]:
    return {
        (evaluation.asset_key.to_user_string(), evaluation.check_name): (
            evaluation.passed,
            evaluation.severity,
        )
        for evaluation in result.get_asset_check_evaluations()
    }


def _materialized(result) -> set[str]:
    return {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _published(folder: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(folder / "kpis.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_publish_does_not_run_when_an_error_level_check_fails_and_the_published_tables_stay(
    warehouse: QualityWarehouse, tmp_path: Path
) -> None:
    published = tmp_path / "published"
    first = _materialize(warehouse, kpi_value_rows(warehouse.versions))
    assert "published_kpis" in _materialized(first)
    before = _digests(published)
    rows = kpi_value_rows(warehouse.versions)
    ratio = next(r for r in rows if r["kpi_id"] == "hr.sick_absence_rate" and r["period_start"].month == 2)
    ratio.update(value=1.2, numerator=1332.0, denominator=1110.0)
    second = _materialize(warehouse, rows)
    assert _checks(second)[("kpi_values", "values_within_range")] == (False, dg.AssetCheckSeverity.ERROR)
    assert _materialized(second) == {"kpi_values"}
    assert _digests(published) == before
    february = "select value from kpi_scorecard where kpi_id = 'hr.sick_absence_rate' and period_start = '2025-02-01'"
    assert _published(published, february) == [(0.0,)]


def test_a_warning_is_carried_into_the_published_annotations(
    warehouse: QualityWarehouse, tmp_path: Path
) -> None:
    # Without Sjælland, January's regions fall short of the total: a warning, so publish runs.
    rows = [
        r
        for r in kpi_value_rows(warehouse.versions)
        if not (r["dimension_value"] == "Sjælland" and r["period_start"].month == 1)
    ]
    result = _materialize(warehouse, rows)
    checks = _checks(result)
    assert checks[("kpi_values", "additivity")] == (False, dg.AssetCheckSeverity.WARN)
    assert checks[("published_kpis", "published_outputs_readable_and_complete")][0] is True
    assert "published_kpis" in _materialized(result)
    statuses = dict(
        _published(
            tmp_path / "published",
            "select kpi_id, any_value(data_quality_status) from kpi_scorecard group by 1",
        )
    )
    assert statuses == {
        "sales.revenue": "warning",
        "marketing.roas": "ok",
        "marketing.ltv_to_cac": "ok",
        "cs.nps": "ok",
        "hr.sick_absence_rate": "ok",
    }


def test_every_check_passes_and_publish_runs_on_the_consistent_warehouse(
    warehouse: QualityWarehouse, tmp_path: Path
) -> None:
    result = _materialize(warehouse, kpi_value_rows(warehouse.versions), with_ingest=True)
    assert result.success
    assert [key for key, (passed, _) in _checks(result).items() if not passed] == []
    assert "published_kpis" in _materialized(result)
    assert (tmp_path / "quality" / "docs" / "index.html").is_file()


def test_rejected_file_fails_its_tables_ingest_check_and_blocks_publish_through_the_gate(
    warehouse: QualityWarehouse, tmp_path: Path
) -> None:
    warehouse.rejected_file("crm.orders", "orders_bad.csv", "abc123", "not valid UTF-8")
    result = _materialize(warehouse, kpi_value_rows(warehouse.versions), with_ingest=True)
    checks = _checks(result)
    assert checks[("raw/crm__orders", "rejected_files")] == (False, dg.AssetCheckSeverity.ERROR)
    assert checks[("raw/crm__customers", "rejected_files")][0] is True
    assert checks[("kpi_values", "source_quality_gate")] == (False, dg.AssetCheckSeverity.ERROR)
    assert checks[("kpi_values", "values_within_range")][0] is True
    assert "published_kpis" not in _materialized(result)
    assert "kpi_scorecard" not in _materialized(result)
    assert not (tmp_path / "published" / "kpis.duckdb").exists()
    # However Dagster ordered the two check steps, each expectation is stored once for the run.
    duplicates = warehouse.con.execute(
        "select count(*) from (select run_id, expectation_id from quality.results group by all having count(*) > 1)"
    ).fetchone()[0]
    assert duplicates == 0


def test_quality_checks_load_without_importing_great_expectations() -> None:
    code = (
        "import sys, dagster_project.quality.checks as checks; "
        "assert 'great_expectations' not in sys.modules; print(len(checks.quality_checks))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "3"


def _publish_folder(folder: Path, database_rows: int, parquet_rows: int) -> None:
    (folder / "parquet").mkdir(parents=True)
    with duckdb.connect(str(folder / "kpis.duckdb")) as con:
        con.execute(f"create table kpi_scorecard as select range as n from range({database_rows})")
        con.execute(f"create table publish_info as select {database_rows} as scorecard_rows")
        con.execute(
            f"copy (select range as n from range({parquet_rows})) to '{folder / 'parquet' / 'kpi_scorecard.parquet'}'"
        )
    (folder / "scorecard.html").write_text("<html></html>")


def test_published_outputs_that_open_and_hold_every_row_pass(tmp_path: Path) -> None:
    _publish_folder(tmp_path, 24, 24)
    problems, found = published_outputs_findings(tmp_path, expected_rows=24)
    assert problems == []
    assert found == {"database_rows": 24, "publish_info_rows": 24, "parquet_rows": 24}


def test_published_parquet_with_fewer_rows_than_kpi_values_fails(tmp_path: Path) -> None:
    _publish_folder(tmp_path, 24, 23)
    problems, _ = published_outputs_findings(tmp_path, expected_rows=24)
    assert problems == [
        "row counts differ: database_rows 24, publish_info_rows 24, parquet_rows 23, kpi_values_rows 24"
    ]
