"""A reader process for the swap test: queries kpis.duckdb read-only in a loop, like a BI tool.

    python -m tests.publish_fixtures.reader PATH STOP_FILE MAX_SECONDS

Each iteration opens the file, reads publish_info and the tables and views in one connection, checks
that they all belong to the same run, and closes it. Prints one JSON line at the end: reads, the
run ids seen, the errors (exceptions) and the mixes (tables of different runs in one read).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

CONSISTENCY_SQL = """
select
    (select run_id from publish_info) as run_id,
    (select scorecard_rows from publish_info) as expected_rows,
    (select count(*) from kpi_scorecard) as scorecard_rows,
    (select count(distinct computed_at) from kpi_scorecard) as stamps,
    (select count(*) from kpi_scorecard where computed_at <> (select computed_at from publish_info)) as foreign_rows,
    (select count(*) from latest_kpis where computed_at <> (select computed_at from publish_info)) as foreign_latest,
    (select sum(n) from (
        select count(*) as n from sales_scorecard union all select count(*) from marketing_scorecard
        union all select count(*) from hr_scorecard union all select count(*) from production_scorecard
        union all select count(*) from customer_service_scorecard
    )) as view_rows
"""


def main(path: str, stop_file: str, max_seconds: float) -> None:
    deadline = time.monotonic() + max_seconds
    reads, runs, errors, mixes = 0, [], [], []
    while time.monotonic() < deadline and not Path(stop_file).exists():
        try:
            with duckdb.connect(path, read_only=True) as con:
                run_id, expected, rows, stamps, foreign, foreign_latest, view_rows = con.execute(
                    CONSISTENCY_SQL
                ).fetchone()
        except Exception as error:  # every failure counts: that is what the test is about
            errors.append(f"{type(error).__name__}: {error}")
            continue
        reads += 1
        if run_id not in runs:
            runs.append(run_id)
        if not (rows == expected == view_rows and stamps == 1 and foreign == 0 and foreign_latest == 0):
            mixes.append([run_id, expected, rows, view_rows, stamps, foreign, foreign_latest])
    print(
        json.dumps(
            {
                "reads": reads,
                "runs": runs,
                "errors": errors[:20],
                "error_count": len(errors),
                "mixes": mixes[:20],
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
