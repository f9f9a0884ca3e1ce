"""Demo data: a verified user and Faker contacts, some with a birthday in the next 7 days.

Run it from solution/ after `alembic upgrade head`:

    python scripts/seed_data.py                 # demo@example.com / demo12345, 50 contacts
    python scripts/seed_data.py --count 100     # top the address book up to 100
    python scripts/seed_data.py --reset         # delete the demo user's contacts first
    python scripts/seed_data.py --random-seed 1 --today 2026-12-28   # the same data every time

Idempotent: the demo user is created once (and kept verified, with the printed password), its
address book is topped up to --count, and at least a fifth of it has a birthday within the next
7 days of today: a re-run on a later day moves a few birthdays, so GET /contacts/birthdays always
has something to show. Settings (DATABASE_URL, REDIS_URL, ...) come from the environment or .env,
as for the app.
"""

from __future__ import annotations

import argparse
import asyncio
import calendar
import random
import re
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

SOLUTION_DIR = Path(__file__).resolve().parent.parent
if str(SOLUTION_DIR) not in sys.path:  # `python scripts/seed_data.py` puts scripts/ first, not us
    sys.path.insert(0, str(SOLUTION_DIR))

from faker import Faker
from sqlalchemy import Connection, delete, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cache import close_redis, get_redis, invalidate
from app.core.database import SessionLocal, engine
from app.core.security import hash_password, verify_password
from app.models import Contact, User
from app.schemas.contact import ContactCreate
from app.schemas.user import UserCreate
from app.services import users as user_service
from app.services.contacts import birthdays_cache_key

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo12345"
DEMO_FULL_NAME = "Demo User"
DEFAULT_COUNT = 50
UPCOMING_DAYS = 7
UPCOMING_SHARE = 0.2
MIN_AGE, MAX_AGE = 18, 80
FAKER_LOCALE = "uk_UA"
PHONE_PATTERN = re.compile(r"^\+?[0-9 ()\-]{3,30}$")  # what ContactCreate accepts


@dataclass
class SeedReport:
    user_created: bool
    contacts_added: int
    birthdays_moved: int
    contacts_total: int
    upcoming: int


def days_until_birthday(birthday: date, today: date) -> int:
    """Days until the next birthday (0 = today); 29 February is kept on 28 February."""

    def on(year: int) -> date:
        day = 28 if (birthday.month, birthday.day) == (2, 29) and not calendar.isleap(year) else 0
        return birthday.replace(year=year, day=day or birthday.day)

    next_one = on(today.year)
    if next_one < today:
        next_one = on(today.year + 1)
    return (next_one - today).days


def birth_date(today: date, rng: random.Random, first_day: int, last_day: int) -> date:
    """The birth date of an adult (18-80 today) whose next birthday is `first_day` … `last_day`
    days after today."""
    next_birthday = today + timedelta(days=rng.randint(first_day, last_day))
    # Age at that birthday: one more than today's, unless the birthday is today.
    age = rng.randint(MIN_AGE, MAX_AGE) + (next_birthday > today)
    year = next_birthday.year - age
    if (next_birthday.month, next_birthday.day) == (2, 29):
        while not calendar.isleap(year):  # only leap years have a 29 February to be born on
            year -= 1
    return next_birthday.replace(year=year)


def upcoming_birthday(today: date, rng: random.Random, days: int = UPCOMING_DAYS) -> date:
    """A birth date whose next birthday falls within today … today + days."""
    return birth_date(today, rng, 0, days)


def later_birthday(today: date, rng: random.Random, days: int = UPCOMING_DAYS) -> date:
    """A birth date whose next birthday is more than `days` away."""
    return birth_date(today, rng, days + 1, 364)


def fake_phone(fake: Faker) -> str:
    phone = fake.phone_number()
    return phone if PHONE_PATTERN.match(phone) else fake.numerify("+380 ## ### ## ##")


def fake_contact(fake: Faker, birthday: date, taken_emails: set[str]) -> ContactCreate:
    """A valid contact (the API's own schema checks it) with an email new to this owner."""
    email = fake.unique.email()
    while email.lower() in taken_emails:
        email = fake.unique.email()
    taken_emails.add(email.lower())
    return ContactCreate(
        first_name=fake.first_name()[:50],
        last_name=fake.last_name()[:50],
        email=email,
        phone=fake_phone(fake),
        birthday=birthday,
        notes=fake.sentence(nb_words=8) if fake.boolean(chance_of_getting_true=30) else None,
    )


async def ensure_demo_user(session: AsyncSession) -> tuple[User, bool]:
    """The demo user, verified and with the demo password; True when it was created now."""
    user = await user_service.get_user_by_email(session, DEMO_EMAIL)
    created = user is None
    if user is None:
        data = UserCreate(email=DEMO_EMAIL, password=DEMO_PASSWORD, full_name=DEMO_FULL_NAME)
        user = await user_service.create_user(session, data)
    elif not await verify_password(DEMO_PASSWORD, user.hashed_password):
        user.hashed_password = await hash_password(DEMO_PASSWORD)
    user.is_verified = True  # the demo user skips the email round trip
    await session.commit()
    return user, created


async def _contacts_of(session: AsyncSession, owner: User) -> list[Contact]:
    rows = await session.scalars(
        select(Contact).where(Contact.owner_id == owner.id).order_by(Contact.id)
    )
    return list(rows)


def _upcoming(contacts: list[Contact], today: date) -> list[Contact]:
    return [c for c in contacts if days_until_birthday(c.birthday, today) <= UPCOMING_DAYS]


async def _tables_exist(session: AsyncSession) -> bool:
    def check(connection: Connection) -> bool:
        return inspect(connection).has_table(User.__tablename__)

    connection = await session.connection()
    return await connection.run_sync(check)


async def seed(
    count: int = DEFAULT_COUNT,
    *,
    reset: bool = False,
    random_seed: int | None = None,
    today: date | None = None,
) -> SeedReport:
    today = today or date.today()
    rng = random.Random(random_seed)
    fake = Faker(FAKER_LOCALE)
    fake.seed_instance(random_seed)
    async with SessionLocal() as session:
        if not await _tables_exist(session):
            raise SystemExit(
                "The database has no tables yet: run `alembic upgrade head` first "
                f"(DATABASE_URL={engine.url.render_as_string(hide_password=True)})."
            )
        user, created = await ensure_demo_user(session)
        if reset:
            await session.execute(delete(Contact).where(Contact.owner_id == user.id))
            await session.commit()

        contacts = await _contacts_of(session, user)
        wanted_upcoming = max(1, round(count * UPCOMING_SHARE)) if count else 0
        missing_upcoming = max(wanted_upcoming - len(_upcoming(contacts, today)), 0)
        to_add = max(count - len(contacts), 0)

        # New contacts first take the missing birthdays of this week ...
        soon = min(missing_upcoming, to_add)
        birthdays = [upcoming_birthday(today, rng) for _ in range(soon)]
        birthdays += [later_birthday(today, rng) for _ in range(to_add - soon)]
        rng.shuffle(birthdays)
        taken = {contact.email.lower() for contact in contacts}
        for birthday in birthdays:
            data = fake_contact(fake, birthday, taken)
            session.add(Contact(**data.model_dump(), owner_id=user.id))

        # ... and when the book is already full, existing contacts move into this week.
        moved = 0
        for contact in contacts:
            if moved >= missing_upcoming - soon:
                break
            if days_until_birthday(contact.birthday, today) > UPCOMING_DAYS:
                contact.birthday = upcoming_birthday(today, rng)
                moved += 1
        await session.commit()

        # The cached birthday list of today must not hide what was just added.
        redis = await get_redis()
        try:
            await invalidate(redis, birthdays_cache_key(user.id, today))
        finally:
            await close_redis()
        contacts = await _contacts_of(session, user)
        report = SeedReport(
            user_created=created,
            contacts_added=len(birthdays),
            birthdays_moved=moved,
            contacts_total=len(contacts),
            upcoming=len(_upcoming(contacts, today)),
        )
    await engine.dispose()
    return report


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--count",
        type=int,
        default=DEFAULT_COUNT,
        help=f"contacts the demo user should have (default {DEFAULT_COUNT})",
    )
    parser.add_argument(
        "--reset", action="store_true", help="delete the demo user's contacts before seeding"
    )
    parser.add_argument(
        "--random-seed", type=int, default=None, help="make the generated data reproducible"
    )
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="seed as if today were this date (default: today)",
    )
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must be >= 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    report = asyncio.run(
        seed(args.count, reset=args.reset, random_seed=args.random_seed, today=args.today)
    )
    state = "created" if report.user_created else "already there"
    print(f"Demo user: {DEMO_EMAIL} / {DEMO_PASSWORD} (verified, {state})")
    print(
        f"Contacts: {report.contacts_total} ({report.contacts_added} added, "
        f"{report.birthdays_moved} birthdays moved into this week); "
        f"birthdays in the next {UPCOMING_DAYS} days: {report.upcoming}"
    )


if __name__ == "__main__":
    main()
