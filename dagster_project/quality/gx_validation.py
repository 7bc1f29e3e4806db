"""Great Expectations (1.x) on the summary frames: one suite per suite file and summary, Data Docs.

Imported only when checks run: importing Great Expectations takes seconds. The context is
ephemeral (suites and validation definitions are built from the YAML suites on every run), but
its validation results store and its Data Docs site live on disk under the quality directory,
so the Data Docs show the last runs and not only the current one.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from dagster_project.quality.spec import ExpectationSpec

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no network here, and no usage statistics

import great_expectations as gx  # noqa: E402
from great_expectations.core.run_identifier import RunIdentifier  # noqa: E402
from great_expectations.data_context.types.base import (  # noqa: E402
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.expectations.registry import get_expectation_impl  # noqa: E402
from great_expectations.expectations.row_conditions import Column  # noqa: E402

DATASOURCE = "kpi_platform"
DOCS_SITE = "quality"
KEEP_RUNS = 10  # validation results kept per suite for the Data Docs
_RUN_TIME = re.compile(r"^\d{8}T\d{6}\.\d+Z$")


@dataclass(frozen=True)
class GxResult:
    """What the runner needs of one Great Expectations validation result."""

    success: bool
    result: dict[str, Any]
    exception: str | None = None


class GxSession:
    """An ephemeral context with one pandas data source; with `quality_dir`, results and Data Docs
    are written below it."""

    def __init__(self, quality_dir: Path | None) -> None:
        self.quality_dir = quality_dir
        self.context = make_context(quality_dir)
        self.datasource = self.context.data_sources.add_pandas(DATASOURCE)

    def validate(
        self,
        suite_name: str,
        summary: str,
        frame: pd.DataFrame,
        specs: list[ExpectationSpec],
        run_id: str,
        run_at: datetime,
    ) -> dict[str, GxResult]:
        return validate_frame(
            self.context, self.datasource, suite_name, summary, frame, specs, run_id, run_at
        )

    def build_docs(self) -> Path | None:
        if self.quality_dir is None:
            return None
        return build_docs(self.context, self.quality_dir)


def make_context(quality_dir: Path | None):
    """An ephemeral context; with `quality_dir`, results and Data Docs are written below it."""
    defaults = InMemoryStoreBackendDefaults()
    stores = dict(defaults.stores)
    docs_sites: dict[str, Any] = {}
    if quality_dir is not None:
        stores[defaults.validation_results_store_name] = {
            "class_name": "ValidationResultsStore",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(quality_dir / "validations"),
            },
        }
        docs_sites[DOCS_SITE] = {
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(quality_dir / "docs"),
            },
        }
    config = DataContextConfig(
        store_backend_defaults=defaults,
        stores=stores,
        data_docs_sites=docs_sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def build_expectation(spec: ExpectationSpec):
    """The Great Expectations expectation object of one suite entry."""
    kwargs = dict(spec.kwargs)
    if spec.row_condition:
        column = Column(spec.row_condition["column"])
        if "in" in spec.row_condition:
            kwargs["row_condition"] = column.is_in(spec.row_condition["in"])
        else:
            kwargs["row_condition"] = column == spec.row_condition["equals"]
    expectation_class = get_expectation_impl(spec.expectation)
    return expectation_class(
        **kwargs,
        meta={"id": spec.id, "severity": spec.severity, "threshold": str(spec.threshold)},
        notes=f"[{spec.severity}] {spec.description} Threshold: {spec.threshold}.",
    )


def validate_frame(
    context,
    datasource,
    suite_name: str,
    summary: str,
    frame: pd.DataFrame,
    specs: list[ExpectationSpec],
    run_id: str,
    run_at: datetime,
) -> dict[str, GxResult]:
    """Validate one summary frame against the expectations that run on it; results by expectation id."""
    results: dict[str, GxResult] = {}
    suite = context.suites.add(gx.ExpectationSuite(name=f"{suite_name}.{summary}"))
    for spec in specs:
        try:
            suite.add_expectation(build_expectation(spec))
        except Exception as error:  # a malformed kwarg is reported, not raised
            results[spec.id] = GxResult(False, {}, f"invalid expectation: {error}")
    if len(results) == len(specs):
        return results
    asset = datasource.add_dataframe_asset(name=f"{suite_name}.{summary}")
    batch = asset.add_batch_definition_whole_dataframe("whole_frame")
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{suite_name}.{summary}", data=batch, suite=suite)
    )
    validation = definition.run(
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "COMPLETE"},
        run_id=RunIdentifier(run_name=run_id, run_time=run_at),
    )
    for result in validation.results:
        expectation_id = result.expectation_config.meta["id"]
        results[expectation_id] = GxResult(
            success=bool(result.success),
            result=dict(result.result or {}),
            exception=_exception_message(result.exception_info),
        )
    return results


def _exception_message(info: Any) -> str | None:
    if not info:
        return None
    if isinstance(info, dict) and "raised_exception" in info:
        return info.get("exception_message") if info.get("raised_exception") else None
    if isinstance(info, dict):
        for nested in info.values():
            message = _exception_message(nested)
            if message:
                return message
    return None


def build_docs(context, quality_dir: Path, keep_runs: int = KEEP_RUNS) -> Path:
    """Prune old validation results, then (re)build the Data Docs site; returns its index.html."""
    prune_results(quality_dir / "validations", keep_runs)
    docs = quality_dir / "docs"
    for stale in ("validations", "expectations"):
        shutil.rmtree(docs / stale, ignore_errors=True)  # pages of pruned results
    context.build_data_docs(site_names=[DOCS_SITE])
    return docs / "index.html"


def prune_results(results_dir: Path, keep_runs: int) -> None:
    """Keep the newest `keep_runs` runs of each suite in the validation results store.

    The store nests results as <suite name split on dots>/<run name>/<run time>/<batch>.json.
    """
    if not results_dir.is_dir():
        return
    run_dirs: dict[Path, set[Path]] = {}
    for run_time_dir in results_dir.rglob("*"):
        if run_time_dir.is_dir() and _RUN_TIME.match(run_time_dir.name):
            run_dir = run_time_dir.parent
            run_dirs.setdefault(run_dir.parent, set()).add(run_dir)
    for runs in run_dirs.values():
        for old in sorted(runs, key=_newest_mtime, reverse=True)[keep_runs:]:
            shutil.rmtree(old, ignore_errors=True)


def _newest_mtime(path: Path) -> float:
    """When the run's results were written (its files' times: a directory's changes on deletes)."""
    return max((child.stat().st_mtime for child in path.rglob("*") if child.is_file()), default=0.0)
