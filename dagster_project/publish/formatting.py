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
    decimals, trim = _DECIMALS.get(unit or "", (2, True))
    number = format_number(value, decimals, lang, trim)
    return _with_unit(number, value, unit, lang)


def _with_unit(number: str, value: float, unit: str | None, lang: str) -> str:
    singular = abs(value) == 1
    if lang == "da":
        suffix = {
            "dkk": " kr.",
            "days": " dag" if singular else " dage",
            "minutes": " minut" if singular else " minutter",
            "seconds": " sekund" if singular else " sekunder",
            "units_per_hour": " enheder/time",
            "multiple": "x",
            "per_1000": " pr. 1.000 kunder",
        }.get(unit or "", "")
        return number + suffix
    if unit == "dkk":
        return f"DKK {number}"
    suffix = {
        "days": " day" if singular else " days",
        "minutes": " minute" if singular else " minutes",
        "seconds": " second" if singular else " seconds",
        "units_per_hour": " units/hour",
        "multiple": "x",
        "per_1000": " per 1,000 customers",
    }.get(unit or "", "")
    return number + suffix


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
    return round(abs(difference), _DECIMALS.get(unit or "", (2, True))[0]) == 0


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
