"""Dependencies shared by the routers: the session, the current user and outside services."""

from datetime import date
from typing import Annotated

from fastapi import Depends, HTTPException, Response, status
from fastapi.security import OAuth2PasswordBearer
from fastapi_mail import FastMail
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cache import get_redis
from app.core.database import get_db
from app.core.security import TokenError, decode_access_token
from app.models import User
from app.services import auth as auth_service
from app.services import users as user_service
from app.services.cloudinary_service import AvatarStorage, get_avatar_storage
from app.services.email import get_email_service

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login")


def no_store(response: Response) -> None:
    """Token answers must not be kept by a browser or a proxy cache (RFC 6749, 5.1)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"


NoStore = Depends(no_store)
SessionDep = Annotated[AsyncSession, Depends(get_db)]
TokenDep = Annotated[str, Depends(oauth2_scheme)]
# >>> given 01
MailerDep = Annotated[FastMail, Depends(get_email_service)]
# <<< given 01
# >>> given 02
AvatarStorageDep = Annotated[AvatarStorage, Depends(get_avatar_storage)]
# <<< given 02
# >>> given 04
RedisDep = Annotated[Redis, Depends(get_redis)]


async def get_today() -> date:
    """Today's date as a dependency: tests pin it instead of waiting for a birthday.

    `async` though it awaits nothing: FastAPI runs a plain `def` dependency in a worker thread,
    a hop that would cost more than the cache hit it is part of."""
    return date.today()


TodayDep = Annotated[date, Depends(get_today)]
# <<< given 04


async def get_current_user(
    session: SessionDep,
    token: TokenDep,
    # >>> given 04
    redis: RedisDep,
    # <<< given 04
) -> User:
    unauthorized = HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Could not validate credentials",
        headers={"WWW-Authenticate": "Bearer"},
    )
    try:
        payload = decode_access_token(token)
    except TokenError as exc:
        raise unauthorized from exc
    # >>> lesson 04
    await auth_service.check_access_token(redis, payload)  # logged out? a stolen session?
    # --- todo
    # TODO(04) [чекпойнт 04.4]: чорний список перевіряється на кожному запиті: access-токен після
    #   logout більше не працює (auth_service.check_access_token).
    # <<< lesson 04
    # >>> until 04
    #|     user = await user_service.get_user_by_email(session, payload.sub)
    # <<< until 04
    # >>> lesson 04
    user = await user_service.get_principal(session, redis, payload.sub)  # Redis first
    # --- todo
    # TODO(04) [чекпойнт 04.9]: користувач запиту — з Redis, а не з бази на кожному запиті:
    #   user_service.get_principal(session, redis, payload.sub) замість рядка вище. Вона вже вміє
    #   cache-aside, а зміни профілю, аватара й пароля переписують запис (remember_principal).
    # <<< lesson 04
    if user is None:
        raise unauthorized
    # >>> lesson homework
    auth_service.ensure_current_session(user, payload)
    # --- todo
    # TODO(homework) [чекпойнт HW.4]: (за бажанням) access-токен, виданий до зміни пароля, → 401:
    #   auth_service.ensure_current_session(user, payload).
    # <<< lesson homework
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


# >>> lesson 01
async def require_verified(user: CurrentUser) -> User:
    if not user.is_verified:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Email not verified")
    return user


VerifiedUser = Annotated[User, Depends(require_verified)]
# --- todo
# TODO(01) [чекпойнт 01.5]: require_verified — залежність, що пропускає лише верифікованих (інакше
#   403 "Email not verified"); VerifiedUser = Annotated[User, Depends(require_verified)] замість
#   рядка `VerifiedUser = CurrentUser` нижче.
# <<< lesson 01
# >>> until 01
#| # Module 12: every logged-in user may use the contacts; block 1 adds the email check.
#| VerifiedUser = CurrentUser
# <<< until 01
