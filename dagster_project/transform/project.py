"""The dbt project, its manifest and the SQL behind each KPI (for definition versions)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from functools import cache, cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

from dagster_project.settings import PROJECT_ROOT
from dagster_project.transform.definition_sql import kpi_sql_text

DBT_DIR = PROJECT_ROOT / "dbt_models"

# The dbt of this interpreter's environment, found without relying on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))

dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


class KpiDbtCliResource(DbtCliResource):
    """DbtCliResource without the two preparations the pipeline does not need (4-5 s a dbt step).

    Before each dbt command dagster-dbt asks the executable for its version (`dbt --version`, a
    new process) and opens a dbt adapter in process, which only serves fetch_row_counts() and
    fetch_column_metadata(); this project uses neither. The executable is this environment's
    dbt, so its version is the installed dbt-core's.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def keep_partial_parse(invocation_target: Path) -> None:
    """Make a dbt command's parse state the one the next command starts from.

    dagster-dbt gives every command its own target folder, seeded with the project's
    target/partial_parse.msgpack. Left alone, that seed is whatever the last `dbt parse` wrote,
    often under another profile or warehouse path, and then every command of every run parses
    the whole project again (3 s here). dbt checks the state on load, so the newest is always safe.
    """
    state = invocation_target / "partial_parse.msgpack"
    if not state.exists():
        return
    seed = DBT_DIR / "target" / "partial_parse.msgpack"
    seed.parent.mkdir(parents=True, exist_ok=True)
    temporary = seed.with_name(f".{seed.name}.{os.getpid()}.tmp")
    shutil.copyfile(state, temporary)
    os.replace(temporary, seed)


def dbt_resource() -> KpiDbtCliResource:
    return KpiDbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)


def _newest_project_file() -> float:
    folders = [DBT_DIR / name for name in ("models", "macros", "tests")]
    files = [DBT_DIR / "dbt_project.yml", DBT_DIR / "profiles.yml"]
    files += [p for folder in folders if folder.is_dir() for p in folder.rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in files if p.exists())


def ensure_manifest() -> Path:
    """Parse the dbt project when its manifest is missing or older than a project file."""
    manifest = dbt_project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_project_file():
        subprocess.run(
            [
                DBT_EXECUTABLE,
                "parse",
                "--quiet",
                "--project-dir",
                str(DBT_DIR),
                "--profiles-dir",
                str(DBT_DIR),
            ],
            check=True,
            env={**os.environ, "DO_NOT_TRACK": "1"},
        )
    return manifest


@cache
def _manifest() -> Mapping:
    return json.loads(ensure_manifest().read_text())


def kpi_sql_texts(kpi_ids: list[str], manifest: Mapping | None = None) -> dict[str, str]:
    """Per KPI, the SQL that computes it (definition_sql.kpi_sql_text): its own CTEs and what they
    read, the models upstream and the project's macros it calls, comments removed."""
    manifest = manifest or _manifest()
    return {kpi_id: kpi_sql_text(kpi_id, manifest, kpi_ids) for kpi_id in kpi_ids}
