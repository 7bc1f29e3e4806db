"""The same dbt project on Apache Spark (local mode) gives the same numbers as on DuckDB.

The golden fixtures of tests/test_dbt_golden.py, whose DuckDB values were worked out by hand,
are built once more with the `spark` target (KPI_ENGINE=spark: dbt-spark's session method on
pyspark, local[2]), from the same raw rows written to the Parquet lake. Every row of kpi_values
and kpi_scorecard must equal DuckDB's: exactly for counts, sums and everything that is not a
ratio, a mean or a median (relative 1e-9 there). Spark's tables are its Parquet files, read
here with DuckDB.

Spark takes about 20 s to start and a few minutes for the build; `pytest -m spark` runs these
tests alone. A machine without Java or pyspark fails them with the reason, never skips them.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dagster_project.catalog import definition_version, load_catalog
from dagster_project.transform.project import kpi_sql_texts
from tests.dbt_fixtures.golden_rows import AS_OF, write_golden_rows
from tests.dbt_fixtures.spark import (
    run_dbt_spark,
    spark_table,
    spark_unavailable_reason,
    write_lake,
)
from tests.dbt_fixtures.warehouse import new_warehouse

pytestmark = pytest.mark.spark

CATALOG = load_catalog()
# Values compared to a relative 1e-9: the KPIs whose value is a quotient or a median of doubles,
# where the engines may round the last bits differently. Sums and counts are exact decimals.
INEXACT_AGGREGATIONS = {"ratio", "median"}
AGGREGATION = {kpi.id: kpi.aggregation for kpi in CATALOG.kpis}
KPI_KEY = ["kpi_id", "grain", "period_start", "dimension_name", "dimension_value"]


class SparkBuild:
    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.warehouse = work_dir / "kpi.duckdb"
        self.lake = work_dir / "lake"
        self.spark_dir = work_dir / "spark"

    def dbt(self, args: list[str]):
        return run_dbt_spark(args, self.warehouse, self.lake, self.spark_dir, AS_OF, self.work_dir)


@pytest.fixture(scope="module")
def spark_build(tmp_path_factory: pytest.TempPathFactory) -> SparkBuild:
    """The golden rows built by `dbt build` on Spark (models and data tests), once per module."""
    reason = spark_unavailable_reason()
    if reason:
        pytest.fail(f"Spark cannot start: {reason}", pytrace=False)
    build = SparkBuild(tmp_path_factory.mktemp("dbt_spark"))
    con, raw = new_warehouse(build.warehouse)
    write_golden_rows(raw)
    con.close()
    write_lake(build.warehouse, build.lake)
    # The unit tests' given rows are DuckDB SQL (list literals): they run on DuckDB only.
    result = build.dbt(["build", "--exclude-resource-type", "unit_test"])
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    return build


def rows(sql: str) -> list[dict[str, Any]]:
    with duckdb.connect() as con:
        relation = con.sql(sql)
        return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def duckdb_rows(warehouse: Path, table: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        relation = con.sql(f"select * from main.{table}")
        return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def keyed(table_rows: list[dict[str, Any]], key: list[str]) -> dict[tuple, dict[str, Any]]:
    found = {tuple(row[column] for column in key): row for row in table_rows}
    assert len(found) == len(table_rows), "duplicate keys"
    return found


def differences(duck: dict, spark: dict, columns: list[str]) -> list[str]:
    """The cells where Spark's row differs from DuckDB's, as readable lines."""
    found = []
    assert spark.keys() == duck.keys(), (
        f"rows only on DuckDB: {sorted(duck.keys() - spark.keys())[:5]}, "
        f"only on Spark: {sorted(spark.keys() - duck.keys())[:5]}"
    )
    for key, duck_row in duck.items():
        inexact = AGGREGATION.get(duck_row.get("kpi_id")) in INEXACT_AGGREGATIONS
        for column in columns:
            expected, actual = duck_row[column], spark[key][column]
            if isinstance(expected, float) and isinstance(actual, float) and inexact:
                same = math.isclose(actual, expected, rel_tol=1e-9, abs_tol=0.0)
            else:
                same = actual == expected and type(actual) is type(expected)
            if not same:
                found.append(f"{key} {column}: DuckDB {expected!r}, Spark {actual!r}")
    return found


def test_every_kpi_value_on_spark_equals_duckdbs(spark_build, golden_warehouse):
    duck_rows = duckdb_rows(golden_warehouse.path, "kpi_values")
    spark_rows = rows(f"select * from {spark_table(spark_build.spark_dir, 'kpi_values')}")
    assert duck_rows
    columns = list(duck_rows[0])
    assert sorted(spark_rows[0]) == sorted(columns)
    found = differences(keyed(duck_rows, KPI_KEY), keyed(spark_rows, KPI_KEY), columns)
    assert found == [], "\n".join(found[:40])


def test_the_scorecard_on_spark_equals_duckdbs(spark_build, golden_warehouse):
    duck_rows = duckdb_rows(golden_warehouse.path, "kpi_scorecard")
    spark_rows = rows(f"select * from {spark_table(spark_build.spark_dir, 'kpi_scorecard')}")
    assert duck_rows
    # When the numbers were computed is the start of each build; freshness is measured to the end
    # of the as-of day (2024-04-10, before either build), so it is compared like every number.
    columns = [column for column in duck_rows[0] if column != "computed_at"]
    found = differences(keyed(duck_rows, KPI_KEY), keyed(spark_rows, KPI_KEY), columns)
    assert found == [], "\n".join(found[:40])


def test_kpi_definition_versions_are_the_same_on_both_engines(spark_build, golden_warehouse):
    def versions(target_dir: Path) -> dict[str, str]:
        manifest = json.loads((target_dir / "manifest.json").read_text())
        texts = kpi_sql_texts([kpi.id for kpi in CATALOG.kpis], manifest)
        return {kpi.id: definition_version(kpi, texts[kpi.id]) for kpi in CATALOG.kpis}

    spark_manifest = spark_build.work_dir / "target"
    assert json.loads((spark_manifest / "manifest.json").read_text())["metadata"]["adapter_type"] == "spark"
    assert versions(spark_manifest) == versions(golden_warehouse.target_dir)


# Europe/Copenhagen in 2026: summer time from Sunday 2026-03-29 01:00 UTC (02:00 local becomes
# 03:00, so the local day has 23 hours) to Sunday 2026-10-25 01:00 UTC (03:00 local becomes
# 02:00 again, 25 hours). Each case: an instant (UTC) and the local date it falls on.
DST_LOCAL_DATES = [
    ("2026-03-28T22:59:59+00:00", date(2026, 3, 28)),  # 23:59:59 CET
    ("2026-03-28T23:00:00+00:00", date(2026, 3, 29)),  # 00:00 CET
    ("2026-03-29T00:59:59+00:00", date(2026, 3, 29)),  # 01:59:59 CET, the last second before the gap
    ("2026-03-29T01:00:00+00:00", date(2026, 3, 29)),  # 03:00 CEST
    ("2026-03-29T21:59:59+00:00", date(2026, 3, 29)),  # 23:59:59 CEST
    ("2026-03-29T22:00:00+00:00", date(2026, 3, 30)),  # 00:00 CEST
    ("2026-10-24T21:59:59+00:00", date(2026, 10, 24)),  # 23:59:59 CEST
    ("2026-10-24T22:00:00+00:00", date(2026, 10, 25)),  # 00:00 CEST
    ("2026-10-25T00:30:00+00:00", date(2026, 10, 25)),  # 02:30 CEST, the first 02:30
    ("2026-10-25T01:30:00+00:00", date(2026, 10, 25)),  # 02:30 CET, the repeated 02:30
    ("2026-10-25T22:59:59+00:00", date(2026, 10, 25)),  # 23:59:59 CET
    ("2026-10-25T23:00:00+00:00", date(2026, 10, 26)),  # 00:00 CET
]


def instant(at: str) -> str:
    """A Jinja expression: the SQL literal of the instant `at` in the engine's instant type."""
    return f'"cast(\'{at}\' as " ~ type_instant() ~ ")"'


def test_daylight_saving_days_give_copenhagen_dates_durations_and_instants_on_spark(spark_build):
    cases = " union all ".join(
        f"select {index} as case_index, {{{{ local_date({instant(at)}) }}}} as local_on"
        for index, (at, _) in enumerate(DST_LOCAL_DATES)
    )
    durations = [
        # Local midnight to local midnight: 23 hours on the spring day, 25 on the autumn day.
        ("2026-03-28T23:00:00+00:00", "2026-03-29T22:00:00+00:00", 23 * 3600),
        ("2026-10-24T22:00:00+00:00", "2026-10-25T23:00:00+00:00", 25 * 3600),
        # The two 02:30s of the autumn day are an hour apart.
        ("2026-10-25T00:30:00+00:00", "2026-10-25T01:30:00+00:00", 3600),
    ]
    elapsed = ", ".join(
        f"{{{{ elapsed_seconds({instant(start)}, {instant(end)}) }}}} as elapsed_{index}"
        for index, (start, end, _) in enumerate(durations)
    )
    # A wall-clock time made an instant (the contract: the spring gap's 02:30 is read with the
    # offset before the change, +01:00; the autumn day's repeated 02:30 is the earlier instant,
    # +02:00), as seconds since the epoch so that no time zone is involved in reading it back.
    walls = ["2026-03-29 02:30:00", "2026-10-25 02:30:00", "2026-10-25 00:00:00"]
    epoch = instant("1970-01-01T00:00:00+00:00")
    instants = ", ".join(
        f"{{{{ elapsed_seconds({epoch}, local_instant(\"cast('{wall}' as timestamp)\")) }}}} as instant_{index}"
        for index, wall in enumerate(walls)
    )
    sql = f"select cases.*, {elapsed}, {instants} from ({cases}) as cases"
    result = spark_build.dbt(
        ["show", "--inline", sql, "--limit", "100", "--output", "json", "--log-format", "json"]
    )
    assert result.returncode == 0, result.stdout[-4000:]
    shown = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    (preview,) = [line["data"]["preview"] for line in shown if "preview" in line.get("data", {})]
    table = sorted(json.loads(preview), key=lambda row: row["case_index"])
    assert [date.fromisoformat(str(row["local_on"])[:10]) for row in table] == [
        on for _, on in DST_LOCAL_DATES
    ]
    assert [float(table[0][f"elapsed_{index}"]) for index in range(len(durations))] == [
        seconds for _, _, seconds in durations
    ]
    expected_instants = [
        datetime.fromisoformat("2026-03-29T01:30:00+00:00"),  # 02:30 read as +01:00
        datetime.fromisoformat("2026-10-25T00:30:00+00:00"),  # the first 02:30, +02:00
        datetime.fromisoformat("2026-10-24T22:00:00+00:00"),  # local midnight, +02:00
    ]
    assert [float(table[0][f"instant_{index}"]) for index in range(len(walls))] == [
        moment.timestamp() for moment in expected_instants
    ]
