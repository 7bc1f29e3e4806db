"""The same dbt project on Apache Spark (local mode) gives the same numbers as on DuckDB.

The golden fixtures of tests/test_dbt_golden.py, whose DuckDB values were worked out by hand,
are built once more with the `spark` target (KPI_ENGINE=spark: dbt-spark's session method on
pyspark, local[2]), from the same raw rows written to the Parquet lake. Every row of kpi_values
and kpi_scorecard must equal DuckDB's: exactly for counts, sums and everything that is not a
ratio, a mean or a median (relative 1e-9 there). Spark's tables are its Parquet files, read
here with DuckDB.

Then a daily increment (a new file of each of the five facts, with late updates that move keys
to other partitions) is built incrementally on the same Spark tables and compared with a full
refresh of them.

Spark takes about 20 s to start and a few minutes for each build; `pytest -m spark` runs these
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
from tests.dbt_fixtures.golden_rows import AS_OF, new_golden_warehouse
from tests.dbt_fixtures.spark import (
    run_dbt_spark,
    spark_table,
    spark_unavailable_reason,
    write_lake,
)
from tests.dbt_fixtures.warehouse import RawWriter

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
        # The golden build's published tables, read right after it: the increment test below
        # builds on the same Spark tables afterwards.
        self.kpi_values: list[dict[str, Any]] = []
        self.kpi_scorecard: list[dict[str, Any]] = []

    def dbt(self, args: list[str], extra_env: dict[str, str] | None = None):
        return run_dbt_spark(args, self.warehouse, self.lake, self.spark_dir, AS_OF, self.work_dir, extra_env)


@pytest.fixture(scope="module")
def spark_build(tmp_path_factory: pytest.TempPathFactory) -> SparkBuild:
    """The golden rows built by `dbt build` on Spark (models and data tests), once per module."""
    reason = spark_unavailable_reason()
    if reason:
        pytest.fail(f"Spark cannot start: {reason}", pytrace=False)
    build = SparkBuild(tmp_path_factory.mktemp("dbt_spark"))
    new_golden_warehouse(build.warehouse)
    write_lake(build.warehouse, build.lake)
    # The unit tests' given rows are DuckDB SQL (list literals): they run on DuckDB only.
    result = build.dbt(["build", "--exclude-resource-type", "unit_test"])
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    build.kpi_values = rows(f"select * from {spark_table(build.spark_dir, 'kpi_values')}")
    build.kpi_scorecard = rows(f"select * from {spark_table(build.spark_dir, 'kpi_scorecard')}")
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


def differences(
    duck: dict, spark: dict, columns: list[str], names: tuple[str, str] = ("DuckDB", "Spark")
) -> list[str]:
    """The cells where Spark's row differs from DuckDB's (or, with `names`, the second build's
    from the first's), as readable lines."""
    first, second = names
    found = []
    assert spark.keys() == duck.keys(), (
        f"rows only on {first}: {sorted(duck.keys() - spark.keys())[:5]}, "
        f"only on {second}: {sorted(spark.keys() - duck.keys())[:5]}"
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
                found.append(f"{key} {column}: {first} {expected!r}, {second} {actual!r}")
    return found


def test_every_kpi_value_on_spark_equals_duckdbs(spark_build, golden_warehouse):
    duck_rows = duckdb_rows(golden_warehouse.path, "kpi_values")
    spark_rows = spark_build.kpi_values
    assert duck_rows
    columns = list(duck_rows[0])
    assert sorted(spark_rows[0]) == sorted(columns)
    found = differences(keyed(duck_rows, KPI_KEY), keyed(spark_rows, KPI_KEY), columns)
    assert found == [], "\n".join(found[:40])


def test_the_scorecard_on_spark_equals_duckdbs(spark_build, golden_warehouse):
    duck_rows = duckdb_rows(golden_warehouse.path, "kpi_scorecard")
    spark_rows = spark_build.kpi_scorecard
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


# The five incremental facts: their unique key, and the partition column of their Spark tables.
FACTS = {
    "stg_crm__order_lines": "_file_id",
    "stg_web__sessions": "started_on",
    "stg_helpdesk__tickets": "created_on",
    "stg_hr__absences": "absence_date",
    "stg_mes__production_runs": "shift_date",
}
# The golden rows use file ids below 100; the increment's files are 100 to 104.
FIRST_NEW_FILE_ID = 100


def write_daily_increment(raw: RawWriter) -> None:
    """One new file of each fact, with late updates of stored keys (values worked out in the tests)."""
    raw.file(
        "helpdesk.tickets",
        [
            # T2 was created 2024-03-31 with T1, T3 and T4: its new version moves it to 2024-04-02,
            # so the 2024-03-31 partition loses one of its four rows.
            {
                "ticket_id": "T2",
                "customer_id": "C2",
                "channel": "email",
                "category": "billing",
                "agent_team": "team1",
                "created_at": "2024-04-02T09:00:00+02:00",
                "first_response_at": "2024-04-02T09:30:00+02:00",
                "resolved_at": "2024-04-02T11:00:00+02:00",
                "contacts_count": 1,
                "reopened_count": 0,
            },
            {
                "ticket_id": "T7",
                "channel": "phone",
                "category": "tech",
                "agent_team": "team1",
                "created_at": "2024-04-09T09:00:00+02:00",
                "contacts_count": 1,
                "reopened_count": 0,
            },
        ],
    )
    raw.file(
        "web.sessions",
        [
            # S2 was the only session of 2024-03-06: its new version moves to 2024-03-05, where
            # S1 is, so the 2024-03-06 partition is left empty and the 2024-03-05 one has both.
            {
                "session_id": "S2",
                "visitor_id": "V2",
                "started_at": "2024-03-05T14:00:00+01:00",
                "channel": "organic",
                "pageviews": 4,
                "engaged_seconds": 80,
            },
            {
                "session_id": "S4",
                "visitor_id": "V4",
                "started_at": "2024-04-08T10:00:00+02:00",
                "channel": "direct",
                "pageviews": 1,
                "engaged_seconds": 10,
            },
        ],
    )
    raw.file(
        "crm.order_lines",
        [
            # O1/1, 3 units in its latest version so far, now 4: it leaves its old _file_id partition.
            {
                "order_id": "O1",
                "line_number": 1,
                "product_id": "P1",
                "quantity": 4,
                "unit_price": 100.0,
                "discount_pct": 0.0,
            },
            {
                "order_id": "O4",
                "line_number": 2,
                "product_id": "P2",
                "quantity": 1,
                "unit_price": 7.0,
                "discount_pct": 0.0,
            },
        ],
    )
    raw.file(
        "hr.absences",
        [
            {
                "absence_id": "A6",
                "employee_id": "E1",
                "absence_date": "2024-04-02",
                "hours": 7.4,
                "absence_type": "sick",
            }
        ],
    )
    raw.file(
        "mes.production_runs",
        [
            {
                "run_id": "R4",
                "machine_id": "M1",
                "product_id": "P1",
                "shift_date": "2024-04-02",
                "planned_minutes": 480,
                "downtime_minutes": 0,
                "ideal_cycle_seconds": 10.0,
                "total_count": 500,
                "good_count": 500,
            }
        ],
    )


def table_rows(spark_dir: Path, table: str) -> list[dict[str, Any]]:
    return rows(f"select * from {spark_table(spark_dir, table)} order by all")


def partition_files(spark_dir: Path, table: str) -> dict[str, list[str]]:
    """Each partition folder of a Spark table and the Parquet files in it."""
    folder = spark_dir / "warehouse" / "main.db" / table
    return {
        partition.name: sorted(path.name for path in partition.glob("*.parquet"))
        for partition in sorted(folder.iterdir())
        if partition.is_dir() and "=" in partition.name
    }


def highest_file_id(spark_dir: Path, table: str) -> int:
    with duckdb.connect() as con:
        return con.execute(f"select max(_file_id) from {spark_table(spark_dir, table)}").fetchone()[0]


@pytest.fixture(scope="module")
def spark_increment(spark_build: SparkBuild) -> dict[str, Any]:
    """The golden build plus one daily increment, built incrementally on Spark (as a daily run
    does: the facts' tests read the new batch only), then the same tables fully refreshed."""
    watermarks = {fact: highest_file_id(spark_build.spark_dir, fact) for fact in FACTS}
    assert max(watermarks.values()) < FIRST_NEW_FILE_ID
    runs_before = partition_files(spark_build.spark_dir, "stg_mes__production_runs")

    con = duckdb.connect(str(spark_build.warehouse))
    write_daily_increment(RawWriter(con, next_file_id=FIRST_NEW_FILE_ID))
    con.close()
    write_lake(spark_build.warehouse, spark_build.lake)

    # kpi_values and what it reads. The scorecard reads the verdicts of the quality checks, which
    # a Dagster run writes between the two, so it is left out here.
    incremental = spark_build.dbt(
        ["build", "--select", "+kpi_values", "--exclude-resource-type", "unit_test"],
        extra_env={"KPI_TESTED_BATCHES": json.dumps(watermarks)},
    )
    assert incremental.returncode == 0, incremental.stdout[-8000:] + incremental.stderr[-4000:]
    run_results = json.loads((spark_build.work_dir / "target" / "run_results.json").read_text())
    after_increment = {table: table_rows(spark_build.spark_dir, table) for table in FACTS}
    after_increment["kpi_values"] = rows(f"select * from {spark_table(spark_build.spark_dir, 'kpi_values')}")
    runs_after = partition_files(spark_build.spark_dir, "stg_mes__production_runs")

    full = spark_build.dbt(["run", "--full-refresh", "--select", "+kpi_values"])
    assert full.returncode == 0, full.stdout[-8000:] + full.stderr[-4000:]
    full_refresh = {table: table_rows(spark_build.spark_dir, table) for table in FACTS}
    full_refresh["kpi_values"] = rows(f"select * from {spark_table(spark_build.spark_dir, 'kpi_values')}")
    return {
        "watermarks": watermarks,
        "incremental": after_increment,
        "full_refresh": full_refresh,
        "log": incremental.stdout,
        "compiled_tests": {
            result["unique_id"].split(".")[2]: result["compiled_code"]
            for result in run_results["results"]
            if result["unique_id"].startswith("test.")
        },
        "runs_partitions": (runs_before, runs_after),
    }


def test_a_daily_increment_on_spark_equals_a_full_refresh_on_spark(spark_increment):
    incremental, full_refresh = spark_increment["incremental"], spark_increment["full_refresh"]
    for fact in FACTS:
        assert incremental[fact] == full_refresh[fact], fact
    assert incremental["kpi_values"]
    columns = list(full_refresh["kpi_values"][0])
    # Same engine and rows; a ratio's doubles may still be added in another order when the
    # partitions' files differ, hence the comparison of the Spark-vs-DuckDB tests.
    found = differences(
        keyed(full_refresh["kpi_values"], KPI_KEY),
        keyed(incremental["kpi_values"], KPI_KEY),
        columns,
        ("the full refresh", "the increment"),
    )
    assert found == [], "\n".join(found[:40])


def test_the_facts_were_built_incrementally_and_only_their_new_batch_tested(spark_increment):
    for fact in FACTS:
        assert f"incremental model main.{fact}" in spark_increment["log"], fact
    # No production run was stored on 2024-03-30 or 2024-03-31 by the new file (R4 is on
    # 2024-04-02): those partitions keep their files; the new day gets its own.
    before, after = spark_increment["runs_partitions"]
    assert set(after) == set(before) | {"shift_date=2024-04-02"}
    for partition in before:
        assert after[partition] == before[partition], partition
    # The facts' data tests read the new batch only (new_batch_scope.sql on Spark).
    tickets_watermark = spark_increment["watermarks"]["stg_helpdesk__tickets"]
    compiled = spark_increment["compiled_tests"]["unique_stg_helpdesk__tickets_ticket_id"]
    assert f"_file_id > {tickets_watermark}" in compiled


def test_late_updates_on_spark_move_their_keys_to_their_new_day(spark_increment):
    facts = spark_increment["incremental"]
    (ticket,) = [row for row in facts["stg_helpdesk__tickets"] if row["ticket_id"] == "T2"]
    assert (ticket["created_on"], ticket["contacts_count"], ticket["_file_id"]) == (date(2024, 4, 2), 1, 100)
    (session,) = [row for row in facts["stg_web__sessions"] if row["session_id"] == "S2"]
    assert (session["started_on"], session["pageviews"], session["_file_id"]) == (date(2024, 3, 5), 4, 101)
    (line,) = [
        row for row in facts["stg_crm__order_lines"] if (row["order_id"], row["line_number"]) == ("O1", 1)
    ]
    assert (line["quantity"], line["_file_id"]) == (4, 102)


def total(kpi_rows: list[dict[str, Any]], kpi_id: str, grain: str, period_start: str) -> float:
    (value,) = [
        row["value"]
        for row in kpi_rows
        if (row["kpi_id"], row["grain"], row["dimension_name"]) == (kpi_id, grain, "total")
        and row["period_start"] == date.fromisoformat(period_start)
    ]
    return value


def test_the_increments_kpi_values_on_spark(spark_increment):
    kpi_rows = spark_increment["incremental"]["kpi_values"]
    # Tickets created 2024-03-31: T1, T3, T4 (T2 moved away); 2024-04-02: T2; 2024-04-09: T7.
    assert total(kpi_rows, "cs.contact_volume", "day", "2024-03-31") == 3
    assert total(kpi_rows, "cs.contact_volume", "day", "2024-04-02") == 1
    assert total(kpi_rows, "cs.contact_volume", "day", "2024-04-09") == 1
    # O1 (2024-03-01 local): 4 x 100 + 1 x 50 x 0.9 = 445; March adds O2 1000 x 0.75 = 750.
    assert total(kpi_rows, "sales.revenue", "day", "2024-03-01") == pytest.approx(445)
    assert total(kpi_rows, "sales.revenue", "month", "2024-03-01") == pytest.approx(1195)
    # February: O4 500 + its new line 7.
    assert total(kpi_rows, "sales.revenue", "month", "2024-02-01") == pytest.approx(507)
    # R4's good units on 2024-04-02.
    assert total(kpi_rows, "production.output_units", "day", "2024-04-02") == 500
