"""The raw layer as Parquet for Spark, and Spark's tables read back as views (dagster_project/lake.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from dagster_project.lake import export_to_lake, mirror_spark_tables


def test_every_table_and_view_of_the_lake_schemas_is_written_with_its_rows_and_types(tmp_path: Path):
    con = duckdb.connect()
    con.execute("create schema raw; create schema catalog; create schema quality; create schema other")
    con.execute(
        "create table raw.crm__orders (order_id varchar, ordered_at timestamptz, amount decimal(38, 10))"
    )
    con.execute(
        "insert into raw.crm__orders values ('0042', '2026-10-25 00:30:00+00', 1.5), ('42', null, null)"
    )
    con.execute("create table catalog.kpis (kpi_id varchar, grains varchar[])")
    con.execute("create table quality.verdicts (kpi_id varchar)")
    con.execute("create view quality.kpi_data_quality as select kpi_id from quality.verdicts")
    con.execute("create table other.ignored (x integer)")

    written = export_to_lake(con, tmp_path / "lake")

    assert written == ["catalog.kpis", "quality.kpi_data_quality", "quality.verdicts", "raw.crm__orders"]
    orders = tmp_path / "lake" / "raw" / "crm__orders"
    assert [path.name for path in orders.iterdir()] == ["part-0.parquet"]
    read = con.sql(f"select * from read_parquet('{orders}/*.parquet') order by order_id")
    assert read.types == ["VARCHAR", "TIMESTAMP WITH TIME ZONE", "DECIMAL(38,10)"]
    assert [row[0] for row in read.fetchall()] == ["0042", "42"]
    # An empty table is written too: its file carries the schema Spark registers.
    kpis = con.sql(f"select * from read_parquet('{tmp_path / 'lake' / 'catalog' / 'kpis'}/*.parquet')")
    assert kpis.types == ["VARCHAR", "VARCHAR[]"]
    assert kpis.fetchall() == []
    assert not (tmp_path / "lake" / "other").exists()


def test_writing_again_replaces_a_tables_folder(tmp_path: Path):
    con = duckdb.connect()
    con.execute("create schema raw; create table raw.t (x integer); insert into raw.t values (1)")
    export_to_lake(con, tmp_path, ("raw",))
    con.execute("insert into raw.t values (2)")
    export_to_lake(con, tmp_path, ("raw",))
    assert sorted(path.name for path in (tmp_path / "raw").iterdir()) == ["t"]
    total = con.sql(f"select sum(x) from read_parquet('{tmp_path / 'raw' / 't'}/*.parquet')").fetchall()
    assert total == [(3,)]


def test_spark_tables_replace_duckdb_tables_of_the_same_name_as_views(tmp_path: Path):
    spark_tables = tmp_path / "warehouse" / "main.db"
    writer = duckdb.connect()
    for table, value in (("kpi_values", 7), ("kpi_scorecard", 8)):
        (spark_tables / table).mkdir(parents=True)
        writer.execute(f"copy (select {value} as value) to '{spark_tables / table / 'part-00000.parquet'}'")
    con = duckdb.connect(str(tmp_path / "kpi.duckdb"))
    con.execute("create table main.kpi_values as select 1 as value")

    assert mirror_spark_tables(con, tmp_path) == ["kpi_scorecard", "kpi_values"]

    kinds = dict(
        con.execute(
            "select table_name, table_type from information_schema.tables where table_schema = 'main'"
        ).fetchall()
    )
    assert kinds == {"kpi_values": "VIEW", "kpi_scorecard": "VIEW"}
    assert con.sql("select value from main.kpi_values").fetchall() == [(7,)]
    assert con.sql("select value from main.kpi_scorecard").fetchall() == [(8,)]


def test_a_partitioned_spark_table_is_read_with_its_partition_column_from_the_folder_names(tmp_path: Path):
    # Spark writes a partitioned table's rows without the partition column, in one folder per
    # value: `started_on=2024-03-05/`. The view gives the column back, typed, as the last one.
    spark_tables = tmp_path / "warehouse" / "main.db"
    writer = duckdb.connect()
    for folder, session_id in (("started_on=2024-03-05", "S1"), ("started_on=2024-03-07", "S2")):
        (spark_tables / "stg_web__sessions" / folder).mkdir(parents=True)
        target = spark_tables / "stg_web__sessions" / folder / "part-00000.c000.snappy.parquet"
        writer.execute(f"copy (select '{session_id}' as session_id, 3 as pageviews) to '{target}'")
    for file_id in (5, 101):
        (spark_tables / "stg_crm__order_lines" / f"_file_id={file_id}").mkdir(parents=True)
        target = spark_tables / "stg_crm__order_lines" / f"_file_id={file_id}" / "part-00000.parquet"
        writer.execute(f"copy (select 'O{file_id}' as order_id) to '{target}'")
    con = duckdb.connect(str(tmp_path / "kpi.duckdb"))

    assert mirror_spark_tables(con, tmp_path) == ["stg_crm__order_lines", "stg_web__sessions"]

    sessions = con.sql("select * from main.stg_web__sessions order by session_id")
    assert sessions.columns == ["session_id", "pageviews", "started_on"]
    assert sessions.types[2] == "DATE"
    assert sessions.fetchall() == [("S1", 3, date(2024, 3, 5)), ("S2", 3, date(2024, 3, 7))]
    lines = con.sql("select order_id, _file_id from main.stg_crm__order_lines order by _file_id")
    assert lines.types[1] == "BIGINT"
    assert lines.fetchall() == [("O5", 5), ("O101", 101)]
