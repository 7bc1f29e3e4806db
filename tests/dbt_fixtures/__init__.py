"""Hand-made warehouses and a dbt runner for the dbt tests."""
