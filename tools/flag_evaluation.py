"""How well the flags find the injected demo scenarios, and how often they fire elsewhere.

    python -m tools.flag_evaluation [path/to/kpis.duckdb]

Reads a published kpis.duckdb and the scenarios of `tools.demo_data.scenarios` (for the
demo generator's window: by default 24 months ending the day before the as-of date; --start and
--end override it), and reports:

- per scenario, whether every flag it should raise is there: for a `guardrail` scenario, a
  guardrail flag on each (headline, guardrail) pair of the catalog that it names, on the
  headline's row of its grain, dimension and first month (the month of the step); for a
  `csat_selection_bias` scenario, that flag on the KPI's row in every month of the window;
- the flagged rows (warning flags; definition drift is information, not an alarm) that no scenario
  explains. A flag is explained by a scenario when its KPI is one of the scenario's, its period
  overlaps the scenario's months (any grain) and its row is the scenario's dimension value, the
  value the data was changed in (`injected_in`), or the total (which contains both);
- false_alarm_rate = unexplained flagged rows / checked rows outside the scenarios, where the
  checked rows are the periods of every KPI a check compares, on the grains and dimensions (total
  included) the check uses; the incomplete period counts, since the checks compare it too;
- share_of_flags_outside_scenarios = unexplained flagged rows / all flagged rows.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from dagster_project import settings
from dagster_project.catalog import Catalog, load_catalog, shared_dimensions, shared_grains

RowKey = tuple[str, str, date, str, str]  # kpi_id, grain, period_start, dimension_name, dimension_value


@dataclass(frozen=True)
class ScenarioResult:
    scenario_id: str
    expected: tuple[tuple[RowKey, str, str | None], ...]  # (row, flag_id, related_kpi_id)
    missing: tuple[tuple[RowKey, str, str | None], ...]

    @property
    def detected(self) -> bool:
        return bool(self.expected) and not self.missing


@dataclass(frozen=True)
class FlagEvaluation:
    scenarios: tuple[ScenarioResult, ...]
    checked_rows: int
    checked_rows_outside_scenarios: int
    flagged_rows: int
    unexplained_flagged_rows: tuple[RowKey, ...]
    outside_by_grain: tuple[tuple[str, int], ...] = ()

    def false_alarm_rate_by_grain(self) -> dict[str, float]:
        """The false-alarm rate of each grain (week values are noisier than months)."""
        rates = {}
        for grain, outside in self.outside_by_grain:
            unexplained = sum(1 for key in self.unexplained_flagged_rows if key[1] == grain)
            rates[grain] = unexplained / outside if outside else 0.0
        return rates

    @property
    def false_alarm_rate(self) -> float | None:
        if not self.checked_rows_outside_scenarios:
            return None
        return len(self.unexplained_flagged_rows) / self.checked_rows_outside_scenarios

    @property
    def share_of_flags_outside_scenarios(self) -> float | None:
        if not self.flagged_rows:
            return None
        return len(self.unexplained_flagged_rows) / self.flagged_rows

    @property
    def all_detected(self) -> bool:
        return all(result.detected for result in self.scenarios)


def _month_end(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _months(first: date, last: date) -> list[date]:
    result, current = [], first
    while current <= last:
        result.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return result


def expected_flags(scenario: Any, catalog: Catalog) -> list[tuple[RowKey, str, str | None]]:
    """The flags a scenario should raise (see the module docstring)."""
    dimension = (scenario.dimension_name, scenario.dimension_value)
    if scenario.check == "csat_selection_bias":
        return [
            ((kpi_id, scenario.grain, month, *dimension), "csat_selection_bias", None)
            for kpi_id in scenario.headline_kpi_ids
            for month in _months(scenario.first_month, scenario.last_month)
        ]
    pairs = {(pair.headline, pair.guardrail) for pair in catalog.guardrail_pairs}
    return [
        ((headline, scenario.grain, scenario.first_month, *dimension), "guardrail", guardrail)
        for headline in scenario.headline_kpi_ids
        for guardrail in scenario.guardrail_kpi_ids
        if (headline, guardrail) in pairs
    ]


def _explains(scenario: Any, key: RowKey, period_end: date) -> bool:
    kpi_id, _, period_start, dimension_name, dimension_value = key
    if kpi_id not in (*scenario.headline_kpi_ids, *scenario.guardrail_kpi_ids):
        return False
    if period_end < scenario.first_month or period_start > _month_end(scenario.last_month):
        return False
    injected = tuple(scenario.injected_in.split("=", 1)) if "=" in scenario.injected_in else None
    return dimension_name == "total" or (dimension_name, dimension_value) in (
        (scenario.dimension_name, scenario.dimension_value),
        injected,
    )


def checked_row_filter(catalog: Catalog) -> list[tuple[str, str, str]]:
    """(kpi_id, grain, dimension_name) combinations some check compares."""
    by_id = {kpi.id: kpi for kpi in catalog.kpis}
    combos = set()
    for pair in catalog.guardrail_pairs:
        headline, guardrail = by_id[pair.headline], by_id[pair.guardrail]
        for grain in shared_grains(headline, guardrail):
            for name in ("total", *shared_dimensions(headline, guardrail)):
                combos.add((pair.headline, grain, name))
                combos.add((pair.guardrail, grain, name))
    for check in catalog.special_checks:
        if check.kpi_id and check.related_kpi_id:
            kpi, related = by_id[check.kpi_id], by_id[check.related_kpi_id]
            for grain in kpi.grains:
                for name in ("total", *shared_dimensions(kpi, related)):
                    combos.add((check.kpi_id, grain, name))
    return sorted(combos)


def evaluate_flags(
    con: duckdb.DuckDBPyConnection, scenarios: Iterable[Any], catalog: Catalog | None = None
) -> FlagEvaluation:
    """Compare the flags of a published file (`con` opened on it) with the injected scenarios."""
    catalog = catalog or load_catalog()
    scenarios = tuple(scenarios)
    flags = con.execute(
        """
        select kpi_id, grain, period_start, dimension_name, dimension_value, flag_id, related_kpi_id
        from kpi_flags where severity = 'warning'
        """
    ).fetchall()
    present = {(tuple(row[:5]), row[5], row[6]) for row in flags}
    present_any_related = {(tuple(row[:5]), row[5]) for row in flags}
    results = []
    for scenario in scenarios:
        expected = expected_flags(scenario, catalog)
        missing = [
            item
            for item in expected
            if (item not in present if item[2] is not None else (item[0], item[1]) not in present_any_related)
        ]
        results.append(ScenarioResult(scenario.scenario_id, tuple(expected), tuple(missing)))

    con.execute(
        "create or replace temp table _eval_combos (kpi_id varchar, grain varchar, dimension_name varchar)"
    )
    con.executemany("insert into _eval_combos values (?, ?, ?)", checked_row_filter(catalog))
    checked = con.execute(
        """
        select scorecard.kpi_id, scorecard.grain, scorecard.period_start, scorecard.dimension_name,
            scorecard.dimension_value, scorecard.period_end, scorecard.is_flagged
        from kpi_scorecard as scorecard
        inner join _eval_combos as combos
            on combos.kpi_id = scorecard.kpi_id
            and combos.grain = scorecard.grain
            and combos.dimension_name = scorecard.dimension_name
        """
    ).fetchall()
    flagged_rows = {tuple(row[:5]) for row in flags}
    outside = 0
    outside_by_grain: dict[str, int] = {}
    unexplained = []
    for *key, period_end, is_flagged in checked:
        key = tuple(key)
        explained = any(_explains(scenario, key, period_end) for scenario in scenarios)
        if not explained:
            outside += 1
            outside_by_grain[key[1]] = outside_by_grain.get(key[1], 0) + 1
            if is_flagged:
                unexplained.append(key)
    # Flagged rows outside the checked combinations (should not exist) still count as unexplained.
    checked_keys = {tuple(row[:5]) for row in checked}
    for key in sorted(flagged_rows - checked_keys):
        end = con.execute(
            "select period_end from kpi_scorecard where (kpi_id, grain, period_start, dimension_name, dimension_value) = (?, ?, ?, ?, ?)",
            list(key),
        ).fetchone()[0]
        if not any(_explains(scenario, key, end) for scenario in scenarios):
            unexplained.append(key)
    return FlagEvaluation(
        scenarios=tuple(results),
        checked_rows=len(checked),
        checked_rows_outside_scenarios=outside,
        flagged_rows=len(flagged_rows),
        unexplained_flagged_rows=tuple(sorted(unexplained)),
        outside_by_grain=tuple(sorted(outside_by_grain.items())),
    )


def format_report(evaluation: FlagEvaluation) -> str:
    lines = ["Scenarios:"]
    for result in evaluation.scenarios:
        state = "flagged" if result.detected else f"MISSED {len(result.missing)} of {len(result.expected)}"
        lines.append(f"  {result.scenario_id:<32} {state}")
        for key, flag_id, related in result.missing:
            lines.append(f"      missing {flag_id} {related or ''} on {key}")
    rate = evaluation.false_alarm_rate
    share = evaluation.share_of_flags_outside_scenarios
    lines += [
        f"Checked rows: {evaluation.checked_rows} ({evaluation.checked_rows_outside_scenarios} outside the scenarios)",
        f"Flagged rows: {evaluation.flagged_rows}, unexplained: {len(evaluation.unexplained_flagged_rows)}",
        f"False-alarm rate (unexplained flagged / checked rows outside scenarios): "
        f"{'n/a' if rate is None else f'{rate:.2%}'}",
        f"Share of flagged rows outside the scenarios: {'n/a' if share is None else f'{share:.1%}'}",
        "False-alarm rate by grain: "
        + ", ".join(f"{grain} {rate:.2%}" for grain, rate in evaluation.false_alarm_rate_by_grain().items()),
    ]
    lines += [f"  unexplained: {key}" for key in evaluation.unexplained_flagged_rows[:20]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", nargs="?", type=Path, default=settings.publish_dir() / "kpis.duckdb")
    parser.add_argument(
        "--start", type=date.fromisoformat, help="first day of the demo data (default: the generator's)"
    )
    parser.add_argument(
        "--end", type=date.fromisoformat, help="last day of the demo data (default: the day before as-of)"
    )
    args = parser.parse_args(argv)
    from tools.demo_data.generator import default_window
    from tools.demo_data.scenarios import scenarios_for

    with duckdb.connect(str(args.database), read_only=True) as con:
        as_of = con.execute("select as_of from publish_info").fetchone()[0]
        # The generator's default window: 24 months ending the day before the as-of date.
        start, end = default_window(args.end or as_of - timedelta(days=1), args.start)
        evaluation = evaluate_flags(con, scenarios_for(start, end))
    print(format_report(evaluation))
    return 0 if evaluation.all_detected else 1


if __name__ == "__main__":
    sys.exit(main())
