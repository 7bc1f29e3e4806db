"""Fixtures shared by several test modules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.dbt_fixtures.golden_rows import AS_OF, new_golden_warehouse
from tests.dbt_fixtures.warehouse import run_dbt


@dataclass(frozen=True)
class GoldenWarehouse:
    path: Path  # the DuckDB file
    target_dir: Path  # dbt's target folder of the build (manifest, semantic_manifest.json)


@pytest.fixture(scope="session")
def golden_warehouse(tmp_path_factory: pytest.TempPathFactory) -> GoldenWarehouse:
    """The hand-made rows of tests/dbt_fixtures/golden_rows.py after one `dbt build`.

    Built once per session (the golden values and the semantic layer tests read it); read it only.
    """
    work_dir = tmp_path_factory.mktemp("dbt_golden")
    path = work_dir / "kpi.duckdb"
    new_golden_warehouse(path)
    result = run_dbt(["build"], path, AS_OF, work_dir)
    assert result.returncode == 0, result.stdout[-8000:]
    return GoldenWarehouse(path=path, target_dir=work_dir / "target")
