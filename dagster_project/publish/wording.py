"""The text of the published product: the flags' sentences and the commentary of every row.

Every number comes from the dbt models `kpi_scorecard` and `kpi_flags`; this module only words
them (commentary.py holds the sentences, formatting.py the number formats) and leaves a temp
table and a temp view in the connection for the export:

    _pub_flags      kpi_flags + message_da / message_en (the flag's sentence) and note_da /
                    note_en (the short remark it adds to its row's commentary)
    _pub_worded     kpi_scorecard + commentary_da / commentary_en, a view: the sentences are
                    worded while the export writes the published table, in the same pass

The commentary of all rows is one SQL expression (commentary.commentary_sql, number formats from
formatting.py): millions of sentences in seconds, where wording them row by row in Python took a
minute. The flags, a few hundred, are worded in Python from their rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import duckdb
import pyarrow as pa

from dagster_project.publish.commentary import (
    SELECTION_BIAS_NOTE,
    commentary_sql,
    drift_message,
    guardrail_message,
    guardrail_note,
    named,
    null_reason_text,
    selection_bias_message,
)
from dagster_project.publish.formatting import create_format_macros, period_phrase, previous_period_label

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


# Each label depends on a few columns only, so it is worded once per distinct value of those.
_LABELS = {
    ("kpi_name_da", "kpi_name_en", "dimension_name", "dimension_value"): lambda row, lang: {
        f"name_{lang}": named(row[f"kpi_name_{lang}"], row["dimension_name"], row["dimension_value"], lang)
    },
    ("grain", "period_start"): lambda row, lang: {
        f"when_{lang}": period_phrase(row["grain"], row["period_start"], lang),
        f"before_{lang}": previous_period_label(row["grain"], row["period_start"], lang),
    },
    ("null_reason",): lambda row, lang: {f"reason_{lang}": null_reason_text(row["null_reason"], lang)},
}


def _label_tables(con: duckdb.DuckDBPyConnection, scorecard: str) -> dict[tuple[str, ...], pa.Table]:
    """Per group of columns: their distinct values in the scorecard and the labels of each."""
    tables = {}
    for keys, word in _LABELS.items():
        columns: dict[str, list] = {key: [] for key in keys}
        for values in con.execute(f"select distinct {', '.join(keys)} from {scorecard}").fetchall():
            row = dict(zip(keys, values, strict=True))
            for key, value in row.items():
                columns[key].append(value)
            for lang in LANGUAGES:
                for label, text in word(row, lang).items():
                    columns.setdefault(label, []).append(text)
        tables[keys] = pa.table(columns)
    return tables


def word_commentary(con: duckdb.DuckDBPyConnection, scorecard: str = SCORECARD_MODEL) -> None:
    """The view `_pub_worded` (every column of `scorecard`, then commentary_da and
    commentary_en).

    Needs `_pub_flags` (word_flags): a row's flags add their remarks to its sentence. The words
    that are not numbers are worded in Python once per distinct value (commentary_labels, kept
    as small temp tables); the sentences themselves are one SQL expression (commentary_sql),
    evaluated when the view is read.
    """
    create_format_macros(con)
    label_columns, joins = [], []
    for number, (keys, table) in enumerate(_label_tables(con, scorecard).items()):
        name = f"_pub_labels_{number}"
        con.register("_pub_arrow_labels", table)
        try:
            con.execute(f"create or replace temp table {name} as select * from _pub_arrow_labels")
        finally:
            con.unregister("_pub_arrow_labels")
        label_columns += [f"{name}.{column}" for column in table.column_names if column not in keys]
        on = " and ".join(f"{name}.{key} is not distinct from scorecard.{key}" for key in keys)
        joins.append(f"                inner join {name} on {on}")
    label_columns = ", ".join(label_columns)
    label_joins = "\n".join(joins)
    row_key = ", ".join(ROW_KEY)
    con.execute(
        f"""
            create or replace temp view _pub_worded as
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
                    scorecard.*,
                    {label_columns},
                    notes.notes_da,
                    notes.notes_en
                from {scorecard} as scorecard
{label_joins}
                left join notes
                    on {" and ".join(f"notes.{column} = scorecard.{column}" for column in ROW_KEY)}
            )

            select
                {", ".join(f"inputs.{column}" for column in _scorecard_columns(con, scorecard))},
                {commentary_sql("da")} as commentary_da,
                {commentary_sql("en")} as commentary_en
            from inputs
            """
    )


def _scorecard_columns(con: duckdb.DuckDBPyConnection, scorecard: str) -> list[str]:
    return [column for column, *_ in con.execute(f"select * from {scorecard} limit 0").description]
