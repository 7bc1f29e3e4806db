"""Transform: the KPI catalog into the warehouse, then the dbt project (all KPI logic)."""
