"""Passwords and the purpose-scoped JWTs: claims, lifetimes, and every way a token is refused."""

import base64
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from jose import jwt

from app.core import security
from app.core.config import settings
from app.core.security import (
    ACCESS,
    EMAIL_VERIFY,
    REFRESH,
    TokenError,
    TokenExpiredError,
    WrongTokenPurposeError,
    create_access_token,
    create_email_token,
    create_refresh_token,
    create_token,
    decode_token,
    hash_password,
    verify_password,
)

EMAIL = "alice@example.com"

# purpose → (creator, secret it must be signed with, lifetime)
CREATORS: dict[str, tuple[Callable[[str], str], Callable[[], str], timedelta]] = {
    ACCESS: (create_access_token, lambda: settings.JWT_SECRET_KEY, timedelta(minutes=30)),
    REFRESH: (create_refresh_token, lambda: settings.JWT_REFRESH_SECRET, timedelta(days=7)),
    EMAIL_VERIFY: (create_email_token, lambda: settings.EMAIL_TOKEN_SECRET, timedelta(hours=24)),
    # TODO(homework) [чекпойнт HW.5]: (за бажанням) PASSWORD_RESET: (create_password_reset_token,
    #   секрет, timedelta(hours=1)).
}
THREE_PURPOSES = [ACCESS, REFRESH, EMAIL_VERIFY]


def sign(claims: dict[str, object], secret: str | None = None) -> str:
    """A token with exactly these claims, signed with our access secret unless told otherwise."""
    return jwt.encode(claims, secret or settings.JWT_SECRET_KEY, algorithm=settings.JWT_ALGORITHM)


def valid_claims(**overrides: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": EMAIL,
        "purpose": ACCESS,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": "abc123",
    }
    return claims | overrides


def b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# --- claims -----------------------------------------------------------------------------------


def test_create_access_token_has_correct_claims() -> None:
    # The lesson plan's example.
    token = create_access_token(EMAIL)
    payload = jwt.decode(token, settings.JWT_SECRET_KEY, algorithms=[settings.JWT_ALGORITHM])
    assert payload["purpose"] == "access"
    assert payload["sub"] == EMAIL
    assert payload["exp"] > datetime.now(UTC).timestamp()


@pytest.mark.parametrize("purpose", list(CREATORS))
def test_each_creator_signs_purpose_sub_jti_and_lifetime(purpose: str) -> None:
    create, secret, lifetime = CREATORS[purpose]
    claims = jwt.decode(create(EMAIL), secret(), algorithms=[settings.JWT_ALGORITHM])

    assert claims["purpose"] == purpose
    assert claims["sub"] == EMAIL
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16
    # Measured from the token's own iat, not from the wall clock: no timing flakiness.
    assert abs(claims["exp"] - claims["iat"] - lifetime.total_seconds()) <= 1


def test_every_token_gets_its_own_jti() -> None:
    # The blacklist works per jti: two logins must not share one.
    first, second = (decode_token(create_refresh_token(EMAIL), REFRESH) for _ in range(2))
    assert first.jti != second.jti


def test_decode_token_returns_sub_jti_and_an_aware_exp() -> None:
    token = create_refresh_token(EMAIL)
    claims = jwt.get_unverified_claims(token)
    payload = decode_token(token, REFRESH)
    assert (payload.sub, payload.jti) == (EMAIL, claims["jti"])
    assert payload.exp == datetime.fromtimestamp(claims["exp"], UTC)


# --- purpose confusion ------------------------------------------------------------------------


@pytest.mark.parametrize("expected", THREE_PURPOSES)
@pytest.mark.parametrize("issued", THREE_PURPOSES)
def test_token_is_accepted_only_for_its_own_purpose(issued: str, expected: str) -> None:
    token = CREATORS[issued][0](EMAIL)
    if issued == expected:
        assert decode_token(token, expected).sub == EMAIL
    else:
        with pytest.raises(WrongTokenPurposeError):
            decode_token(token, expected)


# TODO(homework) [чекпойнт HW.5]: (за бажанням) токени скидання й верифікації мають спільний
#   секрет: decode_token одного з purpose другого → WrongTokenPurposeError.
@pytest.mark.parametrize("claimed", [REFRESH, EMAIL_VERIFY, "admin"])
def test_right_secret_with_wrong_purpose_claim_is_refused(claimed: str) -> None:
    token = sign(valid_claims(purpose=claimed))  # signed with the access secret
    with pytest.raises(WrongTokenPurposeError):
        decode_token(token, ACCESS)


def test_right_secret_without_purpose_claim_is_refused() -> None:
    claims = valid_claims()
    del claims["purpose"]
    with pytest.raises(WrongTokenPurposeError):
        decode_token(sign(claims), ACCESS)


# --- forged, broken and expired tokens ----------------------------------------------------------


def test_alg_none_token_is_refused() -> None:
    header = b64url({"alg": "none", "typ": "JWT"})
    claims = b64url({"sub": EMAIL, "purpose": ACCESS, "jti": "x", "exp": 4102444800})
    with pytest.raises(TokenError) as info:
        decode_token(f"{header}.{claims}.", ACCESS)
    assert type(info.value) is TokenError  # invalid, not "expired" or "wrong purpose"


def test_token_signed_with_a_foreign_secret_is_invalid() -> None:
    with pytest.raises(TokenError) as info:
        decode_token(sign(valid_claims(), secret="somebody-elses-secret"), ACCESS)
    assert type(info.value) is TokenError  # not ours at all: not a "wrong purpose" either


@pytest.mark.parametrize("garbage", ["", "garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9..."])
def test_garbage_is_invalid(garbage: str) -> None:
    with pytest.raises(TokenError) as info:
        decode_token(garbage, ACCESS)
    assert type(info.value) is TokenError


@pytest.mark.parametrize("claim", ["sub", "jti", "exp"])
def test_token_missing_a_required_claim_is_invalid(claim: str) -> None:
    claims = valid_claims()
    del claims[claim]
    with pytest.raises(TokenError) as info:
        decode_token(sign(claims), ACCESS)
    assert type(info.value) is TokenError


def test_token_with_non_string_sub_is_invalid() -> None:
    with pytest.raises(TokenError):
        decode_token(sign(valid_claims(sub=42)), ACCESS)


@pytest.mark.parametrize("purpose", THREE_PURPOSES)
def test_expired_token_is_refused_as_expired(purpose: str) -> None:
    token = create_token(EMAIL, purpose, expires_delta=timedelta(seconds=-1))
    with pytest.raises(TokenExpiredError):
        decode_token(token, purpose)


# --- passwords --------------------------------------------------------------------------------


async def test_hash_and_verify_password_round_trip() -> None:
    hashed = await hash_password("secret123")
    assert hashed != "secret123"
    assert hashed.startswith("$2b$")
    assert hashed.split("$")[2] == f"{settings.BCRYPT_ROUNDS:02d}"  # cost from the settings
    assert await verify_password("secret123", hashed) is True


async def test_verify_password_rejects_a_wrong_password() -> None:
    hashed = await hash_password("secret123")
    assert await verify_password("secret124", hashed) is False


async def test_same_password_hashes_differently() -> None:
    # A random salt per hash: equal passwords are not visible as equal hashes.
    assert await hash_password("secret123") != await hash_password("secret123")


async def test_hashing_runs_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    context = security._pwd_context
    threads: dict[str, int] = {}

    def recording(name: str) -> Callable[..., object]:
        original = getattr(context, name)

        def wrapper(*args: object, **kwargs: object) -> object:
            threads[name] = threading.get_ident()
            return original(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(context, "hash", recording("hash"))
    monkeypatch.setattr(context, "verify", recording("verify"))

    assert await verify_password("pw-123456", await hash_password("pw-123456"))
    loop_thread = threading.get_ident()
    assert set(threads) == {"hash", "verify"}
    assert loop_thread not in threads.values()
