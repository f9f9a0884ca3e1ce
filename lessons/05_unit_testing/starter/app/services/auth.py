"""Token flows: login pairs, refresh, and (from block 1 on) verification, revocation, reset."""

from collections.abc import Callable
from datetime import UTC, datetime

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cache import CacheUnavailableError, blacklist_token, is_token_blacklisted
from app.core.security import (
    TokenError,
    TokenExpiredError,
    TokenPayload,
    WrongTokenPurposeError,
    create_access_token,
    create_refresh_token,
    decode_email_token,
    decode_refresh_token,
)
from app.models import User
from app.schemas.token import TokenPair
from app.services import users
from app.services.errors import (
    InvalidCredentialsError,
    InvalidInputError,
    ServiceUnavailableError,
)


def issue_token_pair(user: User) -> TokenPair:
    return TokenPair(
        access_token=create_access_token(user.email),
        refresh_token=create_refresh_token(user.email),
    )


def _decode_one_time_token(token: str, decode: Callable[[str], TokenPayload]) -> TokenPayload:
    """Decode a token sent by email; every failure is a 400 with a reason the user can act on."""
    try:
        return decode(token)
    except WrongTokenPurposeError as exc:
        raise InvalidInputError("Wrong token purpose") from exc
    except TokenExpiredError as exc:
        raise InvalidInputError("Token has expired") from exc
    except TokenError as exc:
        raise InvalidInputError("Invalid token") from exc


async def verify_email(session: AsyncSession, token: str) -> User:
    payload = _decode_one_time_token(token, decode_email_token)
    return await users.mark_verified(session, payload.sub)


async def _revoke(redis: Redis, payload: TokenPayload) -> None:
    remaining = int((payload.exp - datetime.now(UTC)).total_seconds())
    try:
        newly_revoked = await blacklist_token(redis, payload.jti, ttl=remaining)
    except CacheUnavailableError as exc:
        raise ServiceUnavailableError("Token store unavailable, try again later") from exc
    if not newly_revoked:  # a concurrent request with the same token got here first
        raise InvalidCredentialsError("Token has been revoked")


async def _check_not_revoked(redis: Redis, payload: TokenPayload) -> None:
    try:
        revoked = await is_token_blacklisted(redis, payload.jti)
    except CacheUnavailableError as exc:
        raise ServiceUnavailableError("Token store unavailable, try again later") from exc
    if revoked:
        raise InvalidCredentialsError("Token has been revoked")


async def _decode_refresh(redis: Redis, token: str) -> TokenPayload:
    try:
        payload = decode_refresh_token(token)
    except TokenError as exc:
        raise InvalidCredentialsError("Invalid refresh token") from exc
    await _check_not_revoked(redis, payload)
    return payload


async def refresh_tokens(session: AsyncSession, redis: Redis, refresh_token: str) -> TokenPair:
    payload = await _decode_refresh(redis, refresh_token)
    user = await users.get_user_by_email(session, payload.sub)
    if user is None:
        raise InvalidCredentialsError("Invalid refresh token")
    # Rotation: a refresh token works once, so a stolen copy dies with the next refresh.
    await _revoke(redis, payload)
    return issue_token_pair(user)


async def logout(redis: Redis, user: User, refresh_token: str) -> None:
    payload = await _decode_refresh(redis, refresh_token)
    if payload.sub != user.email:
        raise InvalidCredentialsError("Invalid refresh token")
    await _revoke(redis, payload)
