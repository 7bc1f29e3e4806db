"""The BI clients' own environments, built once under .cache/bi/ (git-ignored) from this folder's files.

Each client gets an environment of its own so that the project's pins (DuckDB 2.0.1 and friends)
stay as they are: a venv per requirements file, a node_modules per package.json. A folder is named
by a hash of the files it is built from, so editing a pin builds a new one; a folder without its
`.complete` marker (a build that was interrupted) is built again.

    python -m tests.bi_clients.environments     # build them all (`make bi-clients`)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
CACHE = Path(os.environ.get("KPI_BI_CACHE", REPO_ROOT / ".cache" / "bi"))
EVIDENCE = HERE / "evidence"
# The interpreter the venvs are made with: the one running the tests, but not the project's venv
# (a venv made from a venv's python still works, yet it is clearer to start from the base).
BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)


class EnvironmentError_(RuntimeError):
    """A client environment could not be built: the message says which and why."""


def _digest(*files: Path) -> str:
    hasher = hashlib.sha256()
    for file in files:
        hasher.update(file.name.encode())
        hasher.update(file.read_bytes())
    return hasher.hexdigest()[:12]


def _run(command: list[str], what: str, cwd: Path | None = None) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=1200)
    if done.returncode != 0:
        raise EnvironmentError_(
            f"building {what} failed: {' '.join(command)}\n{done.stdout[-1500:]}\n{done.stderr[-3000:]}"
        )


def _build(folder: Path, build) -> Path:
    marker = folder / ".complete"
    if marker.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    build(folder)
    marker.touch()
    return folder


def python_env(requirements: str) -> Path:
    """A venv with exactly the pins of tests/bi_clients/<requirements>; returns its bin folder."""
    source = HERE / requirements
    name = source.stem.removeprefix("requirements-")

    def build(folder: Path) -> None:
        _run([BASE_PYTHON, "-m", "venv", str(folder)], f"the {name} venv")
        pip = [str(folder / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
        _run([*pip, "install", "--no-cache-dir", "-r", str(source)], f"the {name} venv")

    return _build(CACHE / f"{name}-{_digest(source)}", build) / "bin"


def superset_python() -> Path:
    return python_env("requirements-superset.txt") / "python"


def duckdb_cli() -> Path:
    return python_env("requirements-duckdb-cli.txt") / "duckdb"


def node_env(source: Path, name: str, script: str) -> Path:
    """A folder with `source`'s package.json installed (node_modules) and its script beside it."""
    files = [source / "package.json", source / "package-lock.json", source / script]

    def build(folder: Path) -> None:
        for file in files:
            shutil.copy2(file, folder / file.name)
        npm = shutil.which("npm")
        if not npm:
            raise EnvironmentError_(f"building {name} needs npm (Node 20): apt-get install nodejs npm")
        # `npm install` rather than `npm ci`: npm leaves some platforms' optional bindings out of the
        # lock file, which `npm ci` then refuses; the versions are pinned in package.json all the same.
        _run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error"], name, cwd=folder)

    return _build(CACHE / f"{name}-{_digest(*files)}", build)


def evidence_dir() -> Path:
    """@evidence-dev/duckdb as package.json pins it, plus the read script."""
    return node_env(EVIDENCE, "evidence", "read_views.cjs")


def browser_dir() -> Path:
    """playwright-core (it drives the system's Chromium; no browser download), plus the keyboard script."""
    return node_env(HERE.parent / "browser", "playwright", "keyboard.cjs")


def build_all() -> None:
    for name, build in (
        ("Superset", superset_python),
        ("duckdb-cli", duckdb_cli),
        ("Evidence", evidence_dir),
    ):
        print(f"{name}: {build()}", flush=True)


if __name__ == "__main__":
    build_all()
