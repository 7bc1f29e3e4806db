"""A run's short live progress display, fed by Dagster's event stream; the full log goes to a file.

`execute_with_progress` runs a job in process with one logger of its own instead of Dagster's
console logger. Every record (Dagster's events, the assets' messages, dbt's lines) is written to
the log file; the structured events (steps, materializations, asset check evaluations) are counted
into a few lines: the phase, files and rows ingested, models built of total, checks, publish, and
an estimate of the time left from the last successful run of the same job. Errors are shown on the
console as they happen, with the step they come from, and stay in the log file.

Everything else the run prints (dbt, Great Expectations, warnings) goes to the log file too: the
process's stdout and stderr point there while the job runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.definitions.dependency import NodeHandle
from rich.console import Console
from rich.live import Live
from rich.table import Table

PHASES = ("ingest", "catalog", "models", "checks", "publish")
# Dagster's message already names the job, run, step and event.
LOG_FORMAT = "%(asctime)s - %(levelname)s - %(message)s"


def step_phase(job: dg.JobDefinition, node_name: str) -> str:
    """Which phase a step of the job belongs to, from the assets it computes."""
    assets_def = job.asset_layer.get_assets_def_for_node(NodeHandle(node_name, None))
    specs = list(assets_def.specs) if assets_def else []
    if not specs:
        return "checks"  # a step that only evaluates asset checks
    kinds = set().union(*(spec.kinds for spec in specs))
    groups = {spec.group_name or "" for spec in specs}
    if "dbt" in kinds:
        return "models"
    if "publish" in groups:
        return "publish"
    if all(group.startswith("ingest") for group in groups):
        return "ingest"
    return "catalog"


def _format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


@dataclass
class RunProgress:
    """What the run has done so far, counted from its events."""

    phases: Mapping[str, str]  # step key -> phase
    models_total: int
    dbt_tests_total: int
    checks_total: int
    expected_step_seconds: Mapping[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    running: dict[str, float] = field(default_factory=dict)  # step key -> its start
    finished: set[str] = field(default_factory=set)
    failed: list[str] = field(default_factory=list)
    tables_done: int = 0
    files: int = 0
    rows_read: int = 0
    rows_quarantined: int = 0
    files_rejected: int = 0
    models_built: int = 0
    dbt_tests: dict[str, int] = field(default_factory=lambda: {"passed": 0, "failed": 0, "warned": 0})
    checks: dict[str, int] = field(default_factory=lambda: {"passed": 0, "failed": 0, "warned": 0})
    published: str = ""
    errors: list[str] = field(default_factory=list)

    def step_count(self, phase: str) -> int:
        return sum(1 for value in self.phases.values() if value == phase)

    def phase(self) -> str:
        for step in self.running:
            return self.phases.get(step, "checks")
        if not self.finished:
            return "starting"
        if len(self.finished) < len(self.phases):
            return "between steps"
        return f"failed: {', '.join(self.failed)}" if self.failed else "done"

    def on_event(self, event: dg.DagsterEvent) -> None:
        kind, step = event.event_type_value, event.step_key
        if kind == "STEP_START":
            self.running[step] = time.monotonic()
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            self.running.pop(step, None)
            self.finished.add(step)
            if kind == "STEP_FAILURE":
                self.failed.append(step)
        elif kind == "ASSET_MATERIALIZATION":
            self._on_materialization(step, event.event_specific_data.materialization)
        elif kind == "ASSET_CHECK_EVALUATION":
            self._on_check(step, event.event_specific_data)

    def _on_materialization(self, step: str, materialization) -> None:
        metadata = {key: getattr(value, "value", value) for key, value in materialization.metadata.items()}
        phase = self.phases.get(step)
        if phase == "ingest":
            self.tables_done += 1
            self.files += int(metadata.get("new_files") or 0)
            self.rows_read += int(metadata.get("rows_read") or 0)
            self.rows_quarantined += int(metadata.get("rows_quarantined") or 0)
            self.files_rejected += int(metadata.get("files_rejected") or 0)
        elif phase == "models":
            self.models_built += 1
        elif phase == "publish":
            self.published = f"{int(metadata.get('rows') or metadata.get('kpis') or 0):,}"

    def _on_check(self, step: str, evaluation) -> None:
        counts = self.dbt_tests if self.phases.get(step) == "models" else self.checks
        if evaluation.passed:
            counts["passed"] += 1
        elif str(getattr(evaluation.severity, "value", evaluation.severity)).upper().startswith("WARN"):
            counts["warned"] += 1
        else:
            counts["failed"] += 1

    def _not_published(self) -> str:
        steps = [step for step, phase in self.phases.items() if phase == "publish"]
        if not steps:
            return "not in this job"
        return "failed" if any(step in self.failed for step in steps) else "not yet"

    def seconds_left(self) -> float | None:
        """From the last successful run: the steps not yet finished, less the running ones' time."""
        if not self.expected_step_seconds:
            return None
        now, left = time.monotonic(), 0.0
        for step in self.phases:
            if step in self.finished:
                continue
            expected = self.expected_step_seconds.get(step, 0.0)
            if step in self.running:
                expected = max(expected - (now - self.running[step]), 1.0)
            left += expected
        return left

    def lines(self) -> list[tuple[str, str]]:
        ingest_steps = self.step_count("ingest")
        checks_done = sum(self.checks.values())
        rows = [
            ("phase", self.phase()),
            (
                "ingest",
                f"{self.tables_done}/{ingest_steps} tables, {self.files:,} new files, "
                f"{self.rows_read:,} rows read ({self.rows_quarantined:,} quarantined"
                + (f", {self.files_rejected} files rejected)" if self.files_rejected else ")"),
            ),
            (
                "models",
                f"{self.models_built}/{self.models_total} built; dbt tests "
                f"{sum(self.dbt_tests.values())}/{self.dbt_tests_total}: {self.dbt_tests['passed']} passed, "
                f"{self.dbt_tests['warned']} warnings, {self.dbt_tests['failed']} errors",
            ),
            (
                "checks",
                f"{checks_done}/{self.checks_total} evaluated: {self.checks['passed']} passed, "
                f"{self.checks['warned']} warnings, {self.checks['failed']} errors",
            ),
            ("publish", f"{self.published} annotated values" if self.published else self._not_published()),
        ]
        elapsed = time.monotonic() - self.started
        left = self.seconds_left()
        timing = f"{_format_duration(elapsed)} elapsed"
        if left is not None and self.phase() != "done":
            timing += f", about {_format_duration(left)} left (from the last run)"
        rows.append(("time", timing))
        return rows

    def table(self) -> Table:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        for name, text in self.lines():
            grid.add_row(name, text)
        return grid


class _EventHandler(logging.Handler):
    """Feeds the display from the records Dagster hands its loggers."""

    def __init__(self, progress: RunProgress, console: Console) -> None:
        super().__init__(logging.DEBUG)
        self.progress = progress
        self.console = console
        self.last_phase = ""

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if event is not None:
            self.progress.on_event(event)
            if event.event_type_value == "STEP_FAILURE":
                self._error(event.step_key, _failure_text(event))
            self._say_phase()
        elif record.levelno >= logging.ERROR:
            meta = getattr(record, "dagster_meta", {}) or {}
            self._error(
                meta.get("step_key") or "run", getattr(record, "dagster_message", record.getMessage())
            )

    def _say_phase(self) -> None:
        """Without a terminal (CI, a pipe) there is no live display: one line when the phase changes."""
        phase = self.progress.phase()
        if self.console.is_terminal or phase in (self.last_phase, "starting", "between steps", "done"):
            return
        self.last_phase = phase
        elapsed = _format_duration(time.monotonic() - self.progress.started)
        self.console.print(f"[{elapsed}] {phase} ...", highlight=False, markup=False)

    def _error(self, step: str, text: str) -> None:
        message = f"{step}: {text}"
        self.progress.errors.append(message)
        self.console.print(f"[bold red]ERROR[/] {message}", markup=True, highlight=False)


def _failure_text(event: dg.DagsterEvent) -> str:
    data = event.event_specific_data
    failure = getattr(data, "user_failure_data", None)
    if failure is not None and failure.description:
        return failure.description
    error = getattr(data, "error", None)
    return error.message.strip() if error is not None else "failed (see the log file)"


def _progress_logger(handlers: list[logging.Handler]) -> dg.LoggerDefinition:
    @dg.logger(description="The full log to a file, the events to the progress display.")
    def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
        logger = logging.getLogger(f"kpi_run.{init_context.run_id}")
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        for handler in handlers:
            logger.addHandler(handler)
        return logger

    return progress_logger


@contextlib.contextmanager
def _output_to(log_file) -> Iterator[Console]:
    """Points the process's stdout and stderr at the log file; yields a console on the real stdout."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(saved[0]), "w", buffering=1, encoding="utf-8")
    os.dup2(log_file.fileno(), 1)
    os.dup2(log_file.fileno(), 2)
    try:
        # sys.stdout too, where it is not file descriptor 1 (under pytest, say).
        with contextlib.redirect_stdout(log_file), contextlib.redirect_stderr(log_file):
            # Without a terminal, lines are not wrapped at 80 columns: a log reader sees them whole.
            tty = terminal.isatty()
            yield Console(file=terminal, force_terminal=tty or None, soft_wrap=not tty)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for descriptor in saved:
            os.close(descriptor)
        terminal.close()


def expected_step_seconds(instance: dg.DagsterInstance, job_name: str) -> dict[str, float]:
    """Seconds per step of the job's last successful run on this instance (empty: none yet)."""
    runs = instance.get_runs(
        filters=dg.RunsFilter(job_name=job_name, statuses=[dg.DagsterRunStatus.SUCCESS]), limit=1
    )
    if not runs:
        return {}
    return {
        stats.step_key: stats.end_time - stats.start_time
        for stats in instance.get_run_step_stats(runs[0].run_id)
        if stats.start_time and stats.end_time
    }


def new_progress(job: dg.JobDefinition, expected: Mapping[str, float] | None = None) -> RunProgress:
    phases = {node.name: step_phase(job, node.name) for node in job.nodes}
    totals = {"models": 0, "dbt_tests": 0, "checks": 0}
    for name, phase in phases.items():
        assets_def = job.asset_layer.get_assets_def_for_node(NodeHandle(name, None))
        if assets_def is None:
            continue
        # dbt's tests run in the dbt steps; the quality suites' checks in steps of their own.
        if phase == "models":
            totals["models"] += len(assets_def.keys)
            totals["dbt_tests"] += len(assets_def.check_keys)
        else:
            totals["checks"] += len(assets_def.check_keys)
    return RunProgress(
        phases=phases,
        models_total=totals["models"],
        dbt_tests_total=totals["dbt_tests"],
        checks_total=totals["checks"],
        expected_step_seconds=dict(expected or {}),
    )


def execute_with_progress(
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    log_path: Path,
    run_config: Mapping[str, Any] | None = None,
    expected: Mapping[str, float] | None = None,
    **execute_arguments: Any,
) -> tuple[dg.ExecuteInProcessResult, RunProgress]:
    """Runs the job in process with the live display on the console and the full log in `log_path`.

    The time left is estimated from `expected` seconds per step, by default those of the job's
    last successful run on `instance`.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    if expected is None:
        expected = expected_step_seconds(instance, job.name)
    progress = new_progress(job, expected)
    with open(log_path, "a", encoding="utf-8", buffering=1) as log_file, _output_to(log_file) as console:
        to_file = logging.StreamHandler(log_file)
        to_file.setFormatter(logging.Formatter(LOG_FORMAT))
        handlers = [to_file, _EventHandler(progress, console)]
        logged_job = job.with_logger_defs({"progress": _progress_logger(handlers)})
        config = {**(run_config or {}), "loggers": {"progress": {}}}
        # Live's own thread redraws from the counts; stdout stays on the log file, not above the display.
        live = Live(
            get_renderable=progress.table,
            console=console,
            refresh_per_second=4,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        with live if console.is_terminal else contextlib.nullcontext():
            result = logged_job.execute_in_process(
                run_config=config, instance=instance, raise_on_error=False, **execute_arguments
            )
        if not console.is_terminal:
            for name, text in progress.lines():
                console.print(f"{name:<8} {text}", highlight=False)
    return result, progress
