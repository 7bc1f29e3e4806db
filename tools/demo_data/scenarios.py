"""The Goodhart scenarios injected into the demo data, as data.

Each scenario makes a headline KPI improve while its guardrail worsens (see
the guardrail section of `shared/spec/kpis.md`), in one dimension value and a
window of months placed relative to the generation window. The generator reads
these records to inject the change; tests read them to check that the
guardrail flags land where they should. The step happens in `first_month`, so
a month-over-month check flags that month; the changed level then holds until
`last_month`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tools.demo_data.timeutil import month_starts

SALES_PUSH_REGION = "Hovedstaden"
DELIVERY_REGION = "Syddanmark"
SPLIT_CHANNEL = "phone"
SHALLOW_CHANNEL = "email"
PRODUCTION_LINE = "L02"
HIRING_DEPARTMENT = "Produktion"
LEAD_CAMPAIGN_ID = "CMP0003"  # "LinkedIn Lead Gen - Whitepaper", an always-on campaign


@dataclass(frozen=True)
class Scenario:
    scenario_id: str
    check: str  # "guardrail" (pair check against the previous month) or "csat_selection_bias"
    headline_kpi_ids: tuple[str, ...]
    guardrail_kpi_ids: tuple[str, ...]
    grain: str
    dimension_name: str  # where the flag is expected; "total" when the KPIs share no other dimension
    dimension_value: str
    first_month: date
    last_month: date
    injected_in: str  # where the data is changed, as "dimension=value"
    summary: str

    def covers(self, month: date) -> bool:
        return self.first_month <= month <= self.last_month


@dataclass(frozen=True)
class _Spec:
    scenario_id: str
    check: str
    headline: tuple[str, ...]
    guardrail: tuple[str, ...]
    dimension: tuple[str, str]
    injected_in: str
    position: float  # first month as a fraction of the window (0 = first month, 1 = last)
    length: int
    avoid_first: frozenset[int]  # calendar months whose seasonal step would mask the scenario
    summary: str
    quarter_aligned: bool = False


_SPECS: tuple[_Spec, ...] = (
    _Spec(
        "cs_split_tickets",
        "guardrail",
        ("cs.contact_volume", "cs.first_contact_resolution"),
        ("cs.split_ticket_share",),
        ("channel", SPLIT_CHANNEL),
        f"channel={SPLIT_CHANNEL}",
        5 / 23,
        3,
        frozenset({1, 8, 9}),
        "The phone team closes complex cases after the first call and opens child tickets "
        "(parent_ticket_id) for the rest; fewer calls are logged. Contact volume falls and "
        "first contact resolution rises while the split-ticket share jumps.",
    ),
    _Spec(
        "sales_push_churn",
        "guardrail",
        ("sales.revenue",),
        ("sales.churn_rate",),
        ("total", "total"),
        f"region={SALES_PUSH_REGION}",
        8 / 23,
        3,
        frozenset({12, 1, 2, 7, 8, 9}),  # retention swings around the Christmas and summer dips
        "A sales push in Hovedstaden stuffs larger orders on the customers who keep buying "
        "while about half of the region's customers stop ordering. Revenue rises, churn "
        "rises; churn has only the segment dimension, so the flag is expected on the total.",
    ),
    _Spec(
        "production_volume_over_quality",
        "guardrail",
        ("production.output_units",),
        ("production.quality_rate", "production.waste_rate"),
        ("line", PRODUCTION_LINE),
        f"line={PRODUCTION_LINE}",
        9 / 23,
        3,
        frozenset({7, 12, 1}),
        "Line L02 adds weekend shifts and runs faster than its settings: good units rise, "
        "the quality rate falls and the scrap share of material input roughly triples.",
    ),
    _Spec(
        "hr_fast_hiring",
        "guardrail",
        ("hr.time_to_hire_days",),
        ("hr.early_attrition_rate",),
        ("department", HIRING_DEPARTMENT),
        f"department={HIRING_DEPARTMENT}",
        11 / 23,
        3,
        frozenset(),
        "Produktion fills requisitions in about 9 instead of about 38 days and hires more; "
        "half of those hires leave within 90 days. The month before the window is held at "
        "six hires with one early leaver, so both KPIs have a comparable previous month "
        "above the privacy threshold of 5 hires.",
    ),
    _Spec(
        "cs_fast_shallow_answers",
        "guardrail",
        ("cs.first_response_minutes",),
        ("cs.repeat_contact_rate", "cs.reopen_rate", "cs.csat"),
        ("channel", SHALLOW_CHANNEL),
        f"channel={SHALLOW_CHANNEL}",
        12 / 23,
        3,
        frozenset(),
        "E-mail tickets get a template answer within minutes instead of hours; the problem "
        "is not solved, so repeat contacts and reopened tickets rise and CSAT falls.",
    ),
    _Spec(
        "lead_quantity_over_quality",
        "guardrail",
        ("marketing.leads",),
        ("marketing.lead_to_customer_rate",),
        ("campaign", LEAD_CAMPAIGN_ID),
        f"campaign={LEAD_CAMPAIGN_ID}",
        14 / 23,
        3,
        frozenset({7, 12, 1}),
        "The LinkedIn lead-gen campaign adds a give-away: it brings three times the leads, "
        "but the extra leads almost never become customers, so the lead-to-customer rate "
        "of the campaign falls by more than half.",
    ),
    _Spec(
        "delivery_promise_broken",
        "guardrail",
        ("production.delivery_lead_time_days",),
        ("production.on_time_delivery_rate",),
        ("region", DELIVERY_REGION),
        f"region={DELIVERY_REGION}",
        15 / 23,
        3,
        frozenset({7, 8}),
        "Orders to Syddanmark are promised next-day delivery and shipped by express: the "
        "lead time shortens, but many deliveries miss the shorter promise.",
    ),
    _Spec(
        "csat_only_happy_customers",
        "guardrail",
        ("cs.csat",),
        ("cs.csat_survey_coverage",),
        ("total", "total"),
        "all channels",
        18 / 23,
        3,
        frozenset(),
        "For one quarter CSAT surveys go only to tickets solved at first contact within 4 "
        "hours: survey coverage drops to about a third and CSAT rises.",
        quarter_aligned=True,
    ),
    _Spec(
        "csat_selection_bias",
        "csat_selection_bias",
        ("cs.csat",),
        ("cs.first_contact_resolution",),
        ("total", "total"),
        "all channels",
        18 / 23,
        3,
        frozenset(),
        "Same quarter as csat_only_happy_customers: among tickets resolved in the month, "
        "surveyed tickets are all first-contact resolutions while about two thirds of the "
        "others are, a gap of more than 15 points with well over 30 tickets a side at scale "
        "1. This check is a level, so every month of the window is flagged.",
        quarter_aligned=True,
    ),
)


def _first_index(spec: _Spec, months: tuple[date, ...]) -> int:
    n = len(months)
    lowest = min(1, n - 1)  # keep a previous month to compare with
    first = min(max(round(spec.position * (n - 1)), lowest), n - 1)
    for _ in range(4):
        calendar = months[first].month
        misplaced = calendar in spec.avoid_first or (spec.quarter_aligned and calendar % 3 != 1)
        if not misplaced or first - 1 < lowest:
            break
        first -= 1
    return first


def scenarios_for(start: date, end: date) -> tuple[Scenario, ...]:
    """The scenarios of a generation window start..end (local dates, inclusive)."""
    months = month_starts(start, end)
    result = []
    for spec in _SPECS:
        first = _first_index(spec, months)
        last = min(first + spec.length - 1, len(months) - 1)
        result.append(
            Scenario(
                scenario_id=spec.scenario_id,
                check=spec.check,
                headline_kpi_ids=spec.headline,
                guardrail_kpi_ids=spec.guardrail,
                grain="month",
                dimension_name=spec.dimension[0],
                dimension_value=spec.dimension[1],
                first_month=months[first],
                last_month=months[last],
                injected_in=spec.injected_in,
                summary=spec.summary,
            )
        )
    return tuple(result)


def by_id(scenarios: tuple[Scenario, ...], scenario_id: str) -> Scenario:
    return next(s for s in scenarios if s.scenario_id == scenario_id)
