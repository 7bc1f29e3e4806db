"""kpi_values → kpi_scorecard: every value with the context kpis.md asks for.

Computed in the warehouse connection as temporary tables (nothing is written to the warehouse but
the definition history and the commentary cache, after a successful publish: `persist_history`,
`persist_commentary_cache`):

    _pub_kpis       catalog.kpis with the current definition version
    _pub_values     kpi_values of catalog KPIs (suppressed HR cells forced null)
    _pub_core       + target, gap, status, previous period, same period last year, freshness,
                      data quality, definition break
    _pub_flags      guardrail, CSAT selection-bias and definition-drift flags (flags.py)
    _pub_scorecard  the published table, in SCORECARD_COLUMNS order

Targets: a constant target applies to every row of a non-additive KPI and to the total of an
additive one (a count per region has no share of a company target); per-period targets
(catalog.kpi_targets) to the total row of their grain and period; the budget target of
sales.revenue to month rows, the total summing the latest budget version of every region
(raw.finance__budgets, latest by `_file_id desc, _source_line desc`), a region row its own.

Data freshness: per source table the newest event time in its raw table (the contract's event
timestamps and dates; a date counts from its local midnight); a KPI is as fresh as its stalest
source with events (lookup tables without events, such as crm.products, do not count; a KPI with
no such source uses the last ingest time of its sources). freshness_hours runs to the reference
time: the end of the as-of day (Europe/Copenhagen), or the computation time when that is earlier.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

from dagster_project.ingest.contract import TABLES
from dagster_project.kpi_values import (
    KEY_COLUMNS,
    KPI_VALUES_RELATION,
    OPTIONAL_COLUMNS,
    PEOPLE_COUNT,
    REQUIRED_COLUMNS,
)
from dagster_project.publish import commentary as commentary_module
from dagster_project.publish import formatting as formatting_module
from dagster_project.publish.annotations import install_macros
from dagster_project.publish.commentary import commentary
from dagster_project.publish.flags import break_periods, build_flags

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")
HISTORY_SCHEMA = "publish"
HISTORY_TABLE = f"{HISTORY_SCHEMA}.kpi_definition_history"
DATA_QUALITY_RELATION = "quality.kpi_data_quality"
DATA_QUALITY_STATUSES = ("ok", "warning", "error", "unknown")
SUPPRESSION_REASONS = ("group below 5", "complementary suppression")
PRIVACY_MIN_PEOPLE = 5
# HR KPIs computed over people (kpis.md, Privacy); time to hire and internal mobility count positions.
PEOPLE_KPIS = (
    "hr.employee_turnover",
    "hr.sick_absence_rate",
    "hr.employee_satisfaction",
    "hr.enps",
    "hr.early_attrition_rate",
)

# people_count is required here, not optional: read as null, the privacy guard in _load_values
# would never fire.
PUBLISH_REQUIRED_COLUMNS = (*REQUIRED_COLUMNS, PEOPLE_COUNT)

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


class PublishError(RuntimeError):
    """The input cannot be published as it is; the message says what to fix."""


@dataclass(frozen=True)
class DataQuality:
    """Data-quality verdict on a KPI's inputs, as the Great Expectations step reports it."""

    status: str = "unknown"  # ok | warning | error | unknown
    messages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in DATA_QUALITY_STATUSES:
            raise ValueError(f"data quality status {self.status!r} is not one of {DATA_QUALITY_STATUSES}")


def normalize_data_quality(
    data_quality: Mapping[str, DataQuality | str] | None,
) -> dict[str, DataQuality]:
    """kpi_id → DataQuality; a bare status string is accepted for a KPI without messages."""
    return {
        kpi_id: verdict if isinstance(verdict, DataQuality) else DataQuality(verdict)
        for kpi_id, verdict in (data_quality or {}).items()
    }


def read_data_quality(
    con: duckdb.DuckDBPyConnection, relation: str = DATA_QUALITY_RELATION
) -> dict[str, DataQuality]:
    """The verdicts a quality step left in the warehouse, if it did.

    Expected relation: `quality.kpi_data_quality(kpi_id, data_quality_status, message)`, any
    number of rows per KPI; the worst status wins (error > warning > ok > unknown) and the
    messages are listed worst first.
    """
    try:
        rows = con.execute(
            f"""
            select kpi_id, data_quality_status, message from {relation}
            order by kpi_id,
                case data_quality_status when 'error' then 0 when 'warning' then 1 when 'ok' then 2 else 3 end,
                message
            """
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    rank = {"unknown": 0, "ok": 1, "warning": 2, "error": 3}
    verdicts: dict[str, DataQuality] = {}
    for kpi_id, status, message in rows:
        status = status if status in rank else "unknown"
        current = verdicts.get(kpi_id, DataQuality())
        worst = max(current.status, status, key=rank.__getitem__)
        messages = current.messages + ((message,) if message else ())
        verdicts[kpi_id] = DataQuality(worst, messages)
    return verdicts


@dataclass(frozen=True)
class ScorecardSummary:
    rows: int
    kpis: int
    flagged_rows: int
    flag_counts: dict[str, int]
    reference_at: datetime
    dropped_kpi_ids: tuple[str, ...] = ()
    new_versions: tuple[tuple[str, str], ...] = ()
    history: tuple[tuple, ...] = field(default=(), repr=False)
    sentences_worded: int = 0  # rows whose commentary was not in the cache


def reference_time(as_of: date, computed_at: datetime) -> datetime:
    """The moment data freshness is measured to: the end of the as-of day, or now if earlier."""
    end_of_day = datetime.combine(as_of + timedelta(days=1), time(), tzinfo=LOCAL_TZ)
    return min(end_of_day, computed_at)


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    try:
        return [column[0] for column in con.execute(f"select * from {relation} limit 0").description]
    except duckdb.CatalogException as error:
        raise PublishError(f"{relation} does not exist: build the KPI models first ({error})") from None


def _exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    try:
        con.execute(f"select * from {relation} limit 0")
    except duckdb.CatalogException:
        return False
    return True


def _load_kpis(con: duckdb.DuckDBPyConnection) -> None:
    columns = _columns(con, "catalog.kpis")
    version = "definition_version" if "definition_version" in columns else "cast(null as varchar)"
    con.execute(
        f"""
        create or replace temp table _pub_kpis as
        select
            kpi_id, function, role, name_da, name_en, question_da, question_en, definition_da,
            definition_en, unit, direction, owner, refresh_cadence, freshness_limit_hours, grains,
            dimensions, is_additive, sources, target_type, target_value,
            {version} as definition_version
        from catalog.kpis
        """
    )
    if version != "definition_version":
        # An older catalog table without versions: version the catalog entry alone.
        from dagster_project.catalog import definition_version, load_catalog

        catalog = load_catalog()
        con.executemany(
            "update _pub_kpis set definition_version = ? where kpi_id = ?",
            [(definition_version(kpi, ""), kpi.id) for kpi in catalog.kpis],
        )


def _load_values(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[str, ...]:
    columns = _columns(con, relation)
    missing = [column for column in PUBLISH_REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise PublishError(f"{relation} lacks the column(s) {', '.join(missing)}")
    optional = {
        name: name if name in columns else f"cast(null as {OPTIONAL_COLUMNS[name]})"
        for name in ("sample_size", "definition_version")
    }
    suppressed = ", ".join(f"'{reason}'" for reason in SUPPRESSION_REASONS)
    con.execute(
        f"""
        create or replace temp table _pub_values as
        with source as (
            select
                cast(v.kpi_id as varchar) as kpi_id,
                cast(v.grain as varchar) as grain,
                cast(v.period_start as date) as period_start,
                cast(v.period_end as date) as period_end,
                cast(v.dimension_name as varchar) as dimension_name,
                cast(v.dimension_value as varchar) as dimension_value,
                cast(v.value as double) as value,
                cast(v.numerator as double) as numerator,
                cast(v.denominator as double) as denominator,
                cast({optional["sample_size"]} as bigint) as sample_size,
                coalesce(cast(v.is_complete_period as boolean), false) as is_complete_period,
                coalesce(cast(v.is_provisional as boolean), false) as is_provisional,
                cast(v.null_reason as varchar) as null_reason,
                cast({optional["definition_version"]} as varchar) as row_definition_version,
                cast(v.people_count as double) as people_count
            from {relation} as v
            where v.kpi_id in (select kpi_id from _pub_kpis)
        )
        -- A suppressed HR cell publishes no number at all, not even how many it was taken over.
        select * replace (
            case when null_reason in ({suppressed}) then null else value end as value,
            case when null_reason in ({suppressed}) then null else numerator end as numerator,
            case when null_reason in ({suppressed}) then null else denominator end as denominator,
            case when null_reason in ({suppressed}) then null else sample_size end as sample_size
        )
        from source
        """
    )
    duplicates = con.execute(
        f"select {', '.join(KEY_COLUMNS)}, count(*) from _pub_values group by all having count(*) > 1 limit 3"
    ).fetchall()
    if duplicates:
        raise PublishError(
            f"{relation} has more than one row per {', '.join(KEY_COLUMNS)}, e.g. {duplicates}"
        )
    people_kpis = ", ".join(f"'{kpi_id}'" for kpi_id in PEOPLE_KPIS)
    leaks = con.execute(
        f"""
        select kpi_id, grain, period_start, dimension_name, dimension_value
        from _pub_values
        where kpi_id in ({people_kpis})
            and value is not null
            -- No count is no proof of 5 people either: the mart sets one on every value it shows.
            and (people_count is null or people_count < {PRIVACY_MIN_PEOPLE})
        limit 3
        """
    ).fetchall()
    if leaks:
        # The keys only: the people counts themselves are not to be repeated, not even in a log.
        raise PublishError(
            f"HR values computed over fewer than {PRIVACY_MIN_PEOPLE} people (or with no people_count) "
            f"are not suppressed in {relation} (e.g. {leaks}); refusing to publish them"
        )
    dropped = con.execute(
        f"select distinct kpi_id from {relation} where kpi_id not in (select kpi_id from _pub_kpis) order by 1"
    ).fetchall()
    return tuple(row[0] for row in dropped)


def _load_budgets(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        create or replace temp table _pub_budgets (
            period_start date, dimension_name varchar, dimension_value varchar, target double
        )
        """
    )
    if not _exists(con, "raw.finance__budgets"):
        return
    con.execute(
        """
        insert into _pub_budgets
        with latest as (
            select cast(month as date) as budget_month, region, revenue_budget
            from raw.finance__budgets
            qualify row_number() over (
                partition by month, region order by _file_id desc, _source_line desc
            ) = 1
        )
        select budget_month, 'total', 'total', sum(revenue_budget) from latest group by budget_month
        union all
        select budget_month, 'region', region, revenue_budget from latest
        """
    )


def source_times_sql(existing_raw_tables: set[str]) -> str:
    """Per contract table: whether it has event columns and its newest event time."""
    parts = []
    for table in TABLES:
        events = [c for c in table.columns if c.type in ("ts", "date") and c.is_event]
        if table.raw_table not in existing_raw_tables:
            continue
        if not events:
            parts.append(
                f"select '{table.key}' as source_table, false as has_events, "
                f"cast(null as timestamptz) as newest_event_at"
            )
            continue
        maxima = [
            f'max("{c.name}")'
            if c.type == "ts"
            else f"timezone('Europe/Copenhagen', cast(max(\"{c.name}\") as timestamp))"
            for c in events
        ]
        parts.append(
            f"select '{table.key}' as source_table, true as has_events, "
            f"cast(greatest({', '.join(maxima)}) as timestamptz) as newest_event_at from raw.{table.raw_table}"
        )
    if not parts:
        return "select cast(null as varchar) as source_table, false as has_events, cast(null as timestamptz) as newest_event_at where false"
    return "\nunion all\n".join(parts)


def _load_freshness(con: duckdb.DuckDBPyConnection, reference_at: datetime) -> None:
    raw_tables = {
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' and database_name = current_database()"
        ).fetchall()
    }
    con.execute(f"create or replace temp table _pub_source_times as {source_times_sql(raw_tables)}")
    ledger = (
        "select source_table, max(ingested_at) as last_ingested_at from raw._file_ledger "
        "where status = 'loaded' group by source_table"
        if "_file_ledger" in raw_tables
        else "select cast(null as varchar) as source_table, cast(null as timestamptz) as last_ingested_at where false"
    )
    con.execute(
        f"""
        create or replace temp table _pub_freshness as
        with sources as (
            select kpi_id, unnest(sources) as source_table from _pub_kpis
        ),
        ledger as ({ledger}),
        joined as (
            select sources.kpi_id, times.has_events, times.newest_event_at, ledger.last_ingested_at
            from sources
            left join _pub_source_times as times on times.source_table = sources.source_table
            left join ledger on ledger.source_table = sources.source_table
        )
        select
            kpi_id,
            coalesce(
                min(newest_event_at) filter (where has_events),
                min(last_ingested_at)
            ) as data_freshness_at
        from joined
        group by kpi_id
        """
    )
    con.execute(
        """
        alter table _pub_freshness add column freshness_hours double;
        update _pub_freshness set freshness_hours =
            round(greatest(epoch(cast(? as timestamptz)) - epoch(data_freshness_at), 0) / 3600, 1)
        where data_freshness_at is not null
        """,
        [reference_at],
    )


def _load_data_quality(con: duckdb.DuckDBPyConnection, verdicts: dict[str, DataQuality]) -> None:
    con.execute(
        "create or replace temp table _pub_dq (kpi_id varchar, data_quality_status varchar, data_quality_notes varchar)"
    )
    if verdicts:
        con.executemany(
            "insert into _pub_dq values (?, ?, ?)",
            [
                (kpi_id, verdict.status, " | ".join(verdict.messages) or None)
                for kpi_id, verdict in verdicts.items()
            ],
        )


# ── Definition history ───────────────────────────────────────────────────────

HISTORY_DDL = f"""
create table if not exists {HISTORY_TABLE} (
    kpi_id varchar not null,
    definition_version varchar not null,
    first_published_at timestamptz not null,
    first_as_of date not null
)
"""


def read_history(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    if not _exists(con, HISTORY_TABLE):
        return []
    return con.execute(
        f"select kpi_id, definition_version, first_published_at, first_as_of from {HISTORY_TABLE} "
        "order by first_published_at, kpi_id"
    ).fetchall()


def _load_versions(
    con: duckdb.DuckDBPyConnection, as_of: date, computed_at: datetime
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple, ...]]:
    """Current version per KPI; the history with this run's new versions; the breaks to mark."""
    current = con.execute(
        """
        select kpis.kpi_id, coalesce(latest.version, kpis.definition_version)
        from _pub_kpis as kpis
        left join (
            select kpi_id, arg_max(row_definition_version, period_start) as version
            from _pub_values
            where row_definition_version is not null
            group by kpi_id
        ) as latest on latest.kpi_id = kpis.kpi_id
        where kpis.kpi_id in (select distinct kpi_id from _pub_values)
        order by 1
        """
    ).fetchall()
    history = read_history(con)
    last_version = {}
    for kpi_id, version, _, _ in history:
        last_version[kpi_id] = version
    new = tuple(
        (kpi_id, version) for kpi_id, version in current if version and last_version.get(kpi_id) != version
    )
    full_history = tuple(history) + tuple((kpi_id, version, computed_at, as_of) for kpi_id, version in new)
    con.execute(
        "create or replace temp table _pub_current_versions (kpi_id varchar, definition_version varchar)"
    )
    if current:
        con.executemany("insert into _pub_current_versions values (?, ?)", current)
    con.execute(
        """
        create or replace temp table _pub_history (
            kpi_id varchar, definition_version varchar, first_published_at timestamptz, first_as_of date
        )
        """
    )
    if full_history:
        con.executemany("insert into _pub_history values (?, ?, ?, ?)", full_history)
    con.execute(
        "create or replace temp table _pub_breaks (kpi_id varchar, break_on date, old_version varchar, new_version varchar)"
    )
    breaks = break_periods(list(full_history))
    if breaks:
        con.executemany("insert into _pub_breaks values (?, ?, ?, ?)", breaks)
    return new, full_history


def persist_history(
    con: duckdb.DuckDBPyConnection,
    new_versions: tuple[tuple[str, str], ...],
    computed_at: datetime,
    as_of: date,
) -> None:
    """Record this run's new definition versions in the warehouse (after a successful publish)."""
    if not new_versions:
        return
    con.execute(f"create schema if not exists {HISTORY_SCHEMA}")
    con.execute(HISTORY_DDL)
    con.executemany(
        f"insert into {HISTORY_TABLE} values (?, ?, ?, ?)",
        [(kpi_id, version, computed_at, as_of) for kpi_id, version in new_versions],
    )


# ── The core table ───────────────────────────────────────────────────────────

CORE_SQL = """
create or replace temp table _pub_core as
with

base as (
    select
        val.*,
        kpis.function,
        kpis.role,
        kpis.name_da,
        kpis.name_en,
        kpis.question_da,
        kpis.question_en,
        kpis.definition_da,
        kpis.definition_en,
        kpis.unit,
        kpis.direction,
        kpis.owner,
        kpis.refresh_cadence,
        kpis.target_type,
        case
            when kpis.target_type = 'constant' and (not kpis.is_additive or val.dimension_name = 'total')
                then kpis.target_value
            when kpis.target_type = 'per_period' and val.dimension_name = 'total' then targets.target
            when kpis.target_type = 'budget' and val.grain = 'month' then budgets.target
        end as target,
        kpi_previous_period_start(val.grain, val.period_start) as previous_period_start,
        kpi_same_period_last_year_start(val.grain, val.period_start) as last_year_period_start,
        coalesce(val.row_definition_version, versions.definition_version) as definition_version
    from _pub_values as val
    inner join _pub_kpis as kpis on kpis.kpi_id = val.kpi_id
    left join _pub_current_versions as versions on versions.kpi_id = val.kpi_id
    left join catalog.kpi_targets as targets
        on targets.kpi_id = val.kpi_id
        and targets.grain = val.grain
        and targets.period_start = val.period_start
    left join _pub_budgets as budgets
        on kpis.target_type = 'budget'
        and val.grain = 'month'
        and budgets.period_start = val.period_start
        and budgets.dimension_name = val.dimension_name
        and budgets.dimension_value = val.dimension_value
),

annotated as (
    select
        base.*,
        round(kpi_target_gap(base.value, base.target), 10) as target_gap,
        kpi_status(base.value, base.target, base.direction) as status,
        previous.value as previous_value,
        previous.is_provisional as previous_is_provisional,
        previous.numerator as previous_numerator,
        previous.denominator as previous_denominator,
        round(base.value - previous.value, 10) as change,
        last_year.value as same_period_last_year,
        freshness.data_freshness_at,
        freshness.freshness_hours,
        coalesce(dq.data_quality_status, 'unknown') as data_quality_status,
        dq.data_quality_notes,
        breaks.kpi_id is not null as definition_break
    from base
    left join _pub_values as previous
        on previous.kpi_id = base.kpi_id
        and previous.grain = base.grain
        and previous.dimension_name = base.dimension_name
        and previous.dimension_value = base.dimension_value
        and previous.period_start = base.previous_period_start
    left join _pub_values as last_year
        on last_year.kpi_id = base.kpi_id
        and last_year.grain = base.grain
        and last_year.dimension_name = base.dimension_name
        and last_year.dimension_value = base.dimension_value
        and last_year.period_start = base.last_year_period_start
    left join _pub_freshness as freshness on freshness.kpi_id = base.kpi_id
    left join _pub_dq as dq on dq.kpi_id = base.kpi_id
    left join (select distinct kpi_id, break_on from _pub_breaks) as breaks
        on breaks.kpi_id = base.kpi_id
        and base.period_start = kpi_period_start(base.grain, breaks.break_on)
)

select row_number() over (order by kpi_id, grain, period_start, dimension_name, dimension_value) as row_id, *
from annotated
"""

# The commentary inputs of a row, and a key over them and over the code that words them: a
# sentence is a pure function of both, so a publish reuses the last run's sentence of every row
# whose inputs did not change (all but the recent periods, usually) and words only the others.
COMMENTARY_CACHE = f"{HISTORY_SCHEMA}.commentary_cache"
COMMENTARY_CODE_VERSION = hashlib.sha256(
    b"".join(Path(module.__file__).read_bytes() for module in (commentary_module, formatting_module))
).hexdigest()[:16]

_COMMENTARY_INPUTS = (
    "name_da, name_en, unit, grain, period_start, value, target, target_type, previous_value, "
    "is_provisional, is_complete_period, definition_break, null_reason, dimension_name, dimension_value, "
    "notes_da, notes_en"
)

_COMMENTARY_INPUT_SQL = f"""
create or replace temp table _pub_commentary_input as
with

inputs as (
    select
        core.row_id, core.name_da, core.name_en, core.unit, core.grain, core.period_start, core.value,
        core.target, core.target_type, core.previous_value, core.is_provisional, core.is_complete_period,
        core.definition_break, core.null_reason, core.dimension_name, core.dimension_value,
        notes.notes_da, notes.notes_en
    from _pub_core as core
    left join (
        select
            kpi_id, grain, period_start, dimension_name, dimension_value,
            list(distinct note_da order by note_da) filter (where note_da is not null) as notes_da,
            list(distinct note_en order by note_en) filter (where note_en is not null) as notes_en
        from _pub_flags
        group by all
    ) as notes
        on notes.kpi_id = core.kpi_id
        and notes.grain = core.grain
        and notes.period_start = core.period_start
        and notes.dimension_name = core.dimension_name
        and notes.dimension_value = core.dimension_value
)

select
    *,
    md5(to_json(struct_pack({_COMMENTARY_INPUTS})) || '{COMMENTARY_CODE_VERSION}') as commentary_key
from inputs
"""


def _build_commentary(con: duckdb.DuckDBPyConnection) -> int:
    """One sentence per row and language; returns how many rows were worded anew.

    Python words them (the number formatting lives there); rows whose key is in the warehouse's
    commentary cache take the cached sentences.
    """
    con.execute(_COMMENTARY_INPUT_SQL)
    cached = (
        COMMENTARY_CACHE
        if _exists(con, COMMENTARY_CACHE)
        else (
            "(select ''::varchar as commentary_key, ''::varchar as commentary_da, ''::varchar as commentary_en limit 0)"
        )
    )
    cursor = con.execute(
        f"""
        select distinct on (commentary_key) commentary_key, {_COMMENTARY_INPUTS}
        from _pub_commentary_input
        where commentary_key not in (select commentary_key from {cached})
        """
    )
    keys: list[str] = []
    danish: list[str] = []
    english: list[str] = []
    while batch := cursor.fetchmany(50_000):
        for (
            key,
            name_da,
            name_en,
            unit,
            grain,
            period_start,
            value,
            target,
            target_type,
            previous_value,
            is_provisional,
            is_complete_period,
            definition_break,
            null_reason,
            dimension_name,
            dimension_value,
            notes_da,
            notes_en,
        ) in batch:
            common = {
                "unit": unit,
                "grain": grain,
                "period_start": period_start,
                "value": value,
                "target": target,
                "target_type": target_type,
                "previous_value": previous_value,
                "is_provisional": is_provisional,
                "is_complete_period": is_complete_period,
                "definition_break": definition_break,
                "null_reason": null_reason,
                "dimension_name": dimension_name,
                "dimension_value": dimension_value,
            }
            keys.append(key)
            danish.append(commentary("da", name=name_da, notes=notes_da or (), **common))
            english.append(commentary("en", name=name_en, notes=notes_en or (), **common))
    worded = pa.table(
        {
            "commentary_key": pa.array(keys, pa.string()),
            "commentary_da": pa.array(danish, pa.string()),
            "commentary_en": pa.array(english, pa.string()),
        }
    )
    con.register("_pub_worded_arrow", worded)
    try:
        con.execute(
            f"""
            create or replace temp table _pub_sentences as
            select * from _pub_worded_arrow
            union all
            select cache.commentary_key, cache.commentary_da, cache.commentary_en
            from {cached} as cache
            where cache.commentary_key in (select commentary_key from _pub_commentary_input)
                and cache.commentary_key not in (select commentary_key from _pub_worded_arrow)
            """
        )
    finally:
        con.unregister("_pub_worded_arrow")
    con.execute(
        """
        create or replace temp table _pub_commentary as
        select input.row_id, sentences.commentary_da, sentences.commentary_en
        from _pub_commentary_input as input
        inner join _pub_sentences as sentences using (commentary_key)
        """
    )
    return len(keys)


def persist_commentary_cache(con: duckdb.DuckDBPyConnection) -> None:
    """Keep this run's sentences (and only those) for the next publish."""
    con.execute(f"create schema if not exists {HISTORY_SCHEMA}")
    con.execute(f"create or replace table {COMMENTARY_CACHE} as select * from _pub_sentences")


SCORECARD_SQL = """
create or replace temp table _pub_scorecard as
with

flags as (
    select
        kpi_id, grain, period_start, dimension_name, dimension_value,
        cast(to_json(list(
            {
                'flag_id': flag_id,
                'severity': severity,
                'related_kpi_id': related_kpi_id,
                'message_da': message_da,
                'message_en': message_en
            }
            order by check_order, related_kpi_id, flag_id
        )) as varchar) as guardrail_flags,
        bool_or(severity = 'warning') as is_flagged
    from _pub_flags
    group by all
)

select
    core.kpi_id,
    core.name_da as kpi_name_da,
    core.name_en as kpi_name_en,
    core.function,
    core.grain,
    core.period_start,
    core.period_end,
    core.is_complete_period,
    core.dimension_name,
    core.dimension_value,
    core.value,
    core.numerator,
    core.denominator,
    core.unit,
    core.direction,
    core.target,
    core.target_gap,
    core.status,
    core.previous_value,
    core.change,
    core.same_period_last_year,
    core.is_provisional,
    core.null_reason,
    core.definition_da as definition,
    core.question_da as question,
    core.owner,
    core.refresh_cadence,
    core.data_freshness_at,
    core.freshness_hours,
    core.data_quality_status,
    coalesce(flags.guardrail_flags, '[]') as guardrail_flags,
    core.definition_version,
    cast(? as timestamptz) as computed_at,
    sentences.commentary_da,
    sentences.commentary_en,
    core.role as kpi_role,
    core.sample_size,
    core.definition_en,
    core.question_en,
    core.target_type,
    coalesce(flags.is_flagged, false) as is_flagged,
    core.definition_break,
    core.data_quality_notes
from _pub_core as core
inner join _pub_commentary as sentences on sentences.row_id = core.row_id
left join flags
    on flags.kpi_id = core.kpi_id
    and flags.grain = core.grain
    and flags.period_start = core.period_start
    and flags.dimension_name = core.dimension_name
    and flags.dimension_value = core.dimension_value
order by core.row_id
"""


def build_scorecard(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: date,
    computed_at: datetime,
    data_quality: Mapping[str, DataQuality | str] | None = None,
    kpi_values: str = KPI_VALUES_RELATION,
    noise_gate: bool = False,
) -> ScorecardSummary:
    """Build `_pub_scorecard` (and `_pub_flags`, `_pub_history`) in `con`; writes nothing durable."""
    if computed_at.tzinfo is None:
        raise ValueError("computed_at must carry a time zone")
    install_macros(con)
    _load_kpis(con)
    dropped = _load_values(con, kpi_values)
    _load_budgets(con)
    reference_at = reference_time(as_of, computed_at)
    _load_freshness(con, reference_at)
    _load_data_quality(con, normalize_data_quality(data_quality))
    new_versions, history = _load_versions(con, as_of, computed_at)
    con.execute(CORE_SQL)
    hits = build_flags(con, noise_gate)
    worded = _build_commentary(con)
    con.execute(SCORECARD_SQL, [computed_at])
    rows, kpis, flagged = con.execute(
        "select count(*), count(distinct kpi_id), count(*) filter (where is_flagged) from _pub_scorecard"
    ).fetchone()
    flag_rows = con.execute(
        "select flag_id || '_rows', count(*) from _pub_flags group by 1 order by 1"
    ).fetchall()
    return ScorecardSummary(
        rows=rows,
        kpis=kpis,
        flagged_rows=flagged,
        flag_counts={**hits, **dict(flag_rows)},
        reference_at=reference_at,
        dropped_kpi_ids=dropped,
        new_versions=new_versions,
        history=history,
        sentences_worded=worded,
    )
