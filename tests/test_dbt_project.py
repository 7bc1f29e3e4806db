"""The dbt project's sources and staging models follow the data contract."""

from __future__ import annotations

from pathlib import Path

import yaml

from dagster_project.ingest.contract import LINEAGE_COLUMNS, TABLES

STAGING = Path(__file__).resolve().parents[1] / "dbt_models" / "models" / "staging"


def _sources() -> dict[str, dict]:
    tables = {}
    for path in STAGING.glob("*/_*__sources.yml"):
        for source in yaml.safe_load(path.read_text())["sources"]:
            for table in source.get("tables", []):
                tables[f"{source['name']}.{table['name']}"] = {**table, "schema": source["schema"]}
    return tables


def test_every_contract_table_is_a_source_with_the_contract_columns():
    sources = _sources()
    lineage = [name for name, _ in LINEAGE_COLUMNS]
    for table in TABLES:
        source = sources[table.key]
        assert source["schema"] == "raw"
        assert source["identifier"] == table.raw_table
        columns = [column["name"] for column in source["columns"]]
        assert columns == [column.name for column in table.columns] + lineage, table.key


def test_every_contract_table_has_a_staging_model():
    for table in TABLES:
        model = STAGING / table.source / f"stg_{table.source}__{table.name}.sql"
        assert model.exists(), model
        assert f"source('{table.source}', '{table.name}')" in model.read_text()
