"""The folder layout is the architecture: one product package, data beside it, tools outside."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_product_imports_neither_its_tools_nor_its_tests() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_top_levels(path) & {"tools", "tests", "expectations"})
        for path in (ROOT / "dagster_project").rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_suites_folder_holds_data_not_code() -> None:
    # The Great Expectations suites are YAML read by dagster_project/quality/, so no package imports
    # another in both directions.
    assert sorted(path.name for path in (ROOT / "expectations").rglob("*.py")) == []
    assert sorted(path.name for path in (ROOT / "expectations" / "suites").glob("*.yml")) == [
        "freshness.yml",
        "ingest_health.yml",
        "kpi_definitions.yml",
    ]
