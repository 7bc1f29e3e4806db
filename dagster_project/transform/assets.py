"""Dagster assets of the transform step: the KPI catalog table and every dbt model."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from dagster_project.catalog import (
    definition_version,
    format_findings,
    lint,
    load_catalog,
    write_catalog_tables,
)
from dagster_project.transform.project import dbt_project, ensure_manifest, kpi_sql_texts
from dagster_project.warehouse import Warehouse

CATALOG_KEY = dg.AssetKey(["kpi_catalog"])


@dg.asset(
    key=CATALOG_KEY,
    group_name="catalog",
    kinds={"duckdb", "yaml"},
    description="The KPI catalog (dbt_models/kpi_catalog.yml) as `catalog.*` tables, with each KPI's "
    "definition version (hash of its catalog entry and the SQL that computes it).",
)
def kpi_catalog(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    catalog = load_catalog()
    sql = kpi_sql_texts([kpi.id for kpi in catalog.kpis])
    versions = {kpi.id: definition_version(kpi, sql[kpi.id]) for kpi in catalog.kpis}
    unmapped = sorted(kpi_id for kpi_id, text in sql.items() if not text)
    if unmapped:
        context.log.warning(
            f"No dbt model names these KPIs, so their version covers the catalog only: {unmapped}"
        )
    with warehouse.connection() as con:
        write_catalog_tables(con, catalog, versions)
    return dg.MaterializeResult(
        metadata={"kpis": len(catalog.kpis), "guardrail_pairs": len(catalog.guardrail_pairs)}
    )


@dg.asset_check(asset=CATALOG_KEY, description="The source text's criteria for a good KPI (catalog lint).")
def catalog_lint() -> dg.AssetCheckResult:
    findings = lint(load_catalog())
    errors = [f for f in findings if f.severity == "error"]
    return dg.AssetCheckResult(
        passed=not errors,
        severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        metadata={
            "errors": len(errors),
            "warnings": len(findings) - len(errors),
            "findings": dg.MetadataValue.md(format_findings(findings) or "none"),
        },
    )


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False  # rebuild incremental models from scratch


class KpiTranslator(DagsterDbtTranslator):
    """Sources point at the ingest and catalog assets; models are grouped by layer and function."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            if dbt_resource_props["source_name"] == "catalog":
                return CATALOG_KEY
            return dg.AssetKey(["raw", dbt_resource_props["identifier"]])
        return dg.AssetKey([dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        folders = dbt_resource_props.get("fqn", [])[1:-1]
        if folders[:1] == ["marts"]:
            return folders[1] if len(folders) > 1 else "kpis"
        return folders[0] if folders else "kpis"


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    dagster_dbt_translator=KpiTranslator(
        settings=DagsterDbtTranslatorSettings(
            enable_asset_checks=True, enable_duplicate_source_asset_keys=True
        )
    ),
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    args = ["build", "--full-refresh"] if config.full_refresh else ["build"]
    yield from dbt.cli(args, context=context).stream()


transform_assets = [kpi_catalog, dbt_models]
transform_checks = [catalog_lint]
