"""Great Expectations suites (expectations/suites/*.yml) and the code that runs them.

Entry points: `expectations.runner.run_suites(con, as_of)`, the command lines
`python -m expectations.check` and `python -m expectations.acknowledge`, and
`expectations.bench.time_validation(warehouse_path)`. Nothing here imports Great Expectations
at module load except expectations.gx_validation.
"""
