"""Superset's way into kpis.duckdb, run inside the Superset venv (duckdb-engine, SQLAlchemy 1.4).

    python superset_client.py inspect URI ENGINE_PARAMETERS_JSON QUERIES_JSON
    python superset_client.py watch URI ENGINE_PARAMETERS_JSON STOP_FILE MAX_SECONDS
    python superset_client.py held URI ENGINE_PARAMETERS_JSON READY_FILE GO_FILE

Superset builds an engine from the database's URI and its "engine parameters" (extra JSON) and, as
the README tells, `NullPool`, so each query gets a new connection. `inspect` lists the schema as
Superset's dataset picker does and runs the queries; `watch` reads `publish_info` through a new
connection in a loop while publishes swap the file; `held` keeps a connection open across a swap
(touches READY_FILE, waits for GO_FILE) and reads through it, through a second connection opened
while it is held, and through a third after both are closed. Each prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb
import sqlalchemy
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool


def _engine(uri: str, parameters: str):
    return create_engine(uri, poolclass=NullPool, **json.loads(parameters))


def inspect_file(uri: str, parameters: str, queries: str) -> dict:
    engine = _engine(uri, parameters)
    inspector = inspect(engine)
    report = {
        "versions": {"duckdb": duckdb.__version__, "sqlalchemy": sqlalchemy.__version__},
        "tables": sorted(inspector.get_table_names()),
        "views": sorted(inspector.get_view_names()),
        "columns": {
            name: [column["name"] for column in inspector.get_columns(name)]
            for name in inspector.get_view_names()
        },
        "queries": [],
    }
    with engine.connect() as connection:
        report["read_only_refuses_writes"] = _refuses_writes(connection)
        for sql in json.loads(queries):
            result = connection.execute(text(sql))
            rows = result.fetchall()
            report["queries"].append(
                {
                    "columns": list(result.keys()),
                    "rows": len(rows),
                    "first": [str(v) for v in rows[0]] if rows else None,
                }
            )
    return report


def _refuses_writes(connection) -> bool:
    try:
        connection.execute(text("create table written_by_superset (x integer)"))
    except Exception as error:  # duckdb.InvalidInputException wrapped by SQLAlchemy
        return "read-only" in str(error).lower()
    return False


def watch(uri: str, parameters: str, stop_file: str, max_seconds: float) -> dict:
    engine = _engine(uri, parameters)
    deadline = time.monotonic() + max_seconds
    reads, runs, errors = 0, [], []
    while time.monotonic() < deadline and not Path(stop_file).exists():
        try:
            with engine.connect() as connection:
                run_id = connection.execute(text("select run_id from publish_info")).scalar()
                rows = connection.execute(text("select count(*) from kpi_scorecard")).scalar()
                expected = connection.execute(text("select scorecard_rows from publish_info")).scalar()
        except Exception as error:  # every failure counts
            errors.append(f"{type(error).__name__}: {error}")
            continue
        reads += 1
        if rows != expected:
            errors.append(f"{run_id}: {rows} scorecard rows, publish_info says {expected}")
        if run_id not in runs:
            runs.append(run_id)
    return {"reads": reads, "runs": runs, "errors": errors[:20]}


def held(uri: str, parameters: str, ready_file: str, go_file: str) -> dict:
    engine = _engine(uri, parameters)
    run_id = text("select run_id from publish_info")
    first = engine.connect()
    before = first.execute(run_id).scalar()
    Path(ready_file).touch()
    deadline = time.monotonic() + 60
    while not Path(go_file).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    with engine.connect() as second:
        while_held = second.execute(run_id).scalar()
    held_after = first.execute(run_id).scalar()
    first.close()
    with engine.connect() as third:
        after_close = third.execute(run_id).scalar()
    return {"held": [before, held_after], "opened_while_held": while_held, "opened_after_close": after_close}


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    if command == "inspect":
        print(json.dumps(inspect_file(*arguments)))
    elif command == "watch":
        print(json.dumps(watch(*arguments[:3], float(arguments[3]))))
    else:
        print(json.dumps(held(*arguments)))
