"""A small, consistent warehouse written by hand, on which every expectation passes.

As of Monday 10 March 2025. The catalog is cut down to five KPIs at month grain
(sales.revenue by region and product category, marketing.roas, marketing.ltv_to_cac, cs.nps, hr.sick_absence_rate by
department), so `main.kpi_values` has a few dozen rows that can be read and broken one by one.
Every source table those KPIs read received one file on the morning of the as-of date; the
parents of every foreign key are loaded.

The numbers, worked out by hand:

| month   | sales.revenue (Hovedstaden + Sjælland) | ROAS attributed / spend | LTV: 12-month revenue / customers, CAC |
|---------|-----------------------------------------|-------------------------|----------------------------------------|
| 2025-01 | 1000 = 600 + 400                        | 300 / 100 = 3           | 1000 / 4 = 250, 50  -> 5               |
| 2025-02 | 1500 = 900 + 600                        | 500 / 250 = 2           | 2500 / 5 = 500, 100 -> 5               |
| 2025-03 | 200 = 200 (incomplete month)            | 0 / 50 = 0              | 2700 / 6 = 450, 90  -> 5               |

sales.revenue by product category: pumps 900 in January (100 DKK of lines whose product has no
category), 1500 in February, 200 in March.
cs.nps: January 5 responses, 3 promoters and 1 detractor: 100 × (3 − 1) / 5 = 40; February 4
responses, 1 promoter and 2 detractors: 100 × (1 − 2) / 4 = −25; March none: null.
hr.sick_absence_rate, January: 22.2 sick hours of 1110 scheduled = 0.02; Sales 7.4 / 370, Production
14.8 / 555; the 3 people of HR are suppressed ('group below 5') and Finance with them
('complementary suppression').
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.catalog import load_catalog, write_catalog_tables
from dagster_project.ingest.contract import LINEAGE_COLUMNS, TABLES_BY_KEY
from dagster_project.ingest.raw_schema import LEDGER_TABLE, create_raw_tables

AS_OF = date(2025, 3, 10)
# Files arrive at 06:00 local time on the as-of date: 18 hours before the end of that day.
INGESTED_AT = "2025-03-10 06:00:00+01:00"
FIXTURE_KPIS = {
    "sales.revenue": ("region", "product_category"),
    "marketing.roas": (),
    "marketing.ltv_to_cac": (),
    "cs.nps": (),
    "hr.sick_absence_rate": ("department",),
}
MONTHS = (
    (date(2025, 1, 1), date(2025, 1, 31)),
    (date(2025, 2, 1), date(2025, 2, 28)),
    (date(2025, 3, 1), date(2025, 3, 31)),
)

KPI_VALUES_DDL = """
create or replace table main.kpi_values (
    kpi_id varchar, grain varchar, period_start date, period_end date,
    dimension_name varchar, dimension_value varchar,
    value double, numerator double, denominator double, sample_size bigint,
    is_complete_period boolean, is_provisional boolean, null_reason varchar,
    as_of_date date, definition_version varchar, people_count double
)
"""
KPI_VALUE_COLUMNS = (
    "kpi_id",
    "grain",
    "period_start",
    "period_end",
    "dimension_name",
    "dimension_value",
    "value",
    "numerator",
    "denominator",
    "sample_size",
    "is_complete_period",
    "is_provisional",
    "null_reason",
    "as_of_date",
    "definition_version",
    "people_count",
)


@dataclass
class QualityWarehouse:
    """Writes raw files with their ledger rows, rejected files, and kpi_values rows."""

    con: duckdb.DuckDBPyConnection
    path: Path
    next_file_id: int = 1
    versions: dict[str, str] = field(default_factory=dict)

    def file(
        self,
        table_key: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        quarantined: Iterable[str] = (),
        batch_id: str = "batch-1",
        ingested_at: str = INGESTED_AT,
        name: str | None = None,
    ) -> int:
        """One loaded file: `rows` into the raw table, one quarantined row per reason, a ledger row."""
        table = TABLES_BY_KEY[table_key]
        rows, reasons = list(rows), list(quarantined)
        file_id = self._next_id()
        path = f"{table.source}/{table.name}/{name or f'file_{file_id:03d}.csv'}"
        names = [column.name for column in table.columns]
        lineage = [column for column, _ in LINEAGE_COLUMNS]
        quoted = ", ".join(f'"{column}"' for column in names + lineage)
        placeholders = ", ".join("?" * (len(names) + len(lineage)))
        for line, row in enumerate(rows, start=2):
            unknown = set(row) - set(names)
            if unknown:
                raise KeyError(f"{table_key}: no column(s) {sorted(unknown)}")
            values = [row.get(column) for column in names]
            values += [path, line, file_id, batch_id, ingested_at, None]
            self.con.execute(f"insert into raw.{table.raw_table} ({quoted}) values ({placeholders})", values)
        for line, reason in enumerate(reasons, start=len(rows) + 2):
            self.con.execute(
                f"insert into quarantine.{table.raw_table} values (?, ?, ?, ?, ?, ?, ?)",
                [path, line, file_id, batch_id, ingested_at, "{}", reason],
            )
        self._ledger(
            file_id,
            batch_id,
            table_key,
            path,
            "loaded",
            len(rows) + len(reasons),
            len(rows),
            len(reasons),
            ingested_at,
        )
        return file_id

    def rejected_file(
        self, table_key: str, name: str, content_hash: str, message: str, batch_id: str = "batch-1"
    ) -> int:
        table = TABLES_BY_KEY[table_key]
        file_id = self._next_id()
        path = f"{table.source}/{table.name}/{name}"
        self._ledger(
            file_id,
            batch_id,
            table_key,
            path,
            "rejected",
            None,
            None,
            None,
            INGESTED_AT,
            content_hash,
            message,
        )
        return file_id

    def duplicate_file(self, table_key: str, name: str, ingested_at: str, batch_id: str = "batch-2") -> int:
        """A file whose content equals one already loaded: the ledger lists it, nothing is loaded."""
        table = TABLES_BY_KEY[table_key]
        file_id = self._next_id()
        path = f"{table.source}/{table.name}/{name}"
        self._ledger(
            file_id, batch_id, table_key, path, "duplicate", 0, 0, 0, ingested_at, message="same content"
        )
        return file_id

    def _next_id(self) -> int:
        file_id = self.next_file_id
        self.next_file_id += 1
        return file_id

    def _ledger(
        self,
        file_id: int,
        batch_id: str,
        table_key: str,
        path: str,
        status: str,
        read: int | None,
        loaded: int | None,
        quarantined: int | None,
        ingested_at: str,
        content_hash: str | None = None,
        message: str | None = None,
    ) -> None:
        self.con.execute(
            f"insert into {LEDGER_TABLE} (file_id, batch_id, source_table, file_path, content_hash, "
            "size_bytes, status, rows_read, rows_loaded, rows_quarantined, message, ingested_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                file_id,
                batch_id,
                table_key,
                path,
                content_hash or f"sha256-of-file-{file_id}",
                100,
                status,
                read,
                loaded,
                quarantined,
                message,
                ingested_at,
            ],
        )

    def write_kpi_values(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Replace main.kpi_values with `rows` (dicts with the columns of KPI_VALUE_COLUMNS)."""
        self.con.execute(KPI_VALUES_DDL)
        placeholders = ", ".join("?" * len(KPI_VALUE_COLUMNS))
        self.con.executemany(
            f"insert into main.kpi_values values ({placeholders})",
            [[row.get(column) for column in KPI_VALUE_COLUMNS] for row in rows],
        )


def fixture_catalog(extra: Mapping[str, tuple[str, ...]] | None = None):
    """The real catalog cut down to the fixture's KPIs (and `extra` ones: id -> dimensions),
    month grain only, no guardrail pairs."""
    catalog = load_catalog()
    wanted = {**FIXTURE_KPIS, **(extra or {})}
    kpis = tuple(
        dataclasses.replace(kpi, grains=("month",), dimensions=wanted[kpi.id])
        for kpi in catalog.kpis
        if kpi.id in wanted
    )
    return dataclasses.replace(catalog, kpis=kpis, guardrail_pairs=(), special_checks=())


def consistent_warehouse(path: Path) -> QualityWarehouse:
    """The warehouse of this module's docstring: every expectation passes on it."""
    con = duckdb.connect(str(path))
    create_raw_tables(con)
    write_catalog_tables(con, fixture_catalog())
    versions = dict(con.execute("select kpi_id, definition_version from catalog.kpis").fetchall())
    warehouse = QualityWarehouse(con, path, versions=versions)
    write_source_files(warehouse)
    warehouse.write_kpi_values(kpi_value_rows(versions))
    return warehouse


def write_source_files(warehouse: QualityWarehouse) -> None:
    """One file per table the fixture KPIs read, plus the parents their foreign keys name."""
    warehouse.file(
        "crm.customers",
        [
            {
                "customer_id": f"K{n}",
                "segment": "enterprise",
                "region": "Hovedstaden",
                "created_at": "2024-06-01 10:00:00+02",
            }
            for n in range(1, 7)
        ],
    )
    warehouse.file(
        "crm.products",
        [{"product_id": "P1", "product_name": "Pumpe", "category": "pumps", "unit_cost": 10.0}],
    )
    warehouse.file("crm.salespeople", [{"salesperson_id": "S1", "region": "Hovedstaden", "team": "Øst"}])
    warehouse.file(
        "crm.orders",
        [
            {
                "order_id": "A1",
                "customer_id": "K1",
                "salesperson_id": "S1",
                "channel": "direct",
                "region": "Hovedstaden",
                "ordered_at": "2025-03-10 09:00:00+01",
            }
        ],
    )
    warehouse.file(
        "crm.order_lines",
        [
            {
                "order_id": "A1",
                "line_number": 1,
                "product_id": "P1",
                "quantity": 2,
                "unit_price": 100.0,
                "discount_pct": 0.0,
            }
        ],
    )
    warehouse.file(
        "marketing.campaigns",
        [
            {
                "campaign_id": "C1",
                "campaign_name": "Forår",
                "channel": "paid_search",
                "started_on": "2025-01-01",
            }
        ],
    )
    warehouse.file(
        "marketing.ad_spend",
        [{"spend_date": "2025-03-09", "campaign_id": "C1", "spend": 50.0, "impressions": 1000, "clicks": 10}],
    )
    warehouse.file(
        "marketing.leads",
        [
            {
                "lead_id": "L1",
                "created_at": "2025-02-20 12:00:00+01",
                "channel": "paid_search",
                "campaign_id": "C1",
                "converted_customer_id": "K1",
                "converted_at": "2025-02-21 12:00:00+01",
            }
        ],
    )
    warehouse.file(
        "helpdesk.nps_responses",
        [{"response_id": "N1", "customer_id": "K2", "responded_at": "2025-03-09 15:00:00+01", "score": 9}],
    )
    warehouse.file(
        "hr.employees",
        [
            {
                "employee_id": "E1",
                "department": "Sales",
                "location": "Aarhus",
                "hired_on": "2020-01-01",
                "fte": 1.0,
            },
            {
                "employee_id": "E2",
                "department": "Production",
                "location": "Aarhus",
                "hired_on": "2020-01-01",
                "fte": 1.0,
            },
        ],
    )
    warehouse.file(
        "hr.absences",
        [
            {
                "absence_id": "AB1",
                "employee_id": "E1",
                "absence_date": "2025-03-07",
                "hours": 7.4,
                "absence_type": "sick",
            }
        ],
    )


def kpi_value_row(
    kpi_id: str, month: int, value, numerator=None, denominator=None, **extra: Any
) -> dict[str, Any]:
    """A total row of the fixture's shape for `month` (1-3) of 2025, without definition version."""
    return _row(kpi_id, month, value, numerator, denominator, **extra)


def _row(kpi_id: str, month: int, value, numerator=None, denominator=None, **extra: Any) -> dict[str, Any]:
    period_start, period_end = MONTHS[month - 1]
    return {
        "kpi_id": kpi_id,
        "grain": "month",
        "period_start": period_start,
        "period_end": period_end,
        "dimension_name": "total",
        "dimension_value": "total",
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "sample_size": 1,
        "is_complete_period": period_end < AS_OF,
        "is_provisional": False,
        "null_reason": None,
        "as_of_date": AS_OF,
        **extra,
    }


def _by(dimension: str, value: str) -> dict[str, str]:
    return {"dimension_name": dimension, "dimension_value": value}


def kpi_value_rows(versions: Mapping[str, str]) -> list[dict[str, Any]]:
    """The fixture's kpi_values rows (see the module docstring for the numbers)."""
    rows = [
        # sales.revenue: a sum; the numerator carries the sum, the denominator is null.
        _row("sales.revenue", 1, 1000.0, 1000.0, sample_size=3),
        _row("sales.revenue", 1, 600.0, 600.0, sample_size=2, **_by("region", "Hovedstaden")),
        _row("sales.revenue", 1, 400.0, 400.0, sample_size=1, **_by("region", "Sjælland")),
        _row("sales.revenue", 2, 1500.0, 1500.0, sample_size=4),
        _row("sales.revenue", 2, 900.0, 900.0, sample_size=3, **_by("region", "Hovedstaden")),
        _row("sales.revenue", 2, 600.0, 600.0, sample_size=1, **_by("region", "Sjælland")),
        _row("sales.revenue", 3, 200.0, 200.0, sample_size=1),
        _row("sales.revenue", 3, 200.0, 200.0, sample_size=1, **_by("region", "Hovedstaden")),
        # product_category: 100 DKK of January's lines have a product not (yet) in crm.products, so
        # no category: they count in the total and in no category (catalog decision 16).
        _row("sales.revenue", 1, 900.0, 900.0, sample_size=2, **_by("product_category", "pumps")),
        _row("sales.revenue", 2, 1500.0, 1500.0, sample_size=4, **_by("product_category", "pumps")),
        _row("sales.revenue", 3, 200.0, 200.0, sample_size=1, **_by("product_category", "pumps")),
        # marketing.roas: attributed revenue / ad spend.
        _row("marketing.roas", 1, 3.0, 300.0, 100.0),
        _row("marketing.roas", 2, 2.0, 500.0, 250.0),
        _row("marketing.roas", 3, 0.0, 0.0, 50.0),
        # marketing.ltv_to_cac: (12-month revenue / customers) / CAC; sample_size = customers.
        _row("marketing.ltv_to_cac", 1, 5.0, 250.0, 50.0, sample_size=4),
        _row("marketing.ltv_to_cac", 2, 5.0, 500.0, 100.0, sample_size=5),
        _row("marketing.ltv_to_cac", 3, 5.0, 450.0, 90.0, sample_size=6),
        # cs.nps: 100 × (promoters − detractors) / responses.
        _row("cs.nps", 1, 40.0, 200.0, 5.0, sample_size=5),
        _row("cs.nps", 2, -25.0, -100.0, 4.0, sample_size=4),
        _row("cs.nps", 3, None, 0.0, 0.0, sample_size=0, null_reason="no NPS responses in period"),
        # hr.sick_absence_rate: sick hours / scheduled hours; small departments suppressed.
        _row("hr.sick_absence_rate", 1, 22.2 / 1110.0, 22.2, 1110.0, sample_size=8),
        _row("hr.sick_absence_rate", 1, 7.4 / 370.0, 7.4, 370.0, sample_size=5, **_by("department", "Sales")),
        _row(
            "hr.sick_absence_rate",
            1,
            14.8 / 555.0,
            14.8,
            555.0,
            sample_size=6,
            **_by("department", "Production"),
        ),
        _row(
            "hr.sick_absence_rate",
            1,
            None,
            None,
            None,
            null_reason="group below 5",
            **_by("department", "HR"),
        ),
        _row(
            "hr.sick_absence_rate",
            1,
            None,
            None,
            None,
            null_reason="complementary suppression",
            **_by("department", "Finance"),
        ),
        _row("hr.sick_absence_rate", 2, 0.0, 0.0, 1110.0, sample_size=8),
        _row("hr.sick_absence_rate", 3, 7.4 / 370.0, 7.4, 370.0, sample_size=8),
    ]
    for row in rows:
        row["definition_version"] = versions[row["kpi_id"]]
        # HR privacy: a shown HR value carries the people it rests on (here its sample size, 5 or
        # more), which the publish step checks; a suppressed cell none, as fct_hr_kpis hands on.
        if row["kpi_id"].startswith("hr.") and row["value"] is not None:
            row["people_count"] = float(row["sample_size"])
    return rows
