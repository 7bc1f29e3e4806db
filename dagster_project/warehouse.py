"""The one DuckDB warehouse file every step writes to, as a Dagster resource, and its writer lock."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from dagster_project import settings

_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or held) the writer lock, as written into the lock file."""

    pid: int
    host: str
    run_id: str | None
    since: str

    def describe(self) -> str:
        run = f"run {self.run_id}" if self.run_id else "a process"
        return f"{run} (pid {self.pid} on {self.host}, since {self.since})"


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def _read_holder(stream) -> LockHolder | None:
    stream.seek(0)
    text = stream.read()
    try:
        return LockHolder(**json.loads(text)) if text.strip() else None
    except (ValueError, TypeError):
        return None


# The process's own holds, by lock file: a step inside a run that already holds the lock goes on.
_held: dict[Path, list] = {}


@contextmanager
def exclusive(
    warehouse: Path | None = None,
    run_id: str | None = None,
    log: Callable[[str], None] = print,
    on_recovered: Callable[[LockHolder], None] | None = None,
) -> Iterator[None]:
    """Hold the warehouse's writer lock for the block: an OS lock (flock) on `<warehouse>.lock`.

    DuckDB allows one writer process, so a run waits here for another to finish. The kernel
    releases the lock when its process dies, however it dies (SIGKILL included): a killed run
    never blocks the next one. A holder that died leaves its name in the file, so the next
    holder can say whose lock it recovered and `on_recovered` can mark that run failed.
    Signals interrupt the wait (it polls), so SIGTERM and Ctrl-C stop a waiting run.
    Re-entrant within a process.
    """
    path = lock_path((warehouse or settings.warehouse_path()).resolve())
    if path in _held:
        _held[path][1] += 1
        try:
            yield
        finally:
            _held[path][1] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = open(path, "a+")  # noqa: SIM115 - held until the block ends
    try:
        waited_for = None
        while True:
            try:
                fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if waited_for is None:
                    holder = _read_holder(stream)
                    waited_for = holder.describe() if holder else "another process"
                    log(f"Waiting for the warehouse: {waited_for} is writing it ({path})")
                time.sleep(_POLL_SECONDS)
        if waited_for is not None:
            log(f"The warehouse is free ({waited_for} finished); going on")
        stale = _read_holder(stream)
        if stale is not None:
            log(
                f"Recovered the warehouse lock of {stale.describe()}: that process ended without "
                "releasing it (killed?); what it had committed stays, anything half done was rolled back"
            )
            if on_recovered:
                on_recovered(stale)
        me = LockHolder(
            os.getpid(), socket.gethostname(), run_id, datetime.now(UTC).isoformat(timespec="seconds")
        )
        stream.seek(0)
        stream.truncate()
        stream.write(json.dumps(me.__dict__))
        stream.flush()
        _held[path] = [stream, 0]
        try:
            yield
        finally:
            del _held[path]
            # Cleared before unlocking: a file naming a holder means that holder died holding it.
            stream.seek(0)
            stream.truncate()
            stream.flush()
            fcntl.flock(stream.fileno(), fcntl.LOCK_UN)
    finally:
        stream.close()


def connect(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-write connection; creates the folder of a new warehouse."""
    path = path or settings.warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    # Set, not passed as config: a config would clash with other connections to the same file in
    # this process (DuckDB shares one instance per file), a setting applies to that instance.
    con.execute("set memory_limit = ?", [settings.duckdb_memory_limit()])
    return con


class Warehouse(dg.ConfigurableResource):
    """DuckDB allows one writer process: every connection holds the warehouse's writer lock."""

    path: str = ""
    _run_id: str | None = PrivateAttr(default=None)
    _log: Callable[[str], None] = PrivateAttr(default=print)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._run_id = context.run.run_id if context.run else None
        if context.log is not None:
            self._log = context.log.info

    @property
    def resolved_path(self) -> Path:
        return Path(self.path) if self.path else settings.warehouse_path()

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with exclusive(self.resolved_path, run_id=self._run_id, log=self._log):
            con = connect(self.resolved_path)
            try:
                yield con
            finally:
                con.close()
