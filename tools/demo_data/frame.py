"""Typed column batches (numpy) and their rendering as text or Arrow for the extract files.

A frame maps column names to values. Contract `str` columns are `Ids`
(integers rendered with a prefix and zero padding) or `Cats` (codes into a
tuple of labels); `int`, `ts` (UTC ms) and `date` (day numbers) are int64 with
`NULL` for missing, `dec` is float64 with NaN, `bool` is int8 with -1. Keys
starting with `_` are helper columns that are never written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tools.demo_data.timeutil import NULL, unambiguous, utc_offset_ms


@dataclass(frozen=True)
class Ids:
    prefix: str
    width: int
    values: np.ndarray  # int64, NULL = missing


@dataclass(frozen=True)
class Cats:
    labels: tuple[str, ...]
    codes: np.ndarray  # int64, -1 = missing


Column = np.ndarray | Ids | Cats
Frame = dict[str, Column]


def cats(labels: tuple[str, ...], codes: np.ndarray) -> Cats:
    return Cats(labels, np.asarray(codes, dtype=np.int64))


def ids(prefix: str, width: int, values: np.ndarray) -> Ids:
    return Ids(prefix, width, np.asarray(values, dtype=np.int64))


def raw(column: Column) -> np.ndarray:
    if isinstance(column, Ids):
        return column.values
    if isinstance(column, Cats):
        return column.codes
    return column


def with_raw(column: Column, values: np.ndarray) -> Column:
    if isinstance(column, Ids):
        return replace(column, values=values)
    if isinstance(column, Cats):
        return replace(column, codes=values)
    return values


def n_rows(frame: Frame) -> int:
    return len(raw(next(iter(frame.values())))) if frame else 0


def take(frame: Frame, index: np.ndarray) -> Frame:
    return {name: with_raw(col, raw(col)[index]) for name, col in frame.items()}


def concat(frames: list[Frame]) -> Frame:
    frames = [f for f in frames if f and n_rows(f)]
    if not frames:
        return {}
    first = frames[0]
    return {
        name: with_raw(col, np.concatenate([raw(f[name]) for f in frames])) for name, col in first.items()
    }


def copy(frame: Frame) -> Frame:
    return {name: with_raw(col, raw(col).copy()) for name, col in frame.items()}


def is_null(column: Column) -> np.ndarray:
    values = raw(column)
    if isinstance(column, Cats) or values.dtype == np.int8:
        return values < 0
    if values.dtype.kind == "f":
        return np.isnan(values)
    return values == NULL


# --- rendering ---------------------------------------------------------------

BOOL_STYLES = {"true_false": ("false", "true"), "yes_no": ("No", "Yes"), "one_zero": ("0", "1")}


def _int_text(values: np.ndarray, null: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values, mask=null), pa.string())


def _dec_text(values: np.ndarray, decimals: int = 2) -> pa.Array:
    null = np.isnan(values)
    scaled = np.round(np.where(null, 0.0, values) * 10**decimals).astype(np.int64)
    whole = _int_text(np.abs(scaled) // 10**decimals, null)
    frac = pc.utf8_lpad(_int_text(np.abs(scaled) % 10**decimals, null), decimals, "0")
    text = pc.binary_join_element_wise(whole, frac, ".")
    return pc.if_else(pa.array(scaled < 0), pc.binary_join_element_wise("-", text, ""), text)


def _date_text(days: np.ndarray) -> pa.Array:
    null = days == NULL
    return pc.cast(pa.array(np.where(null, 0, days).astype(np.int32), pa.date32(), mask=null), pa.string())


def _ts_text(utc_ms: np.ndarray, style: str) -> pa.Array:
    null = utc_ms == NULL
    utc = unambiguous(np.where(null, 0, utc_ms))
    offset = utc_offset_ms(utc)
    shown = utc if style.startswith("utc") else utc + offset
    if style != "utc_z_ms":
        shown = shown // 1000 * 1000
    unit = "ms" if style == "utc_z_ms" else "s"
    values = shown if unit == "ms" else shown // 1000
    text = pc.cast(pa.array(values, pa.timestamp(unit), mask=null), pa.string())
    if style != "local_space" and style != "offset_compact":
        text = pc.replace_substring(text, " ", "T", max_replacements=1)
    if style.startswith("utc"):
        return pc.binary_join_element_wise(text, "Z", "")
    if style == "offset_colon":
        suffix = np.where(offset == 2 * 3_600_000, "+02:00", "+01:00")
        return pc.binary_join_element_wise(text, pa.array(suffix), "")
    if style == "offset_compact":
        suffix = np.where(offset == 2 * 3_600_000, "+0200", "+0100")
        return pc.binary_join_element_wise(text, pa.array(suffix), "")
    return text


def to_text(column: Column, type_: str, ts_style: str, bool_style: str) -> pa.Array:
    """Render one column as contract text (nulls stay null: an empty field)."""
    if isinstance(column, Ids):
        null = column.values == NULL
        digits = pc.utf8_lpad(_int_text(column.values, null), column.width, "0")
        return pc.binary_join_element_wise(column.prefix, digits, "")
    if isinstance(column, Cats):
        codes = pa.array(column.codes, mask=column.codes < 0)
        return pc.take(pa.array(column.labels, pa.string()), codes)
    if type_ == "int":
        return _int_text(column, column == NULL)
    if type_ == "dec":
        return _dec_text(column)
    if type_ == "ts":
        return _ts_text(column, ts_style)
    if type_ == "date":
        return _date_text(column)
    if type_ == "bool":
        words = BOOL_STYLES[bool_style]
        return pc.take(pa.array(words), pa.array(column.astype(np.int64), mask=column < 0))
    raise ValueError(f"unknown column type {type_}")


def to_arrow(column: Column, type_: str) -> pa.Array:
    """Native Arrow values for Parquet extracts."""
    if isinstance(column, Ids | Cats):
        return to_text(column, "str", "utc_z", "true_false")
    null = is_null(column)
    if type_ == "int":
        return pa.array(column, pa.int64(), mask=null)
    if type_ == "dec":
        return pa.array(np.round(column, 2), pa.float64(), mask=null)
    if type_ == "ts":
        return pa.array(np.where(null, 0, column), pa.timestamp("ms", tz="UTC"), mask=null)
    if type_ == "date":
        return pa.array(np.where(null, 0, column).astype(np.int32), pa.date32(), mask=null)
    if type_ == "bool":
        return pa.array(column == 1, pa.bool_(), mask=null)
    raise ValueError(f"unknown column type {type_}")
