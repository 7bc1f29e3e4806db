"""The ingest follows the data contract: every rule, file format and load-order promise."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dagster_project.ingest.contract import TABLES
from tests.ingest_helpers import VALID_ROWS, csv_text, ingest, new_warehouse, write_file


@pytest.fixture
def con():
    connection = new_warehouse()
    yield connection
    connection.close()


def _load_one(con, tmp_path, table_key: str, overrides: dict[str, str], as_of: date | None = None):
    row = {**VALID_ROWS[table_key], **overrides}
    write_file(tmp_path, table_key, "extract.csv", csv_text([row]))
    kwargs = {"as_of": as_of} if as_of else {}
    (result,) = ingest(con, tmp_path, table_key, **kwargs)
    return result


def _quarantine(con, table_key: str) -> list[tuple[int, str]]:
    raw_table = table_key.replace(".", "__")
    return con.execute(
        f"select _source_line, reason from quarantine.{raw_table} order by _source_line"
    ).fetchall()


@pytest.mark.parametrize("table_key", sorted(VALID_ROWS))
def test_a_valid_row_of_every_table_loads(con, tmp_path, table_key):
    result = _load_one(con, tmp_path, table_key, {})
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "loaded",
        1,
        1,
        0,
    )


def test_every_contract_table_has_a_valid_example():
    assert set(VALID_ROWS) == {table.key for table in TABLES}


RULE_CASES = [
    # (table, overrides, expected reason) — one broken rule each, reasons as the contract states them.
    ("helpdesk.tickets", {"ticket_id": ""}, "ticket_id: required value is missing"),
    ("crm.order_lines", {"line_number": " "}, "line_number: required value is missing"),
    ("crm.customers", {"region": ""}, "region: required value is missing"),
    ("crm.order_lines", {"quantity": "37.5"}, "quantity: 37.5 is not an integer"),
    (
        "crm.order_lines",
        {"unit_price": "12,50"},
        "unit_price: 12,50 is not a decimal number (at most 28 digits before the point, 10 after)",
    ),
    # 11 places: rounding it would change the value, so it is a bad row.
    (
        "crm.order_lines",
        {"unit_price": "0.12345678901"},
        "unit_price: 0.12345678901 is not a decimal number (at most 28 digits before the point, 10 after)",
    ),
    (
        "helpdesk.tickets",
        {"created_at": "2025-13-01 10:00"},
        "created_at: 2025-13-01 10:00 is not an ISO 8601 timestamp",
    ),
    (
        "helpdesk.tickets",
        {"created_at": "03/03/2025 10:00"},
        "created_at: 03/03/2025 10:00 is not an ISO 8601 timestamp",
    ),
    ("hr.employees", {"hired_on": "2024-02-30"}, "hired_on: 2024-02-30 is not a date (YYYY-MM-DD)"),
    (
        "hr.requisitions",
        {"filled_internally": "maybe"},
        "filled_internally: maybe is not a boolean (true/false, 1/0, yes/no)",
    ),
    (
        "crm.customers",
        {"segment": "startup"},
        "segment: startup is not one of (enterprise, mid_market, small_business)",
    ),
    (
        "hr.absences",
        {"absence_type": "holiday"},
        "absence_type: holiday is not one of (sick, vacation, leave, other)",
    ),
    ("crm.order_lines", {"quantity": "0"}, "quantity: 0 breaks the rule quantity > 0"),
    ("crm.order_lines", {"discount_pct": "1.5"}, "discount_pct: 1.5 breaks the rule discount_pct in [0, 1]"),
    ("crm.order_lines", {"unit_price": "-1"}, "unit_price: -1 breaks the rule unit_price >= 0"),
    ("crm.products", {"unit_cost": "-0.01"}, "unit_cost: -0.01 breaks the rule unit_cost >= 0"),
    ("crm.opportunities", {"quoted_amount": "-5"}, "quoted_amount: -5 breaks the rule quoted_amount >= 0"),
    ("finance.budgets", {"revenue_budget": "-1"}, "revenue_budget: -1 breaks the rule revenue_budget >= 0"),
    (
        "finance.budgets",
        {"month": "2026-01-15"},
        "month: 2026-01-15 breaks the rule month is the first day of a month",
    ),
    ("web.sessions", {"pageviews": "0"}, "pageviews: 0 breaks the rule pageviews >= 1"),
    ("web.sessions", {"engaged_seconds": "-3"}, "engaged_seconds: -3 breaks the rule engaged_seconds >= 0"),
    ("marketing.ad_spend", {"spend": "-1"}, "spend: -1 breaks the rule spend >= 0"),
    ("marketing.ad_spend", {"clicks": "-1"}, "clicks: -1 breaks the rule clicks >= 0"),
    ("marketing.social_posts", {"likes": "-2"}, "likes: -2 breaks the rule likes >= 0"),
    ("hr.employees", {"fte": "0"}, "fte: 0 breaks the rule fte in (0, 1]"),
    ("hr.employees", {"fte": "1.01"}, "fte: 1.01 breaks the rule fte in (0, 1]"),
    ("hr.absences", {"hours": "25"}, "hours: 25 breaks the rule hours in (0, 24]"),
    ("hr.absences", {"hours": "0"}, "hours: 0 breaks the rule hours in (0, 24]"),
    ("hr.survey_responses", {"satisfaction": "6"}, "satisfaction: 6 breaks the rule satisfaction in [1, 5]"),
    ("hr.survey_responses", {"enps_score": "11"}, "enps_score: 11 breaks the rule enps_score in [0, 10]"),
    (
        "mes.production_runs",
        {"planned_minutes": "0", "downtime_minutes": "0"},
        "planned_minutes: 0 breaks the rule planned_minutes > 0",
    ),
    (
        "mes.production_runs",
        {"ideal_cycle_seconds": "0"},
        "ideal_cycle_seconds: 0 breaks the rule ideal_cycle_seconds > 0",
    ),
    ("mes.production_runs", {"downtime_minutes": "481"}, "rule broken: downtime_minutes <= planned_minutes"),
    ("mes.production_runs", {"good_count": "101"}, "rule broken: good_count <= total_count"),
    ("mes.material_usage", {"input_kg": "0", "scrap_kg": "0"}, "input_kg: 0 breaks the rule input_kg > 0"),
    ("mes.material_usage", {"scrap_kg": "10.5"}, "rule broken: scrap_kg <= input_kg"),
    ("helpdesk.tickets", {"contacts_count": "0"}, "contacts_count: 0 breaks the rule contacts_count >= 1"),
    ("helpdesk.tickets", {"reopened_count": "-1"}, "reopened_count: -1 breaks the rule reopened_count >= 0"),
    ("helpdesk.csat_surveys", {"score": "0"}, "score: 0 breaks the rule score in [1, 5]"),
    ("helpdesk.nps_responses", {"score": "11"}, "score: 11 breaks the rule score in [0, 10]"),
    (
        "crm.opportunities",
        {"status": "open"},
        "rule broken: closed_at is set exactly when status is won or lost",
    ),
    (
        "crm.opportunities",
        {"closed_at": ""},
        "rule broken: closed_at is set exactly when status is won or lost",
    ),
    ("crm.opportunities", {"closed_at": "2025-01-01 10:00:00"}, "rule broken: closed_at >= first_contact_at"),
    (
        "marketing.leads",
        {"converted_customer_id": ""},
        "rule broken: converted_at is set exactly when converted_customer_id is",
    ),
    (
        "marketing.leads",
        {"converted_at": ""},
        "rule broken: converted_at is set exactly when converted_customer_id is",
    ),
    ("marketing.leads", {"converted_at": "2025-03-01 08:00:00"}, "rule broken: converted_at >= created_at"),
    ("hr.employees", {"terminated_on": "2023-12-31"}, "rule broken: terminated_on >= hired_on"),
    ("hr.requisitions", {"status": "open"}, "rule broken: filled_on is set exactly when status is filled"),
    ("hr.requisitions", {"filled_on": ""}, "rule broken: filled_on is set exactly when status is filled"),
    (
        "helpdesk.tickets",
        {"first_response_at": "2025-03-03 09:59:59"},
        "rule broken: first_response_at >= created_at",
    ),
    ("helpdesk.tickets", {"resolved_at": "2025-03-03 09:00:00"}, "rule broken: resolved_at >= created_at"),
    ("helpdesk.csat_surveys", {"responded_at": ""}, "rule broken: score is set exactly when responded_at is"),
    ("helpdesk.csat_surveys", {"score": ""}, "rule broken: score is set exactly when responded_at is"),
    # As of 2025-06-30 the latest allowed local date is 2025-07-01.
    (
        "helpdesk.tickets",
        {"created_at": "2025-07-02 00:00:00", "first_response_at": "", "resolved_at": ""},
        "created_at: 2025-07-02 00:00:00 is later than the day after the as-of date (2025-07-01)",
    ),
    (
        "helpdesk.tickets",
        {"created_at": "2025-07-01T22:30:00Z", "first_response_at": "", "resolved_at": ""},
        "created_at: 2025-07-01T22:30:00Z is later than the day after the as-of date (2025-07-01)",
    ),
    (
        "hr.absences",
        {"absence_date": "2025-07-02"},
        "absence_date: 2025-07-02 is later than the day after the as-of date (2025-07-01)",
    ),
    (
        "hr.employees",
        {"terminated_on": "2025-07-02"},
        "terminated_on: 2025-07-02 is later than the day after the as-of date (2025-07-01)",
    ),
]


@pytest.mark.parametrize(
    ("table_key", "overrides", "reason"), RULE_CASES, ids=[c[2][:60] for c in RULE_CASES]
)
def test_a_broken_rule_sends_the_row_to_quarantine_with_its_reason(
    con, tmp_path, table_key, overrides, reason
):
    result = _load_one(con, tmp_path, table_key, overrides)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (1, 0, 1)
    assert _quarantine(con, table_key) == [(2, reason)]


@pytest.mark.parametrize(
    ("table_key", "overrides"),
    [
        (
            "helpdesk.tickets",
            {"created_at": "2025-07-01 23:59:59", "first_response_at": "", "resolved_at": ""},
        ),
        ("crm.orders", {"promised_delivery_date": "2030-01-01"}),
        ("marketing.campaigns", {"ended_on": "2030-01-01"}),
        ("finance.budgets", {"month": "2030-01-01"}),
    ],
)
def test_future_dates_that_are_allowed_load(con, tmp_path, table_key, overrides):
    assert _load_one(con, tmp_path, table_key, overrides).rows_loaded == 1


def test_a_row_breaking_several_rules_lists_every_reason_and_keeps_its_original_text(con, tmp_path):
    _load_one(con, tmp_path, "crm.order_lines", {"quantity": "37.5", "discount_pct": "2"})
    (original, reason) = con.execute(
        "select original_values, reason from quarantine.crm__order_lines"
    ).fetchone()
    assert (
        reason == "quantity: 37.5 is not an integer; discount_pct: 2 breaks the rule discount_pct in [0, 1]"
    )
    assert json.loads(original)["quantity"] == "37.5"


LOCAL_TIME_CASES = [
    # (text, the instant in UTC, the local date): worked out from Europe/Copenhagen's offsets.
    ("2025-01-15 10:00:00", datetime(2025, 1, 15, 9, 0), date(2025, 1, 15)),  # winter, UTC+1
    ("2025-06-15T10:00:00", datetime(2025, 6, 15, 8, 0), date(2025, 6, 15)),  # summer, UTC+2
    (
        "2025-03-30 02:30:00",
        datetime(2025, 3, 30, 1, 30),
        date(2025, 3, 30),
    ),  # spring gap: UTC+1 before the change
    (
        "2025-10-26 02:30:00",
        datetime(2025, 10, 26, 0, 30),
        date(2025, 10, 26),
    ),  # repeated hour: the earlier instant
    (
        "2025-10-26 03:30",
        datetime(2025, 10, 26, 2, 30),
        date(2025, 10, 26),
    ),  # after the change, UTC+1, no seconds
    ("2025-03-31T22:30:00Z", datetime(2025, 3, 31, 22, 30), date(2025, 4, 1)),  # UTC evening = next local day
    ("2025-01-31 23:30:00-0100", datetime(2025, 2, 1, 0, 30), date(2025, 2, 1)),
    ("2025-02-01 00:30:00+01:00", datetime(2025, 1, 31, 23, 30), date(2025, 2, 1)),
    ("2025-05-31 23:59:59.250+0200", datetime(2025, 5, 31, 21, 59, 59, 250000), date(2025, 5, 31)),
]


@pytest.mark.parametrize(
    ("text", "utc", "local_date"), LOCAL_TIME_CASES, ids=[c[0] for c in LOCAL_TIME_CASES]
)
def test_timestamps_land_on_the_right_instant_and_local_date(con, tmp_path, text, utc, local_date):
    _load_one(con, tmp_path, "helpdesk.nps_responses", {"responded_at": text}, as_of=date(2026, 1, 1))
    instant, day = con.execute(
        "select responded_at, cast(responded_at at time zone 'Europe/Copenhagen' as date) "
        "from raw.helpdesk__nps_responses"
    ).fetchone()
    assert instant == utc.replace(tzinfo=UTC)
    assert day == local_date


def test_enums_and_booleans_are_matched_after_trimming_in_any_case_and_ids_keep_leading_zeros(con, tmp_path):
    _load_one(con, tmp_path, "crm.customers", {"segment": " Mid_Market "})
    _load_one(con, tmp_path, "hr.requisitions", {"filled_internally": " NO "})
    assert con.execute("select customer_id, segment from raw.crm__customers").fetchone() == (
        "0042",
        "mid_market",
    )
    assert con.execute("select filled_internally from raw.hr__requisitions").fetchone() == (False,)


def test_bom_header_case_column_order_and_extra_columns_are_accepted(con, tmp_path):
    header = ["Score", " RESPONDED_AT", "response_id", "customer_id", "survey_tool"]
    rows = [{"score": "9", "responded_at": "2025-03-04 12:00", "response_id": "N1", "survey_tool": "x"}]
    write_file(tmp_path, "helpdesk.nps_responses", "n.csv", "\ufeff" + csv_text(rows, header))
    (result,) = ingest(con, tmp_path, "helpdesk.nps_responses")
    assert (result.rows_loaded, result.message) == (1, "extra columns ignored: survey_tool")
    assert con.execute(
        "select response_id, score, _extra_columns from raw.helpdesk__nps_responses"
    ).fetchone() == (
        "N1",
        9,
        '{"survey_tool":"x"}',
    )


def test_an_absent_nullable_column_loads_as_null(con, tmp_path):
    rows = [{"response_id": "N1", "responded_at": "2025-03-04 12:00", "score": "9"}]
    write_file(tmp_path, "helpdesk.nps_responses", "n.csv", csv_text(rows))
    ingest(con, tmp_path, "helpdesk.nps_responses")
    assert con.execute("select customer_id from raw.helpdesk__nps_responses").fetchone() == (None,)


def test_gzipped_csv_loads_and_the_same_content_under_another_name_is_a_duplicate(con, tmp_path):
    content = csv_text([VALID_ROWS["mes.machines"]])
    write_file(tmp_path, "mes.machines", "a.csv.gz", content)
    write_file(tmp_path, "mes.machines", "b.csv", content)
    first, second = ingest(con, tmp_path, "mes.machines")
    assert (first.status, first.rows_loaded) == ("loaded", 1)
    assert (second.status, second.message) == ("duplicate", "same content as mes/machines/a.csv.gz: skipped")
    assert con.execute("select count(*) from raw.mes__machines").fetchone() == (1,)


def test_parquet_with_native_types_loads_and_inexact_integers_are_quarantined(con, tmp_path):
    path = tmp_path / "mes" / "production_runs" / "runs.parquet"
    path.parent.mkdir(parents=True)
    table = pa.table(
        {
            "run_id": ["PR1", "PR2"],
            "machine_id": ["M1", "M1"],
            "product_id": ["P1", "P1"],
            "shift_date": pa.array([date(2025, 3, 3), date(2025, 3, 4)], pa.date32()),
            "planned_minutes": pa.array([480.0, 480.5], pa.float64()),  # 480.5 is no integer
            "downtime_minutes": pa.array([30, 30], pa.int32()),
            "ideal_cycle_seconds": pa.array([1.5, 1.5], pa.float64()),
            "total_count": pa.array([100, 100], pa.int64()),
            "good_count": pa.array([95, 95], pa.int64()),
        }
    )
    pq.write_table(table, path)
    (result,) = ingest(con, tmp_path, "mes.production_runs")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert con.execute(
        "select run_id, planned_minutes, shift_date from raw.mes__production_runs"
    ).fetchone() == (
        "PR1",
        480,
        date(2025, 3, 3),
    )
    assert _quarantine(con, "mes.production_runs") == [(2, "planned_minutes: 480.5 is not an integer")]


def test_parquet_timestamps_with_time_zone_keep_their_instant(con, tmp_path):
    path = tmp_path / "helpdesk" / "nps_responses" / "n.parquet"
    path.parent.mkdir(parents=True)
    instant = datetime(2025, 3, 31, 22, 30, tzinfo=UTC)
    pq.write_table(
        pa.table(
            {
                "response_id": ["N1"],
                "responded_at": pa.array([instant], pa.timestamp("us", "UTC")),
                "score": pa.array([7], pa.int8()),
            }
        ),
        path,
    )
    ingest(con, tmp_path, "helpdesk.nps_responses")
    assert con.execute("select responded_at from raw.helpdesk__nps_responses").fetchone() == (instant,)


def test_a_missing_required_column_rejects_only_that_file(con, tmp_path):
    good = csv_text([VALID_ROWS["mes.machines"]])
    bad = "machine_id,line_id\nM2,L-B\n"
    write_file(tmp_path, "mes.machines", "1_bad.csv", bad)
    write_file(tmp_path, "mes.machines", "2_good.csv", good)
    rejected, loaded = ingest(con, tmp_path, "mes.machines")
    assert rejected.status == "rejected"
    assert rejected.message == "mes/machines/1_bad.csv: missing required column(s) site for mes.machines"
    assert (loaded.status, loaded.rows_loaded) == ("loaded", 1)
    ledger = con.execute(
        "select file_path, status, message from raw._file_ledger order by file_id"
    ).fetchall()
    assert ledger[0] == ("mes/machines/1_bad.csv", "rejected", rejected.message)


def test_a_file_that_is_not_utf8_is_rejected_naming_the_line_of_the_first_bad_byte(con, tmp_path):
    content = csv_text([VALID_ROWS["mes.machines"]]).encode() + "M2,L-B,K\xf8ge\n".encode("latin-1")
    write_file(tmp_path, "mes.machines", "latin1.csv", content)
    (result,) = ingest(con, tmp_path, "mes.machines")
    assert result.status == "rejected"
    assert result.message == "mes/machines/latin1.csv: not valid UTF-8: first bad byte 0xf8 at line 3"
    assert con.execute("select count(*) from raw.mes__machines").fetchone() == (0,)


def test_line_numbers_are_physical_lines_when_a_quoted_value_spans_lines(con, tmp_path):
    content = (
        "machine_id,line_id,site\n"
        'M1,"line\nwith a break",Vejle\n'  # lines 2-3
        "\n"  # a blank line 4 is no record
        "M2,L-B,\n"  # line 5: site missing
    )
    write_file(tmp_path, "mes.machines", "m.csv", content)
    (result,) = ingest(con, tmp_path, "mes.machines")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert con.execute("select _source_line from raw.mes__machines").fetchone() == (2,)
    assert _quarantine(con, "mes.machines") == [(5, "site: required value is missing")]


def test_a_malformed_record_is_quarantined_and_the_rest_of_the_file_loads(con, tmp_path):
    content = "machine_id,line_id,site\nM1,L-A,Vejle\nM2,L-B,Vejle,extra\nM3,L-C,Kolding\n"
    write_file(tmp_path, "mes.machines", "m.csv", content)
    (result,) = ingest(con, tmp_path, "mes.machines")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    assert _quarantine(con, "mes.machines") == [(3, "malformed CSV record: 4 fields where the header has 3")]


def test_rows_read_equal_loaded_plus_quarantined_in_every_ledger_row(con, tmp_path):
    rows = [VALID_ROWS["crm.order_lines"], {**VALID_ROWS["crm.order_lines"], "quantity": "x"}]
    write_file(tmp_path, "crm.order_lines", "1.csv", csv_text(rows))
    write_file(tmp_path, "crm.order_lines", "2.csv", csv_text(rows[:1] * 3))
    ingest(con, tmp_path, "crm.order_lines")
    ledger = con.execute(
        "select rows_read, rows_loaded, rows_quarantined from raw._file_ledger order by file_id"
    ).fetchall()
    assert ledger == [(2, 1, 1), (3, 3, 0)]
    assert con.execute("select count(*) from raw.crm__order_lines").fetchone() == (4,)
    assert con.execute("select count(*) from quarantine.crm__order_lines").fetchone() == (1,)


def test_ingesting_the_same_files_again_changes_nothing(con, tmp_path):
    write_file(tmp_path, "helpdesk.tickets", "1.csv", csv_text([VALID_ROWS["helpdesk.tickets"]]))
    ingest(con, tmp_path, "helpdesk.tickets")
    snapshot = [
        con.execute(f"select count(*) from {t}").fetchone()
        for t in ("raw.helpdesk__tickets", "quarantine.helpdesk__tickets", "raw._file_ledger")
    ]
    results = ingest(con, tmp_path, "helpdesk.tickets")
    assert [r.status for r in results] == ["already_ingested"]
    assert snapshot == [
        con.execute(f"select count(*) from {t}").fetchone()
        for t in ("raw.helpdesk__tickets", "quarantine.helpdesk__tickets", "raw._file_ledger")
    ]


def test_a_later_extract_of_a_key_wins_in_file_byte_order(con, tmp_path):
    opened = {**VALID_ROWS["helpdesk.tickets"], "resolved_at": ""}
    resolved = VALID_ROWS["helpdesk.tickets"]
    # Byte order of the names: 'B' (0x42) comes before 'a' (0x61), so the resolved version is later.
    write_file(tmp_path, "helpdesk.tickets", "B_2025-03-03.csv", csv_text([opened]))
    write_file(tmp_path, "helpdesk.tickets", "a_2025-03-04.csv", csv_text([resolved]))
    ingest(con, tmp_path, "helpdesk.tickets")
    latest = con.execute(
        "select resolved_at is not null from raw.helpdesk__tickets "
        "qualify row_number() over (partition by ticket_id order by _file_id desc, _source_line desc) = 1"
    ).fetchall()
    assert latest == [(True,)]


def test_an_unchanged_file_is_recognised_without_being_read_again(tmp_path, monkeypatch):
    import os

    import dagster_project.ingest.loader as loader

    con = new_warehouse()
    path = write_file(
        tmp_path, "crm.products", "p.csv", "product_id,product_name,category,unit_cost\nP1,Pumpe,pumps,1\n"
    )
    (first,) = ingest(con, tmp_path, "crm.products")
    assert (first.status, first.rows_loaded) == ("loaded", 1)

    def no_reading(*args, **kwargs):
        raise AssertionError("an unchanged file was read again")

    monkeypatch.setattr(loader, "scan_file", no_reading)
    (second,) = ingest(con, tmp_path, "crm.products")
    assert second.status == "already_ingested"

    # Rewritten in place (new content, new modification time): read again, a new version of P1.
    monkeypatch.undo()
    path.write_text("product_id,product_name,category,unit_cost\nP1,Pumpe XL,pumps,2\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    (third,) = ingest(con, tmp_path, "crm.products")
    assert (third.status, third.rows_loaded) == ("loaded", 1)
    assert con.execute("select count(*), max(product_name) from raw.crm__products").fetchone() == (
        2,
        "Pumpe XL",
    )
    assert (
        con.execute("select count(*) from raw._file_ledger where stored_bytes is not null").fetchone()[0] == 2
    )


def test_a_ledger_from_before_the_size_and_time_columns_gains_them(tmp_path):
    import duckdb

    from dagster_project.ingest.raw_schema import LEDGER_TABLE, create_raw_tables

    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(
        f"create table {LEDGER_TABLE} (file_id bigint primary key, batch_id varchar not null, "
        "source_table varchar not null, file_path varchar not null, content_hash varchar not null, "
        "size_bytes bigint, status varchar not null, rows_read bigint, rows_loaded bigint, "
        "rows_quarantined bigint, message varchar, ingested_at timestamptz not null)"
    )
    create_raw_tables(con)
    columns = [row[0] for row in con.execute(f"describe {LEDGER_TABLE}").fetchall()]
    assert columns[-2:] == ["stored_bytes", "modified_ns"]


def test_a_file_only_touched_is_read_once_more_and_then_recognised(tmp_path, monkeypatch):
    import os

    import dagster_project.ingest.loader as loader

    con = new_warehouse()
    path = write_file(
        tmp_path, "crm.products", "p.csv", "product_id,product_name,category,unit_cost\nP1,Pumpe,pumps,1\n"
    )
    ingest(con, tmp_path, "crm.products")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # same bytes, new time
    (touched,) = ingest(con, tmp_path, "crm.products")
    assert touched.status == "already_ingested"  # by its content hash

    def no_reading(*args, **kwargs):
        raise AssertionError("the touched file was read a second time")

    monkeypatch.setattr(loader, "scan_file", no_reading)
    (again,) = ingest(con, tmp_path, "crm.products")
    assert again.status == "already_ingested"
    assert con.execute("select count(*) from raw._file_ledger").fetchone()[0] == 1
