"""Token flows: login pairs, refresh, and (from block 1 on) verification, revocation, reset."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import (
    TokenError,
    create_access_token,
    create_refresh_token,
    decode_refresh_token,
)
from app.models import User
from app.schemas.token import TokenPair
from app.services import users
from app.services.errors import (
    InvalidCredentialsError,
)


def issue_token_pair(user: User) -> TokenPair:
    return TokenPair(
        access_token=create_access_token(user.email),
        refresh_token=create_refresh_token(user.email),
    )


# TODO(01) [чекпойнт 01.3]: verify_email(session, token): decode_email_token(token) перевіряє exp +
#   purpose; WrongTokenPurposeError → 400 "Wrong token purpose", прострочений або зіпсований токен →
#   400; далі mark_verified.
async def refresh_tokens(session: AsyncSession, refresh_token: str) -> TokenPair:
    try:
        payload = decode_refresh_token(refresh_token)
    except TokenError as exc:
        raise InvalidCredentialsError("Invalid refresh token") from exc
    user = await users.get_user_by_email(session, payload.sub)
    if user is None:
        raise InvalidCredentialsError("Invalid refresh token")
    return issue_token_pair(user)
