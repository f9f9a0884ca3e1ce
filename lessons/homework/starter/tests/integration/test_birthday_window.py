"""The SQL pre-filter of upcoming birthdays never drops a birthday that the exact check keeps.

Every day of a common and of a leap year, on the real database: `extract` becomes strftime on
SQLite and EXTRACT on PostgreSQL (in CI), the engine difference the lesson plan warns of.
"""

import calendar
from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User
from app.services.contacts import upcoming_birthdays
from tests.helpers import add_contacts


def property_birthdays() -> list[date]:
    """~40 birthdays on the awkward days: every month's first and last day, mid-month, 29 Feb."""
    birthdays = []
    for month in range(1, 13):
        last = calendar.monthrange(2000, month)[1]  # 2000 is a leap year: Feb ends on the 29th
        birthdays += [date(1990, month, 1), date(2000, month, last), date(1991, month, 15)]
    return birthdays + [
        date(1992, 2, 29),  # a second 29 Feb
        date(1993, 2, 28),
        date(1994, 3, 1),
        date(1995, 12, 30),
        date(1996, 1, 2),
    ]


def reference(birthdays: list[date], today: date, days: int) -> list[tuple[int, int]]:
    """Brute force: walk the window day by day. (index, days_until), soonest first."""
    first_offset: dict[tuple[int, int], int] = {}  # (month, day) → first day it is celebrated
    for offset in range(days, -1, -1):
        day = today + timedelta(days=offset)
        first_offset[(day.month, day.day)] = offset
        if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
            first_offset[(2, 29)] = offset  # no 29 Feb this year: celebrated on the 28th
    found = sorted(
        (first_offset[(b.month, b.day)], index)
        for index, b in enumerate(birthdays)
        if (b.month, b.day) in first_offset
    )
    return [(index, offset) for offset, index in found]


DAYS_CYCLE = (7, 0, 1, 30, 6, 13)  # the window length changes from day to day


@pytest.mark.parametrize("year", [2026, 2028])
async def test_sql_prefilter_keeps_every_birthday_of_the_window(
    async_session: AsyncSession, test_user: User, year: int
) -> None:
    birthdays = property_birthdays()
    contacts = await add_contacts(async_session, test_user, birthdays)
    index_of = {contact.id: index for index, contact in enumerate(contacts)}

    today, n = date(year, 1, 1), 0
    while today.year == year:
        days = DAYS_CYCLE[n % len(DAYS_CYCLE)]
        found = await upcoming_birthdays(async_session, test_user, today, days=days)
        got = [(index_of[c.id], c.days_until) for c in found]
        assert got == reference(birthdays, today, days), f"today={today}, days={days}"
        today, n = today + timedelta(days=1), n + 1
