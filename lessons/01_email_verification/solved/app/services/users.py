"""Users: registration, verification, authentication and the profile."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

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
