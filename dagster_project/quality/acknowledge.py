"""Acknowledge a rejected file, so that it stops failing the ingest health suite.

    python -m dagster_project.quality.acknowledge crm/orders/orders_2025-03-01.csv --by "Jane Doe" \\
        --reason "Duplicate export with a broken header; the same rows arrived in orders_2025-03-02.csv"

Looks the file up in the warehouse ledger (raw._file_ledger, status rejected; path below the
landing root) and appends its source table, path, content hash, who and why to
expectations/acknowledged_rejections.yml, which is versioned with the suites.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import yaml

from dagster_project import settings
from dagster_project.ingest.raw_schema import LEDGER_TABLE
from dagster_project.quality.spec import EXPECTATIONS_DIR
from dagster_project.quality.summaries import load_acknowledgements

ACKNOWLEDGEMENTS_PATH = EXPECTATIONS_DIR / "acknowledged_rejections.yml"


class AcknowledgeError(ValueError):
    """The file cannot be acknowledged; the message says why."""


def rejected_ledger_rows(con: duckdb.DuckDBPyConnection, file_path: str) -> list[dict[str, Any]]:
    rows = con.execute(
        f"select source_table, file_path, content_hash, message, ingested_at from {LEDGER_TABLE} "
        "where status = 'rejected' and file_path = ? order by file_id desc",
        [file_path],
    ).fetchall()
    keys = ("source_table", "file_path", "content_hash", "message", "ingested_at")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def acknowledgement(rejected: dict[str, Any], by: str, reason: str, on: date) -> dict[str, Any]:
    if not by.strip() or not reason.strip():
        raise AcknowledgeError("an acknowledgement needs who (--by) and why (--reason)")
    return {
        "source_table": rejected["source_table"],
        "file_path": rejected["file_path"],
        "content_hash": rejected["content_hash"],
        "rejected_because": rejected.get("message"),
        "acknowledged_by": by.strip(),
        "acknowledged_on": on.isoformat(),
        "reason": " ".join(reason.split()),
    }


def append_acknowledgement(path: Path, entry: dict[str, Any]) -> None:
    """Append `entry` to the list in `path`, keeping the file's comments."""
    existing = load_acknowledgements(path)
    key = (entry["source_table"], entry["file_path"], entry["content_hash"])
    if any((e["source_table"], e["file_path"], e["content_hash"]) == key for e in existing):
        raise AcknowledgeError(f"{entry['file_path']} (this content) is already acknowledged in {path.name}")
    text = path.read_text(encoding="utf-8") if path.is_file() else "acknowledged:\n"
    if not text.endswith("\n"):
        text += "\n"
    dumped = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, width=100)
    text += "".join(f"  {line}\n" for line in dumped.splitlines())
    yaml.safe_load(text)  # never write a file that does not parse
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.quality.acknowledge", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "file_path", help="path of the rejected file below the landing root, as in the ledger"
    )
    parser.add_argument("--by", required=True, help="who acknowledges it")
    parser.add_argument("--reason", required=True, help="why the file needs no fix")
    parser.add_argument("--hash", help="content hash, when the path was rejected more than once")
    parser.add_argument("--warehouse", type=Path, help="DuckDB file (default: KPI_WAREHOUSE_PATH)")
    parser.add_argument("--file", type=Path, default=ACKNOWLEDGEMENTS_PATH, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    warehouse = args.warehouse or settings.warehouse_path()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = rejected_ledger_rows(con, args.file_path)
    if args.hash:
        rows = [row for row in rows if row["content_hash"] == args.hash]
    if not rows:
        print(f"No rejected file {args.file_path!r} in {warehouse} (ledger status rejected)", file=sys.stderr)
        return 1
    try:
        entry = acknowledgement(rows[0], args.by, args.reason, date.today())
        append_acknowledgement(args.file, entry)
    except AcknowledgeError as error:
        print(error, file=sys.stderr)
        return 1
    print(
        f"Acknowledged {entry['file_path']} ({entry['content_hash'][:12]}…) in {args.file}; commit that file."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
