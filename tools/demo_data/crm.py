"""CRM: products, salespeople, customers, opportunities, orders with lines, and shipments (mes)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tools.demo_data.frame import Frame, cats, concat, ids, n_rows, take
from tools.demo_data.lifecycle import Updates
from tools.demo_data.model import (
    B2B_WEEKDAY,
    REGION_WEIGHTS,
    REGIONS,
    SALES_SEASON,
    WEB_WEEKDAY,
    Context,
    any_time_ms,
    day_weights,
    enum_code,
    enum_labels,
    office_time_ms,
    sample_days,
)
from tools.demo_data.rand import choice, choice_by_group, pick_per_group, rank_within
from tools.demo_data.scenarios import DELIVERY_REGION, SALES_PUSH_REGION
from tools.demo_data.timeutil import (
    DAY_MS,
    HOUR_MS,
    NULL,
    add_months,
    at_local,
    local_day,
    weekday,
)

CUSTOMER_PREFIX, CUSTOMER_WIDTH = "C", 6
ORPHAN_BASE = 900_000  # identifiers from here on exist in no parent table

# --- products ------------------------------------------------------------------

CATEGORIES = ("Pumper", "Ventiler", "Rør og fittings", "Styringer", "Reservedele", "Service")
MANUFACTURED = (0, 1, 2, 3)
_PRODUCTS_PER_CATEGORY = (34, 30, 28, 22, 24, 12)
_CATEGORY_COST = (2600.0, 650.0, 90.0, 1500.0, 160.0, 480.0)
_NAME_PARTS = {
    0: (
        ("Centrifugalpumpe", "Dykpumpe", "Cirkulationspumpe", "Doseringspumpe"),
        ("rustfri", "støbejern", "bronze"),
    ),
    1: (("Kugleventil", "Kontraventil", "Reguleringsventil", "Sikkerhedsventil"), ("DN25", "DN50", "DN80")),
    2: (("Rør", "Bøjning 90°", "T-stykke", "Flange"), ("PN10", "PN16", "PN25")),
    3: (("Frekvensomformer", "Styreboks", "Trykføler", "Flowmåler"), ("IP55", "IP65", "IP67")),
    4: (("Pakningssæt", "Akseltætning", "Løbehjul", "Lejesæt"), ("str. S", "str. M", "str. L")),
    5: (("Servicebesøg", "Installation", "Årligt eftersyn", "Fjernsupport"), ("time", "dag", "aftale")),
}
NEW_PRODUCTS = 12  # launched a third into the window


@dataclass
class Products:
    frame: Frame  # contract columns
    category: np.ndarray
    list_price: np.ndarray
    popularity: np.ndarray
    intro_day: np.ndarray
    cycle_seconds: np.ndarray
    kg_per_unit: np.ndarray


def make_products(ctx: Context) -> Products:
    rng = ctx.rng("products")
    category = np.repeat(np.arange(len(CATEGORIES)), _PRODUCTS_PER_CATEGORY)
    n = len(category)
    names = []
    for i, cat in enumerate(category):
        kinds, variants = _NAME_PARTS[int(cat)]
        kind, variant = kinds[i % len(kinds)], variants[(i // len(kinds)) % len(variants)]
        model = f"{'ABCDEFGH'[i % 8]}{10 + (i * 7) % 90}"
        names.append(f"{kind} {model}, {variant}" if i % 3 else f'{kind} {model} "{variant}"')
    cost = np.array(_CATEGORY_COST)[category] * rng.lognormal(0, 0.45, n)
    list_price = cost * rng.uniform(1.35, 2.1, n)
    popularity = rng.pareto(1.3, n) + 0.2
    intro_day = np.full(n, ctx.window.start_day - 400, dtype=np.int64)
    launch = ctx.window.first_day(ctx.window.n_months // 3)
    newest = rng.choice(np.flatnonzero(np.isin(category, MANUFACTURED)), NEW_PRODUCTS, replace=False)
    intro_day[newest] = launch
    frame: Frame = {
        "product_id": ids("P", 4, np.arange(1, n + 1)),
        "product_name": cats(tuple(names), np.arange(n)),
        "category": cats(CATEGORIES, category),
        "unit_cost": np.round(cost, 2),
    }
    return Products(
        frame,
        category,
        list_price,
        popularity,
        intro_day,
        np.round(rng.uniform(12, 95, n), 1),
        np.round(rng.lognormal(np.log(1.2), 0.7, n), 3),
    )


def emit_products(ctx: Context, products: Products) -> None:
    """Initial catalogue, the launch month's new products, and a re-export with new costs."""
    window = ctx.window
    old = np.flatnonzero(products.intro_day < window.start_day)
    ctx.emit_snapshot("crm.products", window.start, take(products.frame, old))
    launch_month = window.n_months // 3
    new = np.flatnonzero(products.intro_day >= window.start_day)
    ctx.emit("crm.products", launch_month, take(products.frame, new))
    reprice_month = (2 * window.n_months) // 3
    if reprice_month > launch_month:
        repriced = dict(products.frame)
        repriced["unit_cost"] = np.round(products.frame["unit_cost"] * 1.04, 2)
        ctx.emit("crm.products", reprice_month, repriced)


# --- salespeople -----------------------------------------------------------------

TEAMS = ("Key Account", "Mid Market", "Inside Sales", "Partnersalg")


@dataclass
class Salespeople:
    frame: Frame
    region: np.ndarray
    by_region: list[np.ndarray]  # salesperson ids per region


def make_salespeople(ctx: Context) -> Salespeople:
    rng = ctx.rng("salespeople")
    n = ctx.scaled(30, minimum=len(REGIONS))
    region = np.r_[np.arange(len(REGIONS)), choice(rng, n - len(REGIONS), REGION_WEIGHTS)]
    team = choice(rng, n, [0.2, 0.3, 0.3, 0.2])
    numbers = np.arange(1, n + 1)
    frame: Frame = {
        "salesperson_id": ids("SP", 3, numbers),
        "region": cats(REGIONS, region),
        "team": cats(TEAMS, team),
    }
    by_region = [numbers[region == r] for r in range(len(REGIONS))]
    return Salespeople(frame, region, by_region)


def emit_salespeople(ctx: Context, people: Salespeople) -> None:
    """Initial list, and a full re-export half-way in which some moved team."""
    ctx.emit_snapshot("crm.salespeople", ctx.window.start, people.frame)
    middle = ctx.window.n_months // 2
    if middle > 0:
        rng = ctx.rng("salespeople", "moves")
        moved = dict(people.frame)
        team = people.frame["team"].codes.copy()
        movers = rng.random(len(team)) < 0.15
        team[movers] = (team[movers] + 1) % len(TEAMS)
        moved["team"] = cats(TEAMS, team)
        ctx.emit_snapshot("crm.salespeople", ctx.window.months[middle], moved)


# --- customers -------------------------------------------------------------------

SEGMENTS = enum_labels("crm.customers", "segment")
_SEGMENT_RATE = np.array([3.2, 1.6, 0.75])  # orders per month: enterprise, mid market, small
_CHURN_HAZARD = 0.012  # per month
INITIAL_CUSTOMERS = 1150
DIRECT_NEW_CUSTOMERS = 9  # per month, onboarded by sales or partners (not from leads)


@dataclass
class Customers:
    """Every customer known so far, including those created later in the window."""

    number: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    segment: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    region: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    created_at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    churn_month: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    rate: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))

    def add(
        self,
        rng: np.random.Generator,
        segment: np.ndarray,
        region: np.ndarray,
        created_at: np.ndarray,
        month: np.ndarray,
    ) -> np.ndarray:
        n = len(segment)
        start = int(self.number[-1]) + 1 if len(self.number) else 1
        numbers = np.arange(start, start + n, dtype=np.int64)
        self.number = np.r_[self.number, numbers]
        self.segment = np.r_[self.segment, segment]
        self.region = np.r_[self.region, region]
        self.created_at = np.r_[self.created_at, created_at]
        self.churn_month = np.r_[self.churn_month, month + rng.geometric(_CHURN_HAZARD, n)]
        self.rate = np.r_[self.rate, _SEGMENT_RATE[segment] * rng.lognormal(-0.06, 0.35, n)]
        return numbers

    def frame(self, index: np.ndarray) -> Frame:
        return {
            "customer_id": ids(CUSTOMER_PREFIX, CUSTOMER_WIDTH, self.number[index]),
            "segment": cats(SEGMENTS, self.segment[index]),
            "region": cats(REGIONS, self.region[index]),
            "created_at": self.created_at[index],
        }

    def active(self, cutoff_ms: int, month: int) -> np.ndarray:
        return np.flatnonzero((self.created_at < cutoff_ms) & (self.churn_month > month))


def initial_customers(ctx: Context, customers: Customers) -> None:
    rng = ctx.rng("customers", "initial")
    n = ctx.scaled(INITIAL_CUSTOMERS)
    age_days = np.minimum(rng.exponential(4 * 365, n), 15 * 365).astype(np.int64) + 1
    days = ctx.window.start_day - age_days
    created = np.sort(at_local(days, office_time_ms(rng, n)))
    segment = choice(rng, n, [0.08, 0.27, 0.65])
    region = choice(rng, n, REGION_WEIGHTS)
    customers.add(rng, segment, region, created, np.zeros(n, dtype=np.int64))


def direct_customers(ctx: Context, customers: Customers, month: int) -> None:
    rng = ctx.rng("customers", "direct", month)
    days = ctx.window.days(month)
    n = rng.poisson(DIRECT_NEW_CUSTOMERS * ctx.scale * ctx.growth(month) * len(days) / 30.4)
    day = sample_days(rng, days, day_weights(days, B2B_WEEKDAY), n)
    created = np.sort(at_local(day, office_time_ms(rng, n)))
    segment = choice(rng, n, [0.12, 0.45, 0.43])
    customers.add(rng, segment, choice(rng, n, REGION_WEIGHTS), created, np.full(n, month))


def add_lead_customers(
    ctx: Context, customers: Customers, converted_at: np.ndarray, month: int
) -> np.ndarray:
    """New customers created by converted leads; returns their numbers."""
    rng = ctx.rng("customers", "leads", month)
    n = len(converted_at)
    segment = choice(rng, n, [0.05, 0.25, 0.70])
    conversion_month = ctx.window.month_of_ms(converted_at)
    return customers.add(rng, segment, choice(rng, n, REGION_WEIGHTS), converted_at, conversion_month)


# The sales push: leavers in the first month, then more and larger orders from the rest.
PUSH_LEAVERS = 0.45
PUSH_ORDER_RATE = 1.5
PUSH_QUANTITY = 3


def sales_push_starts(ctx: Context, customers: Customers, month: int) -> None:
    """First month of the push: about half of the region's active customers stop buying."""
    rng = ctx.rng("sales_push", month)
    active = customers.active(ctx.window.cutoff_ms(month), month)
    in_region = active[customers.region[active] == REGIONS.index(SALES_PUSH_REGION)]
    leaving = in_region[rng.random(len(in_region)) < PUSH_LEAVERS]
    customers.churn_month[leaving] = month


# --- opportunities ---------------------------------------------------------------

OPP_CHANNELS = enum_labels("crm.opportunities", "channel")
_OPP_CHANNEL_PROBS = np.array([[0.85, 0.15, 0.0], [0.5, 0.4, 0.1], [0.3, 0.3, 0.4]])
_QUOTE_MEDIAN = np.array([250_000.0, 70_000.0, 15_000.0])
_CYCLE_MEDIAN_DAYS = np.array([85.0, 50.0, 28.0])
OPPORTUNITIES_PER_MONTH = 340


@dataclass
class OppOrders:
    """Orders that won opportunities will place, by month."""

    pending: dict[int, list[dict[str, np.ndarray]]] = field(default_factory=dict)

    def add(self, month: int, rows: dict[str, np.ndarray]) -> None:
        self.pending.setdefault(month, []).append(rows)

    def due(self, month: int) -> dict[str, np.ndarray]:
        parts = self.pending.pop(month, [])
        keys = ("customer", "opportunity", "salesperson", "channel", "ordered_at", "target")
        return {k: np.concatenate([p[k] for p in parts]) if parts else np.zeros(0) for k in keys}


def opportunities_month(
    ctx: Context,
    month: int,
    customers: Customers,
    people: Salespeople,
    book: SalesBook,
    updates: Updates,
    opp_orders: OppOrders,
) -> Frame:
    rng = ctx.rng("opportunities", month)
    window = ctx.window
    days = window.days(month)
    expected = OPPORTUNITIES_PER_MONTH * ctx.scale * ctx.growth(month) * ctx.season(SALES_SEASON, month)
    n = rng.poisson(expected * len(days) / 30.4)
    active = customers.active(window.cutoff_ms(month), month)
    if n == 0 or len(active) == 0:
        return _opportunities_as_of(updates.due(month), window.cutoff_ms(month))
    weights = np.array([6.0, 2.5, 0.4])[customers.segment[active]]
    who = active[choice(rng, n, weights)]
    segment = customers.segment[who]
    region = customers.region[who]
    day = sample_days(rng, days, day_weights(days, B2B_WEEKDAY), n)
    first_contact = np.maximum(at_local(day, office_time_ms(rng, n)), customers.created_at[who] + HOUR_MS)
    quoted = rng.random(n) < 0.72
    quote_at = first_contact + (rng.gamma(2.0, 5.0, n) * DAY_MS).astype(np.int64) + HOUR_MS
    amount = np.round(_QUOTE_MEDIAN[segment] * rng.lognormal(0, 0.45, n), -2)
    cycle = (_CYCLE_MEDIAN_DAYS[segment] * rng.lognormal(0, 0.55, n) * DAY_MS).astype(np.int64)
    closed_at = np.maximum(first_contact + cycle, np.where(quoted, quote_at + DAY_MS, 0))
    won = np.where(quoted, rng.random(n) < 0.37, rng.random(n) < 0.08)
    status = np.where(
        won, enum_code("crm.opportunities", "status", "won"), enum_code("crm.opportunities", "status", "lost")
    )
    numbers = np.arange(book.next_opportunity, book.next_opportunity + n)
    book.next_opportunity += n
    salesperson = pick_per_group(rng, region, people.by_region)
    channel = choice_by_group(rng, segment, _OPP_CHANNEL_PROBS)
    frame: Frame = {
        "opportunity_id": ids("OPP", 7, numbers),
        "customer_id": ids(CUSTOMER_PREFIX, CUSTOMER_WIDTH, customers.number[who]),
        "salesperson_id": ids("SP", 3, salesperson),
        "channel": cats(OPP_CHANNELS, channel),
        "region": cats(REGIONS, region),
        "first_contact_at": first_contact,
        "quote_sent_at": np.where(quoted, quote_at, NULL),
        "closed_at": closed_at,
        "status": cats(enum_labels("crm.opportunities", "status"), status),
        "quoted_amount": np.where(quoted, amount, np.nan),
    }
    order_at = closed_at + (rng.uniform(0.2, 3.0, n) * DAY_MS).astype(np.int64)
    order_month = window.month_of_ms(order_at)
    for m in np.unique(order_month[won]):
        if m < window.n_months:
            pick = won & (order_month == m)
            opp_orders.add(
                int(m),
                {
                    "customer": who[pick],
                    "opportunity": numbers[pick],
                    "salesperson": salesperson[pick],
                    "channel": channel[pick],
                    "ordered_at": order_at[pick],
                    "target": np.where(quoted[pick], amount[pick], _QUOTE_MEDIAN[segment[pick]] * 0.5),
                },
            )
    appear = window.month_of_ms(first_contact)
    events = [window.month_of_ms(frame["quote_sent_at"]), window.month_of_ms(closed_at)]
    now = updates.route(frame, appear, events, month)
    return _opportunities_as_of(concat([now, updates.due(month)]), window.cutoff_ms(month))


def _opportunities_as_of(frame: Frame, cutoff: int) -> Frame:
    if not n_rows(frame):
        return frame
    out = dict(frame)
    quote_later = frame["quote_sent_at"] >= cutoff
    out["quote_sent_at"] = np.where(quote_later, NULL, frame["quote_sent_at"])
    out["quoted_amount"] = np.where(quote_later, np.nan, frame["quoted_amount"])
    open_ = frame["closed_at"] >= cutoff
    out["closed_at"] = np.where(open_, NULL, frame["closed_at"])
    status = frame["status"]
    out["status"] = cats(status.labels, np.where(open_, status.labels.index("open"), status.codes))
    return out


# --- orders, lines, shipments ------------------------------------------------------

ORDER_CHANNELS = enum_labels("crm.orders", "channel")
_ORDER_CHANNEL_PROBS = np.array([[0.8, 0.2, 0.0], [0.45, 0.35, 0.2], [0.1, 0.2, 0.7]])
_LINES_MEAN = np.array([2.8, 2.0, 1.4])
_QUANTITY_MEDIAN = np.array([6.0, 2.5, 1.2])
_DISCOUNTS = np.array([0.0, 0.05, 0.10, 0.15, 0.20, 0.25])
_DISCOUNT_PROBS = np.array(
    [
        [0.15, 0.05, 0.30, 0.30, 0.15, 0.05],
        [0.40, 0.25, 0.25, 0.10, 0.0, 0.0],
        [0.70, 0.20, 0.10, 0.0, 0.0, 0.0],
    ]
)
_PROMISE_DAYS = np.array([8, 6, 5])
_TRANSIT_DAYS = np.array([0.9, 1.3, 1.3, 1.1, 1.8])  # by region
ANNUAL_PRICE_INCREASE = 0.03


@dataclass
class SalesBook:
    """Counters and revenue totals kept across months."""

    next_opportunity: int = 1
    next_order: int = 1
    next_shipment: int = 1
    revenue: dict[tuple[int, int], float] = field(default_factory=dict)  # (month, region) -> DKK
    baseline_revenue: dict[tuple[int, int], float] = field(default_factory=dict)  # without the push


@dataclass
class OrderMonth:
    orders: Frame
    lines: Frame
    shipments: Frame


def orders_month(
    ctx: Context,
    month: int,
    customers: Customers,
    products: Products,
    people: Salespeople,
    opp_orders: OppOrders,
    book: SalesBook,
    shipment_updates: Updates,
) -> OrderMonth:
    rng = ctx.rng("orders", month)
    window = ctx.window
    days = window.days(month)
    cutoff = window.cutoff_ms(month)
    month_start = int(at_local(days[:1], np.zeros(1))[0])
    first = window.months[month]
    month_share = len(days) / (add_months(first, 1) - first).days

    active = customers.active(cutoff, month)
    exposure = np.clip(
        (cutoff - np.maximum(customers.created_at[active], month_start)) / (cutoff - month_start), 0, 1
    )
    push = ctx.active("sales_push_churn", month)
    push_region = REGIONS.index(SALES_PUSH_REGION)
    boost = np.where(push & (customers.region[active] == push_region), PUSH_ORDER_RATE, 1.0)
    lam = (
        customers.rate[active]
        * exposure
        * boost
        * month_share
        * ctx.season(SALES_SEASON, month)
        * ctx.growth(month)
    )
    count = rng.poisson(lam)
    who = np.repeat(active, count)
    n = len(who)
    segment = customers.segment[who]
    channel = choice_by_group(rng, segment, _ORDER_CHANNEL_PROBS)
    web = channel == ORDER_CHANNELS.index("web")
    day = np.where(
        web,
        sample_days(rng, days, day_weights(days, WEB_WEEKDAY), n),
        sample_days(rng, days, day_weights(days, B2B_WEEKDAY), n),
    )
    created_day = local_day(customers.created_at[who])
    day = np.maximum(day, created_day)
    time_of_day = np.where(web, any_time_ms(rng, n), office_time_ms(rng, n))
    ordered_at = np.maximum(at_local(day, time_of_day), customers.created_at[who] + 30 * 60_000)
    keep = ordered_at < cutoff
    who, channel, ordered_at = who[keep], channel[keep], ordered_at[keep]
    salesperson = np.where(
        channel == ORDER_CHANNELS.index("web"),
        NULL,
        pick_per_group(rng, customers.region[who], people.by_region),
    )
    opportunity = np.full(len(who), NULL)
    target = np.full(len(who), np.nan)

    due = opp_orders.due(month)
    if len(due["customer"]):
        who = np.r_[who, due["customer"].astype(np.int64)]
        channel = np.r_[channel, due["channel"].astype(np.int64)]
        ordered_at = np.r_[ordered_at, due["ordered_at"].astype(np.int64)]
        salesperson = np.r_[salesperson, due["salesperson"].astype(np.int64)]
        opportunity = np.r_[opportunity, due["opportunity"].astype(np.int64)]
        target = np.r_[target, due["target"]]

    order = np.argsort(ordered_at, kind="stable")
    who, channel, ordered_at = who[order], channel[order], ordered_at[order]
    salesperson, opportunity, target = salesperson[order], opportunity[order], target[order]
    n = len(who)
    numbers = np.arange(book.next_order, book.next_order + n)
    book.next_order += n
    segment = customers.segment[who]
    region = customers.region[who]

    promise_days = _PROMISE_DAYS[segment]
    delivery_push = ctx.active("delivery_promise_broken", month)
    in_delivery_region = region == REGIONS.index(DELIVERY_REGION)
    if delivery_push:
        promise_days = np.where(in_delivery_region, 1, promise_days)
    order_day = local_day(ordered_at)
    promised = _next_workday(order_day + promise_days)
    no_promise = rng.random(n) < np.where(channel == ORDER_CHANNELS.index("web"), 0.12, 0.03)
    promised = np.where(no_promise, NULL, promised)

    customer_numbers = customers.number[who].copy()
    if month == window.n_months // 2 and n > 10:
        orphan_rows = rng.choice(n, 3, replace=False)
        customer_numbers[orphan_rows] = ORPHAN_BASE + np.arange(3)
        ctx.sink.count_orphans("crm.orders", "customer_id", 3)
    orders: Frame = {
        "order_id": ids("SO", 8, numbers),
        "customer_id": ids(CUSTOMER_PREFIX, CUSTOMER_WIDTH, customer_numbers),
        "opportunity_id": ids("OPP", 7, opportunity),
        "salesperson_id": ids("SP", 3, salesperson),
        "channel": cats(ORDER_CHANNELS, channel),
        "region": cats(REGIONS, region),
        "ordered_at": ordered_at,
        "promised_delivery_date": promised,
    }
    push_rows = push & (region == push_region)
    lines = _order_lines(
        ctx, rng, month, numbers, segment, order_day, target, push_rows, products, book, region
    )
    shipments = _shipments(
        ctx, rng, month, numbers, ordered_at, region, in_delivery_region & delivery_push, book
    )
    due_shipments = shipment_updates.due(month)
    appear = window.month_of_ms(shipments["shipped_at"])
    events = [window.month_of_ms(shipments["delivered_at"])]
    now = shipment_updates.route(shipments, appear, events, month)
    return OrderMonth(orders, lines, _shipments_as_of(concat([now, due_shipments]), cutoff))


def _next_workday(days: np.ndarray) -> np.ndarray:
    wd = weekday(days)
    return days + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))


def _order_lines(
    ctx: Context,
    rng: np.random.Generator,
    month: int,
    order_numbers: np.ndarray,
    segment: np.ndarray,
    order_day: np.ndarray,
    target: np.ndarray,
    push_rows: np.ndarray,
    products: Products,
    book: SalesBook,
    region: np.ndarray,
) -> Frame:
    from_opportunity = ~np.isnan(target)
    count = 1 + rng.poisson(np.where(from_opportunity, 4.0, _LINES_MEAN[segment]))
    order_index = np.repeat(np.arange(len(order_numbers)), count)
    n = len(order_index)
    line_number = rank_within(order_index) + 1
    product = choice(rng, n, products.popularity)
    unavailable = products.intro_day[product] > order_day[order_index]
    established = np.flatnonzero(products.intro_day < ctx.window.start_day)
    product[unavailable] = rng.choice(established, int(unavailable.sum()))
    seg = segment[order_index]
    service = products.category[product] == CATEGORIES.index("Service")
    quantity = np.where(
        service,
        1 + rng.poisson(1.5, n),
        np.ceil(_QUANTITY_MEDIAN[seg] * rng.lognormal(0, 0.7, n)),
    ).astype(np.int64)
    push = push_rows[order_index]
    quantity = np.where(push, quantity * PUSH_QUANTITY, quantity)
    price_index = (1 + ANNUAL_PRICE_INCREASE) ** (month / 12)
    unit_price = np.round(products.list_price[product] * price_index * rng.normal(1, 0.02, n), 2)
    discount = _DISCOUNTS[choice_by_group(rng, seg, _DISCOUNT_PROBS)]
    discount = np.where(push, np.minimum(discount + 0.05, 0.4), discount)
    value = quantity * unit_price * (1 - discount)
    # Lines of an order from a won opportunity add up to about the quoted amount.
    order_value = np.bincount(order_index, weights=value, minlength=len(order_numbers))
    factor = np.where(from_opportunity, target / np.maximum(order_value, 1.0), 1.0)[order_index]
    quantity = np.where(factor != 1.0, np.maximum(1, np.round(quantity * factor)), quantity).astype(np.int64)
    value = quantity * unit_price * (1 - discount)
    baseline = np.where(push, value / PUSH_QUANTITY, value)
    line_region = region[order_index]
    for r in range(len(REGIONS)):
        in_region = line_region == r
        key = (month, r)
        book.revenue[key] = book.revenue.get(key, 0.0) + float(value[in_region].sum())
        book.baseline_revenue[key] = book.baseline_revenue.get(key, 0.0) + float(baseline[in_region].sum())
    product_numbers = product + 1
    if month == ctx.window.n_months // 2 and n > 10:
        orphan_rows = rng.choice(n, 3, replace=False)
        product_numbers[orphan_rows] = 9000 + np.arange(3)
        ctx.sink.count_orphans("crm.order_lines", "product_id", 3)
    return {
        "order_id": ids("SO", 8, order_numbers[order_index]),
        "line_number": line_number.astype(np.int64),
        "product_id": ids("P", 4, product_numbers),
        "quantity": quantity,
        "unit_price": unit_price,
        "discount_pct": np.round(discount, 2),
    }


def _shipments(
    ctx: Context,
    rng: np.random.Generator,
    month: int,
    order_numbers: np.ndarray,
    ordered_at: np.ndarray,
    region: np.ndarray,
    express: np.ndarray,
    book: SalesBook,
) -> Frame:
    split = rng.random(len(order_numbers)) < 0.07
    order_index = np.r_[np.arange(len(order_numbers)), np.flatnonzero(split)]
    second = np.r_[np.zeros(len(order_numbers), dtype=bool), np.ones(int(split.sum()), dtype=bool)]
    n = len(order_index)
    is_express = express[order_index]
    lag_days = np.where(is_express, rng.gamma(2.0, 0.2, n), rng.gamma(1.6, 1.2, n))
    if ctx.window.calendar_month(month) == 7:
        lag_days += 2.0  # industrial holiday: the warehouse runs on a skeleton crew
    lag_days += np.where(second, rng.gamma(2.0, 2.0, n), 0.0)
    ship_day = _next_workday(local_day(ordered_at[order_index] + (lag_days * DAY_MS).astype(np.int64)))
    ship_time = (rng.uniform(13, 17, n) * 3600).astype(np.int64) * 1000
    shipped_at = np.maximum(at_local(ship_day, ship_time), ordered_at[order_index] + HOUR_MS)
    transit = _TRANSIT_DAYS[region[order_index]] * rng.gamma(3.0, 1 / 3, n) * np.where(is_express, 0.7, 1.0)
    delivery_day = _next_workday(local_day(shipped_at + (transit * DAY_MS).astype(np.int64)))
    delivered_at = np.maximum(
        at_local(delivery_day, (rng.uniform(8, 16, n) * 3600).astype(np.int64) * 1000), shipped_at + HOUR_MS
    )
    order = np.argsort(shipped_at, kind="stable")
    order_ids = order_numbers[order_index][order]
    numbers = np.arange(book.next_shipment, book.next_shipment + n)
    book.next_shipment += n
    if month == ctx.window.n_months // 3 and n > 10:
        orphan_rows = rng.choice(n, 3, replace=False)
        order_ids = order_ids.copy()
        order_ids[orphan_rows] = 90_000_000 + np.arange(3)
        ctx.sink.count_orphans("mes.shipments", "order_id", 3)
    return {
        "shipment_id": ids("SH", 8, numbers),
        "order_id": ids("SO", 8, order_ids),
        "shipped_at": shipped_at[order],
        "delivered_at": delivered_at[order],
    }


def _shipments_as_of(frame: Frame, cutoff: int) -> Frame:
    if not n_rows(frame):
        return frame
    out = dict(frame)
    out["delivered_at"] = np.where(frame["delivered_at"] >= cutoff, NULL, frame["delivered_at"])
    return out
