"""The published outputs: kpis.duckdb (tables, views, storage version), Parquet, the page, the asset."""

from __future__ import annotations

import json
import re
from datetime import date

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest

import dagster_project.publish.publish as publish_module
from dagster_project.catalog import FUNCTIONS, load_catalog
from dagster_project.publish.assets import published_file_is_safe_to_read, published_kpis
from dagster_project.publish.checks import check_published_database, header_storage_number
from dagster_project.publish.publish import PUBLISHED_TABLES, SCORECARD_COLUMNS, VIEWS, PublishError, publish
from dagster_project.warehouse import Warehouse
from tests.publish_fixtures import (
    build_scorecard,
    make_warehouse,
    value_row,
    write_kpi_values,
)
from tests.publish_fixtures.synthetic import AS_OF, make_synthetic_warehouse


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("outputs")
    warehouse = make_synthetic_warehouse(folder / "warehouse.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        result = publish(con, folder / "published")
    assert result.as_of == AS_OF
    return result


@pytest.fixture
def reader(synthetic):
    with duckdb.connect(str(synthetic.database_path), read_only=True) as con:
        yield con


def test_the_published_file_passes_the_readers_checks(synthetic):
    assert check_published_database(synthetic.database_path) == []


def test_the_file_is_in_a_storage_version_duckdb_1x_reads(synthetic, reader):
    # The header's storage number 64 is read by DuckDB 0.10 through 1.x; DuckDB 2 writes more by default.
    assert header_storage_number(synthetic.database_path) == 64
    tag = reader.execute(
        "select tags['storage_version'] from duckdb_databases() where database_name = current_database()"
    ).fetchone()[0]
    assert tag == "v1.0.0+"


def test_it_holds_the_tables_and_a_view_per_function(reader):
    kinds = dict(reader.execute("select table_name, table_type from information_schema.tables").fetchall())
    assert {name for name, kind in kinds.items() if kind == "BASE TABLE"} == set(PUBLISHED_TABLES)
    assert {name for name, kind in kinds.items() if kind == "VIEW"} == set(VIEWS)
    assert {f"{function}_scorecard" for function in FUNCTIONS} < set(VIEWS)
    columns = [c[0] for c in reader.execute("select * from kpi_scorecard limit 0").description]
    assert tuple(columns) == SCORECARD_COLUMNS


def test_the_function_views_split_the_scorecard_without_overlap(reader):
    total = reader.execute("select count(*) from kpi_scorecard").fetchone()[0]
    parts = 0
    for function in FUNCTIONS:
        count, functions = reader.execute(
            f"select count(*), list(distinct function) from {function}_scorecard"
        ).fetchone()
        assert functions == [function]
        parts += count
    assert parts == total


def test_latest_kpis_is_every_headline_total_in_the_last_complete_month(reader):
    rows = reader.execute("select kpi_id, period_start, dimension_name, kpi_role from latest_kpis").fetchall()
    headlines = {kpi.id for kpi in load_catalog().kpis if kpi.role == "headline"}
    assert {row[0] for row in rows} == headlines
    # As of 27 November 2026 the last complete month is October.
    assert {(row[1], row[2], row[3]) for row in rows} == {(date(2026, 10, 1), "total", "headline")}


def test_guardrail_flags_are_json_text_and_also_a_long_table(reader):
    flagged = reader.execute("select guardrail_flags from kpi_scorecard where is_flagged").fetchall()
    assert flagged
    for (text,) in flagged:
        assert {"flag_id", "severity", "related_kpi_id", "message_da", "message_en"} <= set(
            json.loads(text)[0]
        )
    in_rows = sum(
        len(json.loads(text))
        for (text,) in reader.execute("select guardrail_flags from kpi_scorecard").fetchall()
    )
    assert reader.execute("select count(*) from kpi_flags").fetchone()[0] == in_rows


def test_parquet_exports_hold_the_same_rows(synthetic, reader):
    names = {path.stem for path in synthetic.parquet_paths if path.suffix == ".parquet"}
    assert names == set(PUBLISHED_TABLES) | set(VIEWS)
    for path in synthetic.parquet_paths:
        if path.suffix == ".parquet":
            assert (
                pq.read_metadata(path).num_rows
                == reader.execute(f"select count(*) from {path.stem}").fetchone()[0]
            )


def test_the_page_is_self_contained_and_danish_by_default(synthetic):
    page = synthetic.html_path.read_text(encoding="utf-8")
    assert not re.search(r"https?://", page)
    assert "<link" not in page and "src=" not in page
    assert '<body data-lang="da">' in page
    for label in ("Salg", "Marketing", "HR", "Produktion", "Kundeservice"):
        assert f'<span class="da">{label}</span>' in page
    assert page.count('<article class="card') == 25  # five headline KPIs per function
    assert page.count('<svg class="trend"') == 25
    assert "Salgsdirektør / Head of Sales" in page  # owner on the card
    assert "1 af de seneste 13 måneder har en advarsel" in page  # the revenue push in May 2026


def test_a_failed_run_leaves_the_last_good_outputs_and_no_temporary_files(tmp_path, monkeypatch):
    warehouse = make_synthetic_warehouse(tmp_path / "warehouse.duckdb")
    out = tmp_path / "published"
    with duckdb.connect(str(warehouse)) as con:
        first = publish(con, out, run_id="good")
        before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}

        def broken(*args, **kwargs):
            raise RuntimeError("the page failed")

        monkeypatch.setattr(publish_module, "render_scorecard_html", broken)
        with pytest.raises(RuntimeError, match="the page failed"):
            publish(con, out, run_id="bad")
    after = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    assert after == before
    with duckdb.connect(str(first.database_path), read_only=True) as reader:
        assert reader.execute("select run_id from publish_info").fetchone()[0] == "good"


def test_data_quality_verdicts_left_in_the_warehouse_are_read_worst_first(tmp_path):
    verdicts = tmp_path / "verdicts"
    verdicts.mkdir()
    rows = [value_row("sales.revenue", date(2026, 10, 1), 1.0), value_row("cs.csat", date(2026, 10, 1), 0.8)]
    warehouse = make_warehouse(verdicts / "warehouse.duckdb", rows, as_of=AS_OF)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema quality")
        con.execute(
            "create table quality.kpi_data_quality (kpi_id varchar, data_quality_status varchar, message varchar)"
        )
        con.execute(
            "insert into quality.kpi_data_quality values ('sales.revenue', 'ok', null), "
            "('sales.revenue', 'error', 'orders: 12 rows with a negative quantity'), "
            "('sales.revenue', 'warning', 'order_lines: late file'), ('cs.csat', 'ok', null)"
        )
    build_scorecard(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = dict(
            (kpi_id, (status, notes))
            for kpi_id, status, notes in con.execute(
                "select kpi_id, data_quality_status, data_quality_notes from main.kpi_data_quality "
                "where kpi_id in ('sales.revenue', 'cs.csat', 'sales.hit_rate')"
            ).fetchall()
        )
    assert found == {
        "sales.revenue": ("error", "orders: 12 rows with a negative quantity | order_lines: late file"),
        "cs.csat": ("ok", None),
        "sales.hit_rate": ("unknown", None),  # no verdict reaches it
    }


def test_the_export_refuses_a_warehouse_without_the_scorecard_models(tmp_path):
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", [], as_of=AS_OF)
    with (
        duckdb.connect(str(warehouse)) as con,
        pytest.raises(PublishError, match="build the KPI models first"),
    ):
        publish(con, tmp_path / "published")
    assert not (tmp_path / "published" / "kpis.duckdb").exists()


def test_the_dagster_asset_publishes_and_its_check_passes(tmp_path, monkeypatch):
    warehouse = make_synthetic_warehouse(tmp_path / "warehouse.duckdb")
    monkeypatch.setenv("KPI_PUBLISH_DIR", str(tmp_path / "published"))
    monkeypatch.setenv("KPI_AS_OF", AS_OF.isoformat())
    result = dg.materialize(
        [published_kpis, published_file_is_safe_to_read],
        resources={"warehouse": Warehouse(path=str(warehouse))},
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node("published_kpis")
    assert materialization.metadata["kpis"].value == 42
    assert (tmp_path / "published" / "kpis.duckdb").exists()
    (check,) = result.get_asset_check_evaluations()
    assert check.passed
    definitions = dg.Definitions(assets=[published_kpis], resources={"warehouse": Warehouse()})
    node = definitions.resolve_asset_graph().get(dg.AssetKey(["published_kpis"]))
    assert node.group_name == "publish"
    assert {dg.AssetKey(["kpi_scorecard"]), dg.AssetKey(["kpi_flags"])} <= set(node.parent_keys)


def _sentences(result) -> dict[tuple, tuple[str, str]]:
    with duckdb.connect(str(result.database_path), read_only=True) as con:
        rows = con.execute(
            "select period_start, commentary_da, commentary_en from kpi_scorecard order by period_start"
        ).fetchall()
    return {start: (da, en) for start, da, en in rows}


def test_a_moved_value_rewords_its_own_and_the_next_periods_sentence_and_nothing_else(tmp_path):
    as_of = date(2026, 11, 20)
    months = (date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1))

    def nps_rows(october: float) -> list[dict]:
        values = dict(zip(months, (20.0, october, 30.0), strict=True))
        return [
            value_row(
                "cs.nps",
                month,
                value,
                numerator=value,
                denominator=1.0,
                is_complete_period=month < as_of.replace(day=1),
            )
            for month, value in values.items()
        ]

    (tmp_path / "moved").mkdir()
    warehouse = make_warehouse(tmp_path / "moved" / "warehouse.duckdb", nps_rows(october=25.0), as_of=as_of)
    build_scorecard(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        first = publish(con, tmp_path / "out")
        first_sentences = _sentences(first)
        assert first.summary.rows_written == 3
        write_kpi_values(con, nps_rows(october=28.0), as_of)
    build_scorecard(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        moved = _sentences(publish(con, tmp_path / "out"))
    # The export wrote nothing to the warehouse.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert (
            con.execute("select count(*) from duckdb_tables() where schema_name = 'publish'").fetchone()[0]
            == 0
        )
    # NPS 20 → 25 → 30, then October 28: October is 8 points above September, November 2 above October.
    assert moved[months[0]] == first_sentences[months[0]]
    assert "5 point højere end september" in first_sentences[months[1]][0]
    assert "8 point højere end september" in moved[months[1]][0]
    assert "5 point højere end oktober" in first_sentences[months[2]][0]
    assert "2 point højere end oktober" in moved[months[2]][0]
