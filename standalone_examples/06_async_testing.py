"""Testing async FastAPI code: AsyncMock, dependency_overrides, AsyncClient + ASGITransport.

Lesson plan, block 5 ("Тестування"). This one file is a tiny app and its own tests:

    python standalone_examples/06_async_testing.py             # runs the tests below (pytest -v)
    pytest standalone_examples/06_async_testing.py --no-cov    # the same tests, through pytest

(`--no-cov` only from this repo's root: its pytest config measures the contacts API's coverage.)

The app: POST /register stores a user and mails a verification link through a mailer dependency;
GET /verify/{token} marks the user verified. The tests are the two floors of the plan's pyramid:

- unit: the service function `register_user` called directly. No HTTP, no app; the mailer is an
  AsyncMock. Fast, and a failure points at one function.
- integration: the whole HTTP flow through the app (routing, validation, dependencies, status
  codes) with httpx.AsyncClient on ASGITransport, in process. Only the outside world (SMTP) and
  the storage are swapped, through app.dependency_overrides.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import smtplib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Annotated
from unittest.mock import ANY, AsyncMock

import pytest
import pytest_asyncio
from fastapi import Depends, FastAPI, HTTPException, status
from httpx import ASGITransport, AsyncClient
from pydantic import BaseModel, EmailStr

# --- the app --------------------------------------------------------------------------------

BASE_URL = "http://localhost:8000"
SUBJECT = "Confirm your email"


class SmtpMailer:
    """The real mailer: SMTP on localhost:1025 (MailHog). The tests never let it run."""

    def __init__(self, host: str = "localhost", port: int = 1025) -> None:
        self.host = host
        self.port = port

    async def send_message(self, *, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = "noreply@example.com"
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        await asyncio.to_thread(self._send, message)  # smtplib blocks: keep it off the loop

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            smtp.send_message(message)


@dataclass
class UserStore:
    """Users in memory: email → verified?, and the verification tokens not used yet."""

    verified: dict[str, bool] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # token → email


class EmailTakenError(Exception):
    pass


async def register_user(email: str, store: UserStore, mailer: SmtpMailer) -> None:
    """The service function: store the user unverified, mail a one-time verification link."""
    if email in store.verified:
        raise EmailTakenError(email)
    store.verified[email] = False
    token = secrets.token_urlsafe(16)  # unpredictable: a test must read it from the "mail"
    store.tokens[token] = email
    await mailer.send_message(to=email, subject=SUBJECT, body=f"{BASE_URL}/verify/{token}")


STORE = UserStore()


def get_store() -> UserStore:
    return STORE


def get_mailer() -> SmtpMailer:
    return SmtpMailer()


app = FastAPI()


class RegisterIn(BaseModel):
    email: EmailStr


@app.post("/register", status_code=status.HTTP_201_CREATED)
async def register(
    body: RegisterIn,
    store: Annotated[UserStore, Depends(get_store)],
    mailer: Annotated[SmtpMailer, Depends(get_mailer)],
) -> dict[str, str]:
    try:
        await register_user(body.email, store, mailer)
    except EmailTakenError:
        raise HTTPException(status.HTTP_409_CONFLICT, "Email already registered") from None
    return {"email": body.email, "status": "pending"}


@app.get("/verify/{token}")
async def verify(token: str, store: Annotated[UserStore, Depends(get_store)]) -> dict[str, str]:
    email = store.tokens.pop(token, None)
    if email is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Invalid or used token")
    store.verified[email] = True
    return {"email": email, "status": "verified"}


# --- fixtures -------------------------------------------------------------------------------
# Async tests carry @pytest.mark.asyncio and async fixtures @pytest_asyncio.fixture: they run
# the same in pytest-asyncio's strict mode and in auto mode, whatever a pytest config says.


@pytest.fixture
def mailer() -> AsyncMock:
    # An AsyncMock records every call and every await; spec=SmtpMailer makes a typo such as
    # mailer.send_mesage(...) an AttributeError instead of a call that silently "works".
    return AsyncMock(spec=SmtpMailer)


@pytest.fixture
def store() -> UserStore:
    return UserStore()  # a fresh store per test: no test sees another one's users


@pytest_asyncio.fixture
async def client(mailer: AsyncMock, store: UserStore) -> AsyncIterator[AsyncClient]:
    # dependency_overrides: wherever the app Depends(get_mailer), FastAPI calls our lambda.
    app.dependency_overrides[get_mailer] = lambda: mailer
    app.dependency_overrides[get_store] = lambda: store
    try:
        # ASGITransport calls the app in process: no server, no port, no network.
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as ac:
            yield ac
    finally:
        app.dependency_overrides.clear()  # the next test gets the real dependencies back


def token_from_mail(mailer: AsyncMock) -> str:
    """The token in the link of the last mail the app "sent": read from the captured call.

    call_args is recorded when the mock is called, awaited or not: only assert_awaited_*
    catches a forgotten `await`.
    """
    body = mailer.send_message.call_args.kwargs["body"]
    match = re.search(r"/verify/([\w-]+)$", body)
    assert match, f"no verification link in: {body}"
    return match.group(1)


# --- unit tests: the service function, no HTTP ---------------------------------------------


@pytest.mark.asyncio
async def test_register_user_mails_a_verification_link(store: UserStore, mailer: AsyncMock) -> None:
    await register_user("alice@example.com", store, mailer)

    # Awaited, not just called: a forgotten `await` creates a coroutine that never runs.
    mailer.send_message.assert_awaited_once_with(to="alice@example.com", subject=SUBJECT, body=ANY)
    token = token_from_mail(mailer)
    assert store.tokens == {token: "alice@example.com"}
    assert store.verified == {"alice@example.com": False}


@pytest.mark.asyncio
async def test_register_user_rejects_a_taken_email_without_mail(
    store: UserStore, mailer: AsyncMock
) -> None:
    store.verified["alice@example.com"] = True

    with pytest.raises(EmailTakenError):
        await register_user("alice@example.com", store, mailer)

    mailer.send_message.assert_not_awaited()


# --- integration tests: the HTTP flow through the app ---------------------------------------


@pytest.mark.asyncio
async def test_register_endpoint_mails_through_the_overridden_mailer(
    client: AsyncClient, mailer: AsyncMock
) -> None:
    resp = await client.post("/register", json={"email": "bob@example.com"})

    assert resp.status_code == 201
    assert resp.json() == {"email": "bob@example.com", "status": "pending"}
    mailer.send_message.assert_awaited_once()
    assert mailer.send_message.call_args.kwargs["to"] == "bob@example.com"


@pytest.mark.asyncio
async def test_register_then_verify_with_the_token_from_the_mail(
    client: AsyncClient, mailer: AsyncMock, store: UserStore
) -> None:
    await client.post("/register", json={"email": "bob@example.com"})

    resp = await client.get(f"/verify/{token_from_mail(mailer)}")

    assert resp.status_code == 200
    assert resp.json() == {"email": "bob@example.com", "status": "verified"}
    assert store.verified == {"bob@example.com": True}


@pytest.mark.asyncio
async def test_register_twice_is_409_and_one_mail(client: AsyncClient, mailer: AsyncMock) -> None:
    await client.post("/register", json={"email": "bob@example.com"})

    resp = await client.post("/register", json={"email": "bob@example.com"})

    assert resp.status_code == 409
    assert resp.json() == {"detail": "Email already registered"}
    mailer.send_message.assert_awaited_once()


@pytest.mark.asyncio
async def test_invalid_email_is_422_before_any_mail(client: AsyncClient, mailer: AsyncMock) -> None:
    # Validation lives in the endpoint's signature: only an integration test sees it.
    resp = await client.post("/register", json={"email": "not-an-email"})

    assert resp.status_code == 422
    mailer.send_message.assert_not_awaited()


# --- self-run -------------------------------------------------------------------------------


def main() -> int:
    print("Блок 5: unit-тести (функція + AsyncMock) та integration-тести (AsyncClient).")
    print("Кожен тест нижче — окремий приклад; читайте код разом із виводом pytest -v.\n")
    # Independent of any pytest config around this file: no repo addopts (e.g. --cov), no
    # cache folder, pytest-asyncio in strict mode with a fresh event loop per test. The plugins
    # this file imported before pytest started cannot be assert-rewritten: that is expected.
    return int(
        pytest.main(
            [
                __file__,
                "-v",
                "-p",
                "no:cacheprovider",
                "-o",
                "addopts=",
                "-o",
                "asyncio_mode=strict",
                "-o",
                "asyncio_default_fixture_loop_scope=function",
                "-o",
                "asyncio_default_test_loop_scope=function",
                "-W",
                "ignore::pytest.PytestAssertRewriteWarning",
            ]
        )
    )


if __name__ == "__main__":
    sys.exit(main())
