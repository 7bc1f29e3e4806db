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


def _sources_warehouse(
    ledger: list[tuple[int, str]], sessions: list[tuple[str, int]]
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw._file_ledger (file_id bigint, content_hash varchar)")
    con.execute("create table raw.web__sessions (session_id varchar, _file_id bigint)")
    con.executemany("insert into raw._file_ledger values (?, ?)", ledger)
    con.executemany("insert into raw.web__sessions values (?, ?)", sessions)
    return con


def _lake_rows(folder: Path) -> list[tuple[str, int]]:
    return duckdb.sql(f"select * from read_parquet('{folder}/*.parquet') order by all").fetchall()


def test_a_sources_rows_gain_one_file_per_batch_of_new_files(tmp_path: Path):
    con = _sources_warehouse([(1, "a"), (2, "b")], [("S1", 1), ("S2", 2), ("S3", 2)])
    export_to_lake(con, tmp_path, ("raw",))
    sessions = tmp_path / "raw" / "web__sessions"
    assert [path.name for path in sessions.iterdir()] == ["batch-1-2.parquet"]
    history = (sessions / "batch-1-2.parquet").stat().st_mtime_ns

    # File 3: a new session and a new version of S2; the history's file is not written again.
    con.execute("insert into raw._file_ledger values (3, 'c')")
    con.execute("insert into raw.web__sessions values ('S4', 3), ('S2', 3)")
    export_to_lake(con, tmp_path, ("raw",))
    assert sorted(path.name for path in sessions.iterdir()) == ["batch-1-2.parquet", "batch-3-3.parquet"]
    assert (sessions / "batch-1-2.parquet").stat().st_mtime_ns == history
    assert _lake_rows(sessions) == [("S1", 1), ("S2", 2), ("S2", 3), ("S3", 2), ("S4", 3)]

    # Nothing new: nothing written.
    export_to_lake(con, tmp_path, ("raw",))
    assert sorted(path.name for path in sessions.iterdir()) == ["batch-1-2.parquet", "batch-3-3.parquet"]


def test_a_warehouse_built_anew_replaces_the_lakes_rows_whole(tmp_path: Path):
    export_to_lake(_sources_warehouse([(1, "a"), (2, "b")], [("S1", 1), ("S2", 2)]), tmp_path, ("raw",))
    # A new warehouse numbers its files from 1 again, with other content: file 1 is not the
    # lake's file 1, so none of the lake's rows is kept.
    export_to_lake(_sources_warehouse([(1, "x")], [("S9", 1)]), tmp_path, ("raw",))
    sessions = tmp_path / "raw" / "web__sessions"
    assert [path.name for path in sessions.iterdir()] == ["batch-1-1.parquet"]
    assert _lake_rows(sessions) == [("S9", 1)]


def test_a_lake_folder_missing_rows_is_written_whole_again(tmp_path: Path):
    con = _sources_warehouse([(1, "a"), (2, "b")], [("S1", 1), ("S2", 2)])
    export_to_lake(con, tmp_path, ("raw",))
    con.execute(
        "insert into raw._file_ledger values (3, 'c'); insert into raw.web__sessions values ('S3', 3)"
    )
    export_to_lake(con, tmp_path, ("raw",))
    sessions = tmp_path / "raw" / "web__sessions"
    (sessions / "batch-1-2.parquet").unlink()  # lost by hand: the lake holds 1 row of the 3 up to file 3
    export_to_lake(con, tmp_path, ("raw",))
    assert [path.name for path in sessions.iterdir()] == ["batch-1-3.parquet"]
    assert _lake_rows(sessions) == [("S1", 1), ("S2", 2), ("S3", 3)]
