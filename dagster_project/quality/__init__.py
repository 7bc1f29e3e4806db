"""Data quality: the Great Expectations suites of expectations/suites/ and the code that runs them.

Entry points: `runner.run_suites(con, as_of)`, the Dagster asset checks of `checks`, the command
lines `python -m dagster_project.quality.check` and `python -m dagster_project.quality.acknowledge`,
and `bench.time_validation(warehouse_path)`. Nothing here imports Great Expectations at module load
except `gx_validation`. The suites are YAML in the top-level expectations/ folder; no code there.
"""
