"""Contacts of one owner: CRUD, search, and upcoming birthdays (cache-aside)."""

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Contact, User
from app.schemas.contact import (
    ContactCreate,
    ContactPage,
    ContactRead,
    ContactUpdate,
)
from app.services.errors import ConflictError, NotFoundError

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
) -> Contact:
    contact = Contact(**data.model_dump(), owner_id=owner.id)
    session.add(contact)
    contact = await _commit_contact(session, contact)
    return contact


async def update_contact(
    session: AsyncSession,
    owner: User,
    contact_id: int,
    data: ContactUpdate,
) -> Contact:
    contact = await get_contact(session, owner, contact_id)
    for field, value in data.model_dump().items():
        setattr(contact, field, value)
    contact = await _commit_contact(session, contact)
    return contact


async def delete_contact(
    session: AsyncSession,
    owner: User,
    contact_id: int,
) -> None:
    contact = await get_contact(session, owner, contact_id)
    await session.delete(contact)
    await session.commit()
