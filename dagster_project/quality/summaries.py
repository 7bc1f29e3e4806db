"""The frames the suites validate, computed in DuckDB SQL: small per-table and per-group summaries.

Great Expectations' SQL data source does not work on DuckDB, and a raw table of 100 million rows
does not belong in pandas. So every expectation runs on one of the frames below: the warehouse
does the scanning and aggregating (counts, newest timestamps, anti-joins, sums per group), and
only the summary (one row per table, relation, KPI group or breaking kpi_values row) is fetched, through
Arrow. Each summary is a function `(SummaryContext, params) -> DataFrame`, named in the suite
files; its parameters come from the suite file's `summaries:` section.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import yaml

from dagster_project.ingest.contract import TABLES, TABLES_BY_KEY, ForeignKey, Table
from dagster_project.ingest.raw_schema import LEDGER_TABLE, QUARANTINE_SCHEMA, RAW_SCHEMA
from dagster_project.kpi_values import (
    KPI_VALUES_RELATION,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
)
from dagster_project.settings import PROJECT_ROOT

LOCAL_TIME_ZONE = "Europe/Copenhagen"
CATALOG_VIEW = "_quality_catalog"
# The dbt model of every definition version each KPI was computed under (the series' breaks).
DEFINITION_HISTORY = "main.kpi_definition_history"
ORPHAN_SAMPLE_SIZE = 5

log = logging.getLogger(__name__)


class SummaryUnavailable(RuntimeError):
    """The relation a summary reads does not exist (yet); its expectations fail with this message."""


@dataclass
class SummaryContext:
    """What a summary may read: the warehouse, the as-of date and the KPI catalog."""

    con: duckdb.DuckDBPyConnection
    as_of: date
    catalog: pd.DataFrame  # catalog.kpis: kpi_id, unit, is_additive, sources, grains, ...
    project_root: Path = PROJECT_ROOT
    kpi_values_relation: str = KPI_VALUES_RELATION
    _existing: set[str] | None = field(default=None, repr=False)

    def relation_exists(self, name: str) -> bool:
        """`schema.table` exists as a table or view (names compared in lower case)."""
        if self._existing is None:
            rows = self.con.execute(
                "select table_schema || '.' || table_name from information_schema.tables"
            ).fetchall()
            self._existing = {row[0].lower() for row in rows}
        return name.lower() in self._existing

    def columns_of(self, relation: str) -> list[str]:
        schema, _, table = relation.rpartition(".")
        rows = self.con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [schema or "main", table],
        ).fetchall()
        return [row[0] for row in rows]

    def frame(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run `sql` and fetch the result through Arrow, with a fresh 0..n-1 index."""
        table = self.con.sql(sql, params=params or None).to_arrow_table()
        return table.to_pandas().reset_index(drop=True)


@dataclass(frozen=True)
class Summary:
    name: str
    compute: Callable[[SummaryContext, dict[str, Any]], pd.DataFrame]
    # Columns shown for a failing row, before the columns the expectation checks.
    display_columns: tuple[str, ...]


# ── The KPI catalog, as the checks read it ───────────────────────────────────

# Column -> the type a column missing from an older catalog.kpis is read as.
_CATALOG_COLUMNS = {
    "kpi_id": "varchar",
    "unit": "varchar",
    "is_additive": "boolean",
    "sources": "varchar[]",
    "grains": "varchar[]",
    "freshness_limit_hours": "integer",
    "definition_version": "varchar",
    "value_min": "double",
    "value_max": "double",
    "range_breach": "varchar",
    "complete_breakdowns": "varchar[]",
}


def read_catalog(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """catalog.kpis of the warehouse (what the publish step reads), else the catalog file."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'catalog' and table_name = 'kpis'"
    ).fetchone()[0]
    if exists:
        available = {row[0] for row in con.execute("describe catalog.kpis").fetchall()}
        select = ", ".join(
            name if name in available else f"cast(null as {sql_type}) as {name}"
            for name, sql_type in _CATALOG_COLUMNS.items()
        )
        return con.sql(f"select {select} from catalog.kpis order by kpi_id").to_arrow_table().to_pandas()
    from dagster_project.catalog import load_catalog

    rows = [
        {
            "kpi_id": kpi.id,
            "unit": kpi.unit,
            "is_additive": kpi.additive,
            "sources": list(kpi.sources),
            "grains": list(kpi.grains),
            "freshness_limit_hours": kpi.freshness_limit_hours,
            "definition_version": None,
            "value_min": kpi.value_min,
            "value_max": kpi.value_max,
            "range_breach": kpi.range_breach,
            "complete_breakdowns": list(kpi.complete_breakdowns),
        }
        for kpi in load_catalog().kpis
    ]
    return pd.DataFrame(rows, columns=list(_CATALOG_COLUMNS))


def _with_catalog(ctx: SummaryContext, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    """Run `sql` with the catalog registered as the view `_quality_catalog`."""
    ctx.con.register(CATALOG_VIEW, ctx.catalog)
    try:
        return ctx.frame(sql, params)
    finally:
        ctx.con.unregister(CATALOG_VIEW)


def _sql_list(values: list[str] | tuple[str, ...]) -> str:
    return "[" + ", ".join(_quote(value) for value in values) + "]"


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _raw(table: Table) -> str:
    return f"{RAW_SCHEMA}.{table.raw_table}"


# ── Freshness ────────────────────────────────────────────────────────────────


def _event_time_sql(table: Table, columns: list[str]) -> str:
    """The newest event of a raw table as an instant; a date counts as the end of its local day."""
    parts = []
    for name in columns:
        column = table.column(name)
        if column.type == "ts":
            parts.append(f'max("{name}")')
        elif column.type == "date":
            parts.append(f"timezone('{LOCAL_TIME_ZONE}', cast(max(\"{name}\") + 1 as timestamp))")
        else:
            raise ValueError(f"{table.key}.{name} is not a timestamp or date column")
    newest = parts[0] if len(parts) == 1 else f"greatest({', '.join(parts)})"
    return f"select {_quote(table.key)} as source_table, {newest} as newest_event_at from {_raw(table)}"


def source_freshness(ctx: SummaryContext, params: dict[str, Any]) -> pd.DataFrame:
    """One row per KPI and source table: limit, whether delivered, newest ingest and event, ages in hours."""
    event_columns: dict[str, list[str]] = params.get("event_columns") or {}
    for key, columns in event_columns.items():
        if key not in TABLES_BY_KEY:
            raise ValueError(f"event_columns: {key!r} is not a contract table")
        for name in columns:
            TABLES_BY_KEY[key].column(name)  # raises on an unknown column
    event_selects = [
        _event_time_sql(TABLES_BY_KEY[key], columns)
        for key, columns in event_columns.items()
        if columns and ctx.relation_exists(_raw(TABLES_BY_KEY[key]))
    ]
    events = " union all ".join(event_selects) or (
        "select cast(null as varchar) as source_table, cast(null as timestamptz) as newest_event_at limit 0"
    )
    # A duplicate file counts as a delivery: the source sent its extract and nothing had changed.
    ingests = (
        f"""select source_table, max(ingested_at) as newest_ingested_at,
                count(*) filter (where status = 'loaded') > 0 as is_delivered
            from {LEDGER_TABLE} where status in ('loaded', 'duplicate') group by source_table"""
        if ctx.relation_exists(LEDGER_TABLE)
        else "select cast(null as varchar) as source_table, cast(null as timestamptz) as newest_ingested_at, "
        "false as is_delivered limit 0"
    )
    sql = f"""
        with
        measured as (
            select timezone('{LOCAL_TIME_ZONE}', cast(cast(? as date) + 1 as timestamp)) as measured_at
        ),
        events as ({events}),
        ingests as ({ingests}),
        kpi_sources as (
            select kpi_id, unnest(sources) as source_table, freshness_limit_hours
            from {CATALOG_VIEW}
        )
        select
            kpi_sources.kpi_id,
            kpi_sources.source_table,
            cast(kpi_sources.freshness_limit_hours as double) as freshness_limit_hours,
            ingests.newest_ingested_at,
            round((epoch(measured.measured_at) - epoch(ingests.newest_ingested_at)) / 3600, 2)
                as ingest_age_hours,
            events.newest_event_at,
            round((epoch(measured.measured_at) - epoch(events.newest_event_at)) / 3600, 2)
                as event_age_hours,
            coalesce(ingests.is_delivered, false) as is_delivered,
            list_contains(?, kpi_sources.source_table) as is_event_table,
            list_contains(?, kpi_sources.source_table) as has_event_time,
            measured.measured_at
        from kpi_sources
        cross join measured
        left join ingests on kpi_sources.source_table = ingests.source_table
        left join events on kpi_sources.source_table = events.source_table
        order by kpi_sources.source_table, kpi_sources.kpi_id
    """
    timed = [key for key, columns in event_columns.items() if columns]
    return _with_catalog(ctx, sql, [ctx.as_of, list(event_columns), timed])


# ── Ingest health ────────────────────────────────────────────────────────────


def _contract_tables_sql() -> str:
    return f"select unnest({_sql_list([table.key for table in TABLES])}) as source_table"


def quarantine_rates(ctx: SummaryContext, params: dict[str, Any]) -> pd.DataFrame:
    """Per contract table: the quarantine rate of its latest ingest batch with loaded files."""
    if not ctx.relation_exists(LEDGER_TABLE):
        raise SummaryUnavailable(f"{LEDGER_TABLE} does not exist: nothing was ingested")
    frame = ctx.frame(
        f"""
        with
        tables as ({_contract_tables_sql()}),
        loaded as (select * from {LEDGER_TABLE} where status = 'loaded'),
        latest as (
            select source_table, arg_max(batch_id, file_id) as batch_id from loaded group by source_table
        ),
        latest_batch as (
            select
                loaded.source_table,
                loaded.batch_id,
                count(*) as files,
                cast(sum(loaded.rows_read) as bigint) as rows_read,
                cast(sum(loaded.rows_quarantined) as bigint) as rows_quarantined,
                max(loaded.ingested_at) as ingested_at
            from loaded
            inner join latest
                on loaded.source_table = latest.source_table and loaded.batch_id = latest.batch_id
            group by loaded.source_table, loaded.batch_id
        ),
        overall as (
            select source_table, sum(rows_read) as rows_read, sum(rows_quarantined) as rows_quarantined
            from loaded group by source_table
        )
        select
            tables.source_table,
            latest_batch.batch_id as latest_batch_id,
            latest_batch.ingested_at,
            latest_batch.files,
            latest_batch.rows_read,
            latest_batch.rows_quarantined,
            latest_batch.rows_quarantined / nullif(latest_batch.rows_read, 0) as quarantine_rate,
            overall.rows_quarantined / nullif(overall.rows_read, 0) as all_time_quarantine_rate
        from tables
        left join latest_batch on tables.source_table = latest_batch.source_table
        left join overall on tables.source_table = overall.source_table
        order by tables.source_table
        """
    )
    frame["top_reasons"] = [
        _top_reasons(ctx, source_table, batch_id) if quarantined else None
        for source_table, batch_id, quarantined in zip(
            frame["source_table"], frame["latest_batch_id"], frame["rows_quarantined"].fillna(0), strict=True
        )
    ]
    return frame


def _top_reasons(ctx: SummaryContext, source_table: str, batch_id: str, limit: int = 3) -> str | None:
    relation = f"{QUARANTINE_SCHEMA}.{TABLES_BY_KEY[source_table].raw_table}"
    if not ctx.relation_exists(relation):
        return None
    rows = ctx.con.execute(
        f"select reason, count(*) as n from {relation} where _batch_id = ? group by reason "
        "order by n desc, reason limit ?",
        [batch_id, limit],
    ).fetchall()
    return "; ".join(f"{reason} ({n})" for reason, n in rows) or None


def load_acknowledgements(path: Path) -> list[dict[str, Any]]:
    """The acknowledged rejected files: source_table, file_path, content_hash, acknowledged_by, reason."""
    if not path.is_file():
        return []
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = document.get("acknowledged") or []
    required = ("source_table", "file_path", "content_hash", "acknowledged_by", "reason")
    for index, entry in enumerate(entries, 1):
        missing = [key for key in required if not entry.get(key)]
        if missing:
            raise ValueError(f"{path.name}: acknowledgement #{index} has no {missing[0]}")
    return entries


def rejected_files(ctx: SummaryContext, params: dict[str, Any]) -> pd.DataFrame:
    """One row per file the ingest rejected whole, with whether it is acknowledged or superseded."""
    if not ctx.relation_exists(LEDGER_TABLE):
        raise SummaryUnavailable(f"{LEDGER_TABLE} does not exist: nothing was ingested")
    frame = ctx.frame(
        f"""
        select
            rejected.source_table,
            rejected.file_path,
            rejected.content_hash,
            rejected.file_id,
            rejected.ingested_at,
            rejected.message,
            exists (
                select 1 from {LEDGER_TABLE} as later
                where later.source_table = rejected.source_table
                    and later.file_path = rejected.file_path
                    and later.status = 'loaded'
                    and later.file_id > rejected.file_id
            ) as is_superseded
        from {LEDGER_TABLE} as rejected
        where rejected.status = 'rejected'
        order by rejected.file_id
        """
    )
    path = ctx.project_root / params.get("acknowledgements", "expectations/acknowledged_rejections.yml")
    acknowledged = {
        (entry["source_table"], entry["file_path"], entry["content_hash"]): entry
        for entry in load_acknowledgements(path)
    }
    entries = [
        acknowledged.get(key)
        for key in zip(frame["source_table"], frame["file_path"], frame["content_hash"], strict=True)
    ]
    frame["is_acknowledged"] = [entry is not None for entry in entries]
    frame["acknowledged_by"] = [entry["acknowledged_by"] if entry else None for entry in entries]
    frame["is_resolved"] = frame["is_acknowledged"] | frame["is_superseded"].astype(bool)
    return frame


def ledger_reconciliation(ctx: SummaryContext, params: dict[str, Any]) -> pd.DataFrame:
    """Per loaded file: ledger counts against the rows the raw and quarantine tables hold for it."""
    if not ctx.relation_exists(LEDGER_TABLE):
        raise SummaryUnavailable(f"{LEDGER_TABLE} does not exist: nothing was ingested")
    counted = []
    for table in TABLES:
        for kind, relation in (
            ("raw", _raw(table)),
            ("quarantine", f"{QUARANTINE_SCHEMA}.{table.raw_table}"),
        ):
            if ctx.relation_exists(relation):
                counted.append(
                    f"select {_quote(table.key)} as source_table, {_quote(kind)} as kind, _file_id as file_id, "
                    f"count(*) as n from {relation} group by _file_id"
                )
    counts = " union all ".join(counted) or (
        "select cast(null as varchar) as source_table, cast(null as varchar) as kind, "
        "cast(null as bigint) as file_id, cast(null as bigint) as n limit 0"
    )
    return ctx.frame(
        f"""
        with
        counts as ({counts}),
        per_file as (
            select
                source_table,
                file_id,
                cast(coalesce(sum(n) filter (where kind = 'raw'), 0) as bigint) as raw_rows,
                cast(coalesce(sum(n) filter (where kind = 'quarantine'), 0) as bigint) as quarantine_rows
            from counts
            group by source_table, file_id
        ),
        loaded as (select * from {LEDGER_TABLE} where status = 'loaded')
        select
            coalesce(loaded.source_table, per_file.source_table) as source_table,
            coalesce(loaded.file_id, per_file.file_id) as file_id,
            loaded.file_path,
            loaded.rows_read,
            loaded.rows_loaded,
            loaded.rows_quarantined,
            coalesce(per_file.raw_rows, 0) as raw_rows,
            coalesce(per_file.quarantine_rows, 0) as quarantine_rows,
            cast(
                abs(coalesce(loaded.rows_read, 0) - coalesce(loaded.rows_loaded, 0)
                    - coalesce(loaded.rows_quarantined, 0))
                + abs(coalesce(loaded.rows_loaded, 0) - coalesce(per_file.raw_rows, 0))
                + abs(coalesce(loaded.rows_quarantined, 0) - coalesce(per_file.quarantine_rows, 0))
                as bigint
            ) as mismatched_rows
        from loaded
        full outer join per_file
            on loaded.source_table = per_file.source_table and loaded.file_id = per_file.file_id
        order by 2
        """
    )


def _orphan_condition(child: str, parent: str, foreign_key: ForeignKey, parent_table: Table) -> str:
    """SQL: the child row's key is set and no row of the parent carries it."""
    not_null = " and ".join(f'{child}."{column}" is not null' for column in foreign_key.columns)
    match = " and ".join(
        f'{parent}."{parent_column}" = {child}."{column}"'
        for column, parent_column in zip(foreign_key.columns, foreign_key.parent_columns, strict=True)
    )
    return f"{not_null} and not exists (select 1 from {_raw(parent_table)} as {parent} where {match})"


def orphan_foreign_keys(ctx: SummaryContext, params: dict[str, Any]) -> pd.DataFrame:
    """Per foreign key of the contract: child rows (latest version) whose parent is not loaded.

    One anti-join per relation over every version of the child finds the candidate rows
    (usually few); a candidate is an orphan when it is the latest version of its key, which is
    decided on the versions of the candidate keys alone. So a relation costs one hash join and
    one scan of the child's key columns, however large the table.
    """
    rows = []
    for table in TABLES:
        for foreign_key in table.foreign_keys:
            parent_table = TABLES_BY_KEY[foreign_key.parent]
            relation = (
                f"{table.key}({', '.join(foreign_key.columns)}) -> "
                f"{parent_table.key}({', '.join(foreign_key.parent_columns)})"
            )
            row = {
                "source_table": table.key,
                "relation": relation,
                "parent_table": parent_table.key,
                "orphan_rows": 0,
                "orphan_keys_sample": None,
            }
            rows.append(row)
            if ctx.relation_exists(_raw(table)) and ctx.relation_exists(_raw(parent_table)):
                row["orphan_rows"], row["orphan_keys_sample"] = _orphans(
                    ctx, table, foreign_key, parent_table
                )
    return pd.DataFrame(
        rows, columns=["source_table", "relation", "parent_table", "orphan_rows", "orphan_keys_sample"]
    )


def _orphans(
    ctx: SummaryContext, table: Table, foreign_key: ForeignKey, parent_table: Table
) -> tuple[int, str | None]:
    """(orphan rows, a sample of their foreign key values) of one relation."""
    key = [f'"{column}"' for column in table.primary_key]
    candidate_columns = ", ".join(
        f'child."{column}"' for column in dict.fromkeys((*table.primary_key, *foreign_key.columns))
    )
    fk_text = " || ', ' || ".join(f'cast(candidates."{column}" as varchar)' for column in foreign_key.columns)
    count, sample = ctx.con.execute(
        f"""
        with
        candidates as materialized (
            select {candidate_columns}, child._file_id, child._source_line
            from {_raw(table)} as child
            where {_orphan_condition("child", "parent", foreign_key, parent_table)}
        ),
        latest_versions as (
            select {", ".join(f"child.{column}" for column in key)},
                max(struct_pack(file_id := child._file_id, line := child._source_line)) as latest
            from {_raw(table)} as child
            semi join (select distinct {", ".join(key)} from candidates) as keys using ({", ".join(key)})
            group by all
        ),
        orphans as (
            select {fk_text} as orphan_key
            from candidates
            inner join latest_versions using ({", ".join(key)})
            where struct_pack(file_id := candidates._file_id, line := candidates._source_line)
                = latest_versions.latest
        )
        select count(*), list(distinct orphan_key order by orphan_key)[1:{ORPHAN_SAMPLE_SIZE}]
        from orphans
        """
    ).fetchone()
    return count, ", ".join(sample or []) or None


# ── kpi_values ───────────────────────────────────────────────────────────────


def _kpi_values_select(ctx: SummaryContext) -> str:
    """The kpi_values columns the checks read; a missing optional column reads as null."""
    relation = ctx.kpi_values_relation
    if not ctx.relation_exists(relation):
        raise SummaryUnavailable(f"{relation} does not exist: the dbt models have not been built")
    available = set(ctx.columns_of(relation))
    optional = OPTIONAL_COLUMNS
    columns = list(REQUIRED_COLUMNS)
    missing = [name for name in columns if name not in available]
    if missing:
        raise SummaryUnavailable(f"{relation} has no column {missing[0]!r}")
    columns += [
        name if name in available else f"cast(null as {sql_type}) as {name}"
        for name, sql_type in optional.items()
    ]
    return f"select {', '.join(columns)} from {relation}"


# The frame column that says how many kpi_values rows a frame row stands for (see kpi_values).
REPRESENTED_ROWS = "represented_rows"


def kpi_values(ctx: SummaryContext, params: dict[str, Any]) -> pd.DataFrame:
    """kpi_values with its KPI's value range from the catalog and the per-row quantities the
    expectations check: every row that breaks a rule as itself, the rows that break none
    collapsed into one per KPI, grain and range rule.

    A warehouse of millions of values breaks few or none of the row rules, and fetching every
    row into pandas cost most of the suite's time and memory (2.3 million rows at scale 10).
    So DuckDB judges the rows, and Great Expectations sees each breaking row with its period,
    dimension and value (what a failure report shows) beside one row per group of passing
    rows; `represented_rows` says how many rows of kpi_values a frame row stands for, and the
    runner counts the rows checked with it.
    """
    sql = f"""
        with
        kpi_values as ({_kpi_values_select(ctx)}),
        checked as (
            select
                kpi_values.*,
                {CATALOG_VIEW}.unit,
                {CATALOG_VIEW}.value_min,
                {CATALOG_VIEW}.value_max,
                coalesce({CATALOG_VIEW}.range_breach, 'error') as range_breach
            from kpi_values
            left join {CATALOG_VIEW} on kpi_values.kpi_id = {CATALOG_VIEW}.kpi_id
        ),
        judged as (
            select
                kpi_id,
                grain,
                period_start,
                period_end,
                dimension_name,
                dimension_value,
                value,
                numerator,
                denominator,
                sample_size,
                is_complete_period,
                is_provisional,
                null_reason,
                definition_version,
                as_of_date,
                unit,
                value_min,
                value_max,
                range_breach,
                coalesce(value >= value_min, true) and coalesce(value <= value_max, true) as is_within_range,
                -- A numerator is a count or sum of non-negative things unless the value may be below 0
                -- (NPS: promoters minus detractors).
                least(
                    case when value_min >= 0 then numerator end,
                    denominator,
                    sample_size
                ) as smallest_non_negative_part,
                coalesce(as_of_date = cast(? as date), false) as is_built_for_as_of
            from checked
        ),
        breaking as (
            select *, cast(1 as bigint) as {REPRESENTED_ROWS}
            from judged
            where not (
                is_within_range
                and coalesce(smallest_non_negative_part >= 0, true)
                and is_built_for_as_of
            )
        ),
        passing as (
            select
                kpi_id,
                grain,
                any_value(unit) as unit,
                any_value(value_min) as value_min,
                any_value(value_max) as value_max,
                range_breach,
                true as is_within_range,
                min(smallest_non_negative_part) as smallest_non_negative_part,
                true as is_built_for_as_of,
                count(*) as {REPRESENTED_ROWS}
            from judged
            where is_within_range
                and coalesce(smallest_non_negative_part >= 0, true)
                and is_built_for_as_of
            group by kpi_id, grain, range_breach
        )
        select * from breaking
        union all by name
        select * from passing
        order by kpi_id, grain, period_start nulls first, dimension_name, dimension_value
    """
    return _with_catalog(ctx, sql, [ctx.as_of])


def kpi_additivity(ctx: SummaryContext, params: dict[str, Any]) -> pd.DataFrame:
    """Per additive KPI, grain, period and dimension: the sum of the breakdown against the total,
    and whether the catalog says that breakdown is complete (complete_breakdowns)."""
    sql = f"""
        with
        kpi_values as ({_kpi_values_select(ctx)}),
        additive as (
            select kpi_values.*, coalesce({CATALOG_VIEW}.complete_breakdowns, []) as complete_breakdowns
            from kpi_values
            inner join {CATALOG_VIEW} on kpi_values.kpi_id = {CATALOG_VIEW}.kpi_id
            where {CATALOG_VIEW}.is_additive
        ),
        totals as (
            select kpi_id, grain, period_start, value as total_value
            from additive
            where dimension_name = 'total' and dimension_value = 'total'
        ),
        breakdowns as (
            select
                kpi_id,
                grain,
                period_start,
                dimension_name,
                list_contains(any_value(complete_breakdowns), dimension_name) as is_complete_breakdown,
                count(*) as breakdown_rows,
                sum(value) as breakdown_sum
            from additive
            where dimension_name <> 'total'
            group by kpi_id, grain, period_start, dimension_name
        )
        select
            breakdowns.kpi_id,
            breakdowns.grain,
            breakdowns.period_start,
            breakdowns.dimension_name,
            breakdowns.breakdown_rows,
            breakdowns.breakdown_sum,
            totals.total_value,
            (breakdowns.breakdown_sum - coalesce(totals.total_value, 0))
                / greatest(abs(coalesce(totals.total_value, 0)), 1) as relative_excess,
            (coalesce(totals.total_value, 0) - breakdowns.breakdown_sum)
                / greatest(abs(coalesce(totals.total_value, 0)), 1) as relative_shortfall,
            breakdowns.is_complete_breakdown
        from breakdowns
        left join totals
            on breakdowns.kpi_id = totals.kpi_id
            and breakdowns.grain = totals.grain
            and breakdowns.period_start = totals.period_start
        order by 1, 2, 3, 4
    """
    return _with_catalog(ctx, sql)


def definition_versions(ctx: SummaryContext, params: dict[str, Any]) -> pd.DataFrame:
    """Per KPI in kpi_values: its versions there, the catalog's, and the last one recorded.

    The dbt model kpi_definition_history decides where the published series marks a break, so a
    change is judged against it: a KPI whose version differs from its last recorded one would be
    published without its break. Before the history exists, nothing has changed.
    """
    history = (
        f"""select kpi_id, arg_max(definition_version, first_computed_at) as published_version,
                max(first_computed_at) as published_since
            from {DEFINITION_HISTORY} group by kpi_id"""
        if ctx.relation_exists(DEFINITION_HISTORY)
        else "select cast(null as varchar) as kpi_id, cast(null as varchar) as published_version, "
        "cast(null as timestamptz) as published_since limit 0"
    )
    sql = f"""
        with
        kpi_values as ({_kpi_values_select(ctx)}),
        versions as (
            select
                kpi_id,
                count(distinct definition_version) as versions_in_kpi_values,
                count(*) filter (where definition_version is null) as rows_without_version,
                max(definition_version) as current_version
            from kpi_values
            group by kpi_id
        ),
        history as ({history})
        select
            versions.kpi_id,
            versions.versions_in_kpi_values,
            versions.rows_without_version,
            versions.current_version,
            {CATALOG_VIEW}.definition_version as catalog_version,
            {CATALOG_VIEW}.definition_version is not null and versions.current_version is not null
                as is_comparable_with_catalog,
            history.published_version,
            history.published_since,
            coalesce(
                history.published_version is not null
                and versions.current_version is not null
                and history.published_version <> versions.current_version,
                false
            ) as is_changed
        from versions
        left join {CATALOG_VIEW} on versions.kpi_id = {CATALOG_VIEW}.kpi_id
        left join history on versions.kpi_id = history.kpi_id
        order by 1
    """
    return _with_catalog(ctx, sql)


def revenue_consistency(ctx: SummaryContext, params: dict[str, Any]) -> pd.DataFrame:
    """Per month: the revenue inside ROAS and LTV/CAC against sales.revenue's monthly totals.

    ROAS's numerator is the revenue of orders in P from customers attributed to a campaign: a
    part of sales.revenue of P. LTV/CAC's numerator is the revenue of the 12 months ending with
    P divided by the customers with an order in them (its sample_size), so numerator ×
    sample_size is that revenue, which equals the sum of the 12 monthly sales.revenue totals.
    """
    sql = f"""
        with
        kpi_values as ({_kpi_values_select(ctx)}),
        monthly_totals as (
            select * from kpi_values
            where grain = 'month' and dimension_name = 'total' and dimension_value = 'total'
        ),
        sales as (
            select period_start, value as revenue from monthly_totals where kpi_id = 'sales.revenue'
        ),
        roas as (
            select
                'marketing.roas' as kpi_id,
                roas.period_start,
                roas.numerator as kpi_revenue,
                coalesce(sales.revenue, 0) as sales_revenue,
                'sales.revenue of the month' as compared_with
            from monthly_totals as roas
            left join sales on roas.period_start = sales.period_start
            where roas.kpi_id = 'marketing.roas' and roas.numerator is not null
        ),
        ltv as (
            select
                'marketing.ltv_to_cac' as kpi_id,
                ltv.period_start,
                ltv.numerator * ltv.sample_size as kpi_revenue,
                coalesce(sum(sales.revenue), 0) as sales_revenue,
                'sales.revenue of the 12 months ending with the month' as compared_with
            from monthly_totals as ltv
            left join sales
                on sales.period_start between cast(ltv.period_start - interval 11 month as date)
                and ltv.period_start
            where ltv.kpi_id = 'marketing.ltv_to_cac'
                and ltv.numerator is not null
                and ltv.sample_size > 0
            group by ltv.period_start, ltv.numerator, ltv.sample_size
        ),
        compared as (
            select * from roas
            union all
            select * from ltv
        )
        select
            kpi_id,
            period_start,
            kpi_revenue,
            sales_revenue,
            compared_with,
            (kpi_revenue - sales_revenue) / greatest(abs(sales_revenue), 1) as relative_excess,
            abs(kpi_revenue - sales_revenue) / greatest(abs(sales_revenue), 1) as relative_difference
        from compared
        order by 1, 2
    """
    return ctx.frame(sql)


SUMMARIES: dict[str, Summary] = {
    summary.name: summary
    for summary in (
        Summary(
            "source_freshness",
            source_freshness,
            ("kpi_id", "source_table", "freshness_limit_hours", "newest_ingested_at", "newest_event_at"),
        ),
        Summary(
            "quarantine_rates",
            quarantine_rates,
            ("source_table", "latest_batch_id", "files", "rows_read", "rows_quarantined", "top_reasons"),
        ),
        Summary(
            "rejected_files",
            rejected_files,
            ("source_table", "file_path", "content_hash", "ingested_at", "message", "is_superseded"),
        ),
        Summary(
            "ledger_reconciliation",
            ledger_reconciliation,
            (
                "source_table",
                "file_id",
                "file_path",
                "rows_read",
                "rows_loaded",
                "rows_quarantined",
                "raw_rows",
                "quarantine_rows",
            ),
        ),
        Summary(
            "orphan_foreign_keys", orphan_foreign_keys, ("source_table", "relation", "orphan_keys_sample")
        ),
        Summary(
            "kpi_values",
            kpi_values,
            (
                "kpi_id",
                "grain",
                "period_start",
                "dimension_name",
                "dimension_value",
                "value",
                "numerator",
                "denominator",
                "null_reason",
                "value_min",
                "value_max",
            ),
        ),
        Summary(
            "kpi_additivity",
            kpi_additivity,
            ("kpi_id", "grain", "period_start", "dimension_name", "breakdown_sum", "total_value"),
        ),
        Summary(
            "definition_versions",
            definition_versions,
            ("kpi_id", "current_version", "catalog_version", "published_version", "published_since"),
        ),
        Summary(
            "revenue_consistency",
            revenue_consistency,
            ("kpi_id", "period_start", "kpi_revenue", "sales_revenue", "compared_with"),
        ),
    )
}
