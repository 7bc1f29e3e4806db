"""Export habits of each source system, and the few files that deviate from them.

All of it is allowed by the contract (timestamp styles, BOM, header case and
padding, column order, CRLF, extra columns, gzip, Parquet), so the ingest is
exercised without any file being rejected.
"""

from __future__ import annotations

from dagster_project.ingest.contract import TABLES_BY_KEY
from tools.demo_data.rand import rng_for
from tools.demo_data.writer import FileStyle

# Timestamp style per source system; the helpdesk system is upgraded mid-window.
_SOURCE_TS = {
    "crm": "local_space",
    "web": "utc_z_ms",
    "marketing": "offset_colon",
    "mes": "local_t",
    "helpdesk": "offset_compact",
    "hr": "local_space",
    "finance": "local_space",
}
_BOOL_STYLES = ("true_false", "yes_no", "one_zero")
GZIP_LAST_MONTHS = 6  # the web team compresses its exports from then on


def style_for(seed: int, table_key: str, label: str, month: int | None, n_months: int) -> FileStyle:
    """The style of one extract; `month` is the window month index, None for snapshots."""
    table = TABLES_BY_KEY[table_key]
    source = table.source
    rng = rng_for(seed, "style", table_key, label)
    names = [c.name for c in table.columns]
    later_half = month is not None and month >= n_months // 2

    ts_style = _SOURCE_TS[source]
    if source == "helpdesk" and later_half:
        ts_style = "utc_z"
    if table_key == "crm.orders" and month is not None and month % 5 == 3:
        ts_style = "local_t"

    fmt = "csv"
    if table_key == "marketing.social_posts":
        fmt = "parquet"
    elif table_key == "web.sessions" and month is not None and month >= n_months - GZIP_LAST_MONTHS:
        fmt = "csv.gz"

    order = None
    if table_key == "hr.absences":
        order = tuple(reversed(names))
    elif (table_key == "crm.order_lines" and later_half) or rng.random() < 0.03:
        order = tuple(rng.permutation(names).tolist())

    return FileStyle(
        fmt=fmt,
        ts_style=ts_style,
        bool_style=_BOOL_STYLES[int(rng.integers(len(_BOOL_STYLES)))],
        bom=source == "hr" or rng.random() < 0.03,
        crlf=source in ("hr", "finance"),
        upper_header=table_key in ("finance.budgets", "mes.machines") or rng.random() < 0.02,
        padded_header=table_key == "finance.budgets",
        column_order=order,
        extra_columns=(("currency", "DKK"),) if table_key == "crm.orders" and later_half else (),
    )
