"""Production (MES): machines, production runs and material usage."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tools.demo_data.crm import MANUFACTURED, Products
from tools.demo_data.frame import Frame, cats, ids, take
from tools.demo_data.model import Context
from tools.demo_data.rand import choice
from tools.demo_data.scenarios import PRODUCTION_LINE
from tools.demo_data.timeutil import from_day_number, weekday

LINES = ("L01", "L02", "L03", "L04", "L05", "L06")
SITES = ("Vejle", "Herning")
_LINE_SITE = np.array([0, 0, 0, 0, 1, 1])
_LINE_CATEGORY = np.array([0, 0, 1, 3, 2, 1])  # product category each line makes
_AVAILABILITY = np.array([0.90, 0.88, 0.86, 0.89, 0.82, 0.87])
_PERFORMANCE = np.array([0.90, 0.84, 0.87, 0.90, 0.80, 0.88])
_QUALITY = np.array([0.975, 0.97, 0.965, 0.98, 0.95, 0.97])
MATERIALS = ("Stål", "Messing", "Støbejern", "Plast (PP)", "Elektronik", "Emballage")
_LINE_MATERIAL = np.array([0, 0, 1, 4, 2, 3])
_SCRAP_RATE = np.array([0.03, 0.035, 0.04, 0.025, 0.05, 0.03])
_PACKAGING_SCRAP_RATE = 0.01
RUNS_PER_DAY = 60
_SHIFT_WEEKDAY = np.array([1.3, 1.3, 1.3, 1.3, 1.3, 0.35, 0.05])
SCENARIO_LINE = LINES.index(PRODUCTION_LINE)


@dataclass
class Machines:
    frame: Frame
    line: np.ndarray
    installed_day: np.ndarray


def make_machines(ctx: Context) -> Machines:
    rng = ctx.rng("machines")
    n = ctx.scaled(30, minimum=len(LINES))
    line = np.sort(np.arange(n) % len(LINES))
    installed = ctx.window.start_day - rng.integers(200, 6000, n)
    new = rng.random(n) < 0.12
    middle = ctx.window.n_months // 2
    installed = np.where(new, ctx.window.first_day(middle), installed)
    frame: Frame = {
        "machine_id": ids("M", 3, 101 + np.arange(n)),
        "line_id": cats(LINES, line),
        "site": cats(SITES, _LINE_SITE[line]),
    }
    return Machines(frame, line, installed)


def emit_machines(ctx: Context, machines: Machines) -> None:
    """The initial list, and a full re-export half-way that adds the new machines."""
    window = ctx.window
    old = np.flatnonzero(machines.installed_day < window.start_day)
    ctx.emit_snapshot("mes.machines", window.start, take(machines.frame, old))
    middle = window.n_months // 2
    if middle > 0:
        ctx.emit_snapshot("mes.machines", window.months[middle], machines.frame)


def _holiday_factor(days: np.ndarray) -> np.ndarray:
    """Industrial holiday in weeks 28-30 and the days around Christmas and New Year."""
    factor = np.ones(len(days))
    for i, day in enumerate(days):
        d = from_day_number(int(day))
        if 28 <= d.isocalendar().week <= 30:
            factor[i] = 0.3
        elif (d.month, d.day) in ((12, 24), (12, 25), (12, 26), (12, 31), (1, 1)):
            factor[i] = 0.05
    return factor


@dataclass
class MesBook:
    next_run: int = 1
    next_usage: int = 1


def production_month(
    ctx: Context, month: int, machines: Machines, products: Products, book: MesBook
) -> tuple[Frame, Frame]:
    rng = ctx.rng("production", month)
    days = ctx.window.days(month)
    n_machines = len(machines.line)
    slots = n_machines * 3
    push = ctx.active("production_volume_over_quality", month)
    day_factor = _SHIFT_WEEKDAY[weekday(days)] * _holiday_factor(days)
    probability = RUNS_PER_DAY * ctx.scale * ctx.growth(month) ** 0.5 / slots * day_factor
    probability = np.broadcast_to(probability[:, None, None], (len(days), n_machines, 3)).copy()
    on_line = machines.line == SCENARIO_LINE
    if push:  # weekend shifts on the scenario line
        weekend = weekday(days) >= 5
        probability[np.ix_(weekend, on_line, np.arange(3))] = np.maximum(
            probability[np.ix_(weekend, on_line, np.arange(3))], probability.max() * 0.9
        )
    installed = machines.installed_day[None, :, None] <= days[:, None, None]
    runs = (rng.random(probability.shape) < np.minimum(probability, 0.95)) & installed
    day_index, machine, _shift = np.nonzero(runs)
    n = len(day_index)
    day = days[day_index]
    line = machines.line[machine]
    scenario = push & (line == SCENARIO_LINE)

    product = _products_for_lines(rng, line, products)
    planned = np.array([480, 450, 420])[choice(rng, n, [0.85, 0.1, 0.05])].astype(np.int64)
    downtime = np.minimum(
        np.round(planned * (1 - _AVAILABILITY[line]) * rng.gamma(2.0, 0.5, n)), planned
    ).astype(np.int64)
    cycle = products.cycle_seconds[product]
    performance = _PERFORMANCE[line] * np.where(scenario, 1.15, 1.0) * rng.normal(1, 0.04, n)
    total = np.maximum(0, np.floor((planned - downtime) * 60 / cycle * performance)).astype(np.int64)
    quality = np.where(scenario, 0.87, _QUALITY[line]) * rng.normal(1, 0.008, n)
    good = rng.binomial(total, np.clip(quality, 0, 1)).astype(np.int64)
    numbers = np.arange(book.next_run, book.next_run + n)
    book.next_run += n
    machine_numbers = 101 + machine
    if month == ctx.window.n_months // 2 and n > 10:
        machine_numbers[rng.choice(n, 3, replace=False)] = 990 + np.arange(3)
        ctx.sink.count_orphans("mes.production_runs", "machine_id", 3)
    runs_frame: Frame = {
        "run_id": ids("RUN", 9, numbers),
        "machine_id": ids("M", 3, machine_numbers),
        "product_id": ids("P", 4, product + 1),
        "shift_date": day,
        "planned_minutes": planned,
        "downtime_minutes": downtime,
        "ideal_cycle_seconds": cycle,
        "total_count": total,
        "good_count": good,
    }
    usage = _material_usage(rng, day, line, total, product, products, scenario, book)
    return runs_frame, usage


def _products_for_lines(rng: np.random.Generator, line: np.ndarray, products: Products) -> np.ndarray:
    product = np.zeros(len(line), dtype=np.int64)
    for category in MANUFACTURED:
        rows = np.flatnonzero(_LINE_CATEGORY[line] == category)
        members = np.flatnonzero(products.category == category)
        product[rows] = members[choice(rng, len(rows), products.popularity[members])]
    return product


def _material_usage(
    rng: np.random.Generator,
    day: np.ndarray,
    line: np.ndarray,
    total: np.ndarray,
    product: np.ndarray,
    products: Products,
    scenario: np.ndarray,
    book: MesBook,
) -> Frame:
    n = len(day)
    main_input = np.maximum(total * products.kg_per_unit[product] * rng.normal(1.03, 0.02, n), 0.5)
    main_rate = np.where(scenario, 0.10, _SCRAP_RATE[line])
    packaging = np.flatnonzero(rng.random(n) < 0.35)
    pack_input = np.maximum(main_input[packaging] * rng.normal(0.04, 0.002, len(packaging)), 0.5)
    input_kg = np.r_[main_input, pack_input]
    rate = np.r_[main_rate, np.full(len(packaging), _PACKAGING_SCRAP_RATE)]
    scrap = np.minimum(input_kg * rate * rng.gamma(100.0, 1 / 100, len(input_kg)), input_kg * 0.9)
    material = np.r_[_LINE_MATERIAL[line], np.full(len(packaging), MATERIALS.index("Emballage"))]
    order = np.argsort(np.r_[day, day[packaging]], kind="stable")
    m = len(order)
    numbers = np.arange(book.next_usage, book.next_usage + m)
    book.next_usage += m
    return {
        "usage_id": ids("MU", 9, numbers),
        "line_id": cats(LINES, np.r_[line, line[packaging]][order]),
        "usage_date": np.r_[day, day[packaging]][order],
        "material": cats(MATERIALS, material[order]),
        "input_kg": np.round(input_kg[order], 2),
        "scrap_kg": np.round(scrap[order], 2),
    }
