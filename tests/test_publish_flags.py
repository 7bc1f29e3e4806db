"""Guardrail flags, the CSAT selection-bias check, definition drift and the false-alarm evaluation.

The flags are the dbt model kpi_flags (dbt_models/models/scorecard/), their sentences the export's;
each test builds a warehouse, the scorecard models on it, and publishes.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import duckdb
import pytest

from dagster_project.publish.commentary import guardrail_message
from tests.publish_fixtures import make_warehouse, publish_fixture, rebuild_and_publish, value_row
from tools.demo_data.scenarios import Scenario
from tools.flag_evaluation import evaluate_flags, format_report

CPH = ZoneInfo("Europe/Copenhagen")
AS_OF = date(2026, 12, 10)
OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)


def publish_rows(tmp_path, rows, raw=None, as_of=AS_OF, versions=None):
    result = publish_fixture(tmp_path, rows, as_of=as_of, raw=raw, versions=versions)
    return duckdb.connect(str(result.database_path), read_only=True)


def flags_of(con, kpi_id, period_start, dimension=("total", "total"), grain="month") -> list[dict]:
    text = con.execute(
        "select guardrail_flags from kpi_scorecard where kpi_id = ? and grain = ? and period_start = ? "
        "and dimension_name = ? and dimension_value = ?",
        [kpi_id, grain, period_start, *dimension],
    ).fetchone()[0]
    return json.loads(text)


def pair_rows(headline, guardrail, before, after, **options):
    """Two months of a headline and a guardrail: (October, November) values."""
    return [
        value_row(headline, OCT, before[0], **options),
        value_row(headline, NOV, after[0], **options),
        value_row(guardrail, OCT, before[1], **options),
        value_row(guardrail, NOV, after[1], **options),
    ]


def test_revenue_up_while_churn_rises_flags_both_rows_with_the_sentence(tmp_path):
    # Revenue 10,000,000 → 10,600,000 (+6 %), churn 20 % → 22 % (+10 %): both beyond 5 %.
    con = publish_rows(tmp_path, pair_rows("sales.revenue", "sales.churn_rate", (10e6, 0.20), (10.6e6, 0.22)))
    (flag,) = flags_of(con, "sales.revenue", NOV)
    assert flag["flag_id"] == "guardrail" and flag["severity"] == "warning"
    assert flag["related_kpi_id"] == "sales.churn_rate"
    assert flag["message_da"] == (
        "Omsætning steg 6 % fra 10.000.000 kr. til 10.600.000 kr. fra oktober til november 2026, mens "
        "Kundeafgang steg 2 point (10 %) fra 20 % til 22 % og dermed gik den forkerte vej. "
        "Det kan betyde: der bliver solgt til kunder, som ikke burde købe."
    )
    assert flag["message_en"].startswith("Revenue rose 6% from DKK 10,000,000 to DKK 10,600,000")
    (on_guardrail,) = flags_of(con, "sales.churn_rate", NOV)
    assert on_guardrail["related_kpi_id"] == "sales.revenue"
    assert flags_of(con, "sales.revenue", OCT) == []
    revenue = con.execute(
        "select is_flagged, commentary_da from kpi_scorecard where kpi_id = 'sales.revenue' and period_start = ?",
        [NOV],
    ).fetchone()
    assert revenue[0] is True
    assert revenue[1].endswith("(advarsel: Kundeafgang steg samtidig).")
    assert con.execute("select count(*) from kpi_flags").fetchone()[0] == 2


@pytest.mark.parametrize(
    ("before", "after", "why"),
    [
        ((10e6, 0.20), (10.5e6, 0.22), "revenue moved exactly 5 %, not more"),
        ((10e6, 0.20), (10.6e6, 0.21), "churn moved exactly 5 %, not more"),
        ((10e6, 0.0), (10.6e6, 0.22), "churn's previous value is 0: no relative change"),
        ((10e6, None), (10.6e6, 0.22), "churn's previous value is null"),
        ((10e6, 0.20), (9.4e6, 0.22), "revenue fell"),
        ((10e6, 0.20), (10.6e6, 0.18), "churn improved"),
    ],
)
def test_no_guardrail_flag_when_a_condition_is_missing(tmp_path, before, after, why):
    con = publish_rows(tmp_path, pair_rows("sales.revenue", "sales.churn_rate", before, after))
    assert con.execute("select count(*) from kpi_flags").fetchone()[0] == 0, why


def test_an_incomplete_period_is_flagged_and_its_sentence_says_the_period_is_still_running(tmp_path):
    # As of 20 November, November is the running month. Revenue 10,000,000 → 10,600,000 (+6 %),
    # churn 20 % → 22 % (+2 points, +10 %): both beyond 5 %, so kpis.md's rule ("every period")
    # flags it, and the sentence adds that November is not over yet.
    rows = pair_rows("sales.revenue", "sales.churn_rate", (10e6, 0.20), (10.6e6, 0.22))
    for row in rows:
        row["is_complete_period"] = row["period_start"] != NOV
    con = publish_rows(tmp_path, rows, as_of=date(2026, 11, 20))
    (flag,) = flags_of(con, "sales.revenue", NOV)
    assert flag["flag_id"] == "guardrail" and flag["related_kpi_id"] == "sales.churn_rate"
    assert flag["message_da"] == (
        "Omsætning steg 6 % fra 10.000.000 kr. til 10.600.000 kr. fra oktober til november 2026, mens "
        "Kundeafgang steg 2 point (10 %) fra 20 % til 22 % og dermed gik den forkerte vej. "
        "Det kan betyde: der bliver solgt til kunder, som ikke burde købe. "
        "Bemærk: november 2026 er ikke slut endnu, så tallene kan stadig ændre sig."
    )
    assert flag["message_en"].endswith(
        "Note: November 2026 is still running, so the numbers may still change."
    )
    (on_guardrail,) = flags_of(con, "sales.churn_rate", NOV)
    assert on_guardrail["message_da"] == flag["message_da"]
    assert con.execute("select count(*) from kpi_flags").fetchone()[0] == 2


def test_a_provisional_guardrail_is_flagged_and_its_sentence_names_the_provisional_value(tmp_path):
    # Leads 500 → 600 (+20 %), lead-to-customer rate 10 % → 5 % (−5 points, −50 %): both beyond
    # 5 %. As of 10 December both months' rates are provisional (October ends 31 October,
    # + 90 days = 29 January, after the as-of date), so the sentence says the rate may change.
    rows = pair_rows("marketing.leads", "marketing.lead_to_customer_rate", (500, 0.10), (600, 0.05))
    rows[2]["is_provisional"] = rows[3]["is_provisional"] = True
    con = publish_rows(tmp_path, rows)
    (flag,) = flags_of(con, "marketing.leads", NOV)
    assert flag["related_kpi_id"] == "marketing.lead_to_customer_rate"
    assert flag["message_da"] == (
        "Leads genereret steg 20 % fra 500 til 600 fra oktober til november 2026, mens "
        "Konvertering lead→kunde faldt 5 point (50 %) fra 10 % til 5 % og dermed gik den forkerte vej. "
        "Det kan betyde: mængde frem for kvalitet. "
        "Bemærk: Konvertering lead→kunde er et foreløbigt tal, så tallene kan stadig ændre sig."
    )
    assert flag["message_en"].endswith(
        "Note: Lead-to-customer rate is provisional, so the numbers may still change."
    )
    assert len(flags_of(con, "marketing.lead_to_customer_rate", NOV)) == 1


def test_a_flag_on_a_running_period_and_a_provisional_value_says_both():
    caveats = {
        lang: guardrail_message(
            lang,
            grain="month",
            period_start=NOV,
            dimension_name="total",
            dimension_value="total",
            headline_name=headline,
            headline_unit="days",
            headline_value=20.0,
            headline_previous=25.0,
            guardrail_name=guardrail,
            guardrail_unit="ratio",
            guardrail_value=0.12,
            guardrail_previous=0.10,
            meaning="…",
            is_complete_period=False,
            provisional_names=[guardrail],
        )
        for lang, headline, guardrail in (
            ("da", "Tid til ansættelse", "Tidlig afgang"),
            ("en", "Time to hire", "Early attrition"),
        )
    }
    assert caveats["da"].endswith(
        "Det kan betyde: …. Bemærk: november 2026 er ikke slut endnu, og Tidlig afgang er et foreløbigt "
        "tal, så tallene kan stadig ændre sig."
    )
    assert caveats["en"].endswith(
        "It may mean: …. Note: November 2026 is still running, and Early attrition is provisional, so the "
        "numbers may still change."
    )


def test_a_falling_headline_is_what_the_split_ticket_pair_watches(tmp_path):
    # Contact volume 1000 → 900 (-10 %, its 'falling' move), split share 2 % → 3 % (+50 %).
    con = publish_rows(
        tmp_path, pair_rows("cs.contact_volume", "cs.split_ticket_share", (1000, 0.02), (900, 0.03))
    )
    (flag,) = flags_of(con, "cs.contact_volume", NOV)
    assert flag["related_kpi_id"] == "cs.split_ticket_share"
    assert "Antal henvendelser faldt 10 %" in flag["message_da"]


def test_a_pair_is_checked_on_a_shared_dimension_but_not_on_another(tmp_path):
    email = ("channel", "email")
    rows = pair_rows(
        "cs.first_response_minutes", "cs.reopen_rate", (60.0, 0.05), (40.0, 0.07), dimension=email
    )
    # Revenue by region has no churn counterpart (churn has only segment): never compared.
    rows += pair_rows(
        "sales.revenue", "sales.churn_rate", (1e6, 0.2), (2e6, 0.4), dimension=("region", "Nord")
    )
    con = publish_rows(tmp_path, rows)
    (flag,) = flags_of(con, "cs.first_response_minutes", NOV, email)
    assert flag["message_en"].startswith(
        "Channel email: Response time fell 33.3% from 60 minutes to 40 minutes"
    )
    assert flags_of(con, "sales.revenue", NOV, ("region", "Nord")) == []


def _ticket(ticket_id, resolved_at, fcr, file_id=1, channel="email"):
    return {
        "ticket_id": ticket_id,
        "channel": channel,
        "category": "billing",
        "created_at": resolved_at,
        "resolved_at": resolved_at,
        "contacts_count": 1 if fcr else 2,
        "reopened_count": 0,
        "_file_id": file_id,
    }


def selection_bias_raw(surveyed_fcr: int, surveyed_other: int, others_fcr: int, others_other: int):
    resolved = datetime(2026, 11, 12, 10, 0, tzinfo=CPH)
    tickets, surveys = [], []
    for index in range(surveyed_fcr + surveyed_other):
        tickets.append(_ticket(f"S{index}", resolved, fcr=index < surveyed_fcr))
        surveys.append({"ticket_id": f"S{index}", "surveyed_at": resolved, "score": 5})
    for index in range(others_fcr + others_other):
        tickets.append(_ticket(f"N{index}", resolved, fcr=index < others_fcr))
    # An older version of S0 (not first contact) is replaced by the one above in a later file.
    tickets.insert(0, {**_ticket("S0", resolved, fcr=False), "_file_id": 0})
    # Resolved 30 November 23:30 UTC = 1 December 00:30 in Copenhagen: not a November ticket.
    tickets.append(_ticket("LATE", datetime(2026, 11, 30, 23, 30, tzinfo=ZoneInfo("UTC")), fcr=False))
    return {"helpdesk__tickets": tickets, "helpdesk__csat_surveys": surveys}


def test_csat_selection_bias_is_flagged_above_fifteen_points_with_thirty_tickets_a_side(tmp_path):
    # Surveyed: 27 of 30 first-contact resolutions = 90 %; not surveyed: 28 of 40 = 70 %; gap 20 points.
    rows = [
        value_row("cs.csat", NOV, 0.9, numerator=27, denominator=30),
        value_row("cs.csat", NOV, 0.9, numerator=27, denominator=30, dimension=("channel", "email")),
    ]
    con = publish_rows(tmp_path, rows, raw=selection_bias_raw(27, 3, 28, 12))
    (flag,) = flags_of(con, "cs.csat", NOV)
    assert flag["flag_id"] == "csat_selection_bias"
    assert flag["related_kpi_id"] == "cs.first_contact_resolution"
    assert flag["message_da"] == (
        "Blandt sager løst i november 2026 blev 90 % af sagerne med en tilfredshedsmåling løst ved første "
        "kontakt, mod 70 % af sagerne uden (20 point forskel; 30 og 40 sager). CSAT måles dermed på en "
        "skæv del af kunderne og kan se for godt ud."
    )
    (by_channel,) = flags_of(con, "cs.csat", NOV, ("channel", "email"))
    assert by_channel["message_en"].startswith("Among tickets resolved in November 2026 (channel email), 90%")


@pytest.mark.parametrize(
    ("counts", "why"),
    [
        ((26, 3, 28, 12), "29 surveyed tickets: below 30 a side"),
        ((25, 5, 28, 12), "83.3 % vs 70 %: a gap of 13.3 points"),
        ((17, 3, 28, 12), "20 surveyed tickets"),
    ],
)
def test_no_selection_bias_flag_below_the_gap_or_the_ticket_count(tmp_path, counts, why):
    con = publish_rows(tmp_path, [value_row("cs.csat", NOV, 0.9)], raw=selection_bias_raw(*counts))
    assert flags_of(con, "cs.csat", NOV) == [], why


def test_a_new_definition_version_marks_the_break_on_its_first_period(tmp_path):
    rows = [value_row("sales.hit_rate", month, 0.3) for month in (date(2026, 9, 1), OCT, NOV)]
    rows.append(value_row("sales.hit_rate", date(2026, 11, 23), 0.3, grain="week"))
    warehouse = make_warehouse(
        tmp_path / "warehouse.duckdb", rows, versions={"sales.hit_rate": "v1"}, as_of=date(2026, 10, 15)
    )
    out = tmp_path / "published"
    rebuild_and_publish(warehouse, out, as_of=date(2026, 10, 15), versions={"sales.hit_rate": "v1"})
    rebuild_and_publish(warehouse, out, as_of=date(2026, 11, 27), versions={"sales.hit_rate": "v2"})
    # A third run with the same version adds no history and keeps the mark.
    rebuild_and_publish(warehouse, out, as_of=date(2026, 11, 28), versions={"sales.hit_rate": "v2"})
    with duckdb.connect(str(warehouse), read_only=True) as con:
        history = con.execute(
            "select definition_version, first_as_of from main.kpi_definition_history "
            "where kpi_id = 'sales.hit_rate' order by first_computed_at"
        ).fetchall()
    assert history == [("v1", date(2026, 10, 15)), ("v2", date(2026, 11, 27))]
    with duckdb.connect(str(out / "kpis.duckdb"), read_only=True) as reader:
        marks = reader.execute(
            "select grain, period_start, definition_break, is_flagged, definition_version from kpi_scorecard "
            "where kpi_id = 'sales.hit_rate' order by grain, period_start"
        ).fetchall()
        assert marks == [
            ("month", date(2026, 9, 1), False, False, "v2"),
            ("month", OCT, False, False, "v2"),
            ("month", NOV, True, False, "v2"),  # 27 November falls in November
            ("week", date(2026, 11, 23), True, False, "v2"),  # ... and in the week of 23 November
        ]
        (flag,) = flags_of(reader, "sales.hit_rate", NOV)
        assert flag["flag_id"] == "definition_drift" and flag["severity"] == "info"
        assert "(version v1 → v2)" in flag["message_da"]
        commentary = reader.execute(
            "select commentary_da from kpi_scorecard where kpi_id = 'sales.hit_rate' and grain = 'month' "
            "and period_start = ?",
            [NOV],
        ).fetchone()[0]
        assert commentary.endswith("(ny definition fra denne periode).")
        assert reader.execute("select count(*) from kpi_definition_history").fetchone()[0] == 2


def _scenario(scenario_id, first, last):
    return Scenario(
        scenario_id=scenario_id,
        check="guardrail",
        headline_kpi_ids=("sales.revenue",),
        guardrail_kpi_ids=("sales.churn_rate",),
        grain="month",
        dimension_name="total",
        dimension_value="total",
        first_month=first,
        last_month=last,
        injected_in="region=Hovedstaden",
        summary="",
    )


def test_the_false_alarm_rate_counts_flags_outside_the_scenarios(tmp_path):
    # Revenue/churn: Mar 100/20 %, Apr 100/20 %, May 110/25 % (flag), Jun 110/25 %, Jul 120/30 % (flag).
    series = {
        date(2026, 3, 1): (100, 0.20),
        date(2026, 4, 1): (100, 0.20),
        date(2026, 5, 1): (110, 0.25),
        date(2026, 6, 1): (110, 0.25),
        date(2026, 7, 1): (120, 0.30),
    }
    rows = []
    for month, (revenue, churn) in series.items():
        rows += [value_row("sales.revenue", month, revenue), value_row("sales.churn_rate", month, churn)]
    # The running August (as of 15 August), unchanged from July: compared, so checked, not flagged.
    rows += [
        value_row("sales.revenue", date(2026, 8, 1), 120, is_complete_period=False),
        value_row("sales.churn_rate", date(2026, 8, 1), 0.30, is_complete_period=False),
    ]
    con = publish_rows(tmp_path, rows, as_of=date(2026, 8, 15))
    evaluation = evaluate_flags(con, [_scenario("push", date(2026, 5, 1), date(2026, 6, 1))])
    (result,) = evaluation.scenarios
    assert result.detected
    # Checked: 6 months (August included) x 2 KPIs = 12 rows; May and June of both are the
    # scenario's: 8 outside.
    assert evaluation.checked_rows == 12
    assert evaluation.checked_rows_outside_scenarios == 8
    assert evaluation.flagged_rows == 4
    assert evaluation.unexplained_flagged_rows == (
        ("sales.churn_rate", "month", date(2026, 7, 1), "total", "total"),
        ("sales.revenue", "month", date(2026, 7, 1), "total", "total"),
    )
    assert evaluation.false_alarm_rate == pytest.approx(2 / 8)
    assert evaluation.share_of_flags_outside_scenarios == pytest.approx(0.5)
    assert evaluation.false_alarm_rate_by_grain() == {"month": pytest.approx(2 / 8)}
    assert "push" in format_report(evaluation)


def test_a_scenario_without_its_flag_is_reported_missed(tmp_path):
    con = publish_rows(tmp_path, [value_row("sales.revenue", OCT, 100), value_row("sales.revenue", NOV, 100)])
    evaluation = evaluate_flags(con, [_scenario("quiet", NOV, NOV)])
    assert not evaluation.all_detected
    assert evaluation.scenarios[0].missing == (
        (("sales.revenue", "month", NOV, "total", "total"), "guardrail", "sales.churn_rate"),
    )


def split_rows(volume, split_share_counts):
    """Contact volume (count) and split-ticket share (counted ratio) for October and November."""
    (volume_before, volume_after), ((split_before, tickets_before), (split_after, tickets_after)) = (
        volume,
        split_share_counts,
    )
    return [
        value_row("cs.contact_volume", OCT, volume_before),
        value_row("cs.contact_volume", NOV, volume_after),
        value_row(
            "cs.split_ticket_share",
            OCT,
            split_before / tickets_before,
            numerator=split_before,
            denominator=tickets_before,
        ),
        value_row(
            "cs.split_ticket_share",
            NOV,
            split_after / tickets_after,
            numerator=split_after,
            denominator=tickets_after,
        ),
    ]


def test_a_move_within_sampling_noise_is_not_flagged(tmp_path):
    # Split tickets 5 of 180 → 6 of 180: +20 % (beyond 5 %), but pooled p = 11/360 = 0.03056,
    # se = sqrt(0.03056 * 0.96944 * (1/180 + 1/180)) = 0.01814, z = (1/180) / 0.01814 = 0.31 < 1.
    con = publish_rows(tmp_path, split_rows((1000, 900), ((5, 180), (6, 180))))
    assert con.execute("select count(*) from kpi_flags").fetchone()[0] == 0


def test_the_same_relative_move_on_more_tickets_is_flagged(tmp_path):
    # 100 of 3600 → 120 of 3600: pooled p = 220/7200 = 0.030556,
    # se = sqrt(0.030556 * 0.969444 * 2/3600) = 0.0040567, z = (20/3600) / 0.0040567 = 1.37 ≥ 1;
    # contact volume 1000 → 900: Poisson z = 100 / sqrt(1900) = 2.29 ≥ 1.
    con = publish_rows(tmp_path, split_rows((1000, 900), ((100, 3600), (120, 3600))))
    (flag,) = flags_of(con, "cs.contact_volume", NOV)
    assert flag["related_kpi_id"] == "cs.split_ticket_share"


def test_a_small_count_moving_by_chance_is_not_flagged(tmp_path):
    # Contact volume 100 → 90: Poisson z = 10 / sqrt(190) = 0.73 < 1, however much splitting rose.
    con = publish_rows(tmp_path, split_rows((100, 90), ((100, 3600), (200, 3600))))
    assert con.execute("select count(*) from kpi_flags").fetchone()[0] == 0
