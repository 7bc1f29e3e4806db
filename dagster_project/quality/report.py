"""The result of a quality run: one outcome per expectation, and a status per KPI and per source table."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

STATUSES = ("ok", "warning", "error")
FAILING_SAMPLE_SIZE = 20


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation_id: str
    suite: str
    severity: str  # error | warning
    success: bool
    observed: str  # what was observed, in words: "2 of 22 rows fail", "max 0.12"
    failing_count: int = 0  # rows or groups of the summary that broke it
    checked_count: int = 0  # rows or groups it was checked on
    failing_sample: tuple[dict[str, Any], ...] = ()  # up to FAILING_SAMPLE_SIZE of them
    kpi_ids: tuple[str, ...] = ()  # KPIs the failure reaches (empty when it passed)
    source_tables: tuple[str, ...] = ()  # contract tables the failure names
    description: str = ""
    threshold: str = ""
    summary: str = ""
    dagster_check: str = ""
    expectation_type: str = ""
    exception: str | None = None  # the summary or the expectation could not be evaluated

    @property
    def status(self) -> str:
        """ok when it passed, else its severity."""
        return "ok" if self.success else self.severity


@dataclass
class QualityReport:
    run_id: str
    run_at: datetime
    as_of: date
    suites: tuple[str, ...]
    outcomes: list[ExpectationOutcome]
    kpi_status: dict[str, str] = field(default_factory=dict)
    source_status: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # timing per summary and for validation
    docs_index: str | None = None  # Data Docs index.html, when built

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.success]

    @property
    def errors(self) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.failures if outcome.severity == "error"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.failures if outcome.severity == "warning"]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def status(self) -> str:
        return worst(outcome.status for outcome in self.outcomes)

    def outcome(self, expectation_id: str) -> ExpectationOutcome:
        for outcome in self.outcomes:
            if outcome.expectation_id == expectation_id:
                return outcome
        raise KeyError(f"no outcome for {expectation_id!r} in this report")

    def failed_expectations_of_kpi(self, kpi_id: str) -> list[str]:
        return [outcome.expectation_id for outcome in self.failures if kpi_id in outcome.kpi_ids]

    def failed_expectations_of_source(self, source_table: str) -> list[str]:
        return [outcome.expectation_id for outcome in self.failures if source_table in outcome.source_tables]


def worst(statuses: Iterable[str]) -> str:
    """The most severe of some statuses; ok for none."""
    return max(statuses, key=STATUSES.index, default="ok")


def kpis_reached(
    failing_rows: Iterable[Mapping[str, Any]], kpi_sources: Mapping[str, Iterable[str]]
) -> tuple[set[str], set[str]]:
    """(KPIs, source tables) a failure reaches through its failing rows.

    A row naming a KPI reaches that KPI; a row naming only a source table reaches every KPI
    that reads the table (catalog `sources`).
    """
    kpis: set[str] = set()
    sources: set[str] = set()
    for row in failing_rows:
        kpi_id, source_table = row.get("kpi_id"), row.get("source_table")
        if source_table:
            sources.add(source_table)
        if kpi_id:
            kpis.add(kpi_id)
        elif source_table:
            kpis.update(kpi for kpi, tables in kpi_sources.items() if source_table in tables)
    return kpis, sources


def statuses(
    outcomes: Iterable[ExpectationOutcome], kpi_ids: Iterable[str], source_tables: Iterable[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Per KPI and per source table: the worst severity among the failures that reach it."""
    kpi_status = dict.fromkeys(kpi_ids, "ok")
    source_status = dict.fromkeys(source_tables, "ok")
    for outcome in outcomes:
        if outcome.success:
            continue
        for kpi_id in outcome.kpi_ids:
            kpi_status[kpi_id] = worst((kpi_status.get(kpi_id, "ok"), outcome.severity))
        for source_table in outcome.source_tables:
            source_status[source_table] = worst((source_status.get(source_table, "ok"), outcome.severity))
    return kpi_status, source_status


def jsonable(value: Any) -> Any:
    """A value of a pandas frame as plain JSON data (NaN and NaT as null, times as ISO text)."""
    if isinstance(value, np.generic):  # numpy scalars
        value = value.item()
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, Decimal):  # a DuckDB sum of integers (HUGEINT)
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime | date):  # pandas Timestamps are datetimes
        return value.isoformat()
    if isinstance(value, np.ndarray | list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    return str(value)
