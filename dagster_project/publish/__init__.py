"""The publish step: kpi_values → the annotated kpi_scorecard in kpis.duckdb, Parquet and scorecard.html."""
