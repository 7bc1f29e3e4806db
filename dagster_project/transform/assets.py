"""Dagster assets of the transform step: the KPI catalog table and every dbt model."""

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from dagster_project import settings
from dagster_project.catalog import (
    definition_version,
    format_findings,
    lint,
    load_catalog,
    mart_owners,
    write_catalog_tables,
)
from dagster_project.lake import export_to_lake, mirror_spark_tables
from dagster_project.transform.project import dbt_project, ensure_manifest, keep_partial_parse, kpi_sql_texts
from dagster_project.up_to_date import project_version
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


_FAILED_STATUSES = ("error", "fail", "runtime error")
_MAX_LISTED_NODES = 10


def _first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else ""


def dbt_failure_message(run_results: Mapping[str, Any], run_results_path: Path) -> str:
    """The failing dbt nodes with dbt's first line about each, and what to do next."""
    failed = [r for r in run_results.get("results", []) if r.get("status") in _FAILED_STATUSES]
    lines = [
        f"- {r['unique_id']} ({r['status']}): {_first_line(r.get('message'))}"
        for r in failed[:_MAX_LISTED_NODES]
    ]
    if len(failed) > _MAX_LISTED_NODES:
        lines.append(f"- ... and {len(failed) - _MAX_LISTED_NODES} more")
    names = " ".join(r["unique_id"].split(".")[-1] for r in failed[:_MAX_LISTED_NODES])
    return "\n".join(
        [
            f"dbt build of the dbt_models assets failed: {len(failed)} node(s) failed or errored.",
            *lines,
            f"Details: {run_results_path} (and the dbt output above in the run log). Reproduce with "
            f"`.venv/bin/dbt build --project-dir dbt_models --profiles-dir dbt_models --select {names or '<node>'}`; "
            "a failing data test means suspect data: `make check` lists the failing rows. Downstream assets "
            "did not run and the published files stay as they were.",
        ]
    )


# The new batch of each fact, and the incremental marts whose rebuilt rows only are tested, for
# the dbt tests of a daily run (dbt_models/macros/generic_tests/new_batch_scope.sql).
TESTED_BATCHES_ENV = "KPI_TESTED_BATCHES"
TESTED_MARTS_ENV = "KPI_TESTED_MARTS"
# A hash of the dbt project, for the incremental models that rebuild whole when it changes.
CODE_VERSION_ENV = "KPI_CODE_VERSION"


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False  # rebuild incremental models from scratch
    # Test every row of the incremental facts and marts, not only the new batch and the rebuilt
    # periods (the weekly job; a full refresh always does).
    test_all_rows: bool = False


# The big incremental facts: daily partitions (local days of their event date), so a date range
# can be backfilled from the UI or `dagster job backfill`. Every other model is unpartitioned.
FACT_MODELS = (
    "stg_crm__order_lines",
    "stg_web__sessions",
    "stg_helpdesk__tickets",
    "stg_hr__absences",
    "stg_mes__production_runs",
)
# The published product's models (dbt_models/models/scorecard/): built after the quality checks of
# kpi_values, whose verdicts they carry (kpi_data_quality), and read by the export.
SCORECARD_MODELS = "path:models/scorecard"
FACT_PARTITIONS_START = "2024-01-01"
fact_partitions = dg.DailyPartitionsDefinition(
    start_date=FACT_PARTITIONS_START,
    timezone="Europe/Copenhagen",
    end_offset=1,  # today too: the contract allows events up to the end of the day after as-of
)


class KpiTranslator(DagsterDbtTranslator):
    """Sources point at the ingest and catalog assets; models are grouped by layer and function;
    each function's mart is owned by the owners of its KPIs in the catalog."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._mart_owners = mart_owners(load_catalog())

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            if dbt_resource_props["source_name"] == "catalog":
                return CATALOG_KEY
            if dbt_resource_props["source_name"] == "quality":
                return dg.AssetKey(["quality", dbt_resource_props["identifier"]])
            return dg.AssetKey(["raw", dbt_resource_props["identifier"]])
        return dg.AssetKey([dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        folders = dbt_resource_props.get("fqn", [])[1:-1]
        if folders[:1] == ["marts"]:
            return folders[1] if len(folders) > 1 else "kpis"
        return folders[0] if folders else "kpis"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        return self._mart_owners.get(dbt_resource_props["name"]) or super().get_owners(dbt_resource_props)

    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> dg.AssetCheckSpec | None:
        # A test between a fact and another model (a relationship) cannot run with the facts, which
        # are built before the other models: it runs with the other models, as a plain dbt test.
        if crosses_fact_boundary(manifest["nodes"][unique_id]):
            return None
        return super().get_asset_check_spec(asset_spec, manifest, unique_id, project)


def crosses_fact_boundary(test_props: Mapping[str, Any]) -> bool:
    """Whether a dbt test reads both a partitioned fact model and a model that is not one."""
    models = {uid.split(".")[-1] for uid in test_props["depends_on"]["nodes"] if uid.startswith("model.")}
    return bool(models & set(FACT_MODELS)) and bool(models - set(FACT_MODELS))


# What the pipeline builds: models and their data tests. A data test runs with an op only when
# every model it reads is in it (see crosses_fact_boundary). Unit tests check the SQL, not the
# data: they run in `make test` (tests/test_dbt_golden.py builds with them), and dbt advises
# leaving them out of production builds.
PIPELINE_BUILD = ["build", "--indirect-selection", "cautious", "--exclude-resource-type", "unit_test"]


_TRANSLATOR = KpiTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_duplicate_source_asset_keys=True)
)


def partition_vars(context: dg.AssetExecutionContext) -> dict[str, str] | None:
    """The dbt vars of a partitioned run: its local days, end exclusive; None when unpartitioned."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return None
    window = context.partition_time_window
    return {
        "partition_start": window.start.date().isoformat(),
        "partition_end": window.end.date().isoformat(),
    }


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """os.environ with `values` set, restored afterwards."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    args: list[str],
    warehouse: Warehouse,
    environment: Mapping[str, str] | None = None,
):
    """`dbt build` with `args`; `environment` is set for this dbt command only."""
    on_spark = settings.engine() == "spark"
    if on_spark:
        # Spark reads the raw layer, the catalog and the checks' verdicts as Parquet.
        with warehouse.connection() as con:
            written = export_to_lake(con, settings.lake_dir())
        context.log.info(f"Wrote {len(written)} tables to the lake {settings.lake_dir()} for Spark")
    # The incremental scorecard rebuilds whole when the project's code changed (kpi_code_version).
    environment = {CODE_VERSION_ENV: project_version(folders=("dbt_models",)), **(environment or {})}
    # Not raising inside dagster-dbt, so the failure can name the failing nodes and what to do.
    with _environment(environment):  # dagster-dbt hands dbt a copy of os.environ
        invocation = dbt.cli(args, context=context, raise_on_error=False)
    yield from invocation.stream()
    keep_partial_parse(invocation.target_path)
    if not invocation.is_successful():
        run_results = invocation.target_path / "run_results.json"
        results = json.loads(run_results.read_text()) if run_results.exists() else {}
        raise dg.Failure(description=dbt_failure_message(results, run_results))
    if on_spark:
        # The checks and the export read the models from the warehouse file, whichever engine built them.
        with warehouse.connection() as con:
            mirrored = mirror_spark_tables(con, settings.spark_dir())
        context.log.info(
            f"{len(mirrored)} Spark tables readable in the warehouse as views over their Parquet"
        )


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    exclude=" ".join([*FACT_MODELS, SCORECARD_MODELS]),
    dagster_dbt_translator=_TRANSLATOR,
)
def dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig, warehouse: Warehouse
):
    args = [*PIPELINE_BUILD, "--full-refresh"] if config.full_refresh else PIPELINE_BUILD
    yield from _build(context, dbt, args, warehouse, _rebuilt_rows_tested(context, config))


def _rebuilt_rows_tested(context: dg.AssetExecutionContext, config: DbtBuildConfig) -> dict[str, str]:
    """The environment of a daily build's tests: they read the rows the run computed again."""
    if config.full_refresh or config.test_all_rows:
        return {}
    models = rebuilt_row_models()
    context.log.info(f"Testing the periods rebuilt at this as-of date in {', '.join(models)}")
    return {TESTED_MARTS_ENV: json.dumps(models)}


def rebuilt_row_models(manifest: Mapping[str, Any] | None = None) -> list[str]:
    """The models built with the incremental strategies kpi_periods (the KPI marts,
    macros/incremental_marts.sql) and kpi_annotations (the annotated values,
    macros/incremental_scorecard.sql), and the views over them whose meta says that their rows
    carry the as-of date they were built at (kpi_scorecard)."""
    manifest = manifest or json.loads(ensure_manifest().read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and (
            node["config"].get("incremental_strategy") in ("kpi_periods", "kpi_annotations")
            or node["config"].get("meta", {}).get("tests_read_rebuilt_rows")
        )
    )


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    select=SCORECARD_MODELS,
    name="dbt_scorecard_models",
    dagster_dbt_translator=_TRANSLATOR,
)
def dbt_scorecard_models_step(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig, warehouse: Warehouse
):
    """Targets, freshness, data quality, flags and the scorecard: every number the export publishes."""
    args = [*PIPELINE_BUILD, "--full-refresh"] if config.full_refresh else PIPELINE_BUILD
    yield from _build(context, dbt, args, warehouse, _rebuilt_rows_tested(context, config))


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    select=" ".join(FACT_MODELS),
    name="dbt_fact_models",
    partitions_def=fact_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    dagster_dbt_translator=_TRANSLATOR,
)
def dbt_fact_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig, warehouse: Warehouse
):
    """A partitioned run (a backfill) rebuilds the facts of its days, delete+insert by key in
    their latest version; an unpartitioned run (the daily and full-refresh jobs) builds them
    incrementally or, with full_refresh, from scratch."""
    args = [*PIPELINE_BUILD, "--full-refresh"] if config.full_refresh else list(PIPELINE_BUILD)
    environment: dict[str, str] = {}
    window = partition_vars(context)
    if window and not config.full_refresh:
        context.log.info(f"Rebuilding the facts of the local days {window} (end exclusive)")
        args += ["--vars", json.dumps(window)]
    elif not (config.full_refresh or config.test_all_rows):
        with warehouse.connection() as con:
            batches = fact_watermarks(con)
        if batches:
            context.log.info(
                "Testing the new batch of each fact (rows of files above its last _file_id): "
                + ", ".join(f"{model} > {file_id}" for model, file_id in batches.items())
            )
            environment[TESTED_BATCHES_ENV] = json.dumps(batches)
    yield from _build(context, dbt, args, warehouse, environment)


def fact_watermarks(con) -> dict[str, int]:
    """For each fact model already built, the highest _file_id it holds: an incremental build adds
    rows above it (the new batch), which the dbt macro get_where_subquery makes its tests read.
    A fact not built yet is left out, so its first build tests every row."""
    built = {
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'"
        ).fetchall()
    }
    batches = {}
    for model in FACT_MODELS:
        if model in built:
            (highest,) = con.execute(f'select max(_file_id) from main."{model}"').fetchone()
            batches[model] = -1 if highest is None else int(highest)
    return batches


transform_assets = [kpi_catalog, dbt_fact_models, dbt_models, dbt_scorecard_models_step]
transform_checks = [catalog_lint]
