"""A BI reader querying the published file in a loop during 10 publishes sees no error and never
a mix of two publishes; two runs started at once queue on the warehouse lock (see also
tests/test_warehouse_lock.py, which starts real processes)."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb

from dagster_project.publish.publish import publish
from dagster_project.warehouse import exclusive
from tests.publish_fixtures import build_scorecard
from tests.publish_fixtures.synthetic import make_synthetic_warehouse

PUBLISHES = 10
# A BI reader in a process of its own: opens the file read-only, reads, closes, again.
_READER = """
import json, sys
from pathlib import Path
import duckdb
database, stop, out = sys.argv[1], Path(sys.argv[2]), open(sys.argv[3], "w")
while not stop.exists():
    try:
        with duckdb.connect(database, read_only=True) as con:
            # One publish: publish_info, every scorecard row and the views agree on its stamp.
            row = con.execute(
                "select (select computed_at::varchar from publish_info), "
                "(select list(distinct computed_at::varchar) from kpi_scorecard), "
                "(select list(distinct computed_at::varchar) from latest_kpis), "
                "(select count(*) from kpi_scorecard), (select scorecard_rows from publish_info)"
            ).fetchone()
        print(json.dumps({"read": list(row)}), file=out, flush=True)
    except Exception as error:
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}), file=out, flush=True)
"""


def test_a_reader_in_a_loop_during_ten_publishes_sees_no_error_and_never_a_mix(tmp_path):
    warehouse = make_synthetic_warehouse(tmp_path / "warehouse.duckdb")
    published = tmp_path / "published"
    database = published / "kpis.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        publish(con, published)
    stop, reads_file = tmp_path / "stop", tmp_path / "reads.jsonl"  # a file: a pipe would fill up
    reader = subprocess.Popen([sys.executable, "-c", _READER, str(database), str(stop), str(reads_file)])
    try:
        for _ in range(PUBLISHES):
            with exclusive(warehouse):  # as a run holds it
                build_scorecard(warehouse)  # a new computation: a new computed_at to tell publishes apart
                with duckdb.connect(str(warehouse)) as con:
                    publish(con, published)
    finally:
        stop.touch()
        reader.wait(timeout=60)
    results = [json.loads(line) for line in reads_file.read_text().splitlines()]
    errors = [r["error"] for r in results if "error" in r]
    seen = [tuple(r["read"]) for r in results if "read" in r]
    assert errors == []
    stamps = {stamp for stamp, *_ in seen}
    assert len(seen) > PUBLISHES and len(stamps) >= PUBLISHES // 2  # it saw publishes come and go
    for stamp, scorecard, latest, rows, info_rows in seen:
        assert scorecard == [stamp] and latest == [stamp] and rows == info_rows
