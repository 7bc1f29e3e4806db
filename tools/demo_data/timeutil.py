"""Calendar of the generation window and Europe/Copenhagen time, vectorised.

Timestamps are int64 milliseconds since the epoch (UTC), dates int64 day
numbers since 1970-01-01. Local time follows the EU rule (summer time from the
last Sunday of March to the last Sunday of October, both at 01:00 UTC), which
is what Europe/Copenhagen has used since 1996; no tz database is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

import numpy as np

EPOCH = date(1970, 1, 1)
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
NULL = np.iinfo(np.int64).min  # missing value of every int64 column (ints, timestamps, dates, codes)


def day_number(day: date) -> int:
    return (day - EPOCH).days


def from_day_number(number: int) -> date:
    return EPOCH + timedelta(days=int(number))


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_starts(start: date, end: date) -> tuple[date, ...]:
    """First days of the calendar months that overlap [start, end]."""
    first = start.replace(day=1)
    count = (end.year - first.year) * 12 + end.month - first.month + 1
    return tuple(add_months(first, i) for i in range(count))


def _last_sunday(year: int, month: int) -> date:
    last = add_months(date(year, month, 1), 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def _summer_bounds_ms(years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """UTC instants (ms) where summer time starts and ends, per year."""
    starts = [day_number(_last_sunday(int(y), 3)) * DAY_MS + HOUR_MS for y in years]
    ends = [day_number(_last_sunday(int(y), 10)) * DAY_MS + HOUR_MS for y in years]
    return np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)


def _year_of_ms(ms: np.ndarray) -> np.ndarray:
    return ms.astype("datetime64[ms]").astype("datetime64[Y]").astype(np.int64) + 1970


def _bounds_for(ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    years = _year_of_ms(ms)
    low = int(years.min()) if years.size else 1970
    table_years = np.arange(low, (int(years.max()) if years.size else low) + 1)
    starts, ends = _summer_bounds_ms(table_years)
    return starts[years - low], ends[years - low]


def utc_offset_ms(utc_ms: np.ndarray) -> np.ndarray:
    """Offset of Europe/Copenhagen from UTC at each instant: one or two hours."""
    starts, ends = _bounds_for(utc_ms)
    summer = (utc_ms >= starts) & (utc_ms < ends)
    return HOUR_MS + HOUR_MS * summer.astype(np.int64)


def local_to_utc(local_ms: np.ndarray) -> np.ndarray:
    """Local wall-clock ms to UTC; a repeated autumn hour is read as its earlier instant."""
    starts, ends = _bounds_for(local_ms)
    summer = (local_ms >= starts + HOUR_MS) & (local_ms < ends + 2 * HOUR_MS)
    return local_ms - HOUR_MS - HOUR_MS * summer.astype(np.int64)


def unambiguous(utc_ms: np.ndarray) -> np.ndarray:
    """Move instants of the repeated autumn hour to its end (03:00 winter time).

    Naive local times of that hour are ambiguous; moving them forward keeps
    every `a >= b` rule true because the map never decreases.
    """
    _, ends = _bounds_for(utc_ms)
    inside = (utc_ms >= ends - HOUR_MS) & (utc_ms < ends + HOUR_MS)
    return np.where(inside, ends + HOUR_MS, utc_ms)


def local_day(utc_ms: np.ndarray) -> np.ndarray:
    """Local calendar day number of each instant."""
    return (utc_ms + utc_offset_ms(utc_ms)) // DAY_MS


def at_local(days: np.ndarray, ms_of_day: np.ndarray) -> np.ndarray:
    """UTC instants of a local day plus a local time of day."""
    return local_to_utc(days.astype(np.int64) * DAY_MS + ms_of_day.astype(np.int64))


def weekday(days: np.ndarray) -> np.ndarray:
    """0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


@dataclass(frozen=True)
class Window:
    """The generated period: local dates start..end inclusive, cut into calendar months."""

    start: date
    end: date

    @cached_property
    def months(self) -> tuple[date, ...]:
        return month_starts(self.start, self.end)

    @property
    def n_months(self) -> int:
        return len(self.months)

    @cached_property
    def _month_start_days(self) -> np.ndarray:
        firsts = [*self.months, add_months(self.months[-1], 1)]
        return np.array([day_number(m) for m in firsts], dtype=np.int64)

    @property
    def start_day(self) -> int:
        return day_number(self.start)

    @property
    def end_day(self) -> int:
        return day_number(self.end)

    def first_day(self, month: int) -> int:
        return max(int(self._month_start_days[month]), self.start_day)

    def last_day(self, month: int) -> int:
        return min(int(self._month_start_days[month + 1]) - 1, self.end_day)

    def days(self, month: int) -> np.ndarray:
        return np.arange(self.first_day(month), self.last_day(month) + 1, dtype=np.int64)

    def cutoff_ms(self, month: int) -> int:
        """UTC instant of local midnight after the month's last generated day."""
        return int(at_local(np.array([self.last_day(month) + 1]), np.array([0]))[0])

    @property
    def start_ms(self) -> int:
        return int(at_local(np.array([self.start_day]), np.array([0]))[0])

    @property
    def end_cutoff_ms(self) -> int:
        return self.cutoff_ms(self.n_months - 1)

    def month_of_day(self, days: np.ndarray) -> np.ndarray:
        """Month index of local day numbers: -1 before the window, n_months after it."""
        index = np.searchsorted(self._month_start_days, days, side="right") - 1
        index = np.where(days < self.start_day, -1, index)
        return np.where(days > self.end_day, self.n_months, index)

    def month_of_ms(self, utc_ms: np.ndarray) -> np.ndarray:
        safe = np.where(utc_ms == NULL, 0, utc_ms)
        return np.where(utc_ms == NULL, self.n_months, self.month_of_day(local_day(safe)))

    def calendar_month(self, month: int) -> int:
        return self.months[month].month

    def label(self, month: int) -> str:
        return self.months[month].strftime("%Y-%m")
