"""Three ways to build an email verification link, and why only the third one is safe.

Block 1 of the lesson plan ("Email верифікація"), step 1. Runs offline, no settings needed:

    python standalone_examples/02_email_verification_tokens.py

It creates and checks a link token three ways, with python-jose for the JWTs:

1. a random UUID stored on the server: never expires, no purpose, no secret at all;
2. a JWT without `exp`, signed with the one secret the app has: an old link works forever, and
   an access token passes for a verification token;
3. a JWT with `exp` (24 h), `purpose: "email_verify"` and its own secret, as in
   app/core/security.py: expired tokens, access tokens, tokens of another purpose and
   `alg: none` forgeries are all rejected.

Then it prints the security table the lesson discusses. Every function takes the current time as
`now`, so the tests can pin it; the demo passes the real clock.
"""

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from jose import JWTError, jwt

ALGORITHM = "HS256"
ACCESS = "access"
EMAIL_VERIFY = "email_verify"
ACCESS_TTL = timedelta(minutes=30)
EMAIL_TTL = timedelta(hours=24)
# In the app these come from settings: JWT_SECRET_KEY and EMAIL_TOKEN_SECRET.
SECRETS = {ACCESS: "demo-access-secret", EMAIL_VERIFY: "demo-email-token-secret"}

SECURITY_TABLE = (
    ("Підхід", "Термін дії", "Purpose claim", "Окремий секрет", "Безпека"),
    ("UUID (підхід 1)", "❌ ніколи", "❌", "❌", "Низька"),
    ("JWT без exp (підхід 2)", "❌ ніколи", "❌", "❌", "Середня"),
    ("JWT + exp + purpose (підхід 3)", "✅ 24 год", "✅", "✅", "Висока"),
)


class TokenError(Exception):
    """The token is unknown, malformed or badly signed."""


class TokenExpiredError(TokenError):
    pass


class WrongTokenPurposeError(TokenError):
    pass


# --- Approach 1: a random UUID, remembered by the server -----------------------------------------


@dataclass
class UuidTokenStore:
    """token -> email, as a `verification_tokens` table would hold it: no time, no purpose."""

    emails: dict[str, str] = field(default_factory=dict)

    def issue(self, email: str) -> str:
        token = uuid.uuid4().hex
        self.emails[token] = email
        return token

    def verify(self, token: str) -> str:
        try:
            return self.emails[token]
        except KeyError as exc:
            raise TokenError("Unknown token") from exc


# --- Approach 2: a JWT without exp, signed with the app's only secret ----------------------------


def create_jwt_without_exp(email: str, now: datetime) -> str:
    return jwt.encode({"sub": email, "iat": now}, SECRETS[ACCESS], algorithm=ALGORITHM)


def decode_jwt_without_exp(token: str) -> str:
    """Checks the signature only: any token signed with the app's secret is accepted."""
    return _subject(_verified_claims(token, SECRETS[ACCESS]))


# --- Approach 3: exp + purpose + a secret per purpose (app/core/security.py) -----------------


def create_token(subject: str, purpose: str, ttl: timedelta, now: datetime) -> str:
    claims = {"sub": subject, "iat": now, "exp": now + ttl, "purpose": purpose}
    return jwt.encode(claims, SECRETS[purpose], algorithm=ALGORITHM)


def create_access_token(email: str, now: datetime) -> str:
    return create_token(email, ACCESS, ACCESS_TTL, now)


def create_email_token(email: str, now: datetime) -> str:
    return create_token(email, EMAIL_VERIFY, EMAIL_TTL, now)


def decode_token(token: str, purpose: str, now: datetime) -> str:
    """Signature, expiry, purpose — in that order; returns the email (`sub`)."""
    try:
        claims = _verified_claims(token, SECRETS[purpose])
    except TokenError:
        if _signed_with_another_secret(token, purpose):
            raise WrongTokenPurposeError("Wrong token purpose") from None
        raise
    _check_expiry(claims, now)
    if claims.get("purpose") != purpose:
        raise WrongTokenPurposeError("Wrong token purpose")
    return _subject(claims)


def decode_email_token(token: str, now: datetime) -> str:
    return decode_token(token, EMAIL_VERIFY, now)


def _verified_claims(token: str, secret: str) -> dict[str, Any]:
    """python-jose checks the signature and the algorithm (HS256 only, so `alg: none` fails).

    It would check `exp` against the real clock; the demo does that in `_check_expiry` against
    `now` instead, so the time can be pinned. app/core/security.py leaves it to python-jose.
    """
    try:
        return jwt.decode(token, secret, algorithms=[ALGORITHM], options={"verify_exp": False})
    except JWTError as exc:
        raise TokenError("Invalid token") from exc


def _signed_with_another_secret(token: str, purpose: str) -> bool:
    """One of our own tokens, meant for another purpose (an access token at /verify)."""
    for other, secret in SECRETS.items():
        if other == purpose:
            continue
        try:
            _verified_claims(token, secret)
        except TokenError:
            continue
        return True
    return False


def _check_expiry(claims: dict[str, Any], now: datetime) -> None:
    exp = claims.get("exp")
    if not isinstance(exp, int):  # python-jose accepts a token without exp: it never expires
        raise TokenError("Invalid token")
    if now.timestamp() > exp:
        raise TokenExpiredError("Token has expired")


def _subject(claims: dict[str, Any]) -> str:
    sub = claims.get("sub")
    if not isinstance(sub, str):
        raise TokenError("Invalid token")
    return sub


def forge_alg_none_token(email: str, now: datetime) -> str:
    """An unsigned token that claims everything approach 3 wants: `alg: none`, no signature."""
    header = {"alg": "none", "typ": "JWT"}
    claims = {"sub": email, "exp": int((now + EMAIL_TTL).timestamp()), "purpose": EMAIL_VERIFY}
    return f"{_b64url(header)}.{_b64url(claims)}."


def _b64url(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# --- The demo ------------------------------------------------------------------------------------

EMAIL = "alice@example.com"


def show(label: str, check: Callable[..., str], *args: object) -> None:
    """Print whether `check(*args)` accepts the token (and for whom) or rejects it (and why)."""
    try:
        print(f"  ✅ {label}: прийнято → {check(*args)}")
    except TokenError as exc:
        print(f"  ❌ {label}: відхилено → {exc}")


def demo_uuid() -> None:
    print("Підхід 1: випадковий UUID, збережений на сервері")
    store = UuidTokenStore()
    token = store.issue(EMAIL)
    print(f"  посилання: /verify/{token}")
    show("одразу", store.verify, token)
    show("через рік (часу в таблиці немає)", store.verify, token)
    show("вигаданий UUID", store.verify, uuid.uuid4().hex)
    print("  → вгадати не можна, але посилання з листа рік тому досі працює.")


def demo_jwt_without_exp(now: datetime) -> None:
    print("Підхід 2: JWT без exp, підписаний єдиним секретом застосунку")
    token = create_jwt_without_exp(EMAIL, now - timedelta(days=365))
    print(f"  токен, виданий рік тому: {token[:40]}…")
    show("старий токен сьогодні", decode_jwt_without_exp, token)
    show("access токен як email токен", decode_jwt_without_exp, create_access_token(EMAIL, now))
    print("  → підпис є, але без exp і purpose будь-який наш токен годиться назавжди.")


def demo_jwt_with_purpose(now: datetime) -> None:
    print("Підхід 3: JWT + exp (24 год) + purpose='email_verify' + окремий секрет")
    token = create_email_token(EMAIL, now)
    print(f"  claims: {jwt.get_unverified_claims(token)}")
    show("свіжий токен", decode_email_token, token, now)
    show("той самий токен через 25 год", decode_email_token, token, now + timedelta(hours=25))
    access = create_access_token(EMAIL, now)
    show("access токен (30 хв) як email токен", decode_email_token, access, now)
    wrong_purpose = jwt.encode(
        {"sub": EMAIL, "exp": now + EMAIL_TTL, "purpose": ACCESS},
        SECRETS[EMAIL_VERIFY],
        algorithm=ALGORITHM,
    )
    show("правильний секрет, purpose='access'", decode_email_token, wrong_purpose, now)
    forged = jwt.encode(
        {"sub": EMAIL, "exp": now + EMAIL_TTL, "purpose": EMAIL_VERIFY},
        "attacker-secret",
        algorithm=ALGORITHM,
    )
    show("підпис чужим секретом", decode_email_token, forged, now)
    show("alg: none без підпису", decode_email_token, forge_alg_none_token(EMAIL, now), now)
    print("  → токен живе 24 год і годиться лише для /auth/verify: так у app/core/security.py.")


def print_security_table() -> None:
    print("Таблиця безпеки")
    for row in SECURITY_TABLE:
        print("| " + " | ".join(row) + " |")


def main() -> None:
    now = datetime.now(UTC)
    demo_uuid()
    print()
    demo_jwt_without_exp(now)
    print()
    demo_jwt_with_purpose(now)
    print()
    print_security_table()


if __name__ == "__main__":
    main()
