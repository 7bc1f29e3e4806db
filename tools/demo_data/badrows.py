"""Bad rows of every kind the contract names, about 0.1 % of each table.

A bad row replaces a generated row (its key and most values stay, one value
or one pair of values breaks the contract), so every input row is either valid
or counted here, and the ingest's quarantine counts can be compared with the
record kept in the generation summary. Kinds are derived from `contract.py`:
types that do not parse, enums, required values, range checks, cross-field
rules, events after the as-of allowance and empty primary keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dagster_project.ingest.contract import Column, Table
from tools.demo_data.frame import Cats, Frame, copy, raw
from tools.demo_data.timeutil import DAY_MS, HOUR_MS, NULL, local_day

BAD_ROW_SHARE = 0.001
FUTURE_DAYS = 30  # past any as-of allowance of a day; see README

# Text that breaks a type, per contract type (chosen by row so the kinds vary).
_TEXT_KIND = {
    "int": "bad_int",
    "dec": "bad_decimal",
    "ts": "bad_timestamp",
    "date": "bad_date",
    "bool": "bad_bool",
}
_BAD_ENUM_VALUES = ("ukendt", "n/a", "other value")
_BAD_BOOL_VALUES = ("ja", "maybe", "2")

# A value breaking each range check, by the contract's check text.
_RANGE_VALUE: dict[str, float] = {
    ">= 0": -1,
    "> 0": 0,
    ">= 1": 0,
    "in [0, 1]": 1.5,
    "in (0, 1]": 0,
    "in (0, 24]": 25,
    "in [1, 5]": 6,
    "in [0, 10]": 11,
}
_NOT_FIRST_OF_MONTH = "is the first day of a month"


def _codes(frame: Frame, column: str, label: str) -> int:
    col = frame[column]
    assert isinstance(col, Cats)
    return col.labels.index(label)


def _set(frame: Frame, column: str, rows: np.ndarray, values) -> None:
    """Assign in place: the injector works on its own copy of the frame."""
    raw(frame[column])[rows] = values


def _anchor_ms(frame: Frame, column: str, rows: np.ndarray, fallback: int) -> np.ndarray:
    values = raw(frame[column])[rows]
    return np.where(values == NULL, fallback, values)


# Each rule breaker gets the frame (modified in place), the rows and a fallback instant.
RuleBreaker = Callable[[Frame, np.ndarray, int], None]


def _closed_without_outcome(frame: Frame, rows: np.ndarray, fallback: int) -> None:
    contact = _anchor_ms(frame, "first_contact_at", rows, fallback)
    _set(frame, "status", rows, _codes(frame, "status", "open"))
    _set(frame, "closed_at", rows, contact + 3 * DAY_MS)


def _closed_before_contact(frame: Frame, rows: np.ndarray, fallback: int) -> None:
    contact = _anchor_ms(frame, "first_contact_at", rows, fallback)
    _set(frame, "status", rows, _codes(frame, "status", "lost"))
    _set(frame, "closed_at", rows, contact - 2 * DAY_MS)


def _converted_without_customer(frame: Frame, rows: np.ndarray, fallback: int) -> None:
    created = _anchor_ms(frame, "created_at", rows, fallback)
    _set(frame, "converted_customer_id", rows, NULL)
    _set(frame, "converted_at", rows, created + HOUR_MS)


def _converted_before_created(frame: Frame, rows: np.ndarray, fallback: int) -> None:
    created = _anchor_ms(frame, "created_at", rows, fallback)
    customer = raw(frame["converted_customer_id"])[rows]
    _set(frame, "converted_customer_id", rows, np.where(customer == NULL, 1, customer))
    _set(frame, "converted_at", rows, created - DAY_MS)


def _terminated_before_hired(frame: Frame, rows: np.ndarray, fallback: int) -> None:
    hired = raw(frame["hired_on"])[rows]
    _set(frame, "terminated_on", rows, hired - 10)
    _set(frame, "termination_type", rows, _codes(frame, "termination_type", "voluntary"))


def _filled_but_open(frame: Frame, rows: np.ndarray, fallback: int) -> None:
    opened = raw(frame["opened_on"])[rows]
    _set(frame, "status", rows, _codes(frame, "status", "open"))
    _set(frame, "filled_on", rows, opened)


def _downtime_over_planned(frame: Frame, rows: np.ndarray, fallback: int) -> None:
    _set(frame, "downtime_minutes", rows, raw(frame["planned_minutes"])[rows] + 15)


def _good_over_total(frame: Frame, rows: np.ndarray, fallback: int) -> None:
    _set(frame, "good_count", rows, raw(frame["total_count"])[rows] + 7)


def _scrap_over_input(frame: Frame, rows: np.ndarray, fallback: int) -> None:
    _set(frame, "scrap_kg", rows, raw(frame["input_kg"])[rows] * 1.2 + 0.5)


def _response_before_created(frame: Frame, rows: np.ndarray, fallback: int) -> None:
    created = _anchor_ms(frame, "created_at", rows, fallback)
    _set(frame, "first_response_at", rows, created - 10 * 60_000)


def _resolved_before_created(frame: Frame, rows: np.ndarray, fallback: int) -> None:
    created = _anchor_ms(frame, "created_at", rows, fallback)
    _set(frame, "resolved_at", rows, created - HOUR_MS)


def _score_without_response(frame: Frame, rows: np.ndarray, fallback: int) -> None:
    _set(frame, "responded_at", rows, NULL)
    _set(frame, "score", rows, 4)


RULE_BREAKERS: dict[str, RuleBreaker] = {
    "closed_at is set exactly when status is won or lost": _closed_without_outcome,
    "closed_at >= first_contact_at": _closed_before_contact,
    "converted_at is set exactly when converted_customer_id is": _converted_without_customer,
    "converted_at >= created_at": _converted_before_created,
    "terminated_on >= hired_on": _terminated_before_hired,
    "filled_on is set exactly when status is filled": _filled_but_open,
    "downtime_minutes <= planned_minutes": _downtime_over_planned,
    "good_count <= total_count": _good_over_total,
    "scrap_kg <= input_kg": _scrap_over_input,
    "first_response_at >= created_at": _response_before_created,
    "resolved_at >= created_at": _resolved_before_created,
    "score is set exactly when responded_at is": _score_without_response,
}

TEXT_KINDS = frozenset({*_TEXT_KIND.values(), "bad_enum"})


@dataclass(frozen=True)
class Kind:
    kind: str  # missing_required, empty_pk, bad_int, ..., bad_enum, range, rule, future
    target: str  # a column name, or the rule text for kind "rule"


def candidate_kinds(table: Table, native_types: bool) -> list[Kind]:
    """Every way a row of this table can break the contract, rules and ranges first.

    With native types (Parquet) only the kinds that typed values can carry.
    """
    kinds = [Kind("rule", rule.text) for rule in table.rules]
    kinds += [Kind("range", c.name) for c in table.columns if c.check]
    kinds.append(Kind("empty_pk", _pk_column(table)))
    for column in table.columns:
        if not column.nullable and column.name not in table.primary_key:
            kinds.append(Kind("missing_required", column.name))
        if column.is_event and column.type in ("ts", "date"):
            kinds.append(Kind("future", column.name))
        if not native_types and column.enum:
            kinds.append(Kind("bad_enum", column.name))
        if not native_types and column.type in _TEXT_KIND:
            kinds.append(Kind(_TEXT_KIND[column.type], column.name))
    return kinds


def _pk_column(table: Table) -> str:
    return next((c for c in table.primary_key if table.column(c).type == "str"), table.primary_key[0])


def _range_value(table: Table, name: str, frame: Frame, rows: np.ndarray) -> np.ndarray:
    column = table.column(name)
    if column.check_text == _NOT_FIRST_OF_MONTH:
        return raw(frame[name])[rows] + 14
    value = _RANGE_VALUE[column.check_text]
    return np.full(len(rows), value, dtype=np.float64 if column.type == "dec" else np.int64)


def _text_value(kind: str, column: Column, frame: Frame, row: int, pick: int) -> str:
    values = raw(frame[column.name])
    value = values[row]
    if kind == "bad_enum":
        return _BAD_ENUM_VALUES[pick % len(_BAD_ENUM_VALUES)]
    if kind == "bad_bool":
        return _BAD_BOOL_VALUES[pick % len(_BAD_BOOL_VALUES)]
    if kind == "bad_int":
        number = 37 if value == NULL else int(value)
        return f"{number}.5"
    if kind == "bad_decimal":
        number = 1234.5 if np.isnan(value) else float(value)
        danish = f"{number:.2f}".replace(".", ",")  # decimal comma, as a Danish Excel writes it
        return f"ca. {danish}" if pick % 2 else danish
    if kind == "bad_date":
        day = np.datetime64(int(value if value != NULL else 20_000), "D").astype(object)
        return day.strftime("%d.%m.%Y") if pick % 2 else f"{day.year}-02-30"
    if kind == "bad_timestamp":
        ms = int(value if value != NULL else 1_735_000_000_000)
        local = np.datetime64(int(local_day(np.array([ms]))[0]), "D").astype(object)
        return local.strftime("%d/%m/%Y 10:15") if pick % 2 else f"{local.isoformat()} 24:30:00"
    raise ValueError(kind)


@dataclass
class _TableState:
    rows_seen: int = 0
    injected: int = 0
    position: int = 0
    kinds: list[Kind] = field(default_factory=list)


@dataclass
class Injection:
    frame: Frame
    text: dict[str, tuple[np.ndarray, list[str]]]  # column -> (rows ascending, texts)
    kinds: list[Kind]


class BadRowInjector:
    """Decides how many rows of each extract turn bad, and which way."""

    def __init__(self, end_cutoff_ms: int, end_day: int) -> None:
        self._future_ms = end_cutoff_ms + FUTURE_DAYS * DAY_MS + 10 * HOUR_MS
        self._future_day = end_day + FUTURE_DAYS
        self._state: dict[str, _TableState] = {}

    def _count(self, table: Table, state: _TableState, n: int) -> int:
        before = int(np.floor(state.rows_seen * BAD_ROW_SHARE))
        after = int(np.floor((state.rows_seen + n) * BAD_ROW_SHARE))
        count = after - before
        minimum = 1 + len(table.rules)  # small tables still show their rule kinds
        if state.injected < minimum:
            count = max(count, min(minimum - state.injected, n // 10))
        return min(count, n)

    def inject(self, table: Table, frame: Frame, rng: np.random.Generator, native: bool) -> Injection:
        state = self._state.setdefault(table.key, _TableState())
        if not state.kinds:
            state.kinds = candidate_kinds(table, native)
        n = len(raw(next(iter(frame.values())))) if frame else 0
        count = self._count(table, state, n)
        state.rows_seen += n
        if count == 0:
            return Injection(frame, {}, [])
        rows = np.sort(rng.choice(n, size=count, replace=False))
        chosen = [state.kinds[(state.position + i) % len(state.kinds)] for i in range(count)]
        state.position += count
        state.injected += count
        out = copy(frame)
        text: dict[str, tuple[np.ndarray, list[str]]] = {}
        for kind in dict.fromkeys(chosen):
            kind_rows = rows[[i for i, k in enumerate(chosen) if k == kind]]
            if kind.kind in TEXT_KINDS:
                texts = [
                    _text_value(kind.kind, table.column(kind.target), frame, int(row), int(row))
                    for row in kind_rows
                ]
                text[kind.target] = _merge(text.get(kind.target), kind_rows, texts)
            else:
                self._apply(table, out, kind_rows, kind)
        return Injection(out, text, chosen)

    def _apply(self, table: Table, out: Frame, rows: np.ndarray, kind: Kind) -> None:
        if kind.kind == "rule":
            RULE_BREAKERS[kind.target](out, rows, self._future_ms - 60 * DAY_MS)
        elif kind.kind == "range":
            _set(out, kind.target, rows, _range_value(table, kind.target, out, rows))
        elif kind.kind in ("missing_required", "empty_pk"):
            values = raw(out[kind.target])
            is_code = isinstance(out[kind.target], Cats) or values.dtype == np.int8
            _set(out, kind.target, rows, np.nan if values.dtype.kind == "f" else -1 if is_code else NULL)
        elif kind.kind == "future":
            column_type = table.column(kind.target).type
            _set(out, kind.target, rows, self._future_ms if column_type == "ts" else self._future_day)
        else:
            raise ValueError(f"unknown bad-row kind {kind}")


def _merge(
    current: tuple[np.ndarray, list[str]] | None, rows: np.ndarray, texts: list[str]
) -> tuple[np.ndarray, list[str]]:
    """Text overrides of one column, rows ascending."""
    all_rows = np.r_[current[0], rows] if current else rows
    all_texts = [*(current[1] if current else []), *texts]
    order = np.argsort(all_rows, kind="stable")
    return all_rows[order], [all_texts[i] for i in order]
