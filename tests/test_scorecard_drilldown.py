"""scorecard.html's drill-down, flag list, filters and narrow layout, on a page the publish step writes.

The warehouse is the synthetic one (tests/publish_fixtures/synthetic.py) plus, written here: weekly
and daily totals of sales.revenue, a campaign whose name holds markup, and a new definition of
cs.csat recorded in October 2026 (published on 20 October, so October is its first period).
Checked in headless Chromium too (tests/test_publish_html.py's helpers); the desktop and narrow
screenshots stay in tests/artifacts/.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date, timedelta
from html import escape, unescape
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from dagster_project.catalog import load_catalog
from dagster_project.publish.formatting import format_value, period_label
from dagster_project.publish.html import _largest_and_flagged
from tests.bi_clients import environments
from tests.publish_fixtures import rebuild_and_publish, value_row, write_kpi_values
from tests.publish_fixtures.synthetic import AS_OF, REGIONS, budget, kpi_value_rows, make_synthetic_warehouse
from tests.test_publish_html import ARTIFACTS, browser, png_size, run_browser, screenshot  # noqa: F401

CPH = ZoneInfo("Europe/Copenhagen")
OCTOBER = date(2026, 10, 1)
EVIL_CAMPAIGN = "<script>alert('x')</script> & co"
REVENUE_WEEKS = [date(2026, 11, 23) - timedelta(weeks=n) for n in range(20)]  # Mondays, newest first
REVENUE_DAYS = [AS_OF - timedelta(days=n) for n in range(45)]


def _extra_rows() -> list[dict]:
    weeks = [
        value_row("sales.revenue", start, 700_000.0 + i, grain="week")
        for i, start in enumerate(REVENUE_WEEKS)
    ]
    days = [
        value_row("sales.revenue", start, 100_000.0 + i, grain="day") for i, start in enumerate(REVENUE_DAYS)
    ]
    evil = [value_row("marketing.roas", OCTOBER, 2.5, dimension=("campaign", EVIL_CAMPAIGN))]
    return weeks + days + evil


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> tuple[str, Path, Path]:
    folder = tmp_path_factory.mktemp("drill")
    warehouse = make_synthetic_warehouse(folder / "warehouse.duckdb", build=False)
    catalog = load_catalog()
    out = folder / "published"
    with duckdb.connect(str(warehouse)) as con:
        write_kpi_values(con, kpi_value_rows(catalog) + _extra_rows(), AS_OF)
    # cs.csat's definition changes between the runs of 10 and 20 October.
    versions = {kpi.id: "v1" for kpi in catalog.kpis}
    rebuild_and_publish(warehouse, out, as_of=date(2026, 10, 10), versions=versions, run_id="v1")
    rebuild_and_publish(
        warehouse, out, as_of=date(2026, 10, 20), versions={**versions, "cs.csat": "v2"}, run_id="v2"
    )
    result = rebuild_and_publish(warehouse, out, as_of=AS_OF, run_id="now")
    return result.html_path.read_text(encoding="utf-8"), result.html_path, result.database_path


def _card(page: str, kpi_id: str) -> str:
    found = re.search(rf'<article class="card[^"]*" id="{re.escape(kpi_id)}".*?</article>', page, re.S)
    assert found, kpi_id
    return found.group(0)


def _status(value: float, target: float, higher_is_better: bool) -> str:
    """kpis.md's rule, by hand: on the right side of the target, or within 5 % of it on the wrong side."""
    wrong_by = (target - value) if higher_is_better else (value - target)
    if wrong_by <= 0:
        return "På sporet"
    return "I risiko" if wrong_by <= 0.05 * abs(target) else "Uden for sporet"


def test_a_card_opens_its_breakdowns_of_the_month_with_value_target_and_status(published):
    page, _, database = published
    card = _card(page, "sales.revenue")
    assert '<details class="drill">' in card
    with duckdb.connect(str(database), read_only=True) as con:
        values = dict(
            con.execute(
                "select dimension_value, value from kpi_scorecard where kpi_id = 'sales.revenue' "
                "and grain = 'month' and period_start = ? and dimension_name = 'region'",
                [OCTOBER],
            ).fetchall()
        )
    table = re.search(
        r'<table class="breakdown"><caption><span class="da">Opdelt på region</span>.*?</table>', card, re.S
    )
    assert table, "no breakdown by region"
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", table.group(0), re.S)
    assert [name for name, _ in rows] == sorted(REGIONS, key=lambda region: -values[region])  # largest first
    target = budget(OCTOBER)  # the revenue budget of one region in October
    for name, cells in rows:
        assert format_value(values[name], "dkk", "da") in cells
        assert format_value(target, "dkk", "da") in cells
        assert f'<span class="da">{_status(values[name], target, True)}</span>' in cells
    # Every catalog dimension of the KPI that has rows gets its table (the synthetic data fills the first).
    assert card.count('<table class="breakdown">') == 1


def test_a_long_breakdown_keeps_its_20_largest_values_and_every_flagged_one():
    cells = [{"dimension_value": f"CMP{n:04d}", "value": float(n), "is_flagged": False} for n in range(1, 31)]
    cells[0]["is_flagged"] = True  # the smallest value, CMP0001, carries a warning
    cells.append({"dimension_value": "CMP9999", "value": None, "is_flagged": False})
    shown = _largest_and_flagged(cells)
    # 19 largest (30 down to 12) and the flagged CMP0001: 20 rows, largest first.
    assert [row["dimension_value"] for row in shown] == [f"CMP{n:04d}" for n in range(30, 11, -1)] + [
        "CMP0001"
    ]


def test_weekly_and_daily_trends_show_where_the_kpi_has_those_grains(published):
    page, _, _ = published
    card = _card(page, "sales.revenue")
    week = re.search(r'<svg class="trend-week".*?</svg>', card, re.S).group(0)
    day = re.search(r'<svg class="trend-day".*?</svg>', card, re.S).group(0)
    assert week.count("<title>") == 13 and day.count("<title>") == 31
    # The newest week and day shown are the last ones up to the as-of date.
    assert period_label("week", REVENUE_WEEKS[0], "en") in week
    assert period_label("day", AS_OF, "en") in day and period_label("day", REVENUE_DAYS[31], "en") not in day
    # A KPI published at month grain only (sales.hit_rate) has no weekly or daily chart.
    assert "trend-week" not in _card(page, "sales.hit_rate") and "trend-day" not in _card(
        page, "sales.hit_rate"
    )


def test_the_flag_list_holds_every_warning_of_13_months_newest_first_linking_to_its_kpi(published):
    page, _, database = published
    section = re.search(r'<section id="flags">.*?</section>', page, re.S).group(0)
    items = re.findall(r"<li data-function=.*?</li>", section, re.S)
    with duckdb.connect(str(database), read_only=True) as con:
        expected = con.execute(
            "select count(*) from kpi_flags where severity = 'warning' and period_start between ? and ?",
            [date(2025, 10, 1), AS_OF],
        ).fetchone()[0]
    assert len(items) == expected > 0
    ids = set(re.findall(r' id="([^"]+)"', page))
    starts = [re.search(r'data-period="([\d-]+)"', item).group(1) for item in items]
    for item in items:
        (target,) = re.findall(r'<a href="#([^"]+)">', item)
        assert target in ids, f"{target} has no anchor on the page"
        assert "⚠ " in item and 'class="da"' in item  # the sentence, in both languages
    # Newest first: May 2026's revenue push comes after October's shallow e-mail answers.
    assert section.index("October 2026</span> · channel: email") < section.index(">maj 2026</span>")
    assert starts == sorted(starts, reverse=True)


def test_a_definition_break_is_shown_on_the_trend_line_and_said_in_words(published):
    page, _, _ = published
    card = _card(page, "cs.csat")
    assert '<line class="break"' in re.search(r'<svg class="trend".*?</svg>', card, re.S).group(0)
    assert "Ny definition fra oktober 2026" in card and "New definition from October 2026" in card
    assert '<line class="break"' not in _card(page, "cs.nps")


def test_every_text_from_the_data_is_escaped(published):
    page, _, _ = published
    assert EVIL_CAMPAIGN not in page and "<script>alert" not in page
    assert escape(EVIL_CAMPAIGN) in _card(page, "marketing.roas")
    assert page.count("<script>") == 1  # the page's own


def test_status_is_never_colour_alone_and_the_filters_list_functions_and_owners(published):
    page, _, _ = published
    for card in re.findall(r'<article class="card.*?</article>', page, re.S):
        badge = re.search(r'<span class="badge">(.*?)</span></header>', card, re.S).group(1)
        assert re.search(r'aria-hidden="true">[✓!✗–·]</span> <span class="da">\w', badge)
    owners = {kpi.owner for kpi in load_catalog().kpis}
    select = re.search(r'<select id="filter-owner">(.*?)</select>', page, re.S).group(1)
    assert {unescape(v) for v in re.findall(r'<option value="([^"]+)"', select)} == owners
    assert re.search(r'<select id="filter-function">', page)


def _opened(page_path: Path, target: Path) -> Path:
    """A copy of the page with every drill-down open, for the screenshots."""
    target.write_text(
        page_path.read_text(encoding="utf-8").replace(
            '<details class="drill">', '<details class="drill" open>'
        )
    )
    return target


def test_the_drill_down_renders_in_chromium_at_desktop_and_phone_width(browser, published, tmp_path):  # noqa: F811
    _, page_path, _ = published
    opened = _opened(page_path, tmp_path / "scorecard_open.html")
    desktop = screenshot(
        browser, opened.as_uri(), ARTIFACTS / "scorecard_drilldown_desktop.png", tmp_path / "p", "1400,2400"
    )
    narrow = screenshot(
        browser, opened.as_uri(), ARTIFACTS / "scorecard_drilldown_narrow.png", tmp_path / "p", "390,2400"
    )
    assert png_size(desktop) == (1400, 2400) and png_size(narrow) == (390, 2400)
    assert narrow.stat().st_size > 30_000
    # The script runs offline: the language switch relabels the filters' options.
    dom = run_browser(browser, tmp_path / "p", "--dump-dom", page_path.as_uri() + "#en").stdout
    assert ">All functions</option>" in dom and ">All owners</option>" in dom


@pytest.fixture(scope="module")
def playwright() -> Path:
    if not shutil.which("node"):
        pytest.skip("Node is not installed (tests/test_bi_clients.py installs it where it can)")
    try:
        return environments.browser_dir()
    except environments.EnvironmentError_ as error:
        pytest.fail(str(error))


def test_the_page_works_with_the_keyboard_alone_and_its_filters_hide_what_they_should(
    browser,  # noqa: F811
    playwright,
    published,
):
    _, page_path, _ = published
    done = subprocess.run(
        ["node", str(playwright / "keyboard.cjs"), page_path.as_uri(), browser],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "error" not in report, report.get("error")
    assert report["requests"] == []  # nothing leaves the file
    assert report["pageWidth"] <= 390  # a phone-width screen does not scroll sideways
    # Tab reaches the first card's drill-down (after the switch, the menu and the filters); Enter opens it.
    assert report["focusedCard"] == "sales.revenue"
    assert report["focusVisible"] and report["openedWithEnter"]
    assert report["functionChosen"] == "hr"
    assert report["visibleSections"] == ["hr"] and report["visibleFlags"] in ([], ["hr"])
    owner_kpis = {kpi.function for kpi in load_catalog().kpis if kpi.owner == report["owner"]}
    assert owner_kpis and report["visibleCardOwners"] in ([report["owner"]], [])
    assert report["hashAfterEnter"] == report["linkTarget"]
