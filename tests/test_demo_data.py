"""The demo-data generator: determinism, contract shape, scaling, updates, bad rows, scenarios."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from dagster_project.ingest.contract import TABLES, TABLES_BY_KEY, Table
from tools.demo_data import GenerationSummary, generate
from tools.demo_data.__main__ import main
from tools.demo_data.badrows import candidate_kinds
from tools.demo_data.scenarios import scenarios_for
from tools.demo_data.timeutil import month_starts

START, END = date(2025, 1, 1), date(2025, 9, 30)  # nine months: long enough for updates
SMALL = 0.05
# Tables whose row counts are drawn in proportion to the scale (dimensions have minimum sizes).
LINEAR_TABLES = (
    "web.sessions",
    "crm.orders",
    "crm.order_lines",
    "helpdesk.tickets",
    "mes.production_runs",
    "marketing.leads",
)
UPDATED_TABLES = (
    "helpdesk.tickets",
    "crm.opportunities",
    "hr.employees",
    "hr.requisitions",
    "marketing.leads",
    "mes.shipments",
)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> GenerationSummary:
    return generate(tmp_path_factory.mktemp("landing"), seed=7, start=START, end=END, scale=SMALL)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _data_files(summary: GenerationSummary, table: Table) -> list[Path]:
    """A table's files in ingest order, without the re-sent duplicates."""
    duplicates = {copy for copy, _ in summary.duplicate_files}
    folder = summary.landing_dir / table.source / table.name
    return [
        p for p in sorted(folder.iterdir()) if p.relative_to(summary.landing_dir).as_posix() not in duplicates
    ]


def _csv_text(path: Path) -> str:
    data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    return data.decode("utf-8-sig")


def _header(path: Path) -> list[str]:
    if path.suffix == ".parquet":
        return pq.read_schema(path).names
    return next(csv.reader(io.StringIO(_csv_text(path))))


def _column_values(path: Path, column: str) -> list[str]:
    if path.suffix == ".parquet":
        return [str(v) for v in pq.read_table(path).column(column).to_pylist()]
    rows = list(csv.reader(io.StringIO(_csv_text(path))))
    index = [h.strip().lower() for h in rows[0]].index(column)
    return [row[index] for row in rows[1:]]


def test_same_seed_gives_byte_identical_files(small_run: GenerationSummary, tmp_path: Path) -> None:
    generate(tmp_path, seed=7, start=START, end=END, scale=SMALL)
    assert _files(tmp_path) == _files(small_run.landing_dir)


def test_another_seed_gives_other_data(small_run: GenerationSummary, tmp_path: Path) -> None:
    generate(tmp_path, seed=8, start=START, end=END, scale=SMALL)
    ours, theirs = _files(small_run.landing_dir), _files(tmp_path)
    shared = ours.keys() & theirs.keys()
    differing = [name for name in shared if ours[name] != theirs[name]]
    assert len(differing) > 0.8 * len(shared)


def test_every_contract_table_gets_files_with_rows(small_run: GenerationSummary) -> None:
    for table in TABLES:
        assert _data_files(small_run, table), table.key
        assert small_run.tables[table.key].rows > 0, table.key


def test_every_file_header_holds_the_contract_columns(small_run: GenerationSummary) -> None:
    for table in TABLES:
        wanted = {c.name for c in table.columns}
        for path in _data_files(small_run, table):
            names = {name.strip().lower() for name in _header(path)}
            assert wanted <= names, f"{path.name} lacks {wanted - names}"


def test_files_come_in_every_format_the_contract_accepts(small_run: GenerationSummary) -> None:
    names = [p.name for p in small_run.landing_dir.rglob("*") if p.is_file()]
    assert any(n.endswith(".csv.gz") for n in names)
    assert any(n.endswith(".parquet") for n in names)
    raw = [p.read_bytes() for p in small_run.landing_dir.rglob("*.csv")]
    assert any(b.startswith(b"\xef\xbb\xbf") for b in raw)
    assert any(b"\r\n" in b for b in raw)


def test_row_counts_grow_in_proportion_to_the_scale(small_run: GenerationSummary, tmp_path: Path) -> None:
    double = generate(tmp_path, seed=7, start=START, end=END, scale=2 * SMALL)
    small = sum(small_run.tables[key].rows for key in LINEAR_TABLES)
    large = sum(double.tables[key].rows for key in LINEAR_TABLES)
    # Counts are Poisson draws around means proportional to the scale: with about 12,000
    # rows the ratio's standard deviation is about 2 %; customers and machines are rounded
    # to whole units (1-2 % here). 10 % is well clear of that yet far from 1 or 4.
    assert 1.8 < large / small < 2.2


def test_updated_rows_reappear_in_later_files(small_run: GenerationSummary) -> None:
    for key in UPDATED_TABLES:
        table = TABLES_BY_KEY[key]
        pk = table.primary_key[0]
        seen: dict[str, int] = {}
        for path in _data_files(small_run, table):
            for value in set(_column_values(path, pk)) - {""}:
                seen[value] = seen.get(value, 0) + 1
        assert any(count > 1 for count in seen.values()), key


def test_a_ticket_first_exported_open_is_later_exported_resolved(small_run: GenerationSummary) -> None:
    first_seen_open, resolved_later = set(), set()
    for path in _data_files(small_run, TABLES_BY_KEY["helpdesk.tickets"]):
        rows = list(csv.DictReader(io.StringIO(_csv_text(path))))
        for row in rows:
            row = {k.strip().lower(): v for k, v in row.items()}
            if not row["resolved_at"] and row["ticket_id"] not in resolved_later:
                first_seen_open.add(row["ticket_id"])
            elif row["ticket_id"] in first_seen_open:
                resolved_later.add(row["ticket_id"])
    assert resolved_later


def test_bad_rows_are_a_thousandth_of_each_table(small_run: GenerationSummary) -> None:
    for table in TABLES:
        summary = small_run.tables[table.key]
        # floor(rows / 1000) spread over the files, plus at least 1 + one per rule so
        # that small tables carry their rule breaks too.
        low = summary.rows // 1000
        assert low <= summary.bad_row_total <= low + 1 + len(table.rules), table.key


def test_bad_rows_are_exactly_the_rows_that_break_the_contract(small_run: GenerationSummary) -> None:
    con = duckdb.connect()
    con.execute("set TimeZone = 'Europe/Copenhagen'")
    for table in TABLES:
        broken = sum(_contract_breaks(con, path, table, END) for path in _data_files(small_run, table))
        assert broken == small_run.tables[table.key].bad_row_total, table.key


def test_candidate_kinds_cover_every_rule_check_and_type() -> None:
    kinds = {(k.kind, k.target) for table in TABLES for k in candidate_kinds(table, False)}
    for table in TABLES:
        assert {("rule", r.text) for r in table.rules} <= kinds
        assert {("range", c.name) for c in table.columns if c.check} <= kinds
    names = {kind for kind, _ in kinds}
    assert names == {
        "rule",
        "range",
        "empty_pk",
        "missing_required",
        "future",
        "bad_enum",
        "bad_int",
        "bad_decimal",
        "bad_timestamp",
        "bad_date",
        "bad_bool",
    }


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2024, 12, 1), date(2026, 11, 26)), (START, END), (date(2025, 3, 10), date(2025, 4, 20))],
)
def test_scenario_windows_lie_within_the_generated_period(start: date, end: date) -> None:
    months = month_starts(start, end)
    for scenario in scenarios_for(start, end):
        assert months[0] <= scenario.first_month <= scenario.last_month <= months[-1]
        if len(months) > 1:  # a previous month to compare with
            assert scenario.first_month > months[0]


def test_scenarios_of_a_two_year_window_do_not_overlap_within_customer_service() -> None:
    scenarios = scenarios_for(date(2024, 12, 1), date(2026, 11, 26))
    service = [s for s in scenarios if s.check == "guardrail" and s.headline_kpi_ids[0].startswith("cs.")]
    for a in service:
        for b in service:
            if a is not b:
                assert a.last_month < b.first_month or b.last_month < a.first_month


def test_summary_scenarios_match_the_window(small_run: GenerationSummary) -> None:
    assert small_run.scenarios == scenarios_for(START, END)


def test_command_line_writes_a_landing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--out", str(tmp_path), "--seed", "3", "--start", "2025-05-01", "--end", "2025-06-30"]
    assert main([*args, "--scale", "0.02"]) == 0
    printed = capsys.readouterr().out
    assert "crm.orders" in printed and "scenarios:" in printed
    assert (tmp_path / "crm" / "orders").is_dir()


# --- an independent reading of the contract, for the bad-row count ------------------


def _contract_breaks(con: duckdb.DuckDBPyConnection, path: Path, table: Table, as_of: date) -> int:
    """Rows of one file that break a type, enum, required value, check, rule or the as-of limit."""
    if path.suffix == ".parquet":
        header = _header(path)
        source = f"read_parquet('{path}')"
        refs = {name.lower(): f'cast("{name}" as varchar)' for name in header}
    else:
        header = _header(path)
        columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
        source = (
            f"read_csv('{path}', header = true, auto_detect = false, delim = ',', quote = '\"', "
            f"escape = '\"', columns = {{{columns}}})"
        )
        refs = {name.strip().lower(): f"c{i}" for i, name in enumerate(header)}
    limit = as_of + timedelta(days=2)  # the end of the local day after the as-of date
    typed, breaks = [], []
    for column in table.columns:
        text = f"nullif(trim({refs[column.name]}), '')"
        value, parses = _typed(text, column.type)
        typed.append(f'{value} as "{column.name}"')
        breaks.append(f"({text} is not null and not ({parses}))")
        if not column.nullable or column.name in table.primary_key:
            breaks.append(f"{text} is null")
        if column.enum:
            allowed = ", ".join(f"'{v}'" for v in column.enum)
            breaks.append(f"lower({text}) not in ({allowed})")
        if column.check:
            breaks.append(f"not ({column.check.format(c=value)})")
        if column.is_event and column.type == "ts":
            breaks.append(f"{value} >= timestamptz '{limit} 00:00:00'")
        if column.is_event and column.type == "date":
            breaks.append(f"{value} >= date '{limit}'")
    rules = [f"not ({rule.sql})" for rule in table.rules]
    checks = " or ".join(f"coalesce({b}, false)" for b in [*breaks, *rules])
    typed_columns = ", ".join(typed)
    query = f"""
        with typed as (select *, {typed_columns} from {source})
        select count(*) filter (where {checks}) from typed
    """
    return con.execute(query).fetchone()[0]


def _typed(text: str, type_: str) -> tuple[str, str]:
    """SQL for the typed value (null when it does not parse) and for 'it parses'."""
    if type_ == "int":
        return f"try_cast({text} as bigint)", f"regexp_full_match({text}, '[+-]?[0-9]+')"
    if type_ == "dec":
        pattern = "[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)"
        return f"try_cast({text} as double)", f"regexp_full_match({text}, '{pattern}')"
    if type_ == "ts":
        return f"try_cast({text} as timestamptz)", f"try_cast({text} as timestamptz) is not null"
    if type_ == "date":
        parses = f"regexp_full_match({text}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') and try_cast({text} as date) is not null"
        return f"try_cast({text} as date)", parses
    if type_ == "bool":
        return (
            f"lower({text}) in ('true', '1', 'yes')",
            f"lower({text}) in ('true', 'false', '1', '0', 'yes', 'no')",
        )
    return f"lower({text})", "true"
