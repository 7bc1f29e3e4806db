"""Shared shape of the demo company: regions, seasons, weekdays, growth, and the run context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from dagster_project.ingest.contract import TABLES_BY_KEY
from tools.demo_data.frame import Frame
from tools.demo_data.rand import rng_for
from tools.demo_data.scenarios import Scenario, by_id
from tools.demo_data.styles import style_for
from tools.demo_data.timeutil import Window, at_local, weekday
from tools.demo_data.writer import Sink

REGIONS = ("Hovedstaden", "Midtjylland", "Syddanmark", "Sjælland", "Nordjylland")
REGION_WEIGHTS = np.array([0.34, 0.24, 0.21, 0.11, 0.10])
ANNUAL_GROWTH = 0.10

# Month-of-year factors (index 0 = January).
SALES_SEASON = np.array([0.90, 0.95, 1.03, 1.00, 1.04, 1.00, 0.70, 0.93, 1.06, 1.06, 1.10, 1.16])
WEB_SEASON = np.array([1.05, 1.05, 1.05, 1.00, 0.98, 0.90, 0.75, 0.90, 1.05, 1.05, 1.10, 0.95])
SERVICE_SEASON = np.array([1.12, 1.00, 1.00, 0.96, 0.96, 0.95, 0.80, 0.95, 1.00, 1.00, 1.05, 1.12])

# Day-of-week factors (Monday first) for business-to-business activity and for the web.
B2B_WEEKDAY = np.array([1.10, 1.10, 1.05, 1.00, 0.85, 0.10, 0.05])
WEB_WEEKDAY = np.array([1.15, 1.15, 1.10, 1.05, 0.90, 0.65, 0.70])


def enum_code(table_key: str, column: str, value: str) -> int:
    enum = TABLES_BY_KEY[table_key].column(column).enum
    assert enum is not None
    return enum.index(value)


def enum_labels(table_key: str, column: str) -> tuple[str, ...]:
    enum = TABLES_BY_KEY[table_key].column(column).enum
    assert enum is not None
    return enum


def day_weights(days: np.ndarray, by_weekday: np.ndarray) -> np.ndarray:
    return by_weekday[weekday(days)]


def sample_days(rng: np.random.Generator, days: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    return days[rng.choice(len(days), size=n, p=weights / weights.sum())]


def office_time_ms(
    rng: np.random.Generator, n: int, mean_hour: float = 11.5, sd_hour: float = 2.2
) -> np.ndarray:
    """Local time of day in office hours (07:00-17:30), whole seconds."""
    hours = np.clip(rng.normal(mean_hour, sd_hour, n), 7.0, 17.5)
    return (hours * 3600).astype(np.int64) * 1000


def any_time_ms(rng: np.random.Generator, n: int) -> np.ndarray:
    """Local time of day with a working-hours peak and an evening peak, whole seconds."""
    evening = rng.random(n) < 0.3
    hours = np.where(evening, rng.normal(20.5, 1.5, n), rng.normal(11.5, 2.8, n)) % 24
    return (hours * 3600).astype(np.int64) * 1000


def local_ms(days: np.ndarray, ms_of_day: np.ndarray) -> np.ndarray:
    return at_local(days, ms_of_day)


@dataclass
class Context:
    """What every generator step needs: seed, scale, window, scenarios and the sink."""

    seed: int
    scale: float
    window: Window
    scenarios: tuple[Scenario, ...]
    sink: Sink

    def rng(self, *keys: str | int) -> np.random.Generator:
        return rng_for(self.seed, *keys)

    def growth(self, month: int) -> float:
        return (1 + ANNUAL_GROWTH) ** (month / 12)

    def season(self, factors: np.ndarray, month: int) -> float:
        return float(factors[self.window.calendar_month(month) - 1])

    def active(self, scenario_id: str, month: int) -> bool:
        """Whether window month `month` lies in the scenario's window (False past the end)."""
        if not 0 <= month < self.window.n_months:
            return False
        return by_id(self.scenarios, scenario_id).covers(self.window.months[month])

    def scenario_month(self, scenario_id: str, offset: int = 0) -> int:
        """Window month index of a scenario's first month plus offset."""
        first = by_id(self.scenarios, scenario_id).first_month
        return self.window.months.index(first) + offset

    def emit(self, table_key: str, month: int, frame: Frame, part: int | None = None) -> None:
        """The extract of one window month (or one part of it)."""
        label = self.window.label(month) + (f"_p{part + 1:02d}" if part is not None else "")
        style = style_for(self.seed, table_key, self.window.label(month), month, self.window.n_months)
        self.sink.emit(table_key, label, frame, style)

    def emit_snapshot(self, table_key: str, day: date, frame: Frame) -> None:
        """A full extract as of `day` (the initial load, or a re-export)."""
        label = f"{day.isoformat()}_full"
        style = style_for(self.seed, table_key, label, None, self.window.n_months)
        self.sink.emit(table_key, label, frame, style)

    def scaled(self, base: float, minimum: int = 1) -> int:
        return max(minimum, round(base * self.scale))
