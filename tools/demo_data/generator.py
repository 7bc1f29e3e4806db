"""Generate the demo company's operational extracts into a landing folder.

`generate()` writes every table of the data contract as the source systems
would deliver it over the window: initial full extracts, then one extract per
month (and part, when large) holding the rows created or changed that month.
The month loop keeps memory bounded by the size of one month. Everything is
drawn from generators seeded by `seed` and names, so the same arguments give
byte-identical files.
"""

from __future__ import annotations

import gzip
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from dagster_project.ingest.contract import TABLES
from tools.demo_data import crm, finance, helpdesk, hr, marketing, mes
from tools.demo_data.badrows import BadRowInjector
from tools.demo_data.frame import concat
from tools.demo_data.lifecycle import Updates
from tools.demo_data.model import Context
from tools.demo_data.scenarios import Scenario, scenarios_for
from tools.demo_data.timeutil import Window, add_months
from tools.demo_data.writer import FileRecord, Sink

DEFAULT_MONTHS = 24


@dataclass(frozen=True)
class TableSummary:
    rows: int  # data rows written, duplicate files not counted
    files: int
    bad_rows: dict[str, int]  # kind -> rows that break the contract on purpose
    orphans: dict[str, int]  # foreign-key column -> rows pointing at no parent

    @property
    def bad_row_total(self) -> int:
        return sum(self.bad_rows.values())


@dataclass(frozen=True)
class GenerationSummary:
    landing_dir: Path
    seed: int
    start: date
    end: date
    scale: float
    tables: dict[str, TableSummary]  # by contract key, e.g. "crm.orders"
    files: tuple[FileRecord, ...]
    duplicate_files: tuple[tuple[str, str], ...]  # (copy, original), paths below the landing root
    scenarios: tuple[Scenario, ...]
    seconds: float = field(compare=False)

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables.values())

    @property
    def total_files(self) -> int:
        return sum(t.files for t in self.tables.values()) + len(self.duplicate_files)

    @property
    def total_bad_rows(self) -> int:
        return sum(t.bad_row_total for t in self.tables.values())


def default_window(end: date | None = None, start: date | None = None) -> tuple[date, date]:
    """24 calendar months ending yesterday (or ending `end`)."""
    end = end or date.today() - timedelta(days=1)
    start = start or add_months(end.replace(day=1), 1 - DEFAULT_MONTHS)
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    return start, end


def clear_landing(landing: Path) -> int:
    """Remove the contract's table folders below the landing root; returns files removed."""
    removed = 0
    for table in TABLES:
        folder = landing / table.source / table.name
        if folder.exists():
            removed += sum(1 for p in folder.rglob("*") if p.is_file())
            shutil.rmtree(folder)
    return removed


@dataclass
class _State:
    products: crm.Products
    people: crm.Salespeople
    machines: mes.Machines
    campaigns: marketing.Campaigns
    workforce: hr.Workforce
    customers: crm.Customers = field(default_factory=crm.Customers)
    opp_orders: crm.OppOrders = field(default_factory=crm.OppOrders)
    sales: crm.SalesBook = field(default_factory=crm.SalesBook)
    web: marketing.WebBook = field(default_factory=marketing.WebBook)
    helpdesk: helpdesk.HelpdeskBook = field(default_factory=helpdesk.HelpdeskBook)
    mes: mes.MesBook = field(default_factory=mes.MesBook)
    hr: hr.HrBook = field(default_factory=hr.HrBook)
    updates: dict[str, Updates] = field(default_factory=dict)


def generate(
    landing_dir: Path,
    seed: int = 42,
    start: date | None = None,
    end: date | None = None,
    scale: float = 1.0,
    *,
    replace: bool = True,
    progress: Callable[[str], None] | None = None,
) -> GenerationSummary:
    """Write the demo extracts of every contract table below `landing_dir`.

    With `replace` (the default) the contract's table folders are emptied
    first, so files of an earlier run never mix with this one.
    """
    started = time.monotonic()
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    start, end = default_window(end, start)
    landing = Path(landing_dir)
    say = progress or (lambda _: None)
    if replace and (removed := clear_landing(landing)):
        say(f"removed {removed} files of an earlier run")
    window = Window(start, end)
    scenarios = scenarios_for(start, end)
    sink = Sink(landing, seed, BadRowInjector(window.end_cutoff_ms, window.end_day))
    ctx = Context(seed, scale, window, scenarios, sink)

    state = _dimensions(ctx)
    for month in range(window.n_months):
        rows_before = sum(b.rows for b in sink.books.values())
        _month(ctx, month, state)
        rows = sum(b.rows for b in sink.books.values()) - rows_before
        # The company grows, so later months take a little longer: the estimate is a floor.
        left = (time.monotonic() - started) / (month + 1) * (window.n_months - month - 1)
        say(
            f"{window.label(month)}: {rows:>10,} rows (month {month + 1}/{window.n_months}, "
            f"about {left:.0f} s left)"
        )
    finance.emit_budgets(ctx, state.sales)
    duplicates = _duplicate_files(ctx)

    tables = {
        key: TableSummary(book.rows, book.files, dict(sorted(book.bad_rows.items())), dict(book.orphans))
        for key, book in sink.books.items()
    }
    return GenerationSummary(
        landing,
        seed,
        start,
        end,
        scale,
        tables,
        tuple(sink.files),
        duplicates,
        scenarios,
        time.monotonic() - started,
    )


def _dimensions(ctx: Context) -> _State:
    state = _State(
        products=crm.make_products(ctx),
        people=crm.make_salespeople(ctx),
        machines=mes.make_machines(ctx),
        campaigns=marketing.make_campaigns(ctx),
        workforce=hr.make_workforce(ctx),
    )
    crm.emit_products(ctx, state.products)
    crm.emit_salespeople(ctx, state.people)
    mes.emit_machines(ctx, state.machines)
    marketing.emit_campaigns(ctx, state.campaigns)
    hr.emit_workforce(ctx, state.workforce)
    crm.initial_customers(ctx, state.customers)
    everyone = np.arange(len(state.customers.number))
    ctx.emit_snapshot("crm.customers", ctx.window.start, state.customers.frame(everyone))
    for key in ("leads", "opportunities", "shipments", "tickets", "csat", "social"):
        state.updates[key] = Updates(ctx.window.n_months)
    return state


def _month(ctx: Context, month: int, state: _State) -> None:
    window = ctx.window
    customers = state.customers

    raw_leads = []
    parts = marketing.session_parts(ctx, month)
    for part, days in enumerate(parts):
        sessions, leads = marketing.sessions_part(ctx, month, part, days, state.campaigns, state.web)
        ctx.emit("web.sessions", month, sessions, part=part if len(parts) > 1 else None)
        raw_leads.append(leads)
    raw_leads.append(marketing.other_leads(ctx, month, state.campaigns))

    def convert(converted_at: np.ndarray) -> np.ndarray:
        return crm.add_lead_customers(ctx, customers, converted_at, month)

    leads = marketing.finish_leads(ctx, month, concat(raw_leads), state.web, convert)
    ctx.emit("marketing.leads", month, marketing.route_leads(ctx, month, leads, state.updates["leads"]))

    crm.direct_customers(ctx, customers, month)
    if month == ctx.scenario_month("sales_push_churn"):
        crm.sales_push_starts(ctx, customers, month)
    created_now = np.flatnonzero(window.month_of_ms(customers.created_at) == month)
    ctx.emit("crm.customers", month, customers.frame(created_now))

    ctx.emit(
        "crm.opportunities",
        month,
        crm.opportunities_month(
            ctx,
            month,
            customers,
            state.people,
            state.sales,
            state.updates["opportunities"],
            state.opp_orders,
        ),
    )
    orders = crm.orders_month(
        ctx,
        month,
        customers,
        state.products,
        state.people,
        state.opp_orders,
        state.sales,
        state.updates["shipments"],
    )
    ctx.emit("crm.orders", month, orders.orders)
    ctx.emit("crm.order_lines", month, orders.lines)
    ctx.emit("mes.shipments", month, orders.shipments)

    runs, usage = mes.production_month(ctx, month, state.machines, state.products, state.mes)
    ctx.emit("mes.production_runs", month, runs)
    ctx.emit("mes.material_usage", month, usage)

    tickets, surveys = helpdesk.tickets_month(
        ctx, month, customers, state.helpdesk, state.updates["tickets"], state.updates["csat"]
    )
    ctx.emit("helpdesk.tickets", month, tickets)
    ctx.emit("helpdesk.csat_surveys", month, surveys)
    ctx.emit("helpdesk.nps_responses", month, helpdesk.nps_month(ctx, month, customers, state.helpdesk))

    ctx.emit("hr.absences", month, hr.absences_month(ctx, month, state.workforce, state.hr))
    ctx.emit("hr.survey_responses", month, hr.survey_month(ctx, month, state.workforce, state.hr))

    ctx.emit("marketing.ad_spend", month, marketing.ad_spend_month(ctx, month, state.campaigns))
    ctx.emit(
        "marketing.social_posts",
        month,
        marketing.social_posts_month(ctx, month, state.updates["social"], state.web),
    )


# Re-sent extracts: a copy saved by a browser, and a gzipped re-delivery.
_DUPLICATES = (
    ("marketing.ad_spend", 5, " (1).csv"),
    ("helpdesk.nps_responses", 8, "_resend.csv.gz"),
)


def _duplicate_files(ctx: Context) -> tuple[tuple[str, str], ...]:
    result = []
    for table_key, month, suffix in _DUPLICATES:
        label = ctx.window.label(min(month, ctx.window.n_months - 1))
        original = next((f for f in ctx.sink.files if f.table == table_key and f"_{label}." in f.path), None)
        if original is None:
            continue
        source = ctx.sink.landing / original.path
        data = source.read_bytes()
        if original.path.endswith(".gz"):
            data = gzip.decompress(data)
        stem = source.name.split(".")[0]
        target = source.with_name(stem + suffix)
        target.write_bytes(gzip.compress(data, mtime=0) if suffix.endswith(".gz") else data)
        result.append((target.relative_to(ctx.sink.landing).as_posix(), original.path))
    return tuple(result)
