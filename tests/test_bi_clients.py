"""The published kpis.duckdb in the BI clients themselves, each in its own environment.

- Superset's stack (duckdb-engine, SQLAlchemy 1.4, DuckDB 1.5) with the README's URI and engine
  parameters: the schema, the README's queries, and a publish swapping the file under it.
- The DuckDB command-line client from PyPI (1.4): `duckdb -readonly` runs the README's queries.
- Evidence's DuckDB driver from npm (DuckDB 1.4.2 inside) through Node: the per-function views
  with their column types.

The environments are built once under .cache/bi/ (tests/bi_clients/environments.py). The SQL, the
URI and the engine parameters are read from README.md, so the tests follow what analysts are told.
Each client also refuses a file in DuckDB 2.0's own format: that is the failure these tests are for.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from dagster_project.catalog import FUNCTIONS, load_catalog
from dagster_project.publish.publish import PUBLISHED_TABLES, VIEWS, publish
from tests.bi_clients import environments
from tests.publish_fixtures import build_scorecard
from tests.publish_fixtures.synthetic import make_synthetic_warehouse

REPO_ROOT = Path(__file__).resolve().parents[1]
README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
SUPERSET_CLIENT = REPO_ROOT / "tests" / "bi_clients" / "superset_client.py"
START = datetime(2026, 11, 27, 6, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
# How Evidence's driver should type each DuckDB column type (its documented types).
EVIDENCE_TYPES = {
    "VARCHAR": "string",
    "BOOLEAN": "boolean",
    "BIGINT": "number",
    "INTEGER": "number",
    "DOUBLE": "number",
    "DATE": "date",
    "TIMESTAMP WITH TIME ZONE": "date",
}


def readme_queries() -> list[str]:
    """The example queries of the README's section for analysts (its sql block)."""
    section = README.split("## For analysts and BI tools", 1)[1]
    block = re.search(r"```sql\n(.*?)```", section, re.S).group(1)
    statements = [
        "\n".join(line for line in part.splitlines() if not line.strip().startswith("--")).strip()
        for part in block.split(";")
    ]
    return [statement for statement in statements if statement]


def readme_superset_connection(database: Path) -> tuple[str, str]:
    """The README's Superset URI (pointed at `database`) and engine parameters."""
    found = re.search(
        r"URI `(duckdb:///)/abs/path/data/published/kpis\.duckdb` with\s+engine parameters `(\{.*?\}\})`",
        README,
    )
    assert found, "README.md no longer says how Superset connects (URI and engine parameters)"
    return found.group(1) + str(database.resolve()), found.group(2)


def readme_cli_flags() -> list[str]:
    found = re.search(r"^duckdb (-\S+(?: -\S+)*) data/published/kpis\.duckdb$", README, re.M)
    assert found, "README.md no longer shows the duckdb command line"
    return found.group(1).split()


def _run(command: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def _json_line(done: subprocess.CompletedProcess) -> dict:
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.match(r"v?(\d+)\.(\d+)\.(\d+)", text).groups())


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A file as a daily run leaves it: the first publish patched (rows of a changed value deleted
    and written again), so the clients read the blocks a patch writes into a v1.0.0 file."""
    folder = tmp_path_factory.mktemp("bi")
    warehouse = make_synthetic_warehouse(folder / "warehouse.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        publish(con, folder / "published", run_id="run-first")
        con.execute("update main.kpi_values set value = value * 1.1 where period_start = date '2026-05-01'")
    build_scorecard(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        result = publish(con, folder / "published", run_id="run-0")
    assert result.summary.why_whole is None and result.summary.rows_written > 0
    return result.database_path


@pytest.fixture(scope="module")
def native_2_file(tmp_path_factory) -> Path:
    """A file in DuckDB 2.0's own storage format (the project's DuckDB, default settings)."""
    path = tmp_path_factory.mktemp("native") / "native.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table kpi_scorecard as select 1 as value")
    return path


def _expected(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def _build(build):
    try:
        return build()
    except environments.EnvironmentError_ as error:
        pytest.fail(str(error))


@pytest.fixture(scope="module")
def superset_python() -> Path:
    return _build(environments.superset_python)


@pytest.fixture(scope="module")
def duckdb_cli() -> Path:
    return _build(environments.duckdb_cli)


@pytest.fixture(scope="module")
def evidence() -> Path:
    if not shutil.which("npm") or not shutil.which("node"):
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            pytest.skip("Node and npm are not installed and these tests cannot apt-get install them")
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "nodejs", "npm"]):
            subprocess.run(command, capture_output=True, timeout=900, check=True)
    return _build(environments.evidence_dir)


# Superset's stack ----------------------------------------------------------------------------


def _superset(
    superset_python: Path, mode: str, database: Path, *arguments: str, timeout: float = 120
) -> dict:
    uri, parameters = readme_superset_connection(database)
    return _json_line(
        _run([str(superset_python), str(SUPERSET_CLIENT), mode, uri, parameters, *arguments], timeout)
    )


def test_superset_connects_read_only_and_lists_every_table_and_view(superset_python, published):
    report = _superset(superset_python, "inspect", published, json.dumps(readme_queries()))
    assert report["versions"]["sqlalchemy"].startswith("1.4.")
    assert _version(report["versions"]["duckdb"])[:2] == (1, 5)
    assert report["tables"] == sorted(PUBLISHED_TABLES)
    assert report["views"] == sorted(VIEWS)
    assert {f"{function}_scorecard" for function in FUNCTIONS} < set(report["views"])
    assert report["read_only_refuses_writes"]
    scorecard_columns = [row[0] for row in _expected(published, "describe kpi_scorecard")]
    assert report["columns"]["sales_scorecard"] == scorecard_columns


def test_superset_runs_the_readmes_queries_with_the_same_rows(superset_python, published):
    queries = readme_queries()
    assert len(queries) == 3
    report = _superset(superset_python, "inspect", published, json.dumps(queries))
    for sql, result in zip(queries, report["queries"], strict=True):
        expected = _expected(published, sql)
        assert result["rows"] == len(expected) > 0, sql
        assert result["first"] == [str(value) for value in expected[0]], sql
    # The sales scorecard holds the sales headline KPIs of the catalog, one row each.
    sales_headlines = [k for k in load_catalog().kpis if k.function == "sales" and k.role == "headline"]
    assert report["queries"][0]["rows"] == len(sales_headlines) == 5


def _publish_again(warehouse_con, out: Path, run: int) -> None:
    publish(warehouse_con, out, run_id=f"run-{run}")


def test_superset_keeps_working_while_a_publish_swaps_the_file_and_new_connections_see_it(
    superset_python, tmp_path
):
    warehouse = make_synthetic_warehouse(tmp_path / "warehouse.duckdb")
    out = tmp_path / "published"
    stop = tmp_path / "stop"
    with duckdb.connect(str(warehouse)) as con:
        _publish_again(con, out, 0)
        uri, parameters = readme_superset_connection(out / "kpis.duckdb")
        watcher = subprocess.Popen(
            [str(superset_python), str(SUPERSET_CLIENT), "watch", uri, parameters, str(stop), "120"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            time.sleep(1.5)  # the watcher reads run-0 for a while first
            for run in (1, 2, 3):
                _publish_again(con, out, run)
                time.sleep(0.5)
        finally:
            stop.touch()
            output, errors = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, errors
    report = json.loads(output.strip().splitlines()[-1])
    assert report["errors"] == []
    assert report["reads"] >= 10
    assert report["runs"][0] == "run-0" and report["runs"][-1] == "run-3"
    assert report["runs"] == sorted(report["runs"])  # never back to an older publish


def test_a_superset_connection_held_across_a_swap_keeps_its_version_until_every_one_is_closed(
    superset_python, tmp_path
):
    # DuckDB shares one database instance among the connections of a process to the same path:
    # while one is open, a new one gets the same (old) version; the new file shows once all close.
    warehouse = make_synthetic_warehouse(tmp_path / "warehouse.duckdb")
    out = tmp_path / "published"
    ready, go = tmp_path / "ready", tmp_path / "go"
    with duckdb.connect(str(warehouse)) as con:
        _publish_again(con, out, 0)
        uri, parameters = readme_superset_connection(out / "kpis.duckdb")
        client = subprocess.Popen(
            [str(superset_python), str(SUPERSET_CLIENT), "held", uri, parameters, str(ready), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not ready.exists() and client.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        _publish_again(con, out, 1)
        go.touch()
        output, errors = client.communicate(timeout=60)
    assert client.returncode == 0, errors
    report = json.loads(output.strip().splitlines()[-1])
    assert report == {"held": ["run-0", "run-0"], "opened_while_held": "run-0", "opened_after_close": "run-1"}


# The DuckDB command-line client --------------------------------------------------------------


def _cli(duckdb_cli: Path, database: Path, sql: str) -> subprocess.CompletedProcess:
    return _run([str(duckdb_cli), *readme_cli_flags(), "-json", str(database), "-c", sql])


def test_the_duckdb_cli_runs_the_readmes_queries_read_only(duckdb_cli, published):
    assert readme_cli_flags() == ["-readonly"]
    for sql in readme_queries():
        done = _cli(duckdb_cli, published, sql)
        assert done.returncode == 0, done.stderr
        rows = json.loads(done.stdout)
        expected = _expected(published, sql)
        assert len(rows) == len(expected) > 0, sql
        assert [str(value) for value in rows[0].values()][:2] == [str(value) for value in expected[0]][:2], (
            sql
        )
    refused = _cli(duckdb_cli, published, "create table written_by_cli (x integer)")
    assert refused.returncode != 0 and "read-only" in refused.stderr


# Evidence ------------------------------------------------------------------------------------


def _evidence(evidence: Path, database: Path, *names: str) -> dict:
    return _json_line(_run(["node", str(evidence / "read_views.cjs"), str(database), *names]))


def test_evidence_reads_the_function_views_with_the_right_column_types(evidence, published):
    views = [f"{function}_scorecard" for function in FUNCTIONS]
    report = _evidence(evidence, published, *views)
    assert report["error"] is None
    assert _version(report["version"])[:2] == (1, 4)
    for view in views:
        described = _expected(published, f"describe {view}")
        expected = [(name, EVIDENCE_TYPES[duckdb_type]) for name, duckdb_type, *_ in described]
        result = report["relations"][view]
        assert [(c["name"], c["evidenceType"]) for c in result["columnTypes"]] == expected, view
        assert {c["typeFidelity"] for c in result["columnTypes"]} == {"precise"}
        (count,) = _expected(published, f"select count(*) from {view}")[0]
        assert result["rows"] == result["expectedRowCount"] == count > 0
        assert result["firstRow"]["function"] == view.removesuffix("_scorecard")


# The oldest client decides the storage version -----------------------------------------------


def _client_versions(superset_python, duckdb_cli, evidence, database: Path) -> dict[str, tuple[int, ...]]:
    superset = _superset(superset_python, "inspect", database, "[]")["versions"]["duckdb"]
    cli = json.loads(_cli(duckdb_cli, database, "select version() as v").stdout)[0]["v"]
    node = _evidence(evidence, database)["version"]
    return {"superset": _version(superset), "duckdb-cli": _version(cli), "evidence": _version(node)}


def _opens(client: str, superset_python, duckdb_cli, evidence, database: Path) -> tuple[bool, str]:
    if client == "superset":
        done = _run(
            [
                str(superset_python),
                str(SUPERSET_CLIENT),
                "inspect",
                *readme_superset_connection(database),
                "[]",
            ]
        )
        return done.returncode == 0, done.stderr[-500:]
    if client == "duckdb-cli":
        done = _cli(duckdb_cli, database, "select count(*) from kpi_scorecard")
        return done.returncode == 0, done.stderr[-500:]
    report = _json_line(_run(["node", str(evidence / "read_views.cjs"), str(database), "kpi_scorecard"]))
    return report["error"] is None, report["error"] or ""


def test_the_oldest_client_opens_the_published_file_and_every_client_refuses_duckdb_2_format(
    superset_python, duckdb_cli, evidence, published, native_2_file
):
    versions = _client_versions(superset_python, duckdb_cli, evidence, published)
    oldest = min(versions, key=versions.get)
    assert versions[oldest] < (2, 0, 0)
    opened, message = _opens(oldest, superset_python, duckdb_cli, evidence, published)
    assert opened, f"{oldest} (DuckDB {versions[oldest]}) cannot open the published file: {message}"
    # The control: a file in DuckDB 2.0's own format is refused by every client, so a publish that
    # stopped writing storage version v1.0.0 would fail the test above.
    for client in versions:
        opened, message = _opens(client, superset_python, duckdb_cli, evidence, native_2_file)
        assert not opened, client
        assert re.search(r"version number|newer version|incompatible|not.*valid", message, re.I), message
