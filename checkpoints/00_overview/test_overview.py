"""Lesson 00: the Module 12 baseline runs — settings from .env, /health, Swagger, contacts CRUD."""

from pathlib import Path

import httpx
import pytest

from course.checkpoint import checkpoint


@checkpoint(
    id="00.1",
    title="Застосунок запускається, Swagger UI на /docs",
    points=1,
    hint="`uvicorn app.main:app` має стартувати; FastAPI сам віддає /docs і /openapi.json.",
)
async def test_swagger_is_served(api: httpx.AsyncClient) -> None:
    docs = await api.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower(), "/docs не віддає Swagger UI"
    schema = (await api.get("/openapi.json")).json()
    assert any(path.startswith("/api/v1/") for path in schema["paths"]), (
        "В OpenAPI немає маршрутів з префіксом /api/v1"
    )


@checkpoint(
    id="00.2",
    title="Налаштування читаються з файлу .env",
    points=2,
    hint="Подивіться на model_config класу Settings в app/core/config.py: звідки pydantic-settings "
    "бере значення, крім змінних оточення?",
)
def test_settings_read_dotenv(
    student_import, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("APP_NAME=Read from dotenv\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("APP_NAME", raising=False)
    # Imported afresh in this folder, as an app started here would be: import-time code included.
    config = student_import("app.core.config", fresh=True)
    try:
        settings = config.Settings()
    except Exception as exc:
        raise AssertionError(f"Settings() не створюється: {type(exc).__name__}: {exc}") from exc
    assert settings.APP_NAME == "Read from dotenv", "APP_NAME з .env не прочитано"


@checkpoint(
    id="00.3",
    title="GET /health відповідає станом бази",
    points=2,
    hint="Потрібен маршрут /health (без префікса /api/v1), який перевіряє базу запитом і "
    "повертає JSON зі status та database.",
)
async def test_health_reports_database(api: httpx.AsyncClient) -> None:
    response = await api.get("/health")
    assert response.status_code == 200, f"/health відповів {response.status_code}"
    body = response.json()
    assert body.get("status") == "ok" and body.get("database") == "ok", f"/health: {body}"


@checkpoint(
    id="00.4",
    title="База недоступна — /health відповідає 503 і називає її",
    points=2,
    hint="Помилка бази в перевірці здоров'я — це відповідь, а не 500: перехопіть її, поверніть "
    "503 і позначте, що саме не працює.",
)
async def test_health_names_a_failing_database(
    api: httpx.AsyncClient, student_app, student_import
) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    database = student_import("app.core.database")
    unreachable = create_async_engine("sqlite+aiosqlite:////nonexistent-dir/grade.db")

    async def broken_db():
        async with async_sessionmaker(unreachable)() as session:
            yield session

    student_app.dependency_overrides[database.get_db] = broken_db
    try:
        response = await api.get("/health")
    finally:
        await unreachable.dispose()
    assert response.status_code == 503, f"/health з недоступною базою: {response.status_code}"
    body = response.json()
    assert body.get("database") not in (None, "ok"), f"У відповіді не видно, що впала база: {body}"


@checkpoint(
    id="00.5",
    title="CRUD контактів Module 12 працює з токеном",
    points=2,
    hint="Маршрути /api/v1/contacts: створення 201, список {items, total}, 404 для чужого або "
    "неіснуючого id; без токена — 401.",
)
async def test_contacts_crud(api: httpx.AsyncClient, make_user, contact) -> None:
    headers = await make_user()
    assert (await api.get("/api/v1/contacts")).status_code == 401, "Без токена має бути 401"
    created = await api.post("/api/v1/contacts", json=contact(), headers=headers)
    assert created.status_code == 201, f"Створення: {created.status_code} {created.text[:200]}"
    listed = (await api.get("/api/v1/contacts", headers=headers)).json()
    assert listed["total"] == 1 and len(listed["items"]) == 1, f"Список: {listed}"
    other = await make_user("bob@example.com")
    stolen = await api.get(f"/api/v1/contacts/{created.json()['id']}", headers=other)
    assert stolen.status_code == 404, "Чужий контакт має бути 404 (не 403 і не 200)"
