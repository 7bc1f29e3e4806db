"""A KPI's definition version hashes its catalog entry and the SQL that computes that KPI only."""

from __future__ import annotations

import copy

import pytest

from dagster_project.catalog import definition_version, load_catalog
from dagster_project.transform.definition_sql import split_ctes
from dagster_project.transform.project import _manifest, kpi_sql_texts

CATALOG = load_catalog()
KPI_IDS = [kpi.id for kpi in CATALOG.kpis]


def versions(manifest) -> dict[str, str]:
    texts = kpi_sql_texts(KPI_IDS, manifest)
    return {kpi.id: definition_version(kpi, texts[kpi.id]) for kpi in CATALOG.kpis}


def edited(name: str, edit) -> dict:
    """A copy of the project's manifest with one model's SQL edited."""
    manifest = copy.deepcopy(_manifest())
    (node,) = [node for node in manifest["nodes"].values() if node["name"] == name]
    node["raw_code"] = edit(node["raw_code"])
    return manifest


@pytest.fixture(scope="module")
def before() -> dict[str, str]:
    return versions(_manifest())


def test_every_kpi_has_sql_of_its_own(before):
    texts = kpi_sql_texts(KPI_IDS, _manifest())
    assert all(texts[kpi_id] for kpi_id in KPI_IDS)
    assert len(set(before.values())) == len(KPI_IDS)


def test_a_comment_or_a_reformatting_changes_no_version(before):
    def reformat(sql: str) -> str:
        return "-- a note on the whole mart\n" + sql.replace("\n    ", "\n        ").replace(
            "with\n", "with /* the imports */\n", 1
        )

    assert versions(edited("fct_cs_kpis", reformat)) == before
    assert versions(edited("stg_hr__absences", lambda sql: sql + "\n-- reviewed\n")) == before


def test_a_change_to_one_staging_model_changes_only_the_kpis_that_read_it(before):
    # stg_mes__shipments feeds the two delivery KPIs of kpis.md and nothing else.
    after = versions(edited("stg_mes__shipments", lambda sql: sql.replace("select", "select distinct", 1)))
    changed = {kpi_id for kpi_id in KPI_IDS if after[kpi_id] != before[kpi_id]}
    assert changed == {"production.delivery_lead_time_days", "production.on_time_delivery_rate"}


def test_a_change_to_the_fcr_numerator_changes_fcr_only(before):
    numerator = "numerator='case when is_first_contact_resolution then 1 else 0 end'"

    def count_reopened_too(sql: str) -> str:
        assert numerator in sql
        return sql.replace(
            numerator,
            "numerator='case when is_first_contact_resolution or reopened_count = 1 then 1 else 0 end'",
        )

    after = versions(edited("fct_cs_kpis", count_reopened_too))
    assert {kpi_id for kpi_id in KPI_IDS if after[kpi_id] != before[kpi_id]} == {
        "cs.first_contact_resolution"
    }


def test_a_change_to_the_shared_pipeline_of_a_mart_changes_its_kpis_only(before):
    # The mart's final select serves all its KPIs; no KPI of another function changes.
    after = versions(edited("fct_cs_kpis", lambda sql: sql.rstrip() + " where true\n"))
    changed = {kpi_id for kpi_id in KPI_IDS if after[kpi_id] != before[kpi_id]}
    assert changed == {kpi.id for kpi in CATALOG.kpis if kpi.function == "customer_service"}


def test_ctes_are_split_at_the_top_level_only():
    ctes, rest = split_ctes(
        "-- header\nwith\n\na as (\n    select (1) as x -- (\n),\n\nb as (select * from a)\n\nselect * from b"
    )
    assert ctes == {"a": "select (1) as x", "b": "select * from a"}
    assert rest.strip() == "select * from b"
