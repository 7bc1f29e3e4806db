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
    """Per KPI, the raw SQL of the models that name it, of every model they build on,
    and of the project's macros those models use.

    A change anywhere in that lineage changes the KPI's definition version; a change
    in an unrelated model does not.
    """
    manifest = manifest or _manifest()
    models = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}

    def lineage(uid: str, seen: set[str]) -> set[str]:
        if uid in seen or uid not in models:
            return seen
        seen.add(uid)
        for parent in models[uid]["depends_on"]["nodes"]:
            lineage(parent, seen)
        return seen

    macros = manifest["macros"]

    def macro_lineage(uid: str, seen: set[str]) -> set[str]:
        if uid in seen or uid not in macros or not uid.startswith("macro.kpi_platform."):
            return seen
        seen.add(uid)
        for parent in macros[uid]["depends_on"]["macros"]:
            macro_lineage(parent, seen)
        return seen

    texts = {}
    for kpi_id in kpi_ids:
        quoted = (f"'{kpi_id}'", f'"{kpi_id}"')
        naming = [uid for uid, node in models.items() if any(q in node["raw_code"] for q in quoted)]
        uids: set[str] = set()
        for uid in naming:
            lineage(uid, uids)
        macro_uids: set[str] = set()
        for uid in uids:
            for macro in models[uid]["depends_on"]["macros"]:
                macro_lineage(macro, macro_uids)
        texts[kpi_id] = "\n".join(
            [f"-- {uid}\n{models[uid]['raw_code']}" for uid in sorted(uids)]
            + [f"-- {uid}\n{macros[uid]['macro_sql']}" for uid in sorted(macro_uids)]
        )
    return texts
