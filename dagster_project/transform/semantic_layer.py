"""The MetricFlow semantic layer, generated from the KPI catalog's `semantic` fields.

`python -m dagster_project.transform.semantic_layer` writes dbt_models/models/semantic/
_semantic_layer.yml: one semantic model per dbt model a KPI reads (entities, the dimensions the
catalog names, the local-date time dimensions) and one metric per KPI MetricFlow can express.
`--check` exits 1 when the file differs from what the catalog gives (a test runs it).

The catalog holds every per-KPI fact (measure expressions, time column, row filter, which
group-by a catalog dimension is); this module holds only what the dbt models are (their keys
and foreign keys below) and the rules for turning one into the other.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dagster_project.catalog import DEFAULT_CATALOG_PATH, CatalogError, load_catalog

SEMANTIC_YAML_PATH = DEFAULT_CATALOG_PATH.parent / "models" / "semantic" / "_semantic_layer.yml"
TIME_SPINE_MODEL = "metricflow_time_spine"


@dataclass(frozen=True)
class ModelKeys:
    """A dbt model as MetricFlow sees it: the entity its rows are, and the entities they point to."""

    entity: str
    key_expr: str
    foreign: Mapping[str, str] = field(default_factory=dict)
    # Boolean dimensions for the catalog's row filters (name → SQL). Not time dimensions: a
    # filter on a time dimension is also applied to the time spine's days, which repeats rows.
    flags: Mapping[str, str] = field(default_factory=dict)


# The event-grain models the marts read. An entity is named after what one row is; a dimension
# `ticket__channel` is the column `channel` of the model whose rows are tickets.
MODELS: dict[str, ModelKeys] = {
    "int_order_lines_with_revenue": ModelKeys(
        "order_line", "order_id || '/' || line_number", {"order": "order_id"}
    ),
    "int_orders_with_revenue": ModelKeys("order", "order_id"),
    "stg_crm__opportunities": ModelKeys(
        "opportunity",
        "opportunity_id",
        flags={"has_quote": "quote_sent_at is not null", "is_closed": "closed_at is not null"},
    ),
    "stg_marketing__leads": ModelKeys("lead", "lead_id", {"session": "session_id"}),
    "stg_web__sessions": ModelKeys("session", "session_id"),
    "stg_marketing__ad_spend": ModelKeys("ad_spend", "cast(spend_date as varchar) || '/' || campaign_id"),
    "int_customer_first_orders": ModelKeys("new_customer", "customer_id"),
    "stg_marketing__social_posts": ModelKeys("social_post", "post_id"),
    "stg_hr__requisitions": ModelKeys(
        "requisition", "requisition_id", flags={"is_filled": "filled_on is not null"}
    ),
    "stg_mes__production_runs": ModelKeys("production_run", "run_id", {"machine": "machine_id"}),
    "stg_mes__machines": ModelKeys("machine", "machine_id"),
    "stg_mes__material_usage": ModelKeys("material_usage", "usage_id"),
    "stg_helpdesk__tickets": ModelKeys(
        "ticket",
        "ticket_id",
        flags={"is_answered": "first_response_at is not null", "is_resolved": "resolved_at is not null"},
    ),
    "stg_helpdesk__csat_surveys": ModelKeys(
        "csat_survey", "ticket_id", {"ticket": "ticket_id"}, flags={"is_answered": "responded_at is not null"}
    ),
    "stg_helpdesk__nps_responses": ModelKeys("nps_response", "response_id"),
}

_MEASURE_KEYS = {"model", "time", "expr"}
_SEMANTIC_KEYS = {
    "sum": {"sum", "filter", "dimensions"},
    "median": {"median", "filter", "dimensions"},
    "ratio": {"numerator", "denominator", "filter", "dimensions"},
    "derived": {"derived", "metrics", "dimensions"},
    "left_out": {"left_out"},
}
# `{{ Dimension('ticket__is_resolved') }}`: a column, or a flag of MODELS, of the entity's model.
_FILTER_REFERENCE = re.compile(r"\bDimension\('([a-z_]+?)__([a-z_]+)'\)")


@dataclass(frozen=True)
class Measure:
    model: str
    time: str
    expr: str


@dataclass(frozen=True)
class SemanticKpi:
    """One catalog KPI's `semantic` entry, checked."""

    kpi_id: str
    kind: str  # sum | median | ratio | derived | left_out
    description: str
    measures: Mapping[str, Measure] = field(default_factory=dict)  # role (value | numerator | ...) → measure
    filter: str | None = None
    dimensions: Mapping[str, str] = field(default_factory=dict)  # catalog dimension → group-by name
    derived_expr: str | None = None
    derived_metrics: tuple[str, ...] = ()
    left_out: str | None = None

    @property
    def metric_name(self) -> str:
        return metric_name(self.kpi_id)


def metric_name(kpi_id: str) -> str:
    """`sales.hit_rate` → `sales_hit_rate` (MetricFlow names are snake case)."""
    return kpi_id.replace(".", "_")


def load_semantic_kpis(catalog_path: Path = DEFAULT_CATALOG_PATH) -> list[SemanticKpi]:
    """Every catalog KPI's `semantic` entry, in catalog order; a CatalogError names KPI and field."""
    catalog = load_catalog(catalog_path)
    with Path(catalog_path).open(encoding="utf-8") as handle:
        entries = {entry["id"]: entry for entry in yaml.safe_load(handle)["kpis"]}
    kpis = [
        _parse_semantic(kpi.id, entries[kpi.id].get("semantic"), set(kpi.dimensions), kpi.definition_en or "")
        for kpi in catalog.kpis
    ]
    known = {kpi.kpi_id for kpi in kpis if kpi.kind != "left_out"}
    for kpi in kpis:
        for used in kpi.derived_metrics:
            if used not in known:
                raise CatalogError(
                    f"{DEFAULT_CATALOG_PATH.name}: KPI {kpi.kpi_id!r}, field 'semantic.metrics': "
                    f"{used!r} is not a metric"
                )
    return kpis


def _parse_semantic(kpi_id: str, raw: Any, dimensions: set[str], definition: str) -> SemanticKpi:
    def where(path: str = "") -> str:
        return f"{DEFAULT_CATALOG_PATH.name}: KPI {kpi_id!r}, field 'semantic{path}'"

    if not isinstance(raw, dict):
        raise CatalogError(f"{where()}: required, a mapping (a metric, or left_out with the reason)")
    kinds = [kind for kind in ("left_out", "sum", "median", "derived", "numerator") if kind in raw]
    if len(kinds) != 1:
        raise CatalogError(f"{where()}: give exactly one of left_out, sum, median, derived, numerator")
    kind = "ratio" if kinds[0] == "numerator" else kinds[0]
    unknown = sorted(set(raw) - _SEMANTIC_KEYS[kind])
    if unknown:
        raise CatalogError(f"{where('.' + unknown[0])}: unknown field for a {kind} metric")
    if kind == "left_out":
        return SemanticKpi(kpi_id, kind, definition, left_out=" ".join(str(raw["left_out"]).split()))
    mapped = raw.get("dimensions")
    if not isinstance(mapped, dict) or set(mapped) != dimensions:
        raise CatalogError(
            f"{where('.dimensions')}: must map exactly the KPI's dimensions {sorted(dimensions)} "
            "to group-by names"
        )
    for name, group_by in mapped.items():
        entity = str(group_by).split("__")[0]
        if "__" not in str(group_by) or entity not in {keys.entity for keys in MODELS.values()}:
            raise CatalogError(f"{where('.dimensions.' + name)}: {group_by!r} is not entity__column")
    if kind == "derived":
        return SemanticKpi(
            kpi_id,
            kind,
            definition,
            dimensions=mapped,
            derived_expr=" ".join(str(raw["derived"]).split()),
            derived_metrics=tuple(raw.get("metrics") or ()),
        )
    roles = ("value",) if kind in ("sum", "median") else ("numerator", "denominator")
    keys = {role: kind if role == "value" else role for role in roles}
    measures = {
        role: _parse_measure(raw[key], lambda sub, key=key: where(f".{key}{sub}"))
        for role, key in keys.items()
    }
    row_filter = " ".join(str(raw["filter"]).split()) if raw.get("filter") else None
    if row_filter and "TimeDimension" in row_filter:
        raise CatalogError(
            f"{where('.filter')}: filter on a flag or column (Dimension), not a TimeDimension: "
            "MetricFlow applies a time filter to the time spine's days too, which repeats rows"
        )
    return SemanticKpi(
        kpi_id,
        kind,
        definition,
        measures=measures,
        filter=row_filter,
        dimensions=mapped,
    )


def _parse_measure(raw: Any, where: Callable[[str], str]) -> Measure:
    if not isinstance(raw, dict) or set(raw) != _MEASURE_KEYS:
        raise CatalogError(f"{where('')}: must be {{model, time, expr}}")
    if raw["model"] not in MODELS:
        raise CatalogError(f"{where('.model')}: {raw['model']!r} is not one of {', '.join(MODELS)}")
    return Measure(str(raw["model"]), str(raw["time"]), str(raw["expr"]))


# ── The YAML ─────────────────────────────────────────────────────────────────


def semantic_layer(kpis: list[SemanticKpi]) -> dict[str, Any]:
    """The dbt properties document: the time spine's config, semantic models and metrics."""
    return {
        "version": 2,
        "models": [_time_spine_properties()],
        "semantic_models": _semantic_models(kpis),
        "metrics": [metric for kpi in kpis if kpi.kind != "left_out" for metric in _metrics(kpi)],
    }


def _time_spine_properties() -> dict[str, Any]:
    return {
        "name": TIME_SPINE_MODEL,
        "description": "MetricFlow's time spine: every local (Europe/Copenhagen) date of the warehouse.",
        "time_spine": {"standard_granularity_column": "date_day"},
        "columns": [{"name": "date_day", "granularity": "day"}],
    }


def _measure_name(kpi: SemanticKpi, role: str) -> str:
    return kpi.metric_name if role == "value" else f"{kpi.metric_name}_{role}"


def _semantic_models(kpis: list[SemanticKpi]) -> list[dict[str, Any]]:
    by_entity = {keys.entity: model for model, keys in MODELS.items()}
    measures: dict[str, list[tuple[SemanticKpi, str, Measure]]] = {model: [] for model in MODELS}
    time_columns: dict[str, list[str]] = {model: [] for model in MODELS}
    columns: dict[str, list[str]] = {model: [] for model in MODELS}

    def add(bucket: dict[str, list[str]], model: str, column: str) -> None:
        if column not in bucket[model]:
            bucket[model].append(column)

    for kpi in kpis:
        for role, measure in kpi.measures.items():
            measures[measure.model].append((kpi, role, measure))
            add(time_columns, measure.model, measure.time)
        for group_by in kpi.dimensions.values():
            entity, column = group_by.split("__", 1)
            add(columns, by_entity[entity], column)
        for entity, column in _FILTER_REFERENCE.findall(kpi.filter or ""):
            add(columns, by_entity[entity], column)

    documents = []
    for model, keys in MODELS.items():
        entities = [{"name": keys.entity, "type": "primary", "expr": keys.key_expr}]
        entities += [{"name": name, "type": "foreign", "expr": expr} for name, expr in keys.foreign.items()]
        document: dict[str, Any] = {
            "name": keys.entity,
            "description": f"One row per {keys.entity.replace('_', ' ')} ({model}).",
            "model": f"ref('{model}')",
        }
        if time_columns[model]:
            document["defaults"] = {"agg_time_dimension": time_columns[model][0]}
        document["entities"] = entities
        dimensions = [
            {"name": column, "type": "categorical"}
            | ({"expr": keys.flags[column]} if column in keys.flags else {})
            for column in columns[model]
        ]
        dimensions += [
            {"name": column, "type": "time", "type_params": {"time_granularity": "day"}}
            for column in time_columns[model]
        ]
        if dimensions:
            document["dimensions"] = dimensions
        if measures[model]:
            document["measures"] = [
                {
                    "name": _measure_name(kpi, role),
                    "description": f"{kpi.kpi_id} {role}" if role != "value" else kpi.kpi_id,
                    "agg": "median" if kpi.kind == "median" else "sum",
                    "expr": measure.expr,
                    "agg_time_dimension": measure.time,
                }
                for kpi, role, measure in measures[model]
            ]
        documents.append(document)
    return documents


def _simple_metric(name: str, label: str, description: str, measure: str, kind: str, where: str | None):
    metric: dict[str, Any] = {
        "name": name,
        "label": label,
        "description": description,
        "type": "simple",
        "type_params": {
            # A sum over no rows is 0 where another metric of the query has the row. Periods
            # without rows are not joined to the time spine (join_to_timespine): MetricFlow
            # 0.213 then repeats rows once per day of the period when it reads a ratio's
            # numerator and denominator in one scan.
            "measure": {"name": measure} | ({} if kind == "median" else {"fill_nulls_with": 0})
        },
    }
    if where:
        metric["filter"] = where
    return metric


def _metrics(kpi: SemanticKpi) -> list[dict[str, Any]]:
    description = " ".join(kpi.description.split())
    if kpi.kind in ("sum", "median"):
        return [
            _simple_metric(kpi.metric_name, kpi.kpi_id, description, kpi.metric_name, kpi.kind, kpi.filter)
        ]
    if kpi.kind == "derived":
        return [
            {
                "name": kpi.metric_name,
                "label": kpi.kpi_id,
                "description": description,
                "type": "derived",
                "type_params": {
                    "expr": kpi.derived_expr,
                    "metrics": [{"name": metric_name(used)} for used in kpi.derived_metrics],
                },
            }
        ]
    parts = [
        _simple_metric(
            _measure_name(kpi, role),
            f"{kpi.kpi_id} {role}",
            f"The {role} of {kpi.kpi_id}.",
            _measure_name(kpi, role),
            "sum",
            kpi.filter,
        )
        for role in ("numerator", "denominator")
    ]
    ratio = {
        "name": kpi.metric_name,
        "label": kpi.kpi_id,
        "description": description,
        "type": "ratio",
        "type_params": {
            "numerator": _measure_name(kpi, "numerator"),
            "denominator": _measure_name(kpi, "denominator"),
        },
    }
    return [*parts, ratio]


_HEADER = """\
# GENERATED from dbt_models/kpi_catalog.yml (each KPI's `semantic` field) by
#   .venv/bin/python -m dagster_project.transform.semantic_layer
# Do not edit: change the catalog and run that again (a test fails when this file is stale).
#
# Not in the semantic layer (kpi_values only), with the catalog's reason:
"""


def render(kpis: list[SemanticKpi]) -> str:
    """The file's text: the header with the KPIs left out, then the YAML."""
    left_out = "".join(
        "\n".join(
            textwrap.wrap(
                f"{kpi.kpi_id}: {kpi.left_out}", 96, initial_indent="#   ", subsequent_indent="#     "
            )
        )
        + "\n"
        for kpi in kpis
        if kpi.kind == "left_out"
    )
    body = yaml.safe_dump(semantic_layer(kpis), sort_keys=False, allow_unicode=True, width=100)
    return f"{_HEADER}{left_out}\n{body}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    args = parser.parse_args(argv)
    text = render(load_semantic_kpis())
    if args.check:
        current = SEMANTIC_YAML_PATH.read_text(encoding="utf-8") if SEMANTIC_YAML_PATH.exists() else ""
        if current != text:
            print(f"{SEMANTIC_YAML_PATH} is out of date: run python -m {__spec__.name}", file=sys.stderr)
            return 1
        return 0
    SEMANTIC_YAML_PATH.parent.mkdir(parents=True, exist_ok=True)
    SEMANTIC_YAML_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SEMANTIC_YAML_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
