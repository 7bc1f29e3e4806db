"""The KPI catalog (`dbt_models/kpi_catalog.yml`): load, lint, version and publish it as tables.

Pure Python on purpose (yaml, stdlib, duckdb): the tests, the Dagster asset check and the
publish step all read the catalog through this module, and none of them needs Dagster for it.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import yaml

DEFAULT_CATALOG_PATH = Path(__file__).resolve().parents[1] / "dbt_models" / "kpi_catalog.yml"
CATALOG_SCHEMA = "catalog"

FUNCTIONS = ("sales", "marketing", "hr", "production", "customer_service")
ID_PREFIXES = {
    "sales": "sales",
    "marketing": "marketing",
    "hr": "hr",
    "production": "production",
    "customer_service": "cs",
}
ROLES = ("headline", "supporting", "guardrail")
UNITS = (
    "dkk",
    "ratio",
    "count",
    "days",
    "minutes",
    "seconds",
    "score",
    "nps",
    "units_per_hour",
    "multiple",
    "per_1000",
)
DIRECTIONS = ("higher", "lower")
CADENCES = ("daily", "weekly", "monthly")
GRAINS = ("day", "week", "month")
DIMENSIONS = (
    "region",
    "channel",
    "product_category",
    "segment",
    "campaign",
    "platform",
    "department",
    "termination_type",
    "line",
    "site",
    "product",
    "material",
    "category",
)
TARGET_TYPES = ("constant", "per_period", "budget", "none")
# How a KPI's cells roll up (dbt macro finalize_kpi_cells): sum (counts and sums), ratio (ratios
# and means: numerator / denominator) or median; and what its sample_size counts.
AGGREGATIONS = ("sum", "ratio", "median")
SAMPLE_KINDS = ("population", "measure", "none")
HEADLINE_MOVES = ("better", "falling", "rising")
# What a value outside the KPI's value_range is for the checks (expectations/suites/kpi_definitions.yml).
RANGE_BREACHES = ("error", "warning")
DEFAULT_THRESHOLD_PCT = 5.0
# The source text: no function should steer by more than five headline KPIs.
MAX_HEADLINES_PER_FUNCTION = 5
# Fields the lint (not the loader) requires, so a catalog missing one still loads and is reported.
LINTED_FIELDS = (
    "owner",
    "definition_da",
    "definition_en",
    "unit",
    "direction",
    "refresh_cadence",
    "freshness_limit_hours",
)
VERSION_HEX_DIGITS = 12

_TOP_LEVEL_KEYS = {"decisions", "kpis", "guardrail_pairs", "special_checks"}
_KPI_KEYS = {
    "id",
    "function",
    "role",
    "parent",
    "name_da",
    "name_en",
    "question_da",
    "question_en",
    "definition_da",
    "definition_en",
    "unit",
    "direction",
    "owner",
    "refresh_cadence",
    "freshness_limit_hours",
    "grains",
    "dimensions",
    "additive",
    "sources",
    "computed_over_people",
    "aggregation",
    "empty_reason",
    "provisional_days",
    "sample",
    "value_range",
    "complete_breakdowns",
    "target",
    # How the KPI appears in the MetricFlow semantic layer, or why it does not; read and checked
    # by dagster_project/transform/semantic_layer.py, which generates the semantic YAML from it.
    "semantic",
}
_TARGET_KEYS = {
    "constant": {"type", "value"},
    "per_period": {"type", "values"},
    "budget": {"type"},
    "none": {"type"},
}
_PAIR_KEYS = {"headline", "guardrail", "threshold_pct", "headline_move", "meaning_da", "meaning_en"}
_CHECK_KEYS = {
    "csat_selection_bias": {
        "id",
        "kpi",
        "related_kpi",
        "gap_pct_points",
        "min_tickets_per_side",
        "description_da",
        "description_en",
    },
    "definition_drift": {"id", "description_da", "description_en"},
}
_DECISION_KEYS = {"topic", "choice", "why"}
_KPI_ID = re.compile(r"^([a-z]+)\.[a-z0-9_]+$")
_SOURCE = re.compile(r"^[a-z_]+\.[a-z_]+$")
_MONTH_KEY = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK_KEY = re.compile(r"^(\d{4})-W(\d{2})$")
_DAY_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CatalogError(ValueError):
    """The catalog file is malformed; the message names the entry and the field."""


@dataclass(frozen=True)
class PeriodTarget:
    grain: str
    period_start: date
    target: float


@dataclass(frozen=True)
class Target:
    type: str
    value: float | None = None
    periods: tuple[PeriodTarget, ...] = ()


@dataclass(frozen=True)
class Kpi:
    id: str
    function: str
    role: str
    parent: str | None
    name_da: str
    name_en: str
    question_da: str
    question_en: str
    definition_da: str | None
    definition_en: str | None
    unit: str | None
    direction: str | None
    owner: str | None
    refresh_cadence: str | None
    freshness_limit_hours: int | None
    grains: tuple[str, ...]
    dimensions: tuple[str, ...]
    additive: bool
    sources: tuple[str, ...]
    target: Target
    aggregation: str = "sum"
    # Why the value is null when its input is empty (ratios, means, medians; a sum is 0 instead).
    empty_reason: str | None = None
    # Provisional while the period's end plus this many days is after the as-of date.
    provisional_days: int | None = None
    # What sample_size counts: the population (rows in the denominator), the measured rows
    # (medians), or nothing.
    sample: str = "population"
    # An HR value over people (kpis.md, Privacy): withheld below 5 people; positions are not people.
    computed_over_people: bool = False
    # The range the checks hold every value to (None: unbounded on that side), and whether a
    # value outside it is an error or a warning.
    value_min: float | None = None
    value_max: float | None = None
    range_breach: str = "error"
    # Dimensions every counted row carries, so their breakdown adds up to the total exactly.
    complete_breakdowns: tuple[str, ...] = ()


@dataclass(frozen=True)
class GuardrailPair:
    headline: str
    guardrail: str
    threshold_pct: float
    headline_move: str
    meaning_da: str
    meaning_en: str


@dataclass(frozen=True)
class SpecialCheck:
    id: str
    description_da: str
    description_en: str
    kpi_id: str | None = None
    related_kpi_id: str | None = None
    gap_pct_points: float | None = None
    min_tickets_per_side: int | None = None


@dataclass(frozen=True)
class Decision:
    topic: str
    choice: str
    why: str


@dataclass(frozen=True)
class Catalog:
    kpis: tuple[Kpi, ...]
    guardrail_pairs: tuple[GuardrailPair, ...]
    special_checks: tuple[SpecialCheck, ...] = ()
    decisions: tuple[Decision, ...] = ()

    def kpi(self, kpi_id: str) -> Kpi:
        for kpi in self.kpis:
            if kpi.id == kpi_id:
                return kpi
        raise KeyError(f"no KPI {kpi_id!r} in the catalog")

    def ids(self) -> tuple[str, ...]:
        return tuple(kpi.id for kpi in self.kpis)

    def headlines(self, function: str) -> tuple[Kpi, ...]:
        return tuple(k for k in self.kpis if k.function == function and k.role == "headline")

    def guardrails_of(self, kpi_id: str) -> tuple[GuardrailPair, ...]:
        return tuple(pair for pair in self.guardrail_pairs if pair.headline == kpi_id)

    def special_check(self, check_id: str) -> SpecialCheck:
        for check in self.special_checks:
            if check.id == check_id:
                return check
        raise KeyError(f"no special check {check_id!r} in the catalog")


@dataclass(frozen=True)
class LintFinding:
    severity: str  # error | warning
    rule: str
    message: str
    kpi_id: str | None = None
    function: str | None = None


# ── Loading ──────────────────────────────────────────────────────────────────


def load_catalog(path: Path = DEFAULT_CATALOG_PATH) -> Catalog:
    """Read and validate the catalog; a CatalogError names the file, the entry and the field."""
    with Path(path).open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    return parse_catalog(document, source=Path(path).name)


def parse_catalog(document: Any, source: str = "catalog") -> Catalog:
    """Validate an already parsed catalog document (the YAML as Python data)."""
    if not isinstance(document, dict):
        raise CatalogError(f"{source}: the top level must be a mapping")
    _reject_unknown(document, _TOP_LEVEL_KEYS, f"{source}: top level")
    catalog = Catalog(
        kpis=tuple(
            _parse_kpi(entry, index, source)
            for index, entry in enumerate(_list(document, "kpis", f"{source}: top level"), 1)
        ),
        guardrail_pairs=tuple(
            _parse_pair(entry, index, source)
            for index, entry in enumerate(_list(document, "guardrail_pairs", f"{source}: top level"), 1)
        ),
        special_checks=tuple(
            _parse_special_check(entry, index, source)
            for index, entry in enumerate(
                _list(document, "special_checks", f"{source}: top level", required=False), 1
            )
        ),
        decisions=tuple(
            _parse_decision(entry, index, source)
            for index, entry in enumerate(
                _list(document, "decisions", f"{source}: top level", required=False), 1
            )
        ),
    )
    _check_references(catalog, source)
    return catalog


def _parse_kpi(entry: Any, index: int, source: str) -> Kpi:
    where = f"{source}: KPI #{index}"
    if not isinstance(entry, dict):
        raise CatalogError(f"{where}: must be a mapping")
    kpi_id = _text(entry, "id", where)
    match = _KPI_ID.match(kpi_id)
    if not match:
        raise CatalogError(f"{where}, field 'id': {kpi_id!r} is not of the form function.name")
    where = f"{source}: KPI {kpi_id!r}"
    _reject_unknown(entry, _KPI_KEYS, where)
    function = _choice(entry, "function", FUNCTIONS, where)
    if match.group(1) != ID_PREFIXES[function]:
        raise CatalogError(
            f"{where}, field 'id': the prefix of a {function} KPI is "
            f"{ID_PREFIXES[function]!r}, not {match.group(1)!r}"
        )
    role = _choice(entry, "role", ROLES, where)
    parent = _text(entry, "parent", where, required=False)
    if role == "supporting" and parent is None:
        raise CatalogError(f"{where}, field 'parent': a supporting KPI names its headline KPI")
    if role != "supporting" and parent is not None:
        raise CatalogError(f"{where}, field 'parent': only a supporting KPI has a parent")
    grains = _subset(entry, "grains", GRAINS, where, allow_empty=False)
    return Kpi(
        id=kpi_id,
        function=function,
        role=role,
        parent=parent,
        name_da=_text(entry, "name_da", where),
        name_en=_text(entry, "name_en", where),
        question_da=_text(entry, "question_da", where),
        question_en=_text(entry, "question_en", where),
        definition_da=_text(entry, "definition_da", where, required=False),
        definition_en=_text(entry, "definition_en", where, required=False),
        unit=_choice(entry, "unit", UNITS, where, required=False),
        direction=_choice(entry, "direction", DIRECTIONS, where, required=False),
        owner=_text(entry, "owner", where, required=False),
        refresh_cadence=_choice(entry, "refresh_cadence", CADENCES, where, required=False),
        freshness_limit_hours=_positive_int(entry, "freshness_limit_hours", where),
        # Canonical order, so that grains compare and hash the same however they are written.
        grains=tuple(grain for grain in GRAINS if grain in grains),
        dimensions=_subset(entry, "dimensions", DIMENSIONS, where, allow_empty=True),
        additive=_bool(entry, "additive", where),
        sources=_sources(entry, where),
        target=_parse_target(entry.get("target"), grains, where),
        computed_over_people=_optional_bool(entry, "computed_over_people", where),
        complete_breakdowns=_complete_breakdowns(entry, where),
        **_aggregation(entry, where),
        **_value_range(entry.get("value_range"), where),
    )


def _value_range(raw: Any, where: str) -> dict[str, Any]:
    where = f"{where}, field 'value_range'"
    if not isinstance(raw, dict) or not ({"min", "max"} & set(raw)):
        raise CatalogError(f"{where}: every KPI states the range of its values, as {{min: …, max: …}}")
    _reject_unknown(raw, {"min", "max", "outside"}, where)
    low = _number(raw["min"], f"{where}.min") if raw.get("min") is not None else None
    high = _number(raw["max"], f"{where}.max") if raw.get("max") is not None else None
    if low is not None and high is not None and low > high:
        raise CatalogError(f"{where}: min {low:g} is above max {high:g}")
    breach = raw.get("outside", "error")
    if breach not in RANGE_BREACHES:
        raise CatalogError(f"{where}.outside: {breach!r} is not one of {', '.join(RANGE_BREACHES)}")
    return {"value_min": low, "value_max": high, "range_breach": breach}


def _complete_breakdowns(entry: Mapping[str, Any], where: str) -> tuple[str, ...]:
    if entry.get("complete_breakdowns") is None:
        return ()
    dimensions = _subset(entry, "complete_breakdowns", DIMENSIONS, where, allow_empty=False)
    unknown = [dimension for dimension in dimensions if dimension not in (entry.get("dimensions") or [])]
    if unknown:
        raise CatalogError(
            f"{where}, field 'complete_breakdowns': {unknown[0]!r} is not one of the KPI's dimensions"
        )
    if dimensions and not entry.get("additive"):
        raise CatalogError(f"{where}, field 'complete_breakdowns': only an additive KPI adds up to its total")
    return dimensions


def _aggregation(entry: Mapping[str, Any], where: str) -> dict[str, Any]:
    aggregation = _choice(entry, "aggregation", AGGREGATIONS, where)
    empty_reason = _text(entry, "empty_reason", where, required=False)
    if aggregation != "sum" and empty_reason is None:
        raise CatalogError(f"{where}, field 'empty_reason': a {aggregation} says why it can be empty")
    if aggregation == "sum" and empty_reason is not None:
        raise CatalogError(f"{where}, field 'empty_reason': a sum over nothing is 0, never empty")
    default_sample = "measure" if aggregation == "median" else "population"
    sample = _choice(entry, "sample", SAMPLE_KINDS, where, required=False) or default_sample
    return {
        "aggregation": aggregation,
        "empty_reason": empty_reason,
        "provisional_days": _positive_int(entry, "provisional_days", where),
        "sample": sample,
    }


def _parse_target(raw: Any, grains: tuple[str, ...], where: str) -> Target:
    where = f"{where}, field 'target'"
    if raw is None:
        return Target("none")
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: must be a mapping with a 'type'")
    target_type = raw.get("type")
    if target_type not in TARGET_TYPES:
        raise CatalogError(f"{where}: type {target_type!r} is not one of {', '.join(TARGET_TYPES)}")
    _reject_unknown(raw, _TARGET_KEYS[target_type], where)
    if target_type == "constant":
        return Target("constant", value=_number(raw.get("value"), f"{where}, 'value'"))
    if target_type == "budget" and "month" not in grains:
        raise CatalogError(f"{where}: a budget target needs the month grain (budgets are monthly)")
    if target_type != "per_period":
        return Target(target_type)
    values = raw.get("values")
    if not isinstance(values, dict) or not values:
        raise CatalogError(f"{where}: a per_period target needs a non-empty 'values' mapping")
    periods = []
    for key, value in values.items():
        grain, period_start = parse_period_key(str(key), f"{where}, period {key!r}")
        if grain not in grains:
            raise CatalogError(f"{where}, period {key!r}: the KPI has no {grain} grain")
        periods.append(PeriodTarget(grain, period_start, _number(value, f"{where}, {key!r}")))
    return Target("per_period", periods=tuple(sorted(periods, key=_period_order)))


def parse_period_key(key: str, where: str = "period") -> tuple[str, date]:
    """`2025-03` → (month, 2025-03-01); `2025-W10` → (week, its Monday); `2025-03-04` → day."""
    try:
        if month := _MONTH_KEY.match(key):
            return "month", date(int(month.group(1)), int(month.group(2)), 1)
        if week := _WEEK_KEY.match(key):
            return "week", date.fromisocalendar(int(week.group(1)), int(week.group(2)), 1)
        if _DAY_KEY.match(key):
            return "day", date.fromisoformat(key)
    except ValueError as error:
        raise CatalogError(f"{where}: {error}") from None
    raise CatalogError(f"{where}: not a period (YYYY-MM, YYYY-Www or YYYY-MM-DD)")


def _period_order(period: PeriodTarget) -> tuple[int, date]:
    return GRAINS.index(period.grain), period.period_start


def _parse_pair(entry: Any, index: int, source: str) -> GuardrailPair:
    where = f"{source}: guardrail pair #{index}"
    if not isinstance(entry, dict):
        raise CatalogError(f"{where}: must be a mapping")
    _reject_unknown(entry, _PAIR_KEYS, where)
    headline = _text(entry, "headline", where)
    guardrail = _text(entry, "guardrail", where)
    where = f"{source}: guardrail pair {headline} → {guardrail}"
    threshold = entry.get("threshold_pct", DEFAULT_THRESHOLD_PCT)
    threshold = _number(threshold, f"{where}, field 'threshold_pct'")
    if threshold <= 0:
        raise CatalogError(f"{where}, field 'threshold_pct': must be above 0")
    return GuardrailPair(
        headline=headline,
        guardrail=guardrail,
        threshold_pct=threshold,
        headline_move=_choice(entry, "headline_move", HEADLINE_MOVES, where, default="better"),
        meaning_da=_text(entry, "meaning_da", where),
        meaning_en=_text(entry, "meaning_en", where),
    )


def _parse_special_check(entry: Any, index: int, source: str) -> SpecialCheck:
    where = f"{source}: special check #{index}"
    if not isinstance(entry, dict):
        raise CatalogError(f"{where}: must be a mapping")
    check_id = _choice(entry, "id", tuple(_CHECK_KEYS), where)
    where = f"{source}: special check {check_id!r}"
    _reject_unknown(entry, _CHECK_KEYS[check_id], where)
    check = SpecialCheck(
        id=check_id,
        description_da=_text(entry, "description_da", where),
        description_en=_text(entry, "description_en", where),
    )
    if check_id != "csat_selection_bias":
        return check
    min_tickets = _positive_int(entry, "min_tickets_per_side", where)
    if min_tickets is None:
        raise CatalogError(f"{where}, field 'min_tickets_per_side': required")
    return SpecialCheck(
        id=check_id,
        description_da=check.description_da,
        description_en=check.description_en,
        kpi_id=_text(entry, "kpi", where),
        related_kpi_id=_text(entry, "related_kpi", where),
        gap_pct_points=_number(entry.get("gap_pct_points"), f"{where}, field 'gap_pct_points'"),
        min_tickets_per_side=min_tickets,
    )


def _parse_decision(entry: Any, index: int, source: str) -> Decision:
    where = f"{source}: decision #{index}"
    if not isinstance(entry, dict):
        raise CatalogError(f"{where}: must be a mapping")
    _reject_unknown(entry, _DECISION_KEYS, where)
    return Decision(
        topic=_text(entry, "topic", where),
        choice=_text(entry, "choice", where),
        why=_text(entry, "why", where),
    )


def _check_references(catalog: Catalog, source: str) -> None:
    """Cross-entry rules: unique ids, parents, pairs and checks that name existing KPIs."""
    duplicates = [kpi_id for kpi_id, n in Counter(catalog.ids()).items() if n > 1]
    if duplicates:
        raise CatalogError(f"{source}: KPI {duplicates[0]!r} is defined more than once")
    by_id = {kpi.id: kpi for kpi in catalog.kpis}
    for kpi in catalog.kpis:
        if kpi.parent is None:
            continue
        parent = by_id.get(kpi.parent)
        if parent is None or parent.role != "headline" or parent.function != kpi.function:
            raise CatalogError(
                f"{source}: KPI {kpi.id!r}, field 'parent': {kpi.parent!r} is not a headline KPI "
                f"of {kpi.function}"
            )
    seen: set[tuple[str, str]] = set()
    for pair in catalog.guardrail_pairs:
        where = f"{source}: guardrail pair {pair.headline} → {pair.guardrail}"
        for field_name, kpi_id in (("headline", pair.headline), ("guardrail", pair.guardrail)):
            if kpi_id not in by_id:
                raise CatalogError(f"{where}, field {field_name!r}: no KPI {kpi_id!r}")
        if by_id[pair.headline].role != "headline":
            raise CatalogError(f"{where}, field 'headline': {pair.headline!r} is not a headline")
        if pair.headline == pair.guardrail:
            raise CatalogError(f"{where}: a KPI cannot guard itself")
        if (pair.headline, pair.guardrail) in seen:
            raise CatalogError(f"{where}: listed more than once")
        seen.add((pair.headline, pair.guardrail))
        if not shared_grains(by_id[pair.headline], by_id[pair.guardrail]):
            raise CatalogError(f"{where}: the two KPIs share no grain, so they cannot be compared")
    for check in catalog.special_checks:
        for field_name, kpi_id in (("kpi", check.kpi_id), ("related_kpi", check.related_kpi_id)):
            if kpi_id is not None and kpi_id not in by_id:
                raise CatalogError(
                    f"{source}: special check {check.id!r}, field {field_name!r}: no KPI {kpi_id!r}"
                )


def _reject_unknown(entry: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise CatalogError(f"{where}, field {unknown[0]!r}: unknown field")


def _list(entry: Mapping[str, Any], key: str, where: str, required: bool = True) -> list[Any]:
    value = entry.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value):
        raise CatalogError(f"{where}, field {key!r}: must be a non-empty list")
    return value


def _text(entry: Mapping[str, Any], key: str, where: str, required: bool = True) -> Any:
    """A non-blank string, whitespace-trimmed; None when absent and not required."""
    value = entry.get(key)
    if isinstance(value, str):
        value = value.strip() or None
    if value is None:
        if required:
            raise CatalogError(f"{where}, field {key!r}: required")
        return None
    if not isinstance(value, str):
        raise CatalogError(f"{where}, field {key!r}: must be text, not {value!r}")
    return value


def _choice(
    entry: Mapping[str, Any],
    key: str,
    allowed: tuple[str, ...],
    where: str,
    required: bool = True,
    default: str | None = None,
) -> Any:
    value = _text(entry, key, where, required=required and default is None)
    if value is None:
        return default
    if value not in allowed:
        raise CatalogError(f"{where}, field {key!r}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _subset(
    entry: Mapping[str, Any], key: str, allowed: tuple[str, ...], where: str, allow_empty: bool
) -> tuple[str, ...]:
    value = entry.get(key)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise CatalogError(f"{where}, field {key!r}: must be a list of names")
    if not value and not allow_empty:
        raise CatalogError(f"{where}, field {key!r}: must not be empty")
    for item in value:
        if item not in allowed:
            raise CatalogError(f"{where}, field {key!r}: {item!r} is not one of {', '.join(allowed)}")
    if len(set(value)) != len(value):
        raise CatalogError(f"{where}, field {key!r}: lists a name twice")
    return tuple(value)


def _sources(entry: Mapping[str, Any], where: str) -> tuple[str, ...]:
    value = entry.get("sources")
    if not isinstance(value, list) or not value:
        raise CatalogError(f"{where}, field 'sources': must be a non-empty list of contract tables")
    for item in value:
        if not isinstance(item, str) or not _SOURCE.match(item):
            raise CatalogError(f"{where}, field 'sources': {item!r} is not source.table")
    return tuple(value)


def _bool(entry: Mapping[str, Any], key: str, where: str) -> bool:
    value = entry.get(key)
    if not isinstance(value, bool):
        raise CatalogError(f"{where}, field {key!r}: must be true or false")
    return value


def _optional_bool(entry: Mapping[str, Any], key: str, where: str) -> bool:
    """A boolean field that may be left out (false)."""
    return key in entry and _bool(entry, key, where)


def _positive_int(entry: Mapping[str, Any], key: str, where: str) -> int | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise CatalogError(f"{where}, field {key!r}: must be a whole number above 0")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CatalogError(f"{where}: must be a number, not {value!r}")
    return float(value)


# ── Derived facts ────────────────────────────────────────────────────────────


def shared_grains(first: Kpi, second: Kpi) -> tuple[str, ...]:
    return tuple(grain for grain in first.grains if grain in second.grains)


def shared_dimensions(first: Kpi, second: Kpi) -> tuple[str, ...]:
    return tuple(name for name in first.dimensions if name in second.dimensions)


def compare_kpi_ids(catalog: Catalog, kpi_ids: Iterable[str]) -> tuple[list[str], list[str]]:
    """(catalog KPIs absent from `kpi_ids`, ids in `kpi_ids` the catalog does not know)."""
    present = set(kpi_ids)
    known = set(catalog.ids())
    return [kpi_id for kpi_id in catalog.ids() if kpi_id not in present], sorted(present - known)


def freshness_limits_by_source(catalog: Catalog) -> dict[str, int]:
    """Per contract table (`source.table`), the tightest freshness limit of the KPIs that read it.

    A table no KPI reads has no entry: nothing the business steers by goes stale with it.
    """
    limits: dict[str, int] = {}
    for kpi in catalog.kpis:
        if kpi.freshness_limit_hours is None:
            continue
        for source in kpi.sources:
            limits[source] = min(limits.get(source, kpi.freshness_limit_hours), kpi.freshness_limit_hours)
    return limits


def tightest_freshness_limit(catalog: Catalog) -> int | None:
    """The smallest freshness limit of any KPI: the published scorecard must be at least that fresh."""
    limits = [kpi.freshness_limit_hours for kpi in catalog.kpis if kpi.freshness_limit_hours]
    return min(limits) if limits else None


# NFKD leaves these whole, so they would vanish from an ASCII slug.
_DANISH_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})


def owner_team(owner: str) -> str:
    """A catalog owner as a Dagster team owner: `Salgsdirektør / Head of Sales` → `team:head-of-sales`.

    Dagster owners are emails or `team:<name>`; the English role after the slash makes an ASCII slug.
    """
    role = owner.split("/")[-1].lower().translate(_DANISH_LETTERS)
    ascii_role = unicodedata.normalize("NFKD", role).encode("ascii", "ignore").decode()
    return "team:" + (re.sub(r"[^a-z0-9]+", "-", ascii_role).strip("-") or "unknown")


def mart_owners(catalog: Catalog) -> dict[str, list[str]]:
    """Per function mart (`fct_<prefix>_kpis`), the team owners of its KPIs in catalog order."""
    owners: dict[str, list[str]] = {}
    for kpi in catalog.kpis:
        if not kpi.owner:
            continue
        teams = owners.setdefault(f"fct_{ID_PREFIXES[kpi.function]}_kpis", [])
        if owner_team(kpi.owner) not in teams:
            teams.append(owner_team(kpi.owner))
    return owners


# ── Lint ─────────────────────────────────────────────────────────────────────


def lint(catalog: Catalog) -> list[LintFinding]:
    """The source text's criteria for a KPI and a KPI set; errors first, then warnings."""
    findings = [
        *_missing_fields(catalog),
        *_grain_blind_targets(catalog),
        *_too_many_headlines(catalog),
        *_missing_targets(catalog),
        *_unguarded_headlines(catalog),
    ]
    return sorted(findings, key=lambda finding: finding.severity != "error")


def _missing_fields(catalog: Catalog) -> list[LintFinding]:
    return [
        LintFinding(
            "error",
            "missing_field",
            f"{kpi.id} has no {field_name}: a KPI needs an owner, a definition in Danish and "
            "English, a unit, a direction and a refresh cadence with a freshness limit",
            kpi_id=kpi.id,
        )
        for kpi in catalog.kpis
        for field_name in LINTED_FIELDS
        if getattr(kpi, field_name) in (None, "")
    ]


def _grain_blind_targets(catalog: Catalog) -> list[LintFinding]:
    return [
        LintFinding(
            "error",
            "constant_target_on_count",
            f"{kpi.id} is a count or sum over {', '.join(kpi.grains)} with one constant target; "
            "a count per day, week and month differs, so give per_period targets instead",
            kpi_id=kpi.id,
        )
        for kpi in catalog.kpis
        if kpi.additive and kpi.target.type == "constant" and len(kpi.grains) > 1
    ]


def _too_many_headlines(catalog: Catalog) -> list[LintFinding]:
    counts = Counter(kpi.function for kpi in catalog.kpis if kpi.role == "headline")
    return [
        LintFinding(
            "warning",
            "too_many_headlines",
            f"{function} has {count} headline KPIs; more than {MAX_HEADLINES_PER_FUNCTION} dilutes focus",
            function=function,
        )
        for function, count in counts.items()
        if count > MAX_HEADLINES_PER_FUNCTION
    ]


def _missing_targets(catalog: Catalog) -> list[LintFinding]:
    return [
        LintFinding("warning", "no_target", f"{kpi.id} has no target", kpi_id=kpi.id)
        for kpi in catalog.kpis
        if kpi.target.type == "none"
    ]


def _unguarded_headlines(catalog: Catalog) -> list[LintFinding]:
    return [
        LintFinding(
            "warning",
            "headline_without_guardrail",
            f"{kpi.id} is a headline KPI without a guardrail pair",
            kpi_id=kpi.id,
        )
        for kpi in catalog.kpis
        if kpi.role == "headline" and not catalog.guardrails_of(kpi.id)
    ]


def format_findings(findings: Iterable[LintFinding]) -> str:
    """One line per finding, for logs and asset check descriptions."""
    return "\n".join(f"{finding.severity}: [{finding.rule}] {finding.message}" for finding in findings)


# ── Definition version ───────────────────────────────────────────────────────


def definition_version(kpi: Kpi, sql_text: str) -> str:
    """Short sha256 of what defines the KPI's values: its definition fields and its SQL.

    Grains and dimensions decide which rows are published, direction decides status and the
    guardrail checks, and aggregation, empty reason, provisional days, sample and the privacy rule
    decide the values, so they are part of the definition; names, question, owner, cadence and
    target are not (a new owner or target does not change what the series measures).
    """
    entry = {
        "id": kpi.id,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "definition_da": _collapse_whitespace(kpi.definition_da),
        "definition_en": _collapse_whitespace(kpi.definition_en),
        "sources": sorted(kpi.sources),
        # Sorted: listing the same grains or dimensions in another order is not a new definition.
        "grains": sorted(kpi.grains),
        "dimensions": sorted(kpi.dimensions),
        "aggregation": kpi.aggregation,
        "empty_reason": kpi.empty_reason,
        "provisional_days": kpi.provisional_days,
        "sample": kpi.sample,
        "computed_over_people": kpi.computed_over_people,
    }
    canonical = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    payload = f"{canonical}\n{_collapse_whitespace(sql_text)}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:VERSION_HEX_DIGITS]


def _collapse_whitespace(text: str | None) -> str:
    return " ".join((text or "").split())


# ── Warehouse tables ─────────────────────────────────────────────────────────

_TABLES_DDL = {
    "kpis": """
        kpi_id varchar, function varchar, role varchar, parent_kpi_id varchar,
        name_da varchar, name_en varchar, question_da varchar, question_en varchar,
        definition_da varchar, definition_en varchar, unit varchar, direction varchar,
        owner varchar, refresh_cadence varchar, freshness_limit_hours integer,
        grains varchar[], dimensions varchar[], is_additive boolean, sources varchar[],
        is_computed_over_people boolean, aggregation varchar, empty_reason varchar,
        provisional_days integer, sample_kind varchar, target_type varchar, target_value double,
        value_min double, value_max double, range_breach varchar, complete_breakdowns varchar[],
        definition_version varchar, catalog_order integer
    """,
    "kpi_targets": "kpi_id varchar, period_start date, grain varchar, target double",
    "guardrail_pairs": """
        headline_kpi_id varchar, guardrail_kpi_id varchar, threshold_pct double,
        headline_move varchar, meaning_da varchar, meaning_en varchar,
        shared_grains varchar[], shared_dimensions varchar[]
    """,
    "special_checks": """
        check_id varchar, kpi_id varchar, related_kpi_id varchar, gap_pct_points double,
        min_tickets_per_side integer, description_da varchar, description_en varchar
    """,
}


def catalog_rows(
    catalog: Catalog, versions: Mapping[str, str] | None = None
) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of each `catalog.*` table, in column order.

    `versions` maps KPI ids to their definition version (catalog entry + SQL); a KPI
    missing from it is versioned on its catalog entry alone.
    """
    by_id = {kpi.id: kpi for kpi in catalog.kpis}
    versions = versions or {}
    return {
        "kpis": [
            (*_kpi_row(kpi), versions.get(kpi.id) or definition_version(kpi, ""), order)
            for order, kpi in enumerate(catalog.kpis, 1)
        ],
        "kpi_targets": [
            (kpi.id, period.period_start, period.grain, period.target)
            for kpi in catalog.kpis
            for period in kpi.target.periods
        ],
        "guardrail_pairs": [
            (
                pair.headline,
                pair.guardrail,
                pair.threshold_pct,
                pair.headline_move,
                pair.meaning_da,
                pair.meaning_en,
                list(shared_grains(by_id[pair.headline], by_id[pair.guardrail])),
                list(shared_dimensions(by_id[pair.headline], by_id[pair.guardrail])),
            )
            for pair in catalog.guardrail_pairs
        ],
        "special_checks": [
            (
                check.id,
                check.kpi_id,
                check.related_kpi_id,
                check.gap_pct_points,
                check.min_tickets_per_side,
                check.description_da,
                check.description_en,
            )
            for check in catalog.special_checks
        ],
    }


def _kpi_row(kpi: Kpi) -> tuple[Any, ...]:
    return (
        kpi.id,
        kpi.function,
        kpi.role,
        kpi.parent,
        kpi.name_da,
        kpi.name_en,
        kpi.question_da,
        kpi.question_en,
        kpi.definition_da,
        kpi.definition_en,
        kpi.unit,
        kpi.direction,
        kpi.owner,
        kpi.refresh_cadence,
        kpi.freshness_limit_hours,
        list(kpi.grains),
        list(kpi.dimensions),
        kpi.additive,
        list(kpi.sources),
        kpi.computed_over_people,
        kpi.aggregation,
        kpi.empty_reason,
        kpi.provisional_days,
        kpi.sample,
        kpi.target.type,
        kpi.target.value,
        kpi.value_min,
        kpi.value_max,
        kpi.range_breach,
        list(kpi.complete_breakdowns),
    )


def write_catalog_tables(
    con: duckdb.DuckDBPyConnection, catalog: Catalog, versions: Mapping[str, str] | None = None
) -> None:
    """(Re)create the `catalog` schema's tables from the catalog, all or nothing."""
    rows = catalog_rows(catalog, versions)
    con.execute("begin transaction")
    try:
        con.execute(f"create schema if not exists {CATALOG_SCHEMA}")
        for table, columns in _TABLES_DDL.items():
            con.execute(f"create or replace table {CATALOG_SCHEMA}.{table} ({columns})")
            if rows[table]:
                placeholders = ", ".join("?" * len(rows[table][0]))
                con.executemany(f"insert into {CATALOG_SCHEMA}.{table} values ({placeholders})", rows[table])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
