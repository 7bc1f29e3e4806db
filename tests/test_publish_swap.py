"""A reader process querying kpis.duckdb in a loop while the publish step runs again and again."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from dagster_project.publish.publish import publish
from tests.publish_fixtures import build_scorecard
from tests.publish_fixtures.synthetic import make_synthetic_warehouse

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNS = 5


def test_a_reader_never_sees_an_error_or_a_mix_of_two_runs(tmp_path):
    warehouse = make_synthetic_warehouse(tmp_path / "warehouse.duckdb")
    out = tmp_path / "published"
    database = out / "kpis.duckdb"
    stop = tmp_path / "stop"
    published_runs = []
    with duckdb.connect(str(warehouse)) as con:
        publish(con, out, run_id="run-0")
        kpi_ids = [
            row[0] for row in con.execute("select distinct kpi_id from main.kpi_values order by 1").fetchall()
        ]
    published_runs.append("run-0")
    reader = subprocess.Popen(
        [sys.executable, "-m", "tests.publish_fixtures.reader", str(database), str(stop), "120"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)  # let the reader get going on the first version
        for run in range(1, RUNS + 1):
            # Each run publishes a different number of rows, so a mix would show in the counts.
            with duckdb.connect(str(warehouse)) as con:
                con.execute("delete from main.kpi_values where kpi_id = ?", [kpi_ids[run]])
            build_scorecard(warehouse)
            with duckdb.connect(str(warehouse)) as con:
                publish(con, out, run_id=f"run-{run}")
            published_runs.append(f"run-{run}")
            time.sleep(0.3)
    finally:
        stop.touch()
        output, errors = reader.communicate(timeout=60)
    assert reader.returncode == 0, errors
    report = json.loads(output.strip().splitlines()[-1])
    assert report["error_count"] == 0, report["errors"]
    assert report["mixes"] == []
    assert report["reads"] >= 20
    assert set(report["runs"]) <= set(published_runs)
    assert len(report["runs"]) >= 3, f"the reader overlapped too few runs to prove anything: {report}"
    assert sorted(p.name for p in out.iterdir()) == ["kpis.duckdb", "parquet", "scorecard.html"]
