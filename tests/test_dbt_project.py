"""The dbt project's sources and staging models follow the data contract and the catalog."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

from dagster_project.catalog import freshness_limits_by_source, load_catalog
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


def test_a_source_is_as_fresh_as_the_most_demanding_kpi_that_reads_it():
    limits = freshness_limits_by_source(load_catalog())
    for key, source in _sources().items():
        freshness = source.get("config", {}).get("freshness")
        if key not in limits:
            assert freshness is None, f"{key}: no KPI reads it, so it has no freshness limit"
            continue
        assert freshness == {"warn_after": {"count": limits[key], "period": "hour"}}, key


def test_the_event_columns_kpi_freshness_reads_are_the_contracts():
    # The macro's dict literal, read as data: the same tables and event columns as contract.py.
    text = (STAGING.parents[1] / "macros" / "source_event_times.sql").read_text()
    literal = text[
        text.index("set tables = ") + len("set tables = ") : text.index(" -%}", text.index("set tables = "))
    ]
    declared = ast.literal_eval(literal)
    expected = {
        table.key: {
            "source": table.source,
            "table": table.name,
            "instants": [c.name for c in table.columns if c.type == "ts" and c.is_event],
            "dates": [c.name for c in table.columns if c.type == "date" and c.is_event],
        }
        for table in TABLES
    }
    assert declared == expected
