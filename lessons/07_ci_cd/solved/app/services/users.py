"""Users: registration, verification, authentication and the profile."""

import json

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from app.core.cache import read_text, write_text
from app.core.security import (
    hash_password,
    unhashable_password,
    verify_password,
    verify_password_of_nobody,
)
from app.models import User
from app.schemas.user import UserCreate, UserUpdate
from app.services.errors import (
    ConflictError,
    InvalidCredentialsError,
    NotFoundError,
    PermissionDeniedError,
)


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.lower()))


# The user a request acts as, cached in Redis: with the token checks, most requests then reach
# no database until their route needs one. Every column but the password hash and the timestamps,
# which no request reads from its user (an attribute left out is never loaded: reading it fails).
PRINCIPAL_TTL_SECONDS = 300
_PRINCIPAL_COLUMNS = frozenset(
    column.key
    for column in User.__mapper__.column_attrs
    if column.key not in {"hashed_password", "created_at", "updated_at"}
)


def _principal_key(email: str) -> str:
    return f"principal:{email.lower()}"


async def get_principal(session: AsyncSession, redis: Redis, email: str) -> User | None:
    """The user of an access token: from Redis if cached, else from the database (then cached)."""
    cached = await read_text(redis, _principal_key(email))
    data = json.loads(cached) if cached is not None else {}
    # An entry written before a migration added or dropped a column is a miss, not a 500.
    if data.keys() == _PRINCIPAL_COLUMNS:
        user = User(**data)
        make_transient_to_detached(user)  # as if loaded: a change to it is saved as an UPDATE
        session.add(user)  # the request's session is new: no other copy of this user is in it
        return user
    user = await get_user_by_email(session, email)
    if user is not None:
        # NX: a change committed since our read has written the fresh entry; it stands.
        await remember_principal(redis, user, only_if_absent=True)
    return user


async def remember_principal(redis: Redis, user: User, *, only_if_absent: bool = False) -> None:
    """Write-through: called after every change to a user, so no request reads the old entry.

    Only verified users are cached: only they get access tokens, and verifying is the one
    change made where no cache is at hand (block 1's /verify).
    """
    if not user.is_verified:
        return
    text = json.dumps({name: getattr(user, name) for name in _PRINCIPAL_COLUMNS})
    await write_text(
        redis,
        _principal_key(user.email),
        text,
        PRINCIPAL_TTL_SECONDS,
        only_if_absent=only_if_absent,
    )


async def create_user(session: AsyncSession, data: UserCreate) -> User:
    user = User(
        email=data.email.lower(),
        hashed_password=await hash_password(data.password),
        full_name=data.full_name,
    )
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as exc:
        # The unique index decides: two concurrent registrations cannot both pass a pre-check.
        await session.rollback()
        raise ConflictError("Email already registered") from exc
    return user


async def mark_verified(session: AsyncSession, email: str) -> User:
    user = await get_user_by_email(session, email)
    if user is None:
        raise NotFoundError("User not found")
    if not user.is_verified:  # verifying twice is harmless and changes nothing
        user.is_verified = True
        await session.commit()
    return user


async def authenticate(session: AsyncSession, email: str, password: str) -> User:
    # No account has such a password (registration refuses them), and passlib would raise on it.
    if unhashable_password(password) is not None:
        raise InvalidCredentialsError("Incorrect email or password")
    user = await get_user_by_email(session, email)
    if user is None:
        await verify_password_of_nobody(password)  # the same time as a wrong password
        raise InvalidCredentialsError("Incorrect email or password")
    if not await verify_password(password, user.hashed_password):
        raise InvalidCredentialsError("Incorrect email or password")
    if not user.is_verified:
        # 403, not 401: we know who this is, they may not log in yet.
        raise PermissionDeniedError("Email not verified")
    return user


async def update_profile(session: AsyncSession, user: User, data: UserUpdate) -> User:
    user.full_name = data.full_name
    await session.commit()
    return user


async def set_avatar_url(session: AsyncSession, user: User, url: str) -> User:
    user.avatar_url = url
    await session.commit()
    return user
