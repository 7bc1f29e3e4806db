"""Plain sentences: one per published value, and the sentences of the guardrail flags, in da and en.

The commentary of every published row is one SQL expression (commentary_sql), worded in bulk by
wording.py; the flag sentences, a few per period, are Python functions of their flag row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb

from dagster_project.publish.formatting import (
    POINT_UNITS,
    create_format_macros,
    format_difference_sql,
    format_percent,
    format_points,
    format_value,
    format_value_sql,
    is_negligible_sql,
    period_label,
    period_phrase,
    previous_period_label,
    sql_text,
)

DIMENSION_NAMES = {
    "da": {
        "region": "region",
        "channel": "kanal",
        "product_category": "produktkategori",
        "segment": "segment",
        "campaign": "kampagne",
        "platform": "platform",
        "department": "afdeling",
        "termination_type": "fratrædelsestype",
        "line": "linje",
        "site": "fabrik",
        "product": "produkt",
        "material": "materiale",
        "category": "kategori",
    },
    "en": {},
}

# Reasons the KPI models give for a null value, in Danish; others are shown as they are.
NULL_REASONS = {
    "group below 5": {
        "da": "gruppen er under 5 personer",
        "en": "group below 5 people",
    },
    "complementary suppression": {
        "da": "skjult, så en mindre gruppes tal ikke kan regnes ud",
        "en": "suppressed so that a smaller group's number cannot be worked out",
    },
    "no data in period": {"da": "ingen data i perioden", "en": "no data in the period"},
}

_WORDS = {
    "da": {
        "target": "målet",
        "budget": "budgettet",
        "above": "over",
        "below": "under",
        "on": "på niveau med",
        "of": "på",
        "higher": "højere end",
        "lower": "lavere end",
        "unchanged": "uændret fra",
        "and": "og",
        "no_value": "ingen værdi",
        "provisional": "foreløbigt tal",
        "incomplete": "perioden er ikke afsluttet",
        "break": "ny definition fra denne periode",
        "rose": "steg",
        "fell": "faldt",
    },
    "en": {
        "target": "the target",
        "budget": "the budget",
        "above": "above",
        "below": "below",
        "on": "level with",
        "of": "of",
        "higher": "higher than",
        "lower": "lower than",
        "unchanged": "unchanged from",
        "and": "and",
        "no_value": "no value",
        "provisional": "provisional",
        "incomplete": "period not yet complete",
        "break": "new definition from this period",
        "rose": "rose",
        "fell": "fell",
    },
}


def dimension_label(dimension_name: str, dimension_value: str, lang: str) -> str:
    """'kanal email' / 'channel email'; empty for the total."""
    if dimension_name == "total":
        return ""
    return f"{DIMENSION_NAMES[lang].get(dimension_name, dimension_name).replace('_', ' ')} {dimension_value}"


def named(name: str, dimension_name: str, dimension_value: str, lang: str) -> str:
    """The KPI's name with its breakdown: 'Hitrate (region Nord)'; the name alone for the total."""
    where = dimension_label(dimension_name, dimension_value, lang)
    return f"{name} ({where})" if where else name


def null_reason_text(reason: str | None, lang: str) -> str:
    if reason is None:
        return NULL_REASONS["no data in period"][lang]
    return NULL_REASONS.get(reason, {}).get(lang, reason)


# The columns commentary_sql reads, besides the labels of its language (name_<lang>, when_<lang>,
# before_<lang>, reason_<lang>, notes_<lang>: see commentary_labels).
COMMENTARY_COLUMNS = (
    "unit",
    "value",
    "target",
    "target_type",
    "previous_value",
    "is_provisional",
    "is_complete_period",
    "definition_break",
)


def commentary_labels(
    lang: str,
    *,
    name: str,
    grain: str,
    period_start: date,
    null_reason: str | None,
    dimension_name: str,
    dimension_value: str,
) -> dict[str, str]:
    """The words of a sentence that are not numbers: few distinct ones, worded once each.

    name: 'Hitrate (region Nord)'; when: 'i november 2026'; before: 'oktober'; reason: why a value
    is empty.
    """
    return {
        f"name_{lang}": named(name, dimension_name, dimension_value, lang),
        f"when_{lang}": period_phrase(grain, period_start, lang),
        f"before_{lang}": previous_period_label(grain, period_start, lang),
        f"reason_{lang}": null_reason_text(null_reason, lang),
    }


def commentary_sql(lang: str) -> str:
    """One sentence that puts a value in context, as an SQL expression over COMMENTARY_COLUMNS and
    the labels of `lang`; worded for millions of rows in one statement.

    'Hitrate 27 % i november 2026: 3 point under målet på 30 % og 2 point lavere end oktober.'
    Gaps and changes of ratios, NPS and scores are in points; of other units relative (12 % higher).
    `notes_<lang>` (a list, or null) are short extra remarks already in `lang` (the flags); they
    close the sentence in parentheses together with provisional, incomplete period and definition
    break. A breakdown row names its dimension value after the KPI: 'Hitrate (region Nord) 28,5 %
    i november 2026: ...'.
    """
    words = {key: sql_text(word) for key, word in _WORDS[lang].items()}
    name, when, before = f"name_{lang}", f"when_{lang}", f"before_{lang}"
    goal = f"(case when target_type = 'budget' then {words['budget']} else {words['target']} end)"
    target_text = format_value_sql("target", "unit", lang)
    target_part = f"""
        case
            when target is null then null
            when {is_negligible_sql("value - target", "target", "unit")}
                then {words["on"]} || ' ' || {goal} || ' ' || {words["of"]} || ' ' || {target_text}
            else {format_difference_sql("value - target", "target", "unit", lang)} || ' '
                || (case when value - target > 0 then {words["above"]} else {words["below"]} end)
                || ' ' || {goal} || ' ' || {words["of"]} || ' ' || {target_text}
        end"""
    previous_part = f"""
        case
            when previous_value is null then null
            when {is_negligible_sql("value - previous_value", "previous_value", "unit")}
                then {words["unchanged"]} || ' ' || {before}
            else {format_difference_sql("value - previous_value", "previous_value", "unit", lang)} || ' '
                || (case when value - previous_value > 0 then {words["higher"]} else {words["lower"]} end)
                || ' ' || {before}
        end"""
    remarks = f"""concat_ws('; ',
            case when is_provisional then {words["provisional"]} end,
            case when not coalesce(is_complete_period, false) then {words["incomplete"]} end,
            case when definition_break then {words["break"]} end,
            nullif(array_to_string(notes_{lang}, '; '), '')
        )"""
    return f"""(
    case
        when value is null
            then {name} || ': ' || {words["no_value"]} || ' ' || {when} || ' (' || reason_{lang} || ').'
        else {name} || ' ' || {format_value_sql("value", "unit", lang)} || ' ' || {when}
            || coalesce(': ' || nullif(concat_ws(' ' || {words["and"]} || ' ', {target_part}, {previous_part}), ''), '')
            || coalesce(' (' || nullif({remarks}, '') || ')', '')
            || '.'
    end)"""


def commentary(
    lang: str,
    *,
    name: str,
    unit: str | None,
    grain: str,
    period_start: date,
    value: float | None,
    target: float | None = None,
    target_type: str | None = None,
    previous_value: float | None = None,
    is_provisional: bool = False,
    is_complete_period: bool = True,
    definition_break: bool = False,
    null_reason: str | None = None,
    notes: Sequence[str] = (),
    dimension_name: str = "total",
    dimension_value: str = "total",
) -> str:
    """The sentence of commentary_sql for one row (in an in-memory DuckDB), for the HTML and tests."""
    labels = commentary_labels(
        lang,
        name=name,
        grain=grain,
        period_start=period_start,
        null_reason=null_reason,
        dimension_name=dimension_name,
        dimension_value=dimension_value,
    )
    values = {
        "unit": (unit, "varchar"),
        "value": (value, "double"),
        "target": (target, "double"),
        "target_type": (target_type, "varchar"),
        "previous_value": (previous_value, "double"),
        "is_provisional": (is_provisional, "boolean"),
        "is_complete_period": (is_complete_period, "boolean"),
        "definition_break": (definition_break, "boolean"),
        f"notes_{lang}": (list(notes), "varchar[]"),
        **{column: (text, "varchar") for column, text in labels.items()},
    }
    row = ", ".join(f"cast(? as {kind}) as {column}" for column, (_, kind) in values.items())
    with duckdb.connect() as con:
        create_format_macros(con)
        return con.execute(
            f"select {commentary_sql(lang)} from (select {row})", [value for value, _ in values.values()]
        ).fetchone()[0]


# ── Flag sentences ───────────────────────────────────────────────────────────


def movement(value: float, previous: float, unit: str | None, lang: str) -> str:
    """'steg 0,4 point (8 %) fra 5 % til 5,4 %' / 'fell 12.5% from 48 to 42 minutes'."""
    words = _WORDS[lang]
    verb = words["rose"] if value > previous else words["fell"]
    relative = format_percent(abs(value - previous) / abs(previous), lang)
    if unit in POINT_UNITS:
        points = (value - previous) * (100 if unit == "ratio" else 1)
        amount = f"{format_points(points, lang)} ({relative})"
    else:
        amount = relative
    span = "fra {} til {}" if lang == "da" else "from {} to {}"
    return f"{verb} {amount} " + span.format(
        format_value(previous, unit, lang), format_value(value, unit, lang)
    )


def guardrail_message(
    lang: str,
    *,
    grain: str,
    period_start: date,
    dimension_name: str,
    dimension_value: str,
    headline_name: str,
    headline_unit: str | None,
    headline_value: float,
    headline_previous: float,
    guardrail_name: str,
    guardrail_unit: str | None,
    guardrail_value: float,
    guardrail_previous: float,
    meaning: str,
    is_complete_period: bool = True,
    provisional_names: Sequence[str] = (),
) -> str:
    """What moved, by how much, and what it may mean.

    A flag on a period still running or on a provisional value (`provisional_names`: the KPIs
    whose value now or in the previous period is provisional) ends with a plain caveat, so that
    an analyst does not read a move that may still change as a settled one.
    """
    where = dimension_label(dimension_name, dimension_value, lang)
    prefix = f"{where[:1].upper()}{where[1:]}: " if where else ""
    before = previous_period_label(grain, period_start, lang)
    now = period_label(grain, period_start, lang)
    headline = movement(headline_value, headline_previous, headline_unit, lang)
    guardrail = movement(guardrail_value, guardrail_previous, guardrail_unit, lang)
    caveats = []
    if lang == "da":
        if not is_complete_period:
            caveats.append(f"{now} er ikke slut endnu")
        if provisional_names:
            names = " og ".join(provisional_names)
            caveats.append(
                f"{names} er {'foreløbige tal' if len(provisional_names) > 1 else 'et foreløbigt tal'}"
            )
        caveat = f" Bemærk: {', og '.join(caveats)}, så tallene kan stadig ændre sig." if caveats else ""
        return (
            f"{prefix}{headline_name} {headline} fra {before} til {now}, mens {guardrail_name} "
            f"{guardrail} og dermed gik den forkerte vej. Det kan betyde: {meaning}.{caveat}"
        )
    if not is_complete_period:
        caveats.append(f"{now} is still running")
    if provisional_names:
        names = " and ".join(provisional_names)
        caveats.append(f"{names} {'are' if len(provisional_names) > 1 else 'is'} provisional")
    caveat = f" Note: {', and '.join(caveats)}, so the numbers may still change." if caveats else ""
    return (
        f"{prefix}{headline_name} {headline} from {before} to {now}, while {guardrail_name} "
        f"{guardrail}, the wrong way. It may mean: {meaning}.{caveat}"
    )


def guardrail_note(other_name: str, other_value: float, other_previous: float, lang: str) -> str:
    """The short remark in the commentary of a flagged row: 'advarsel: Genåbningsrate steg samtidig'."""
    words = _WORDS[lang]
    verb = words["rose"] if other_value > other_previous else words["fell"]
    if lang == "da":
        return f"advarsel: {other_name} {verb} samtidig"
    return f"warning: {other_name} {verb} at the same time"


def selection_bias_message(
    lang: str,
    *,
    grain: str,
    period_start: date,
    dimension_name: str,
    dimension_value: str,
    surveyed_rate: float,
    not_surveyed_rate: float,
    surveyed_tickets: int,
    not_surveyed_tickets: int,
) -> str:
    """The CSAT selection-bias check: first contact resolution of surveyed vs not surveyed tickets."""
    where = dimension_label(dimension_name, dimension_value, lang)
    gap = format_points((surveyed_rate - not_surveyed_rate) * 100, lang)
    surveyed = format_percent(surveyed_rate, lang)
    others = format_percent(not_surveyed_rate, lang)
    counts = f"{surveyed_tickets:,} og {not_surveyed_tickets:,}".replace(",", ".")
    if lang == "da":
        scope = f"sager løst {period_phrase(grain, period_start, lang)}" + (f" ({where})" if where else "")
        effect = "for godt" if surveyed_rate > not_surveyed_rate else "for dårligt"
        return (
            f"Blandt {scope} blev {surveyed} af sagerne med en tilfredshedsmåling løst ved første "
            f"kontakt, mod {others} af sagerne uden ({gap} forskel; {counts} sager). CSAT måles "
            f"dermed på en skæv del af kunderne og kan se {effect} ud."
        )
    scope = f"tickets resolved {period_phrase(grain, period_start, lang)}" + (f" ({where})" if where else "")
    effect = "better" if surveyed_rate > not_surveyed_rate else "worse"
    return (
        f"Among {scope}, {surveyed} of those sent a CSAT survey were solved at first contact against "
        f"{others} of those not surveyed (a gap of {gap}; {surveyed_tickets:,} and "
        f"{not_surveyed_tickets:,} tickets). CSAT is measured on a skewed set of customers and may "
        f"look {effect} than it is."
    )


SELECTION_BIAS_NOTE = {
    "da": "advarsel: skæv udvælgelse til tilfredshedsmålingen",
    "en": "warning: the CSAT survey sample is skewed",
}


def drift_message(lang: str, *, kpi_name: str, old_version: str, new_version: str) -> str:
    if lang == "da":
        return (
            f"Definitionen af {kpi_name} er ændret fra denne periode (version {old_version} → "
            f"{new_version}); tal før og efter er beregnet forskelligt og bør ikke læses som én serie."
        )
    return (
        f"The definition of {kpi_name} changed from this period (version {old_version} → {new_version}); "
        "values before and after are computed differently and should not be read as one series."
    )
