"""A landing file still being written, changed between the scan and the load, or gone: nothing of
it is recorded, and the next run reads it again once it is complete."""

from __future__ import annotations

import os

import pytest

import dagster_project.ingest.loader as loader_module
from tests.ingest_helpers import VALID_ROWS, csv_text, ingest, new_warehouse, write_file

TABLE = "crm.products"


def _rows(count: int) -> list[dict[str, str]]:
    return [{**VALID_ROWS[TABLE], "product_id": f"P{i}"} for i in range(1, count + 1)]


@pytest.fixture
def con():
    connection = new_warehouse()
    yield connection
    connection.close()


def _state(con) -> tuple:
    return (
        con.execute("select file_path, status, rows_read from raw._file_ledger order by file_id").fetchall(),
        con.execute("select product_id from raw.crm__products order by product_id").fetchall(),
        con.execute("select count(*) from quarantine.crm__products").fetchone()[0],
    )


def _after_the_scan(monkeypatch, action) -> None:
    """Run `action(path)` once, right after the loader has scanned (hashed) a file."""
    scan_file = loader_module.scan_file
    done = []

    def scan_then_act(path, *args, **kwargs):
        scan = scan_file(path, *args, **kwargs)
        if not done:
            done.append(path)
            action(path)
        return scan

    monkeypatch.setattr(loader_module, "scan_file", scan_then_act)


def test_a_file_still_being_written_is_not_recorded_and_is_loaded_whole_next_run(con, tmp_path, monkeypatch):
    # The writer has written the header and 2 rows when the scan runs, and 3 more rows after it;
    # the second half ends mid-record, as a writer flushing a buffer does.
    full = csv_text(_rows(5))
    cut = full.index("P3")
    write_file(tmp_path, TABLE, "products.csv", full[:cut] + "P3,Pum")

    def writer_goes_on(path):
        with path.open("a") as stream:
            stream.write(full[cut + len("P3,Pum") :])
        os.utime(path, ns=(1, 1_000_000_000))  # a distinct modification time, whatever the clock

    _after_the_scan(monkeypatch, writer_goes_on)
    (result,) = ingest(con, tmp_path, TABLE)
    assert result.status == "not_settled"
    assert "changed while it was read" in result.message
    assert _state(con) == ([], [], 0)

    monkeypatch.undo()
    (result,) = ingest(con, tmp_path, TABLE)
    assert (result.status, result.rows_read, result.rows_loaded) == ("loaded", 5, 5)
    assert _state(con) == (
        [("crm/products/products.csv", "loaded", 5)],
        [("P1",), ("P2",), ("P3",), ("P4",), ("P5",)],
        0,
    )


def test_a_file_replaced_between_the_scan_and_the_load_is_not_recorded_with_either_content(
    con, tmp_path, monkeypatch
):
    path = write_file(tmp_path, TABLE, "products.csv", csv_text(_rows(2)))

    def replaced(path):
        path.write_text(csv_text(_rows(4)))
        os.utime(path, ns=(1, 2_000_000_000))

    _after_the_scan(monkeypatch, replaced)
    (result,) = ingest(con, tmp_path, TABLE)
    assert result.status == "not_settled"
    assert _state(con) == ([], [], 0)
    monkeypatch.undo()
    (result,) = ingest(con, tmp_path, TABLE)
    assert (result.status, result.rows_loaded) == ("loaded", 4)
    # The ledger's hash is that of the content loaded, so an identical copy is a duplicate of it.
    write_file(tmp_path, TABLE, "products_copy.csv", path.read_bytes())
    assert [r.status for r in ingest(con, tmp_path, TABLE)] == ["already_ingested", "duplicate"]


@pytest.mark.parametrize("name", ["products.csv", "products.csv.gz"])
def test_a_file_that_disappears_after_the_scan_is_not_recorded_and_the_others_load(
    con, tmp_path, monkeypatch, name
):
    write_file(tmp_path, TABLE, name, csv_text(_rows(2)))
    write_file(tmp_path, TABLE, "z_other.csv", csv_text(_rows(3)))
    _after_the_scan(monkeypatch, lambda path: path.unlink())
    first, other = ingest(con, tmp_path, TABLE)
    assert (first.status, "disappeared" in first.message) == ("not_settled", True)
    assert (other.status, other.rows_loaded) == ("loaded", 3)
    assert [row[0] for row in _state(con)[0]] == ["crm/products/z_other.csv"]
    # Delivered again: loaded then.
    monkeypatch.undo()
    write_file(tmp_path, TABLE, name, csv_text(_rows(2)))
    (again,) = [r for r in ingest(con, tmp_path, TABLE) if r.status != "already_ingested"]
    assert (again.file_path, again.status, again.rows_loaded) == (f"crm/products/{name}", "loaded", 2)
