"""The annotation arithmetic as DuckDB macros: status, gap, periods, relative moves.

The scorecard is computed in SQL over every published value, so the rules live in SQL; they are
small macros so that each can be tested on its own (`select kpi_status(0.285, 0.30, 'higher')`).

Rules (documented in README "For analysts and BI tools"):
- target_gap = value − target, in the KPI's unit: positive means above the target, whichever
  direction is better.
- status: `no_target` without a target; null when the value is null (null_reason says why);
  `on_track` when the value is on the target or on its better side; `at_risk` when it is on the
  wrong side by at most 5 % of the target (|value − target| ≤ 0.05 × |target|, the boundary
  included); `off_track` beyond that. A relative tolerance of 1e-9 absorbs binary rounding, so that
  0.285 against 0.30 (exactly 5 % below) is at_risk.
- change = value − previous period's value, in the unit (the sentence states ratios in points).
- A relative move is (value − previous) / |previous|; it is undefined (null, so never a flag) when
  either value is null or the previous value is 0.
- "More than the threshold" is strict: a move of exactly 5 % does not raise a guardrail flag.
- Noise gate (kpi_move_is_beyond_noise): a move counts for a guardrail flag only when it is also
  at least one standard error (NOISE_Z) beyond sampling noise, where the numbers allow a test: a
  two-proportion test for ratios of counted things, a Poisson test for counts. Without it, a weekly
  share of 5 split tickets out of 180 "moves" 20 % from one week to the next by chance.
"""

from __future__ import annotations

import duckdb

AT_RISK_BAND = 0.05
# One standard error: on the demo data (scale 1) it removes about 60 % of the flags outside the
# injected scenarios and keeps every scenario flagged; 1.28 already loses the lead-quality one and
# 1.645 the hiring one (six against ten hires cannot be told apart at 90 %).
NOISE_Z = 1.0
FLOAT_TOLERANCE = 1e-9

MACROS = (
    # Status of a value against its target, given the better direction ('higher' | 'lower').
    f"""
    create or replace temp macro kpi_status(value, target, direction) as
    case
        when target is null then 'no_target'
        when value is null then null
        when (direction = 'higher' and value >= target) or (direction = 'lower' and value <= target)
            then 'on_track'
        when abs(value - target) <= {AT_RISK_BAND} * abs(target) * (1 + {FLOAT_TOLERANCE})
            then 'at_risk'
        else 'off_track'
    end
    """,
    "create or replace temp macro kpi_target_gap(value, target) as value - target",
    # First day of the day, ISO week (Monday) or month holding a date.
    """
    create or replace temp macro kpi_period_start(grain, day) as
    case grain
        when 'day' then cast(day as date)
        when 'week' then cast(date_trunc('week', day) as date)
        when 'month' then cast(date_trunc('month', day) as date)
    end
    """,
    """
    create or replace temp macro kpi_previous_period_start(grain, period_start) as
    case grain
        when 'day' then cast(period_start - interval 1 day as date)
        when 'week' then cast(period_start - interval 7 day as date)
        when 'month' then cast(period_start - interval 1 month as date)
    end
    """,
    # Monday of ISO week `iso_week` of ISO year `iso_year` (week 1 holds 4 January).
    """
    create or replace temp macro kpi_iso_week_monday(iso_year, iso_week) as
    cast(
        make_date(cast(iso_year as bigint), 1, 4)
        - cast(isodow(make_date(cast(iso_year as bigint), 1, 4)) - 1 as integer)
        + cast((iso_week - 1) * 7 as integer)
        as date
    )
    """,
    # The same period one year earlier: the same month; the ISO week with the same number in the
    # previous ISO year (null for week 53 when that year has 52 weeks); the same calendar date
    # (null for 29 February).
    """
    create or replace temp macro kpi_same_period_last_year_start(grain, period_start) as
    case grain
        when 'month' then cast(period_start - interval 1 year as date)
        when 'week' then
            case
                when week(kpi_iso_week_monday(isoyear(period_start) - 1, week(period_start)))
                    = week(period_start)
                    then kpi_iso_week_monday(isoyear(period_start) - 1, week(period_start))
            end
        when 'day' then
            case
                when day(period_start - interval 1 year) = day(period_start)
                    then cast(period_start - interval 1 year as date)
            end
    end
    """,
    """
    create or replace temp macro kpi_relative_change(value, previous) as
    case when value is not null and previous is not null and previous <> 0
        then (value - previous) / abs(previous)
    end
    """,
    # Is a move larger than sampling noise? For a ratio of counted things (numerator between 0 and
    # the denominator) a two-proportion z-test; for a count a Poisson one (|x1 - x0| / sqrt(x1 + x0));
    # true where the numbers cannot tell (sums of money, medians, means, ratios of other quantities).
    """
    create or replace temp macro kpi_move_is_beyond_noise(
        unit, numerator, denominator, previous_numerator, previous_denominator, z
    ) as
    case
        when unit = 'ratio'
            and denominator > 0 and previous_denominator > 0
            and numerator between 0 and denominator
            and previous_numerator between 0 and previous_denominator
            then coalesce(
                abs(numerator / denominator - previous_numerator / previous_denominator)
                / nullif(sqrt(
                    (numerator + previous_numerator) / (denominator + previous_denominator)
                    * (1 - (numerator + previous_numerator) / (denominator + previous_denominator))
                    * (1 / denominator + 1 / previous_denominator)
                ), 0)
                >= z,
                false
            )
        when unit = 'count' and numerator >= 0 and previous_numerator >= 0 and numerator + previous_numerator > 0
            then abs(numerator - previous_numerator) / sqrt(numerator + previous_numerator) >= z
        else true
    end
    """,
    # Did a value move in `way` ('higher' | 'lower') by more than `threshold` (a fraction)?
    f"""
    create or replace temp macro kpi_moved(relative_change, way, threshold) as
    coalesce(
        case way
            when 'higher' then relative_change > threshold * (1 + {FLOAT_TOLERANCE})
            when 'lower' then relative_change < -threshold * (1 + {FLOAT_TOLERANCE})
        end,
        false
    )
    """,
)


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the macros as temporary ones: they live in the connection, never in a database file."""
    for macro in MACROS:
        con.execute(macro)
