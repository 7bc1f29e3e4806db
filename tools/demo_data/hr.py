"""HR: employees, requisitions, absences and pulse-survey responses.

The workforce is simulated month by month up front (it is small: hires,
leavers, internal moves); absences and survey responses are then generated
per month from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tools.demo_data.frame import Frame, cats, ids, take
from tools.demo_data.lifecycle import emission_months
from tools.demo_data.model import Context, enum_code, enum_labels
from tools.demo_data.rand import choice, exact_share
from tools.demo_data.scenarios import HIRING_DEPARTMENT
from tools.demo_data.timeutil import NULL, add_months, day_number, weekday

DEPARTMENTS = ("Produktion", "Salg", "Kundeservice", "Marketing", "IT", "Økonomi", "HR", "Ledelse", "Jura")
_SIZE = np.array([165, 35, 32, 14, 22, 15, 9, 4, 3])
_FIXED_SIZE = (DEPARTMENTS.index("Ledelse"), DEPARTMENTS.index("Jura"))  # stay under 5 people
_TURNOVER = np.array([0.30, 0.15, 0.22, 0.15, 0.12, 0.10, 0.12, 0.05, 0.05])  # per year
_GROWTH = np.array([0.06, 0.08, 0.05, 0.05, 0.06, 0.02, 0.02, 0.0, 0.0])  # per year
LOCATIONS = ("Vejle", "Herning", "København", "Aarhus")
_LOCATION_PROBS = np.array(
    [
        [0.7, 0.3, 0.0, 0.0],
        [0.2, 0.0, 0.5, 0.3],
        [0.0, 0.0, 0.0, 1.0],
        [0.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 0.6, 0.4],
        [1.0, 0.0, 0.0, 0.0],
        [1.0, 0.0, 0.0, 0.0],
        [1.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 1.0, 0.0],
    ]
)
EARLY_ATTRITION = 0.12  # hires leaving within 90 days in a normal month
HOURS_PER_DAY = 7.4
_SICK_RATE = np.array([0.05, 0.03, 0.045, 0.03, 0.028, 0.028, 0.03, 0.02, 0.02])
_SICK_SEASON = np.array([1.3, 1.35, 1.1, 0.95, 0.85, 0.8, 0.6, 0.75, 0.95, 1.05, 1.15, 1.2])
_SICK_SPELL_DAYS = 2.4
_VACATION_DAYS = np.array([1.0, 2.0, 1.0, 1.5, 1.5, 1.5, 11.0, 3.5, 1.0, 2.0, 1.0, 3.0])
_SATISFACTION = np.array([3.5, 3.9, 3.4, 4.0, 3.8, 3.7, 3.9, 4.1, 3.8])
EXTRA_MONTHS = 2  # simulated past the end so that requisitions are still open at the end
SCENARIO_DEPARTMENT = DEPARTMENTS.index(HIRING_DEPARTMENT)
ABSENCE_TYPES = enum_labels("hr.absences", "absence_type")


@dataclass
class _People:
    number: list[int] = field(default_factory=list)
    department: list[int] = field(default_factory=list)  # after any move
    location: list[int] = field(default_factory=list)
    hired_on: list[int] = field(default_factory=list)
    terminated_on: list[int] = field(default_factory=list)
    termination_type: list[int] = field(default_factory=list)
    fte: list[float] = field(default_factory=list)
    old_department: list[int] = field(default_factory=list)
    moved_on: list[int] = field(default_factory=list)

    def add(self, department: int, location: int, hired_on: int, fte: float) -> int:
        number = len(self.number) + 1
        self.number.append(number)
        self.department.append(department)
        self.location.append(location)
        self.hired_on.append(hired_on)
        self.terminated_on.append(NULL)
        self.termination_type.append(-1)
        self.fte.append(fte)
        self.old_department.append(department)
        self.moved_on.append(NULL)
        return number


@dataclass
class _Requisitions:
    department: list[int] = field(default_factory=list)
    opened_on: list[int] = field(default_factory=list)
    filled_on: list[int] = field(default_factory=list)
    cancelled_on: list[int] = field(default_factory=list)
    internal: list[int] = field(default_factory=list)
    hired: list[int] = field(default_factory=list)

    def add(
        self, department: int, opened: int, filled: int, cancelled: int, internal: int, hired: int
    ) -> None:
        self.department.append(department)
        self.opened_on.append(opened)
        self.filled_on.append(filled)
        self.cancelled_on.append(cancelled)
        self.internal.append(internal)
        self.hired.append(hired)


@dataclass
class Workforce:
    employees: Frame  # final state, with helpers _old_department and _moved_on
    requisitions: Frame  # final state, with helper _cancelled_on
    leave_start: np.ndarray
    leave_end: np.ndarray


def _workdays(first: int, last: int) -> np.ndarray:
    days = np.arange(first, last + 1)
    return days[weekday(days) < 5]


def _department_at(people: _People, day: int) -> np.ndarray:
    moved = np.array(people.moved_on)
    return np.where((moved != NULL) & (moved > day), people.old_department, people.department)


def _in_headcount(people: _People, day: int) -> np.ndarray:
    hired = np.array(people.hired_on)
    terminated = np.array(people.terminated_on)
    return (hired <= day) & ((terminated == NULL) | (terminated > day))


def make_workforce(ctx: Context) -> Workforce:
    rng = ctx.rng("hr", "workforce")
    window = ctx.window
    size = np.array(
        [
            _SIZE[d] if d in _FIXED_SIZE else max(1, round(_SIZE[d] * ctx.scale))
            for d in range(len(DEPARTMENTS))
        ]
    )
    people = _People()
    for d in range(len(DEPARTMENTS)):
        tenure = np.minimum(rng.exponential(6.5 * 365, size[d]), 30 * 365).astype(np.int64) + 30
        for hired in np.sort(window.start_day - tenure):
            people.add(d, int(choice(rng, 1, _LOCATION_PROBS[d])[0]), int(hired), _fte(rng))
    requisitions = _Requisitions()
    owed_leavers = np.zeros(len(DEPARTMENTS))
    owed_growth = np.zeros(len(DEPARTMENTS))
    owed_early = np.zeros(len(DEPARTMENTS))
    scenario_first = ctx.scenario_month("hr_fast_hiring")
    first_month = window.months[0]
    for month in range(window.n_months + EXTRA_MONTHS):
        start = add_months(first_month, month)
        first, last = day_number(start), day_number(add_months(start, 1)) - 1
        workdays = _workdays(first, last)
        department_now = _department_at(people, first)
        in_headcount = _in_headcount(people, first)
        terminated = np.array(people.terminated_on)
        hired_on = np.array(people.hired_on)
        early_now = hired_on > first - 100
        for d in range(len(DEPARTMENTS)):
            members = np.flatnonzero(in_headcount & (department_now == d))
            owed_leavers[d] += len(members) * _TURNOVER[d] / 12
            leavers = int(owed_leavers[d])
            owed_leavers[d] -= leavers
            # Recent hires leave through early attrition only, so that rate stays as set.
            staying = members[(terminated[members] == NULL) & (hired_on[members] < first - 90)]
            for person in rng.choice(staying, min(leavers, len(staying)), replace=False):
                people.terminated_on[person] = int(rng.choice(workdays))
                people.termination_type[person] = int(rng.random() < 0.3)
            replaced_early = int(((terminated >= first) & (terminated <= last) & early_now)[members].sum())
            if d in _FIXED_SIZE:
                hires = leavers + replaced_early
            else:
                owed_growth[d] += size[d] * _GROWTH[d] / 12
                growth = int(owed_growth[d])
                owed_growth[d] -= growth
                hires = leavers + replaced_early + growth
            early_share = EARLY_ATTRITION
            fast = False
            if d == SCENARIO_DEPARTMENT and ctx.active("hr_fast_hiring", month):
                hires, early_share, fast = max(round(hires * 1.8), 7), 0.5, True
            baseline = d == SCENARIO_DEPARTMENT and month == scenario_first - 1
            if baseline:
                hires = max(hires, 6)
            owed_early[d] += early_share * hires
            early = int(owed_early[d] + 0.5)
            if fast or baseline:
                early = round(early_share * hires) if fast else max(1, round(0.15 * hires))
                owed_early[d] = 0.0
            else:
                owed_early[d] -= early
            _hire(rng, people, requisitions, d, hires, early, workdays, fast)
            _internal_fill(rng, people, requisitions, d, workdays, first)
            if rng.random() < 0.04 * max(1.0, size[d] / 20):
                opened = int(rng.choice(workdays))
                requisitions.add(d, opened, NULL, opened + int(rng.integers(30, 80)), -1, NULL)
    return Workforce(
        _employee_frame(people),
        _requisition_frame(ctx, rng, requisitions),
        *_leave_periods(rng, len(people.number), window.start_day, window.end_day),
    )


def _fte(rng: np.random.Generator) -> float:
    return float(np.array([1.0, 0.8, 0.6, 0.5])[choice(rng, 1, [0.82, 0.1, 0.05, 0.03])[0]])


def _hire(
    rng: np.random.Generator,
    people: _People,
    requisitions: _Requisitions,
    department: int,
    hires: int,
    early: int,
    workdays: np.ndarray,
    fast: bool,
) -> None:
    leaving_early = set(rng.choice(hires, min(early, hires), replace=False).tolist()) if hires else set()
    for i in range(hires):
        hired_on = int(rng.choice(workdays))
        number = people.add(
            department, int(choice(rng, 1, _LOCATION_PROBS[department])[0]), hired_on, _fte(rng)
        )
        if i in leaving_early:
            people.terminated_on[number - 1] = hired_on + int(rng.integers(20, 86))
            people.termination_type[number - 1] = int(rng.random() < 0.4)
        filled_on = max(int(workdays[0]), hired_on - int(rng.integers(0, 11)))
        time_to_hire = rng.gamma(8.0, 1.15) if fast else rng.gamma(12.0, 3.2)
        requisitions.add(department, filled_on - int(time_to_hire) - 1, filled_on, NULL, 0, number)


def _internal_fill(
    rng: np.random.Generator,
    people: _People,
    requisitions: _Requisitions,
    department: int,
    workdays: np.ndarray,
    first: int,
) -> None:
    if department in _FIXED_SIZE or rng.random() > 0.1:
        return
    movable = np.flatnonzero(
        _in_headcount(people, first)
        & (np.array(people.department) != department)
        & (np.array(people.moved_on) == NULL)
        & (np.array(people.terminated_on) == NULL)
        & ~np.isin(people.department, _FIXED_SIZE)
    )
    if not len(movable):
        return
    mover = int(rng.choice(movable))
    filled_on = int(rng.choice(workdays))
    people.old_department[mover] = people.department[mover]
    people.department[mover] = department
    people.moved_on[mover] = filled_on + 14
    requisitions.add(department, filled_on - int(rng.gamma(4.0, 8.0)) - 1, filled_on, NULL, 1, mover + 1)


def _leave_periods(
    rng: np.random.Generator, n: int, start_day: int, end_day: int
) -> tuple[np.ndarray, np.ndarray]:
    """Parental and other long leave: about one employee in eight, once, for 2-9 months."""
    on_leave = rng.random(n) < 0.12
    begin = rng.integers(start_day - 120, end_day, n)
    length = rng.integers(60, 270, n)
    return np.where(on_leave, begin, NULL), np.where(on_leave, begin + length, NULL)


def _employee_frame(people: _People) -> Frame:
    return {
        "employee_id": ids("E", 5, np.array(people.number)),
        "department": cats(DEPARTMENTS, np.array(people.department)),
        "location": cats(LOCATIONS, np.array(people.location)),
        "hired_on": np.array(people.hired_on, dtype=np.int64),
        "terminated_on": np.array(people.terminated_on, dtype=np.int64),
        "termination_type": cats(
            enum_labels("hr.employees", "termination_type"), np.array(people.termination_type)
        ),
        "fte": np.array(people.fte),
        "_old_department": np.array(people.old_department, dtype=np.int64),
        "_moved_on": np.array(people.moved_on, dtype=np.int64),
    }


def _requisition_frame(ctx: Context, rng: np.random.Generator, req: _Requisitions) -> Frame:
    order = np.argsort(np.array(req.opened_on), kind="stable")
    filled = np.array(req.filled_on, dtype=np.int64)[order]
    cancelled = np.array(req.cancelled_on, dtype=np.int64)[order]
    hired = np.array(req.hired, dtype=np.int64)[order]
    status = np.where(
        filled != NULL,
        enum_code("hr.requisitions", "status", "filled"),
        np.where(cancelled != NULL, enum_code("hr.requisitions", "status", "cancelled"), 0),
    )
    filled_rows = np.flatnonzero(filled != NULL)
    middle = ctx.window.first_day(ctx.window.n_months // 2)
    orphan = filled_rows[filled[filled_rows] >= middle][:2]
    hired[orphan] = 99_990 + np.arange(len(orphan))
    ctx.sink.count_orphans("hr.requisitions", "hired_employee_id", len(orphan))
    return {
        "requisition_id": ids("REQ", 5, np.arange(1, len(order) + 1)),
        "department": cats(DEPARTMENTS, np.array(req.department)[order]),
        "opened_on": np.array(req.opened_on, dtype=np.int64)[order],
        "filled_on": filled,
        "status": cats(enum_labels("hr.requisitions", "status"), status),
        "filled_internally": np.array(req.internal, dtype=np.int8)[order],
        "hired_employee_id": ids("E", 5, hired),
        "_cancelled_on": cancelled,
    }


def employees_as_of(frame: Frame, last_day: int) -> Frame:
    out = dict(frame)
    later = frame["terminated_on"] > last_day
    out["terminated_on"] = np.where(later, NULL, frame["terminated_on"])
    kind = frame["termination_type"]
    out["termination_type"] = cats(kind.labels, np.where(later, -1, kind.codes))
    moved_later = (frame["_moved_on"] != NULL) & (frame["_moved_on"] > last_day)
    department = frame["department"]
    out["department"] = cats(
        department.labels, np.where(moved_later, frame["_old_department"], department.codes)
    )
    return out


def requisitions_as_of(frame: Frame, last_day: int) -> Frame:
    out = dict(frame)
    unfilled = frame["filled_on"] > last_day
    open_ = unfilled | ((frame["_cancelled_on"] != NULL) & (frame["_cancelled_on"] > last_day))
    status = frame["status"]
    out["status"] = cats(status.labels, np.where(open_, status.labels.index("open"), status.codes))
    out["filled_on"] = np.where(unfilled, NULL, frame["filled_on"])
    out["filled_internally"] = np.where(
        unfilled | (frame["filled_on"] == NULL), -1, frame["filled_internally"]
    ).astype(np.int8)
    hired = frame["hired_employee_id"]
    out["hired_employee_id"] = ids(hired.prefix, hired.width, np.where(unfilled, NULL, hired.values))
    return out


def emit_workforce(ctx: Context, workforce: Workforce) -> None:
    window = ctx.window
    specs = (
        ("hr.employees", workforce.employees, "hired_on", ("terminated_on", "_moved_on"), employees_as_of),
        (
            "hr.requisitions",
            workforce.requisitions,
            "opened_on",
            ("filled_on", "_cancelled_on"),
            requisitions_as_of,
        ),
    )
    for key, frame, appear_column, event_columns, as_of in specs:
        appear = window.month_of_day(
            np.where(frame[appear_column] == NULL, window.end_day + 1, frame[appear_column])
        )
        events = [
            window.month_of_day(np.where(frame[c] == NULL, window.end_day + 1, frame[c]))
            for c in event_columns
        ]
        initial = np.flatnonzero(appear < 0)
        ctx.emit_snapshot(key, window.start, as_of(take(frame, initial), window.start_day - 1))
        for month, mask in enumerate(emission_months(appear, events, window.n_months)):
            rows = np.flatnonzero(mask)
            if len(rows):
                ctx.emit(key, month, as_of(take(frame, rows), window.last_day(month)))


@dataclass
class HrBook:
    next_absence: int = 1
    next_response: int = 1


def absences_month(ctx: Context, month: int, workforce: Workforce, book: HrBook) -> Frame:
    rng = ctx.rng("absences", month)
    window = ctx.window
    days = _workdays(window.first_day(month), window.last_day(month))
    staff = workforce.employees
    hired, terminated = staff["hired_on"], staff["terminated_on"]
    ends = np.where(terminated == NULL, window.end_day + 10_000, terminated)
    active = (hired[:, None] <= days[None, :]) & (ends[:, None] > days[None, :])
    department = employees_as_of(staff, window.last_day(month))["department"].codes
    calendar = window.calendar_month(month) - 1
    leave = (workforce.leave_start[:, None] <= days[None, :]) & (workforce.leave_end[:, None] > days[None, :])
    leave &= active
    at_work = active & ~leave

    spell_start = (
        rng.random(active.shape)
        < (_SICK_RATE[department] * _SICK_SEASON[calendar] / _SICK_SPELL_DAYS)[:, None]
    )
    person, day_index = np.nonzero(spell_start & at_work)
    length = rng.geometric(1 / _SICK_SPELL_DAYS, len(person))
    person = np.repeat(person, length)
    day_index = np.repeat(day_index, length) + _offsets(length)
    inside = day_index < len(days)
    sick = np.zeros_like(active)
    sick[person[inside], day_index[inside]] = True
    sick &= at_work
    vacation = at_work & ~sick & (rng.random(active.shape) < _VACATION_DAYS[calendar] / max(len(days), 1))
    other = at_work & ~sick & ~vacation & (rng.random(active.shape) < 0.004)

    parts = []
    for kind, mask in (("sick", sick), ("vacation", vacation), ("leave", leave), ("other", other)):
        person, day_index = np.nonzero(mask)
        full_day = HOURS_PER_DAY * staff["fte"][person]
        if kind == "sick":
            hours = np.where(rng.random(len(person)) < 0.1, full_day / 2, full_day)
        elif kind == "other":
            hours = rng.integers(2, 9, len(person)) / 2
        else:
            hours = full_day
        parts.append(
            (person, days[day_index], np.round(hours, 2), np.full(len(person), ABSENCE_TYPES.index(kind)))
        )
    person, day, hours, kind = (np.concatenate(p) for p in zip(*parts, strict=True))
    order = np.lexsort((person, day))
    person, day, hours, kind = person[order], day[order], hours[order], kind[order]
    n = len(person)
    numbers = np.arange(book.next_absence, book.next_absence + n)
    book.next_absence += n
    employee = staff["employee_id"].values[person]
    if month == window.n_months // 2 and n > 10:
        employee = employee.copy()
        employee[rng.choice(n, 3, replace=False)] = 99_980 + np.arange(3)
        ctx.sink.count_orphans("hr.absences", "employee_id", 3)
    return {
        "absence_id": ids("AB", 8, numbers),
        "employee_id": ids("E", 5, employee),
        "absence_date": day,
        "hours": hours,
        "absence_type": cats(ABSENCE_TYPES, kind),
    }


def _offsets(length: np.ndarray) -> np.ndarray:
    """0..length-1 for each spell, concatenated."""
    starts = np.repeat(np.cumsum(length) - length, length)
    return np.arange(int(length.sum())) - starts


def survey_month(ctx: Context, month: int, workforce: Workforce, book: HrBook) -> Frame:
    rng = ctx.rng("survey", month)
    window = ctx.window
    staff = workforce.employees
    mid = min(window.first_day(month) + 14, window.last_day(month))
    hired, terminated = staff["hired_on"], staff["terminated_on"]
    present = np.flatnonzero((hired <= mid) & ((terminated == NULL) | (terminated > mid)))
    department = employees_as_of(staff, mid)["department"].codes[present]
    responding = exact_share(rng, department, 0.6)
    department = department[responding]
    n = len(department)
    days = _workdays(window.first_day(month), mid)
    if n == 0 or len(days) == 0:
        return {}
    submitted = np.sort(rng.choice(days, n))
    satisfaction = np.clip(np.round(rng.normal(_SATISFACTION[department], 0.9)), 1, 5).astype(np.int64)
    enps = np.clip(np.round(2 * satisfaction - 0.5 + rng.normal(0, 1.5, n)), 0, 10).astype(np.int64)
    enps = np.where(rng.random(n) < 0.08, NULL, enps)
    rounds = tuple(f"{window.label(m)} puls" for m in range(window.n_months))
    numbers = np.arange(book.next_response, book.next_response + n)
    book.next_response += n
    order = rng.permutation(n)  # responses are anonymous: no order by person or department
    return {
        "response_id": ids("R", 7, numbers),
        "survey_round": cats(rounds, np.full(n, month)),
        "department": cats(DEPARTMENTS, department[order]),
        "submitted_on": submitted,
        "satisfaction": satisfaction[order],
        "enps_score": enps[order],
    }
