"""Data quality: the Great Expectations suites of expectations/ as Dagster asset checks."""
