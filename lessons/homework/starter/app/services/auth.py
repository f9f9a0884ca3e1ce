"""Token flows: login pairs, refresh, and (from block 1 on) verification, revocation, reset."""

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cache import (
    CacheUnavailableError,
    blacklist_token,
    is_family_revoked,
    is_session_revoked,
    is_token_blacklisted,
    revoke_family,
)
from app.core.config import settings
from app.core.security import (
    TokenError,
    TokenExpiredError,
    TokenPayload,
    WrongTokenPurposeError,
    create_access_token,
    create_refresh_token,
    decode_access_token,
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

logger = logging.getLogger(__name__)


def issue_token_pair(user: User, family: str | None = None) -> TokenPair:
    """A login starts a token family; each refresh of it passes the family on (`family`)."""
    session: dict[str, str | int] = {"fam": family or uuid.uuid4().hex}
    # TODO(homework) [чекпойнт HW.4]: (за бажанням) claim "ver" = user.token_version в обох
    #   токенах.
    return TokenPair(
        access_token=create_access_token(user.email, **session),
        refresh_token=create_refresh_token(user.email, **session),
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


async def _end_family(redis: Redis, payload: TokenPayload) -> None:
    if payload.family is None:
        return
    lifetime = int(settings.JWT_REFRESH_TOKEN_EXPIRE_DAYS * 24 * 3600)  # the newest token's
    try:
        await revoke_family(redis, payload.family, ttl=lifetime)
    except CacheUnavailableError as exc:
        raise ServiceUnavailableError("Token store unavailable, try again later") from exc


async def _check_family_active(redis: Redis, payload: TokenPayload) -> None:
    try:
        revoked = await is_family_revoked(redis, payload.family)
    except CacheUnavailableError as exc:
        raise ServiceUnavailableError("Token store unavailable, try again later") from exc
    if revoked:
        raise InvalidCredentialsError("Token has been revoked")


async def _decode_refresh(redis: Redis, token: str) -> TokenPayload:
    try:
        payload = decode_refresh_token(token)
    except TokenError as exc:
        raise InvalidCredentialsError("Invalid refresh token") from exc
    try:
        await _check_not_revoked(redis, payload)
    except InvalidCredentialsError:
        # A rotated token came back: one of its holders stole it, and we cannot tell which.
        # End the whole family (RFC 9700, 4.14.2); the rightful user simply logs in again.
        await _end_family(redis, payload)
        raise
    await _check_family_active(redis, payload)
    return payload


async def check_access_token(redis: Redis, payload: TokenPayload) -> None:
    """Every request: an access token dies with logout or with its family, not 30 min later.

    Redis down: the token is let through, and that is logged. An access token lives 30 minutes
    at most, and failing closed here would turn a cache outage into an outage of every route;
    refresh and logout, which mint or end sessions, fail closed (503) instead.
    """
    try:
        revoked = await is_session_revoked(redis, payload.jti, payload.family)
    except CacheUnavailableError:
        logger.warning("Token store unavailable: access token %s not checked", payload.jti)
        return
    if revoked:
        raise InvalidCredentialsError("Token has been revoked")


async def refresh_tokens(session: AsyncSession, redis: Redis, refresh_token: str) -> TokenPair:
    payload = await _decode_refresh(redis, refresh_token)
    user = await users.get_user_by_email(session, payload.sub)
    if user is None:
        raise InvalidCredentialsError("Invalid refresh token")
    # TODO(homework) [чекпойнт HW.4]: (за бажанням) refresh-токен, виданий до зміни пароля, → 401
    #   (ensure_current_session).
    # Rotation: a refresh token works once, so a stolen copy dies with the next refresh.
    await _revoke(redis, payload)
    return issue_token_pair(user, payload.family)


async def logout(redis: Redis, user: User, refresh_token: str, access_token: str) -> None:
    payload = await _decode_refresh(redis, refresh_token)
    if payload.sub != user.email:
        raise InvalidCredentialsError("Invalid refresh token")
    await _revoke(redis, payload)
    # The access token that called: it would otherwise work until it expires.
    await _revoke(redis, decode_access_token(access_token))
    await _end_family(redis, payload)


# TODO(homework) [чекпойнти HW.4, HW.5]: reset_password(session, redis, token, new_password):
#   - _decode_one_time_token(token, decode_password_reset_token) — не той purpose, прострочений
#     чи зіпсований токен → 400 (InvalidInputError);
#   - токен одноразовий: jti використаного токена — у чорний список Redis, як при logout
#     (_check_not_revoked, _revoke); вдруге → 400 "Token has already been used", Redis
#     недоступний → 503;
#   - користувача немає → 400 "Invalid token"; інакше users.set_password(session, user,
#     new_password), а тоді users.remember_principal(redis, user): кеш користувача (блок 4) інакше
#     ще до 5 хвилин пам'ятає старий token_version.
#   (За бажанням) ensure_current_session(user, payload): токен зі старим "ver" → 401.
