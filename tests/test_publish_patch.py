"""A daily publish patches the last published file: it words and writes only the scorecard rows
whose columns changed, and the file it leaves equals one written whole from the same models."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from dagster_project.publish.publish import PUBLISHED_TABLES, publish
from tests.publish_fixtures import build_scorecard, rebuild_and_publish
from tests.publish_fixtures.synthetic import AS_OF, make_synthetic_warehouse

# How the file was written, which differs between a patch and a whole write of the same models.
HOW_WRITTEN = ("run_id", "write_mode", "rows_written")


@pytest.fixture(scope="module")
def synthetic_warehouse(tmp_path_factory) -> Path:
    # Named as every test's warehouse: the dbt manifest, parsed once per process, names the database.
    return make_synthetic_warehouse(tmp_path_factory.mktemp("patch") / "warehouse.duckdb")


@pytest.fixture
def warehouse(synthetic_warehouse: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "warehouse" / synthetic_warehouse.name
    copy.parent.mkdir()
    shutil.copyfile(synthetic_warehouse, copy)
    return copy


def _publish(warehouse: Path, folder: Path, **options):
    with duckdb.connect(str(warehouse)) as con:
        return publish(con, folder, **options)


def _differences(patched: Path, whole: Path) -> dict[str, int]:
    """Rows of each published table (and the scorecard's Parquet file) in one file and not in the
    other, both ways, counting duplicates."""
    differences = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{patched}' as patched (read_only)")
        con.execute(f"attach '{whole}' as whole (read_only)")
        for table in PUBLISHED_TABLES:
            skip = f" exclude ({', '.join(HOW_WRITTEN)})" if table == "publish_info" else ""
            one, other = (f"select *{skip} from {side}.main.{table}" for side in ("patched", "whole"))
            differences[table] = con.execute(
                f"select (select count(*) from ({one} except all {other})) "
                f"+ (select count(*) from ({other} except all {one}))"
            ).fetchone()[0]
        parquet = patched.parent / "parquet" / "kpi_scorecard.parquet"
        one, other = f"select * from '{parquet}'", "select * from whole.main.kpi_scorecard"
        differences["kpi_scorecard.parquet"] = con.execute(
            f"select (select count(*) from ({one} except all {other})) "
            f"+ (select count(*) from ({other} except all {one}))"
        ).fetchone()[0]
    return differences


def _info(path: Path) -> dict:
    with duckdb.connect(str(path), read_only=True) as con:
        cursor = con.execute("select * from publish_info")
        return dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))


def test_a_publish_with_nothing_new_words_no_row_and_equals_a_whole_write(warehouse, tmp_path):
    first = _publish(warehouse, tmp_path / "published")
    assert first.summary.why_whole == "no published file yet"
    assert _info(first.database_path)["write_mode"] == "whole"

    again = _publish(warehouse, tmp_path / "published")
    whole = _publish(warehouse, tmp_path / "whole", whole=True)

    assert again.summary.why_whole is None
    assert again.summary.rows_written == 0
    assert _info(again.database_path) | {"run_id": None} == _info(first.database_path) | {
        "run_id": None,
        "write_mode": "patch",
        "rows_written": 0,
    }
    assert whole.summary.why_whole == "a whole write was asked for"
    assert set(_differences(again.database_path, whole.database_path).values()) == {0}


def test_a_changed_value_rewrites_its_row_the_next_month_and_the_same_month_next_year(warehouse, tmp_path):
    _publish(warehouse, tmp_path / "published")
    # sales.hit_rate is in no guardrail pair: its March 2025 total reaches its own row (value, gap,
    # status, change), April 2025's (previous value, change) and March 2026's (same period last
    # year), and nothing else.
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            """
            update main.kpi_values set value = 0.99, numerator = 0.99 * denominator
            where kpi_id = 'sales.hit_rate' and grain = 'month' and period_start = date '2025-03-01'
                and dimension_name = 'total'
            """
        )
    build_scorecard(warehouse)
    patched = _publish(warehouse, tmp_path / "published")
    whole = _publish(warehouse, tmp_path / "whole", whole=True)

    assert patched.summary.rows_written == 3
    with duckdb.connect(str(patched.database_path), read_only=True) as con:
        hit_rate = dict(
            con.execute(
                """
                select period_start, (value, previous_value, same_period_last_year)
                from kpi_scorecard
                where kpi_id = 'sales.hit_rate' and dimension_name = 'total'
                    and period_start in ('2025-03-01', '2025-04-01', '2026-03-01')
                """
            ).fetchall()
        )
    assert hit_rate[date(2025, 3, 1)][0] == 0.99  # value
    assert hit_rate[date(2025, 4, 1)][1] == 0.99  # previous value
    assert hit_rate[date(2026, 3, 1)][2] == 0.99  # same period last year
    assert set(_differences(patched.database_path, whole.database_path).values()) == {0}


def test_a_patch_after_deleted_added_and_changed_rows_and_a_new_as_of_equals_a_whole_write(
    warehouse, tmp_path
):
    _publish(warehouse, tmp_path / "published")
    with duckdb.connect(str(warehouse)) as con:
        # Gone: a region's hit rate in 2025; new: a week; changed: a flagged month's revenue.
        con.execute(
            "delete from main.kpi_values where kpi_id = 'sales.hit_rate' and dimension_name = 'region' "
            "and dimension_value = 'Hovedstaden' and period_start < date '2026-01-01'"
        )
        con.execute(
            """
            insert into main.kpi_values by name
            select * replace ('week' as grain, date '2026-11-23' as period_start,
                date '2026-11-29' as period_end, false as is_complete_period)
            from main.kpi_values
            where kpi_id = 'sales.revenue' and grain = 'month' and period_start = date '2026-11-01'
            """
        )
        con.execute(
            "update main.kpi_values set value = value * 1.3, numerator = numerator * 1.3 "
            "where kpi_id = 'sales.revenue' and period_start = date '2026-05-01'"
        )
    # A day later: freshness and computed_at (RUN_COLUMNS) move on every row, set per KPI by the
    # patch; _differences compares them too.
    patched = rebuild_and_publish(warehouse, tmp_path / "published", as_of=AS_OF + timedelta(days=1))
    whole = _publish(warehouse, tmp_path / "whole", whole=True)

    assert patched.summary.why_whole is None
    assert 0 < patched.summary.rows_written < patched.summary.rows
    with duckdb.connect(str(patched.database_path), read_only=True) as con:
        week = con.execute("select count(*) from kpi_scorecard where grain = 'week'").fetchone()[0]
    assert week == 1 + 3  # the total and the three regions
    assert set(_differences(patched.database_path, whole.database_path).values()) == {0}
    assert pq.read_metadata(patched.parquet_paths[0].parent / "kpi_scorecard.parquet").num_rows == (
        patched.summary.rows
    )


def test_a_file_from_another_export_version_or_layout_is_written_whole(warehouse, tmp_path):
    first = _publish(warehouse, tmp_path / "published")
    with duckdb.connect(str(first.database_path)) as con:
        con.execute("update publish_info set export_version = 'older'")
    assert _publish(warehouse, tmp_path / "published").summary.why_whole == (
        "the published file was worded by another version of the export"
    )
    with duckdb.connect(str(first.database_path)) as con:
        con.execute("alter table publish_info drop column export_version")
    second = _publish(warehouse, tmp_path / "published")
    assert second.summary.why_whole.startswith("the published file cannot be read as this export writes it")
    assert second.summary.rows_written == second.summary.rows
    assert _publish(warehouse, tmp_path / "published").summary.why_whole is None
