"""Checks on a published kpis.duckdb as a reader sees it (used by the asset check and the tests)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.publish.publish import PUBLISHED_TABLES, READABLE_STORAGE_TAG, SCORECARD_COLUMNS, VIEWS

# The DuckDB file header: 8 bytes checksum, b"DUCK", then the storage version number (uint64, LE).
# 64 is the number every DuckDB from 0.10 through the 1.x series reads and writes.
HEADER_MAGIC = b"DUCK"
DUCKDB_1X_STORAGE_NUMBER = 64
# The null reasons of kpis.md's Privacy section (dbt macro suppression_reasons), as a reader sees them.
SUPPRESSION_REASONS = ("group below 5", "complementary suppression")


def header_storage_number(path: Path) -> int:
    """The storage version number in a DuckDB file's header."""
    with Path(path).open("rb") as handle:
        header = handle.read(20)
    if header[8:12] != HEADER_MAGIC:
        raise ValueError(f"{path} is not a DuckDB database file")
    return int.from_bytes(header[12:20], "little")


def check_published_database(path: Path) -> list[str]:
    """Problems a reader of the published file would meet; empty when there are none."""
    path = Path(path)
    if not path.exists():
        return [f"{path} does not exist"]
    problems = []
    number = header_storage_number(path)
    if number != DUCKDB_1X_STORAGE_NUMBER:
        problems.append(
            f"storage version number {number} in the header; DuckDB 1.x reads {DUCKDB_1X_STORAGE_NUMBER}"
        )
    with duckdb.connect(str(path), read_only=True) as con:
        tag = con.execute(
            "select tags['storage_version'] from duckdb_databases() where database_name = current_database()"
        ).fetchone()[0]
        if tag != READABLE_STORAGE_TAG:
            problems.append(f"DuckDB reports storage version {tag!r}, expected {READABLE_STORAGE_TAG!r}")
        names = {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}
        missing = sorted((set(PUBLISHED_TABLES) | set(VIEWS)) - names)
        if missing:
            problems.append(f"missing tables or views: {', '.join(missing)}")
            return problems
        columns = [row[0] for row in con.execute("select * from kpi_scorecard limit 0").description]
        if tuple(columns) != SCORECARD_COLUMNS:
            problems.append("kpi_scorecard columns differ from SCORECARD_COLUMNS")
        # The HR people count decides suppression; kpis.md never publishes it, in any table or view.
        carriers = con.execute(
            "select distinct table_name from information_schema.columns where column_name = 'people_count'"
        ).fetchall()
        if carriers:
            problems.append(f"people_count is published in {', '.join(sorted(row[0] for row in carriers))}")
        reasons = ", ".join(f"'{reason}'" for reason in SUPPRESSION_REASONS)
        leaks = con.execute(
            f"""
            select count(*) from kpi_scorecard
            where function = 'hr' and null_reason in ({reasons})
                and (value is not null or numerator is not null or denominator is not null
                     or sample_size is not null)
            """
        ).fetchone()[0]
        if leaks:
            problems.append(f"{leaks} suppressed HR rows still carry a number")
    return problems
