"""SlowAPI limits on the auth routes: per client IP, 429 with Retry-After, proxies handled."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from unittest.mock import AsyncMock

import pytest
import yaml
from httpx import ASGITransport, AsyncClient, Response
from limits import parse
from slowapi import Limiter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.core.config import settings
from app.main import app
from app.models import User
from tests.helpers import PASSWORD

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
RESEND = "/api/v1/auth/resend-verification"

REGISTER_LIMIT = parse(settings.REGISTER_RATE_LIMIT).amount
LOGIN_LIMIT = parse(settings.LOGIN_RATE_LIMIT).amount
RESEND_LIMIT = parse(settings.RESEND_RATE_LIMIT).amount


def test_limits_are_the_lesson_plans() -> None:
    assert (settings.REGISTER_RATE_LIMIT, settings.LOGIN_RATE_LIMIT) == ("5/minute", "10/minute")


@pytest.fixture
def limited_client(client: AsyncClient, limiter_on: Limiter) -> AsyncClient:
    """The usual client with SlowAPI switched on (after `client` switched it off)."""
    return client


ClientOpener = Callable[..., AsyncClient]


@pytest.fixture
async def client_from(limited_client: AsyncClient) -> AsyncIterator[ClientOpener]:
    """Opens clients whose requests come from another address or through a given ASGI app."""
    opened: list[AsyncClient] = []

    def open_client(host: str = "127.0.0.1", asgi_app: ASGIApp = app) -> AsyncClient:
        transport = ASGITransport(app=asgi_app, client=(host, 123))
        opened.append(AsyncClient(transport=transport, base_url="http://test"))
        return opened[-1]

    yield open_client
    for opened_client in opened:
        await opened_client.aclose()


_emails = iter(f"user{n}@example.com" for n in range(10_000))


async def register(
    client: AsyncClient, email: str | None = None, forwarded_for: str | None = None
) -> Response:
    body = {"email": email or next(_emails), "password": PASSWORD, "full_name": "Rate Tester"}
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return await client.post(REGISTER, json=body, headers=headers)


def assert_is_429(resp: Response, limit: int) -> None:
    assert resp.status_code == 429
    assert resp.json()["detail"].startswith("Rate limit exceeded")
    assert 0 < int(resp.headers["Retry-After"]) <= 61  # the 1-minute window, +1 s rounding
    assert resp.headers["X-RateLimit-Limit"] == str(limit)
    assert resp.headers["X-RateLimit-Remaining"] == "0"


# --- register ------------------------------------------------------------------------------


async def test_sixth_registration_from_one_ip_is_429_with_retry_after(
    limited_client: AsyncClient, async_session: AsyncSession, mock_mail: AsyncMock
) -> None:
    allowed = [await register(limited_client) for _ in range(REGISTER_LIMIT)]

    blocked = await register(limited_client, "sixth@example.com")

    assert [r.status_code for r in allowed] == [201] * REGISTER_LIMIT
    assert [r.headers["X-RateLimit-Remaining"] for r in allowed] == ["4", "3", "2", "1", "0"]
    # Retry-After means "wait before retrying": it belongs on the 429 only.
    assert [r.headers.get("Retry-After") for r in allowed] == [None] * REGISTER_LIMIT
    assert_is_429(blocked, REGISTER_LIMIT)
    # The refused request did nothing: no user, no email.
    users = await async_session.scalar(select(func.count()).select_from(User))
    assert users == REGISTER_LIMIT
    assert mock_mail.send_message.await_count == REGISTER_LIMIT


# --- login and resend ------------------------------------------------------------------------


async def test_eleventh_login_is_429_even_with_the_right_password(
    limited_client: AsyncClient, test_user: User
) -> None:
    wrong = {"username": test_user.email, "password": "wrong-password"}
    right = {"username": test_user.email, "password": PASSWORD}
    attempts = [
        await limited_client.post(LOGIN, data=right if n % 2 else wrong) for n in range(LOGIN_LIMIT)
    ]

    blocked = await limited_client.post(LOGIN, data=right)

    assert [r.status_code for r in attempts] == [401, 200] * (LOGIN_LIMIT // 2)
    assert_is_429(blocked, LOGIN_LIMIT)
    assert "access_token" not in blocked.json()


async def test_resend_verification_is_limited_to_the_configured_rate(
    limited_client: AsyncClient, mock_mail: AsyncMock
) -> None:
    assert (await register(limited_client, "new@example.com")).status_code == 201
    body = {"email": "new@example.com"}

    allowed = [await limited_client.post(RESEND, json=body) for _ in range(RESEND_LIMIT)]
    blocked = await limited_client.post(RESEND, json=body)

    assert [r.status_code for r in allowed] == [202] * RESEND_LIMIT
    assert_is_429(blocked, RESEND_LIMIT)
    assert mock_mail.send_message.await_count == 1 + RESEND_LIMIT  # registration + resends


async def test_each_route_has_its_own_counter(limited_client: AsyncClient, test_user: User) -> None:
    for _ in range(REGISTER_LIMIT):
        await register(limited_client)
    assert (await register(limited_client)).status_code == 429

    login = await limited_client.post(
        LOGIN, data={"username": test_user.email, "password": PASSWORD}
    )

    assert login.status_code == 200


# --- per client IP ---------------------------------------------------------------------------


async def test_limits_are_counted_per_client_ip(
    limited_client: AsyncClient, client_from: ClientOpener
) -> None:
    for _ in range(REGISTER_LIMIT):
        assert (await register(limited_client)).status_code == 201
    assert (await register(limited_client)).status_code == 429

    other_ip = client_from("10.0.0.2")
    others = [await register(other_ip) for _ in range(REGISTER_LIMIT)]

    assert [r.status_code for r in others] == [201] * REGISTER_LIMIT
    assert_is_429(await register(other_ip), REGISTER_LIMIT)
    assert (await register(limited_client)).status_code == 429  # the first IP is still blocked


PROJECT = Path(__file__).resolve().parents[2]


def render_forwarded_allow_ips() -> str:
    blueprint = yaml.safe_load((PROJECT / "render.yaml").read_text(encoding="utf-8"))
    web = next(service for service in blueprint["services"] if service["type"] == "web")
    return next(v["value"] for v in web["envVars"] if v["key"] == "FORWARDED_ALLOW_IPS")


async def test_on_render_a_spoofed_forwarded_for_buys_no_fresh_counter(
    limited_client: AsyncClient, client_from: ClientOpener
) -> None:
    # Render's proxy (a private address) appends the client's real address to whatever
    # X-Forwarded-For the client sent. The limit must follow the real one.
    behind_render = ProxyHeadersMiddleware(app, trusted_hosts=render_forwarded_allow_ips())
    render_proxy = client_from("10.20.30.40", behind_render)

    statuses = [
        (
            await register(render_proxy, forwarded_for=f"192.0.2.{n}, 10.0.0.{n}, 203.0.113.9")
        ).status_code
        for n in range(REGISTER_LIMIT + 1)
    ]

    assert statuses == [201] * REGISTER_LIMIT + [429]
    # Another real client behind the same proxy has its own counter.
    assert (await register(render_proxy, forwarded_for="198.51.100.23")).status_code == 201
