"""Lesson 00: the Module 12 baseline runs — settings from .env, /health, Swagger.

The contacts CRUD it starts from is given, so lesson 01 grades it (01.5), where access to it
changes.
"""

from pathlib import Path

import httpx
import pytest

from course.checkpoint import checkpoint, without_input_values


@checkpoint(
    id="00.1",
    title="Swagger на /docs показує GET /health поруч із маршрутами /api/v1",
    points=1,
    hint="Маршрут здоров'я живе поза префіксом /api/v1: підключіть router з app/api/health.py "
    "у create_app (app.include_router) — і Swagger сам його покаже.",
)
async def test_swagger_lists_health(api: httpx.AsyncClient) -> None:
    docs = await api.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower(), "/docs не віддає Swagger UI"
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert any(path.startswith("/api/v1/") for path in paths), (
        "В OpenAPI немає маршрутів з префіксом /api/v1"
    )
    assert "get" in paths.get("/health", {}), "В OpenAPI (Swagger) немає GET /health"


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
        reason = without_input_values(str(exc))  # names the field, never its value
        raise AssertionError(f"Settings() не створюється: {type(exc).__name__}: {reason}") from exc
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
