"""The operational data contract (`shared/spec/data-contract.md`) as data.

Every table the pipeline accepts, its columns with type, nullability, allowed
values and range rules, its primary key and its cross-field rules. The ingest
validation, the raw table DDL, the dbt sources and the demo-data generator all
read this module, so the contract is stated once in code.

Types: `str`, `int`, `dec`, `ts`, `date`, `bool`. Range checks and
cross-field rules are DuckDB SQL over the *typed* values, written with the
column names; a rule is only evaluated when its inputs parsed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# `dec` (money, hours, kilograms, fractions) is an exact decimal, so that a sum is the same to the
# last digit however DuckDB splits it across threads (a DOUBLE sum is not). A value needs more
# digits than this is a bad row, never rounded.
DEC_INTEGER_DIGITS, DEC_SCALE = 28, 10
DEC_TYPE = f"DECIMAL({DEC_INTEGER_DIGITS + DEC_SCALE}, {DEC_SCALE})"

DUCKDB_TYPES = {
    "str": "VARCHAR",
    "int": "BIGINT",
    "dec": DEC_TYPE,
    "ts": "TIMESTAMPTZ",
    "date": "DATE",
    "bool": "BOOLEAN",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = False
    enum: tuple[str, ...] | None = None
    # SQL condition on the typed value that must hold when it is not null,
    # and the rule as a reader would state it.
    check: str | None = None
    check_text: str | None = None
    # Event dates and timestamps may not lie after the day after the as-of date.
    is_event: bool = True

    @property
    def sql_type(self) -> str:
        return DUCKDB_TYPES[self.type]


@dataclass(frozen=True)
class Rule:
    """A cross-field rule: `sql` must be true (nulls in its inputs pass unless the rule says otherwise)."""

    sql: str
    text: str


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    parent: str  # "source.table"
    parent_columns: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    source: str
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    rules: tuple[Rule, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = field(default=())

    @property
    def key(self) -> str:
        """`source.table`, as the contract names it."""
        return f"{self.source}.{self.name}"

    @property
    def raw_table(self) -> str:
        """Name of the clean raw table in the warehouse's `raw` schema."""
        return f"{self.source}__{self.name}"

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def _c(name: str, type_: str, nullable: bool = False, **kwargs) -> Column:
    return Column(name, type_, nullable, **kwargs)


def _enum(*values: str) -> tuple[str, ...]:
    return values


NON_NEGATIVE = {"check": "{c} >= 0", "check_text": ">= 0"}
POSITIVE = {"check": "{c} > 0", "check_text": "> 0"}


def _fk(columns: str, parent: str, parent_columns: str | None = None) -> ForeignKey:
    cols = tuple(columns.split(","))
    return ForeignKey(cols, parent, tuple((parent_columns or columns).split(",")))


TABLES: tuple[Table, ...] = (
    # --- crm ---------------------------------------------------------------
    Table(
        "crm",
        "customers",
        (
            _c("customer_id", "str"),
            _c("segment", "str", enum=_enum("enterprise", "mid_market", "small_business")),
            _c("region", "str"),
            _c("created_at", "ts"),
        ),
        ("customer_id",),
    ),
    Table(
        "crm",
        "products",
        (
            _c("product_id", "str"),
            _c("product_name", "str"),
            _c("category", "str"),
            _c("unit_cost", "dec", **NON_NEGATIVE),
        ),
        ("product_id",),
    ),
    Table(
        "crm",
        "salespeople",
        (_c("salesperson_id", "str"), _c("region", "str"), _c("team", "str")),
        ("salesperson_id",),
    ),
    Table(
        "crm",
        "opportunities",
        (
            _c("opportunity_id", "str"),
            _c("customer_id", "str"),
            _c("salesperson_id", "str"),
            _c("channel", "str", enum=_enum("direct", "partner", "web")),
            _c("region", "str"),
            _c("first_contact_at", "ts"),
            _c("quote_sent_at", "ts", True),
            _c("closed_at", "ts", True),
            _c("status", "str", enum=_enum("open", "won", "lost")),
            _c("quoted_amount", "dec", True, **NON_NEGATIVE),
        ),
        ("opportunity_id",),
        (
            Rule(
                "(closed_at is not null) = (status in ('won', 'lost'))",
                "closed_at is set exactly when status is won or lost",
            ),
            Rule("closed_at >= first_contact_at", "closed_at >= first_contact_at"),
        ),
        (
            _fk("customer_id", "crm.customers"),
            _fk("salesperson_id", "crm.salespeople"),
        ),
    ),
    Table(
        "crm",
        "orders",
        (
            _c("order_id", "str"),
            _c("customer_id", "str"),
            _c("opportunity_id", "str", True),
            _c("salesperson_id", "str", True),
            _c("channel", "str", enum=_enum("direct", "partner", "web")),
            _c("region", "str"),
            _c("ordered_at", "ts"),
            _c("promised_delivery_date", "date", True, is_event=False),
        ),
        ("order_id",),
        (),
        (
            _fk("customer_id", "crm.customers"),
            _fk("opportunity_id", "crm.opportunities"),
            _fk("salesperson_id", "crm.salespeople"),
        ),
    ),
    Table(
        "crm",
        "order_lines",
        (
            _c("order_id", "str"),
            _c("line_number", "int"),
            _c("product_id", "str"),
            _c("quantity", "int", **POSITIVE),
            _c("unit_price", "dec", **NON_NEGATIVE),
            _c("discount_pct", "dec", check="{c} between 0 and 1", check_text="in [0, 1]"),
        ),
        ("order_id", "line_number"),
        (),
        (_fk("order_id", "crm.orders"), _fk("product_id", "crm.products")),
    ),
    # --- finance -------------------------------------------------------------
    Table(
        "finance",
        "budgets",
        (
            _c(
                "month",
                "date",
                check="{c} = date_trunc('month', {c})",
                check_text="is the first day of a month",
                is_event=False,
            ),
            _c("region", "str"),
            _c("revenue_budget", "dec", **NON_NEGATIVE),
        ),
        ("month", "region"),
    ),
    # --- web -----------------------------------------------------------------
    Table(
        "web",
        "sessions",
        (
            _c("session_id", "str"),
            _c("visitor_id", "str"),
            _c("started_at", "ts"),
            _c(
                "channel",
                "str",
                enum=_enum("organic", "paid_search", "social", "email", "direct", "referral"),
            ),
            _c("campaign_id", "str", True),
            _c("landing_page", "str", True),
            _c("pageviews", "int", check="{c} >= 1", check_text=">= 1"),
            _c("engaged_seconds", "int", **NON_NEGATIVE),
        ),
        ("session_id",),
        (),
        (_fk("campaign_id", "marketing.campaigns"),),
    ),
    # --- marketing -----------------------------------------------------------
    Table(
        "marketing",
        "campaigns",
        (
            _c("campaign_id", "str"),
            _c("campaign_name", "str"),
            _c("channel", "str"),
            _c("started_on", "date"),
            _c("ended_on", "date", True, is_event=False),
        ),
        ("campaign_id",),
    ),
    Table(
        "marketing",
        "ad_spend",
        (
            _c("spend_date", "date"),
            _c("campaign_id", "str"),
            _c("spend", "dec", **NON_NEGATIVE),
            _c("impressions", "int", **NON_NEGATIVE),
            _c("clicks", "int", **NON_NEGATIVE),
        ),
        ("spend_date", "campaign_id"),
        (),
        (_fk("campaign_id", "marketing.campaigns"),),
    ),
    Table(
        "marketing",
        "leads",
        (
            _c("lead_id", "str"),
            _c("created_at", "ts"),
            _c("session_id", "str", True),
            _c("channel", "str"),
            _c("campaign_id", "str", True),
            _c("converted_customer_id", "str", True),
            _c("converted_at", "ts", True),
        ),
        ("lead_id",),
        (
            Rule(
                "(converted_at is not null) = (converted_customer_id is not null)",
                "converted_at is set exactly when converted_customer_id is",
            ),
            Rule("converted_at >= created_at", "converted_at >= created_at"),
        ),
        (
            _fk("session_id", "web.sessions"),
            _fk("campaign_id", "marketing.campaigns"),
            _fk("converted_customer_id", "crm.customers", "customer_id"),
        ),
    ),
    Table(
        "marketing",
        "social_posts",
        (
            _c("post_id", "str"),
            _c("platform", "str"),
            _c("published_at", "ts"),
            _c("impressions", "int", **NON_NEGATIVE),
            _c("likes", "int", **NON_NEGATIVE),
            _c("shares", "int", **NON_NEGATIVE),
            _c("comments", "int", **NON_NEGATIVE),
        ),
        ("post_id",),
    ),
    # --- hr ------------------------------------------------------------------
    Table(
        "hr",
        "employees",
        (
            _c("employee_id", "str"),
            _c("department", "str"),
            _c("location", "str"),
            _c("hired_on", "date"),
            _c("terminated_on", "date", True),
            _c("termination_type", "str", True, enum=_enum("voluntary", "involuntary")),
            _c("fte", "dec", check="{c} > 0 and {c} <= 1", check_text="in (0, 1]"),
        ),
        ("employee_id",),
        (Rule("terminated_on >= hired_on", "terminated_on >= hired_on"),),
    ),
    Table(
        "hr",
        "absences",
        (
            _c("absence_id", "str"),
            _c("employee_id", "str"),
            _c("absence_date", "date"),
            _c("hours", "dec", check="{c} > 0 and {c} <= 24", check_text="in (0, 24]"),
            _c("absence_type", "str", enum=_enum("sick", "vacation", "leave", "other")),
        ),
        ("absence_id",),
        (),
        (_fk("employee_id", "hr.employees"),),
    ),
    Table(
        "hr",
        "requisitions",
        (
            _c("requisition_id", "str"),
            _c("department", "str"),
            _c("opened_on", "date"),
            _c("filled_on", "date", True),
            _c("status", "str", enum=_enum("open", "filled", "cancelled")),
            _c("filled_internally", "bool", True),
            _c("hired_employee_id", "str", True),
        ),
        ("requisition_id",),
        (
            Rule(
                "(filled_on is not null) = (status = 'filled')",
                "filled_on is set exactly when status is filled",
            ),
        ),
        (_fk("hired_employee_id", "hr.employees", "employee_id"),),
    ),
    Table(
        "hr",
        "survey_responses",
        (
            _c("response_id", "str"),
            _c("survey_round", "str"),
            _c("department", "str"),
            _c("submitted_on", "date"),
            _c("satisfaction", "int", check="{c} between 1 and 5", check_text="in [1, 5]"),
            _c("enps_score", "int", True, check="{c} between 0 and 10", check_text="in [0, 10]"),
        ),
        ("response_id",),
    ),
    # --- mes (production) ----------------------------------------------------
    Table(
        "mes",
        "machines",
        (_c("machine_id", "str"), _c("line_id", "str"), _c("site", "str")),
        ("machine_id",),
    ),
    Table(
        "mes",
        "production_runs",
        (
            _c("run_id", "str"),
            _c("machine_id", "str"),
            _c("product_id", "str"),
            _c("shift_date", "date"),
            _c("planned_minutes", "int", **POSITIVE),
            _c("downtime_minutes", "int", **NON_NEGATIVE),
            _c("ideal_cycle_seconds", "dec", **POSITIVE),
            _c("total_count", "int", **NON_NEGATIVE),
            _c("good_count", "int", **NON_NEGATIVE),
        ),
        ("run_id",),
        (
            Rule("downtime_minutes <= planned_minutes", "downtime_minutes <= planned_minutes"),
            Rule("good_count <= total_count", "good_count <= total_count"),
        ),
        (_fk("machine_id", "mes.machines"), _fk("product_id", "crm.products")),
    ),
    Table(
        "mes",
        "material_usage",
        (
            _c("usage_id", "str"),
            _c("line_id", "str"),
            _c("usage_date", "date"),
            _c("material", "str"),
            _c("input_kg", "dec", **POSITIVE),
            _c("scrap_kg", "dec", **NON_NEGATIVE),
        ),
        ("usage_id",),
        (Rule("scrap_kg <= input_kg", "scrap_kg <= input_kg"),),
    ),
    Table(
        "mes",
        "shipments",
        (
            _c("shipment_id", "str"),
            _c("order_id", "str"),
            _c("shipped_at", "ts"),
            _c("delivered_at", "ts", True),
        ),
        ("shipment_id",),
        (),
        (_fk("order_id", "crm.orders"),),
    ),
    # --- helpdesk ------------------------------------------------------------
    Table(
        "helpdesk",
        "tickets",
        (
            _c("ticket_id", "str"),
            _c("customer_id", "str", True),
            _c("channel", "str", enum=_enum("phone", "email", "chat")),
            _c("category", "str"),
            _c("agent_team", "str"),
            _c("created_at", "ts"),
            _c("first_response_at", "ts", True),
            _c("resolved_at", "ts", True),
            _c("contacts_count", "int", check="{c} >= 1", check_text=">= 1"),
            _c("reopened_count", "int", **NON_NEGATIVE),
            _c("parent_ticket_id", "str", True),
        ),
        ("ticket_id",),
        (
            Rule("first_response_at >= created_at", "first_response_at >= created_at"),
            Rule("resolved_at >= created_at", "resolved_at >= created_at"),
        ),
        (
            _fk("customer_id", "crm.customers"),
            _fk("parent_ticket_id", "helpdesk.tickets", "ticket_id"),
        ),
    ),
    Table(
        "helpdesk",
        "csat_surveys",
        (
            _c("ticket_id", "str"),
            _c("surveyed_at", "ts"),
            _c("responded_at", "ts", True),
            _c("score", "int", True, check="{c} between 1 and 5", check_text="in [1, 5]"),
        ),
        ("ticket_id",),
        (
            Rule(
                "(score is not null) = (responded_at is not null)",
                "score is set exactly when responded_at is",
            ),
        ),
        (_fk("ticket_id", "helpdesk.tickets"),),
    ),
    Table(
        "helpdesk",
        "nps_responses",
        (
            _c("response_id", "str"),
            _c("customer_id", "str", True),
            _c("responded_at", "ts"),
            _c("score", "int", check="{c} between 0 and 10", check_text="in [0, 10]"),
        ),
        ("response_id",),
        (),
        (_fk("customer_id", "crm.customers"),),
    ),
)

TABLES_BY_KEY: dict[str, Table] = {table.key: table for table in TABLES}

# Lineage columns every raw row carries, after the contract's columns.
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_source_file", "VARCHAR"),  # path below the landing root
    (
        "_source_line",
        "BIGINT",
    ),  # physical line where the record starts (header = 1); Parquet row number
    ("_file_id", "BIGINT"),  # ledger id of the file = extract batch; higher = ingested later
    ("_batch_id", "VARCHAR"),  # the ingest run that loaded the file
    ("_ingested_at", "TIMESTAMPTZ"),
    ("_extra_columns", "VARCHAR"),  # JSON of columns outside the contract, kept not used
)
