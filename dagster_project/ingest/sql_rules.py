"""The contract's row rules as DuckDB SQL: parse text values to typed ones and name every broken rule.

Each function returns a SQL expression over a text column (`t`), so validation
runs as one set-based query per file instead of a Python loop per row.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from dagster_project.ingest.contract import DEC_INTEGER_DIGITS, DEC_SCALE, DEC_TYPE, Column, Table

# ISO 8601: date, `T` or space, hh:mm[:ss[.fraction]], optional offset Z, +hh:mm or +hhmm.
# The contract sets no limit on the fraction's digits.
_TS_PATTERN = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"
_OFFSET_AT_END = r"(Z|[+-]\d{2}:?\d{2})$"

# Temporary macros, created on each ingest connection. A time with an offset is
# an instant as written. A local time without one is Europe/Copenhagen (UTC+1,
# UTC+2 in summer): the contract reads an ambiguous autumn time as the earlier
# instant (summer time) and a spring-gap time with the offset before the change
# (UTC+1). So take summer time when it round-trips to the same wall clock, and
# UTC+1 otherwise. DuckDB's own cast picks the later instant, hence the macro.
# Timestamps hold microseconds: digits beyond the sixth are cut off (truncation,
# toward the earlier microsecond, never rounding up into the next second or day),
# explicitly, so the result does not depend on what the cast does with them.
# A Parquet double is staged as text in plain positional notation (the dec rule
# accepts no exponent), from DuckDB's shortest round-trip text, so it parses back
# to the same double.
MACROS = f"""
create or replace temp macro kpi_local_to_instant(naive) as
    case
        when ((naive - interval 2 hour) at time zone 'UTC') at time zone 'Europe/Copenhagen' = naive
            then (naive - interval 2 hour) at time zone 'UTC'
        else (naive - interval 1 hour) at time zone 'UTC'
    end;
create or replace temp macro kpi_micro_ts(t) as
    case when contains(t, '.') then regexp_replace(t, '(\\.\\d{{6}})\\d+', '\\1') else t end;
create or replace temp macro kpi_parse_ts(t) as
    case
        when not regexp_full_match(t, '{_TS_PATTERN}') then null
        when regexp_matches(t, '{_OFFSET_AT_END}') then try_cast(kpi_micro_ts(t) as timestamptz)
        else kpi_local_to_instant(try_cast(kpi_micro_ts(t) as timestamp))
    end;
create or replace temp macro kpi_place_point(sign, digits, point) as
    sign || case
        when point <= 0 then '0.' || repeat('0', -point) || digits
        when point >= length(digits) then digits || repeat('0', point - length(digits))
        else left(digits, point) || '.' || substr(digits, point + 1)
    end;
create or replace temp macro kpi_sci_to_plain(text, parts) as
    case
        when parts.mantissa = '' then text
        else kpi_place_point(
            parts.sign,
            replace(parts.mantissa, '.', ''),
            length(split_part(parts.mantissa, '.', 1)) + cast(parts.exponent as integer)
        )
    end;
create or replace temp macro kpi_double_text(x) as
    kpi_sci_to_plain(
        cast(x as varchar),
        regexp_extract(
            cast(x as varchar), '^(-?)([0-9]+[.]?[0-9]*)e([+-]?[0-9]+)$', ['sign', 'mantissa', 'exponent']
        )
    );
"""


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def text_expr(column: Column) -> str:
    """The column's text with surrounding blanks removed; empty text is null."""
    return f"nullif(trim(\"{column.name}\"), '')"


def parse_expr(column: Column) -> str:
    """SQL turning the column's text into its contract type; null when it does not parse."""
    t = text_expr(column)
    match column.type:
        case "str":
            # Identifiers keep their exact text (leading zeros, inner blanks); enums are lower-cased.
            return f"lower({t})" if column.enum else f'case when {t} is not null then "{column.name}" end'
        case "int":
            # Only integer literals: DuckDB's cast would round '37.5' to 38.
            return f"case when regexp_full_match({t}, '[+-]?[0-9]+') then try_cast({t} as bigint) end"
        case "dec":
            # A decimal literal that fits the type exactly (trailing zeros beyond the scale are fine).
            fits = f"[+-]?0*[0-9]{{0,{DEC_INTEGER_DIGITS}}}([.][0-9]{{0,{DEC_SCALE}}}0*)?"
            return (
                f"case when regexp_full_match({t}, '[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)') "
                f"and regexp_full_match({t}, '{fits}') then try_cast({t} as {DEC_TYPE}) end"
            )
        case "date":
            return f"case when regexp_full_match({t}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') then try_cast({t} as date) end"
        case "ts":
            return f"kpi_parse_ts({t})"
        case "bool":
            return (
                f"case lower({t}) when 'true' then true when '1' then true when 'yes' then true "
                f"when 'false' then false when '0' then false when 'no' then false end"
            )
    raise ValueError(f"unknown contract type {column.type!r} for column {column.name}")


def _later_than(column: Column, typed: str, limit: date) -> str:
    """The value's local date is after `limit`.

    A timestamp is compared with the instant the next local day starts (a constant the optimizer
    folds once), not converted to a local date row by row: the same answer without a time-zone
    conversion per value. Local midnight is never in a daylight-saving gap or repeated hour in
    Europe/Copenhagen, so kpi_local_to_instant gives that instant exactly.
    """
    if column.type == "ts":
        next_day = (limit + timedelta(days=1)).isoformat()
        return f"{typed} >= kpi_local_to_instant(timestamp '{next_day} 00:00:00')"
    return f"{typed} > date '{limit.isoformat()}'"


def column_reasons(column: Column, latest_event_date: date) -> list[str]:
    """SQL expressions, one per rule on this column, each giving the reason text or null.

    `typed.<name>` is the parsed value, the bare column name the original text.
    """
    t = text_expr(column)
    typed = f'typed."{column.name}"'
    name = column.name
    reasons = []
    if not column.nullable:
        reasons.append(f"case when {t} is null then '{name}: required value is missing' end")
    type_words = {
        "int": "an integer",
        "dec": f"a decimal number (at most {DEC_INTEGER_DIGITS} digits before the point, {DEC_SCALE} after)",
        "date": "a date (YYYY-MM-DD)",
        "ts": "an ISO 8601 timestamp",
        "bool": "a boolean (true/false, 1/0, yes/no)",
    }
    if column.enum:
        allowed = ", ".join(column.enum)
        values = ", ".join(sql_literal(value) for value in column.enum)
        reasons.append(
            f"case when {t} is not null and lower({t}) not in ({values}) "
            f"then '{name}: ' || {t} || ' is not one of ({allowed})' end"
        )
    elif column.type in type_words:
        reasons.append(
            f"case when {t} is not null and {typed} is null "
            f"then '{name}: ' || {t} || ' is not {type_words[column.type]}' end"
        )
    if column.check:
        condition = column.check.format(c=typed)
        reasons.append(
            f"case when {typed} is not null and not ({condition}) "
            f"then '{name}: ' || {t} || ' breaks the rule {name} {column.check_text}' end"
        )
    if column.is_event and column.type in ("ts", "date"):
        limit = latest_event_date.isoformat()
        reasons.append(
            f"case when {_later_than(column, typed, latest_event_date)} "
            f"then '{name}: ' || {t} || ' is later than the day after the as-of date ({limit})' end"
        )
    return reasons


def row_reasons(table: Table, as_of: date) -> str:
    """SQL text naming every broken rule of a row, joined by '; ' ('' = a valid row)."""
    latest_event_date = as_of + timedelta(days=1)
    reasons = [r for column in table.columns for r in column_reasons(column, latest_event_date)]
    for rule in table.rules:
        rule_sql, inputs = _qualify(rule.sql, table)
        # A rule is judged only on values that parsed: a bad value has its own reason.
        parsed = " and ".join(
            f'({text_expr(column)} is null or typed."{column.name}" is not null)' for column in inputs
        )
        reasons.append(
            f"case when {parsed} and not coalesce({rule_sql}, true) "
            f"then {sql_literal('rule broken: ' + rule.text)} end"
        )
    # concat_ws skips the nulls of the rules that hold.
    return f"concat_ws('; ', {', '.join(reasons)})"


def _qualify(rule_sql: str, table: Table) -> tuple[str, list[Column]]:
    """Point a rule's column names at the typed values; also return the columns it reads."""
    names = {column.name: column for column in table.columns}
    used: dict[str, Column] = {}

    def replace(match: re.Match[str]) -> str:
        word = match.group(1)
        if word not in names:
            return word
        used[word] = names[word]
        return f'typed."{word}"'

    return re.sub(r"\b([a-z_]+)\b", replace, rule_sql), list(used.values())
