"""Lesson 04: cache-aside birthdays (year rollover, 29 Feb), invalidation, refresh blacklist."""

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from course.checkpoint import checkpoint

BIRTHDAYS = "/api/v1/contacts/birthdays"


async def redis_of(student_import) -> Any:
    return await student_import("app.core.cache").get_redis()


def dead_redis() -> Any:
    """A client of a Redis that is down: nothing listens on port 1, so every command fails with
    a connection error at once (redis-py would otherwise retry with a backoff of seconds)."""
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    return Redis(host="127.0.0.1", port=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))


async def add(api: httpx.AsyncClient, headers, contact, name: str, birthday: date) -> dict:
    payload = contact(first_name=name, email=f"{name.lower()}@example.com", birthday=str(birthday))
    response = await api.post("/api/v1/contacts", json=payload, headers=headers)
    assert response.status_code == 201, f"Створення контакту: {response.status_code}"
    return response.json()


@checkpoint(
    id="04.1",
    title="Дні народження на 7 днів: через Новий рік і 29 лютого",
    points=3,
    hint="Нормалізуйте дату народження до поточного року; 29.02 у невисокосний рік → 28.02; "
    "дата, що вже минула цього року, — у наступному році. Найближчі — першими, з days_until.",
)
async def test_birthdays_window(
    api: httpx.AsyncClient, make_user, contact, student_app, student_import
) -> None:
    today = date(2026, 12, 28)  # the window runs across New Year
    deps = student_import("app.api.deps")
    student_app.dependency_overrides[deps.get_today] = lambda: today
    headers = await make_user()
    await add(api, headers, contact, "Newyear", date(1990, 1, 2))  # 5 days
    await add(api, headers, contact, "Today", date(1985, 12, 28))  # 0 days
    await add(api, headers, contact, "Eighth", date(1991, 1, 5))  # 8 days: outside
    found = (await api.get(BIRTHDAYS, headers=headers)).json()
    assert [(c["first_name"], c["days_until"]) for c in found] == [("Today", 0), ("Newyear", 5)], (
        f"Отримали: {[(c.get('first_name'), c.get('days_until')) for c in found]}"
    )
    leap_today = date(2026, 2, 21)  # 2026 is a common year: 29 Feb is celebrated on 28 Feb
    student_app.dependency_overrides[deps.get_today] = lambda: leap_today
    await add(api, headers, contact, "Leap", date(1992, 2, 29))
    found = (await api.get(BIRTHDAYS, headers=headers)).json()
    assert [(c["first_name"], c["days_until"]) for c in found] == [("Leap", 7)], found


@checkpoint(
    id="04.2",
    title="Cache-aside: другий запит з Redis, ключ birthdays:{user_id}:{дата}",
    points=3,
    hint="get_or_set_cache: спершу Redis, при промаху — база і запис у кеш з TTL 1 год. "
    "Ключ містить дату, тож завтра кеш «протухне» сам.",
)
async def test_birthdays_are_cached(
    api: httpx.AsyncClient, make_user, contact, pinned_today: date, student_import
) -> None:
    headers = await make_user()
    soon = pinned_today + timedelta(days=2)
    await add(api, headers, contact, "Soon", soon.replace(year=1990))
    first = (await api.get(BIRTHDAYS, headers=headers)).json()
    redis = await redis_of(student_import)
    keys = [key async for key in redis.scan_iter(match="birthdays:*")]
    assert keys and all(pinned_today.isoformat() in str(key) for key in keys), f"Ключі: {keys}"
    ttl = await redis.ttl(keys[0])
    assert 0 < ttl <= 3600, f"TTL ключа {keys[0]}: {ttl}"
    # A row written behind the API's back is invisible while the cached answer lives.
    models, database = student_import("app.models"), student_import("app.core.database")
    async with database.SessionLocal() as session:
        user = (await session.execute(models.User.__table__.select())).first()
        session.add(
            models.Contact(
                **{
                    **contact(first_name="Hidden", email="h@example.com"),
                    "birthday": soon.replace(year=1980),
                    "owner_id": user.id,
                }
            )
        )
        await session.commit()
    second = (await api.get(BIRTHDAYS, headers=headers)).json()
    assert second == first, "Другий запит пішов у базу: відповідь не з кешу"


@checkpoint(
    id="04.3",
    title="Зміна контакту інвалідовує кеш",
    points=2,
    hint="Після створення чи оновлення контакту видаліть ключ кешу цього користувача за сьогодні.",
)
async def test_changes_invalidate_cache(
    api: httpx.AsyncClient, make_user, contact, pinned_today: date
) -> None:
    headers = await make_user()
    soon = pinned_today + timedelta(days=1)
    created = await add(api, headers, contact, "First", soon.replace(year=1990))
    assert len((await api.get(BIRTHDAYS, headers=headers)).json()) == 1
    await add(api, headers, contact, "Second", soon.replace(year=1991))
    assert len((await api.get(BIRTHDAYS, headers=headers)).json()) == 2, (
        "Після створення — старий кеш"
    )
    moved = contact(first_name="First", email="first@example.com", birthday="1990-09-01")
    response = await api.put(f"/api/v1/contacts/{created['id']}", json=moved, headers=headers)
    assert response.status_code == 200
    assert len((await api.get(BIRTHDAYS, headers=headers)).json()) == 1, (
        "Після оновлення — старий кеш"
    )


async def login_pair(api: httpx.AsyncClient, make_user) -> tuple[dict[str, str], dict[str, str]]:
    headers = await make_user()
    form = {"username": "alice@example.com", "password": "secret123"}
    pair = (await api.post("/api/v1/auth/login", data=form)).json()
    return headers, pair


@checkpoint(
    id="04.4",
    title="Logout кладе в blacklist refresh-токен і access-токен, що його викликав",
    points=2,
    hint="POST /auth/logout {refresh_token} з access-токеном → 204; jti обох токенів — у Redis з "
    "TTL до кінця їхнього життя; /auth/refresh з ним → 401 'Token has been revoked'; "
    "get_current_user у app/api/deps.py перевіряє чорний список на кожному запиті "
    "(auth_service.check_access_token).",
)
async def test_logout_revokes_refresh_token(api: httpx.AsyncClient, make_user) -> None:
    _, pair = await login_pair(api, make_user)
    access = {"Authorization": f"Bearer {pair['access_token']}"}
    body = {"refresh_token": pair["refresh_token"]}
    response = await api.post("/api/v1/auth/logout", json=body, headers=access)
    assert response.status_code == 204, f"Logout: {response.status_code}"
    again = await api.post("/api/v1/auth/refresh", json=body)
    assert again.status_code == 401, f"Refresh після logout: {again.status_code}"
    assert again.json().get("detail") == "Token has been revoked", again.json()
    me = await api.get("/api/v1/users/me", headers=access)
    assert me.status_code == 401, f"Access-токен після logout: {me.status_code}, очікували 401"


@checkpoint(
    id="04.5",
    title="Redis лежить — дні народження все одно працюють",
    points=2,
    hint="Кеш — прискорення, а не залежність: помилку Redis запишіть у лог і візьміть дані з бази.",
)
async def test_cache_fails_open(
    api: httpx.AsyncClient,
    make_user,
    contact,
    pinned_today: date,
    student_import,
    student_app,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = await make_user()
    await add(api, headers, contact, "Soon", (pinned_today + timedelta(days=3)).replace(year=1990))
    dead = dead_redis()
    cache = student_import("app.core.cache")
    monkeypatch.setattr(cache, "_client", dead, raising=False)
    student_app.dependency_overrides[cache.get_redis] = lambda: dead
    response = await api.get(BIRTHDAYS, headers=headers)
    assert response.status_code == 200, f"Redis недоступний: {response.status_code}"
    assert [c["first_name"] for c in response.json()] == ["Soon"]


@checkpoint(
    id="04.6",
    title="/health звітує і про Redis: ok, а коли Redis лежить — називає його",
    points=1,
    hint="check_health(session, redis) пінгує Redis через той самий _probe: RedisError — це "
    "відповідь «unavailable», а не 500; маршрут /health отримує redis: RedisDep.",
)
async def test_health_reports_redis(api: httpx.AsyncClient, student_app, student_import) -> None:
    healthy = await api.get("/health")
    assert healthy.status_code == 200, f"/health: {healthy.status_code}"
    assert healthy.json().get("redis") == "ok", f"/health не звітує про Redis: {healthy.json()}"
    student_app.dependency_overrides[student_import("app.core.cache").get_redis] = dead_redis
    down = await api.get("/health")
    assert down.status_code != 500, "Недоступний Redis обернувся на 500"
    body = down.json()
    assert body.get("redis") not in (None, "ok"), f"Не видно, що Redis недоступний: {body}"
    assert body.get("database") == "ok", f"База працює, а /health каже інше: {body}"


@checkpoint(
    id="04.7",
    title="Під час зупинки застосунок закриває клієнт Redis",
    points=1,
    hint="У lifespan після yield: await close_redis() (з app.core.cache), потім engine.dispose().",
)
async def test_shutdown_closes_redis(
    student_app, student_import, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    async def close_redis() -> None:
        calls.append("close_redis")

    # The name the copy calls it by: the cache module's, or the one main.py imported.
    for name in ("app.core.cache", "app.main"):
        module = student_import(name)
        if hasattr(module, "close_redis"):
            monkeypatch.setattr(module, "close_redis", close_redis)
    async with student_app.router.lifespan_context(student_app):
        assert not calls, "close_redis викликано ще до зупинки"
    assert calls, "Після зупинки (lifespan) клієнт Redis не закрито: close_redis не викликано"


@checkpoint(
    id="04.8",
    title="Сид-скрипт скидає кеш днів народження, який він змінив",
    points=1,
    hint="scripts/seed_data.py після commit: invalidate(redis, birthdays_cache_key(user.id, "
    "today)), інакше GET /contacts/birthdays до кінця TTL показує список без нових контактів.",
)
async def test_seeding_invalidates_the_birthday_cache(
    api: httpx.AsyncClient, student_import, pinned_today: date
) -> None:
    seed_data = student_import("scripts.seed_data")
    database = student_import("app.core.database")
    async with database.SessionLocal() as session:
        user, _ = await seed_data.ensure_demo_user(session)
    redis = await redis_of(student_import)
    key = student_import("app.services.contacts").birthdays_cache_key(user.id, pinned_today)
    await redis.hset(key, "stale", "[]")
    await seed_data.seed(count=3, random_seed=1, today=pinned_today)
    assert not await redis.exists(key), f"Після сиду в Redis лишився старий кеш {key}"


@checkpoint(
    id="04.9",
    title="Користувач запиту — з Redis: повторний запит не читає його з бази",
    points=1,
    hint="У get_current_user (app/api/deps.py): user_service.get_principal(session, redis, "
    "payload.sub) замість get_user_by_email. Зміни профілю, аватара й пароля вже переписують "
    "запис у Redis (remember_principal), тож PUT /users/me видно одразу.",
)
async def test_the_user_of_a_request_comes_from_redis(
    api: httpx.AsyncClient, make_user, student_import
) -> None:
    headers = await make_user()
    first = await api.get("/api/v1/users/me", headers=headers)
    assert first.status_code == 200, f"/users/me: {first.status_code}"
    # Renamed behind the API's back: only a request that reads its user from the database sees it.
    models, database = student_import("app.models"), student_import("app.core.database")
    async with database.SessionLocal() as session:
        await session.execute(models.User.__table__.update().values(full_name="Renamed in the DB"))
        await session.commit()
    second = (await api.get("/api/v1/users/me", headers=headers)).json()
    assert second.get("full_name") == "Alice", (
        "Другий запит прочитав користувача з бази, а не з Redis: get_current_user не кешує його"
    )
    renamed = await api.put("/api/v1/users/me", json={"full_name": "Alicia"}, headers=headers)
    assert renamed.status_code == 200, f"PUT /users/me: {renamed.status_code}"
    third = (await api.get("/api/v1/users/me", headers=headers)).json()
    assert third.get("full_name") == "Alicia", (
        f"Після PUT /users/me — старий запис із кешу: {third}"
    )
