"""scorecard.html: one self-contained page (inline CSS, SVG and a few lines of JS; no network).

One section per function with its headline KPIs in the last complete month: value, status against
target, a 13-month trend with the target line, the guardrail warnings of the KPI, definition and
owner. Each card opens (a <details>, no script needed) its breakdowns for the month by each of its
catalog dimensions (value, target, status, the row's flags) and its weekly and daily trend where
the KPI has those grains. A list holds every flagged value of the last 13 months, newest first,
each linking to its KPI. Filters by function and owner (a few lines of script; without script
everything shows). Status is always a word and a symbol besides its colour; flagged points are
diamonds, a new definition a dashed line with a note. Danish by default; the switch (or `#en` in
the address) shows English. Every text from the data is escaped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo

import duckdb

from dagster_project.catalog import FUNCTIONS
from dagster_project.publish.formatting import (
    format_date,
    format_difference,
    format_number,
    format_value,
    is_negligible,
    month_name,
    period_label,
    previous_period_label,
)

TREND_MONTHS = 13
LOCAL_TZ = ZoneInfo("Europe/Copenhagen")
FUNCTION_LABELS = {
    "sales": ("Salg", "Sales"),
    "marketing": ("Marketing", "Marketing"),
    "hr": ("HR", "HR"),
    "production": ("Produktion", "Production"),
    "customer_service": ("Kundeservice", "Customer service"),
}
STATUS_LABELS = {
    "on_track": ("På sporet", "On track"),
    "at_risk": ("I risiko", "At risk"),
    "off_track": ("Uden for sporet", "Off track"),
    "no_target": ("Intet mål", "No target"),
    None: ("Ingen værdi", "No value"),
}
# A symbol beside every status word, so that colour is never the only signal.
STATUS_SYMBOLS = {"on_track": "✓", "at_risk": "!", "off_track": "✗", "no_target": "–", None: "·"}
WEEKS_SHOWN = 13
DAYS_SHOWN = 31
# A breakdown shows its largest values and every flagged one: at scale 10 a KPI has a thousand
# campaigns or products, which belong in kpi_scorecard rather than on a card.
BREAKDOWN_ROWS = 20
DATA_QUALITY_LABELS = {
    "ok": ("ok", "ok"),
    "warning": ("advarsel", "warning"),
    "error": ("fejl", "error"),
    "unknown": ("ukendt", "unknown"),
}
ROLE_LABELS = {"supporting": ("understøttende", "supporting"), "guardrail": ("vagtpost", "guardrail")}


def bilingual(da: str, en: str, tag: str = "span") -> str:
    """Both languages in the page; CSS shows the chosen one. Arguments are plain text."""
    return f'<{tag} class="da">{escape(da)}</{tag}><{tag} class="en">{escape(en)}</{tag}>'


@dataclass(frozen=True)
class TrendPoint:
    period_start: date
    value: float | None
    target: float | None
    is_flagged: bool = False
    definition_break: bool = False


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_short(day: date, lang: str) -> str:
    return f"{month_name(day.month, lang)[:3]} {day.year % 100:02d}"


def _axis_period(grain: str, day: date, lang: str) -> str:
    if grain == "month":
        return _month_short(day, lang)
    if grain == "week":
        return f"{'uge' if lang == 'da' else 'wk'} {day.isocalendar()[1]}"
    return f"{day.day}.{day.month}" if lang == "da" else f"{month_name(day.month, lang)[:3]} {day.day}"


def axis_label(number: float, unit: str | None, lang: str) -> str:
    """A value short enough for the chart's axis: millions of kroner as '9,6 mio. kr.' / 'DKK 9.6m'."""
    if unit == "dkk" and abs(number) >= 1_000_000:
        millions = format_number(number / 1_000_000, 1, lang, trim=True)
        return f"{millions} mio. kr." if lang == "da" else f"DKK {millions}m"
    short = {"days": "d", "minutes": "min", "seconds": "s", "units_per_hour": "/t" if lang == "da" else "/h"}
    if unit in short or unit == "per_1000":
        text = format_number(number, 1, lang, trim=True)
        return f"{text} {short[unit]}" if unit in short else text
    return format_value(number, unit, lang)


def trend_svg(
    points: list[TrendPoint],
    unit: str | None,
    width: int = 330,
    height: int = 120,
    *,
    grain: str = "month",
    css_class: str = "trend",
) -> str:
    """A small line chart: the values (gaps for nulls, a break at a new definition), the target dashed,
    flagged periods as red diamonds, first/middle/last period and the value range labelled."""
    left, right, top, bottom = 66, 8, 10, 22
    numbers = [p.value for p in points if p.value is not None] + [
        p.target for p in points if p.target is not None
    ]
    if not points or not numbers:
        return (
            f'<svg class="{css_class}" viewBox="0 0 {width} {height}" role="img">'
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" class="axis">'
            f"{bilingual('ingen data', 'no data', 'tspan')}</text></svg>"
        )
    low, high = min(numbers), max(numbers)
    pad = (abs(high) * 0.1 or 1.0) if high == low else (high - low) * 0.12
    low, high = low - pad, high + pad
    span_x = (width - left - right) / max(len(points) - 1, 1)

    def x(index: int) -> float:
        return round(left + index * span_x, 1)

    def y(number: float) -> float:
        return round(top + (high - number) / (high - low) * (height - top - bottom), 1)

    parts = [f'<svg class="{css_class}" viewBox="0 0 {width} {height}" role="img">']
    parts.append(
        f'<line class="frame" x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}"/>'
    )
    for number, baseline in ((high - pad, "hanging"), (low + pad, "auto")):
        label_y = y(number)
        parts.append(
            f'<text class="axis" x="{left - 4}" y="{label_y}" text-anchor="end" dominant-baseline="{baseline}">'
            f'<tspan class="da">{escape(axis_label(number, unit, "da"))}</tspan>'
            f'<tspan class="en">{escape(axis_label(number, unit, "en"))}</tspan></text>'
        )
    for index in sorted({0, len(points) // 2, len(points) - 1}):
        anchor = "start" if index == 0 else "end" if index == len(points) - 1 else "middle"
        day = points[index].period_start
        parts.append(
            f'<text class="axis" x="{x(index)}" y="{height - 6}" text-anchor="{anchor}">'
            f'<tspan class="da">{_axis_period(grain, day, "da")}</tspan>'
            f'<tspan class="en">{_axis_period(grain, day, "en")}</tspan></text>'
        )
    parts.extend(_polylines([(i, p.target) for i, p in enumerate(points)], "target", x, y, set()))
    breaks = {i for i, p in enumerate(points) if p.definition_break}
    parts.extend(_polylines([(i, p.value) for i, p in enumerate(points)], "line", x, y, breaks))
    for index, point in enumerate(points):
        if point.value is None:
            continue
        title = (
            f"{period_label(grain, point.period_start, 'da')}: {format_value(point.value, unit, 'da')} / "
            f"{period_label(grain, point.period_start, 'en')}: {format_value(point.value, unit, 'en')}"
        )
        if point.is_flagged:
            title += " · ⚠ advarsel / warning"
            # A diamond, not only a red dot: the shape tells a flag without its colour.
            cx, cy = x(index), y(point.value)
            parts.append(
                f'<path class="dot flagged" d="M{cx},{round(cy - 5, 1)} l5,5 -5,5 -5,-5z">'
                f"<title>{escape(title)}</title></path>"
            )
            continue
        css = "dot last" if index == len(points) - 1 else "dot"
        radius = 4 if index == len(points) - 1 else 2.2
        parts.append(
            f'<circle class="{css}" cx="{x(index)}" cy="{y(point.value)}" r="{radius}">'
            f"<title>{escape(title)}</title></circle>"
        )
        if point.definition_break:
            parts.append(
                f'<line class="break" x1="{x(index) - span_x / 2}" y1="{top}" '
                f'x2="{x(index) - span_x / 2}" y2="{height - bottom}"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _polylines(series, css, x, y, breaks: set[int]) -> list[str]:
    """Polylines through consecutive non-null points, split at nulls and before break indexes."""
    segments: list[list[tuple[int, float]]] = [[]]
    for index, number in series:
        if number is None or index in breaks:
            segments.append([])
        if number is not None:
            segments[-1].append((index, number))
    lines = []
    for segment in segments:
        if len(segment) == 1:
            index, number = segment[0]
            lines.append(
                f'<line class="{css}" x1="{x(index) - 3}" y1="{y(number)}" x2="{x(index) + 3}" y2="{y(number)}"/>'
            )
        elif segment:
            coordinates = " ".join(f"{x(index)},{y(number)}" for index, number in segment)
            lines.append(f'<polyline class="{css}" points="{coordinates}"/>')
    return lines


# ── Data ─────────────────────────────────────────────────────────────────────


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _break_note(points: list[TrendPoint], grain: str) -> str:
    """The definition breaks of a trend in words (the chart shows them as a dashed line)."""
    starts = [point.period_start for point in points if point.definition_break]
    if not starts:
        return ""
    da = ", ".join(period_label(grain, start, "da") for start in starts)
    en = ", ".join(period_label(grain, start, "en") for start in starts)
    text = bilingual(
        f"Ny definition fra {da} (lodret stiplet linje): tallene før og efter er ikke sammenlignelige.",
        f"New definition from {en} (vertical dashed line): the numbers before and after do not compare.",
        "p",
    )
    return f'<div class="break-note">{text}</div>'


def _status_cell(status: str | None) -> str:
    da, en = STATUS_LABELS.get(status, STATUS_LABELS[None])
    symbol = STATUS_SYMBOLS.get(status, "·")
    return f'<td class="status-{status or "none"}"><span aria-hidden="true">{symbol}</span> {bilingual(da, en)}</td>'


def _value_text(number: float | None, unit: str | None) -> str:
    if number is None:
        return "–"
    return bilingual(format_value(number, unit, "da"), format_value(number, unit, "en"))


def _warnings(row: dict) -> list[dict]:
    return [flag for flag in json.loads(row["guardrail_flags"] or "[]") if flag["severity"] == "warning"]


def _breakdown_tables(kpi: dict, rows: list[dict]) -> str:
    """One table per catalog dimension of the KPI: its values in the month, with target, status, flags."""
    dimensions = [name.strip() for name in (kpi["dimensions"] or "").split(",") if name.strip()]
    unit = kpi["unit"]
    tables = []
    for dimension in dimensions:
        cells = [row for row in rows if row["dimension_name"] == dimension]
        if not cells:
            continue
        shown = _largest_and_flagged(cells)
        body = []
        for row in shown:
            flags = "".join(
                f"<li>⚠ {bilingual(flag['message_da'], flag['message_en'])}</li>" for flag in _warnings(row)
            )
            reason = (
                f"<small>{escape(row['null_reason'])}</small>"
                if row["value"] is None and row["null_reason"]
                else ""
            )
            body.append(
                f'<tr><th scope="row">{escape(str(row["dimension_value"]))}</th>'
                f'<td class="num">{_value_text(row["value"], unit)} {reason}</td>'
                f'<td class="num">{_value_text(row["target"], unit)}</td>{_status_cell(row["status"] if row["value"] is not None else None)}'
                f"<td>{f'<ul>{flags}</ul>' if flags else ''}</td></tr>"
            )
        head = "".join(
            f'<th scope="col">{bilingual(da, en)}</th>'
            for da, en in (
                (dimension, dimension),
                ("Værdi", "Value"),
                ("Mål", "Target"),
                ("Status", "Status"),
                ("Advarsler", "Warnings"),
            )
        )
        caption = bilingual("Opdelt på " + dimension, "By " + dimension)
        if len(shown) < len(cells):
            caption += " " + bilingual(
                f"(de {len(shown)} største og de markerede af {len(cells)}; alle i kpi_scorecard)",
                f"(the {len(shown)} largest and the flagged of {len(cells)}; all in kpi_scorecard)",
                "small",
            )
        tables.append(
            f'<div class="scroll"><table class="breakdown"><caption>{caption}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        )
    return "".join(tables)


def _largest_and_flagged(cells: list[dict]) -> list[dict]:
    """The flagged cells and the largest values up to BREAKDOWN_ROWS, largest first (no value last)."""
    ordered = sorted(cells, key=lambda r: (r["value"] is None, -(r["value"] or 0), str(r["dimension_value"])))
    room = max(BREAKDOWN_ROWS - sum(bool(row["is_flagged"]) for row in ordered), 0)
    largest = {id(row) for row in [row for row in ordered if not row["is_flagged"]][:room]}
    return [row for row in ordered if row["is_flagged"] or id(row) in largest]


def _grain_trend(kpi: dict, grain: str, rows: list[dict]) -> str:
    if not rows:
        return ""
    points = [
        TrendPoint(
            row["period_start"],
            row["value"],
            row["target"],
            bool(row["is_flagged"]),
            bool(row["definition_break"]),
        )
        for row in rows
    ]
    title = {"week": ("Uger", "Weeks"), "day": ("Dage", "Days")}[grain]
    count = len(points)
    return (
        f'<figure class="grain-trend"><figcaption>{bilingual(f"{title[0]}: de seneste {count}", f"{title[1]}: the last {count}")}</figcaption>'
        f"{trend_svg(points, kpi['unit'], grain=grain, css_class='trend-' + grain)}{_break_note(points, grain)}</figure>"
    )


def _drill_down(kpi: dict, month_rows: list[dict], week_rows: list[dict], day_rows: list[dict]) -> str:
    """The card's details: breakdowns of the month, then weekly and daily trends."""
    parts = [
        _breakdown_tables(kpi, month_rows),
        _grain_trend(kpi, "week", week_rows),
        _grain_trend(kpi, "day", day_rows),
    ]
    if not any(parts):
        return ""
    return (
        f'<details class="drill"><summary>{bilingual("Opdelinger og uge-/dagsudvikling", "Breakdowns and weekly/daily trend")}</summary>'
        f"{''.join(parts)}</details>"
    )


def _flag_list(rows: list[dict], kpis: dict[str, dict], first_month: date) -> str:
    """Every flagged value since `first_month`, newest first, each linking to its KPI."""
    items = []
    for row in rows:
        kpi = kpis.get(row["kpi_id"])
        if kpi is None:
            continue
        where = (
            ""
            if row["dimension_name"] == "total"
            else f" · {escape(str(row['dimension_name']))}: {escape(str(row['dimension_value']))}"
        )
        for flag in _warnings(row):
            items.append(
                f'<li data-function="{escape(kpi["function"])}" data-owner="{escape(kpi["owner"] or "")}" '
                f'data-period="{row["period_start"].isoformat()}">'
                f'<a href="#{escape(row["kpi_id"])}">{bilingual(kpi["name_da"], kpi["name_en"])}</a> · '
                f"{bilingual(period_label(row['grain'], row['period_start'], 'da'), period_label(row['grain'], row['period_start'], 'en'))}"
                f"{where}<br>⚠ {bilingual(flag['message_da'], flag['message_en'])}</li>"
            )
    count = len(items)
    summary = bilingual(
        f"Alle advarsler siden {period_label('month', first_month, 'da')}: {count}, nyeste først",
        f"Every warning since {period_label('month', first_month, 'en')}: {count}, newest first",
    )
    body = (
        f'<ol class="flag-list">{"".join(items)}</ol>'
        if items
        else bilingual("Ingen advarsler.", "No warnings.", "p")
    )
    return (
        f'<section id="flags"><details class="drill"><summary>{summary}</summary>{body}</details></section>'
    )


def _filters(kpis: list[dict]) -> str:
    """Function and owner filters; the page's script applies them (without it, everything shows)."""

    def options(pairs) -> str:
        return "".join(
            f'<option value="{escape(value)}" data-da="{escape(da)}" data-en="{escape(en)}">{escape(da)}</option>'
            for value, da, en in pairs
        )

    functions = [("", "Alle funktioner", "All functions")] + [
        (function, *FUNCTION_LABELS[function]) for function in FUNCTIONS
    ]
    owners = sorted({k["owner"] for k in kpis if k["owner"]})
    owner_options = [("", "Alle ejere", "All owners")] + [(owner, owner, owner) for owner in owners]
    return (
        '<div class="filters">'
        f'<label>{bilingual("Funktion", "Function")} <select id="filter-function">{options(functions)}</select></label> '
        f'<label>{bilingual("Ejer", "Owner")} <select id="filter-owner">{options(owner_options)}</select></label>'
        "</div>"
    )


def _card(
    kpi: dict,
    latest: dict | None,
    trend: list[TrendPoint],
    dimension_flags: list[dict],
    drill_down: str = "",
) -> str:
    unit = kpi["unit"]
    status = latest["status"] if latest else None
    if latest is None or latest["value"] is None:
        status = None
    status_da, status_en = STATUS_LABELS.get(status, STATUS_LABELS[None])
    value_html = (
        f'<span class="da">{escape(format_value(latest["value"], unit, "da"))}</span>'
        f'<span class="en">{escape(format_value(latest["value"], unit, "en"))}</span>'
        if latest and latest["value"] is not None
        else "–"
    )
    facts = []
    if latest and latest["target"] is not None:
        word = ("Budget", "Budget") if kpi["target_type"] == "budget" else ("Mål", "Target")
        texts = []
        for lang, label in zip(("da", "en"), word, strict=True):
            text = f"{label} {format_value(latest['target'], unit, lang)}"
            if latest["value"] is not None:
                gap = latest["value"] - latest["target"]
                if not is_negligible(gap, latest["target"], unit):
                    sign = "+" if gap > 0 else "−"
                    text += f" · {sign}{format_difference(gap, latest['target'], unit, lang)}"
            texts.append(text)
        facts.append(bilingual(*texts, tag="div"))
    if latest and latest["value"] is not None and latest["previous_value"] is not None:
        change = latest["value"] - latest["previous_value"]
        texts = []
        for lang in ("da", "en"):
            before = previous_period_label("month", latest["period_start"], lang)
            if is_negligible(change, latest["previous_value"], unit):
                texts.append(f"→ {'uændret fra' if lang == 'da' else 'unchanged from'} {before}")
            else:
                arrow = "▲" if change > 0 else "▼"
                amount = format_difference(change, latest["previous_value"], unit, lang)
                texts.append(f"{arrow} {amount} {'fra' if lang == 'da' else 'from'} {before}")
        facts.append(bilingual(*texts, tag="div"))
    flags_html = ""
    if latest:
        flags = [f for f in json.loads(latest["guardrail_flags"] or "[]") if f["severity"] == "warning"]
        drift = [
            f for f in json.loads(latest["guardrail_flags"] or "[]") if f["flag_id"] == "definition_drift"
        ]
        items = [
            f'<li class="flag">{bilingual(flag["message_da"], flag["message_en"])}</li>' for flag in flags
        ] + [f'<li class="info">{bilingual(flag["message_da"], flag["message_en"])}</li>' for flag in drift]
        for row in dimension_flags[:3]:
            for flag in json.loads(row["guardrail_flags"]):
                if flag["severity"] == "warning":
                    items.append(f'<li class="flag">{bilingual(flag["message_da"], flag["message_en"])}</li>')
        if len(dimension_flags) > 3:
            more = len(dimension_flags) - 3
            items.append(
                f'<li class="flag">{bilingual(f"… og {more} markerede opdelinger mere", f"… and {more} more flagged breakdowns")}</li>'
            )
        if items:
            flags_html = f'<ul class="flags">{"".join(items)}</ul>'
    commentary = bilingual(latest["commentary_da"], latest["commentary_en"], "p") if latest else ""
    flagged_months = sum(point.is_flagged for point in trend)
    history_note = ""
    if flagged_months:
        history_note = bilingual(
            f"{flagged_months} af de seneste {len(trend)} måneder har en advarsel "
            f"({'rød rude' if flagged_months == 1 else 'røde ruder'} ◆).",
            f"{flagged_months} of the last {len(trend)} months "
            f"{'carries a warning (red diamond' if flagged_months == 1 else 'carry a warning (red diamonds'} ◆).",
            "p",
        )
    freshness = ""
    if latest and latest["data_freshness_at"] is not None:
        hours = latest["freshness_hours"]
        freshness = bilingual(
            f"Data til {format_date(latest['data_freshness_at'].astimezone(LOCAL_TZ).date(), 'da')} ({format_number(hours, 0, 'da')} timer siden)",
            f"Data up to {format_date(latest['data_freshness_at'].astimezone(LOCAL_TZ).date(), 'en')} ({format_number(hours, 0, 'en')} hours ago)",
        )
    quality = DATA_QUALITY_LABELS.get(
        latest["data_quality_status"] if latest else "unknown", ("ukendt", "unknown")
    )
    return f"""
<article class="card status-{status or "none"}" id="{escape(kpi["kpi_id"])}" data-function="{escape(kpi["function"])}" data-owner="{escape(kpi["owner"] or "")}">
  <header><h3>{bilingual(kpi["name_da"], kpi["name_en"])}</h3>
  <span class="badge"><span aria-hidden="true">{STATUS_SYMBOLS.get(status, "·")}</span> {bilingual(status_da, status_en)}</span></header>
  <div class="value">{value_html}</div>
  <div class="facts">{"".join(facts)}</div>
  {trend_svg(trend, unit)}
  <div class="legend">{bilingual("— værdi · - - mål · ◆ advarsel", "— value · - - target · ◆ warning")}</div>
  {_break_note(trend, "month")}
  {commentary}
  {history_note}
  {flags_html}
  {drill_down}
  <dl class="about">
    <dt>{bilingual("Definition", "Definition")}</dt><dd>{bilingual(kpi["definition_da"] or "", kpi["definition_en"] or "")}</dd>
    <dt>{bilingual("Ejer", "Owner")}</dt><dd>{escape(kpi["owner"] or "")}</dd>
    <dt>{bilingual("Aktualitet", "Freshness")}</dt><dd>{freshness or "–"} · {bilingual("datakvalitet " + quality[0], "data quality " + quality[1])}</dd>
  </dl>
</article>"""


def _others_table(rows: list[dict], kpis: dict[str, dict]) -> str:
    if not rows:
        return ""
    body = []
    for row in rows:
        value = (
            bilingual(
                format_value(row["value"], row["unit"], "da"), format_value(row["value"], row["unit"], "en")
            )
            if row["value"] is not None
            else "–"
        )
        role = ROLE_LABELS.get(row["kpi_role"], ("", ""))
        warning = bilingual("⚠ advarsel", "⚠ warning") if row["is_flagged"] else ""
        owner = (kpis.get(row["kpi_id"]) or {}).get("owner") or ""
        status = row["status"] if row["value"] is not None else None
        body.append(
            f'<tr id="{escape(row["kpi_id"])}" data-function="{escape(row["function"])}" data-owner="{escape(owner)}">'
            f"<td>{bilingual(row['kpi_name_da'], row['kpi_name_en'])} <small>{bilingual(*role)}</small></td>"
            f'<td class="num">{value}</td>{_status_cell(status)}'
            f'<td class="warn">{warning}</td></tr>'
        )
    return (
        f'<table class="others"><caption>{bilingual("Understøttende nøgletal og vagtposter", "Supporting KPIs and guardrails")}</caption>'
        f"{''.join(body)}</table>"
    )


def render_scorecard_html(
    con: duckdb.DuckDBPyConnection,
    *,
    scorecard: str = "kpi_scorecard",
    catalog: str = "kpi_catalog",
    computed_at: datetime,
    as_of: date,
) -> str:
    """The whole page from a scorecard table and the catalog table (in the published file or temp)."""
    latest_month = con.execute(
        f"select max(period_start) from {scorecard} where grain = 'month' and is_complete_period"
    ).fetchone()[0]
    kpis = _rows(con, f"select * from {catalog} order by catalog_order")
    sections = []
    if latest_month is None:
        sections.append(bilingual("Ingen afsluttede måneder endnu.", "No complete month yet.", "p"))
    else:
        window = [_add_months(latest_month, offset) for offset in range(1 - TREND_MONTHS, 1)]
        month_rows = _rows(
            con,
            f"""
            select * from {scorecard}
            where grain = 'month' and period_start between ? and ?
            order by kpi_id, period_start, dimension_name, dimension_value
            """,
            [window[0], latest_month],
        )
        by_kpi: dict[str, dict[date, dict]] = {}
        dimension_flags: dict[str, list[dict]] = {}
        breakdowns: dict[str, list[dict]] = {}
        for row in month_rows:
            if row["dimension_name"] == "total":
                by_kpi.setdefault(row["kpi_id"], {})[row["period_start"]] = row
            elif row["period_start"] == latest_month:
                breakdowns.setdefault(row["kpi_id"], []).append(row)
                if row["is_flagged"]:
                    dimension_flags.setdefault(row["kpi_id"], []).append(row)
        # The last weeks and days of each KPI's total, up to the as-of date.
        recent: dict[tuple[str, str], list[dict]] = {}
        for row in _rows(
            con,
            f"""
            select * from (
                select *, row_number() over (partition by kpi_id, grain order by period_start desc) as recency
                from {scorecard}
                where grain in ('week', 'day') and dimension_name = 'total' and period_start <= ?
            )
            where recency <= case grain when 'week' then {WEEKS_SHOWN} else {DAYS_SHOWN} end
            order by kpi_id, grain, period_start
            """,
            [as_of],
        ):
            recent.setdefault((row["kpi_id"], row["grain"]), []).append(row)
        flagged = _rows(
            con,
            f"""
            select * from {scorecard} where is_flagged and period_start between ? and ?
            order by period_start desc, kpi_id, grain, dimension_name, dimension_value
            """,
            [window[0], as_of],
        )
        catalog_by_id = {k["kpi_id"]: k for k in kpis}
        for function in FUNCTIONS:
            function_kpis = [k for k in kpis if k["function"] == function]
            cards = []
            for kpi in (k for k in function_kpis if k["kpi_role"] == "headline"):
                series = by_kpi.get(kpi["kpi_id"], {})
                trend = [
                    TrendPoint(
                        month,
                        series[month]["value"] if month in series else None,
                        series[month]["target"] if month in series else None,
                        bool(series[month]["is_flagged"]) if month in series else False,
                        bool(series[month]["definition_break"]) if month in series else False,
                    )
                    for month in window
                ]
                drill_down = _drill_down(
                    kpi,
                    breakdowns.get(kpi["kpi_id"], []),
                    recent.get((kpi["kpi_id"], "week"), []),
                    recent.get((kpi["kpi_id"], "day"), []),
                )
                cards.append(
                    _card(
                        kpi,
                        series.get(latest_month),
                        trend,
                        dimension_flags.get(kpi["kpi_id"], []),
                        drill_down,
                    )
                )
            others = [
                by_kpi[k["kpi_id"]][latest_month]
                for k in function_kpis
                if k["kpi_role"] != "headline" and latest_month in by_kpi.get(k["kpi_id"], {})
            ]
            label_da, label_en = FUNCTION_LABELS[function]
            sections.append(
                f'<section id="{function}" data-function="{function}"><h2>{bilingual(label_da, label_en)}</h2>'
                f'<div class="cards">{"".join(cards)}</div>{_others_table(others, catalog_by_id)}</section>'
            )
        sections.append(_flag_list(flagged, catalog_by_id, window[0]))
    period_da = period_label("month", latest_month, "da") if latest_month else "–"
    period_en = period_label("month", latest_month, "en") if latest_month else "–"
    nav = (
        " ".join(
            f'<a href="#{function}">{bilingual(*FUNCTION_LABELS[function])}</a>' for function in FUNCTIONS
        )
        + f' <a href="#flags">{bilingual("Advarsler", "Warnings")}</a>'
    )

    local_time = computed_at.astimezone(LOCAL_TZ)
    stamp_da = f"Beregnet {format_date(local_time.date(), 'da')} kl. {local_time:%H:%M} · opgjort pr. {format_date(as_of, 'da')}"
    stamp_en = f"Computed {format_date(local_time.date(), 'en')} at {local_time:%H:%M} · as of {format_date(as_of, 'en')}"
    return PAGE.format(
        title_da=escape(f"KPI-scorecard {period_da}"),
        heading=bilingual(f"KPI-scorecard · {period_da}", f"KPI scorecard · {period_en}"),
        subheading=bilingual(
            "Seneste afsluttede måned. Status mod mål: på sporet, i risiko (højst 5 % på den forkerte side af målet), uden for sporet.",
            "Last complete month. Status against target: on track, at risk (at most 5% on the wrong side of the target), off track.",
            "p",
        ),
        stamp=bilingual(stamp_da, stamp_en),
        nav=nav,
        filters=_filters(kpis),
        sections="\n".join(sections),
    )


PAGE = """<!DOCTYPE html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title_da}</title>
<style>
  :root {{ --ink:#1d2430; --muted:#5b6575; --line:#d9dee7; --bg:#f5f7fa; --card:#fff;
           --ok:#1b7f3b; --risk:#a86400; --off:#b3261e; --none:#6b7280; --accent:#1f5fbf; }}
  * {{ box-sizing:border-box; }}
  body {{ margin:0; font:14px/1.45 "DejaVu Sans", "Segoe UI", Arial, sans-serif; color:var(--ink); background:var(--bg); }}
  body[data-lang=da] .en, body[data-lang=en] .da {{ display:none; }}
  .top {{ background:#14213d; color:#fff; padding:16px 28px 12px; }}
  .top h1 {{ margin:0 0 4px; font-size:22px; }}
  .top p {{ margin:2px 0; color:#cfd6e4; }}
  .top nav a {{ color:#fff; margin-right:14px; text-decoration:none; border-bottom:1px solid #8aa0c8; }}
  .switch {{ float:right; }}
  .switch button {{ background:transparent; color:#fff; border:1px solid #8aa0c8; padding:4px 10px; cursor:pointer; font:inherit; }}
  .switch button[aria-pressed=true] {{ background:#fff; color:#14213d; }}
  main {{ padding:8px 28px 28px; }}
  section h2 {{ margin:22px 0 10px; font-size:19px; border-bottom:2px solid var(--line); padding-bottom:4px; }}
  .cards {{ display:grid; grid-template-columns:repeat(auto-fill, minmax(min(360px, 100%), 1fr)); gap:14px; }}
  .card {{ background:var(--card); border:1px solid var(--line); border-top:5px solid var(--none); border-radius:6px; padding:12px 14px; }}
  .card.status-on_track {{ border-top-color:var(--ok); }} .card.status-at_risk {{ border-top-color:var(--risk); }}
  .card.status-off_track {{ border-top-color:var(--off); }}
  .card header {{ display:flex; flex-wrap:wrap; justify-content:space-between; align-items:baseline; gap:8px; }}
  .card h3 {{ margin:0; font-size:15px; }}
  .badge {{ font-size:12px; padding:2px 8px; border-radius:10px; background:#eef0f4; color:var(--none); white-space:nowrap; }}
  .status-on_track .badge {{ background:#e3f3e8; color:var(--ok); }} .status-at_risk .badge {{ background:#fdf0dc; color:var(--risk); }}
  .status-off_track .badge {{ background:#fbe5e3; color:var(--off); }}
  .value {{ font-size:28px; font-weight:600; margin:4px 0 0; }}
  .facts {{ color:var(--muted); font-size:13px; }}
  svg.trend {{ width:100%; height:auto; margin-top:6px; }}
  svg .frame {{ stroke:var(--line); }} svg .axis {{ font-size:10px; fill:var(--muted); }}
  svg .line {{ fill:none; stroke:var(--accent); stroke-width:2; }}
  svg .target {{ fill:none; stroke:#7b8494; stroke-width:1.4; stroke-dasharray:5 4; }}
  svg .dot {{ fill:var(--accent); }} svg .dot.last {{ fill:#14213d; }} svg .dot.flagged {{ fill:var(--off); }}
  svg .break {{ stroke:var(--risk); stroke-dasharray:2 2; }}
  .legend {{ font-size:11px; color:var(--muted); }}
  .card p {{ margin:6px 0; }}
  ul.flags {{ margin:6px 0; padding:0; list-style:none; }}
  ul.flags li {{ margin:4px 0; padding:6px 8px; border-left:4px solid var(--off); background:#fdf1f0; font-size:13px; }}
  ul.flags li.info {{ border-left-color:var(--risk); background:#fdf6ea; }}
  ul.flags li.flag::before {{ content:"⚠ "; }}
  dl.about {{ margin:8px 0 0; font-size:12px; color:var(--muted); display:grid; grid-template-columns:auto 1fr; gap:2px 8px; }}
  dl.about dt {{ font-weight:600; }} dl.about dd {{ margin:0; }}
  table.others {{ margin-top:12px; border-collapse:collapse; background:var(--card); border:1px solid var(--line); min-width:520px; }}
  table.others caption {{ text-align:left; font-weight:600; padding:4px 0; }}
  table.others td {{ padding:4px 10px; border-top:1px solid var(--line); }}
  table.others td.num {{ text-align:right; font-variant-numeric:tabular-nums; }}
  td.status-on_track {{ color:var(--ok); }} td.status-at_risk {{ color:var(--risk); }} td.status-off_track {{ color:var(--off); }}
  td.warn {{ color:var(--off); }}
  a:focus-visible, summary:focus-visible, button:focus-visible, select:focus-visible {{ outline:3px solid #ffbf47; outline-offset:2px; }}
  .filters {{ margin-top:8px; }} .filters label {{ margin-right:14px; }}
  .filters select {{ font:inherit; padding:2px 4px; max-width:100%; }}
  details.drill {{ margin:8px 0; border-top:1px solid var(--line); padding-top:6px; }}
  details.drill > summary {{ cursor:pointer; color:var(--accent); font-weight:600; }}
  .scroll {{ overflow-x:auto; }}
  .cards > .card {{ min-width:0; }}  /* a wide table scrolls inside its card instead of widening the grid */
  table.breakdown td[class^=status-] {{ white-space:nowrap; }}
  table.breakdown {{ border-collapse:collapse; margin:8px 0; font-size:12px; width:100%; }}
  table.breakdown caption {{ text-align:left; font-weight:600; }}
  table.breakdown th, table.breakdown td {{ padding:3px 6px; border-top:1px solid var(--line); text-align:left; vertical-align:top; }}
  table.breakdown td.num {{ text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }}
  table.breakdown ul {{ margin:0; padding:0; list-style:none; }}
  figure.grain-trend {{ margin:8px 0; }} figure.grain-trend figcaption {{ font-weight:600; font-size:12px; }}
  svg.trend-week, svg.trend-day {{ width:100%; height:auto; }}
  .break-note {{ font-size:12px; color:var(--risk); }}
  #flags {{ margin-top:22px; }}
  ol.flag-list {{ padding-left:22px; }} ol.flag-list li {{ margin:6px 0; }}
  [hidden] {{ display:none !important; }}
  @media (max-width: 640px) {{
    .top, main {{ padding-left:12px; padding-right:12px; }}
    .switch {{ float:none; margin-bottom:8px; }}
    .cards {{ grid-template-columns:1fr; }}
    table.others {{ min-width:0; width:100%; }}
    .filters label {{ display:block; margin:4px 0; }}
  }}
</style>
</head>
<body data-lang="da">
<div class="top">
  <div class="switch" role="group" aria-label="Sprog / Language">
    <button type="button" data-set-lang="da" aria-pressed="true">Dansk</button>
    <button type="button" data-set-lang="en" aria-pressed="false">English</button>
  </div>
  <h1>{heading}</h1>
  {subheading}
  <p>{stamp}</p>
  <nav>{nav}</nav>
  {filters}
</div>
<main>
{sections}
</main>
<script>
  function setLang(lang) {{
    document.body.dataset.lang = lang;
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-set-lang]").forEach(function (button) {{
      button.setAttribute("aria-pressed", String(button.dataset.setLang === lang));
    }});
    document.querySelectorAll("option[data-" + lang + "]").forEach(function (option) {{
      option.textContent = option.dataset[lang];
    }});
  }}
  function applyFilters() {{
    var fn = document.getElementById("filter-function").value;
    var owner = document.getElementById("filter-owner").value;
    document.querySelectorAll("main [data-function]").forEach(function (element) {{
      var isSection = element.tagName === "SECTION";
      var hide = (fn && element.dataset.function !== fn) || (!isSection && owner && element.dataset.owner !== owner);
      element.hidden = Boolean(hide);
    }});
  }}
  document.querySelectorAll(".filters select").forEach(function (select) {{
    select.addEventListener("change", applyFilters);
  }});
  document.querySelectorAll("[data-set-lang]").forEach(function (button) {{
    button.addEventListener("click", function () {{ setLang(button.dataset.setLang); }});
  }});
  setLang(location.hash === "#en" ? "en" : "da");
</script>
</body>
</html>
"""
