"""Upcoming birthdays: the date arithmetic and the service on an in-memory database."""

import json
from datetime import date, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User
from app.services.contacts import (
    birthdays_cache_key,
    days_until_birthday,
    next_birthday,
    upcoming_birthdays,
    upcoming_birthdays_cached,
)
from tests.conftest import UserFactory
from tests.helpers import TODAY, add_contacts

# The lesson plan's cases, each with the `today` that makes its expectation true:
PLAN_CASES = [
    # Ordinary: 2026-02-21 (TODAY) → 28 Feb is a week away.
    pytest.param(date(1990, 2, 28), date(2026, 2, 21), 7, id="ordinary"),
    # 2026 is a common year, so 29 Feb is celebrated on 28 Feb: from 22 Feb that is 6 days
    # (from TODAY, 21 Feb, it would be 7, hence the day after).
    pytest.param(date(1992, 2, 29), date(2026, 2, 22), 6, id="29feb-on-28feb-in-common-year"),
    # From 29 Dec the 7-day window runs to 5 Jan: it wraps at New Year (md >= 1229 OR md <= 105).
    pytest.param(date(1985, 12, 30), date(2026, 12, 29), 1, id="window-across-new-year"),
]

EDGE_CASES = [
    pytest.param(date(1990, 2, 21), TODAY, 0, id="birthday-today"),
    pytest.param(date(1990, 2, 20), TODAY, 364, id="yesterday-is-next-year"),
    pytest.param(date(1985, 1, 1), date(2026, 12, 31), 1, id="31dec-to-1jan"),
    pytest.param(date(1985, 12, 31), date(2026, 12, 31), 0, id="31dec-today"),
    pytest.param(date(1992, 2, 29), date(2028, 2, 22), 7, id="29feb-in-leap-year"),
    pytest.param(date(1992, 2, 29), date(2028, 2, 29), 0, id="29feb-today-in-leap-year"),
    pytest.param(date(1990, 2, 28), date(2028, 2, 29), 365, id="28feb-passed-in-leap-year"),
    pytest.param(date(1992, 2, 29), date(2026, 3, 1), 364, id="29feb-passed-in-common-year"),
    pytest.param(date(1992, 2, 29), date(2027, 3, 1), 365, id="29feb-next-in-leap-year"),
]


@pytest.fixture
async def owner(make_user: UserFactory) -> User:
    return await make_user()


# --- pure date arithmetic ---------------------------------------------------------------------


@pytest.mark.parametrize(("birthday", "today", "expected_days"), PLAN_CASES + EDGE_CASES)
def test_days_until_birthday(birthday: date, today: date, expected_days: int) -> None:
    assert days_until_birthday(birthday, today) == expected_days
    assert next_birthday(birthday, today) == today + timedelta(days=expected_days)


def test_29_february_is_celebrated_on_28_february_in_a_common_year() -> None:
    assert next_birthday(date(1992, 2, 29), date(2026, 1, 1)) == date(2026, 2, 28)
    assert next_birthday(date(1992, 2, 29), date(2028, 1, 1)) == date(2028, 2, 29)


# --- the service, against the database ----------------------------------------------------------


@pytest.mark.parametrize(("birthday", "today", "expected_days"), PLAN_CASES)
async def test_get_upcoming_birthdays(
    async_session: AsyncSession, owner: User, birthday: date, today: date, expected_days: int
) -> None:
    [contact] = await add_contacts(async_session, owner, [birthday])

    found = await upcoming_birthdays(async_session, owner, today, days=7)

    assert [(c.id, c.days_until) for c in found] == [(contact.id, expected_days)]


async def test_window_includes_today_and_day_7_but_not_day_8(
    async_session: AsyncSession, owner: User
) -> None:
    # From TODAY (21 Feb 2026): 21 Feb is day 0, 28 Feb day 7, 1 Mar day 8.
    today, week, _day_8 = await add_contacts(
        async_session, owner, [date(1990, 2, 21), date(1990, 2, 28), date(1990, 3, 1)]
    )
    found = await upcoming_birthdays(async_session, owner, TODAY, days=7)
    assert [(c.id, c.days_until) for c in found] == [(today.id, 0), (week.id, 7)]


async def test_window_across_new_year(async_session: AsyncSession, owner: User) -> None:
    dec_31, jan_1, jan_7, _jan_8, _dec_30 = await add_contacts(
        async_session,
        owner,
        [
            date(1980, 12, 31),
            date(1981, 1, 1),
            date(1982, 1, 7),
            date(1983, 1, 8),
            date(1984, 12, 30),
        ],
    )
    found = await upcoming_birthdays(async_session, owner, date(2026, 12, 31), days=7)
    assert [(c.id, c.days_until) for c in found] == [(dec_31.id, 0), (jan_1.id, 1), (jan_7.id, 7)]


async def test_29_february_in_a_leap_year(async_session: AsyncSession, owner: User) -> None:
    # 2028 is a leap year: 28 Feb and 29 Feb are two different days.
    feb_28, feb_29 = await add_contacts(
        async_session, owner, [date(1990, 2, 28), date(1992, 2, 29)]
    )
    found = await upcoming_birthdays(async_session, owner, date(2028, 2, 22), days=7)
    assert [(c.id, c.days_until) for c in found] == [(feb_28.id, 6), (feb_29.id, 7)]


async def test_29_february_and_28_february_share_a_day_in_a_common_year(
    async_session: AsyncSession, owner: User
) -> None:
    feb_29, feb_28 = await add_contacts(
        async_session, owner, [date(1992, 2, 29), date(1990, 2, 28)]
    )
    found = await upcoming_birthdays(async_session, owner, date(2026, 2, 28), days=0)
    # Same day: ordered by last name (L000 before L001), then first name, then id.
    assert [(c.id, c.days_until) for c in found] == [(feb_29.id, 0), (feb_28.id, 0)]


async def test_results_are_ordered_soonest_first(async_session: AsyncSession, owner: User) -> None:
    in_5, in_1, in_3 = await add_contacts(
        async_session, owner, [date(1990, 2, 26), date(1991, 2, 22), date(1992, 2, 24)]
    )
    found = await upcoming_birthdays(async_session, owner, TODAY, days=7)
    assert [c.id for c in found] == [in_1.id, in_3.id, in_5.id]
    assert [c.days_until for c in found] == [1, 3, 5]


@pytest.mark.parametrize(("days", "expected"), [(0, [0]), (1, [0, 1]), (10, [0, 1, 10])])
async def test_days_parameter_sets_the_window(
    async_session: AsyncSession, owner: User, days: int, expected: list[int]
) -> None:
    # From TODAY: 21 Feb (0), 22 Feb (1), 3 Mar (10), 21 Mar (28).
    await add_contacts(
        async_session,
        owner,
        [date(1990, 2, 21), date(1990, 2, 22), date(1990, 3, 3), date(1990, 3, 21)],
    )
    found = await upcoming_birthdays(async_session, owner, TODAY, days=days)
    assert [c.days_until for c in found] == expected


@pytest.mark.parametrize("days", [365, 366])
async def test_a_whole_year_window_returns_everyone(
    async_session: AsyncSession, owner: User, days: int
) -> None:
    await add_contacts(async_session, owner, [date(1990, 2, 20), date(1992, 2, 29)])
    found = await upcoming_birthdays(async_session, owner, date(2027, 3, 1), days=days)
    assert sorted(c.days_until for c in found) == [356, 365]


async def test_only_the_owners_contacts(
    async_session: AsyncSession, owner: User, make_user: UserFactory
) -> None:
    other = await make_user("bob@example.com")
    await add_contacts(async_session, other, [TODAY])
    assert await upcoming_birthdays(async_session, owner, TODAY, days=7) == []


async def test_cached_birthdays_are_stored_under_the_user_and_date_key(
    async_session: AsyncSession, owner: User, redis: Redis
) -> None:
    [contact] = await add_contacts(async_session, owner, [date(1990, 2, 23)])

    first = await upcoming_birthdays_cached(async_session, redis, owner, TODAY, days=7)
    await async_session.delete(contact)  # behind the cache's back: no invalidation
    await async_session.commit()
    second = await upcoming_birthdays_cached(async_session, redis, owner, TODAY, days=7)

    assert birthdays_cache_key(owner.id, TODAY) == f"birthdays:{owner.id}:2026-02-21"
    assert await redis.hexists(f"birthdays:{owner.id}:2026-02-21", "7")
    assert first == second and [c["days_until"] for c in json.loads(second)] == [2]
