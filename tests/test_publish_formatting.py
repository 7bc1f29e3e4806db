"""Numbers, periods and sentences of the publish step, as a Danish and an English reader writes them."""

from __future__ import annotations

from datetime import date

import pytest

from dagster_project.publish.commentary import (
    commentary,
    drift_message,
    guardrail_message,
    selection_bias_message,
)
from dagster_project.publish.formatting import (
    format_number,
    format_percent,
    format_value,
    period_label,
    previous_period_label,
)


@pytest.mark.parametrize(
    ("value", "unit", "danish", "english"),
    [
        (0.275, "ratio", "27,5 %", "27.5%"),
        (0.27, "ratio", "27 %", "27%"),
        (1234567, "dkk", "1.234.567 kr.", "DKK 1,234,567"),
        (1234567.49, "dkk", "1.234.567 kr.", "DKK 1,234,567"),
        (25000, "dkk", "25.000 kr.", "DKK 25,000"),
        (1234, "count", "1.234", "1,234"),
        (12.5, "days", "12,5 dage", "12.5 days"),
        (1, "days", "1 dag", "1 day"),
        (42.25, "minutes", "42,3 minutter", "42.3 minutes"),
        (4.125, "score", "4,13", "4.13"),
        (32, "nps", "32", "32"),
        (3.2, "multiple", "3,2x", "3.2x"),
        (174.9, "per_1000", "174,9 pr. 1.000 kunder", "174.9 per 1,000 customers"),
    ],
)
def test_values_are_written_the_danish_and_the_english_way(value, unit, danish, english):
    assert format_value(value, unit, "da") == danish
    assert format_value(value, unit, "en") == english


def test_negative_numbers_keep_their_sign_and_a_rounded_zero_loses_it():
    assert format_number(-1234.5, 1, "da") == "-1.234,5"
    assert format_number(-0.04, 1, "da") == "0,0"
    assert format_percent(-0.125, "da") == "-12,5 %"


@pytest.mark.parametrize(
    ("grain", "start", "danish", "english"),
    [
        ("month", date(2026, 11, 1), "november 2026", "November 2026"),
        ("week", date(2026, 11, 16), "uge 47 2026", "week 47 2026"),
        ("day", date(2026, 11, 27), "27. november 2026", "27 November 2026"),
        # The ISO year of a week starting in December can be the next calendar year.
        ("week", date(2024, 12, 30), "uge 1 2025", "week 1 2025"),
    ],
)
def test_periods_are_named_like_dates_in_running_text(grain, start, danish, english):
    assert period_label(grain, start, "da") == danish
    assert period_label(grain, start, "en") == english


def test_the_previous_period_names_its_year_only_when_it_differs():
    assert previous_period_label("month", date(2026, 11, 1), "da") == "oktober"
    assert previous_period_label("month", date(2026, 1, 1), "da") == "december 2025"
    assert previous_period_label("week", date(2026, 1, 5), "en") == "week 1"
    assert previous_period_label("week", date(2025, 12, 29), "en") == "week 52 2025"


def test_the_spec_example_sentence_for_a_ratio_below_target_and_below_last_month():
    # 0.27 vs target 0.30: 3 points below; vs October 0.29: 2 points lower.
    arguments = {
        "unit": "ratio",
        "grain": "month",
        "period_start": date(2026, 11, 1),
        "value": 0.27,
        "target": 0.30,
        "previous_value": 0.29,
    }
    assert commentary("da", name="Hitrate", **arguments) == (
        "Hitrate 27 % i november 2026: 3 point under målet på 30 % og 2 point lavere end oktober."
    )
    assert commentary("en", name="Hit rate", **arguments) == (
        "Hit rate 27% in November 2026: 3 points below the target of 30% and 2 points lower than October."
    )


def test_money_compares_relatively_with_the_budget_and_last_month():
    # 10.5 m vs budget 10 m: +500,000 = 5 % above; vs October 10 m: 5 % higher.
    arguments = {
        "unit": "dkk",
        "grain": "month",
        "period_start": date(2026, 11, 1),
        "value": 10_500_000,
        "target": 10_000_000,
        "target_type": "budget",
        "previous_value": 10_000_000,
    }
    assert commentary("da", name="Omsætning", **arguments) == (
        "Omsætning 10.500.000 kr. i november 2026: 5 % over budgettet på 10.000.000 kr. og 5 % højere end oktober."
    )
    assert commentary("en", name="Revenue", **arguments) == (
        "Revenue DKK 10,500,000 in November 2026: 5% above the budget of DKK 10,000,000 and 5% higher than October."
    )


def test_a_value_on_its_target_and_unchanged_says_so_and_remarks_close_the_sentence():
    sentence = commentary(
        "da",
        name="Sygefravær",
        unit="ratio",
        grain="month",
        period_start=date(2026, 11, 1),
        value=0.03,
        target=0.03,
        previous_value=0.0300004,  # 0.00004 points: shows as 0,0
        is_provisional=True,
        is_complete_period=False,
        dimension_name="department",
        dimension_value="Salg",
        notes=("advarsel: Tidlig afgang steg samtidig",),
    )
    assert sentence == (
        "Sygefravær (afdeling Salg) 3 % i november 2026: på niveau med målet på 3 % og uændret fra oktober "
        "(foreløbigt tal; perioden er ikke afsluttet; advarsel: Tidlig afgang steg samtidig)."
    )


def test_a_suppressed_value_gives_the_reason_instead_of_a_number():
    arguments = {
        "unit": "ratio",
        "grain": "month",
        "period_start": date(2026, 11, 1),
        "value": None,
        "target": 0.03,
        "null_reason": "group below 5",
        "dimension_name": "department",
        "dimension_value": "Ledelse",
    }
    assert commentary("da", name="Sygefravær", **arguments) == (
        "Sygefravær (afdeling Ledelse): ingen værdi i november 2026 (gruppen er under 5 personer)."
    )
    assert commentary("en", name="Sick absence", **arguments) == (
        "Sick absence (department Ledelse): no value in November 2026 (group below 5 people)."
    )


def test_a_guardrail_sentence_says_what_moved_by_how_much_and_what_it_may_mean():
    # Response time 48 → 42 minutes: fell 6/48 = 12.5 %; reopen rate 5 % → 5.4 %: rose 0.4 points = 8 %.
    arguments = {
        "grain": "month",
        "period_start": date(2026, 11, 1),
        "dimension_name": "channel",
        "dimension_value": "email",
        "headline_unit": "minutes",
        "headline_value": 42.0,
        "headline_previous": 48.0,
        "guardrail_unit": "ratio",
        "guardrail_value": 0.054,
        "guardrail_previous": 0.05,
    }
    assert guardrail_message(
        "da", headline_name="Svartid", guardrail_name="Genåbningsrate", meaning="hurtige svar", **arguments
    ) == (
        "Kanal email: Svartid faldt 12,5 % fra 48 minutter til 42 minutter fra oktober til november 2026, "
        "mens Genåbningsrate steg 0,4 point (8 %) fra 5 % til 5,4 % og dermed gik den forkerte vej. "
        "Det kan betyde: hurtige svar."
    )
    assert guardrail_message(
        "en", headline_name="Response time", guardrail_name="Reopen rate", meaning="fast answers", **arguments
    ) == (
        "Channel email: Response time fell 12.5% from 48 minutes to 42 minutes from October to November 2026, "
        "while Reopen rate rose 0.4 points (8%) from 5% to 5.4%, the wrong way. It may mean: fast answers."
    )


def test_the_selection_bias_sentence_gives_both_rates_the_gap_and_the_counts():
    # 0.95 vs 0.65: a gap of 30 points; 120 and 1,310 tickets.
    sentence = selection_bias_message(
        "en",
        grain="month",
        period_start=date(2026, 11, 1),
        dimension_name="total",
        dimension_value="total",
        surveyed_rate=0.95,
        not_surveyed_rate=0.65,
        surveyed_tickets=120,
        not_surveyed_tickets=1310,
    )
    assert sentence == (
        "Among tickets resolved in November 2026, 95% of those sent a CSAT survey were solved at first "
        "contact against 65% of those not surveyed (a gap of 30 points; 120 and 1,310 tickets). CSAT is "
        "measured on a skewed set of customers and may look better than it is."
    )
    assert "120 og 1.310 sager" in selection_bias_message(
        "da",
        grain="month",
        period_start=date(2026, 11, 1),
        dimension_name="total",
        dimension_value="total",
        surveyed_rate=0.95,
        not_surveyed_rate=0.65,
        surveyed_tickets=120,
        not_surveyed_tickets=1310,
    )


def test_the_drift_sentence_names_both_versions():
    assert drift_message("da", kpi_name="Hitrate", old_version="aaa", new_version="bbb").startswith(
        "Definitionen af Hitrate er ændret fra denne periode (version aaa → bbb)"
    )


def test_the_sql_number_formats_write_what_the_python_ones_write():
    """The commentary is worded in DuckDB; its numbers must read as the page's and the flags' do.

    The Python formats are checked by hand above; here the SQL ones must agree with them on the
    edges: halves, rounded zeros, negative zeros, singulars, thresholds of a negligible change.
    """
    import math

    import duckdb

    from dagster_project.publish import formatting

    values = [0.0, -0.0, 1.0, -1.0, 0.5, 0.05, 0.005, 42.25, -0.04, 1234567.5, 0.275, 4.125, 999.95]
    for threshold in (0.5, 0.05, 0.005):
        values += [math.nextafter(threshold, 0), threshold, math.nextafter(threshold, 1)]
    units = [*formatting._DECIMALS, None, "unknown"]
    cases = [(v, unit, ref) for v in values for unit in units for ref in (None, 0.0, 7.3)]
    con = duckdb.connect()
    formatting.create_format_macros(con)
    con.execute("create table cases (v double, unit varchar, ref double)")
    con.executemany("insert into cases values (?, ?, ?)", cases)
    expressions = [
        *(formatting.format_value_sql("v", "unit", lang) for lang in ("da", "en")),
        *(formatting.format_difference_sql("v", "ref", "unit", lang) for lang in ("da", "en")),
        formatting.is_negligible_sql("v", "ref", "unit"),
    ]
    for v, unit, ref, *written in con.execute(
        f"select v, unit, ref, {', '.join(expressions)} from cases"
    ).fetchall():
        assert written == [
            formatting.format_value(v, unit, "da"),
            formatting.format_value(v, unit, "en"),
            formatting.format_difference(v, ref, unit, "da"),
            formatting.format_difference(v, ref, unit, "en"),
            formatting.is_negligible(v, ref, unit),
        ], (v, unit, ref)
