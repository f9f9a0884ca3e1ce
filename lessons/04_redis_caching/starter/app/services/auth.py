"""Token flows: login pairs, refresh, and (from block 1 on) verification, revocation, reset."""

import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

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
)

logger = logging.getLogger(__name__)


# TODO(04) [чекпойнт 04.4]: issue_token_pair(user, family=None): обидва токени з claim "fam" (новий
#   uuid для логіну, той самий для refresh) — повторне використання refresh-токена завершує всю
#   сесію.
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


# TODO(04) [чекпойнт 04.4]: чорний список refresh-токенів у Redis: logout(redis, user,
#   refresh_token) кладе jti токена в blacklist до кінця його життя; refresh_tokens(session, redis,
#   token) відповідає 401 "Token has been revoked" для токена з чорного списку. Хелпери — у
#   app/core/cache.py.
async def refresh_tokens(session: AsyncSession, refresh_token: str) -> TokenPair:
    try:
        payload = decode_refresh_token(refresh_token)
    except TokenError as exc:
        raise InvalidCredentialsError("Invalid refresh token") from exc
    user = await users.get_user_by_email(session, payload.sub)
    if user is None:
        raise InvalidCredentialsError("Invalid refresh token")
    return issue_token_pair(user)
