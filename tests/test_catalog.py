"""The KPI catalog: the real catalog against kpis.md, the lint rules, versions and tables."""

from __future__ import annotations

import copy
import dataclasses
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from dagster_project.catalog import (
    DEFAULT_CATALOG_PATH,
    FUNCTIONS,
    LINTED_FIELDS,
    Catalog,
    CatalogError,
    LintFinding,
    Target,
    compare_kpi_ids,
    definition_version,
    lint,
    load_catalog,
    parse_catalog,
    write_catalog_tables,
)
from dagster_project.ingest.contract import TABLES_BY_KEY

REPO_ROOT = Path(__file__).resolve().parents[1]
SPEC_PATH = REPO_ROOT / ".." / "shared" / "spec" / "kpis.md"

_SPEC_KPI_CELL = re.compile(r"^([a-z]+\.[a-z0-9_]+)(?: \((supporting|G)\))?$")
_KPI_ID = re.compile(r"[a-z]+\.[a-z0-9_]+")
_SPEC_ROLES = {None: "headline", "supporting": "supporting", "G": "guardrail"}


# ── kpis.md, read independently of the code under test ──────────────────────


def _table_rows(text: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|") and not line.startswith("|---")
    ]


def parse_spec_kpis(text: str) -> dict[str, dict[str, Any]]:
    """The rows of the per-function tables (id, names, grain, definition, dims, better)."""
    kpis = {}
    for cells in _table_rows(text):
        match = _SPEC_KPI_CELL.match(cells[0]) if len(cells) == 6 else None
        if match is None:
            continue
        names = cells[1].split(" / ")
        kpis[match.group(1)] = {
            "role": _SPEC_ROLES[match.group(2)],
            "name_da": names[0],
            "name_en": names[-1],
            "grains": tuple(grain.strip() for grain in cells[2].split(",")),
            "dimensions": ()
            if cells[4].startswith("—")
            else tuple(name.strip() for name in cells[4].split(",")),
            "direction": cells[5],
        }
    return kpis


def parse_spec_pairs(text: str) -> set[tuple[str, str, str]]:
    """(headline, guardrail, headline_move) for every row of the guardrail table."""
    pairs = set()
    for cells in _table_rows(text):
        if len(cells) != 3 or not _KPI_ID.match(cells[0]):
            continue
        for headline, falling in re.findall(r"([a-z]+\.[a-z0-9_]+)( \(falling\))?", cells[0]):
            for guardrail in _KPI_ID.findall(cells[1]):
                pairs.add((headline, guardrail, "falling" if falling else "better"))
    return pairs


@pytest.fixture(scope="module")
def spec_text() -> str:
    if not SPEC_PATH.is_file():
        pytest.skip(f"kpis.md not found at {SPEC_PATH} (../shared/spec/ from the repo root)")
    return SPEC_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def document() -> dict[str, Any]:
    """The real catalog as parsed YAML, to break on purpose."""
    return yaml.safe_load(DEFAULT_CATALOG_PATH.read_text(encoding="utf-8"))


def _entry(document: dict[str, Any], kpi_id: str) -> dict[str, Any]:
    return next(entry for entry in document["kpis"] if entry["id"] == kpi_id)


def _replace_kpi(catalog: Catalog, kpi_id: str, **changes: Any) -> Catalog:
    kpis = tuple(dataclasses.replace(kpi, **changes) if kpi.id == kpi_id else kpi for kpi in catalog.kpis)
    return dataclasses.replace(catalog, kpis=kpis)


def _has(findings: list[LintFinding], severity: str, rule: str, subject: str) -> bool:
    return any(
        f.severity == severity and f.rule == rule and subject in (f.kpi_id, f.function) for f in findings
    )


# ── The real catalog ─────────────────────────────────────────────────────────


def test_real_catalog_loads_and_lints_without_errors(catalog: Catalog) -> None:
    errors = [finding for finding in lint(catalog) if finding.severity == "error"]
    assert errors == []


def test_every_function_has_exactly_five_headline_kpis(catalog: Catalog) -> None:
    assert {function: len(catalog.headlines(function)) for function in FUNCTIONS} == {
        function: 5 for function in FUNCTIONS
    }


def test_spec_names_five_headline_kpis_per_function(spec_text: str) -> None:
    spec = parse_spec_kpis(spec_text)
    headlines = Counter(kpi_id.split(".")[0] for kpi_id, row in spec.items() if row["role"] == "headline")
    assert headlines == {prefix: 5 for prefix in ("sales", "marketing", "hr", "production", "cs")}


def test_catalog_holds_every_kpi_of_the_spec_and_no_other(catalog: Catalog, spec_text: str) -> None:
    assert sorted(catalog.ids()) == sorted(parse_spec_kpis(spec_text))


def test_roles_names_grains_dimensions_and_directions_match_the_spec(
    catalog: Catalog, spec_text: str
) -> None:
    for kpi_id, row in parse_spec_kpis(spec_text).items():
        kpi = catalog.kpi(kpi_id)
        assert {
            "role": kpi.role,
            "name_da": kpi.name_da,
            "name_en": kpi.name_en,
            "grains": kpi.grains,
            "dimensions": kpi.dimensions,
            "direction": kpi.direction,
        } == row, kpi_id


def test_guardrail_pairs_are_exactly_the_spec_table(catalog: Catalog, spec_text: str) -> None:
    pairs = {(p.headline, p.guardrail, p.headline_move) for p in catalog.guardrail_pairs}
    assert pairs == parse_spec_pairs(spec_text)


def test_every_guardrail_pair_uses_the_default_five_percent(catalog: Catalog) -> None:
    assert {pair.threshold_pct for pair in catalog.guardrail_pairs} == {5.0}


def test_every_source_is_a_contract_table(catalog: Catalog) -> None:
    unknown = {
        (kpi.id, source) for kpi in catalog.kpis for source in kpi.sources if source not in TABLES_BY_KEY
    }
    assert unknown == set()


def test_only_sales_revenue_reads_its_target_from_the_budget(catalog: Catalog) -> None:
    assert [kpi.id for kpi in catalog.kpis if kpi.target.type == "budget"] == ["sales.revenue"]


def test_csat_selection_bias_check_carries_the_spec_thresholds(catalog: Catalog) -> None:
    check = catalog.special_check("csat_selection_bias")
    assert (check.kpi_id, check.gap_pct_points, check.min_tickets_per_side) == ("cs.csat", 15, 30)
    assert catalog.special_check("definition_drift").description_en


# ── Lint rules, each on a catalog broken on purpose ──────────────────────────


def test_missing_owner_is_an_error(catalog: Catalog) -> None:
    findings = lint(_replace_kpi(catalog, "sales.hit_rate", owner=None))
    assert _has(findings, "error", "missing_field", "sales.hit_rate")


@pytest.mark.parametrize("field_name", LINTED_FIELDS)
def test_catalog_without_a_required_field_loads_but_lints_as_an_error(
    document: dict[str, Any], field_name: str
) -> None:
    del _entry(document, "cs.nps")[field_name]
    findings = lint(parse_catalog(document))
    assert [(f.severity, f.kpi_id) for f in findings if f.rule == "missing_field"] == [("error", "cs.nps")]
    assert field_name in next(f.message for f in findings if f.rule == "missing_field")


def test_six_headline_kpis_in_a_function_is_a_warning(catalog: Catalog) -> None:
    broken = _replace_kpi(catalog, "sales.revenue_vs_budget", role="headline", parent=None)
    findings = lint(broken)
    assert _has(findings, "warning", "too_many_headlines", "sales")
    assert not _has(lint(catalog), "warning", "too_many_headlines", "sales")


def test_kpi_without_target_is_a_warning(catalog: Catalog) -> None:
    assert not _has(lint(catalog), "warning", "no_target", "sales.hit_rate")
    findings = lint(_replace_kpi(catalog, "sales.hit_rate", target=Target("none")))
    assert _has(findings, "warning", "no_target", "sales.hit_rate")


def test_headline_without_guardrail_is_a_warning(catalog: Catalog) -> None:
    assert not _has(lint(catalog), "warning", "headline_without_guardrail", "sales.revenue")
    pairs = tuple(p for p in catalog.guardrail_pairs if p.headline != "sales.revenue")
    findings = lint(dataclasses.replace(catalog, guardrail_pairs=pairs))
    assert _has(findings, "warning", "headline_without_guardrail", "sales.revenue")


def test_constant_target_on_a_count_with_several_grains_is_an_error(catalog: Catalog) -> None:
    broken = _replace_kpi(catalog, "cs.contact_volume", target=Target("constant", value=2500))
    assert _has(lint(broken), "error", "constant_target_on_count", "cs.contact_volume")


def test_the_only_kpi_without_a_target_is_the_one_decided(catalog: Catalog) -> None:
    no_target = [f.kpi_id for f in lint(catalog) if f.rule == "no_target"]
    assert no_target == ["production.units_per_run_hour"]


# ── Loader errors name the KPI and the field ─────────────────────────────────


def test_unknown_unit_names_the_kpi_and_the_field(document: dict[str, Any]) -> None:
    _entry(document, "sales.hit_rate")["unit"] = "percent"
    with pytest.raises(CatalogError, match=r"'sales\.hit_rate', field 'unit'"):
        parse_catalog(document)


def test_misspelt_field_is_rejected(document: dict[str, Any]) -> None:
    _entry(document, "sales.hit_rate")["ownr"] = "Salgschef"
    with pytest.raises(CatalogError, match=r"'sales\.hit_rate', field 'ownr': unknown field"):
        parse_catalog(document)


def test_supporting_kpi_without_parent_is_rejected(document: dict[str, Any]) -> None:
    del _entry(document, "hr.enps")["parent"]
    with pytest.raises(CatalogError, match=r"'hr\.enps', field 'parent'"):
        parse_catalog(document)


def test_guardrail_pair_with_unknown_kpi_is_rejected(document: dict[str, Any]) -> None:
    document["guardrail_pairs"][0]["guardrail"] = "cs.made_up"
    with pytest.raises(CatalogError, match=r"field 'guardrail': no KPI 'cs\.made_up'"):
        parse_catalog(document)


def test_period_target_on_a_grain_the_kpi_lacks_is_rejected(document: dict[str, Any]) -> None:
    _entry(document, "hr.time_to_hire_days")["target"] = {
        "type": "per_period",
        "values": {"2025-W03": 30},
    }
    with pytest.raises(CatalogError, match=r"'hr\.time_to_hire_days', field 'target'.*no week"):
        parse_catalog(document)


def test_duplicate_kpi_is_rejected(document: dict[str, Any]) -> None:
    document["kpis"].append(copy.deepcopy(_entry(document, "cs.nps")))
    with pytest.raises(CatalogError, match=r"'cs\.nps' is defined more than once"):
        parse_catalog(document)


# ── Definition version ───────────────────────────────────────────────────────

SQL = "select count(*) as numerator\nfrom tickets\nwhere created_at >= period_start"


def test_definition_version_is_twelve_hex_digits_and_stable(catalog: Catalog) -> None:
    kpi = catalog.kpi("cs.contact_volume")
    version = definition_version(kpi, SQL)
    assert re.fullmatch(r"[0-9a-f]{12}", version)
    assert definition_version(kpi, SQL) == version


def test_definition_version_changes_with_the_definition(catalog: Catalog) -> None:
    kpi = catalog.kpi("cs.contact_volume")
    before = definition_version(kpi, SQL)
    for field_name in ("definition_da", "definition_en"):
        changed = dataclasses.replace(kpi, **{field_name: getattr(kpi, field_name) + " Ny."})
        assert definition_version(changed, SQL) != before, field_name
    assert definition_version(dataclasses.replace(kpi, unit="per_1000"), SQL) != before
    # Direction decides status and which way a guardrail move counts.
    assert definition_version(dataclasses.replace(kpi, direction="higher"), SQL) != before
    # Grains decide which rows are published: dropping the day rows is a new definition.
    assert definition_version(dataclasses.replace(kpi, grains=("week", "month")), SQL) != before


def test_changing_the_dimensions_changes_the_version_and_changing_the_owner_does_not(
    catalog: Catalog,
) -> None:
    # cs.contact_volume: dimensions (channel, category), owner the head of customer service.
    kpi = catalog.kpi("cs.contact_volume")
    before = definition_version(kpi, SQL)
    assert definition_version(dataclasses.replace(kpi, dimensions=("channel",)), SQL) != before
    assert (
        definition_version(dataclasses.replace(kpi, owner="Kvalitetsansvarlig / Quality Lead"), SQL) == before
    )
    # The same grains and dimensions listed in another order are the same definition.
    reordered = dataclasses.replace(
        kpi, dimensions=tuple(reversed(kpi.dimensions)), grains=tuple(reversed(kpi.grains))
    )
    assert definition_version(reordered, SQL) == before


def test_definition_version_changes_with_the_sql(catalog: Catalog) -> None:
    kpi = catalog.kpi("cs.contact_volume")
    assert definition_version(kpi, SQL.replace(">=", ">")) != definition_version(kpi, SQL)


def test_definition_version_ignores_owner_target_names_and_reformatting(
    catalog: Catalog,
) -> None:
    kpi = catalog.kpi("cs.contact_volume")
    before = definition_version(kpi, SQL)
    unrelated = dataclasses.replace(
        kpi,
        owner="Kundedirektør / Chief Customer Officer",
        name_en="Tickets",
        question_da="Hvor mange sager?",
        target=Target("none"),
        refresh_cadence="weekly",
    )
    assert definition_version(unrelated, SQL) == before
    reformatted_sql = "  select count(*) as numerator from tickets\n\n   where created_at >= period_start\n"
    assert definition_version(kpi, reformatted_sql) == before


# ── Tables ───────────────────────────────────────────────────────────────────


def test_catalog_tables_round_trip_through_duckdb(catalog: Catalog) -> None:
    con = duckdb.connect()
    write_catalog_tables(con, catalog)
    write_catalog_tables(con, catalog)  # replaced, not appended

    assert con.execute("select count(*) from catalog.kpis").fetchone() == (len(catalog.kpis),)
    revenue = con.execute(
        "select role, grains, dimensions, is_additive, sources, target_type, target_value "
        "from catalog.kpis where kpi_id = 'sales.revenue'"
    ).fetchone()
    assert revenue == (
        "headline",
        ["day", "week", "month"],
        ["region", "channel", "product_category"],
        True,
        ["crm.orders", "crm.order_lines", "crm.products"],
        "budget",
        None,
    )
    assert con.execute(
        "select parent_kpi_id, target_type, target_value from catalog.kpis "
        "where kpi_id = 'sales.revenue_vs_budget'"
    ).fetchone() == ("sales.revenue", "constant", 1.0)

    periods = sum(len(kpi.target.periods) for kpi in catalog.kpis)
    assert con.execute("select count(*) from catalog.kpi_targets").fetchone() == (periods,)
    assert con.execute(
        "select grain, target from catalog.kpi_targets "
        "where kpi_id = 'marketing.leads' and period_start = date '2025-03-01'"
    ).fetchone() == ("month", 510.0)

    assert con.execute(
        "select threshold_pct, headline_move, shared_grains, shared_dimensions "
        "from catalog.guardrail_pairs "
        "where headline_kpi_id = 'cs.contact_volume' and guardrail_kpi_id = 'cs.split_ticket_share'"
    ).fetchone() == (5.0, "falling", ["week", "month"], ["channel"])
    assert con.execute("select count(*) from catalog.guardrail_pairs").fetchone() == (
        len(catalog.guardrail_pairs),
    )
    assert con.execute(
        "select gap_pct_points, min_tickets_per_side from catalog.special_checks "
        "where check_id = 'csat_selection_bias'"
    ).fetchone() == (15.0, 30)


def test_catalog_tables_have_the_columns_the_dbt_project_reads(catalog: Catalog) -> None:
    con = duckdb.connect()
    write_catalog_tables(con, catalog)

    def columns(table: str) -> list[str]:
        return [row[0] for row in con.execute(f"describe catalog.{table}").fetchall()]

    assert columns("kpis") == [
        "kpi_id", "function", "role", "parent_kpi_id", "name_da", "name_en", "question_da",
        "question_en", "definition_da", "definition_en", "unit", "direction", "owner",
        "refresh_cadence", "freshness_limit_hours", "grains", "dimensions", "is_additive",
        "sources", "is_computed_over_people", "aggregation", "empty_reason", "provisional_days",
        "sample_kind", "target_type", "target_value", "value_min", "value_max", "range_breach",
        "complete_breakdowns", "definition_version", "catalog_order",
    ]  # fmt: skip
    assert columns("kpi_targets")[:4] == ["kpi_id", "period_start", "grain", "target"]
    assert columns("guardrail_pairs")[:6] == [
        "headline_kpi_id", "guardrail_kpi_id", "threshold_pct", "headline_move", "meaning_da",
        "meaning_en",
    ]  # fmt: skip


def test_a_ratio_says_why_it_can_be_empty_and_a_sum_cannot_be(document: dict[str, Any]) -> None:
    del _entry(document, "sales.hit_rate")["empty_reason"]
    with pytest.raises(CatalogError, match="'sales.hit_rate', field 'empty_reason': a ratio says why"):
        parse_catalog(document)
    _entry(document, "sales.hit_rate")["empty_reason"] = "no quoted opportunities won or lost in period"
    _entry(document, "sales.revenue")["empty_reason"] = "no orders"
    with pytest.raises(CatalogError, match="'sales.revenue', field 'empty_reason': a sum over nothing is 0"):
        parse_catalog(document)


def test_how_each_kpi_rolls_up_is_read_from_the_catalog(catalog: Catalog) -> None:
    # kpis.md: counts and sums add up; medians carry the count they were taken over; turnover and
    # sick absence have no sample; the two 90-day rates are provisional for 90 days.
    assert catalog.kpi("sales.revenue").aggregation == "sum"
    assert catalog.kpi("sales.sales_cycle_days").aggregation == "median"
    assert catalog.kpi("sales.sales_cycle_days").sample == "measure"
    assert catalog.kpi("sales.hit_rate").sample == "population"
    assert {kpi.id for kpi in catalog.kpis if kpi.sample == "none"} == {
        "hr.employee_turnover",
        "hr.sick_absence_rate",
    }
    assert {kpi.id: kpi.provisional_days for kpi in catalog.kpis if kpi.provisional_days} == {
        "marketing.lead_to_customer_rate": 90,
        "hr.early_attrition_rate": 90,
    }
    assert {kpi.id for kpi in catalog.kpis if kpi.computed_over_people} == {
        "hr.employee_turnover",
        "hr.sick_absence_rate",
        "hr.employee_satisfaction",
        "hr.enps",
        "hr.early_attrition_rate",
    }


def test_every_kpi_states_the_range_its_values_are_checked_against(catalog: Catalog) -> None:
    # kpis.md: ratios are fractions, NPS runs from -100 to 100, satisfaction is a mean of 1-5
    # answers; counts, sums, durations and money are not negative.
    ranges = {kpi.id: (kpi.value_min, kpi.value_max, kpi.range_breach) for kpi in catalog.kpis}
    assert ranges["cs.nps"] == ranges["hr.enps"] == (-100, 100, "error")
    assert ranges["hr.employee_satisfaction"] == (1, 5, "error")
    assert ranges["sales.revenue_vs_budget"] == (0, None, "error")
    assert ranges["production.oee"] == ranges["production.oee_performance"] == (0, 1, "warning")
    other_ratios = {kpi.id for kpi in catalog.kpis if kpi.unit == "ratio"} - {
        "sales.revenue_vs_budget", "production.oee", "production.oee_performance",
    }  # fmt: skip
    assert {ranges[kpi_id] for kpi_id in other_ratios} == {(0, 1, "error")}
    assert {ranges[kpi.id] for kpi in catalog.kpis if kpi.unit not in ("ratio", "nps", "score")} == {
        (0, None, "error")
    }


def test_a_value_range_is_required_ordered_and_an_error_or_a_warning(document: dict[str, Any]) -> None:
    entry = _entry(document, "sales.hit_rate")
    del entry["value_range"]
    with pytest.raises(CatalogError, match="'sales.hit_rate', field 'value_range': every KPI states"):
        parse_catalog(document)
    entry["value_range"] = {"min": 1, "max": 0}
    with pytest.raises(CatalogError, match="min 1 is above max 0"):
        parse_catalog(document)
    entry["value_range"] = {"min": 0, "max": 1, "outside": "ignore"}
    with pytest.raises(CatalogError, match="'ignore' is not one of error, warning"):
        parse_catalog(document)


def test_a_complete_breakdown_is_a_dimension_of_an_additive_kpi(document: dict[str, Any]) -> None:
    _entry(document, "sales.revenue")["complete_breakdowns"] = ["segment"]
    with pytest.raises(CatalogError, match="'segment' is not one of the KPI's dimensions"):
        parse_catalog(document)
    _entry(document, "sales.revenue")["complete_breakdowns"] = ["region"]
    _entry(document, "sales.hit_rate")["complete_breakdowns"] = ["region"]
    with pytest.raises(CatalogError, match="'sales.hit_rate', field 'complete_breakdowns': only an additive"):
        parse_catalog(document)


def test_the_checks_name_no_kpi_the_catalog_describes(catalog: Catalog) -> None:
    # A KPI's value range and complete breakdowns are catalog fields; the suites state rules only.
    # The two cross-KPI revenue rules are the exception: each compares two named KPIs.
    cross_kpi_rules = (
        "definitions.roas_revenue_within_sales_revenue",
        "definitions.ltv_revenue_equals_sales_revenue",
    )
    # marketing.leads is a KPI and a contract table; the freshness suite names the table.
    kpi_ids = [kpi.id for kpi in catalog.kpis if kpi.id not in TABLES_BY_KEY]
    for path in (DEFAULT_CATALOG_PATH.parent.parent / "expectations" / "suites").glob("*.yml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        parts = [("summaries", document.get("summaries"))] + [
            (expectation["id"], expectation)
            for expectation in document.get("expectations", [])
            if expectation["id"] not in cross_kpi_rules
        ]
        for name, part in parts:
            text = yaml.safe_dump(part)
            assert [kpi_id for kpi_id in kpi_ids if kpi_id in text] == [], (path.name, name)


def test_no_per_kpi_fact_is_written_outside_the_catalog(catalog: Catalog) -> None:
    # The marts, macros, checks and export read these from the catalog (dagster_project/catalog.py
    # loads it); written a second time anywhere, the two copies would drift.
    project = DEFAULT_CATALOG_PATH.parent.parent
    code = [
        path
        for folder in (
            "dbt_models/models",
            "dbt_models/macros",
            "dbt_models/tests",
            "dagster_project",
            "expectations",
        )
        for path in (project / folder).rglob("*")
        if path.suffix in (".sql", ".py") and "demo_data" not in path.parts and path.name != "catalog.py"
    ]
    people = sorted(kpi.id for kpi in catalog.kpis if kpi.computed_over_people)
    for path in code:
        text = path.read_text(encoding="utf-8")
        for key in ("aggregation", "empty_reason", "provisional_days"):
            assert f"'{key}':" not in text and f'"{key}":' not in text, (path, key)
        # A list of the people-based HR KPIs (two or more of them in one place) is the catalog's;
        # only the HR mart, which computes each of them, and the dbt test that recomputes their
        # people from staging name them.
        if path.name not in ("fct_hr_kpis.sql", "assert_hr_small_groups_are_suppressed.sql"):
            assert sum(f"'{kpi_id}'" in text or f'"{kpi_id}"' in text for kpi_id in people) < 2, path


def test_a_period_key_becomes_its_first_day(document: dict[str, Any]) -> None:
    _entry(document, "cs.contact_volume")["target"]["values"] = {
        "2025-03": 2400,
        "2025-W01": 600,
        "2025-03-04": 90,
    }
    periods = parse_catalog(document).kpi("cs.contact_volume").target.periods
    assert [(p.grain, p.period_start, p.target) for p in periods] == [
        ("day", date(2025, 3, 4), 90.0),
        ("week", date(2024, 12, 30), 600.0),
        ("month", date(2025, 3, 1), 2400.0),
    ]


# ── kpi_values against the catalog ───────────────────────────────────────────


def test_compare_kpi_ids_reports_missing_and_unknown_kpis(catalog: Catalog) -> None:
    present = [kpi_id for kpi_id in catalog.ids() if kpi_id != "cs.nps"] + ["cs.old_kpi"]
    assert compare_kpi_ids(catalog, present) == (["cs.nps"], ["cs.old_kpi"])
    assert compare_kpi_ids(catalog, catalog.ids()) == ([], [])


def test_a_catalog_owner_becomes_a_dagster_team_named_by_the_english_role():
    from dagster_project.catalog import owner_team

    assert owner_team("Salgsdirektør / Head of Sales") == "team:head-of-sales"
    assert owner_team("Kvalitetschef") == "team:kvalitetschef"
    assert owner_team("Økonomichef") == "team:oekonomichef"
