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
MailerDep = Annotated[FastMail, Depends(get_email_service)]
AvatarStorageDep = Annotated[AvatarStorage, Depends(get_avatar_storage)]
RedisDep = Annotated[Redis, Depends(get_redis)]


async def get_today() -> date:
    """Today's date as a dependency: tests pin it instead of waiting for a birthday.

    `async` though it awaits nothing: FastAPI runs a plain `def` dependency in a worker thread,
    a hop that would cost more than the cache hit it is part of."""
    return date.today()


TodayDep = Annotated[date, Depends(get_today)]


async def get_current_user(
    session: SessionDep,
    token: TokenDep,
    redis: RedisDep,
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
    await auth_service.check_access_token(redis, payload)  # logged out? a stolen session?
    user = await user_service.get_principal(session, redis, payload.sub)  # Redis first
    if user is None:
        raise unauthorized
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def require_verified(user: CurrentUser) -> User:
    if not user.is_verified:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Email not verified")
    return user


VerifiedUser = Annotated[User, Depends(require_verified)]
