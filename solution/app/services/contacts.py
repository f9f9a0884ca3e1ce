"""Contacts of one owner: CRUD, search, and upcoming birthdays (cache-aside)."""

from datetime import date, timedelta

from pydantic import TypeAdapter
from redis.asyncio import Redis
from sqlalchemy import ColumnElement, extract, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cache import get_or_set_cache, invalidate
from app.core.config import settings
from app.models import Contact, User
from app.schemas.contact import (
    BirthdayContact,
    ContactCreate,
    ContactPage,
    ContactRead,
    ContactUpdate,
)
from app.services.errors import ConflictError, NotFoundError


# >>> lesson 04
def birthdays_cache_key(user_id: int, today: date) -> str:
    # The date is part of the key: tomorrow reads a new key, so yesterday's list never returns.
    return f"birthdays:{user_id}:{today.isoformat()}"


# --- todo
# TODO(04) [чекпойнти 04.2, 04.8]: ключ кешу `birthdays:{user_id}:{дата}` — дата в ключі, щоб
#   учорашній список ніколи не повернувся.
# <<< lesson 04
# ContactRead's columns only: a page is built from plain rows, no ORM objects to load.
_CONTACT_READ_COLUMNS = tuple(getattr(Contact, name) for name in ContactRead.model_fields)


async def list_contacts(
    session: AsyncSession, owner: User, skip: int, limit: int, query: str | None = None
) -> ContactPage:
    condition = Contact.owner_id == owner.id
    if query:
        pattern = f"%{query}%"
        condition = condition & or_(
            Contact.first_name.ilike(pattern),
            Contact.last_name.ilike(pattern),
            Contact.email.ilike(pattern),
        )
    count = select(func.count()).select_from(Contact).where(condition)
    # One statement: the page and, on every row, the total (a subquery the database runs once;
    # count(*) OVER () would first read every matching row whole).
    rows = (
        await session.execute(
            select(*_CONTACT_READ_COLUMNS, count.scalar_subquery().label("total"))
            .where(condition)
            .order_by(Contact.id)
            .offset(skip)
            .limit(limit)
        )
    ).all()
    if rows:
        total = rows[0].total
    else:  # no row to carry the total: an offset past the end still reports the real one
        total = await session.scalar(count) if skip else 0
    return ContactPage(items=rows, total=total)


async def get_contact(session: AsyncSession, owner: User, contact_id: int) -> Contact:
    contact = await session.scalar(
        select(Contact).where(Contact.id == contact_id, Contact.owner_id == owner.id)
    )
    if contact is None:
        # Another user's contact is "not found" too: a 403 would confirm that it exists.
        raise NotFoundError("Contact not found")
    return contact


async def _commit_contact(session: AsyncSession, contact: Contact) -> Contact:
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise ConflictError("A contact with this email already exists") from exc
    await session.refresh(contact)
    return contact


async def create_contact(
    session: AsyncSession,
    owner: User,
    data: ContactCreate,
    # >>> lesson 04
    redis: Redis,
    today: date,
    # <<< lesson 04
) -> Contact:
    contact = Contact(**data.model_dump(), owner_id=owner.id)
    session.add(contact)
    contact = await _commit_contact(session, contact)
    # >>> lesson 04
    await invalidate(redis, birthdays_cache_key(owner.id, today))
    # --- todo
    # TODO(04) [чекпойнт 04.3]: новий контакт змінює дні народження — видаліть кеш цього користувача
    #   за сьогодні.
    # <<< lesson 04
    return contact


async def update_contact(
    session: AsyncSession,
    owner: User,
    contact_id: int,
    data: ContactUpdate,
    # >>> lesson 04
    redis: Redis,
    today: date,
    # <<< lesson 04
) -> Contact:
    contact = await get_contact(session, owner, contact_id)
    for field, value in data.model_dump().items():
        setattr(contact, field, value)
    contact = await _commit_contact(session, contact)
    # >>> lesson 04
    await invalidate(redis, birthdays_cache_key(owner.id, today))
    # --- todo
    # TODO(04) [чекпойнт 04.3]: і тут — інвалідація кешу днів народження.
    # <<< lesson 04
    return contact


async def delete_contact(
    session: AsyncSession,
    owner: User,
    contact_id: int,
    # >>> lesson homework
    redis: Redis,
    today: date,
    # --- todo
    # TODO(homework) [чекпойнти HW.1, HW.7]: додайте параметри `redis: Redis, today: date`, як у
    #   create_contact і update_contact.
    # <<< lesson homework
) -> None:
    contact = await get_contact(session, owner, contact_id)
    await session.delete(contact)
    await session.commit()
    # >>> lesson homework
    # Homework, level 2: a deleted contact must leave the cached birthday list at once.
    await invalidate(redis, birthdays_cache_key(owner.id, today))
    # --- todo
    # TODO(homework) [чекпойнти HW.1, HW.7]: після commit видаліть кеш днів народження цього
    #   користувача за сьогодні — `invalidate(redis, birthdays_cache_key(owner.id, today))`, так
    #   само, як create_contact. Інакше видалений контакт ще годину (TTL) лишається в /birthdays
    #   і на першій сторінці GET /contacts (вона кешується в тому ж хеші).
    # <<< lesson homework


# >>> lesson 04
def next_birthday(birthday: date, today: date) -> date:
    """The next date (today included) on which this birthday is celebrated."""
    try:
        this_year = birthday.replace(year=today.year)
    except ValueError:  # 29 February in a common year is celebrated on the 28th
        this_year = birthday.replace(year=today.year, day=28)
    if this_year < today:
        try:
            return birthday.replace(year=today.year + 1)
        except ValueError:
            return birthday.replace(year=today.year + 1, day=28)
    return this_year


def days_until_birthday(birthday: date, today: date) -> int:
    return (next_birthday(birthday, today) - today).days


def _month_day(value: date) -> int:
    return value.month * 100 + value.day


def _birthday_window(today: date, days: int) -> ColumnElement[bool]:
    """A SQL pre-filter on month*100+day: a superset of the window, exact check in Python."""
    month_day = extract("month", Contact.birthday) * 100 + extract("day", Contact.birthday)
    start, end = _month_day(today), _month_day(today + timedelta(days=days))
    # Across New Year the window wraps: 28 Dec … 4 Jan is md >= 1228 OR md <= 104.
    window = (
        month_day.between(start, end) if start <= end else (month_day >= start) | (month_day <= end)
    )
    return window | (month_day == 229)  # 29 Feb may fall on 28 Feb this year


async def upcoming_birthdays(
    session: AsyncSession, owner: User, today: date, days: int
) -> list[BirthdayContact]:
    condition = Contact.owner_id == owner.id
    if days < 365:
        condition = condition & _birthday_window(today, days)
    rows = await session.scalars(select(Contact).where(condition))
    upcoming = []
    for contact in rows:
        days_until = days_until_birthday(contact.birthday, today)
        if days_until <= days:
            fields = ContactRead.model_validate(contact).model_dump()
            upcoming.append(BirthdayContact(**fields, days_until=days_until))
    return sorted(upcoming, key=lambda c: (c.days_until, c.last_name, c.first_name, c.id))


_BIRTHDAY_LIST = TypeAdapter(list[BirthdayContact])


async def upcoming_birthdays_cached(
    session: AsyncSession, redis: Redis, owner: User, today: date, days: int
) -> str:
    """The list as JSON text: a cache hit is answered as it was stored, one Redis read."""

    async def load() -> str:
        found = await upcoming_birthdays(session, owner, today, days)
        return _BIRTHDAY_LIST.dump_json(found).decode()

    return await get_or_set_cache(
        redis,
        birthdays_cache_key(owner.id, today),
        field=str(days),
        ttl=settings.BIRTHDAYS_CACHE_TTL_SECONDS,
        loader=load,
    )


# >>> given homework
async def first_page_cached(
    session: AsyncSession, redis: Redis, owner: User, today: date, limit: int
) -> str:
    """The first page of the list (no offset, no search: what every client opens with) as JSON
    text, cached in the hash of the day's birthday windows. Every change to the contacts deletes
    that key (create, update, delete, the seed script), so the page goes with it."""

    async def load() -> str:
        return (await list_contacts(session, owner, 0, limit)).model_dump_json()

    return await get_or_set_cache(
        redis,
        birthdays_cache_key(owner.id, today),
        field=f"page:{limit}",
        ttl=settings.BIRTHDAYS_CACHE_TTL_SECONDS,
        loader=load,
    )


# <<< given homework
# --- todo
# TODO(04) [чекпойнти 04.1, 04.2]: дні народження на найближчі `days` днів: next_birthday(birthday,
#   today) — 29 лютого в невисокосний рік → 28 лютого, минулі дати цього року → наступний рік;
#   upcoming_birthdays(session, owner, today, days) — найближчі спершу, з days_until;
#   upcoming_birthdays_cached — cache-aside через get_or_set_cache, у кеші — JSON-текст списку.
# <<< lesson 04
