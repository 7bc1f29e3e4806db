"""Finance: revenue budgets per month and region, one file per budget year plus a reforecast."""

from __future__ import annotations

from datetime import date

import numpy as np

from tools.demo_data.crm import REGIONS, SalesBook
from tools.demo_data.frame import Frame, cats
from tools.demo_data.model import Context
from tools.demo_data.styles import style_for
from tools.demo_data.timeutil import add_months, day_number

BUDGET_AMBITION = 0.03  # budgets sit a little above what the business then does
NEXT_YEAR_UPLIFT = 1.08


def _budget_table(ctx: Context, book: SalesBook) -> dict[tuple[int, int, int], float]:
    """(year, month, region) -> budget, near the revenue the model produces without the push."""
    rng = ctx.rng("budgets")
    window = ctx.window
    budgets: dict[tuple[int, int, int], float] = {}
    for m, first in enumerate(window.months):
        calendar_days = (add_months(first, 1) - first).days
        generated_days = window.last_day(m) - window.first_day(m) + 1
        for r in range(len(REGIONS)):
            expected = book.baseline_revenue.get((m, r), 0.0) * calendar_days / generated_days
            noise = rng.normal(BUDGET_AMBITION, 0.04)
            budgets[(first.year, first.month, r)] = round(expected * (1 + noise), -3)
    last = window.months[-1]
    for month in range(last.month + 1, 13):
        for r in range(len(REGIONS)):
            before = budgets.get((last.year - 1, month, r))
            if before is None:
                same_region = [v for (_, _, rr), v in budgets.items() if rr == r]
                before = float(np.mean(same_region))
            budgets[(last.year, month, r)] = round(before * NEXT_YEAR_UPLIFT, -3)
    return budgets


def _frame(rows: list[tuple[int, int, int, float]]) -> Frame:
    return {
        "month": np.array([day_number(date(y, m, 1)) for y, m, _, _ in rows], dtype=np.int64),
        "region": cats(REGIONS, np.array([r for _, _, r, _ in rows])),
        "revenue_budget": np.array([v for *_, v in rows], dtype=np.float64),
    }


def emit_budgets(ctx: Context, book: SalesBook) -> None:
    """One file per budget year, and a reforecast of the last months as a later file.

    The reforecast is written first so that the table's bad row lands in it:
    the quarantined revision leaves the original budget of that month in place.
    """
    budgets = _budget_table(ctx, book)
    rng = ctx.rng("budgets", "reforecast")
    last = ctx.window.months[-1]
    revised = [
        (y, m, r, round(v * rng.uniform(0.95, 1.05), -3))
        for (y, m, r), v in sorted(budgets.items())
        if y == last.year and m >= max(1, last.month - 2)
    ]
    _emit(ctx, f"{last.year}_rev1", _frame(revised))
    for year in sorted({year for year, _, _ in budgets}):
        rows = sorted((y, m, r, v) for (y, m, r), v in budgets.items() if y == year)
        _emit(ctx, str(year), _frame(rows))


def _emit(ctx: Context, label: str, frame: Frame) -> None:
    style = style_for(ctx.seed, "finance.budgets", label, None, ctx.window.n_months)
    ctx.sink.emit("finance.budgets", label, frame, style)
