"""Ingest of operational files into DuckDB raw tables, per the data contract."""
