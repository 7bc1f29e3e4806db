"""The warehouse's writer lock: a killed holder frees it, waiting runs queue and stop on a signal."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.run import HOST_TAG, PID_TAG, fail_dead_runs
from dagster_project.settings import PROJECT_ROOT
from dagster_project.warehouse import LockHolder, exclusive, lock_path

_HOLD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from dagster_project.warehouse import exclusive
    with exclusive(Path(sys.argv[1]), run_id=sys.argv[2]):
        print("held", flush=True)
        sys.stdin.readline()  # holds until told to finish
    """
)


def _holder(warehouse: Path, run_id: str) -> subprocess.Popen:
    """A process holding the lock (it prints 'held' once it does)."""
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(warehouse), run_id],
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_lock_holder_killed_with_sigkill_frees_the_warehouse_and_is_named_by_the_next_holder(tmp_path):
    warehouse = tmp_path / "kpi.duckdb"
    process = _holder(warehouse, "run-that-dies")
    process.send_signal(signal.SIGKILL)
    process.wait()
    recovered: list[LockHolder] = []
    logged: list[str] = []
    started = time.monotonic()
    with exclusive(warehouse, run_id="next-run", log=logged.append, on_recovered=recovered.append):
        assert time.monotonic() - started < 2
        assert json.loads(lock_path(warehouse).read_text())["run_id"] == "next-run"
    assert [(h.pid, h.run_id) for h in recovered] == [(process.pid, "run-that-dies")]
    assert any("Recovered the warehouse lock of run run-that-dies" in line for line in logged)
    # A clean release leaves nothing to recover.
    with exclusive(warehouse, on_recovered=recovered.append):
        pass
    assert len(recovered) == 1


def test_a_second_holder_waits_for_the_first_and_says_for_whom(tmp_path):
    warehouse = tmp_path / "kpi.duckdb"
    process = _holder(warehouse, "first-run")
    logged: list[str] = []
    try:
        waiter = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; from dagster_project.warehouse import exclusive\n"
                "with exclusive(Path(sys.argv[1])): print('got it', flush=True)",
                str(warehouse),
            ],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        first = waiter.stdout.readline()
        assert "Waiting for the warehouse: run first-run" in first
        time.sleep(1)
        assert waiter.poll() is None  # still waiting while the first holds it
    finally:
        process.communicate("finish\n")
    assert waiter.stdout.readline().startswith("The warehouse is free")
    assert waiter.stdout.readline().strip() == "got it"
    assert waiter.wait(timeout=10) == 0
    with exclusive(warehouse, log=logged.append):
        pass
    assert logged == []


def _make_run(warehouse: Path, tmp_path: Path) -> subprocess.Popen:
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text((PROJECT_ROOT / "dagster_project" / "dagster.yaml").read_text())
    landing = tmp_path / "landing" / "crm" / "customers"
    landing.mkdir(parents=True, exist_ok=True)
    (landing / "c.csv").write_text("customer_id,segment,region,created_at\nc1,enterprise,north,2026-01-01\n")
    env = {
        **os.environ,
        "KPI_LANDING_DIR": str(tmp_path / "landing"),
        "KPI_WAREHOUSE_PATH": str(warehouse),
        "KPI_PUBLISH_DIR": str(tmp_path / "published"),
        "DAGSTER_HOME": str(home),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "dagster_project.run"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_make_run_waiting_for_the_warehouse_stops_on_sigterm_and_ctrl_c(tmp_path, signum):
    warehouse = tmp_path / "warehouse" / "kpi.duckdb"
    holder = _holder(warehouse, "busy-run")
    try:
        run = _make_run(warehouse, tmp_path)
        lines = []
        for line in run.stdout:
            lines.append(line)
            if "Waiting for the warehouse" in line:
                break
        assert "run busy-run" in lines[-1], lines
        time.sleep(0.5)
        run.send_signal(signum)
        assert run.wait(timeout=10) == 130  # a busy machine; it used to spin for ever
        assert "Interrupted" in run.stdout.read()
        assert not warehouse.exists()  # it never got as far as opening the warehouse
    finally:
        holder.kill()
        holder.wait()


def test_unfinished_runs_of_dead_processes_are_marked_failed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        job = dg.GraphDefinition(name="g", node_defs=[]).to_job(name="some_job")
        host = socket.gethostname()
        started = dg.DagsterRunStatus.STARTED

        def run(**tags: str):
            return instance.create_run_for_job(job, tags=tags, status=started)

        killed = run(**{PID_TAG: str(dead.pid), HOST_TAG: host})
        alive = run(**{PID_TAG: str(os.getpid()), HOST_TAG: host})
        elsewhere = run(**{PID_TAG: str(dead.pid), HOST_TAG: "another-host"})
        left_in_lock = run()
        finished = run(**{PID_TAG: str(dead.pid), HOST_TAG: host})
        instance.report_run_failed(finished)
        failed = fail_dead_runs(instance, also=left_in_lock.run_id)
        assert sorted(failed) == sorted([killed.run_id, left_in_lock.run_id])
        status = {
            r.run_id: instance.get_run_by_id(r.run_id).status
            for r in (killed, alive, elsewhere, left_in_lock)
        }
        assert status == {
            killed.run_id: dg.DagsterRunStatus.FAILURE,
            alive.run_id: started,
            elsewhere.run_id: started,
            left_in_lock.run_id: dg.DagsterRunStatus.FAILURE,
        }
