"""Helpers to write landing files and run the ingest loader in tests."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.ingest.contract import TABLES_BY_KEY
from dagster_project.ingest.loader import FileResult, TableLoader
from dagster_project.ingest.raw_schema import create_raw_tables

AS_OF = date(2025, 6, 30)

# One valid row per contract table, written by hand from data-contract.md.
VALID_ROWS: dict[str, dict[str, str]] = {
    "crm.customers": {
        "customer_id": "0042",
        "segment": "enterprise",
        "region": "Hovedstaden",
        "created_at": "2024-01-05 09:00:00",
    },
    "crm.products": {"product_id": "P1", "product_name": "Pumpe", "category": "pumps", "unit_cost": "10.5"},
    "crm.salespeople": {"salesperson_id": "S1", "region": "Hovedstaden", "team": "Øst"},
    "crm.opportunities": {
        "opportunity_id": "O1",
        "customer_id": "0042",
        "salesperson_id": "S1",
        "channel": "direct",
        "region": "Hovedstaden",
        "first_contact_at": "2025-01-02 10:00:00",
        "quote_sent_at": "2025-01-10 10:00:00",
        "closed_at": "2025-02-01 10:00:00",
        "status": "won",
        "quoted_amount": "1000",
    },
    "crm.orders": {
        "order_id": "A1",
        "customer_id": "0042",
        "opportunity_id": "O1",
        "salesperson_id": "S1",
        "channel": "direct",
        "region": "Hovedstaden",
        "ordered_at": "2025-02-02 10:00:00",
        "promised_delivery_date": "2025-12-31",
    },
    "crm.order_lines": {
        "order_id": "A1",
        "line_number": "1",
        "product_id": "P1",
        "quantity": "2",
        "unit_price": "100.00",
        "discount_pct": "0.1",
    },
    "finance.budgets": {"month": "2026-01-01", "region": "Hovedstaden", "revenue_budget": "100000"},
    "web.sessions": {
        "session_id": "W1",
        "visitor_id": "V1",
        "started_at": "2025-03-01T08:00:00Z",
        "channel": "organic",
        "campaign_id": "",
        "landing_page": "/",
        "pageviews": "3",
        "engaged_seconds": "0",
    },
    "marketing.campaigns": {
        "campaign_id": "C1",
        "campaign_name": "Forår",
        "channel": "paid_search",
        "started_on": "2025-03-01",
        "ended_on": "2026-12-31",
    },
    "marketing.ad_spend": {
        "spend_date": "2025-03-01",
        "campaign_id": "C1",
        "spend": "250.5",
        "impressions": "1000",
        "clicks": "0",
    },
    "marketing.leads": {
        "lead_id": "L1",
        "created_at": "2025-03-01 08:05:00",
        "session_id": "W1",
        "channel": "organic",
        "campaign_id": "C1",
        "converted_customer_id": "0042",
        "converted_at": "2025-03-20 12:00:00",
    },
    "marketing.social_posts": {
        "post_id": "SP1",
        "platform": "linkedin",
        "published_at": "2025-03-01 12:00:00",
        "impressions": "100",
        "likes": "5",
        "shares": "1",
        "comments": "0",
    },
    "hr.employees": {
        "employee_id": "E1",
        "department": "Salg",
        "location": "Aarhus",
        "hired_on": "2024-01-01",
        "terminated_on": "2025-01-31",
        "termination_type": "voluntary",
        "fte": "1",
    },
    "hr.absences": {
        "absence_id": "AB1",
        "employee_id": "E1",
        "absence_date": "2025-01-06",
        "hours": "7.4",
        "absence_type": "sick",
    },
    "hr.requisitions": {
        "requisition_id": "R1",
        "department": "Salg",
        "opened_on": "2025-01-01",
        "filled_on": "2025-02-01",
        "status": "filled",
        "filled_internally": "Yes",
        "hired_employee_id": "E1",
    },
    "hr.survey_responses": {
        "response_id": "SR1",
        "survey_round": "2025Q1",
        "department": "Salg",
        "submitted_on": "2025-03-01",
        "satisfaction": "4",
        "enps_score": "9",
    },
    "mes.machines": {"machine_id": "M1", "line_id": "L-A", "site": "Vejle"},
    "mes.production_runs": {
        "run_id": "PR1",
        "machine_id": "M1",
        "product_id": "P1",
        "shift_date": "2025-03-03",
        "planned_minutes": "480",
        "downtime_minutes": "480",
        "ideal_cycle_seconds": "1.5",
        "total_count": "100",
        "good_count": "100",
    },
    "mes.material_usage": {
        "usage_id": "U1",
        "line_id": "L-A",
        "usage_date": "2025-03-03",
        "material": "stål",
        "input_kg": "10",
        "scrap_kg": "10",
    },
    "mes.shipments": {
        "shipment_id": "SH1",
        "order_id": "A1",
        "shipped_at": "2025-02-03 10:00:00",
        "delivered_at": "2025-02-05 10:00:00",
    },
    "helpdesk.tickets": {
        "ticket_id": "T1",
        "customer_id": "0042",
        "channel": "phone",
        "category": "billing",
        "agent_team": "Team A",
        "created_at": "2025-03-03 10:00:00",
        "first_response_at": "2025-03-03 10:00:00",
        "resolved_at": "2025-03-04 10:00:00",
        "contacts_count": "1",
        "reopened_count": "0",
        "parent_ticket_id": "",
    },
    "helpdesk.csat_surveys": {
        "ticket_id": "T1",
        "surveyed_at": "2025-03-04 11:00:00",
        "responded_at": "2025-03-04 12:00:00",
        "score": "5",
    },
    "helpdesk.nps_responses": {
        "response_id": "N1",
        "customer_id": "",
        "responded_at": "2025-03-04 12:00:00",
        "score": "0",
    },
}


def csv_text(rows: list[dict[str, str]], header: list[str] | None = None) -> str:
    header = header or list(rows[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name.strip().lower(), "") for name in header])
    return buffer.getvalue()


def write_file(landing: Path, table_key: str, name: str, content: str | bytes) -> Path:
    source, table = table_key.split(".")
    path = landing / source / table / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode() if isinstance(content, str) else content
    path.write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
    return path


def new_warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    create_raw_tables(con)
    con.execute("set TimeZone = 'UTC'")
    return con


def ingest(con, landing: Path, table_key: str, as_of: date = AS_OF) -> list[FileResult]:
    loader = TableLoader(con, TABLES_BY_KEY[table_key], landing, as_of, batch_id="test", log=lambda _: None)
    return loader.load_new_files()
