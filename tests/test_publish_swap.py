"""A reader process querying kpis.duckdb in a loop while the publish step runs again and again."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from dagster_project.publish.publish import publish
from tests.publish_fixtures.synthetic import AS_OF, make_synthetic_warehouse

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNS = 5


def test_a_reader_never_sees_an_error_or_a_mix_of_two_runs(tmp_path):
    warehouse = make_synthetic_warehouse(tmp_path / "warehouse.duckdb")
    out = tmp_path / "published"
    database = out / "kpis.duckdb"
    stop = tmp_path / "stop"
    start = datetime(2026, 11, 27, 6, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
    published_runs = []
    with duckdb.connect(str(warehouse)) as con:
        publish(con, out, as_of=AS_OF, computed_at=start, run_id="run-0")
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
            kpi_ids = [
                row[0]
                for row in con.execute("select distinct kpi_id from main.kpi_values order by 1").fetchall()
            ]
            for run in range(1, RUNS + 1):
                # Each run publishes a different number of rows, so a mix would show in the counts.
                con.execute("delete from main.kpi_values where kpi_id = ?", [kpi_ids[run]])
                publish(
                    con, out, as_of=AS_OF, computed_at=start + timedelta(minutes=run), run_id=f"run-{run}"
                )
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
