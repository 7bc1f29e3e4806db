"""Helpdesk: tickets (with split child tickets), CSAT surveys and NPS responses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tools.demo_data.crm import CUSTOMER_PREFIX, CUSTOMER_WIDTH, ORPHAN_BASE, Customers
from tools.demo_data.frame import Frame, cats, concat, ids, n_rows
from tools.demo_data.lifecycle import Updates
from tools.demo_data.model import (
    B2B_WEEKDAY,
    SERVICE_SEASON,
    WEB_WEEKDAY,
    Context,
    any_time_ms,
    day_weights,
    enum_labels,
    office_time_ms,
    sample_days,
)
from tools.demo_data.rand import choice, exact_share
from tools.demo_data.scenarios import SHALLOW_CHANNEL, SPLIT_CHANNEL
from tools.demo_data.timeutil import DAY_MS, HOUR_MS, MINUTE_MS, NULL, at_local

CHANNELS = enum_labels("helpdesk.tickets", "channel")
PHONE, EMAIL, CHAT = (CHANNELS.index(c) for c in ("phone", "email", "chat"))
CATEGORIES = ("Levering", "Faktura", "Produktfejl", "Reklamation", "Teknisk support", "Konto")
_CATEGORY_PROBS = [0.25, 0.15, 0.18, 0.10, 0.22, 0.10]
TEAMS = ("Team Telefon", "Team Mail", "Team Chat", "Team Teknik")
TICKETS_PER_MONTH = np.array([800.0, 700.0, 500.0])  # by channel: phone, email, chat
_REPEAT_SHARE = np.array([0.22, 0.30, 0.18])  # contacts_count > 1
_REOPEN_SHARE = np.array([0.05, 0.07, 0.04])
_RESPONSE_MEDIAN_MINUTES = np.array([1.5, 170.0, 2.5])
_RESPONSE_SIGMA = np.array([1.0, 0.7, 0.8])
_HANDLING_MEDIAN_MINUTES = np.array([15.0, 300.0, 12.0])
_HANDLING_SIGMA = np.array([0.7, 1.0, 0.6])
SPLIT_SHARE = 0.03  # tickets that get a child ticket in a normal month
SURVEY_SHARE = 0.40
HAPPY_ONLY_SURVEY_SHARE = 0.30  # of the quick first-contact resolutions, during the scenario
RESPONSE_SHARE = 0.33
_GOOD_SCORE_SHARE = np.array([0.90, 0.80, 0.50, 0.30])  # quick FCR, slow FCR, repeat, reopened


@dataclass
class HelpdeskBook:
    next_ticket: int = 1
    next_nps: int = 1


@dataclass
class _Body:
    first_response: np.ndarray
    resolved: np.ndarray
    contacts: np.ndarray
    reopened: np.ndarray


def _body(
    rng: np.random.Generator,
    created: np.ndarray,
    channel: np.ndarray,
    repeat: np.ndarray,
    reopen: np.ndarray,
    shallow: np.ndarray,
) -> _Body:
    n = len(created)
    median = np.where(shallow, 12.0, _RESPONSE_MEDIAN_MINUTES[channel])
    sigma = np.where(shallow, 0.6, _RESPONSE_SIGMA[channel])
    response = (median * rng.lognormal(0, sigma) * MINUTE_MS).astype(np.int64) + 20_000
    handling = _HANDLING_MEDIAN_MINUTES[channel] * rng.lognormal(0, _HANDLING_SIGMA[channel]) * MINUTE_MS
    extra = np.where(repeat, 2.5 * DAY_MS * rng.lognormal(0, 0.7, n), 0.0)
    extra += np.where(reopen, 3.0 * DAY_MS * rng.lognormal(0, 0.6, n), 0.0)
    unanswered = (channel == EMAIL) & (rng.random(n) < 0.01)
    return _Body(
        first_response=np.where(unanswered, NULL, created + response),
        resolved=created + response + handling.astype(np.int64) + extra.astype(np.int64),
        contacts=np.where(repeat, 2 + rng.poisson(0.7, n), 1).astype(np.int64),
        reopened=np.where(reopen, 1 + (rng.random(n) < 0.15), 0).astype(np.int64),
    )


def _created_times(rng: np.random.Generator, days: np.ndarray, channel: np.ndarray) -> np.ndarray:
    n = len(channel)
    email = channel == EMAIL
    day = np.where(
        email,
        sample_days(rng, days, day_weights(days, WEB_WEEKDAY), n),
        sample_days(rng, days, day_weights(days, B2B_WEEKDAY), n),
    )
    return at_local(day, np.where(email, any_time_ms(rng, n), office_time_ms(rng, n, 11.5, 2.4)))


def tickets_month(
    ctx: Context,
    month: int,
    customers: Customers,
    book: HelpdeskBook,
    ticket_updates: Updates,
    survey_updates: Updates,
) -> tuple[Frame, Frame]:
    rng = ctx.rng("tickets", month)
    window = ctx.window
    days = window.days(month)
    cutoff = window.cutoff_ms(month)
    split_now = ctx.active("cs_split_tickets", month)
    shallow_now = ctx.active("cs_fast_shallow_answers", month)
    level = ctx.scale * ctx.growth(month) * ctx.season(SERVICE_SEASON, month) * len(days) / 30.4
    volume = TICKETS_PER_MONTH * level
    if split_now:
        volume[CHANNELS.index(SPLIT_CHANNEL)] *= 0.65  # calls are logged as fewer, longer cases
    channel = np.repeat(np.arange(3), rng.poisson(volume))
    created = _created_times(rng, days, channel)
    n = len(channel)

    shallow = shallow_now & (channel == CHANNELS.index(SHALLOW_CHANNEL))
    repeat_share = np.where(shallow, 0.50, _REPEAT_SHARE[channel])
    reopen_share = np.where(shallow, 0.20, _REOPEN_SHARE[channel])
    repeat = exact_share(rng, channel, repeat_share)
    reopen = exact_share(rng, channel + 10, reopen_share)
    split_parent = split_now & (channel == CHANNELS.index(SPLIT_CHANNEL)) & (repeat | reopen)
    repeat &= ~split_parent
    reopen &= ~split_parent
    body = _body(rng, created, channel, repeat, reopen, shallow)

    normal_split = exact_share(rng, channel, SPLIT_SHARE) & ~split_parent
    parent = np.flatnonzero(split_parent | normal_split)
    child_created = np.where(
        split_parent[parent],
        body.resolved[parent] + (rng.uniform(0.2, 24, len(parent)) * HOUR_MS).astype(np.int64),
        # An ordinary split happens the same day, so the month's split share stays put.
        np.maximum(
            np.minimum(
                created[parent] + (rng.uniform(0.25, 4, len(parent)) * HOUR_MS).astype(np.int64),
                cutoff - MINUTE_MS,
            ),
            created[parent] + 1000,
        ),
    )
    child_channel = channel[parent]
    child_repeat = rng.random(len(parent)) < 0.15
    child_reopen = rng.random(len(parent)) < 0.03
    child_body = _body(rng, child_created, child_channel, child_repeat, child_reopen, shallow[parent])

    customer = _ticket_customers(rng, ctx, month, customers, n)
    category = choice(rng, n, _CATEGORY_PROBS)
    team = np.where((category == CATEGORIES.index("Teknisk support")) & (rng.random(n) < 0.6), 3, channel)
    all_created = np.r_[created, child_created]
    order = np.argsort(all_created, kind="stable")
    position = np.empty_like(order)
    position[order] = np.arange(len(order))
    numbers = book.next_ticket + position  # ids follow creation time
    book.next_ticket += len(order)
    parent_number = np.r_[np.full(n, NULL), numbers[parent]]

    def both(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.r_[a, b][order]

    tickets: Frame = {
        "ticket_id": ids("T", 8, numbers[order]),
        "customer_id": ids(CUSTOMER_PREFIX, CUSTOMER_WIDTH, both(customer, customer[parent])),
        "channel": cats(CHANNELS, both(channel, child_channel)),
        "category": cats(CATEGORIES, both(category, category[parent])),
        "agent_team": cats(TEAMS, both(team, team[parent])),
        "created_at": all_created[order],
        "first_response_at": both(body.first_response, child_body.first_response),
        "resolved_at": both(body.resolved, child_body.resolved),
        "contacts_count": both(body.contacts, child_body.contacts),
        "reopened_count": both(body.reopened, child_body.reopened),
        "parent_ticket_id": ids("T", 8, parent_number[order]),
    }
    surveys = _surveys(ctx, rng, tickets, both(shallow, shallow[parent]))
    now = ticket_updates.route(
        tickets,
        window.month_of_ms(tickets["created_at"]),
        [window.month_of_ms(tickets["first_response_at"]), window.month_of_ms(tickets["resolved_at"])],
        month,
    )
    tickets_out = _tickets_as_of(concat([now, ticket_updates.due(month)]), window.cutoff_ms(month))
    surveys_now = survey_updates.route(
        surveys,
        window.month_of_ms(surveys["surveyed_at"]),
        [window.month_of_ms(surveys["responded_at"])],
        month,
    )
    surveys_out = _surveys_as_of(concat([surveys_now, survey_updates.due(month)]), window.cutoff_ms(month))
    return tickets_out, surveys_out


def _ticket_customers(
    rng: np.random.Generator, ctx: Context, month: int, customers: Customers, n: int
) -> np.ndarray:
    active = customers.active(ctx.window.cutoff_ms(month), month)
    if len(active) == 0:
        return np.full(n, NULL)
    weights = np.array([4.0, 2.0, 1.0])[customers.segment[active]]
    number = customers.number[active[choice(rng, n, weights)]]
    number = np.where(rng.random(n) < 0.06, NULL, number)
    if month == ctx.window.n_months // 2 and n > 10:
        number[rng.choice(n, 3, replace=False)] = ORPHAN_BASE + 200 + np.arange(3)
        ctx.sink.count_orphans("helpdesk.tickets", "customer_id", 3)
    return number


def _surveys(ctx: Context, rng: np.random.Generator, tickets: Frame, shallow: np.ndarray) -> Frame:
    window = ctx.window
    created, resolved = tickets["created_at"], tickets["resolved_at"]
    channel = tickets["channel"].codes
    fcr = (tickets["contacts_count"] == 1) & (tickets["reopened_count"] == 0)
    quick = fcr & (resolved - created <= 4 * HOUR_MS)
    resolved_month = window.month_of_ms(resolved)
    happy_only = np.array(
        [ctx.active("csat_only_happy_customers", m) for m in range(window.n_months)] + [False]
    )[np.minimum(resolved_month, window.n_months)]
    share = np.where(happy_only, np.where(quick, HAPPY_ONLY_SURVEY_SHARE, 0.0), SURVEY_SHARE)
    surveyed = exact_share(rng, resolved_month * 100 + channel * 2 + quick, share)
    surveyed &= resolved < window.end_cutoff_ms
    rows = np.flatnonzero(surveyed)
    surveyed_at = resolved[rows] + (rng.uniform(5, 90, len(rows)) * MINUTE_MS).astype(np.int64)
    responds = exact_share(rng, window.month_of_ms(surveyed_at) * 10 + channel[rows], RESPONSE_SHARE)
    delay = np.clip(3 * HOUR_MS * rng.lognormal(0, 1.2, len(rows)), 2 * MINUTE_MS, 6 * DAY_MS)
    responded_at = np.where(responds, surveyed_at + delay.astype(np.int64), NULL)
    reopened = tickets["reopened_count"][rows] > 0
    kind = np.where(quick[rows], 0, np.where(fcr[rows], 1, np.where(reopened, 3, 2)))
    good_share = _GOOD_SCORE_SHARE[kind] - np.where(shallow[rows] & (kind < 2), 0.15, 0.0)
    group = window.month_of_ms(responded_at) * 100 + kind * 2 + shallow[rows]
    good = exact_share(rng, group, good_share)
    low = np.array([3, 2, 1])[choice(rng, len(rows), [0.5, 0.25, 0.25])]
    score = np.where(good, np.where(rng.random(len(rows)) < 0.55, 5, 4), low)
    return {
        "ticket_id": ids("T", 8, tickets["ticket_id"].values[rows]),
        "surveyed_at": surveyed_at,
        "responded_at": responded_at,
        "score": np.where(responds, score, NULL).astype(np.int64),
    }


def _tickets_as_of(frame: Frame, cutoff: int) -> Frame:
    if not n_rows(frame):
        return frame
    out = dict(frame)
    for column in ("first_response_at", "resolved_at"):
        out[column] = np.where(frame[column] >= cutoff, NULL, frame[column])
    return out


def _surveys_as_of(frame: Frame, cutoff: int) -> Frame:
    if not n_rows(frame):
        return frame
    out = dict(frame)
    later = frame["responded_at"] >= cutoff
    out["responded_at"] = np.where(later, NULL, frame["responded_at"])
    out["score"] = np.where(later, NULL, frame["score"])
    return out


_NPS_PROBS = [0.02, 0.01, 0.02, 0.03, 0.03, 0.06, 0.08, 0.12, 0.18, 0.22, 0.23]
NPS_PER_MONTH = 150


def nps_month(ctx: Context, month: int, customers: Customers, book: HelpdeskBook) -> Frame:
    rng = ctx.rng("nps", month)
    days = ctx.window.days(month)
    n = rng.poisson(NPS_PER_MONTH * ctx.scale * ctx.growth(month) * len(days) / 30.4)
    active = customers.active(ctx.window.cutoff_ms(month), month)
    customer = customers.number[active[rng.integers(0, len(active), n)]] if len(active) else np.full(n, NULL)
    customer = np.where(rng.random(n) < 0.1, NULL, customer)
    responded = np.sort(
        at_local(sample_days(rng, days, day_weights(days, WEB_WEEKDAY), n), any_time_ms(rng, n))
    )
    numbers = np.arange(book.next_nps, book.next_nps + n)
    book.next_nps += n
    return {
        "response_id": ids("NPS", 7, numbers),
        "customer_id": ids(CUSTOMER_PREFIX, CUSTOMER_WIDTH, customer),
        "responded_at": responded,
        "score": choice(rng, n, _NPS_PROBS).astype(np.int64),
    }
