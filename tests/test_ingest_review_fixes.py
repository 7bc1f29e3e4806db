"""Review findings against the data contract: each test's numbers are worked out by hand from the contract."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dagster_project import settings
from tests.ingest_helpers import VALID_ROWS, csv_text, ingest, new_warehouse, write_file


@pytest.fixture
def con():
    connection = new_warehouse()
    yield connection
    connection.close()


def _quarantine(con, table_key: str) -> list[tuple[str, int, str, str]]:
    return con.execute(
        "select _source_file, _source_line, original_values, reason "
        f"from quarantine.{table_key.replace('.', '__')} order by _source_line"
    ).fetchall()


def _counts(result) -> tuple[str, int, int, int]:
    return (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined)


# --- 1. a malformed CSV record costs only itself --------------------------------------------------

QUOTING = "malformed CSV record, breaks RFC 4180 quoting: "


def test_a_record_breaking_the_quoting_is_quarantined_and_the_following_records_load(con, tmp_path):
    content = (
        "product_id,product_name,category,unit_cost\n"  # line 1
        "P1,Pumpe,pumps,1\n"  # line 2
        'P2,"Bad"x,pumps,2\n'  # line 3: text after a closing quote
        "P3,Ventil,valves,3\n"  # line 4
        "P4,Motor,motors,4\n"  # line 5
    )
    write_file(tmp_path, "crm.products", "p.csv", content)
    (result,) = ingest(con, tmp_path, "crm.products")
    # 4 data rows: 3 load, the one on line 3 is quarantined, none is lost.
    assert _counts(result) == ("loaded", 4, 3, 1)
    assert con.execute(
        "select product_id, _source_line from raw.crm__products order by _source_line"
    ).fetchall() == [("P1", 2), ("P3", 4), ("P4", 5)]
    ((file, line, original, reason),) = _quarantine(con, "crm.products")
    assert (file, line) == ("crm/products/p.csv", 3)
    assert json.loads(original) == {"record": 'P2,"Bad"x,pumps,2'}
    assert reason == QUOTING + "',' expected after '\"'"
    assert con.execute(
        "select rows_read, rows_loaded, rows_quarantined from raw._file_ledger"
    ).fetchall() == [(4, 3, 1)]


def test_line_numbers_stay_physical_after_a_malformed_record_spanning_two_lines(con, tmp_path):
    content = (
        "product_id,product_name,category,unit_cost\n"  # line 1
        'P1,"two\nlines"x,pumps,1\n'  # lines 2-3: one record, malformed
        "P2,Ventil,valves,2\n"  # line 4
        "\n"  # line 5: blank, no record
        "P3,Motor,motors,-3\n"  # line 6: unit_cost >= 0 broken
    )
    write_file(tmp_path, "crm.products", "p.csv.gz", content)
    (result,) = ingest(con, tmp_path, "crm.products")
    assert _counts(result) == ("loaded", 3, 1, 2)
    assert con.execute("select product_id, _source_line from raw.crm__products").fetchall() == [("P2", 4)]
    assert [
        (line, json.loads(original), reason) for _, line, original, reason in _quarantine(con, "crm.products")
    ] == [
        (2, {"record": 'P1,"two\nlines"x,pumps,1'}, QUOTING + "',' expected after '\"'"),
        (
            6,
            {"product_id": "P3", "product_name": "Motor", "category": "motors", "unit_cost": "-3"},
            "unit_cost: -3 breaks the rule unit_cost >= 0",
        ),
    ]


def test_a_quote_left_open_to_the_end_of_the_file_is_one_quarantined_record(con, tmp_path):
    # RFC 4180: the quote opened on line 3 runs to the end of the file, so lines 3-4 are one record.
    content = (
        'product_id,product_name,category,unit_cost\nP1,Pumpe,pumps,1\nP2,"open,pumps,2\nP3,Ventil,valves,3\n'
    )
    write_file(tmp_path, "crm.products", "p.csv", content)
    (result,) = ingest(con, tmp_path, "crm.products")
    assert _counts(result) == ("loaded", 2, 1, 1)
    ((_, line, original, reason),) = _quarantine(con, "crm.products")
    assert (line, json.loads(original)) == (3, {"record": 'P2,"open,pumps,2\nP3,Ventil,valves,3'})
    assert reason.startswith(QUOTING)


# --- 2. any number of fractional-second digits ----------------------------------------------------

FRACTION_CASES = [
    # (text, the instant in UTC, the local date): extra digits cut off after the sixth, never rounded.
    ("2025-01-15 10:00:00.1234567", datetime(2025, 1, 15, 9, 0, 0, 123456), date(2025, 1, 15)),  # UTC+1
    ("2025-01-15 10:00:00.123456789", datetime(2025, 1, 15, 9, 0, 0, 123456), date(2025, 1, 15)),
    ("2025-06-15T10:00:00.9999999Z", datetime(2025, 6, 15, 10, 0, 0, 999999), date(2025, 6, 15)),
    ("2025-06-15T10:00:00.123456789+02:00", datetime(2025, 6, 15, 8, 0, 0, 123456), date(2025, 6, 15)),
    # 23:59:59.9999999 at UTC-1 is 00:59:59.999999 UTC, 01:59:59.999999 in Copenhagen (UTC+1).
    ("2025-01-31 23:59:59.9999999-0100", datetime(2025, 2, 1, 0, 59, 59, 999999), date(2025, 2, 1)),
    # Summer (UTC+2); rounding would have made it 2025-07-01 00:00 local, the next day.
    ("2025-06-30 23:59:59.999999999", datetime(2025, 6, 30, 21, 59, 59, 999999), date(2025, 6, 30)),
]


@pytest.mark.parametrize(("text", "utc", "local_date"), FRACTION_CASES, ids=[c[0] for c in FRACTION_CASES])
def test_timestamps_with_more_than_six_fraction_digits_are_truncated_to_the_microsecond(
    con, tmp_path, text, utc, local_date
):
    row = {**VALID_ROWS["helpdesk.nps_responses"], "responded_at": text}
    write_file(tmp_path, "helpdesk.nps_responses", "n.csv", csv_text([row]))
    (result,) = ingest(con, tmp_path, "helpdesk.nps_responses", as_of=date(2026, 1, 1))
    assert _counts(result) == ("loaded", 1, 1, 0)
    assert con.execute(
        "select responded_at, cast(responded_at at time zone 'Europe/Copenhagen' as date) "
        "from raw.helpdesk__nps_responses"
    ).fetchone() == (utc.replace(tzinfo=UTC), local_date)


def test_truncation_keeps_the_last_instant_of_the_allowed_day_within_the_as_of_limit(con, tmp_path):
    # As of 2025-06-30 the latest allowed local date is 2025-07-01; rounding would reach 2025-07-02.
    row = {**VALID_ROWS["helpdesk.nps_responses"], "responded_at": "2025-07-01 23:59:59.9999999"}
    write_file(tmp_path, "helpdesk.nps_responses", "n.csv", csv_text([row]))
    (result,) = ingest(con, tmp_path, "helpdesk.nps_responses", as_of=date(2025, 6, 30))
    assert _counts(result) == ("loaded", 1, 1, 0)


# --- 3. a corrupt .csv.gz is rejected, the other files load ---------------------------------------

MACHINE_CSV = csv_text([VALID_ROWS["mes.machines"]])


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        # Plain text named .gz: gzip's magic bytes are missing, the file starts with 'ma'.
        (MACHINE_CSV.encode(), "not a valid gzip file (BadGzipFile: Not a gzipped file (b'ma'))"),
        (
            gzip.compress(MACHINE_CSV.encode(), mtime=0)[:-12],
            "not a valid gzip file (EOFError: Compressed file ended before the end-of-stream marker was reached)",
        ),
    ],
    ids=["not gzip", "truncated gzip"],
)
def test_a_corrupt_gzip_file_is_rejected_and_the_other_files_still_load(con, tmp_path, stored, message):
    path = tmp_path / "mes" / "machines" / "a.csv.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(stored)
    write_file(tmp_path, "mes.machines", "b.csv", MACHINE_CSV)
    rejected, loaded = ingest(con, tmp_path, "mes.machines")
    assert (rejected.status, rejected.message) == ("rejected", f"mes/machines/a.csv.gz: {message}")
    assert _counts(loaded) == ("loaded", 1, 1, 0)
    ledger = (
        "select file_path, status, rows_read, rows_loaded, rows_quarantined, message from raw._file_ledger"
    )
    expected = [
        ("mes/machines/a.csv.gz", "rejected", None, None, None, rejected.message),
        ("mes/machines/b.csv", "loaded", 1, 1, 0, None),
    ]
    assert con.execute(ledger + " order by file_id").fetchall() == expected
    # The same files again: both already in the ledger, nothing changes.
    assert [r.status for r in ingest(con, tmp_path, "mes.machines")] == ["already_ingested"] * 2
    assert con.execute(ledger + " order by file_id").fetchall() == expected


# --- 4. Parquet decimals and doubles convert exactly to the stored DECIMAL(38, 10) or are bad rows -

NOT_A_DECIMAL = "is not a decimal number (at most 28 digits before the point, 10 after)"


def _write_parquet(tmp_path, table_key: str, name: str, columns: dict) -> None:
    source, table = table_key.split(".")
    path = tmp_path / source / table / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)


def _runs(ideal_cycle_seconds: pa.Array, planned_minutes: pa.Array | None = None) -> dict:
    n = len(ideal_cycle_seconds)
    if planned_minutes is None:
        planned_minutes = pa.array([480] * n, pa.int64())
    return {
        "run_id": [f"PR{i + 1}" for i in range(n)],
        "machine_id": ["M1"] * n,
        "product_id": ["P1"] * n,
        "shift_date": pa.array([date(2025, 3, 3)] * n, pa.date32()),
        "planned_minutes": planned_minutes,
        "downtime_minutes": pa.array([0] * n, pa.int64()),
        "ideal_cycle_seconds": ideal_cycle_seconds,
        "total_count": pa.array([100] * n, pa.int64()),
        "good_count": pa.array([95] * n, pa.int64()),
    }


def test_parquet_doubles_keep_their_exact_value_and_nan_inf_or_too_many_digits_are_bad_rows(con, tmp_path):
    values = [0.1, 19.99, 1e27, 1e-10, 1e-13, 1e28, float("nan"), float("inf")]
    _write_parquet(tmp_path, "mes.production_runs", "r.parquet", _runs(pa.array(values, pa.float64())))
    (result,) = ingest(con, tmp_path, "mes.production_runs")
    # Rows 1-4 are doubles whose shortest text fits DECIMAL(38, 10); 5 has 13 places, 6 has 29
    # digits before the point, 7-8 are no number.
    assert _counts(result) == ("loaded", 8, 4, 4)
    assert con.execute(
        "select run_id, ideal_cycle_seconds from raw.mes__production_runs order by _source_line"
    ).fetchall() == [
        ("PR1", Decimal("0.1")),
        ("PR2", Decimal("19.99")),
        ("PR3", Decimal(10**27)),
        ("PR4", Decimal("0.0000000001")),
    ]
    assert [(line, reason) for _, line, _, reason in _quarantine(con, "mes.production_runs")] == [
        (5, f"ideal_cycle_seconds: 0.0000000000001 {NOT_A_DECIMAL}"),
        (6, f"ideal_cycle_seconds: 10000000000000000000000000000 {NOT_A_DECIMAL}"),
        (7, f"ideal_cycle_seconds: nan {NOT_A_DECIMAL}"),
        (8, f"ideal_cycle_seconds: inf {NOT_A_DECIMAL}"),
    ]


def test_a_parquet_float32_is_taken_as_the_exact_value_it_holds(con, tmp_path):
    # float32 0.5 is exact; float32 0.1 is 13421773 / 2**27 = 0.100000001490116119384765625,
    # 27 places: not a DECIMAL(38, 10), so a bad row rather than a rounded value.
    _write_parquet(tmp_path, "mes.production_runs", "r.parquet", _runs(pa.array([0.5, 0.1], pa.float32())))
    (result,) = ingest(con, tmp_path, "mes.production_runs")
    assert _counts(result) == ("loaded", 2, 1, 1)
    assert con.execute("select ideal_cycle_seconds from raw.mes__production_runs").fetchall() == [
        (Decimal("0.5"),)
    ]
    ((_, line, _, reason),) = _quarantine(con, "mes.production_runs")
    assert (line, reason) == (2, f"ideal_cycle_seconds: 0.10000000149011612 {NOT_A_DECIMAL}")


def test_parquet_doubles_that_are_no_bigint_are_bad_rows_in_integer_columns(con, tmp_path):
    planned = pa.array([480.0, 1e30, float("inf")], pa.float64())
    _write_parquet(tmp_path, "mes.production_runs", "r.parquet", _runs(pa.array([1.5] * 3), planned))
    (result,) = ingest(con, tmp_path, "mes.production_runs")
    assert _counts(result) == ("loaded", 3, 1, 2)
    assert [(line, reason) for _, line, _, reason in _quarantine(con, "mes.production_runs")] == [
        (2, "planned_minutes: 1e+30 is not an integer"),
        (3, "planned_minutes: inf is not an integer"),
    ]


def test_parquet_decimals_keep_their_exact_value_when_it_fits_and_are_bad_rows_otherwise(con, tmp_path):
    fits, small, wide = Decimal("1234567.8900000000000"), Decimal("0.00000000000001"), Decimal(10**30)
    _write_parquet(
        tmp_path,
        "crm.products",
        "a.parquet",
        {
            "product_id": ["P1", "P2"],
            "product_name": ["Pumpe", "Ventil"],
            "category": ["pumps", "valves"],
            "unit_cost": pa.array([fits, small], pa.decimal128(38, 14)),  # scale 14, trailing zeros
        },
    )
    _write_parquet(
        tmp_path,
        "crm.products",
        "b.parquet",
        {
            "product_id": ["P3"],
            "product_name": ["Motor"],
            "category": ["motors"],
            "unit_cost": pa.array([wide], pa.decimal128(38, 0)),  # 31 digits before the point
        },
    )
    results = ingest(con, tmp_path, "crm.products")
    assert [_counts(r) for r in results] == [("loaded", 2, 1, 1), ("loaded", 1, 0, 1)]
    assert con.execute("select product_id, unit_cost from raw.crm__products").fetchall() == [
        ("P1", Decimal("1234567.89"))
    ]
    assert sorted((file, reason) for file, _, _, reason in _quarantine(con, "crm.products")) == [
        ("crm/products/a.parquet", f"unit_cost: 0.00000000000001 {NOT_A_DECIMAL}"),
        ("crm/products/b.parquet", f"unit_cost: {10**30} {NOT_A_DECIMAL}"),
    ]


# --- 5. the default as-of date is today in Europe/Copenhagen --------------------------------------


@pytest.mark.parametrize(
    ("now", "today"),
    [
        (datetime(2025, 6, 30, 21, 59, 59, tzinfo=UTC), date(2025, 6, 30)),  # 23:59:59 CEST (UTC+2)
        (datetime(2025, 6, 30, 22, 0, tzinfo=UTC), date(2025, 7, 1)),  # 00:00 CEST: already tomorrow
        (datetime(2025, 1, 15, 22, 59, 59, tzinfo=UTC), date(2025, 1, 15)),  # 23:59:59 CET (UTC+1)
        (datetime(2025, 1, 15, 23, 0, tzinfo=UTC), date(2025, 1, 16)),  # 00:00 CET
    ],
)
def test_today_is_the_local_date_in_copenhagen(now, today):
    assert settings.today_in_copenhagen(now) == today


def test_the_default_as_of_date_reads_the_clock_in_copenhagen(monkeypatch):
    class FixedClock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2025, 12, 31, 23, 30, tzinfo=UTC).astimezone(tz)

    monkeypatch.delenv("KPI_AS_OF", raising=False)
    monkeypatch.setattr(settings, "datetime", FixedClock)
    # 23:30 UTC on New Year's Eve is 00:30 on 1 January in Copenhagen (UTC+1).
    assert settings.as_of() == date(2026, 1, 1)
