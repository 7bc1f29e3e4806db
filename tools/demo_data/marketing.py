"""Web sessions, campaigns, ad spend, leads and social posts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from tools.demo_data.crm import CATEGORIES, CUSTOMER_PREFIX, CUSTOMER_WIDTH, ORPHAN_BASE
from tools.demo_data.frame import Frame, cats, concat, ids, n_rows, take
from tools.demo_data.lifecycle import Updates, emission_months
from tools.demo_data.model import (
    WEB_SEASON,
    WEB_WEEKDAY,
    Context,
    any_time_ms,
    day_weights,
    office_time_ms,
    sample_days,
)
from tools.demo_data.rand import choice, exact_share
from tools.demo_data.scenarios import LEAD_CAMPAIGN_ID
from tools.demo_data.timeutil import DAY_MS, NULL, at_local, day_number, weekday

# --- campaigns -----------------------------------------------------------------

CAMPAIGN_CHANNELS = ("paid_search", "social", "email", "display", "event")
PAID = (0, 1, 3)
_CPM = np.array([60.0, 45.0, 0.0, 20.0, 0.0])  # DKK per 1,000 impressions
_CTR = np.array([0.035, 0.009, 0.0, 0.003, 0.0])
# Daily budgets put ad spend near 3.5 % of revenue, as for a B2B industrial supplier: ROAS
# about 4x and CAC about 55,000 DKK on the demo data (a customer buys ~400,000 DKK a year).
_ALWAYS_ON = (  # name, channel, started days before the window, daily budget DKK
    ("Google Ads - Brand", 0, 400, 9000.0),
    ("Google Ads - Generisk søgning", 0, 200, 14000.0),
    ("LinkedIn Lead Gen - Whitepaper", 1, 150, 7000.0),
    ("Nyhedsbrev, månedligt", 2, 700, 0.0),
    ("Meta - Retargeting", 1, 90, 5000.0),
    ("Display - Brancheportaler", 3, 60, 4000.0),
)
_SEASONAL = (  # name pattern, channel, month, first day, length in days, daily budget
    ("Forårskampagne {y}", 0, 3, 1, 61, 12000.0),
    ('Sommer-\nservice "tjek" {y}', 2, 6, 1, 30, 0.0),  # a line break inside a quoted field
    ("Messe: HI Industri {y}", 4, 9, 10, 4, 0.0),
    ("Black Friday {y}", 1, 11, 20, 12, 15000.0),
    ("Julekampagne {y}", 2, 12, 1, 23, 0.0),
)
GENERIC_CAMPAIGNS = 90


@dataclass
class Campaigns:
    frame: Frame
    channel: np.ndarray
    start_day: np.ndarray
    end_day: np.ndarray  # last active day; a large number while open-ended
    reveal_day: np.ndarray  # day the end date shows in the export
    budget: np.ndarray

    def active_on(self, day: int, channel: int) -> np.ndarray:
        return np.flatnonzero((self.channel == channel) & (self.start_day <= day) & (self.end_day >= day))


def make_campaigns(ctx: Context) -> Campaigns:
    rng = ctx.rng("campaigns")
    window = ctx.window
    names, channel, start, end, reveal, budget = [], [], [], [], [], []
    open_ended = window.end_day + 10_000
    for name, ch, before, daily in _ALWAYS_ON:
        names.append(name)
        channel.append(ch)
        start.append(window.start_day - before)
        stops = name.startswith("Meta")
        stop_day = window.first_day(int(window.n_months * 0.6)) + 9
        end.append(stop_day if stops else open_ended)
        reveal.append(stop_day if stops else open_ended)
        budget.append(daily)
    for year in range(window.start.year, window.end.year + 1):
        for pattern, ch, month, first, length, daily in _SEASONAL:
            first_day = day_number(date(year, month, first))
            if first_day + length < window.start_day or first_day > window.end_day:
                continue
            names.append(pattern.format(y=year))
            channel.append(ch)
            start.append(first_day)
            end.append(first_day + length - 1)
            reveal.append(first_day)
            budget.append(daily)
    n_generic = ctx.scaled(GENERIC_CAMPAIGNS, minimum=2)
    generic_start = rng.integers(window.start_day - 60, window.end_day - 10, n_generic)
    generic_length = rng.integers(21, 121, n_generic)
    generic_channel = np.array([0, 1, 3, 2])[choice(rng, n_generic, [0.4, 0.35, 0.15, 0.1])]
    planned = rng.random(n_generic) < 0.6
    for i in range(n_generic):
        category = CATEGORIES[i % 4]
        names.append(f"Produktkampagne {category} #{i + 1}")
        channel.append(int(generic_channel[i]))
        start.append(int(generic_start[i]))
        end.append(int(generic_start[i] + generic_length[i] - 1))
        reveal.append(int(generic_start[i] if planned[i] else generic_start[i] + generic_length[i] - 1))
        budget.append(
            float(np.round(rng.lognormal(np.log(6000), 0.5), -1)) if generic_channel[i] in PAID else 0.0
        )
    n = len(names)
    end_arr = np.array(end, dtype=np.int64)
    frame: Frame = {
        "campaign_id": ids("CMP", 4, np.arange(1, n + 1)),
        "campaign_name": cats(tuple(names), np.arange(n)),
        "channel": cats(CAMPAIGN_CHANNELS, np.array(channel)),
        "started_on": np.array(start, dtype=np.int64),
        "ended_on": np.where(end_arr >= open_ended, NULL, end_arr),
    }
    return Campaigns(frame, np.array(channel), np.array(start), end_arr, np.array(reveal), np.array(budget))


def lead_campaign_index() -> int:
    return int(LEAD_CAMPAIGN_ID.removeprefix("CMP")) - 1


def emit_campaigns(ctx: Context, campaigns: Campaigns) -> None:
    """Initial list, then each month's new campaigns and campaigns whose end became known."""
    window = ctx.window
    appear = window.month_of_day(campaigns.start_day)
    reveal = np.where(
        campaigns.reveal_day > campaigns.start_day, window.month_of_day(campaigns.reveal_day), -2
    )
    initial = np.flatnonzero(appear < 0)
    ctx.emit_snapshot(
        "marketing.campaigns", window.start, _campaigns_as_of(campaigns, initial, window.start_day - 1)
    )
    for month, mask in enumerate(emission_months(appear, [reveal], window.n_months)):
        rows = np.flatnonzero(mask)
        if len(rows):
            ctx.emit("marketing.campaigns", month, _campaigns_as_of(campaigns, rows, window.last_day(month)))


def _campaigns_as_of(campaigns: Campaigns, rows: np.ndarray, last_day: int) -> Frame:
    frame = take(campaigns.frame, rows)
    hidden = campaigns.reveal_day[rows] > last_day
    frame["ended_on"] = np.where(hidden, NULL, frame["ended_on"])
    return frame


def ad_spend_month(ctx: Context, month: int, campaigns: Campaigns) -> Frame:
    rng = ctx.rng("ad_spend", month)
    days = ctx.window.days(month)
    paid = np.isin(campaigns.channel, PAID) & (campaigns.budget > 0)
    active = (
        paid[:, None]
        & (campaigns.start_day[:, None] <= days[None, :])
        & (campaigns.end_day[:, None] >= days[None, :])
    )
    campaign, day_index = np.nonzero(active)
    order = np.lexsort((campaign, day_index))
    campaign, day = campaign[order], days[day_index[order]]
    n = len(campaign)
    boost = np.where(
        (campaign == lead_campaign_index()) & ctx.active("lead_quantity_over_quality", month), 1.4, 1.0
    )
    weekend = np.where(weekday(day) >= 5, 0.7, 1.0)
    spend = np.round(campaigns.budget[campaign] * boost * weekend * rng.gamma(25, 1 / 25, n), 2)
    channel = campaigns.channel[campaign]
    impressions = (spend / _CPM[channel] * 1000 * rng.lognormal(0, 0.15, n)).astype(np.int64)
    clicks = rng.binomial(impressions, _CTR[channel])
    return {
        "spend_date": day,
        "campaign_id": ids("CMP", 4, campaign + 1),
        "spend": spend,
        "impressions": impressions,
        "clicks": clicks.astype(np.int64),
    }


# --- sessions --------------------------------------------------------------------

SESSION_CHANNELS = ("organic", "paid_search", "social", "email", "direct", "referral")
_SESSION_CHANNEL_PROBS = [0.38, 0.20, 0.12, 0.07, 0.18, 0.05]
_CAMPAIGN_CHANNEL_OF_SESSION = {1: 0, 2: 1, 3: 2}  # session channel -> campaign channel
LANDING_PAGES = (
    "/",
    "/produkter",
    "/produkter/pumper",
    "/produkter/ventiler",
    "/kampagne",
    "/blog/energibesparelse",
    "/kontakt",
    "/support",
)
SESSIONS_PER_DAY = 670
ROWS_PER_PART = 350_000


@dataclass
class WebBook:
    next_session: int = 1
    next_lead: int = 1
    next_post: int = 1


def session_parts(ctx: Context, month: int) -> list[np.ndarray]:
    """Day ranges of a month, so a month's sessions are generated in bounded pieces."""
    days = ctx.window.days(month)
    expected = SESSIONS_PER_DAY * ctx.scale * ctx.growth(month) * len(days)
    parts = max(1, int(np.ceil(expected / ROWS_PER_PART)))
    return [p for p in np.array_split(days, parts) if len(p)]


def sessions_part(
    ctx: Context, month: int, part: int, days: np.ndarray, campaigns: Campaigns, book: WebBook
) -> tuple[Frame, Frame]:
    """Sessions of some days, and the leads they produced (lead ids assigned later)."""
    rng = ctx.rng("sessions", month, part)
    level = SESSIONS_PER_DAY * ctx.scale * ctx.growth(month) * ctx.season(WEB_SEASON, month)
    per_day = rng.poisson(level * day_weights(days, WEB_WEEKDAY) / WEB_WEEKDAY.mean())
    day = np.repeat(days, per_day)
    n = len(day)
    started = at_local(day, any_time_ms(rng, n) + rng.integers(0, 1000, n))
    order = np.argsort(started, kind="stable")
    day, started = day[order], started[order]
    channel = choice(rng, n, _SESSION_CHANNEL_PROBS)
    campaign = _session_campaigns(rng, day, channel, campaigns)
    pageviews = rng.geometric(0.38, n).astype(np.int64)
    bounce_time = np.where(rng.random(n) < 0.5, 0, rng.exponential(15, n))
    engaged = np.where(pageviews == 1, bounce_time, rng.lognormal(np.log(40 * pageviews**0.8), 0.7)).astype(
        np.int64
    )
    landing = np.where(campaign >= 0, 4, choice(rng, n, [0.3, 0.2, 0.12, 0.1, 0.0, 0.12, 0.08, 0.08]))
    landing = np.where(rng.random(n) < 0.03, -1, landing)
    visitors = max(1000, int(150_000 * ctx.scale))
    visitor = (visitors * rng.random(n) ** 1.8).astype(np.int64) + 1
    numbers = np.arange(book.next_session, book.next_session + n)
    book.next_session += n
    sessions: Frame = {
        "session_id": ids("S", 10, numbers),
        "visitor_id": ids("V", 8, visitor),
        "started_at": started,
        "channel": cats(SESSION_CHANNELS, channel),
        "campaign_id": ids("CMP", 4, np.where(campaign >= 0, campaign + 1, NULL)),
        "landing_page": cats(LANDING_PAGES, landing),
        "pageviews": pageviews,
        "engaged_seconds": engaged,
    }
    lead_rate = np.array([0.035, 0.05, 0.025, 0.06, 0.03, 0.05])[channel]
    makes_lead = (pageviews >= 2) & (rng.random(n) < lead_rate)
    rows = np.flatnonzero(makes_lead)
    created = (
        started[rows]
        + (np.minimum(engaged[rows], 1800) * rng.uniform(0.3, 1.0, len(rows)) * 1000).astype(np.int64)
        + 5000
    )
    leads = _lead_rows(
        created,
        numbers[rows],
        channel[rows],
        campaign[rows],
        np.zeros(len(rows), dtype=bool),
    )
    return sessions, leads


def _session_campaigns(
    rng: np.random.Generator, day: np.ndarray, channel: np.ndarray, campaigns: Campaigns
) -> np.ndarray:
    campaign = np.full(len(day), -1, dtype=np.int64)
    for session_channel, campaign_channel in _CAMPAIGN_CHANNEL_OF_SESSION.items():
        for d in np.unique(day):
            rows = np.flatnonzero((day == d) & (channel == session_channel))
            active = campaigns.active_on(int(d), campaign_channel)
            if len(rows) and len(active):
                weights = np.maximum(campaigns.budget[active], 200.0)
                campaign[rows] = active[rng.choice(len(active), len(rows), p=weights / weights.sum())]
    return campaign


# --- leads -----------------------------------------------------------------------

LEAD_CHANNELS = (*SESSION_CHANNELS, "event")
_EVENT = LEAD_CHANNELS.index("event")
_CONVERSION = np.array([0.05, 0.045, 0.03, 0.06, 0.05, 0.07, 0.09])  # by lead channel
_GIVEAWAY_CONVERSION = 0.005
LEAD_FORMS_PER_MONTH = 85
EVENT_LEADS_PER_MONTH = 30
LATE_CONVERSION_SHARE = 0.1  # converted more than 90 days after the lead


def _lead_rows(
    created: np.ndarray, session: np.ndarray, channel: np.ndarray, campaign: np.ndarray, giveaway: np.ndarray
) -> Frame:
    return {
        "_created": created,
        "_session": session,
        "_channel": channel,
        "_campaign": campaign,
        "_giveaway": giveaway,
    }


def other_leads(ctx: Context, month: int, campaigns: Campaigns) -> Frame:
    """Leads without a web session: LinkedIn lead-gen forms and trade fairs."""
    rng = ctx.rng("leads", "other", month)
    days = ctx.window.days(month)
    share = len(days) / 30.4
    level = ctx.scale * ctx.growth(month) * ctx.season(WEB_SEASON, month) * share
    forms = rng.poisson(LEAD_FORMS_PER_MONTH * level)
    extra = (
        rng.poisson(2 * LEAD_FORMS_PER_MONTH * level)
        if ctx.active("lead_quantity_over_quality", month)
        else 0
    )
    fairs = [
        c
        for c in np.flatnonzero(campaigns.channel == CAMPAIGN_CHANNELS.index("event"))
        if campaigns.start_day[c] <= days[-1] and campaigns.end_day[c] >= days[0]
    ]
    events = rng.poisson(EVENT_LEADS_PER_MONTH * level * (4 if fairs else 1))
    n = forms + extra + events
    day = np.r_[
        sample_days(rng, days, day_weights(days, WEB_WEEKDAY), forms + extra),
        sample_days(rng, days, day_weights(days, WEB_WEEKDAY), events),
    ]
    created = at_local(day, office_time_ms(rng, n, 13, 3.5))
    channel = np.r_[np.full(forms + extra, SESSION_CHANNELS.index("social")), np.full(events, _EVENT)]
    event_campaign = fairs[0] if fairs else -1
    campaign = np.r_[np.full(forms + extra, lead_campaign_index()), np.full(events, event_campaign)]
    giveaway = np.r_[np.zeros(forms, dtype=bool), np.ones(extra, dtype=bool), np.zeros(events, dtype=bool)]
    return _lead_rows(created, np.full(n, NULL), channel, campaign, giveaway)


def finish_leads(
    ctx: Context,
    month: int,
    raw_leads: Frame,
    book: WebBook,
    convert: Callable[[np.ndarray], np.ndarray],
) -> Frame:
    """Number the month's leads, decide conversions, and shape them as contract rows.

    `convert(converted_at)` creates the customers and returns their numbers.
    """
    rng = ctx.rng("leads", "conversion", month)
    created = raw_leads["_created"]
    order = np.argsort(created, kind="stable")
    leads = take(raw_leads, order)
    created = leads["_created"]
    n = len(created)
    channel, campaign, giveaway = leads["_channel"], leads["_campaign"], leads["_giveaway"]
    share = np.where(giveaway, _GIVEAWAY_CONVERSION, _CONVERSION[channel])
    # Exact per channel and campaign: a campaign's rate moves only by rounding.
    group = (channel * 10_000 + campaign + 1) * 2 + giveaway
    converted = exact_share(rng, group, share)
    late = converted & exact_share(rng, np.where(converted, group, -1), LATE_CONVERSION_SHARE)
    lag_days = np.where(late, rng.uniform(95, 170, n), np.minimum(1 + rng.gamma(2.0, 14.0, n), 88))
    converted_at = created + (lag_days * DAY_MS).astype(np.int64)
    converted &= converted_at < ctx.window.end_cutoff_ms
    customer = np.full(n, NULL)
    rows = np.flatnonzero(converted)
    if len(rows):
        customer[rows] = convert(converted_at[rows])
    if month == ctx.window.n_months // 2 and len(rows) >= 2:
        customer[rows[:2]] = ORPHAN_BASE + 100 + np.arange(2)
        ctx.sink.count_orphans("marketing.leads", "converted_customer_id", 2)
    numbers = np.arange(book.next_lead, book.next_lead + n)
    book.next_lead += n
    return {
        "lead_id": ids("L", 8, numbers),
        "created_at": created,
        "session_id": ids("S", 10, leads["_session"]),
        "channel": cats(LEAD_CHANNELS, channel),
        "campaign_id": ids("CMP", 4, np.where(campaign >= 0, campaign + 1, NULL)),
        "converted_customer_id": ids(CUSTOMER_PREFIX, CUSTOMER_WIDTH, customer),
        "converted_at": np.where(converted, converted_at, NULL),
    }


def route_leads(ctx: Context, month: int, leads: Frame, updates: Updates) -> Frame:
    window = ctx.window
    if n_rows(leads):
        appear = window.month_of_ms(leads["created_at"])
        now = updates.route(leads, appear, [window.month_of_ms(leads["converted_at"])], month)
    else:
        now = leads
    frame = concat([now, updates.due(month)])
    if not n_rows(frame):
        return frame
    later = frame["converted_at"] >= window.cutoff_ms(month)
    frame["converted_at"] = np.where(later, NULL, frame["converted_at"])
    customer = frame["converted_customer_id"]
    frame["converted_customer_id"] = ids(
        customer.prefix, customer.width, np.where(later, NULL, customer.values)
    )
    return frame


# --- social posts ----------------------------------------------------------------

PLATFORMS = ("linkedin", "facebook", "instagram", "youtube")
_PLATFORM_PROBS = [0.45, 0.25, 0.22, 0.08]
_IMPRESSIONS_MEDIAN = np.array([1800.0, 1200.0, 2200.0, 900.0])
_LIKE_RATE = np.array([0.025, 0.018, 0.04, 0.02])
POSTS_PER_DAY = 2.1
SETTLE_DAYS = 7  # counts keep growing for a week; early extracts show partial counts


def social_posts_month(ctx: Context, month: int, updates: Updates, book: WebBook) -> Frame:
    rng = ctx.rng("social_posts", month)
    window = ctx.window
    days = window.days(month)
    per_day = rng.poisson(POSTS_PER_DAY * ctx.scale * np.where(weekday(days) >= 5, 0.4, 1.2))
    day = np.repeat(days, per_day)
    n = len(day)
    published = np.sort(at_local(day, office_time_ms(rng, n, 12, 3)))
    platform = choice(rng, n, _PLATFORM_PROBS)
    impressions = (_IMPRESSIONS_MEDIAN[platform] * ctx.growth(month) * rng.lognormal(0, 0.9, n)).astype(
        np.int64
    )
    like_rate = np.clip(_LIKE_RATE[platform] * rng.lognormal(0, 0.3, n), 0, 0.5)
    numbers = np.arange(book.next_post, book.next_post + n)
    book.next_post += n
    posts: Frame = {
        "post_id": ids("POST", 7, numbers),
        "platform": cats(PLATFORMS, platform),
        "published_at": published,
        "impressions": impressions,
        "likes": rng.binomial(impressions, like_rate).astype(np.int64),
        "shares": rng.binomial(impressions, 0.003).astype(np.int64),
        "comments": rng.binomial(impressions, 0.002).astype(np.int64),
    }
    appear = window.month_of_ms(published)
    settled = window.month_of_ms(published + SETTLE_DAYS * DAY_MS)
    frame = concat([updates.route(posts, appear, [settled], month), updates.due(month)])
    if not n_rows(frame):
        return frame
    early = frame["published_at"] + SETTLE_DAYS * DAY_MS >= window.cutoff_ms(month)
    for column in ("impressions", "likes", "shares", "comments"):
        frame[column] = np.where(early, (frame[column] * 0.6).astype(np.int64), frame[column])
    return frame
