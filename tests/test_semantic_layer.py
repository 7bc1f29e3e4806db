"""The MetricFlow semantic layer (dbt_models/models/semantic/) on the golden warehouse.

The golden rows (tests/dbt_fixtures/golden_rows.py, as-of 2024-04-10) are built once
(tests/conftest.py). MetricFlow's own SQL, planned by its Python API from the build's
semantic_manifest.json and run read-only on the warehouse, must give kpi_values' numbers for
every KPI in the semantic layer, grain and breakdown; a quarter and two-dimension queries,
which kpi_values cannot answer, are checked against values worked out by hand.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest
from metricflow.protocols.sql_client import SqlEngine
from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

from dagster_project.catalog import CatalogError, load_catalog
from dagster_project.transform import semantic_layer
from tests.dbt_fixtures.warehouse import DBT_PROJECT_DIR, REPO_ROOT

CATALOG = load_catalog()
SEMANTIC_KPIS = [kpi for kpi in semantic_layer.load_semantic_kpis() if kpi.kind != "left_out"]
LEFT_OUT = [kpi for kpi in semantic_layer.load_semantic_kpis() if kpi.kind == "left_out"]
MF_EXECUTABLE = Path(sys.executable).parent / "mf"

Query = Callable[..., list[dict[str, Any]]]


class _PlanOnlyDuckDbClient:
    """The SqlClient MetricFlow plans with: DuckDB's dialect; the test runs the SQL itself."""

    sql_engine_type = SqlEngine.DUCKDB
    sql_plan_renderer = DuckDbSqlPlanRenderer()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"

    def query(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("the test runs MetricFlow's SQL on its own read-only connection")

    execute = dry_run = query

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def metricflow(golden_warehouse) -> Iterator[Query]:
    """`query(metrics, group_by, where=None)`: MetricFlow's answer as rows (periods as dates)."""
    manifest_json = (golden_warehouse.target_dir / "semantic_manifest.json").read_text(encoding="utf-8")
    manifest = parse_manifest_from_dbt_generated_manifest(manifest_json_string=manifest_json)
    engine = MetricFlowEngine(SemanticManifestLookup(manifest), _PlanOnlyDuckDbClient())
    con = duckdb.connect(str(golden_warehouse.path), read_only=True)

    def query(
        metrics: list[str], group_by: list[str], where: list[str] | None = None
    ) -> list[dict[str, Any]]:
        request = MetricFlowQueryRequest.create(
            metric_names=metrics, group_by_names=group_by, where_constraints=where
        )
        relation = con.sql(engine.explain(request).sql_statement.sql)
        return [
            {
                name: value.date() if isinstance(value, dt.datetime) else value
                for name, value in zip(relation.columns, row, strict=True)
            }
            for row in relation.fetchall()
        ]

    yield query
    con.close()


@pytest.fixture(scope="module")
def kpi_values(golden_warehouse) -> list[dict[str, Any]]:
    con = duckdb.connect(str(golden_warehouse.path), read_only=True)
    try:
        relation = con.sql(
            "select kpi_id, grain, period_start, dimension_name, dimension_value, value from kpi_values"
        )
        return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]
    finally:
        con.close()


# ── The generated YAML and the catalog ───────────────────────────────────────


def test_generated_semantic_yaml_is_up_to_date_with_the_catalog():
    assert semantic_layer.main(["--check"]) == 0, (
        "dbt_models/models/semantic/_semantic_layer.yml is stale: "
        "run .venv/bin/python -m dagster_project.transform.semantic_layer"
    )


def test_every_catalog_kpi_is_a_metric_or_left_out_with_a_reason_the_readme_lists():
    assert {kpi.kpi_id for kpi in SEMANTIC_KPIS + LEFT_OUT} == set(CATALOG.ids())
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### What MetricFlow cannot express", 1)[1].split("\n## ", 1)[0]
    assert all(kpi.left_out for kpi in LEFT_OUT)
    missing = [kpi.kpi_id for kpi in LEFT_OUT if f"`{kpi.kpi_id}`" not in section]
    assert missing == []


def test_hr_kpis_over_people_are_not_in_the_semantic_layer():
    # kpis.md: time to hire and internal mobility count positions, not people; every other HR
    # KPI is computed over people and must not be cut below 5 by a query.
    hr_metrics = {kpi.kpi_id for kpi in SEMANTIC_KPIS if kpi.kpi_id.startswith("hr.")}
    assert hr_metrics == {"hr.time_to_hire_days", "hr.internal_mobility_rate"}
    document = yaml.safe_load(semantic_layer.SEMANTIC_YAML_PATH.read_text(encoding="utf-8"))
    people_models = {"stg_hr__employees", "stg_hr__absences", "stg_hr__survey_responses"}
    read = {re.search(r"ref\('(\w+)'\)", model["model"]).group(1) for model in document["semantic_models"]}
    assert read & people_models == set()
    assert "int_hr_headcount_by_day" not in read


def test_a_semantic_field_with_an_unknown_key_names_the_kpi_and_the_field():
    with pytest.raises(CatalogError, match=r"KPI 'cs.nps', field 'semantic.rows': unknown field"):
        semantic_layer._parse_semantic("cs.nps", {"left_out": "no", "rows": 1}, set(), "definition")


def test_mf_validate_configs_passes_on_the_golden_warehouse(golden_warehouse, tmp_path):
    # mf reads <project>/target/semantic_manifest.json: a project folder of links to dbt_models/
    # whose target is the golden build's, so the check neither writes nor reads dbt_models/target.
    project = tmp_path / "dbt_project"
    project.mkdir()
    for entry in DBT_PROJECT_DIR.iterdir():
        if entry.name not in ("target", "logs"):
            (project / entry.name).symlink_to(entry)
    (project / "target").symlink_to(golden_warehouse.target_dir)
    env = {**os.environ, "DO_NOT_TRACK": "1", "KPI_WAREHOUSE_PATH": str(golden_warehouse.path)}
    result = subprocess.run(
        [str(MF_EXECUTABLE), "validate-configs"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Successfully validated metrics against data warehouse" in output


# ── MetricFlow = kpi_values ──────────────────────────────────────────────────


@pytest.mark.parametrize("kpi", SEMANTIC_KPIS, ids=lambda kpi: kpi.kpi_id)
def test_metricflow_gives_kpi_values_numbers_at_every_grain_and_breakdown(metricflow, kpi_values, kpi):
    # One metric per query: MetricFlow joins the metrics of one query with full outer joins,
    # which DuckDB plans in time exponential in their number.
    compared = 0
    for grain in CATALOG.kpi(kpi.kpi_id).grains:
        for dimension in ("total", *kpi.dimensions):
            compared += _compare(metricflow, kpi_values, kpi, grain, dimension)
    assert compared > 0


def _compare(metricflow: Query, kpi_values: list[dict[str, Any]], kpi, grain: str, dimension: str) -> int:
    """Assert MetricFlow's rows of one grain and breakdown equal kpi_values'; return how many."""
    time = f"metric_time__{grain}"
    group_by = kpi.dimensions.get(dimension)
    rows = metricflow([kpi.metric_name], [time] + ([group_by] if group_by else []))
    expected = {
        (row["period_start"], row["dimension_value"]): row["value"]
        for row in kpi_values
        if (row["kpi_id"], row["grain"], row["dimension_name"]) == (kpi.kpi_id, grain, dimension)
    }
    keys = [(row[time], row[group_by] if group_by else "total") for row in rows]
    assert len(keys) == len(set(keys)), f"{kpi.metric_name} by {time}, {group_by}: repeated rows"
    # kpi_values leaves rows without a value for the dimension out of its breakdown rows (they
    # count in the total only); MetricFlow groups them under null.
    actual = {
        (row[time], "total" if group_by is None else str(row[group_by])): row[kpi.metric_name]
        for row in rows
        if group_by is None or row[group_by] is not None
    }
    where = f"{kpi.metric_name} by {time}" + (f", {group_by}" if group_by else "")
    for key, value in expected.items():
        if key not in actual:
            # A period without rows: kpi_values has its total (0, or null with a reason),
            # MetricFlow no row.
            assert dimension == "total" and value == (0 if kpi.kind == "sum" else None), (where, key)
            continue
        if value is None:
            assert actual[key] is None, (where, key, actual[key])
        else:
            assert actual[key] == pytest.approx(value, rel=1e-9, abs=1e-12), (where, key)
    # A row kpi_values does not have carries no number: a period or breakdown value only the
    # numerator's side has rows in (null: its denominator is empty).
    for key in actual.keys() - expected.keys():
        assert actual[key] is None, (where, key, actual[key])
    return len(expected.keys() & actual.keys())


# ── Questions kpi_values cannot answer, worked out by hand ───────────────────


def _by(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(row[key] for key in keys): row for row in rows}


def test_a_quarter_sums_its_months_and_a_ratio_divides_the_quarters_totals(metricflow):
    rows = _by(
        metricflow(
            ["sales_revenue", "sales_avg_order_size", "cs_first_contact_resolution"], ["metric_time__quarter"]
        ),
        "metric_time__quarter",
    )
    q1, q2 = rows[(dt.date(2024, 1, 1),)], rows[(dt.date(2024, 4, 1),)]
    # Revenue: February O4 1 × 500 = 500; March O1 3 × 100 + 1 × 50 × 0.9 = 345 and O2
    # 1 × 1000 × 0.75 = 750; April (local) O3 4 × 10 = 40 and O6 60.
    assert q1["sales_revenue"] == pytest.approx(500 + 345 + 750)
    assert q2["sales_revenue"] == pytest.approx(40 + 60)
    # Orders of Q1: O4 (500), O1 (345), O2 (750), O5 (no lines, 0): 1595 / 4, not the mean of the
    # months' averages ((500 + 365) / 2 = 432.5).
    assert q1["sales_avg_order_size"] == pytest.approx(1595 / 4)
    # Resolved in Q1 (local): T5 (03-28) and T1 (03-31 04:00 local), both one contact, never
    # reopened: 2 / 2. In Q2: T2 (2 contacts, reopened) and T3 (one contact): 1 / 2.
    assert q1["cs_first_contact_resolution"] == pytest.approx(1.0)
    assert q2["cs_first_contact_resolution"] == pytest.approx(0.5)


def test_revenue_by_region_and_product_category_together(metricflow):
    rows = metricflow(
        ["sales_revenue"],
        ["metric_time__month", "order__region", "order_line__product_category"],
        where=["{{ TimeDimension('metric_time', 'month') }} = '2024-03-01'"],
    )
    values = {
        (row["order__region"], row["order_line__product_category"]): row["sales_revenue"]
        for row in rows
        if row["order__region"] is not None
    }
    # March: O1 (north) line 1 P1 widgets 3 × 100 = 300, line 2 P2 gadgets 1 × 50 × 0.9 = 45;
    # O2 (south) P1 widgets 1 × 1000 × 0.75 = 750.
    assert values == {
        ("north", "widgets"): pytest.approx(300),
        ("north", "gadgets"): pytest.approx(45),
        ("south", "widgets"): pytest.approx(750),
    }


def test_first_contact_resolution_by_channel_and_category_together(metricflow):
    rows = metricflow(
        ["cs_first_contact_resolution"], ["metric_time__week", "ticket__channel", "ticket__category"]
    )
    values = {
        (row["metric_time__week"], row["ticket__channel"], row["ticket__category"]): row[
            "cs_first_contact_resolution"
        ]
        for row in rows
        if row["ticket__channel"] is not None
    }
    # Week of 2024-03-25: T5 (email, billing) and T1 (chat, billing), both first-contact
    # resolutions. Week of 2024-04-01: T2 (email, billing; 2 contacts) no, T3 (phone, tech) yes.
    assert values == {
        (dt.date(2024, 3, 25), "email", "billing"): pytest.approx(1.0),
        (dt.date(2024, 3, 25), "chat", "billing"): pytest.approx(1.0),
        (dt.date(2024, 4, 1), "email", "billing"): pytest.approx(0.0),
        (dt.date(2024, 4, 1), "phone", "tech"): pytest.approx(1.0),
    }


def test_output_by_line_and_site_on_the_dst_day(metricflow):
    rows = metricflow(
        ["production_output_units", "production_oee"],
        ["metric_time__day", "machine__line_id", "machine__site"],
        where=["{{ TimeDimension('metric_time', 'day') }} = '2024-03-31'"],
    )
    values = _by(
        [row for row in rows if row["machine__line_id"] is not None], "machine__line_id", "machine__site"
    )
    # R1 (M1: L1, aarhus) 1900 good; R2 (M2: L2, odense) 1000 good.
    assert values[("L1", "aarhus")]["production_output_units"] == 1900
    assert values[("L2", "odense")]["production_output_units"] == 1000
    # OEE of R1: ideal 10 s × 2000 = 20000 s = 333.33 min over 480 planned, × quality 1900 / 2000.
    assert values[("L1", "aarhus")]["production_oee"] == pytest.approx(20000 / 60 / 480 * 0.95)
    # R2: 20 s × 1000 = 20000 s over 480 planned minutes, quality 1.
    assert values[("L2", "odense")]["production_oee"] == pytest.approx(20000 / 60 / 480)


def test_without_metric_time_a_ratio_still_counts_only_its_rows(metricflow):
    rows = metricflow(["cs_first_contact_resolution"], ["ticket__channel"])
    values = {row["ticket__channel"]: row["cs_first_contact_resolution"] for row in rows}
    # All time, resolved tickets only: email T5 (yes) and T2 (2 contacts, no) = 1 / 2; chat T1
    # (yes; T4 is not resolved) = 1; phone T3 (yes) = 1. Counting the unresolved T6 (email, one
    # contact) would give email 2 / 3.
    assert values == {"email": pytest.approx(0.5), "chat": pytest.approx(1.0), "phone": pytest.approx(1.0)}
