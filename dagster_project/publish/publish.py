"""The export: the dbt models of the KPI product → kpis.duckdb, Parquet and scorecard.html.

Every number is a dbt model's (kpi_scorecard, kpi_flags, kpi_catalog_entries,
kpi_definition_history); the export adds their text (wording.py) and writes the files. It reads
dbt models only, never a raw or staging table.

Every output is first written completely under a temporary name in the same folder, checked, and
only then moved over the previous one with os.replace (atomic on one file system). A reader that
holds kpis.duckdb open keeps the version it opened; one that opens it afterwards gets the new one;
nobody sees a half-written file or a lock, because the writer never opens kpis.duckdb itself. A
failed run removes its temporary files and leaves the last good outputs in place.

kpis.duckdb is written in storage version v1.0.0, which DuckDB 1.x readers (the BI drivers) open.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from dagster_project.catalog import FUNCTIONS
from dagster_project.publish.html import render_scorecard_html
from dagster_project.publish.wording import (
    FLAGS_MODEL,
    SCORECARD_MODEL,
    word_commentary,
    word_flags,
)

DATABASE_FILE = "kpis.duckdb"
PARQUET_FOLDER = "parquet"
HTML_FILE = "scorecard.html"
STORAGE_VERSION = "v1.0.0"
# What DuckDB 2 reports in duckdb_databases().tags for a file DuckDB 1.x can open.
READABLE_STORAGE_TAG = "v1.0.0+"
_ALIAS = "_pub_out"

FUNCTION_VIEWS = {function: f"{function}_scorecard" for function in FUNCTIONS}

# Views of the published file, over its own tables (stored as SQL, bound when a reader queries).
VIEWS = {
    **{
        view: f"select * from kpi_scorecard where function = '{function}'"
        for function, view in FUNCTION_VIEWS.items()
    },
    # Headline KPIs, total rows, in the last complete month of each KPI.
    "latest_kpis": """
        select scorecard.*
        from kpi_scorecard as scorecard
        inner join (
            select kpi_id, max(period_start) as period_start
            from kpi_scorecard
            where grain = 'month' and is_complete_period and dimension_name = 'total'
            group by kpi_id
        ) as latest
            on latest.kpi_id = scorecard.kpi_id
            and latest.period_start = scorecard.period_start
        where scorecard.kpi_role = 'headline'
            and scorecard.grain = 'month'
            and scorecard.dimension_name = 'total'
    """,
}

CATALOG_MODEL = "main.kpi_catalog_entries"
HISTORY_MODEL = "main.kpi_definition_history"
# What the export reads; each is a dbt model (dbt_models/models/scorecard/).
MODELS = (SCORECARD_MODEL, FLAGS_MODEL, CATALOG_MODEL, HISTORY_MODEL)

# The annotations of kpis.md in its order, then the extras (documented in the README).
SCORECARD_COLUMNS = (
    "kpi_id",
    "kpi_name_da",
    "kpi_name_en",
    "function",
    "grain",
    "period_start",
    "period_end",
    "is_complete_period",
    "dimension_name",
    "dimension_value",
    "value",
    "numerator",
    "denominator",
    "unit",
    "direction",
    "target",
    "target_gap",
    "status",
    "previous_value",
    "change",
    "same_period_last_year",
    "is_provisional",
    "null_reason",
    "definition",
    "question",
    "owner",
    "refresh_cadence",
    "data_freshness_at",
    "freshness_hours",
    "data_quality_status",
    "guardrail_flags",
    "definition_version",
    "computed_at",
    "commentary_da",
    "commentary_en",
    # extras
    "kpi_role",
    "sample_size",
    "definition_en",
    "question_en",
    "target_type",
    "is_flagged",
    "definition_break",
    "data_quality_notes",
)
FLAG_COLUMNS = (
    "kpi_id",
    "grain",
    "period_start",
    "dimension_name",
    "dimension_value",
    "flag_id",
    "severity",
    "related_kpi_id",
    "message_da",
    "message_en",
)
ROW_KEY = "kpi_id, grain, period_start, dimension_name, dimension_value"

# The scorecard: the model's columns, its flags as JSON text (every driver reads text), its sentences.
SCORECARD_QUERY = f"""
with

flags as (
    select
        {ROW_KEY},
        cast(to_json(list(
            {{
                'flag_id': flag_id,
                'severity': severity,
                'related_kpi_id': related_kpi_id,
                'message_da': message_da,
                'message_en': message_en
            }}
            order by check_order, related_kpi_id, flag_id
        )) as varchar) as guardrail_flags
    from _pub_flags
    group by all
)

select
    {
    ", ".join(
        "coalesce(flags.guardrail_flags, '[]') as guardrail_flags"
        if column == "guardrail_flags"
        else f"scorecard.{column}"
        for column in SCORECARD_COLUMNS
    )
}
from _pub_worded as scorecard
left join flags using ({ROW_KEY})
order by {ROW_KEY}
"""

# Published table → query over the models and this export's temp tables (_pub_flags,
# _pub_worded, _pub_info), run with the warehouse as the default database.
PUBLISHED_TABLES = {
    "kpi_scorecard": SCORECARD_QUERY,
    "kpi_flags": f"select {', '.join(FLAG_COLUMNS)} from _pub_flags "
    f"order by {ROW_KEY}, check_order, related_kpi_id",
    "kpi_catalog": f"select * from {CATALOG_MODEL} order by catalog_order",
    "kpi_definition_history": f"select * from {HISTORY_MODEL} order by first_computed_at, kpi_id",
    "publish_info": "select * from _pub_info",
}


class PublishError(RuntimeError):
    """The models cannot be published as they are; the message says what to fix."""


@dataclass(frozen=True)
class PublishSummary:
    rows: int
    kpis: int
    flagged_rows: int
    flag_counts: dict[str, int]
    sentences_worded: int  # rows worded, in each language


@dataclass(frozen=True)
class PublishResult:
    database_path: Path
    parquet_paths: tuple[Path, ...]
    html_path: Path
    computed_at: datetime
    as_of: date
    run_id: str
    summary: PublishSummary


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _remove(*paths: Path) -> None:
    for path in paths:
        for candidate in (path, path.with_name(path.name + ".wal")):
            candidate.unlink(missing_ok=True)


def remove_leftovers(publish_dir: Path) -> list[Path]:
    """Temporary files of a publish that died before it cleaned up (killed, power cut).

    Only one run writes the publish folder at a time (it holds the warehouse's writer lock), so
    any temporary file found here belongs to a run that is gone.
    """
    found = [
        *publish_dir.glob(f".{DATABASE_FILE}.*.tmp*"),
        *publish_dir.glob(f".{HTML_FILE}.*.tmp"),
        *(publish_dir / PARQUET_FOLDER).glob(".*.parquet.*.tmp"),
    ]
    for path in found:
        path.unlink(missing_ok=True)
    return found


def _is_disk_full(error: BaseException | None) -> bool:
    """Whether the error, or one it happened while handling (a failed detach), is ENOSPC."""
    while error is not None:
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            return True
        if isinstance(error, duckdb.Error) and "No space left on device" in str(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def disk_full_message(publish_dir: Path) -> str:
    free = shutil.disk_usage(publish_dir).free
    return (
        f"The disk is full: no space left on the file system of {publish_dir} ({free:,} bytes free) "
        "while writing the new published files. The last good published files are unchanged and "
        "the partial new ones removed. Free space there (a new publish needs about twice the size "
        "of the current files while it is written) and run again."
    )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace(temporary: Path, final: Path) -> None:
    _fsync(temporary)
    os.replace(temporary, final)
    _fsync(final.parent)


def _published(name: str) -> str:
    """A table of the published file being written, from the warehouse connection."""
    return f"{_ALIAS}.main.{name}"


def _write_database(con: duckdb.DuckDBPyConnection, temporary: Path) -> None:
    """All published tables and views into a new file in storage version v1.0.0, attached as
    _ALIAS; the caller detaches it. The tables are written straight from the models: the file is
    the only copy of the published rows, and the Parquet files and the page are read from it."""
    con.execute(f"attach '{_sql_path(temporary)}' as {_ALIAS} (storage_version '{STORAGE_VERSION}')")
    original = con.execute("select current_database()").fetchone()[0]
    con.execute("begin transaction")
    try:
        for table, query in PUBLISHED_TABLES.items():
            con.execute(f"create table {_published(table)} as {query}")
        con.execute(f"use {_ALIAS}")  # so that the views bind to the file's own tables
        try:
            for view, query in VIEWS.items():
                con.execute(f"create view {_published(view)} as {query}")
        finally:
            con.execute(f'use "{original}"')
        con.execute("commit")
    except BaseException:
        with contextlib.suppress(duckdb.TransactionException):  # a failed commit ended it already
            con.execute("rollback")
        raise


def verify_published_database(path: Path, expected_rows: int, computed_at: datetime) -> None:
    """Open a written file read-only as a reader would and check what it holds."""
    with duckdb.connect(str(path), read_only=True) as reader:
        tags = reader.execute(
            "select tags['storage_version'] from duckdb_databases() where database_name = current_database()"
        ).fetchone()[0]
        if tags != READABLE_STORAGE_TAG:
            raise PublishError(f"{path} has storage version {tags!r}, not {READABLE_STORAGE_TAG!r}")
        rows, stamp = reader.execute(
            "select (select count(*) from kpi_scorecard), (select computed_at from publish_info)"
        ).fetchone()
        for view in VIEWS:
            reader.execute(f"select count(*) from {view}").fetchone()
    if rows != expected_rows or stamp != computed_at:
        raise PublishError(
            f"{path} holds {rows} rows computed at {stamp}, expected {expected_rows} at {computed_at}"
        )


def _write_parquet(con: duckdb.DuckDBPyConnection, folder: Path, token: str) -> dict[Path, Path]:
    """One Parquet file per published table and view, read from the file being published;
    returns temporary → final paths."""
    folder.mkdir(parents=True, exist_ok=True)
    queries = {table: f"select * from {_published(table)}" for table in PUBLISHED_TABLES}
    for view, query in VIEWS.items():
        queries[view] = query.replace("kpi_scorecard", _published("kpi_scorecard"))
    moves = {}
    for name, query in queries.items():
        final = folder / f"{name}.parquet"
        temporary = folder / f".{name}.parquet.{token}.tmp"
        moves[temporary] = final
        con.execute(f"copy ({query}) to '{_sql_path(temporary)}' (format parquet, compression zstd)")
    return moves


def _require_models(con: duckdb.DuckDBPyConnection) -> None:
    missing = []
    for model in MODELS:
        try:
            con.execute(f"select * from {model} limit 0")
        except duckdb.CatalogException:
            missing.append(model)
    if missing:
        raise PublishError(
            f"the dbt model(s) {', '.join(missing)} do not exist: build the KPI models first "
            "(dbt build, or the full_refresh job)"
        )


def publish(
    con: duckdb.DuckDBPyConnection,
    publish_dir: Path,
    *,
    run_id: str | None = None,
) -> PublishResult:
    """Word the dbt models of the KPI product (read through `con`, the warehouse) and publish them.

    The as-of date and computation time are the models' (kpi_scorecard.as_of_date, computed_at).
    Nothing is written to the warehouse (only temporary tables of `con`).
    """
    _require_models(con)
    run_id = run_id or uuid.uuid4().hex
    word_flags(con)
    worded = word_commentary(con)
    rows, kpis, flagged, computed_at, as_of = con.execute(
        "select count(*), count(distinct kpi_id), count(*) filter (where is_flagged), max(computed_at), "
        f"max(as_of_date) from {SCORECARD_MODEL}"
    ).fetchone()
    if rows == 0:
        raise PublishError(f"{SCORECARD_MODEL} is empty: there is nothing to publish")
    flag_counts = dict(
        con.execute("select flag_id || '_rows', count(*) from _pub_flags group by 1 order by 1").fetchall()
    )
    summary = PublishSummary(rows, kpis, flagged, flag_counts, worded)
    con.execute(
        """
        create or replace temp table _pub_info as
        select cast(? as varchar) as run_id, cast(? as timestamptz) as computed_at, cast(? as date) as as_of,
            cast(? as bigint) as scorecard_rows, cast(? as bigint) as flagged_rows,
            cast(? as varchar) as storage_version, cast(? as varchar) as written_by_duckdb
        """,
        [run_id, computed_at, as_of, rows, flagged, STORAGE_VERSION, duckdb.__version__],
    )
    publish_dir = Path(publish_dir)
    publish_dir.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:12]
    database = publish_dir / DATABASE_FILE
    database_tmp = publish_dir / f".{DATABASE_FILE}.{token}.tmp"
    html_path = publish_dir / HTML_FILE
    html_tmp = publish_dir / f".{HTML_FILE}.{token}.tmp"
    moves: dict[Path, Path] = {}
    remove_leftovers(publish_dir)
    try:
        try:
            _write_database(con, database_tmp)
            moves.update(_write_parquet(con, publish_dir / PARQUET_FOLDER, token))
            page = render_scorecard_html(
                con,
                scorecard=_published("kpi_scorecard"),
                catalog=_published("kpi_catalog"),
                computed_at=computed_at,
                as_of=as_of,
            )
        finally:
            attached = con.execute(
                "select count(*) from duckdb_databases() where database_name = ?", [_ALIAS]
            ).fetchone()[0]
            if attached:
                con.execute(f"detach {_ALIAS}")  # checkpoints: the file is complete, no WAL is left
        verify_published_database(database_tmp, rows, computed_at)
        html_tmp.write_text(page, encoding="utf-8")
        moves[html_tmp] = html_path
        # Everything is written: swap in quick succession, the database last.
        for temporary, final in moves.items():
            _replace(temporary, final)
        _replace(database_tmp, database)
    except (OSError, duckdb.Error) as error:
        if _is_disk_full(error):
            raise PublishError(disk_full_message(publish_dir)) from error
        raise
    finally:
        _remove(database_tmp, html_tmp, *moves)
    return PublishResult(
        database_path=database,
        parquet_paths=tuple(sorted(moves.values())),
        html_path=html_path,
        computed_at=computed_at,
        as_of=as_of,
        run_id=run_id,
        summary=summary,
    )


__all__ = ["SCORECARD_COLUMNS", "PublishError", "PublishResult", "publish"]
