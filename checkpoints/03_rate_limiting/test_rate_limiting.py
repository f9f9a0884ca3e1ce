"""Lesson 03: SlowAPI on the auth endpoints — 5/min register, 10/min login, 429 + Retry-After."""

from typing import Any

import httpx

from course.checkpoint import checkpoint


def limiter_of(student_app: Any) -> Any:
    limiter = getattr(student_app.state, "limiter", None)
    assert limiter is not None, "app.state.limiter не встановлено"
    return limiter


async def register(client: httpx.AsyncClient, n: int) -> httpx.Response:
    body = {"email": f"user{n}@example.com", "password": "secret123", "full_name": "Bot"}
    return await client.post("/api/v1/auth/register", json=body)


@checkpoint(
    id="03.1",
    title="Limiter SlowAPI підключено до застосунку",
    points=1,
    hint="У app/core/rate_limit.py — limiter = Limiter(key_func=get_remote_address, "
    "storage_uri=...), а в main.py — app.state.limiter і обробник RateLimitExceeded.",
)
def test_limiter_is_installed(student_app: Any) -> None:
    from slowapi import Limiter

    limiter = limiter_of(student_app)
    assert isinstance(limiter, Limiter), f"app.state.limiter — {type(limiter).__name__}"
    assert limiter.enabled, "Limiter вимкнено в робочій конфігурації"


@checkpoint(
    id="03.2",
    title="6-та реєстрація з однієї IP за хвилину → 429 з Retry-After",
    points=3,
    hint="@limiter.limit('5/minute') під @router.post і параметри request: Request, "
    "response: Response у функції. Retry-After з'являється, коли headers_enabled=True.",
)
async def test_register_is_limited(client_from: Any) -> None:
    client = client_from("203.0.113.7")
    for n in range(5):
        response = await register(client, n)
        assert response.status_code in (201, 409), f"Запит {n + 1}: {response.status_code}"
    blocked = await register(client, 5)
    assert blocked.status_code == 429, f"6-й запит: {blocked.status_code}, очікували 429"
    assert "retry-after" in blocked.headers, "У відповіді 429 немає заголовка Retry-After"
    assert "detail" in blocked.json(), "Тіло 429 має бути у форматі FastAPI: {'detail': ...}"


@checkpoint(
    id="03.3",
    title="11-й вхід з однієї IP → 429",
    points=2,
    hint="На /login — свій ліміт, трохи лояльніший: '10/minute'.",
)
async def test_login_is_limited(limited_after: Any) -> None:
    form = {"username": "nobody@example.com", "password": "wrong-password"}
    await limited_after("203.0.113.8", "/api/v1/auth/login", 10, data=form)


@checkpoint(
    id="03.4",
    title="Ліміт рахується окремо для кожної IP",
    points=1,
    hint="key_func=get_remote_address: ключ лічильника — адреса клієнта.",
)
async def test_limits_are_per_ip(client_from: Any) -> None:
    first, second = client_from("198.51.100.1"), client_from("198.51.100.2")
    statuses = [(await register(first, n)).status_code for n in range(6)]
    assert statuses[-1] == 429, f"6-та реєстрація з однієї IP: {statuses[-1]}, очікували 429"
    response = await register(second, 100)
    assert response.status_code == 201, f"Інша IP: {response.status_code}, ліміт спільний?"


@checkpoint(
    id="03.5",
    title="Limiter вимикається для тестів",
    points=1,
    hint="У tests/conftest.py: app.state.limiter.enabled = False — і 6-й запит уже не 429.",
)
async def test_limiter_can_be_disabled(client_from: Any, student_app: Any) -> None:
    limiter_of(student_app).enabled = False
    client = client_from("203.0.113.9")
    statuses = {(await register(client, n)).status_code for n in range(7)}
    assert 429 not in statuses, "Вимкнений limiter усе ще відповідає 429"


@checkpoint(
    id="03.6",
    title="4-й запит /resend-verification з однієї IP за хвилину → 429",
    points=1,
    hint="@limiter.limit(settings.RESEND_RATE_LIMIT) ('3/minute') і параметри request, response, "
    "як на /register: інакше листи повторної верифікації можна слати без кінця.",
)
async def test_resend_verification_is_limited(limited_after: Any) -> None:
    body = {"email": "nobody@example.com"}
    await limited_after("203.0.113.10", "/api/v1/auth/resend-verification", 3, json=body)
