"""The export: the dbt models of the KPI product → kpis.duckdb, Parquet and scorecard.html.

Every number is a dbt model's (kpi_scorecard, kpi_flags, kpi_catalog_entries,
kpi_definition_history); the export adds their text (wording.py) and writes the files. It reads
dbt models only, never a raw or staging table.

Every output is first written completely under a temporary name in the same folder, checked, and
only then moved over the previous one with os.replace (atomic on one file system). A reader that
holds kpis.duckdb open keeps the version it opened; one that opens it afterwards gets the new one;
nobody sees a half-written file or a lock, because the writer never opens kpis.duckdb itself. A
failed run removes its temporary files and leaves the last good outputs in place.

A daily run patches: the temporary file starts as a copy of the last published kpis.duckdb, and
only the scorecard rows whose columns changed are worded and written again (the rows a new batch
touches); the columns that change on every row with every run (RUN_COLUMNS: the inputs'
freshness and data quality, computed_at) are set per KPI. The result equals a file written whole
from the same models, row for row (tests/test_publish_patch.py): the last file is a cache of
worded rows, never an input to a number. A file worded by another version of the export
(publish_info.export_version) is written whole, as is every file of a full refresh.

kpis.duckdb is written in storage version v1.0.0, which DuckDB 1.x readers (the BI drivers) open.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import sys
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

# How a patch compares a published row with the current one. The columns that change with every
# run although nothing in the row's period did (the freshness and data quality of the KPI's
# inputs, the computation time) are set on every row; the catalog's columns are compared once per
# KPI (a KPI whose texts or version changed is written again whole); the rest row by row. The
# first two are one value per KPI (kpi_scorecard joins them by kpi_id), which the patch checks.
RUN_COLUMNS = (
    "data_freshness_at",
    "freshness_hours",
    "data_quality_status",
    "data_quality_notes",
    "computed_at",
)
KPI_COLUMNS = (
    "kpi_name_da",
    "kpi_name_en",
    "function",
    "unit",
    "direction",
    "definition",
    "question",
    "owner",
    "refresh_cadence",
    "definition_version",
    "kpi_role",
    "definition_en",
    "question_en",
    "target_type",
)
COMMENTARY_COLUMNS = ("commentary_da", "commentary_en")
ROW_COLUMNS = tuple(c for c in SCORECARD_COLUMNS if c not in RUN_COLUMNS + KPI_COLUMNS + COMMENTARY_COLUMNS)

# The scorecard's rows before wording: the model's columns, its flags as JSON text (every driver
# reads text).
ROWS_QUERY = f"""
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
        if column not in COMMENTARY_COLUMNS
    )
}
from {SCORECARD_MODEL} as scorecard
left join flags using ({ROW_KEY})
"""
# The published rows of `_pub_rows` (all rows, or the changed ones of a patch), worded.
SCORECARD_QUERY = f"select {', '.join(SCORECARD_COLUMNS)} from _pub_worded order by {ROW_KEY}"

# Published table → query over the models and this export's temp tables (_pub_flags,
# _pub_worded, _pub_info), run with the warehouse as the default database. A patch replaces every
# table but kpi_scorecard whole (they are small).
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
    rows_written: int  # scorecard rows worded (in each language) and written by this publish
    why_whole: str | None  # why the file was written whole; None when the last one was patched


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


def _export_version() -> str:
    """What the worded rows depend on besides the models: the wording code and the libraries that
    format numbers and dates. A file written by another version is written whole, not patched."""
    from importlib.metadata import version

    from dagster_project.publish import commentary, formatting, wording

    digest = hashlib.sha256()
    for module in (commentary, formatting, wording, sys.modules[__name__]):
        digest.update(Path(module.__file__).read_bytes())
    digest.update(f"duckdb {duckdb.__version__} babel {version('babel')}".encode())
    return digest.hexdigest()[:16]


def _patchable(previous: Path, export_version: str) -> str | None:
    """Why the last published file cannot be patched into the new one; None when it can."""
    if not previous.exists():
        return "no published file yet"
    try:
        with duckdb.connect(str(previous), read_only=True) as reader:
            tag = reader.execute(
                "select tags['storage_version'] from duckdb_databases() where database_name = current_database()"
            ).fetchone()[0]
            columns = [c[0] for c in reader.execute("select * from kpi_scorecard limit 0").description]
            written_by = reader.execute("select export_version from publish_info").fetchone()[0]
    except duckdb.Error as error:  # an older layout, or not a DuckDB file
        return f"the published file cannot be read as this export writes it ({_first_line(error)})"
    if tag != READABLE_STORAGE_TAG or tuple(columns) != SCORECARD_COLUMNS:
        return "the published file has another storage version or other scorecard columns"
    if written_by != export_version:
        return "the published file was worded by another version of the export"
    return None


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _one_value_per_kpi(con: duckdb.DuckDBPyConnection, columns: tuple[str, ...], table: str) -> None:
    """`table`: kpi_id and `columns` of the current scorecard, one row per KPI (or PublishError)."""
    con.execute(
        f"create or replace temp table {table} as select distinct kpi_id, {', '.join(columns)} from _pub_current"
    )
    doubled = con.execute(
        f"select distinct kpi_id from {table} group by kpi_id having count(*) > 1"
    ).fetchall()
    if doubled:
        raise PublishError(
            f"{SCORECARD_MODEL} has more than one value of {', '.join(columns)} for "
            f"{', '.join(kpi for (kpi,) in doubled[:5])}: the export compares and patches them per KPI"
        )


def _patch_scorecard(con: duckdb.DuckDBPyConnection) -> int:
    """In the attached copy of the last file: remove the scorecard rows that are gone or changed,
    set RUN_COLUMNS on the rest, and leave the current versions of the changed and new rows in the
    temp view `_pub_rows` for wording; returns their number. Set difference (`except`) treats
    nulls as equal, as a reader would."""
    published = _published("kpi_scorecard")
    con.execute("create or replace temp table _pub_current as " + ROWS_QUERY)
    _one_value_per_kpi(con, KPI_COLUMNS, "_pub_kpi_columns")
    _one_value_per_kpi(con, RUN_COLUMNS, "_pub_run_columns")
    kpi_columns, row_columns = ", ".join(("kpi_id", *KPI_COLUMNS)), ", ".join(ROW_COLUMNS)
    con.execute(
        f"""
        create or replace temp table _pub_changed as
        with

        changed_kpis as (
            select kpi_id from _pub_kpi_columns
            semi join (
                select {kpi_columns} from _pub_kpi_columns
                except
                select distinct {kpi_columns} from {published}
            ) as changed using (kpi_id)
        ),

        changed_rows as (
            select {row_columns} from _pub_current
            except
            select {row_columns} from {published}
        ),

        changed_keys as (
            select {ROW_KEY} from changed_rows
            union
            select {ROW_KEY} from _pub_current where kpi_id in (select kpi_id from changed_kpis)
        )

        select current.*
        from _pub_current as current
        semi join changed_keys using ({ROW_KEY})
        """
    )

    def same_key(side: str) -> str:
        return " and ".join(f"{side}.{key} = old.{key}" for key in ROW_KEY.split(", "))

    con.execute(
        f"""
        delete from {published} as old
        where not exists (select 1 from _pub_current as current where {same_key("current")})
            or exists (select 1 from _pub_changed as changed where {same_key("changed")})
        """
    )
    con.execute(
        f"""
        update {published} as old
        set {", ".join(f"{column} = run.{column}" for column in RUN_COLUMNS)}
        from _pub_run_columns as run
        where old.kpi_id = run.kpi_id
        """
    )
    con.execute("create or replace temp view _pub_rows as select * from _pub_changed")
    return con.execute("select count(*) from _pub_changed").fetchone()[0]


def _write_database(
    con: duckdb.DuckDBPyConnection, temporary: Path, info: dict[str, tuple[str, object]], *, patch: bool
) -> int:
    """All published tables and views into `temporary`, attached as _ALIAS; the caller detaches it.
    Whole: a new file in storage version v1.0.0, every row worded. Patch: `temporary` is a copy of
    the last published file, and only the changed scorecard rows are worded and written.
    `info` (column: (type, value)) is publish_info's row, to which this adds how the file was
    written. Returns the scorecard rows worded and written. The tables are written straight from the
    models: the file is the only copy of the published rows, and the Parquet files and the page are
    read from it."""
    options = "" if patch else f" (storage_version '{STORAGE_VERSION}')"
    con.execute(f"attach '{_sql_path(temporary)}' as {_ALIAS}{options}")
    original = con.execute("select current_database()").fetchone()[0]
    con.execute("begin transaction")
    try:
        if patch:
            written = _patch_scorecard(con)
        else:
            con.execute("create or replace temp view _pub_rows as " + ROWS_QUERY)
            written = info["scorecard_rows"][1]
        info = info | {
            "write_mode": ("varchar", "patch" if patch else "whole"),
            "rows_written": ("bigint", written),
        }
        con.execute(
            "create or replace temp table _pub_info as select "
            + ", ".join(f"cast(? as {sql_type}) as {column}" for column, (sql_type, _) in info.items()),
            [value for _, value in info.values()],
        )
        if written:
            word_commentary(con, scorecard="_pub_rows")
        for table, query in PUBLISHED_TABLES.items():
            if patch and table == "kpi_scorecard":
                if written:
                    con.execute(f"insert into {_published(table)} {query}")
            else:
                con.execute(f"create or replace table {_published(table)} as {query}")
        con.execute(f"use {_ALIAS}")  # so that the views bind to the file's own tables
        try:
            for view, query in VIEWS.items():
                con.execute(f"create or replace view {_published(view)} as {query}")
        finally:
            con.execute(f'use "{original}"')
        con.execute("commit")
    except BaseException:
        with contextlib.suppress(duckdb.TransactionException):  # a failed commit ended it already
            con.execute("rollback")
        raise
    return written


def verify_published_database(path: Path, expected_rows: int, computed_at: datetime) -> None:
    """Open a written file read-only as a reader would and check what it holds."""
    with duckdb.connect(str(path), read_only=True) as reader:
        tags = reader.execute(
            "select tags['storage_version'] from duckdb_databases() where database_name = current_database()"
        ).fetchone()[0]
        if tags != READABLE_STORAGE_TAG:
            raise PublishError(f"{path} has storage version {tags!r}, not {READABLE_STORAGE_TAG!r}")
        rows, stamp, other_stamps = reader.execute(
            "select (select count(*) from kpi_scorecard), (select computed_at from publish_info), "
            "(select count(*) from kpi_scorecard, publish_info "
            "where kpi_scorecard.computed_at is distinct from publish_info.computed_at)"
        ).fetchone()
        for view in VIEWS:
            reader.execute(f"select count(*) from {view}").fetchone()
    if rows != expected_rows or stamp != computed_at or other_stamps:
        raise PublishError(
            f"{path} holds {rows} rows computed at {stamp} ({other_stamps} at another time), "
            f"expected {expected_rows} at {computed_at}"
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
    whole: bool = False,
) -> PublishResult:
    """Word the dbt models of the KPI product (read through `con`, the warehouse) and publish them.

    The as-of date and computation time are the models' (kpi_scorecard.as_of_date, computed_at).
    Nothing is written to the warehouse (only temporary tables of `con`). The last published file
    is patched unless `whole` or it cannot be (see the module's docstring).
    """
    _require_models(con)
    run_id = run_id or uuid.uuid4().hex
    word_flags(con)
    rows, kpis, flagged, computed_at, as_of = con.execute(
        "select count(*), count(distinct kpi_id), count(*) filter (where is_flagged), max(computed_at), "
        f"max(as_of_date) from {SCORECARD_MODEL}"
    ).fetchone()
    if rows == 0:
        raise PublishError(f"{SCORECARD_MODEL} is empty: there is nothing to publish")
    flag_counts = dict(
        con.execute("select flag_id || '_rows', count(*) from _pub_flags group by 1 order by 1").fetchall()
    )
    info = {
        "run_id": ("varchar", run_id),
        "computed_at": ("timestamptz", computed_at),
        "as_of": ("date", as_of),
        "scorecard_rows": ("bigint", rows),
        "flagged_rows": ("bigint", flagged),
        "storage_version": ("varchar", STORAGE_VERSION),
        "written_by_duckdb": ("varchar", duckdb.__version__),
        "export_version": ("varchar", _export_version()),
    }
    publish_dir = Path(publish_dir)
    publish_dir.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:12]
    database = publish_dir / DATABASE_FILE
    database_tmp = publish_dir / f".{DATABASE_FILE}.{token}.tmp"
    html_path = publish_dir / HTML_FILE
    html_tmp = publish_dir / f".{HTML_FILE}.{token}.tmp"
    moves: dict[Path, Path] = {}
    remove_leftovers(publish_dir)
    why_whole = "a whole write was asked for" if whole else _patchable(database, info["export_version"][1])
    try:
        try:
            if why_whole is None:
                shutil.copyfile(database, database_tmp)
            written = _write_database(con, database_tmp, info, patch=why_whole is None)
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
        summary=PublishSummary(rows, kpis, flagged, flag_counts, written, why_whole),
    )


__all__ = ["SCORECARD_COLUMNS", "PublishError", "PublishResult", "publish"]
