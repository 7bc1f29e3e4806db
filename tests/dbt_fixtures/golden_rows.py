"""The hand-made rows of the golden dbt test (tests/test_dbt_golden.py).

As-of date 2024-04-10. Copenhagen switched to summer time on Sunday 2024-03-31 at 02:00
local (01:00 UTC): before it local = UTC + 1, after it UTC + 2. The expected values are
worked out by hand in the test, next to its assertions.
"""

from __future__ import annotations

from pathlib import Path

from tests.dbt_fixtures.warehouse import RawWriter, new_warehouse

AS_OF = "2024-04-10"


def new_golden_warehouse(path: Path) -> Path:
    """A new warehouse at `path` holding the golden raw rows (no dbt model built yet)."""
    con, raw = new_warehouse(path)
    write_golden_rows(raw)
    con.close()
    return path


def write_golden_rows(raw: RawWriter) -> None:
    _sales(raw)
    _marketing(raw)
    _hr(raw)
    _production(raw)
    _customer_service(raw)


def _sales(raw: RawWriter) -> None:
    raw.file(
        "crm.customers",
        [
            {
                "customer_id": "C1",
                "segment": "enterprise",
                "region": "north",
                "created_at": "2024-01-05T09:00:00+01:00",
            },
            {
                "customer_id": "C2",
                "segment": "small_business",
                "region": "north",
                "created_at": "2024-02-10T09:00:00+01:00",
            },
            {
                "customer_id": "C3",
                "segment": "mid_market",
                "region": "south",
                "created_at": "2024-03-01T09:00:00+01:00",
            },
        ],
    )
    raw.file(
        "crm.products",
        [
            {"product_id": "P1", "product_name": "Widget", "category": "widgets", "unit_cost": 1.0},
            {"product_id": "P2", "product_name": "Gadget", "category": "gadgets", "unit_cost": 2.0},
        ],
    )
    raw.file("crm.salespeople", [{"salesperson_id": "S1", "region": "north", "team": "a"}])
    raw.file(
        "crm.orders",
        [
            # 2024-02-29 23:30 UTC = 2024-03-01 00:30 local: a March order.
            {
                "order_id": "O1",
                "customer_id": "C1",
                "channel": "direct",
                "region": "north",
                "ordered_at": "2024-02-29T23:30:00Z",
                "promised_delivery_date": "2024-03-05",
            },
            # 2024-03-31 00:30 UTC = 01:30 local winter time, on the DST day.
            {
                "order_id": "O2",
                "customer_id": "C1",
                "channel": "web",
                "region": "south",
                "ordered_at": "2024-03-31T00:30:00Z",
                "promised_delivery_date": "2024-04-03",
            },
            # 2024-03-31 22:30 UTC = 2024-04-01 00:30 local summer time: an April order.
            {
                "order_id": "O3",
                "customer_id": "C2",
                "channel": "direct",
                "region": "north",
                "ordered_at": "2024-03-31T22:30:00Z",
            },
            {
                "order_id": "O4",
                "customer_id": "C2",
                "channel": "partner",
                "region": "north",
                "ordered_at": "2024-02-15T10:00:00Z",
            },
            # An order without lines: counts as an order with revenue 0.
            {
                "order_id": "O5",
                "customer_id": "C3",
                "channel": "direct",
                "region": "south",
                "ordered_at": "2024-03-15T12:00:00+01:00",
            },
            {
                "order_id": "O6",
                "customer_id": "C1",
                "channel": "direct",
                "region": "north",
                "ordered_at": "2024-04-05T12:00:00+02:00",
            },
        ],
    )
    raw.file(
        "crm.order_lines",
        [
            {
                "order_id": "O1",
                "line_number": 1,
                "product_id": "P1",
                "quantity": 2,
                "unit_price": 100.0,
                "discount_pct": 0.0,
            },
            {
                "order_id": "O1",
                "line_number": 2,
                "product_id": "P2",
                "quantity": 1,
                "unit_price": 50.0,
                "discount_pct": 0.1,
            },
            {
                "order_id": "O2",
                "line_number": 1,
                "product_id": "P1",
                "quantity": 1,
                "unit_price": 1000.0,
                "discount_pct": 0.25,
            },
            {
                "order_id": "O3",
                "line_number": 1,
                "product_id": "P2",
                "quantity": 4,
                "unit_price": 10.0,
                "discount_pct": 0.0,
            },
            {
                "order_id": "O4",
                "line_number": 1,
                "product_id": "P1",
                "quantity": 1,
                "unit_price": 500.0,
                "discount_pct": 0.0,
            },
            {
                "order_id": "O6",
                "line_number": 1,
                "product_id": "P1",
                "quantity": 1,
                "unit_price": 60.0,
                "discount_pct": 0.0,
            },
        ],
    )
    # A later extract updates line O1/1 from 2 to 3 units: only the new version counts.
    raw.file(
        "crm.order_lines",
        [
            {
                "order_id": "O1",
                "line_number": 1,
                "product_id": "P1",
                "quantity": 3,
                "unit_price": 100.0,
                "discount_pct": 0.0,
            },
        ],
    )
    raw.file(
        "crm.opportunities",
        [
            {
                "opportunity_id": "OP1",
                "customer_id": "C1",
                "salesperson_id": "S1",
                "channel": "direct",
                "region": "north",
                "first_contact_at": "2024-03-01T10:00:00+01:00",
                "quote_sent_at": "2024-03-05T10:00:00+01:00",
                "closed_at": "2024-03-10T10:00:00+01:00",
                "status": "won",
            },
            {
                "opportunity_id": "OP2",
                "customer_id": "C2",
                "salesperson_id": "S1",
                "channel": "web",
                "region": "north",
                "first_contact_at": "2024-03-02T10:00:00+01:00",
                "quote_sent_at": "2024-03-06T10:00:00+01:00",
                "closed_at": "2024-03-20T10:00:00+01:00",
                "status": "lost",
            },
            # Won without a quote, across the DST change: 47 elapsed hours.
            {
                "opportunity_id": "OP3",
                "customer_id": "C3",
                "salesperson_id": "S1",
                "channel": "direct",
                "region": "south",
                "first_contact_at": "2024-03-29T12:00:00+01:00",
                "closed_at": "2024-03-31T12:00:00+02:00",
                "status": "won",
            },
            {
                "opportunity_id": "OP4",
                "customer_id": "C3",
                "salesperson_id": "S1",
                "channel": "partner",
                "region": "south",
                "first_contact_at": "2024-03-03T10:00:00+01:00",
                "status": "open",
            },
        ],
    )
    raw.file(
        "finance.budgets",
        [
            {"month": "2024-03-01", "region": "north", "revenue_budget": 1000.0},
            {"month": "2024-03-01", "region": "south", "revenue_budget": 1000.0},
            {"month": "2024-04-01", "region": "north", "revenue_budget": 100.0},
        ],
    )


def _marketing(raw: RawWriter) -> None:
    raw.file(
        "marketing.campaigns",
        [
            {
                "campaign_id": "K1",
                "campaign_name": "Spring search",
                "channel": "paid_search",
                "started_on": "2024-01-01",
            },
            {
                "campaign_id": "K2",
                "campaign_name": "Social push",
                "channel": "social",
                "started_on": "2024-03-01",
            },
        ],
    )
    raw.file(
        "marketing.ad_spend",
        [
            {
                "spend_date": "2024-03-01",
                "campaign_id": "K1",
                "spend": 300.0,
                "impressions": 1000,
                "clicks": 10,
            },
            {
                "spend_date": "2024-03-15",
                "campaign_id": "K2",
                "spend": 100.0,
                "impressions": 500,
                "clicks": 5,
            },
        ],
    )
    raw.file(
        "web.sessions",
        [
            {
                "session_id": "S1",
                "visitor_id": "V1",
                "started_at": "2024-03-05T09:50:00+01:00",
                "channel": "paid_search",
                "campaign_id": "K1",
                "pageviews": 3,
                "engaged_seconds": 100,
            },
            {
                "session_id": "S2",
                "visitor_id": "V2",
                "started_at": "2024-03-06T09:50:00+01:00",
                "channel": "organic",
                "pageviews": 1,
                "engaged_seconds": 50,
            },
            # 2024-03-31 00:30 UTC = 01:30 local, on the DST day.
            {
                "session_id": "S3",
                "visitor_id": "V3",
                "started_at": "2024-03-31T00:30:00Z",
                "channel": "direct",
                "pageviews": 2,
                "engaged_seconds": 31,
            },
        ],
    )
    raw.file(
        "marketing.leads",
        [
            {"lead_id": "L4", "created_at": "2023-12-15T10:00:00+01:00", "channel": "organic"},
            {
                "lead_id": "L3",
                "created_at": "2024-01-10T10:00:00+01:00",
                "channel": "email",
                "campaign_id": "K1",
                "converted_customer_id": "C2",
                "converted_at": "2024-04-10T10:00:00+02:00",
            },
            {
                "lead_id": "L1",
                "created_at": "2024-03-05T10:00:00+01:00",
                "session_id": "S1",
                "channel": "paid_search",
                "campaign_id": "K1",
                "converted_customer_id": "C1",
                "converted_at": "2024-03-20T10:00:00+01:00",
            },
            {"lead_id": "L2", "created_at": "2024-03-10T10:00:00+01:00", "channel": "organic"},
        ],
    )
    raw.file(
        "marketing.social_posts",
        [
            {
                "post_id": "PO1",
                "platform": "linkedin",
                "published_at": "2024-03-04T12:00:00+01:00",
                "impressions": 1000,
                "likes": 10,
                "shares": 5,
                "comments": 5,
            },
            {
                "post_id": "PO2",
                "platform": "instagram",
                "published_at": "2024-03-05T12:00:00+01:00",
                "impressions": 0,
                "likes": 0,
                "shares": 0,
                "comments": 0,
            },
        ],
    )


def _employee(employee_id: str, department: str, fte: float = 1.0, **changes: object) -> dict:
    row = {
        "employee_id": employee_id,
        "department": department,
        "location": "aarhus",
        "hired_on": "2023-01-01",
        "fte": fte,
    }
    row.update(changes)
    return row


def _hr(raw: RawWriter) -> None:
    raw.file(
        "hr.employees",
        [
            *[_employee(f"E{number}", "ops") for number in range(1, 6)],
            _employee("E6", "ops", terminated_on="2024-03-15", termination_type="voluntary"),
            *[_employee(f"E{number}", "sales", fte=0.5) for number in range(7, 10)],
            *[_employee(f"E{number}", "it") for number in range(10, 15)],
            _employee("E17", "ops", terminated_on="2023-02-15", termination_type="involuntary"),
        ],
    )
    raw.file(
        "hr.absences",
        [
            {
                "absence_id": "A1",
                "employee_id": "E1",
                "absence_date": "2024-03-04",
                "hours": 7.4,
                "absence_type": "sick",
            },
            # A Saturday: not a workday.
            {
                "absence_id": "A2",
                "employee_id": "E1",
                "absence_date": "2024-03-09",
                "hours": 5.0,
                "absence_type": "sick",
            },
            {
                "absence_id": "A3",
                "employee_id": "E2",
                "absence_date": "2024-03-05",
                "hours": 7.4,
                "absence_type": "vacation",
            },
            # After E6's termination: not in headcount that day.
            {
                "absence_id": "A4",
                "employee_id": "E6",
                "absence_date": "2024-03-20",
                "hours": 4.0,
                "absence_type": "sick",
            },
            {
                "absence_id": "A5",
                "employee_id": "E7",
                "absence_date": "2024-03-04",
                "hours": 3.7,
                "absence_type": "sick",
            },
        ],
    )
    raw.file(
        "hr.requisitions",
        [
            {
                "requisition_id": "R1",
                "department": "ops",
                "opened_on": "2024-02-01",
                "filled_on": "2024-03-01",
                "status": "filled",
                "filled_internally": True,
            },
            {
                "requisition_id": "R2",
                "department": "sales",
                "opened_on": "2024-03-01",
                "filled_on": "2024-03-11",
                "status": "filled",
            },
            {"requisition_id": "R3", "department": "it", "opened_on": "2024-03-01", "status": "open"},
        ],
    )
    satisfaction_and_enps = [
        ("ops", 4, 10),
        ("ops", 4, 9),
        ("ops", 5, 7),
        ("ops", 3, 5),
        ("ops", 4, None),
        ("sales", 2, 0),
        ("sales", 3, 10),
    ]
    raw.file(
        "hr.survey_responses",
        [
            {
                "response_id": f"SR{number}",
                "survey_round": "2024-03",
                "department": department,
                "submitted_on": "2024-03-12",
                "satisfaction": satisfaction,
                "enps_score": enps,
            }
            for number, (department, satisfaction, enps) in enumerate(satisfaction_and_enps, 1)
        ],
    )


def _production(raw: RawWriter) -> None:
    raw.file(
        "mes.machines",
        [
            {"machine_id": "M1", "line_id": "L1", "site": "aarhus"},
            {"machine_id": "M2", "line_id": "L2", "site": "odense"},
        ],
    )
    raw.file(
        "mes.production_runs",
        [
            {
                "run_id": "R1",
                "machine_id": "M1",
                "product_id": "P1",
                "shift_date": "2024-03-31",
                "planned_minutes": 480,
                "downtime_minutes": 60,
                "ideal_cycle_seconds": 10.0,
                "total_count": 2000,
                "good_count": 1900,
            },
            {
                "run_id": "R2",
                "machine_id": "M2",
                "product_id": "P2",
                "shift_date": "2024-03-31",
                "planned_minutes": 480,
                "downtime_minutes": 0,
                "ideal_cycle_seconds": 20.0,
                "total_count": 1000,
                "good_count": 1000,
            },
            # A run that never ran: no run time, no units.
            {
                "run_id": "R3",
                "machine_id": "M1",
                "product_id": "P1",
                "shift_date": "2024-03-30",
                "planned_minutes": 100,
                "downtime_minutes": 100,
                "ideal_cycle_seconds": 5.0,
                "total_count": 0,
                "good_count": 0,
            },
        ],
    )
    raw.file(
        "mes.material_usage",
        [
            {
                "usage_id": "U1",
                "line_id": "L1",
                "usage_date": "2024-03-12",
                "material": "steel",
                "input_kg": 100.0,
                "scrap_kg": 5.0,
            },
            {
                "usage_id": "U2",
                "line_id": "L1",
                "usage_date": "2024-03-13",
                "material": "plastic",
                "input_kg": 50.0,
                "scrap_kg": 10.0,
            },
        ],
    )
    raw.file(
        "mes.shipments",
        [
            # Delivered 2024-03-05 23:30 UTC = 2024-03-06 00:30 local: one day late.
            {
                "shipment_id": "SH1",
                "order_id": "O1",
                "shipped_at": "2024-03-02T08:00:00Z",
                "delivered_at": "2024-03-05T23:30:00Z",
            },
            {
                "shipment_id": "SH2",
                "order_id": "O2",
                "shipped_at": "2024-04-01T08:00:00Z",
                "delivered_at": "2024-04-02T00:30:00Z",
            },
            {
                "shipment_id": "SH3",
                "order_id": "O4",
                "shipped_at": "2024-03-01T08:00:00Z",
                "delivered_at": "2024-03-10T10:00:00Z",
            },
        ],
    )


def _customer_service(raw: RawWriter) -> None:
    base = {"agent_team": "team1", "contacts_count": 1, "reopened_count": 0}
    raw.file(
        "helpdesk.tickets",
        [
            {
                **base,
                "ticket_id": "T5",
                "channel": "email",
                "category": "billing",
                "created_at": "2024-03-28T10:00:00+01:00",
                "first_response_at": "2024-03-28T10:10:00+01:00",
                "resolved_at": "2024-03-28T12:00:00+01:00",
            },
            # 01:30 local winter time -> 03:30 local summer time: 60 elapsed minutes.
            {
                **base,
                "ticket_id": "T1",
                "customer_id": "C1",
                "channel": "chat",
                "category": "billing",
                "created_at": "2024-03-31T00:30:00Z",
                "first_response_at": "2024-03-31T01:30:00Z",
                "resolved_at": "2024-03-31T02:00:00Z",
            },
            {
                **base,
                "ticket_id": "T2",
                "customer_id": "C2",
                "channel": "email",
                "category": "billing",
                "created_at": "2024-03-31T10:00:00+02:00",
                "first_response_at": "2024-03-31T14:30:00+02:00",
                "resolved_at": "2024-04-01T09:00:00+02:00",
                "contacts_count": 2,
                "reopened_count": 1,
            },
            # First version: unanswered and open (updated in a later file).
            {
                **base,
                "ticket_id": "T3",
                "channel": "phone",
                "category": "tech",
                "created_at": "2024-03-31T20:00:00+02:00",
            },
            # Two versions in one file: the later line (category tech) wins.
            {
                **base,
                "ticket_id": "T4",
                "channel": "chat",
                "category": "billing",
                "created_at": "2024-03-30T23:30:00Z",
                "parent_ticket_id": "T1",
            },
            {
                **base,
                "ticket_id": "T4",
                "channel": "chat",
                "category": "tech",
                "created_at": "2024-03-30T23:30:00Z",
                "first_response_at": "2024-03-31T00:00:00Z",
                "parent_ticket_id": "T1",
            },
        ],
    )
    raw.file(
        "helpdesk.tickets",
        [
            # Created the day after the as-of date (the contract's allowance): its own day row.
            {
                **base,
                "ticket_id": "T6",
                "channel": "email",
                "category": "billing",
                "created_at": "2024-04-11T08:00:00+02:00",
            },
            {
                **base,
                "ticket_id": "T3",
                "channel": "phone",
                "category": "tech",
                "created_at": "2024-03-31T20:00:00+02:00",
                "first_response_at": "2024-03-31T20:30:00+02:00",
                "resolved_at": "2024-04-02T10:00:00+02:00",
            },
        ],
    )
    raw.file(
        "helpdesk.csat_surveys",
        [
            {
                "ticket_id": "T1",
                "surveyed_at": "2024-03-31T03:00:00Z",
                "responded_at": "2024-04-01T08:00:00+02:00",
                "score": 5,
            },
            {
                "ticket_id": "T2",
                "surveyed_at": "2024-04-01T10:00:00+02:00",
                "responded_at": "2024-04-02T10:00:00+02:00",
                "score": 3,
            },
        ],
    )
    raw.file(
        "helpdesk.nps_responses",
        [
            {
                "response_id": f"N{number}",
                "customer_id": "C1",
                "responded_at": "2024-03-20T12:00:00+01:00",
                "score": score,
            }
            for number, score in enumerate([10, 9, 9, 6, 3], 1)
        ],
    )
