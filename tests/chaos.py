"""Kill harness: SIGKILL a full `make run` at random moments, run again, check that nothing is lost.

Each round starts `python -m dagster_project.run` on the same landing folder and kills it with
SIGKILL at a random moment of one phase: during the ingest of a file, during a dbt model, during
the checks, or during the export's write and swap. After every kill:

- the published kpis.duckdb opens read-only and holds exactly the previous publish or the new
  one (a hash of every table), its Parquet files open;
- the warehouse opens; its ledger lists no file twice, every loaded file has exactly the rows
  the ledger counts in raw and quarantine, no source line is in raw or quarantine twice;
- the next run finishes (it says it recovered the dead run's lock) and publishes the same
  tables as a run that was never interrupted, with the same ledger.

Then two runs are started at once while a BI reader queries the published file in a loop: both
finish one after the other, the reader meets no error and never two publishes mixed.

`make chaos` (python -m tests.chaos --kills 20) prints how many kills the pipeline survived;
tests/test_chaos.py runs five in `make test`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.settings import PROJECT_ROOT
from dagster_project.warehouse import lock_path

AS_OF = "2026-11-26"
# Columns of the published file that depend on when the run happened, not on its input (README),
# and on how the file was written (patched from the last one, or whole).
TIME_DEPENDENT = {
    "computed_at",
    "run_id",
    "first_computed_at",
    "written_by_duckdb",
    "write_mode",
    "rows_written",
}
# The data-quality annotations of the latest ingest batch (its quarantine rate): a kill splits a
# run's files across two batches, so after a kill they may differ from an uninterrupted run's
# while every KPI value is the same.
BATCH_DEPENDENT = {"data_quality_status", "data_quality_notes"}
KILL_POINTS = ("ingest", "dbt", "checks", "export")
# What `make run` prints before the job starts (dagster_project/run.py): where its full log goes.
LOG_LINE = "Full Dagster and dbt log: "


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "kpi.duckdb"

    @property
    def published(self) -> Path:
        return self.root / "published"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "KPI_LANDING_DIR": str(self.landing),
            "KPI_WAREHOUSE_PATH": str(self.warehouse),
            "KPI_PUBLISH_DIR": str(self.published),
            "KPI_QUALITY_DIR": str(self.root / "quality"),
            "KPI_AS_OF": AS_OF,
            "DAGSTER_HOME": str(self.root / "dagster_home"),
            "DO_NOT_TRACK": "1",
            "GX_ANALYTICS_ENABLED": "false",
            "PYTHONUNBUFFERED": "1",
        }


def small_landing(landing: Path, start: date = date(2026, 6, 1), scale: float = 0.05) -> None:
    from tools.demo_data import generate

    generate(landing, seed=42, start=start, end=date.fromisoformat(AS_OF), scale=scale)


def new_project(root: Path, landing: Path) -> Project:
    project = Project(root)
    root.mkdir(parents=True, exist_ok=True)
    if not project.landing.exists():
        shutil.copytree(landing, project.landing)
    home = root / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copyfile(PROJECT_ROOT / "dagster_project" / "dagster.yaml", home / "dagster.yaml")
    return project


# --- running and killing --------------------------------------------------------------------


@dataclass
class Run:
    process: subprocess.Popen
    lines: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "".join(self.lines)


def start_run(project: Project) -> Run:
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster_project.run"],
        cwd=PROJECT_ROOT,
        env=project.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the harness can see its children die
    )
    run = Run(process)

    def follow(log: Path) -> None:
        """The run's full Dagster and dbt log (the console shows a short display instead)."""
        while not log.exists() and process.poll() is None:
            time.sleep(0.01)
        if not log.exists():
            return
        with log.open(encoding="utf-8", errors="replace") as handle:
            while True:
                line = handle.readline()
                if line:
                    run.lines.append(line)
                elif process.poll() is not None:
                    break
                else:
                    time.sleep(0.01)

    def read() -> None:
        for line in process.stdout:
            run.lines.append(line)
            if line.startswith(LOG_LINE):
                log = Path(line[len(LOG_LINE) :].strip())
                threading.Thread(target=follow, args=(log,), daemon=True).start()

    threading.Thread(target=read, daemon=True).start()
    return run


def finish_run(project: Project, timeout: float = 900) -> Run:
    run = start_run(project)
    run.process.wait(timeout=timeout)
    time.sleep(0.2)  # the reader thread drains the pipe
    return run


def _temporary_exports(project: Project) -> set[Path]:
    return set(project.published.glob(".kpis.duckdb.*.tmp"))


def _phase_started(point: str, run: Run, project: Project, left_before: set[Path]) -> bool:
    """Whether the run is in the phase: seen from its log lines, or its files for the export."""
    text = run.lines[-50:]
    if point == "ingest":
        return any(" - raw__" in line for line in text)
    if point == "dbt":
        return any("START sql" in line for line in text)
    if point == "checks":
        return any("_quality_checks" in line for line in text)
    return bool(_temporary_exports(project) - left_before)  # not one a killed export left


# How long after the phase starts the kill may come (seconds): most of each phase.
_WINDOWS = {"ingest": 1.5, "dbt": 12.0, "checks": 3.0, "export": 1.5}


@dataclass
class Kill:
    point: str
    delay: float
    killed: bool  # False: the run ended before the kill came
    held_lock: bool  # the killed run still held the warehouse lock (False: it had released it)
    step: str  # the step the last log line named
    orphans: int  # processes of the run still alive 10 s after the kill
    seconds: float


def _last_step(run: Run) -> str:
    levels = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
    for line in reversed(run.lines):
        # The run's log file: <time> - <level> - <job> - <run id> - [<pid> - ]<step> - <message>
        parts = line.split(" - ")
        if len(parts) >= 6 and parts[1] in levels:
            return parts[5] if parts[4].isdigit() else parts[4]
    return "(before the first step)"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def kill_run_at(project: Project, point: str, rng: random.Random) -> tuple[Kill, Run]:
    started = time.monotonic()
    left_before = _temporary_exports(project)
    run = start_run(project)
    delay = rng.uniform(0, _WINDOWS[point])
    while run.process.poll() is None and not _phase_started(point, run, project, left_before):
        time.sleep(0.01)
    time.sleep(delay)
    killed = run.process.poll() is None
    if killed:
        run.process.send_signal(signal.SIGKILL)  # the run's process only, as the OOM killer would
    run.process.wait()
    deadline = time.monotonic() + 10
    while _group_alive(run.process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    orphans = 0
    if _group_alive(run.process.pid):
        orphans = len(
            subprocess.run(["pgrep", "-g", str(run.process.pid)], capture_output=True).stdout.split()
        )
        os.killpg(run.process.pid, signal.SIGKILL)
    time.sleep(0.2)
    lock = lock_path(project.warehouse)
    held = killed and lock.exists() and bool(lock.read_text().strip())
    kill = Kill(point, delay, killed, held, _last_step(run), orphans, time.monotonic() - started)
    return kill, run


# --- what the files hold ---------------------------------------------------------------------


def published_digest(
    database: Path, content_only: bool = True, leave_out: frozenset[str] = frozenset(BATCH_DEPENDENT)
) -> dict[str, str] | None:
    """A hash per table and view of a published file (None if there is none).

    `content_only` leaves out the columns that depend on when the run happened, and `leave_out`.
    """
    if not database.exists():
        return None
    digests = {}
    with duckdb.connect(str(database), read_only=True) as con:
        names = [r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()]
        for name in sorted(names):
            columns = [r[0] for r in con.execute(f'describe "{name}"').fetchall()]
            kept = [c for c in columns if not (content_only and (c in TIME_DEPENDENT or c in leave_out))]
            select = ", ".join(f'"{c}"' for c in kept)
            rows = con.execute(f'select {select} from "{name}"').fetchall()
            text = "\n".join(sorted(repr(row) for row in rows))
            digests[name] = hashlib.sha256(f"{kept}\n{text}".encode()).hexdigest()
    return digests


def published_run_id(database: Path) -> str | None:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute("select run_id from publish_info").fetchone()[0]


def ledger(project: Project) -> list[tuple]:
    with duckdb.connect(str(project.warehouse), read_only=True) as con:
        return con.execute(
            "select source_table, file_path, status, rows_read, rows_loaded, rows_quarantined "
            "from raw._file_ledger order by source_table, file_path"
        ).fetchall()


def warehouse_problems(project: Project) -> list[str]:
    """What is wrong with the warehouse: it does not open, or rows are lost or doubled."""
    from dagster_project.ingest.contract import TABLES

    problems = []
    try:
        con = duckdb.connect(str(project.warehouse))  # read-write: recovers its WAL as the next run would
    except duckdb.Error as error:
        return [f"the warehouse does not open: {error}"]
    try:
        has_ledger = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'raw' "
            "and table_name = '_file_ledger'"
        ).fetchone()[0]
        if not has_ledger:
            return []
        for file_path, times in con.execute(
            "select source_table || ':' || file_path, count(*) from raw._file_ledger group by all having count(*) > 1"
        ).fetchall():
            problems.append(f"ledger lists {file_path} {times} times")
        for table in TABLES:
            exists = con.execute(
                "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = ?",
                [table.raw_table],
            ).fetchone()[0]
            if not exists:
                continue
            for schema, counted in (("raw", "rows_loaded"), ("quarantine", "rows_quarantined")):
                for file_path, expected, found in con.execute(
                    f"select ledger.file_path, ledger.{counted}, count(rows._file_id) "
                    f"from raw._file_ledger as ledger left join {schema}.{table.raw_table} as rows "
                    "on rows._file_id = ledger.file_id "
                    "where ledger.source_table = ? and ledger.status = 'loaded' group by all "
                    f"having count(rows._file_id) <> ledger.{counted}",
                    [table.key],
                ).fetchall():
                    problems.append(
                        f"{schema}.{table.raw_table}: {file_path} has {found} rows, ledger {expected}"
                    )
                orphans = con.execute(
                    f"select count(*) from {schema}.{table.raw_table} where _file_id not in "
                    "(select file_id from raw._file_ledger where status = 'loaded')"
                ).fetchone()[0]
                if orphans:
                    problems.append(
                        f"{schema}.{table.raw_table}: {orphans} rows of no loaded file in the ledger"
                    )
                doubled = con.execute(
                    f"select count(*) from (select _source_file, _source_line from {schema}.{table.raw_table} "
                    "group by all having count(*) > 1)"
                ).fetchone()[0]
                if doubled:
                    problems.append(f"{schema}.{table.raw_table}: {doubled} source lines stored twice")
    finally:
        con.close()
    return problems


def publish_problems(
    project: Project, before: dict | None, before_run: str | None, reference: dict | None
) -> list[str]:
    """The published file must be the one before the run, or a complete new one: the reference's
    tables when the landing folder is complete, else one publish throughout (rows and stamps)."""
    database = project.published / "kpis.duckdb"
    try:
        now = published_digest(database, content_only=False)
    except duckdb.Error as error:
        return [f"{database} does not open read-only: {error}"]
    problems = []
    if now is None:
        if before is not None:
            problems.append(f"{database} disappeared")
    elif now != before:
        content = published_digest(database)
        run_id = published_run_id(database)
        if reference is None:
            problems += _whole_publish_problems(database)
        elif content != reference:
            differing = sorted(name for name in reference if content.get(name) != reference[name])
            problems.append(f"{database} is neither the previous publish nor a complete new one: {differing}")
        elif run_id == before_run:
            problems.append(f"{database} changed but names the previous run {run_id}")
    for parquet in sorted((project.published / "parquet").glob("*.parquet")):
        try:
            with duckdb.connect() as con:
                con.execute("select count(*) from read_parquet(?)", [str(parquet)]).fetchone()
        except duckdb.Error as error:
            problems.append(f"{parquet} does not open: {error}")
    return problems


def _whole_publish_problems(database: Path) -> list[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows, stamps, info_rows, info_stamp = con.execute(
            "select (select count(*) from kpi_scorecard), (select list(distinct computed_at) from kpi_scorecard), "
            "(select scorecard_rows from publish_info), (select computed_at from publish_info)"
        ).fetchone()
    if rows != info_rows or stamps != [info_stamp]:
        return [
            f"{database} mixes publishes: {rows} rows of {stamps}, publish_info says {info_rows} of {info_stamp}"
        ]
    return []


# --- the harness -----------------------------------------------------------------------------


@dataclass
class Reference:
    project: Project
    digest: dict[str, str]
    ledger: list[tuple]
    seconds: float


def reference_run(root: Path, landing: Path) -> Reference:
    project = new_project(root, landing)
    started = time.monotonic()
    run = finish_run(project)
    if run.process.returncode != 0:
        raise RuntimeError(f"the uninterrupted reference run failed:\n{run.output()[-5000:]}")
    return Reference(
        project,
        published_digest(project.published / "kpis.duckdb"),
        ledger(project),
        time.monotonic() - started,
    )


@dataclass
class Round:
    kill: Kill
    problems: list[str]

    @property
    def survived(self) -> bool:
        return not self.problems


def chaos(
    root: Path,
    landing: Path,
    reference: Reference,
    kills: int,
    seed: int,
    recover_every: int = 1,
    log: Callable[[str], None] = print,
) -> list[Round]:
    """`kills` rounds on one project; after every `recover_every` kills a run must finish and match."""
    rng = random.Random(seed)
    project = new_project(root, landing)
    points = [KILL_POINTS[i % len(KILL_POINTS)] for i in range(kills)]
    rng.shuffle(points)
    # Files held back and landed before each ingest kill, so that there is a file to be ingesting.
    reserve = _hold_back(project, landing)
    chunk = -(-len(reserve) // max(1, points.count("ingest")))
    rounds = []
    previous_killed = False
    for number, point in enumerate(points, 1):
        if point == "ingest":
            _land(reserve[:chunk], landing, project)
            del reserve[:chunk]
        if number == len(points):
            _land(reserve, landing, project)
            reserve = []
        database = project.published / "kpis.duckdb"
        before = published_digest(database, content_only=False)
        before_run = published_run_id(database) if before else None
        kill, run = kill_run_at(project, point, rng)
        problems = []
        if previous_killed and "Recovered the warehouse lock of run" not in run.output():
            problems.append("the run after a kill did not say it recovered the dead run's lock")
        previous_killed = kill.held_lock
        if kill.orphans:
            problems.append(f"{kill.orphans} process(es) of the killed run still ran 10 s after the kill")
        if not kill.killed and run.process.returncode != 0:
            problems.append(f"the run failed before the kill came:\n{run.output()[-3000:]}")
        complete = not reserve  # only a complete landing folder publishes the reference's tables
        problems += publish_problems(project, before, before_run, reference.digest if complete else None)
        problems += warehouse_problems(project)
        if number % recover_every == 0 or number == len(points):
            problems += _recover(project, reference, expect_recovery=kill.held_lock, complete=complete)
            previous_killed = False  # that run recovered the lock
        rounds.append(Round(kill, problems))
        what = "killed" if kill.killed else "finished before the kill"
        log(
            f"kill {number}/{len(points)}: {point} +{kill.delay:.2f} s, {what} in step {kill.step} "
            f"({kill.seconds:.0f} s): {'survived' if not problems else 'FAILED: ' + '; '.join(problems)}"
        )
    return rounds


def _hold_back(project: Project, landing: Path) -> list[Path]:
    """The last file (in load order) of every table folder with several files, removed from the
    project's landing folder; relative paths."""
    held = []
    for folder in sorted({path.parent for path in landing.rglob("*") if path.is_file()}):
        files = sorted(path.relative_to(landing) for path in folder.iterdir() if path.is_file())
        if len(files) >= 3:
            held.append(files[-1])
            (project.landing / files[-1]).unlink()
    return held


def _land(files: list[Path], landing: Path, project: Project) -> None:
    for relative in files:
        shutil.copy2(landing / relative, project.landing / relative)


def _recover(
    project: Project, reference: Reference, expect_recovery: bool, complete: bool = True
) -> list[str]:
    run = finish_run(project)
    problems = []
    if run.process.returncode != 0:
        return [f"the run after the kill failed:\n{run.output()[-5000:]}"]
    if expect_recovery and "Recovered the warehouse lock" not in run.output():
        problems.append("the run after the kill did not say it recovered the dead run's lock")
    unfinished = _unfinished_runs(project)
    if unfinished:
        problems.append(f"runs left unfinished in the Dagster instance: {unfinished}")
    found = ledger(project)
    if not complete:
        # Some files are still held back: each file loaded is loaded as in the uninterrupted run.
        landed = {(table, path) for table, path, *_ in found}
        expected = [row for row in reference.ledger if (row[0], row[1]) in landed]
        if found != expected:
            problems.append(
                f"the ledger differs from an uninterrupted run's: {sorted(set(found) ^ set(expected))[:5]}"
            )
        return problems + warehouse_problems(project)
    content = published_digest(project.published / "kpis.duckdb")
    if content != reference.digest:
        differing = sorted(name for name in reference.digest if content.get(name) != reference.digest[name])
        problems.append(
            f"the run after the kill published other tables than an uninterrupted run: {differing}"
        )
    if found != reference.ledger:
        extra = sorted(set(found) - set(reference.ledger))[:5]
        missing = sorted(set(reference.ledger) - set(found))[:5]
        problems.append(f"the ledger differs from an uninterrupted run's: extra {extra}, missing {missing}")
    return problems + warehouse_problems(project)


_READER = """
import json, sys, time
from pathlib import Path
import duckdb
database, stop, out = sys.argv[1], Path(sys.argv[2]), open(sys.argv[3], "w")
while not stop.exists():
    try:
        with duckdb.connect(database, read_only=True) as con:
            row = con.execute(
                "select (select run_id from publish_info), (select list(distinct computed_at::varchar) "
                "from kpi_scorecard), (select computed_at::varchar from publish_info)"
            ).fetchone()
        print(json.dumps({"read": list(row)}), file=out, flush=True)
    except Exception as error:
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}), file=out, flush=True)
    time.sleep(0.05)
"""


def two_runs_at_once(project: Project, reference: Reference) -> list[str]:
    """Two runs started together (the sensor's and a person's) while a BI reader queries in a loop:
    both finish, one after the other, and the reader sees no error and never two publishes mixed."""
    stop, reads_file = project.root / "stop_reader", project.root / "reads.jsonl"  # a file: a pipe would fill
    stop.unlink(missing_ok=True)
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(project.published / "kpis.duckdb"), str(stop), str(reads_file)]
    )
    runs = [start_run(project), start_run(project)]
    for run in runs:
        run.process.wait()
    time.sleep(0.2)
    stop.touch()
    reader.wait(timeout=60)
    reads = [json.loads(line) for line in reads_file.read_text().splitlines()]
    problems = [f"a run failed:\n{run.output()[-3000:]}" for run in runs if run.process.returncode != 0]
    if not any("Waiting for the warehouse" in run.output() for run in runs):
        problems.append("neither run waited for the other")
    problems += [f"the reader met {r['error']}" for r in reads if "error" in r]
    mixed = [r["read"] for r in reads if "read" in r and r["read"][1] != [r["read"][2]]]
    if mixed:
        problems.append(f"the reader saw mixed publishes: {mixed[:3]}")
    if published_digest(project.published / "kpis.duckdb") != reference.digest:
        problems.append("the published tables differ from the uninterrupted run's")
    runs_seen = {r["read"][0] for r in reads if "read" in r}
    print(f"two runs at once: the reader read {len(reads)} times, saw {len(runs_seen)} publishes", flush=True)
    return problems


def _unfinished_runs(project: Project) -> list[str]:
    """Runs the Dagster instance still counts as going on (a killed run must be marked failed)."""
    import dagster as dg

    statuses = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
    with dg.DagsterInstance.from_config(str(project.root / "dagster_home")) as instance:
        return [run.run_id for run in instance.get_runs(filters=dg.RunsFilter(statuses=statuses))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument(
        "--recover-every", type=int, default=1, help="kills between two runs that must finish"
    )
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT / "data" / "chaos")
    args = parser.parse_args(argv)
    shutil.rmtree(args.root, ignore_errors=True)
    landing = args.root / "landing"
    small_landing(landing)
    print(
        f"Chaos: {args.kills} kills (seed {args.seed}) on {landing}; first an uninterrupted run ...",
        flush=True,
    )
    reference = reference_run(args.root / "reference", landing)
    print(f"Uninterrupted run: {reference.seconds:.0f} s, {len(reference.ledger)} files", flush=True)
    rounds = chaos(
        args.root / "chaos", landing, reference, args.kills, args.seed, args.recover_every, log=_flush_print
    )
    killed = [r for r in rounds if r.kill.killed]
    survived = sum(r.survived for r in killed)
    print(
        f"\nSurvived {survived} of {len(killed)} kills ("
        + ", ".join(
            f"{p} {sum(r.survived for r in killed if r.kill.point == p)}/"
            f"{sum(r.kill.point == p for r in killed)}"
            for p in KILL_POINTS
        )
        + f"); {len(rounds) - len(killed)} runs ended before their kill came"
    )
    second = reference_run(args.root / "second_build", landing)
    same = published_digest(
        second.project.published / "kpis.duckdb", leave_out=frozenset()
    ) == published_digest(reference.project.published / "kpis.duckdb", leave_out=frozenset())
    print(f"Two full builds of the same landing folder publish the same tables: {'yes' if same else 'NO'}")
    concurrent = two_runs_at_once(Project(args.root / "chaos"), reference)
    print(
        "Two runs at once with a reader: "
        + ("survived" if not concurrent else "FAILED: " + "; ".join(concurrent))
    )
    failed = [r for r in rounds if not r.survived]
    return 1 if failed or concurrent or not same else 0


def _flush_print(text: str) -> None:
    print(text, flush=True)


if __name__ == "__main__":
    sys.exit(main())
