"""Two years of plausible monthly kpi_values for every catalog KPI, with two Goodhart scenarios.

Deterministic (seeded per KPI). Values sit near their targets with a little noise and season, so
the statuses vary; the scenarios are placed so that guardrail flags show on the page:
- SALES_PUSH: revenue +15 % and churn +25 % on the total in May 2026;
- SHALLOW_EMAIL: on channel email in October 2026 (the last complete month), first response
  minutes fall by 40 % while the reopen rate rises by 60 % (from about 19 of 400 reopened to 34
  of 440: about 1.7 standard errors, beyond sampling noise as the guardrail rule asks).
HR has a department below 5 people (Ledelse, suppressed) and its complement (IT).
"""

from __future__ import annotations

import math
import random
import zlib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from dagster_project.catalog import Catalog, load_catalog, write_catalog_tables
from dagster_project.ingest.contract import TABLES
from dagster_project.ingest.raw_schema import create_raw_tables
from tests.publish_fixtures import build_scorecard, insert_raw, value_row, write_kpi_values

AS_OF = date(2026, 11, 27)
FIRST_MONTH = date(2024, 11, 1)
SALES_PUSH = ("sales.revenue", "sales.churn_rate", date(2026, 5, 1))
SHALLOW_EMAIL = ("cs.first_response_minutes", "cs.reopen_rate", date(2026, 10, 1))
REGIONS = ("Hovedstaden", "Midtjylland", "Syddanmark")
BUDGET_PER_REGION = 3_200_000.0

DIMENSION_VALUES = {
    "region": REGIONS,
    "channel": ("email", "phone", "chat"),
    "product_category": ("Komponenter", "Maskiner", "Service"),
    "segment": ("enterprise", "mid_market", "small_business"),
    "campaign": ("CMP0001", "CMP0002", "CMP0003"),
    "platform": ("LinkedIn", "Facebook", "Instagram"),
    "department": ("Produktion", "Salg", "IT", "Ledelse"),
    "termination_type": ("voluntary", "involuntary"),
    "line": ("L01", "L02", "L03"),
    "site": ("Odense", "Vejle"),
    "product": ("P100", "P200", "P300"),
    "material": ("Stål", "Aluminium"),
    "category": ("billing", "technical", "delivery"),
}
BASE_LEVEL = {
    "dkk": 25_000.0,
    "ratio": 0.5,
    "count": 400.0,
    "days": 30.0,
    "minutes": 90.0,
    "seconds": 75.0,
    "score": 4.0,
    "nps": 25.0,
    "units_per_hour": 120.0,
    "multiple": 3.0,
    "per_1000": 45.0,
}
LOCAL = ZoneInfo("Europe/Copenhagen")


def months(first: date = FIRST_MONTH, as_of: date = AS_OF) -> list[date]:
    result, current = [], first
    while current <= as_of:
        result.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return result


def budget(month: date) -> float:
    return BUDGET_PER_REGION * (0.8 if month.month == 7 else 1.1 if month.month in (11, 12) else 1.0)


def _target(kpi, month: date) -> float | None:
    if kpi.target.type == "constant":
        return kpi.target.value
    if kpi.target.type == "per_period":
        return next(
            (p.target for p in kpi.target.periods if p.grain == "month" and p.period_start == month), None
        )
    if kpi.target.type == "budget":
        return budget(month) * len(REGIONS)
    return None


def _series(kpi, all_months: list[date]) -> list[float]:
    rng = random.Random(zlib.crc32(kpi.id.encode()))
    bias = rng.uniform(0.93, 1.07)
    values = []
    for index, month in enumerate(all_months):
        level = _target(kpi, month) or BASE_LEVEL[kpi.unit]
        season = 1 + 0.03 * math.sin(index / 12 * 2 * math.pi)
        value = level * bias * season * (1 + rng.uniform(-0.015, 0.015))
        kind, other, when = SALES_PUSH
        if month == when and kpi.id == kind:
            value *= 1.15
        if month == when and kpi.id == other:
            value *= 1.25
        if kpi.unit == "ratio":
            value = min(max(value, 0.002), 0.998)
        if kpi.unit == "count":
            value = float(round(value))
        values.append(value)
    return values


def kpi_value_rows(catalog: Catalog, as_of: date = AS_OF) -> list[dict]:
    all_months = months(as_of=as_of)
    rows = []
    for kpi in catalog.kpis:
        if "month" not in kpi.grains:
            continue
        series = _series(kpi, all_months)
        dimension = kpi.dimensions[0] if kpi.dimensions else None
        for month, total in zip(all_months, series, strict=True):
            complete = month < date(as_of.year, as_of.month, 1)
            provisional = kpi.id in ("marketing.lead_to_customer_rate", "hr.early_attrition_rate") and (
                month + timedelta(days=120) > as_of
            )
            cells = [(("total", "total"), total, None)]
            if dimension:
                names = DIMENSION_VALUES[dimension]
                for position, name in enumerate(names):
                    factor = 1 + 0.06 * (position - 1)
                    value = total / len(names) * factor if kpi.additive else total * factor
                    if kpi.unit == "ratio":
                        value = min(max(value, 0.002), 0.998)
                    reason = None
                    if (
                        kpi.function == "hr"
                        and name in ("Ledelse", "IT")
                        and kpi.id
                        not in (
                            "hr.time_to_hire_days",
                            "hr.internal_mobility_rate",
                        )
                    ):
                        reason = "group below 5" if name == "Ledelse" else "complementary suppression"
                    if month == SHALLOW_EMAIL[2] and name == "email":
                        value *= (
                            0.6 if kpi.id == SHALLOW_EMAIL[0] else 1.6 if kpi.id == SHALLOW_EMAIL[1] else 1
                        )
                    cells.append(((dimension, name), value, reason))
            for key, value, reason in cells:
                if reason:
                    rows.append(
                        value_row(
                            kpi.id,
                            month,
                            None,
                            dimension=key,
                            is_complete_period=complete,
                            null_reason=reason,
                        )
                    )
                    continue
                denominator = 400.0 + 40 * (month.month % 3) if kpi.unit == "ratio" else None
                rows.append(
                    value_row(
                        kpi.id,
                        month,
                        value,
                        dimension=key,
                        numerator=value * denominator if denominator else (value if kpi.additive else None),
                        denominator=denominator,
                        sample_size=int(denominator) if denominator else 120,
                        is_complete_period=complete,
                        is_provisional=provisional,
                        # Shown HR values rest on 5 people or more (the publish step checks it).
                        people_count=40.0 if kpi.function == "hr" else 0.0,
                    )
                )
    return rows


def _fresh_raw_rows(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """One row per raw table with events, dated the evening before the as-of date."""
    evening = datetime.combine(as_of - timedelta(days=1), time(22, 0), tzinfo=LOCAL)
    for table in TABLES:
        events = [c for c in table.columns if c.type in ("ts", "date") and c.is_event]
        if not events:
            continue
        first = events[0]
        insert_raw(con, table.raw_table, [{first.name: evening if first.type == "ts" else evening.date()}])


def make_synthetic_warehouse(path: Path, as_of: date = AS_OF, build: bool = True) -> Path:
    """The synthetic kpi_values and (with `build`) their scorecard models built, as the pipeline
    leaves them; without, the first build is the caller's (and so is the definition history)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog = load_catalog()
    with duckdb.connect(str(path)) as con:
        write_catalog_tables(con, catalog)
        create_raw_tables(con)
        write_kpi_values(con, kpi_value_rows(catalog, as_of), as_of)
        insert_raw(
            con,
            "finance__budgets",
            [
                {"month": month, "region": region, "revenue_budget": budget(month)}
                for month in months(as_of=as_of)
                for region in REGIONS
            ],
        )
        _fresh_raw_rows(con, as_of)
    if build:
        build_scorecard(path)
    return path
