"""The text of the published product: the flags' sentences and the commentary of every row.

Every number comes from the dbt models `kpi_scorecard` and `kpi_flags`; this module only words
them (commentary.py holds the sentences, formatting.py the number formats) and leaves two temp
tables in the connection for the export:

    _pub_flags      kpi_flags + message_da / message_en (the flag's sentence) and note_da /
                    note_en (the short remark it adds to its row's commentary)
    _pub_sentences  commentary_da / commentary_en per row key of kpi_scorecard

A sentence is a pure function of its inputs and of the wording code, so the commentary of a row
whose inputs did not change is reused from the last publish (a Parquet cache file outside the
warehouse and the published folder, keyed by a hash of both) and only the others are worded.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from dagster_project.publish import commentary as commentary_module
from dagster_project.publish import formatting as formatting_module
from dagster_project.publish.commentary import (
    SELECTION_BIAS_NOTE,
    commentary,
    drift_message,
    guardrail_message,
    guardrail_note,
    selection_bias_message,
)

SCORECARD_MODEL = "main.kpi_scorecard"
FLAGS_MODEL = "main.kpi_flags"
COMMENTARY_CODE_VERSION = hashlib.sha256(
    b"".join(Path(module.__file__).read_bytes() for module in (commentary_module, formatting_module))
).hexdigest()[:16]
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

_COMMENTARY_INPUTS = (
    "kpi_name_da",
    "kpi_name_en",
    "unit",
    "grain",
    "period_start",
    "value",
    "target",
    "target_type",
    "previous_value",
    "is_provisional",
    "is_complete_period",
    "definition_break",
    "null_reason",
    "dimension_name",
    "dimension_value",
    "notes_da",
    "notes_en",
)


def _commentary_input_sql(scorecard: str) -> str:
    row_key = ", ".join(ROW_KEY)
    row_inputs = ", ".join(
        f"scorecard.{column}" for column in _COMMENTARY_INPUTS if not column.startswith("notes_")
    )
    return f"""
    create or replace temp table _pub_commentary_input as
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
        select scorecard.kpi_id, {row_inputs}, notes.notes_da, notes.notes_en
        from {scorecard} as scorecard
        left join notes using ({row_key})
    )

    select
        *,
        md5(to_json(struct_pack({", ".join(_COMMENTARY_INPUTS)})) || '{COMMENTARY_CODE_VERSION}')
            as commentary_key
    from inputs
    """


def _sentence(row: dict, lang: str) -> str:
    return commentary(
        lang,
        name=row[f"kpi_name_{lang}"],
        notes=row[f"notes_{lang}"] or (),
        unit=row["unit"],
        grain=row["grain"],
        period_start=row["period_start"],
        value=row["value"],
        target=row["target"],
        target_type=row["target_type"],
        previous_value=row["previous_value"],
        is_provisional=row["is_provisional"],
        is_complete_period=row["is_complete_period"],
        definition_break=row["definition_break"],
        null_reason=row["null_reason"],
        dimension_name=row["dimension_name"],
        dimension_value=row["dimension_value"],
    )


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def word_commentary(
    con: duckdb.DuckDBPyConnection, scorecard: str = SCORECARD_MODEL, cache: Path | None = None
) -> int:
    """`_pub_sentences` (row key → commentary_da, commentary_en); returns the rows worded anew.

    Needs `_pub_flags` (word_flags): a row's flags add their remarks to its sentence. `cache`: the
    Parquet file of the last publish's sentences, if any.
    """
    con.execute(_commentary_input_sql(scorecard))
    cached = (
        f"read_parquet('{_sql_path(cache)}')"
        if cache is not None and cache.exists()
        else "(select ''::varchar as commentary_key, ''::varchar as commentary_da, "
        "''::varchar as commentary_en limit 0)"
    )
    cursor = con.execute(
        f"""
        select distinct on (commentary_key) commentary_key, {", ".join(_COMMENTARY_INPUTS)}
        from _pub_commentary_input
        where commentary_key not in (select commentary_key from {cached})
        """
    )
    worded: dict[str, list[str]] = {"commentary_key": [], "commentary_da": [], "commentary_en": []}
    for row in _dicts(cursor):
        worded["commentary_key"].append(row["commentary_key"])
        for lang in LANGUAGES:
            worded[f"commentary_{lang}"].append(_sentence(row, lang))
    con.register("_pub_worded", pa.table({name: pa.array(v, pa.string()) for name, v in worded.items()}))
    try:
        con.execute(
            f"""
            create or replace temp table _pub_new_sentences as
            select * from _pub_worded
            union all
            select cache.commentary_key, cache.commentary_da, cache.commentary_en
            from {cached} as cache
            where cache.commentary_key in (select commentary_key from _pub_commentary_input)
                and cache.commentary_key not in (select commentary_key from _pub_worded)
            """
        )
    finally:
        con.unregister("_pub_worded")
    con.execute(
        f"""
        create or replace temp table _pub_sentences as
        select {", ".join(f"input.{c}" for c in ROW_KEY)}, sentences.commentary_da, sentences.commentary_en
        from _pub_commentary_input as input
        inner join _pub_new_sentences as sentences using (commentary_key)
        """
    )
    return len(worded["commentary_key"])


def persist_commentary_cache(con: duckdb.DuckDBPyConnection, cache: Path) -> None:
    """Keep this publish's sentences (and only those) for the next one, swapped in whole."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    temporary = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    con.execute(f"copy _pub_new_sentences to '{_sql_path(temporary)}' (format parquet)")
    os.replace(temporary, cache)
