"""The text of the published product: the flags' sentences and the commentary of every row.

Every number comes from the dbt models `kpi_scorecard` and `kpi_flags`; this module only words
them (commentary.py holds the sentences, formatting.py the number formats) and leaves two temp
tables in the connection for the export:

    _pub_flags      kpi_flags + message_da / message_en (the flag's sentence) and note_da /
                    note_en (the short remark it adds to its row's commentary)
    _pub_sentences  commentary_da / commentary_en per row key of kpi_scorecard

The commentary of all rows is one SQL statement (commentary.commentary_sql, number formats from
formatting.py): millions of sentences in seconds, where wording them row by row in Python took a
minute. The flags, a few hundred, are worded in Python from their rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import duckdb
import pyarrow as pa

from dagster_project.publish.commentary import (
    COMMENTARY_COLUMNS,
    SELECTION_BIAS_NOTE,
    commentary_labels,
    commentary_sql,
    drift_message,
    guardrail_message,
    guardrail_note,
    selection_bias_message,
)
from dagster_project.publish.formatting import create_format_macros

SCORECARD_MODEL = "main.kpi_scorecard"
FLAGS_MODEL = "main.kpi_flags"
LANGUAGES = ("da", "en")
_BATCH_ROWS = 50_000
ROW_KEY = ("kpi_id", "grain", "period_start", "dimension_name", "dimension_value")


def _dicts(cursor: duckdb.DuckDBPyConnection) -> Iterator[dict]:
    names = [column[0] for column in cursor.description]
    while batch := cursor.fetchmany(_BATCH_ROWS):
        for row in batch:
            yield dict(zip(names, row, strict=True))


# ── Flags ────────────────────────────────────────────────────────────────────


def _guardrail_texts(flag: dict, lang: str) -> tuple[str, str]:
    provisional = [
        flag[f"{side}_name_{lang}"] for side in ("headline", "guardrail") if flag[f"{side}_is_provisional"]
    ]
    message = guardrail_message(
        lang,
        grain=flag["grain"],
        period_start=flag["period_start"],
        dimension_name=flag["dimension_name"],
        dimension_value=flag["dimension_value"],
        headline_name=flag[f"headline_name_{lang}"],
        headline_unit=flag["headline_unit"],
        headline_value=flag["headline_value"],
        headline_previous=flag["headline_previous_value"],
        guardrail_name=flag[f"guardrail_name_{lang}"],
        guardrail_unit=flag["guardrail_unit"],
        guardrail_value=flag["guardrail_value"],
        guardrail_previous=flag["guardrail_previous_value"],
        meaning=flag[f"meaning_{lang}"],
        is_complete_period=flag["is_complete_period"],
        provisional_names=provisional,
    )
    # The row's remark names the other KPI of the pair and which way it went.
    other = "guardrail" if flag["kpi_id"] == flag["headline_kpi_id"] else "headline"
    note = guardrail_note(
        flag[f"{other}_name_{lang}"], flag[f"{other}_value"], flag[f"{other}_previous_value"], lang
    )
    return message, note


def _selection_bias_texts(flag: dict, lang: str) -> tuple[str, str]:
    message = selection_bias_message(
        lang,
        grain=flag["grain"],
        period_start=flag["period_start"],
        dimension_name=flag["dimension_name"],
        dimension_value=flag["dimension_value"],
        surveyed_rate=flag["surveyed_first_contact_resolution"],
        not_surveyed_rate=flag["not_surveyed_first_contact_resolution"],
        surveyed_tickets=flag["surveyed_tickets"],
        not_surveyed_tickets=flag["not_surveyed_tickets"],
    )
    return message, SELECTION_BIAS_NOTE[lang]


def _drift_texts(flag: dict, lang: str) -> tuple[str, None]:
    message = drift_message(
        lang,
        kpi_name=flag[f"kpi_name_{lang}"],
        old_version=flag["old_version"],
        new_version=flag["new_version"],
    )
    return message, None


FLAG_TEXTS: dict[str, Callable[[dict, str], tuple[str, str | None]]] = {
    "guardrail": _guardrail_texts,
    "csat_selection_bias": _selection_bias_texts,
    "definition_drift": _drift_texts,
}


def word_flags(con: duckdb.DuckDBPyConnection, flags: str = FLAGS_MODEL) -> int:
    """`_pub_flags`: every flag of the dbt model with its sentence and its row's remark."""
    columns = {"message_da": [], "message_en": [], "note_da": [], "note_en": []}
    keys: list[int] = []
    cursor = con.execute(f"select row_number() over () as flag_row, * from {flags}")
    for flag in _dicts(cursor):
        keys.append(flag["flag_row"])
        for lang in LANGUAGES:
            message, note = FLAG_TEXTS[flag["flag_id"]](flag, lang)
            columns[f"message_{lang}"].append(message)
            columns[f"note_{lang}"].append(note)
    texts = pa.table(
        {"flag_row": pa.array(keys, pa.int64())}
        | {name: pa.array(values, pa.string()) for name, values in columns.items()}
    )
    con.register("_pub_flag_texts", texts)
    try:
        con.execute(
            f"""
            create or replace temp table _pub_flags as
            select flags.*, texts.message_da, texts.message_en, texts.note_da, texts.note_en
            from (select row_number() over () as flag_row, * from {flags}) as flags
            inner join _pub_flag_texts as texts using (flag_row)
            """
        )
    finally:
        con.unregister("_pub_flag_texts")
    return len(keys)


# ── Commentary ───────────────────────────────────────────────────────────────


def _label_table(con: duckdb.DuckDBPyConnection, scorecard: str) -> pa.Table:
    """The words of every distinct (name, period, reason, dimension) combination, in both languages."""
    keys = (
        "kpi_name_da",
        "kpi_name_en",
        "grain",
        "period_start",
        "null_reason",
        "dimension_name",
        "dimension_value",
    )
    rows = con.execute(f"select distinct {', '.join(keys)} from {scorecard}").fetchall()
    columns: dict[str, list] = {key: [] for key in keys}
    for row in rows:
        labels = {}
        for lang in LANGUAGES:
            labels |= commentary_labels(
                lang,
                name=row[keys.index(f"kpi_name_{lang}")],
                grain=row[2],
                period_start=row[3],
                null_reason=row[4],
                dimension_name=row[5],
                dimension_value=row[6],
            )
        for key, value in zip(keys, row, strict=True):
            columns[key].append(value)
        for key, value in labels.items():
            columns.setdefault(key, []).append(value)
    return pa.table(columns)


def word_commentary(con: duckdb.DuckDBPyConnection, scorecard: str = SCORECARD_MODEL) -> int:
    """`_pub_sentences` (row key → commentary_da, commentary_en); returns its rows.

    Needs `_pub_flags` (word_flags): a row's flags add their remarks to its sentence. The words
    that are not numbers are worded in Python once per distinct value (commentary_labels); the
    sentences themselves in one SQL statement (commentary_sql).
    """
    create_format_macros(con)
    con.register("_pub_labels", _label_table(con, scorecard))
    row_key = ", ".join(ROW_KEY)
    try:
        con.execute(
            f"""
            create or replace temp table _pub_sentences as
            with

            notes as (
                select
                    {row_key},
                    list(distinct note_da order by note_da) filter (where note_da is not null) as notes_da,
                    list(distinct note_en order by note_en) filter (where note_en is not null) as notes_en
                from _pub_flags
                group by all
            ),

            inputs as (
                select
                    {", ".join(f"scorecard.{column}" for column in (*ROW_KEY, *COMMENTARY_COLUMNS))},
                    labels.* exclude (kpi_name_da, kpi_name_en, grain, period_start, null_reason,
                        dimension_name, dimension_value),
                    notes.notes_da,
                    notes.notes_en
                from {scorecard} as scorecard
                inner join _pub_labels as labels
                    on labels.kpi_name_da is not distinct from scorecard.kpi_name_da
                    and labels.kpi_name_en is not distinct from scorecard.kpi_name_en
                    and labels.grain = scorecard.grain
                    and labels.period_start = scorecard.period_start
                    and labels.null_reason is not distinct from scorecard.null_reason
                    and labels.dimension_name = scorecard.dimension_name
                    and labels.dimension_value = scorecard.dimension_value
                left join notes
                    on {" and ".join(f"notes.{column} = scorecard.{column}" for column in ROW_KEY)}
            )

            select {row_key}, {commentary_sql("da")} as commentary_da, {commentary_sql("en")} as commentary_en
            from inputs
            """
        )
    finally:
        con.unregister("_pub_labels")
    return con.execute("select count(*) from _pub_sentences").fetchone()[0]
