"""The suites in `expectations/suites/*.yml` as data: load and validate them, without Great Expectations.

A suite file lists its expectations (id, description, severity, threshold, the summary it runs
on, the Dagster check it reports under, the Great Expectations expectation type and its
kwargs) and the parameters of the summaries they use. `$threshold` in kwargs stands for the
expectation's own threshold, so every number is written once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# The suites (and the acknowledged rejections) are data beside the code: the top-level expectations/.
EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "expectations"
SUITES_DIR = EXPECTATIONS_DIR / "suites"
SEVERITIES = ("error", "warning")
THRESHOLD_PLACEHOLDER = "$threshold"

_SUITE_KEYS = {"suite", "description", "summaries", "expectations"}
_EXPECTATION_KEYS = {
    "id",
    "description",
    "severity",
    "threshold",
    "summary",
    "dagster_check",
    "expectation",
    "kwargs",
    "row_condition",
}
_REQUIRED_EXPECTATION_KEYS = _EXPECTATION_KEYS - {"row_condition"}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")
_EXPECTATION_TYPE = re.compile(r"^expect_[a-z0-9_]+$")


class SuiteError(ValueError):
    """A suite file is malformed; the message names the file, the expectation and the field."""


@dataclass(frozen=True)
class ExpectationSpec:
    id: str
    suite: str
    description: str
    severity: str  # error | warning
    threshold: Any  # a number used in kwargs, or a sentence for a reader
    summary: str  # name of the summary frame in dagster_project/quality/summaries.py
    dagster_check: str  # name of the Dagster asset check the result is reported under
    expectation: str  # Great Expectations expectation type, snake case
    kwargs: dict[str, Any] = field(default_factory=dict)  # with $threshold substituted
    # The rows it applies to: {column: name, equals: value} or {column: name, in: [values]}.
    row_condition: dict[str, Any] | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    description: str
    summaries: dict[str, dict[str, Any]]  # summary name -> its parameters
    expectations: tuple[ExpectationSpec, ...]
    path: Path | None = None


def load_suites(directory: Path = SUITES_DIR, names: list[str] | None = None) -> list[SuiteSpec]:
    """Every suite file of `directory` (or only the named suites), validated, in file name order."""
    suites = [load_suite(path) for path in sorted(directory.glob("*.yml"))]
    _check_unique_ids(suites)
    if names is None:
        return suites
    known = {suite.name for suite in suites}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SuiteError(f"no suite named {unknown[0]!r}; the suites are {', '.join(sorted(known))}")
    return [suite for suite in suites if suite.name in names]


def load_suite(path: Path) -> SuiteSpec:
    with path.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    return parse_suite(document, source=path.name, path=path)


def parse_suite(document: Any, source: str = "suite", path: Path | None = None) -> SuiteSpec:
    if not isinstance(document, dict):
        raise SuiteError(f"{source}: the top level must be a mapping")
    _reject_unknown(document, _SUITE_KEYS, f"{source}: top level")
    name = document.get("suite")
    if not isinstance(name, str) or not _NAME.match(name):
        raise SuiteError(f"{source}, field 'suite': a lower-case name is required")
    summaries = document.get("summaries") or {}
    if not isinstance(summaries, dict) or not all(
        isinstance(params, dict | None) for params in summaries.values()
    ):
        raise SuiteError(f"{source}, field 'summaries': a mapping of summary name to parameters")
    summaries = {summary: dict(params or {}) for summary, params in summaries.items()}
    entries = document.get("expectations")
    if not isinstance(entries, list) or not entries:
        raise SuiteError(f"{source}, field 'expectations': a non-empty list is required")
    expectations = tuple(
        _parse_expectation(entry, index, name, summaries, source) for index, entry in enumerate(entries, 1)
    )
    return SuiteSpec(
        name=name,
        description=" ".join(str(document.get("description") or "").split()),
        summaries=summaries,
        expectations=expectations,
        path=path,
    )


def _parse_expectation(
    entry: Any, index: int, suite: str, summaries: dict[str, dict[str, Any]], source: str
) -> ExpectationSpec:
    where = f"{source}: expectation #{index}"
    if not isinstance(entry, dict):
        raise SuiteError(f"{where}: must be a mapping")
    if isinstance(entry.get("id"), str):
        where = f"{source}: expectation {entry['id']!r}"
    _reject_unknown(entry, _EXPECTATION_KEYS, where)
    missing = sorted(key for key in _REQUIRED_EXPECTATION_KEYS if entry.get(key) in (None, ""))
    if missing:
        raise SuiteError(f"{where}, field {missing[0]!r}: required")
    expectation_id = entry["id"]
    if not isinstance(expectation_id, str) or not _ID.match(expectation_id):
        raise SuiteError(f"{where}, field 'id': must be of the form group.name (lower case)")
    severity = entry["severity"]
    if severity not in SEVERITIES:
        raise SuiteError(f"{where}, field 'severity': {severity!r} is not one of {', '.join(SEVERITIES)}")
    if entry["summary"] not in summaries:
        raise SuiteError(
            f"{where}, field 'summary': {entry['summary']!r} is not listed under the suite's summaries"
        )
    if not isinstance(entry["dagster_check"], str) or not _NAME.match(entry["dagster_check"]):
        raise SuiteError(f"{where}, field 'dagster_check': a lower-case name is required")
    if not isinstance(entry["expectation"], str) or not _EXPECTATION_TYPE.match(entry["expectation"]):
        raise SuiteError(f"{where}, field 'expectation': a Great Expectations type like expect_...")
    if not isinstance(entry["kwargs"], dict):
        raise SuiteError(f"{where}, field 'kwargs': must be a mapping")
    row_condition = entry.get("row_condition")
    if row_condition is not None and not (
        isinstance(row_condition, dict)
        and isinstance(row_condition.get("column"), str)
        and len(set(row_condition) & {"equals", "in"}) == 1
        and set(row_condition) <= {"column", "equals", "in"}
    ):
        raise SuiteError(
            f"{where}, field 'row_condition': {{column: name, equals: value}} or {{column: name, in: [...]}}"
        )
    return ExpectationSpec(
        id=expectation_id,
        suite=suite,
        description=" ".join(str(entry["description"]).split()),
        severity=severity,
        threshold=entry["threshold"],
        summary=entry["summary"],
        dagster_check=entry["dagster_check"],
        expectation=entry["expectation"],
        kwargs=_substitute_threshold(entry["kwargs"], entry["threshold"], where),
        row_condition=row_condition,
    )


def _substitute_threshold(kwargs: dict[str, Any], threshold: Any, where: str) -> dict[str, Any]:
    resolved = {}
    for key, value in kwargs.items():
        if value == THRESHOLD_PLACEHOLDER:
            if isinstance(threshold, bool) or not isinstance(threshold, int | float):
                raise SuiteError(f"{where}, kwargs {key!r}: $threshold needs a numeric threshold")
            value = threshold
        resolved[key] = value
    return resolved


def _check_unique_ids(suites: list[SuiteSpec]) -> None:
    seen: set[str] = set()
    for suite in suites:
        for expectation in suite.expectations:
            if expectation.id in seen:
                raise SuiteError(f"expectation {expectation.id!r} is defined more than once")
            seen.add(expectation.id)


def _reject_unknown(entry: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise SuiteError(f"{where}, field {unknown[0]!r}: unknown field")


def all_expectations(suites: list[SuiteSpec]) -> list[ExpectationSpec]:
    return [expectation for suite in suites for expectation in suite.expectations]
