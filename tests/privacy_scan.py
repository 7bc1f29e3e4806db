"""Scan every published output for HR privacy leaks, worked out from the raw layer, not the marts.

kpis.md: HR KPIs are never published per employee; a value over fewer than 5 people is suppressed
(value, numerator, denominator null) everywhere, and where exactly one department of a breakdown
is suppressed another is too. For each people-based HR row the scan takes an upper bound of the
people it can rest on, straight from raw (survey responses in the cell, hires in the period,
employees employed at some time in the period), so a published value whose bound is below 5 is a
leak whatever the marts computed. Employee ids must appear in no table, view, Parquet file or page.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

MIN_PEOPLE = 5
SUPPRESSED = "(null_reason like '%group below 5%' or null_reason like '%complementary%')"

# Per people-based HR KPI (kpis.md, Privacy): the most people a cell can rest on, from raw.
# Each query gets the published row as `row` and counts over raw (department filter added).
_BOUNDS = {
    "hr.employee_satisfaction": (
        "select count(distinct response_id) from wh.raw.hr__survey_responses as s "
        "where s.submitted_on between cell.period_start and cell.period_end {department}",
        "s",
    ),
    "hr.enps": (
        "select count(distinct response_id) from wh.raw.hr__survey_responses as s "
        "where s.enps_score is not null and s.submitted_on between cell.period_start and cell.period_end {department}",
        "s",
    ),
    "hr.early_attrition_rate": (
        "select count(distinct employee_id) from wh.raw.hr__employees as s "
        "where s.hired_on between cell.period_start and cell.period_end {department}",
        "s",
    ),
    **{
        kpi: (
            "select count(distinct employee_id) from wh.raw.hr__employees as s "
            "where s.hired_on <= cell.period_end and (s.terminated_on is null or s.terminated_on >= cell.period_start) "
            "{department}",
            "s",
        )
        for kpi in ("hr.employee_turnover", "hr.sick_absence_rate")
    },
}


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_catalog = ?", [catalog]
        ).fetchall()
    ]


def _tokens(con: duckdb.DuckDBPyConnection, relation: str) -> set[str]:
    columns = [
        row[0] for row in con.execute(f"describe select * from {relation}").fetchall() if row[1] == "VARCHAR"
    ]
    found: set[str] = set()
    for column in columns:
        found |= {
            row[0]
            for row in con.execute(
                f"select distinct unnest(regexp_split_to_array(\"{column}\", '[^A-Za-z0-9_]+')) from {relation}"
            ).fetchall()
        }
    return found


def privacy_problems(publish_dir: Path, warehouse: Path) -> list[str]:
    problems = []
    con = duckdb.connect()
    con.execute(f"attach '{publish_dir / 'kpis.duckdb'}' as pub (read_only)")
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    employees = {
        row[0] for row in con.execute("select distinct employee_id from wh.raw.hr__employees").fetchall()
    }
    outputs = [f"pub.main.{name}" for name in _tables(con, "pub")]
    outputs += [f"read_parquet('{path}')" for path in sorted((publish_dir / "parquet").glob("*.parquet"))]
    for relation in outputs:
        columns = {row[0] for row in con.execute(f"describe select * from {relation}").fetchall()}
        personal = columns & {"employee_id", "people_count", "hired_employee_id", "response_id", "absence_id"}
        if personal:
            problems.append(f"{relation} has per-person columns {sorted(personal)}")
        leaked = _tokens(con, relation) & employees
        if leaked:
            problems.append(f"{relation} holds employee ids {sorted(leaked)[:5]}")
    page = (publish_dir / "scorecard.html").read_text()
    leaked = set(re.split(r"[^A-Za-z0-9_]+", page)) & employees
    if leaked:
        problems.append(f"scorecard.html holds employee ids {sorted(leaked)[:5]}")
    for relation in [f"pub.main.{n}" for n in ("kpi_scorecard", "hr_scorecard", "latest_kpis")] + [
        f"read_parquet('{publish_dir / 'parquet' / 'kpi_scorecard.parquet'}')"
    ]:
        problems += _small_groups(con, relation)
    con.close()
    return problems


def _small_groups(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    problems = []
    for kpi, (bound_sql, alias) in _BOUNDS.items():
        department = f"and {alias}.department = cell.dimension_value"
        for dimension, condition in (("department", department), ("total", ""), ("termination_type", "")):
            bound = bound_sql.format(department=condition)
            leaks = con.execute(
                f"select cell.grain, cell.period_start, cell.dimension_value, ({bound}) as people "
                f"from {relation} as cell where cell.kpi_id = ? and cell.dimension_name = ? "
                # A cell of nobody (0 hires: numerator and denominator 0, no value) tells nothing.
                "and (cell.value is not null or coalesce(cell.numerator, 0) <> 0 "
                "or coalesce(cell.denominator, 0) <> 0 or coalesce(cell.sample_size, 0) <> 0) "
                f"and ({bound}) < {MIN_PEOPLE}",
                [kpi, dimension],
            ).fetchall()
            for grain, start, value, people in leaks[:3]:
                problems.append(
                    f"{relation}: {kpi} {grain} {start} {dimension}={value} published over {people} people"
                )
            if len(leaks) > 3:
                problems.append(f"{relation}: {kpi} {dimension}: {len(leaks) - 3} more such rows")
        lone = con.execute(
            f"select grain, period_start from {relation} where kpi_id = ? and dimension_name = 'department' "
            f"group by all having count(*) filter (where {SUPPRESSED}) = 1 "
            "and count(*) filter (where value is not null) > 0",
            [kpi],
        ).fetchall()
        for grain, start in lone[:3]:
            problems.append(
                f"{relation}: {kpi} {grain} {start}: one department suppressed alone (no complement)"
            )
    return problems
