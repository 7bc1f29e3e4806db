"""Orchestration of the KPI platform: ingest, transform, quality and publish."""
