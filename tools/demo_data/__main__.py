"""`python -m tools.demo_data --out data/landing --seed 42 --scale 1`."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from tools.demo_data.generator import GenerationSummary, generate


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.demo_data",
        description="Write demo extracts of every data-contract table into a landing folder.",
    )
    parser.add_argument("--out", type=Path, default=Path("data/landing"), help="landing root")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--start", type=date.fromisoformat, help="first day (default: 24 months back)")
    parser.add_argument("--end", type=date.fromisoformat, help="last day (default: yesterday)")
    parser.add_argument("--scale", type=float, default=1.0, help="1 = about 1 million rows")
    parser.add_argument(
        "--keep-existing",
        action="store_true",
        help="do not empty the contract's table folders first",
    )
    parser.add_argument("--quiet", action="store_true", help="one line at the end instead of the report")
    return parser.parse_args(argv)


def report(summary: GenerationSummary) -> str:
    lines = [f"{'table':<26} {'rows':>12} {'files':>6} {'bad rows':>9} {'orphans':>8}"]
    for key, table in summary.tables.items():
        orphans = sum(table.orphans.values())
        lines.append(f"{key:<26} {table.rows:>12,} {table.files:>6} {table.bad_row_total:>9} {orphans:>8}")
    lines.append(
        f"{'total':<26} {summary.total_rows:>12,} {summary.total_files:>6} {summary.total_bad_rows:>9}"
    )
    for copy, original in summary.duplicate_files:
        lines.append(f"duplicate file: {copy} (same content as {original})")
    lines.append("scenarios:")
    for s in summary.scenarios:
        lines.append(
            f"  {s.scenario_id:<32} {s.first_month:%Y-%m}..{s.last_month:%Y-%m} "
            f"{s.dimension_name}={s.dimension_value} ({s.injected_in})"
        )
    lines.append(
        f"{summary.start}..{summary.end}, seed {summary.seed}, scale {summary.scale:g}: "
        f"{summary.total_rows:,} rows in {summary.total_files} files under {summary.landing_dir} "
        f"in {summary.seconds:.1f} s"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    summary = generate(
        args.out,
        seed=args.seed,
        start=args.start,
        end=args.end,
        scale=args.scale,
        replace=not args.keep_existing,
        progress=None if args.quiet else lambda line: print(line, flush=True),
    )
    if args.quiet:
        print(f"  {summary.total_rows:,} rows in {summary.total_files} files written to {args.out}")
    else:
        print(report(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
