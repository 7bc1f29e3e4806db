"""The files of a table are validated one by one and committed in batches: the ledger, the line
numbers and the quarantine are those of one file at a time, and a failure leaves nothing of its
batch. Every expected number below is counted by hand from the file contents."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

import dagster_project.ingest.loader as loader_module
from dagster_project.ingest.raw_schema import create_raw_tables
from tests.ingest_helpers import ingest, new_warehouse, write_file

TABLE = "crm.products"
HEADER = "product_id,product_name,category,unit_cost\n"


@pytest.fixture
def con():
    connection = new_warehouse()
    yield connection
    connection.close()


def _ledger(con) -> list[tuple]:
    return con.execute(
        "select file_id, file_path, status, rows_read, rows_loaded, rows_quarantined, message "
        "from raw._file_ledger order by file_id"
    ).fetchall()


def test_one_batch_keeps_each_files_ledger_row_lines_and_quarantine(con, tmp_path):
    first = HEADER + "P1,Pumpe,pumps,1\nP9,Ventil,valves,-1\nP2,Motor,motors,2\n"
    write_file(tmp_path, TABLE, "a.csv", first)  # lines 2-4: line 3 breaks unit_cost >= 0
    write_file(tmp_path, TABLE, "b.csv", "product_id,product_name,unit_cost\nP5,Rør,3\n")  # no category
    write_file(tmp_path, TABLE, "c.csv", first)  # byte-identical resend of a.csv
    # Line 2: product_name empty; line 3 blank (no record); line 4 valid. The blank line sends
    # the file to the record-by-record reader, so its lines are counted there.
    write_file(tmp_path, TABLE, "d.csv", HEADER + "P3,,pumps,1\n\nP4,Filter,filters,0.5\n")
    results = ingest(con, tmp_path, TABLE)
    assert [(r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) for r in results] == [
        ("loaded", 3, 2, 1),
        ("rejected", 0, 0, 0),
        ("duplicate", 0, 0, 0),
        ("loaded", 2, 1, 1),
    ]
    assert _ledger(con) == [
        (1, "crm/products/a.csv", "loaded", 3, 2, 1, None),
        (
            2,
            "crm/products/b.csv",
            "rejected",
            None,
            None,
            None,
            "crm/products/b.csv: missing required column(s) category for crm.products",
        ),
        (3, "crm/products/c.csv", "duplicate", 0, 0, 0, "same content as crm/products/a.csv: skipped"),
        (4, "crm/products/d.csv", "loaded", 2, 1, 1, None),
    ]
    assert con.execute(
        "select product_id, unit_cost, _source_file, _source_line, _file_id from raw.crm__products "
        "order by _file_id, _source_line"
    ).fetchall() == [
        ("P1", Decimal("1"), "crm/products/a.csv", 2, 1),
        ("P2", Decimal("2"), "crm/products/a.csv", 4, 1),
        ("P4", Decimal("0.5"), "crm/products/d.csv", 4, 4),
    ]
    assert con.execute(
        "select _source_file, _source_line, _file_id, reason from quarantine.crm__products "
        "order by _file_id, _source_line"
    ).fetchall() == [
        ("crm/products/a.csv", 3, 1, "unit_cost: -1 breaks the rule unit_cost >= 0"),
        ("crm/products/d.csv", 2, 4, "product_name: required value is missing"),
    ]


def _fail_on_insert_of(monkeypatch, file_path: str) -> None:
    """The batch's transaction breaks while it inserts the rows of `file_path`."""
    insert = loader_module.TableLoader._insert

    def failing(self, file_id, outcome):
        if outcome.result.file_path == file_path:
            raise duckdb.IOException("disk gone")
        return insert(self, file_id, outcome)

    monkeypatch.setattr(loader_module.TableLoader, "_insert", failing)


def test_a_failure_in_a_batch_leaves_nothing_of_it_and_the_next_run_loads_it(con, tmp_path, monkeypatch):
    write_file(tmp_path, TABLE, "a.csv", HEADER + "P1,Pumpe,pumps,1\n")
    write_file(tmp_path, TABLE, "b.csv", HEADER + "P2,Ventil,valves,-2\n")  # quarantined
    _fail_on_insert_of(monkeypatch, "crm/products/b.csv")
    with pytest.raises(duckdb.IOException):
        ingest(con, tmp_path, TABLE)
    # a.csv was inserted first in the same transaction: rolled back with b.csv.
    assert _ledger(con) == []
    assert con.execute("select count(*) from raw.crm__products").fetchone() == (0,)
    assert con.execute("select count(*) from quarantine.crm__products").fetchone() == (0,)

    monkeypatch.undo()
    assert [(r.status, r.rows_loaded, r.rows_quarantined) for r in ingest(con, tmp_path, TABLE)] == [
        ("loaded", 1, 0),
        ("loaded", 0, 1),
    ]
    assert [row[1:4] for row in _ledger(con)] == [
        ("crm/products/a.csv", "loaded", 1),
        ("crm/products/b.csv", "loaded", 1),
    ]


def test_batches_committed_before_a_failure_stay(con, tmp_path, monkeypatch):
    monkeypatch.setattr(loader_module, "BATCH_BYTES", 1)  # every loaded file is a batch of its own
    write_file(tmp_path, TABLE, "a.csv", HEADER + "P1,Pumpe,pumps,1\n")
    write_file(tmp_path, TABLE, "b.csv", HEADER + "P2,Ventil,valves,2\n")
    _fail_on_insert_of(monkeypatch, "crm/products/b.csv")
    with pytest.raises(duckdb.IOException):
        ingest(con, tmp_path, TABLE)
    assert [row[1:3] for row in _ledger(con)] == [("crm/products/a.csv", "loaded")]
    assert con.execute("select product_id from raw.crm__products").fetchall() == [("P1",)]

    monkeypatch.undo()
    statuses = [(r.file_path, r.status) for r in ingest(con, tmp_path, TABLE)]
    assert statuses == [("crm/products/a.csv", "already_ingested"), ("crm/products/b.csv", "loaded")]
    assert con.execute("select product_id from raw.crm__products order by 1").fetchall() == [("P1",), ("P2",)]


def test_a_raw_table_from_before_exact_decimals_gets_the_decimal_type(tmp_path):
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.crm__products (product_id varchar, unit_cost double)")
    con.execute("insert into raw.crm__products values ('P1', 19.99)")
    create_raw_tables(con)
    assert con.execute("select typeof(unit_cost), unit_cost from raw.crm__products").fetchone() == (
        "DECIMAL(38,10)",
        Decimal("19.99"),
    )


class _Recording:
    """A connection that remembers the statements it ran."""

    def __init__(self, con):
        self.con, self.statements = con, []

    def execute(self, sql, *args):
        self.statements.append(sql)
        return self.con.execute(sql, *args)


def test_an_up_to_date_raw_layer_is_not_altered_when_the_tables_are_created_again():
    # 17 timestamp columns are TIMESTAMPTZ, which DuckDB's catalog spells 'TIMESTAMP WITH TIME
    # ZONE': the spelling alone must not make every ingest asset rewrite them.
    con = duckdb.connect()
    create_raw_tables(con)
    recording = _Recording(con)
    create_raw_tables(recording)
    assert [sql for sql in recording.statements if sql.lstrip().lower().startswith("alter")] == [
        "alter table raw._file_ledger add column if not exists stored_bytes bigint",
        "alter table raw._file_ledger add column if not exists modified_ns bigint",
    ]
