"""Passwords and JWTs: access, refresh and (from block 1) purpose-scoped email tokens."""

import functools
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from jose import ExpiredSignatureError, JWTError, jwt
from passlib.context import CryptContext

from app.core.config import settings

ACCESS = "access"
REFRESH = "refresh"
EMAIL_VERIFY = "email_verify"

# Three tokens, three secrets: a leaked secret compromises one kind of token, not all of them.
_SECRETS = {
    ACCESS: lambda: settings.JWT_SECRET_KEY,
    REFRESH: lambda: settings.JWT_REFRESH_SECRET,
    EMAIL_VERIFY: lambda: settings.EMAIL_TOKEN_SECRET,
}

_pwd_context = CryptContext(
    schemes=["bcrypt"], deprecated="auto", bcrypt__rounds=settings.BCRYPT_ROUNDS
)


# bcrypt hashes the first 72 bytes and ignores the rest: longer passwords are refused, not cut.
MAX_PASSWORD_BYTES = 72


def unhashable_password(password: str) -> str | None:
    """Why bcrypt cannot take `password` as it is, or None: registration refuses it with this
    reason, login knows no account has it."""
    # 72 *bytes*: 72 emoji are 288, and everything after the 18th would be ignored.
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        return f"Password must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8"
    # bcrypt would end the password at a NUL; passlib refuses one outright (a 500 if let through).
    if "\x00" in password:
        return "Password must not contain a NUL character"
    return None


class TokenError(Exception):
    """The token is malformed, badly signed or of an unknown kind."""


class TokenExpiredError(TokenError):
    pass


class WrongTokenPurposeError(TokenError):
    pass


@dataclass(frozen=True)
class TokenPayload:
    sub: str
    jti: str
    exp: datetime


# bcrypt costs ~0.3 s at 12 rounds. It runs in worker threads, off the event loop, and at most
# (cores - 1) at a time: a burst of logins queues there instead of starving every other request.
_hashing_slots = anyio.CapacityLimiter(max(1, (os.cpu_count() or 2) - 1))


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_pwd_context.hash, password, limiter=_hashing_slots)


async def verify_password(password: str, hashed: str) -> bool:
    return await anyio.to_thread.run_sync(
        _pwd_context.verify, password, hashed, limiter=_hashing_slots
    )


@functools.cache
def _dummy_hash() -> str:
    return _pwd_context.hash("a password no account has")


async def verify_password_of_nobody(password: str) -> None:
    """As slow as a real check: an unknown email must not answer faster than a wrong password."""
    dummy = await anyio.to_thread.run_sync(_dummy_hash, limiter=_hashing_slots)
    await verify_password(password, dummy)


def _new_claims(subject: str, expires_delta: timedelta) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"sub": subject, "iat": now, "exp": now + expires_delta, "jti": uuid.uuid4().hex}


def _payload(claims: dict[str, Any]) -> TokenPayload:
    if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("jti"), str):
        raise TokenError("Invalid token")
    if "exp" not in claims:  # python-jose accepts a token without exp: it would never expire
        raise TokenError("Invalid token")
    return TokenPayload(
        sub=claims["sub"],
        jti=claims["jti"],
        exp=datetime.fromtimestamp(claims["exp"], UTC),
    )


def create_token(subject: str, purpose: str, expires_delta: timedelta, **session: str | int) -> str:
    """`session`: extra claims of a login session (from block 4 on: its family id)."""
    claims = _new_claims(subject, expires_delta) | session | {"purpose": purpose}
    return jwt.encode(claims, _SECRETS[purpose](), algorithm=settings.JWT_ALGORITHM)


def create_access_token(email: str, **session: str | int) -> str:
    lifetime = timedelta(minutes=settings.JWT_ACCESS_TOKEN_EXPIRE_MINUTES)
    return create_token(email, ACCESS, lifetime, **session)


def create_refresh_token(email: str, **session: str | int) -> str:
    lifetime = timedelta(days=settings.JWT_REFRESH_TOKEN_EXPIRE_DAYS)
    return create_token(email, REFRESH, lifetime, **session)


def create_email_token(email: str) -> str:
    return create_token(email, EMAIL_VERIFY, timedelta(hours=settings.EMAIL_TOKEN_EXPIRE_HOURS))


def decode_token(token: str, purpose: str) -> TokenPayload:
    """Check signature, expiry and purpose; raise a TokenError subclass on any failure."""
    try:
        claims = jwt.decode(token, _SECRETS[purpose](), algorithms=[settings.JWT_ALGORITHM])
    except ExpiredSignatureError as exc:
        raise TokenExpiredError("Token has expired") from exc
    except JWTError as exc:
        if _is_token_of_another_purpose(token, purpose):
            raise WrongTokenPurposeError("Wrong token purpose") from exc
        raise TokenError("Invalid token") from exc
    if claims.get("purpose") != purpose:
        raise WrongTokenPurposeError("Wrong token purpose")
    return _payload(claims)


def _is_token_of_another_purpose(token: str, purpose: str) -> bool:
    """A valid token of ours signed with another purpose's secret (an access token at /verify)."""
    own_secret = _SECRETS[purpose]()
    for secret in {get() for get in _SECRETS.values()} - {own_secret}:
        try:
            jwt.decode(token, secret, algorithms=[settings.JWT_ALGORITHM])
        except JWTError:
            continue
        return True
    return False


def decode_access_token(token: str) -> TokenPayload:
    return decode_token(token, ACCESS)


def decode_refresh_token(token: str) -> TokenPayload:
    return decode_token(token, REFRESH)


def decode_email_token(token: str) -> TokenPayload:
    return decode_token(token, EMAIL_VERIFY)
