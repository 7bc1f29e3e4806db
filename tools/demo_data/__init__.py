"""Demo data: the operational extracts of a 300-person Danish company, per the data contract."""

from tools.demo_data.generator import GenerationSummary, TableSummary, generate

__all__ = ["GenerationSummary", "TableSummary", "generate"]
