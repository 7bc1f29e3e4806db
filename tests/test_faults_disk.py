"""A full disk during the export: the last good published files stay, the message says where."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from dagster_project.publish.publish import PublishError, publish
from tests.publish_fixtures.synthetic import make_synthetic_warehouse


def _files(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of its own, three times the size of one publish (so that the first fits whatever
    DuckDB writes beside it meanwhile), and the size of one publish."""
    warehouse = make_synthetic_warehouse(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        publish(con, tmp_path / "sizing")
    size = sum(path.stat().st_size for path in (tmp_path / "sizing").rglob("*") if path.is_file())
    mount_point = tmp_path / "small_disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size * 3}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield warehouse, mount_point, size
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_a_full_disk_during_the_export_leaves_the_last_good_files_and_says_the_disk_is_full_and_where(
    small_disk,
):
    warehouse, disk, size = small_disk
    published = disk / "published"
    with duckdb.connect(str(warehouse)) as con:
        publish(con, published, run_id="good")
        good = _files(published)
        # Fill the disk up to half a publish: the new files, written in full before they replace
        # the old, cannot fit.
        free = shutil.disk_usage(disk).free
        (disk / "filler").write_bytes(b"\0" * (free - size // 2))
        with pytest.raises(PublishError) as failure:
            publish(con, published, run_id="bad")
    message = str(failure.value)
    assert "disk is full" in message
    assert str(published) in message
    assert _files(published) == good  # the same files, byte for byte; no temporary file is left
    with duckdb.connect(str(published / "kpis.duckdb"), read_only=True) as reader:
        assert reader.execute("select run_id from publish_info").fetchone()[0] == "good"


def test_temporary_files_a_killed_publish_left_are_removed_by_the_next(tmp_path):
    warehouse = make_synthetic_warehouse(tmp_path / "warehouse.duckdb")
    published = tmp_path / "published"
    (published / "parquet").mkdir(parents=True)
    left = [
        published / ".kpis.duckdb.0123456789ab.tmp",
        published / ".kpis.duckdb.0123456789ab.tmp.wal",
        published / ".scorecard.html.0123456789ab.tmp",
        published / "parquet" / ".kpi_flags.parquet.0123456789ab.tmp",
    ]
    for path in left:
        path.write_bytes(b"half written")
    with duckdb.connect(str(warehouse)) as con:
        publish(con, published)
    assert not any(path.exists() for path in left)
    assert not [p for p in published.rglob(".*") if p.is_file()]
