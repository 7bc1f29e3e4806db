"""The three checks that flag published values: guardrail pairs, CSAT selection bias, definition drift.

Each check finds its hits in SQL over `_pub_core` (the annotated values of this run) and the
catalog; Python only writes the sentences of the hits. The result is the temp table `_pub_flags`,
one row per flag on a published row (kpi_id, grain, period_start, dimension_name, dimension_value).

Guardrail pairs (kpis.md, "Guardrails against Goodhart's law"): on the grains the two KPIs share
and on the total plus the dimensions they share, a pair is flagged when, against the previous
period, the headline moved its better way (or the way `headline_move` names) by more than the
pair's threshold and the guardrail moved its worse way by more than the threshold, both as
relative changes. Every period is compared, as kpis.md says ("checked for every period"), the
incomplete as-of period and provisional values included: a move there may be the first sign of
gaming, and hiding it would let it pass unseen for a month. Such a flag is raised all the same,
but its sentence says plainly that the period is still running or that a value is provisional
(a month-to-date count always "falls"; a conversion or early-attrition rate still grows while
its 90 days run), so it is not over-read. Not compared, so never flagged: a null value and a
previous value that is null or 0 (a relative change from 0 is undefined). With the noise gate
(off by default), both moves must also be beyond sampling noise where a test applies (see
annotations.py, kpi_move_is_beyond_noise). The flag sits on the headline's row and on the
guardrail's row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import duckdb
import pyarrow as pa

from dagster_project.publish.annotations import NOISE_Z
from dagster_project.publish.commentary import (
    SELECTION_BIAS_NOTE,
    drift_message,
    guardrail_message,
    guardrail_note,
    selection_bias_message,
)

# Ticket columns that can carry the dimension of a CSAT selection-bias check.
TICKET_DIMENSIONS = ("channel", "category")

SEVERITY = {"guardrail": "warning", "csat_selection_bias": "warning", "definition_drift": "info"}
CHECK_ORDER = {"guardrail": 1, "csat_selection_bias": 2, "definition_drift": 3}

FLAGS_DDL = """
create or replace temp table _pub_flags (
    kpi_id varchar, grain varchar, period_start date, dimension_name varchar, dimension_value varchar,
    flag_id varchar, severity varchar, related_kpi_id varchar, check_order integer,
    message_da varchar, message_en varchar, note_da varchar, note_en varchar
)
"""

GUARDRAIL_HITS_SQL = """
with

pairs as (
    select
        headline_kpi_id,
        guardrail_kpi_id,
        threshold_pct / 100.0 as threshold,
        headline_move,
        meaning_da,
        meaning_en,
        unnest(shared_grains) as grain,
        shared_dimensions
    from catalog.guardrail_pairs
),

compared as (
    select
        pairs.*,
        headline.period_start,
        headline.dimension_name,
        headline.dimension_value,
        headline.name_da as headline_name_da,
        headline.name_en as headline_name_en,
        headline.unit as headline_unit,
        headline.value as headline_value,
        headline.previous_value as headline_previous,
        guardrail.name_da as guardrail_name_da,
        guardrail.name_en as guardrail_name_en,
        guardrail.unit as guardrail_unit,
        guardrail.value as guardrail_value,
        guardrail.previous_value as guardrail_previous,
        -- Compared all the same; the flag's sentence carries these caveats.
        headline.is_complete_period and guardrail.is_complete_period as is_complete_period,
        headline.is_provisional or coalesce(headline.previous_is_provisional, false)
            as headline_is_provisional,
        guardrail.is_provisional or coalesce(guardrail.previous_is_provisional, false)
            as guardrail_is_provisional,
        case pairs.headline_move
            when 'better' then headline.direction
            when 'falling' then 'lower'
            when 'rising' then 'higher'
        end as headline_way,
        case guardrail.direction when 'higher' then 'lower' else 'higher' end as guardrail_worse_way,
        kpi_relative_change(headline.value, headline.previous_value) as headline_change,
        kpi_relative_change(guardrail.value, guardrail.previous_value) as guardrail_change,
        kpi_move_is_beyond_noise(
            headline.unit, headline.numerator, headline.denominator,
            headline.previous_numerator, headline.previous_denominator, $z
        ) as headline_beyond_noise,
        kpi_move_is_beyond_noise(
            guardrail.unit, guardrail.numerator, guardrail.denominator,
            guardrail.previous_numerator, guardrail.previous_denominator, $z
        ) as guardrail_beyond_noise
    from pairs
    inner join _pub_core as headline
        on headline.kpi_id = pairs.headline_kpi_id
        and headline.grain = pairs.grain
    inner join _pub_core as guardrail
        on guardrail.kpi_id = pairs.guardrail_kpi_id
        and guardrail.grain = headline.grain
        and guardrail.period_start = headline.period_start
        and guardrail.dimension_name = headline.dimension_name
        and guardrail.dimension_value = headline.dimension_value
    where headline.dimension_name = 'total' or list_contains(pairs.shared_dimensions, headline.dimension_name)
)

select
    headline_kpi_id, guardrail_kpi_id, grain, period_start, dimension_name, dimension_value,
    headline_name_da, headline_name_en, headline_unit, headline_value, headline_previous,
    guardrail_name_da, guardrail_name_en, guardrail_unit, guardrail_value, guardrail_previous,
    meaning_da, meaning_en, is_complete_period, headline_is_provisional, guardrail_is_provisional
from compared
where kpi_moved(headline_change, headline_way, threshold)
    and kpi_moved(guardrail_change, guardrail_worse_way, threshold)
    and (not $noise_gate or (headline_beyond_noise and guardrail_beyond_noise))
order by all
"""


FLAG_COLUMNS = (
    ("kpi_id", pa.string()),
    ("grain", pa.string()),
    ("period_start", pa.date32()),
    ("dimension_name", pa.string()),
    ("dimension_value", pa.string()),
    ("flag_id", pa.string()),
    ("severity", pa.string()),
    ("related_kpi_id", pa.string()),
    ("check_order", pa.int32()),
    ("message_da", pa.string()),
    ("message_en", pa.string()),
    ("note_da", pa.string()),
    ("note_en", pa.string()),
)


def _insert(con: duckdb.DuckDBPyConnection, rows: Iterable[tuple]) -> int:
    """Append flag rows to `_pub_flags` in one statement (through Arrow)."""
    rows = list(rows)
    if rows:
        columns = list(zip(*rows, strict=True))
        table = pa.table(
            {name: pa.array(values, kind) for (name, kind), values in zip(FLAG_COLUMNS, columns, strict=True)}
        )
        con.register("_pub_flag_rows", table)
        try:
            con.execute("insert into _pub_flags select * from _pub_flag_rows")
        finally:
            con.unregister("_pub_flag_rows")
    return len(rows)


def add_guardrail_flags(con: duckdb.DuckDBPyConnection, noise_gate: bool = False) -> int:
    """Flag every guardrail pair hit on its headline's row and its guardrail's row; returns the hits."""
    hits = con.execute(GUARDRAIL_HITS_SQL, {"z": NOISE_Z, "noise_gate": noise_gate}).fetchall()
    rows = []
    for hit in hits:
        (
            headline_id,
            guardrail_id,
            grain,
            period_start,
            dimension_name,
            dimension_value,
            headline_da,
            headline_en,
            headline_unit,
            headline_value,
            headline_previous,
            guardrail_da,
            guardrail_en,
            guardrail_unit,
            guardrail_value,
            guardrail_previous,
            meaning_da,
            meaning_en,
            is_complete_period,
            headline_is_provisional,
            guardrail_is_provisional,
        ) = hit
        # The KPIs whose value (now or in the previous period) is provisional, named in each language.
        is_provisional = (headline_is_provisional, guardrail_is_provisional)
        provisional = {
            "da": [
                name for name, is_it in zip((headline_da, guardrail_da), is_provisional, strict=True) if is_it
            ],
            "en": [
                name for name, is_it in zip((headline_en, guardrail_en), is_provisional, strict=True) if is_it
            ],
        }
        messages = {
            lang: guardrail_message(
                lang,
                grain=grain,
                period_start=period_start,
                dimension_name=dimension_name,
                dimension_value=dimension_value,
                headline_name=headline,
                headline_unit=headline_unit,
                headline_value=headline_value,
                headline_previous=headline_previous,
                guardrail_name=guardrail,
                guardrail_unit=guardrail_unit,
                guardrail_value=guardrail_value,
                guardrail_previous=guardrail_previous,
                meaning=meaning,
                is_complete_period=is_complete_period,
                provisional_names=provisional[lang],
            )
            for lang, headline, guardrail, meaning in (
                ("da", headline_da, guardrail_da, meaning_da),
                ("en", headline_en, guardrail_en, meaning_en),
            )
        }
        key = (grain, period_start, dimension_name, dimension_value)
        common = ("guardrail", SEVERITY["guardrail"])
        rows.append(
            (
                headline_id,
                *key,
                *common,
                guardrail_id,
                CHECK_ORDER["guardrail"],
                messages["da"],
                messages["en"],
                guardrail_note(guardrail_da, guardrail_value, guardrail_previous, "da"),
                guardrail_note(guardrail_en, guardrail_value, guardrail_previous, "en"),
            )
        )
        rows.append(
            (
                guardrail_id,
                *key,
                *common,
                headline_id,
                CHECK_ORDER["guardrail"],
                messages["da"],
                messages["en"],
                guardrail_note(headline_da, headline_value, headline_previous, "da"),
                guardrail_note(headline_en, headline_value, headline_previous, "en"),
            )
        )
    _insert(con, rows)
    return len(hits)


def _relation_exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    try:
        con.execute(f"select * from {relation} limit 0")
    except duckdb.CatalogException:
        return False
    return True


def selection_bias_sql(grains: list[str], dimensions: list[str]) -> str:
    """Per period and dimension value: FCR and ticket counts of surveyed and not surveyed tickets.

    Tickets and surveys are taken in their latest version per key (by `_file_id`, then
    `_source_line`), as everywhere downstream of ingest; a ticket is surveyed when it has a CSAT
    survey row (sent, answered or not), and resolved in P by the local (Europe/Copenhagen) date
    of `resolved_at`.
    """
    grain_list = ", ".join(f"'{grain}'" for grain in grains)
    breakdowns = "".join(
        f"""
        union all
        select grain, period_start, '{name}', cast({name} as varchar), is_fcr, is_surveyed
        from placed
        where {name} is not null"""
        for name in dimensions
    )
    return f"""
    with

    tickets as (
        select ticket_id, channel, category, resolved_at, contacts_count, reopened_count
        from raw.helpdesk__tickets
        qualify row_number() over (partition by ticket_id order by _file_id desc, _source_line desc) = 1
    ),

    surveys as (
        select ticket_id
        from raw.helpdesk__csat_surveys
        qualify row_number() over (partition by ticket_id order by _file_id desc, _source_line desc) = 1
    ),

    resolved as (
        select
            tickets.channel,
            tickets.category,
            cast(timezone('Europe/Copenhagen', tickets.resolved_at) as date) as resolved_on,
            coalesce(tickets.contacts_count = 1 and tickets.reopened_count = 0, false) as is_fcr,
            surveys.ticket_id is not null as is_surveyed
        from tickets
        left join surveys on surveys.ticket_id = tickets.ticket_id
        where tickets.resolved_at is not null
    ),

    placed as (
        select grains.grain, kpi_period_start(grains.grain, resolved.resolved_on) as period_start, resolved.*
        from resolved
        cross join (select unnest([{grain_list}]) as grain) as grains
    ),

    cells as (
        select grain, period_start, 'total' as dimension_name, 'total' as dimension_value, is_fcr, is_surveyed
        from placed
        {breakdowns}
    )

    select
        grain,
        period_start,
        dimension_name,
        dimension_value,
        count(*) filter (where is_surveyed) as surveyed_tickets,
        count(*) filter (where not is_surveyed) as not_surveyed_tickets,
        avg(cast(is_fcr as integer)) filter (where is_surveyed) as surveyed_rate,
        avg(cast(is_fcr as integer)) filter (where not is_surveyed) as not_surveyed_rate
    from cells
    group by all
    """


def add_selection_bias_flags(con: duckdb.DuckDBPyConnection) -> int:
    """The CSAT selection-bias check of catalog.special_checks, on the check KPI's rows."""
    check = con.execute(
        "select kpi_id, related_kpi_id, gap_pct_points, min_tickets_per_side "
        "from catalog.special_checks where check_id = 'csat_selection_bias'"
    ).fetchone()
    if check is None:
        return 0
    kpi_id, related_kpi_id, gap_points, min_tickets = check
    if not (
        _relation_exists(con, "raw.helpdesk__tickets") and _relation_exists(con, "raw.helpdesk__csat_surveys")
    ):
        return 0
    grains, kpi_dimensions = con.execute(
        "select grains, dimensions from _pub_kpis where kpi_id = ?", [kpi_id]
    ).fetchone()
    related_dimensions = con.execute(
        "select dimensions from _pub_kpis where kpi_id = ?", [related_kpi_id]
    ).fetchone()[0]
    dimensions = [d for d in kpi_dimensions if d in related_dimensions and d in TICKET_DIMENSIONS]
    hits = con.execute(
        f"""
        with cells as ({selection_bias_sql(list(grains), dimensions)})
        select cells.*, core.kpi_id
        from cells
        inner join _pub_core as core
            on core.kpi_id = ?
            and core.grain = cells.grain
            and core.period_start = cells.period_start
            and core.dimension_name = cells.dimension_name
            and core.dimension_value = cells.dimension_value
        where cells.surveyed_tickets >= ?
            and cells.not_surveyed_tickets >= ?
            and abs(cells.surveyed_rate - cells.not_surveyed_rate) * 100 > ? * (1 + 1e-9)
        order by all
        """,
        [kpi_id, min_tickets, min_tickets, gap_points],
    ).fetchall()
    rows = []
    for grain, period_start, dimension_name, dimension_value, n_surveyed, n_other, rate_s, rate_o, _ in hits:
        messages = {
            lang: selection_bias_message(
                lang,
                grain=grain,
                period_start=period_start,
                dimension_name=dimension_name,
                dimension_value=dimension_value,
                surveyed_rate=rate_s,
                not_surveyed_rate=rate_o,
                surveyed_tickets=n_surveyed,
                not_surveyed_tickets=n_other,
            )
            for lang in ("da", "en")
        }
        rows.append(
            (
                kpi_id,
                grain,
                period_start,
                dimension_name,
                dimension_value,
                "csat_selection_bias",
                SEVERITY["csat_selection_bias"],
                related_kpi_id,
                CHECK_ORDER["csat_selection_bias"],
                messages["da"],
                messages["en"],
                SELECTION_BIAS_NOTE["da"],
                SELECTION_BIAS_NOTE["en"],
            )
        )
    return _insert(con, rows)


def add_drift_flags(con: duckdb.DuckDBPyConnection) -> int:
    """A definition_drift flag on every row of the first period published under a new version."""
    rows = con.execute(
        """
        select core.kpi_id, core.grain, core.period_start, core.dimension_name, core.dimension_value,
            core.name_da, core.name_en, breaks.old_version, breaks.new_version
        from _pub_core as core
        inner join _pub_breaks as breaks
            on breaks.kpi_id = core.kpi_id
            and core.period_start = kpi_period_start(core.grain, breaks.break_on)
        order by all
        """
    ).fetchall()
    flags = [
        (
            kpi_id,
            grain,
            period_start,
            dimension_name,
            dimension_value,
            "definition_drift",
            SEVERITY["definition_drift"],
            None,
            CHECK_ORDER["definition_drift"],
            drift_message("da", kpi_name=name_da, old_version=old, new_version=new),
            drift_message("en", kpi_name=name_en, old_version=old, new_version=new),
            None,
            None,
        )
        for kpi_id, grain, period_start, dimension_name, dimension_value, name_da, name_en, old, new in rows
    ]
    return _insert(con, flags)


def build_flags(con: duckdb.DuckDBPyConnection, noise_gate: bool = False) -> dict[str, int]:
    """(Re)create `_pub_flags` from `_pub_core`, `_pub_kpis` and `_pub_breaks`; counts per check."""
    con.execute(FLAGS_DDL)
    return {
        "guardrail_pair_hits": add_guardrail_flags(con, noise_gate),
        "csat_selection_bias_hits": add_selection_bias_flags(con),
        "definition_drift_hits": add_drift_flags(con),
    }


def break_periods(history: list[tuple[str, str, object, date]]) -> list[tuple[str, date, str, str]]:
    """From the version history (kpi_id, version, first_published_at, first_as_of), ordered by
    first_published_at: one break (kpi_id, break_on, old_version, new_version) per change."""
    breaks = []
    previous: dict[str, str] = {}
    for kpi_id, version, _, first_as_of in history:
        if kpi_id in previous and previous[kpi_id] != version:
            breaks.append((kpi_id, first_as_of, previous[kpi_id], version))
        previous[kpi_id] = version
    return breaks
