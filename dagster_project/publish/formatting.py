"""Numbers, units and periods as a reader writes them: Danish (27,5 %, 1.234.567 kr.) or English.

Pure functions, no I/O: the commentary, the guardrail sentences and the HTML scorecard all format
through them, so a number reads the same everywhere it is published. The locale facts (decimal
and group separators, month names) are CLDR's, through Babel; the digits are laid out by Python's
own formatting, which is some twenty times faster than Babel's pattern engine and matters when
millions of sentences are worded.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from functools import lru_cache

from babel import Locale

LANGUAGES = ("da", "en")
LOCALES = {"da": Locale.parse("da_DK"), "en": Locale.parse("en_US")}

MONTHS = {
    lang: tuple(locale.months["format"]["wide"][month] for month in range(1, 13))
    for lang, locale in LOCALES.items()
}
# Python writes 1,234,567.5; each language's CLDR separators replace the two.
_SEPARATORS = {
    lang: str.maketrans(
        {",": locale.number_symbols["latn"]["group"], ".": locale.number_symbols["latn"]["decimal"]}
    )
    for lang, locale in LOCALES.items()
}

# Units whose differences read as points (a ratio's percentage points, an NPS or a score's points);
# for every other unit a change is stated relative to where it came from (12 % higher).
POINT_UNITS = frozenset({"ratio", "nps", "score"})

# Decimals shown per unit, and whether trailing zeros are dropped (27,0 % reads as 27 %).
_DECIMALS = {
    "dkk": (0, False),
    "ratio": (1, True),
    "count": (0, False),
    "days": (1, True),
    "minutes": (1, True),
    "seconds": (1, True),
    "score": (2, True),
    "nps": (1, True),
    "units_per_hour": (1, True),
    "multiple": (1, True),
    "per_1000": (1, True),
}
_DEFAULT_DECIMALS = (2, True)  # a unit not listed

_SCALES = {decimals: 10**decimals for decimals in range(10)}


def format_number(value: float, decimals: int = 0, lang: str = "da", trim: bool = False) -> str:
    """1234567.5 → '1.234.567,5' (da) or '1,234,567.5' (en); `trim` drops trailing zeros.

    Halves round away from zero, as a reader rounds (42,25 → 42,3), not to even as binary floats do.
    """
    scale = _SCALES[decimals]
    # The relative nudge lifts a product like 42.25 * 10 = 422.49999999999994 back onto the half.
    units = math.floor(abs(value) * scale * (1 + 1e-14) + 0.5)
    text = f"{units / scale:,.{decimals}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    text = text.translate(_SEPARATORS[lang])
    if value < 0 and any(ch not in "0.," for ch in text):
        text = "-" + text
    return text


def format_percent(fraction: float, lang: str = "da", decimals: int = 1) -> str:
    """0.275 → '27,5 %' (da, with the space Danish puts before %) or '27.5%' (en)."""
    number = format_number(fraction * 100, decimals, lang, trim=True)
    return f"{number} %" if lang == "da" else f"{number}%"


def format_value(value: float, unit: str | None, lang: str = "da") -> str:
    """A KPI value in its unit: '27,5 %', '1.234.567 kr.', '12,5 dage', 'DKK 1,234,567'."""
    if unit == "ratio":
        return format_percent(value, lang)
    decimals, trim = _DECIMALS.get(unit or "", _DEFAULT_DECIMALS)
    number = format_number(value, decimals, lang, trim)
    return _with_unit(number, value, unit, lang)


# What follows the number (singular, plural), per language; English puts DKK before it.
_SUFFIXES = {
    "da": {
        "dkk": (" kr.", " kr."),
        "days": (" dag", " dage"),
        "minutes": (" minut", " minutter"),
        "seconds": (" sekund", " sekunder"),
        "units_per_hour": (" enheder/time", " enheder/time"),
        "multiple": ("x", "x"),
        "per_1000": (" pr. 1.000 kunder", " pr. 1.000 kunder"),
    },
    "en": {
        "days": (" day", " days"),
        "minutes": (" minute", " minutes"),
        "seconds": (" second", " seconds"),
        "units_per_hour": (" units/hour", " units/hour"),
        "multiple": ("x", "x"),
        "per_1000": (" per 1,000 customers", " per 1,000 customers"),
    },
}
_PREFIXES = {"da": {}, "en": {"dkk": "DKK "}}


def _with_unit(number: str, value: float, unit: str | None, lang: str) -> str:
    singular, plural = _SUFFIXES[lang].get(unit or "", ("", ""))
    return _PREFIXES[lang].get(unit or "", "") + number + (singular if abs(value) == 1 else plural)


def format_points(points: float, lang: str = "da") -> str:
    """A distance in points (percentage points for ratios): '3 point', '2,5 point', '1 point'/'3 points'."""
    number = format_number(abs(points), 1, lang, trim=True)
    if lang == "da":
        return f"{number} point"
    return f"{number} point" if number == "1" else f"{number} points"


def format_difference(difference: float, reference: float | None, unit: str | None, lang: str) -> str:
    """How far apart two values are, without sign: points for ratios, NPS and scores, else relative.

    `reference` is the value the difference is measured from (the target or the previous value); when
    it is missing or zero a relative change is undefined and the difference is given in the unit.
    """
    if unit in POINT_UNITS:
        return format_points(difference * 100 if unit == "ratio" else difference, lang)
    if reference:
        return format_percent(abs(difference) / abs(reference), lang)
    return format_value(abs(difference), unit, lang)


def is_negligible(difference: float, reference: float | None, unit: str | None) -> bool:
    """True when the difference shows as zero at the precision format_difference writes it with."""
    if unit in POINT_UNITS:
        return round(abs(difference) * (100 if unit == "ratio" else 1), 1) == 0
    if reference:
        return round(abs(difference) / abs(reference) * 100, 1) == 0
    return round(abs(difference), _DECIMALS.get(unit or "", _DEFAULT_DECIMALS)[0]) == 0


# ── Periods ──────────────────────────────────────────────────────────────────


def month_name(month: int, lang: str = "da") -> str:
    return MONTHS[lang][month - 1]


@lru_cache(maxsize=8192)
def period_label(grain: str, period_start: date, lang: str = "da", with_year: bool = True) -> str:
    """'november 2026', 'uge 47 2026', '27. november 2026' (da); 'November 2026', 'week 47 2026' (en)."""
    if grain == "month":
        name = month_name(period_start.month, lang)
        return f"{name} {period_start.year}" if with_year else name
    if grain == "week":
        iso_year, iso_week, _ = period_start.isocalendar()
        word = "uge" if lang == "da" else "week"
        return f"{word} {iso_week} {iso_year}" if with_year else f"{word} {iso_week}"
    name = month_name(period_start.month, lang)
    label = f"{period_start.day}. {name}" if lang == "da" else f"{period_start.day} {name}"
    return f"{label} {period_start.year}" if with_year else label


@lru_cache(maxsize=8192)
def period_phrase(grain: str, period_start: date, lang: str = "da") -> str:
    """The period after a value: 'i november 2026', 'den 27. november 2026', 'in week 47 2026'."""
    label = period_label(grain, period_start, lang)
    if grain == "day":
        return f"den {label}" if lang == "da" else f"on {label}"
    return f"i {label}" if lang == "da" else f"in {label}"


def previous_period_start(grain: str, period_start: date) -> date:
    if grain == "day":
        return period_start - timedelta(days=1)
    if grain == "week":
        return period_start - timedelta(days=7)
    year, month = (
        (period_start.year, period_start.month - 1)
        if period_start.month > 1
        else (
            period_start.year - 1,
            12,
        )
    )
    return date(year, month, 1)


@lru_cache(maxsize=8192)
def previous_period_label(grain: str, period_start: date, lang: str = "da") -> str:
    """The period before, named as short as it reads unambiguously: 'oktober', 'december 2025'."""
    previous = previous_period_start(grain, period_start)
    if grain == "week":
        same_year = previous.isocalendar()[0] == period_start.isocalendar()[0]
    else:
        same_year = previous.year == period_start.year
    return period_label(grain, previous, lang, with_year=not same_year)


def format_date(day: date, lang: str = "da") -> str:
    return period_label("day", day, lang)


# ── The same formats as DuckDB SQL ───────────────────────────────────────────
# The commentary of millions of rows is worded in one SQL statement (wording.py); these build its
# expressions from the tables above, so a number reads the same whether Python or DuckDB wrote it
# (tests/test_publish_formatting.py compares the two over edge values). Arguments are SQL
# expressions; each function returns one. The number macros must exist on the connection
# (create_format_macros).


def sql_text(text: str) -> str:
    """A Python string as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def create_format_macros(con) -> None:
    """`kpi_number_da(v, decimals, trim)` and `_en`: format_number as temporary DuckDB macros."""
    for lang, locale in LOCALES.items():
        group = sql_text(locale.number_symbols["latn"]["group"])
        decimal = sql_text(locale.number_symbols["latn"]["decimal"])
        # units: the value in its last shown digit, halves away from zero (as format_number).
        con.execute(
            f"""
            create or replace temp macro kpi_number_digits_{lang}(units, decimals, trim) as
                replace(format('{{:,}}', units // cast(pow(10, decimals) as bigint)), ',', {group})
                || coalesce({decimal} || nullif(
                    case
                        when decimals = 0 then ''
                        when trim then rtrim(lpad(cast(units % cast(pow(10, decimals) as bigint) as varchar), decimals, '0'), '0')
                        else lpad(cast(units % cast(pow(10, decimals) as bigint) as varchar), decimals, '0')
                    end, ''), '')
            """
        )
        con.execute(
            f"""
            create or replace temp macro kpi_number_{lang}(v, decimals, trim) as
                case
                    when v < 0 and floor(abs(v) * pow(10, decimals) * (1 + 1e-14) + 0.5) > 0 then '-'
                    else ''
                end
                || kpi_number_digits_{lang}(
                    cast(floor(abs(v) * pow(10, decimals) * (1 + 1e-14) + 0.5) as bigint), decimals, trim
                )
            """
        )


def format_number_sql(value: str, decimals: int, lang: str, trim: bool = False) -> str:
    return f"kpi_number_{lang}({value}, {decimals}, {'true' if trim else 'false'})"


def format_percent_sql(fraction: str, lang: str) -> str:
    return format_number_sql(f"({fraction}) * 100", 1, lang, trim=True) + (
        " || ' %'" if lang == "da" else " || '%'"
    )


def format_value_sql(value: str, unit: str, lang: str) -> str:
    branches = [f"when {unit} = 'ratio' then {format_percent_sql(value, lang)}"]
    for name, (decimals, trim) in _DECIMALS.items():
        if name == "ratio":
            continue
        singular, plural = _SUFFIXES[lang].get(name, ("", ""))
        suffix = (
            f"{sql_text(singular)}"
            if singular == plural
            else f"case when abs({value}) = 1 then {sql_text(singular)} else {sql_text(plural)} end"
        )
        prefix = sql_text(_PREFIXES[lang].get(name, ""))
        branches.append(
            f"when {unit} = '{name}' then {prefix} || {format_number_sql(value, decimals, lang, trim)} || {suffix}"
        )
    default = format_number_sql(value, _DEFAULT_DECIMALS[0], lang, _DEFAULT_DECIMALS[1])
    return f"(case {' '.join(branches)} else {default} end)"


def format_points_sql(points: str, lang: str) -> str:
    number = format_number_sql(f"abs({points})", 1, lang, trim=True)
    if lang == "da":
        return f"({number} || ' point')"
    return f"({number} || case when {number} = '1' then ' point' else ' points' end)"


_POINT_UNITS_SQL = ", ".join(f"'{unit}'" for unit in sorted(POINT_UNITS))


def format_difference_sql(difference: str, reference: str, unit: str, lang: str) -> str:
    points = f"(case when {unit} = 'ratio' then ({difference}) * 100 else {difference} end)"
    return (
        f"(case when {unit} in ({_POINT_UNITS_SQL}) then {format_points_sql(points, lang)} "
        f"when {reference} <> 0 then {format_percent_sql(f'abs({difference}) / abs({reference})', lang)} "
        f"else {format_value_sql(f'abs({difference})', unit, lang)} end)"
    )


def _rounds_to_zero_sql(number: str, decimals: int) -> str:
    """Python's round(number, decimals) == 0 for a number >= 0 (halves to even: round(0.5) == 0).

    The literal 5e-(decimals+1) is a binary double just above the decimal half, so every double
    below it is below the half too.
    """
    if decimals == 0:
        return f"({number} <= 0.5)"
    return f"({number} < {0.5 / 10**decimals!r})"


def is_negligible_sql(difference: str, reference: str, unit: str) -> str:
    by_unit = " ".join(
        f"when {unit} = '{name}' then {_rounds_to_zero_sql(f'abs({difference})', decimals)}"
        for name, (decimals, _) in _DECIMALS.items()
    )
    default = _rounds_to_zero_sql(f"abs({difference})", _DEFAULT_DECIMALS[0])
    points = f"abs({difference}) * (case when {unit} = 'ratio' then 100 else 1 end)"
    relative = f"abs({difference}) / abs({reference}) * 100"
    return (
        f"(case when {unit} in ({_POINT_UNITS_SQL}) then {_rounds_to_zero_sql(points, 1)} "
        f"when {reference} <> 0 then {_rounds_to_zero_sql(relative, 1)} "
        f"else (case {by_unit} else {default} end) end)"
    )
