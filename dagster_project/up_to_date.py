"""Whether a daily run has anything to do, decided in a second at any scale.

A daily run with no new files, on the same as-of date and the same code as the last run that
published, would compute the same numbers again: it is skipped. The last run is found in the
Dagster instance by the tags every run of this project carries (`run_tags`): the warehouse and
publish folder it wrote, its as-of date and the version of the project's code and catalog. The
landing folder is compared with the warehouse's file ledger by path, size and modification
time, as ingest itself recognises a file it has loaded, without reading any file.

Anything that cannot be told for sure (no such run, a run that failed, files ingested after it
by another run, a ledger that cannot be opened) means: run.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project import settings
from dagster_project.ingest.contract import TABLES
from dagster_project.ingest.loader import landing_files
from dagster_project.ingest.raw_schema import LEDGER_TABLE

WAREHOUSE_TAG = "kpi/warehouse"
PUBLISH_DIR_TAG = "kpi/publish_dir"
AS_OF_TAG = "kpi/as_of"
PROJECT_VERSION_TAG = "kpi/project_version"

# What computes the numbers and words them: the dbt project with the catalog, the Python code,
# the Great Expectations suites and their acknowledgements. Build output is not.
_PROJECT_FOLDERS = ("dbt_models", "dagster_project", "expectations")
_NOT_PROJECT = {"target", "logs", "dbt_packages", "__pycache__"}


def project_version(root: Path = settings.PROJECT_ROOT, folders: tuple[str, ...] = _PROJECT_FOLDERS) -> str:
    """A hash of every file of the project's code, catalog and suites (or of `folders` only)."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted((root / folder).rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and not _NOT_PROJECT & set(relative.parts):
                digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def run_tags() -> dict[str, str]:
    """The tags of a run of this project: what it reads and writes besides the landing files."""
    return {
        WAREHOUSE_TAG: str(settings.warehouse_path()),
        PUBLISH_DIR_TAG: str(settings.publish_dir()),
        AS_OF_TAG: settings.as_of().isoformat(),
        PROJECT_VERSION_TAG: project_version(),
    }


def unseen_landing_files(con: duckdb.DuckDBPyConnection, landing: Path) -> list[str]:
    """Landing files the ledger has no row of with the same path, size and modification time."""
    known = set(
        con.execute(
            f"select source_table, file_path, stored_bytes, modified_ns from {LEDGER_TABLE}"
        ).fetchall()
    )
    unseen = []
    for table in TABLES:
        for path in landing_files(landing / table.source / table.name):
            label = path.relative_to(landing).as_posix()
            try:
                found = path.stat()
            except OSError:  # gone, or a broken link: ingest will say which
                unseen.append(label)
                continue
            if (table.key, label, found.st_size, found.st_mtime_ns) not in known:
                unseen.append(label)
    return unseen


def why_up_to_date(instance: dg.DagsterInstance, tags: dict[str, str] | None = None) -> str | None:
    """Why the published files are current for a run with `tags` (default `run_tags()`), or
    None when a run has something to do."""
    tags = tags or run_tags()
    finished = instance.get_runs(
        filters=dg.RunsFilter(
            tags={WAREHOUSE_TAG: tags[WAREHOUSE_TAG]},
            statuses=[dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED],
        ),
        limit=1,
    )
    last = finished[0] if finished else None
    if last is None or last.status != dg.DagsterRunStatus.SUCCESS:
        return None
    if any(last.tags.get(name) != value for name, value in tags.items()):
        return None
    if not (Path(tags[PUBLISH_DIR_TAG]) / "kpis.duckdb").exists():
        return None
    ended = instance.get_run_record_by_id(last.run_id).end_time
    try:
        with duckdb.connect(tags[WAREHOUSE_TAG], read_only=True) as con:
            newest_ingest = con.execute(f"select max(ingested_at) from {LEDGER_TABLE}").fetchone()[0]
            unseen = unseen_landing_files(con, settings.landing_dir())
    except duckdb.Error:  # no warehouse or ledger yet, or another process is writing it
        return None
    if unseen or ended is None or (newest_ingest and newest_ingest > datetime.fromtimestamp(ended, UTC)):
        return None
    return (
        f"Nothing new since run {last.run_id[:8]} ({last.job_name}, as of {tags[AS_OF_TAG]}): every landing "
        "file is in the ledger, the code and catalog are unchanged, and the published files are current."
    )
