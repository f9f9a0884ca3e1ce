"""Fixtures shared by every lesson's checkpoints.

The grader plugin (course.grader_plugin) gives `student_client`, `student_import`, `student_dir`;
these build on them: a fresh database with the copy's own tables, a captured mailer, a pinned
"today", and users made straight in the database (so a lesson-00 check still passes once
lesson 01 demands verified emails).

The copy is imported once per run under the plugin's embedded defaults (`grading_session`: one
SQLite file, `REDIS_URL=memory://`, `BCRYPT_ROUNDS=4`, `ENVIRONMENT=test`, `MEDIA_DIR`,
`PUBLIC_BASE_URL=http://test`); the plugin empties the database, the in-process Redis, the
limiter's counters, the media folder and `app.dependency_overrides` before every test.
"""

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest.mock import AsyncMock

import httpx
import pytest

from course import mutation

TODAY = date(2026, 2, 21)  # the lesson plan's cache-key example; never the real clock
PASSWORD = "secret123"
Importer = Callable[[str], ModuleType]


@pytest.fixture(scope="session", autouse=True)
def _mutation_runs() -> Iterator[None]:
    """The testing lessons' runs of the student's tests: none is left behind by a grading run."""
    yield
    mutation.shutdown()  # nothing waits for runs still queued when the session ends


def optional_module(student_import: Importer, name: str, student_dir: Path) -> ModuleType | None:
    """A module that only later lessons have: None while its file does not exist yet."""
    if not (student_dir / (name.replace(".", "/") + ".py")).is_file():
        return None
    return student_import(name)


@pytest.fixture
def mailer(student_app: Any, student_import: Importer, student_dir: Path) -> AsyncMock:
    """Every email the copy sends lands here (FastMail replaced, as the plan's conftest does)."""
    mock = AsyncMock()
    email = optional_module(student_import, "app.services.email", student_dir)
    if email is not None and hasattr(email, "get_email_service"):
        student_app.dependency_overrides[email.get_email_service] = lambda: mock
    return mock


@pytest.fixture
def pinned_today(student_app: Any, student_import: Importer) -> date:
    deps = student_import("app.api.deps")
    if hasattr(deps, "get_today"):
        student_app.dependency_overrides[deps.get_today] = lambda: TODAY
    return TODAY


@pytest.fixture
async def api(
    student_client: httpx.AsyncClient, student_import: Importer, mailer: AsyncMock
) -> AsyncIterator[httpx.AsyncClient]:
    """The copy's API over ASGI, on an empty database that has the copy's own tables."""
    models = student_import("app.models")
    database = student_import("app.core.database")
    async with database.engine.begin() as conn:
        await conn.run_sync(models.Base.metadata.create_all)
    yield student_client


@pytest.fixture
async def client_from(
    api: httpx.AsyncClient, student_app: Any
) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """Clients of the same app that come from given IP addresses."""
    opened: list[httpx.AsyncClient] = []

    def make(ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=student_app, client=(ip, 50000))
        client = httpx.AsyncClient(transport=transport, base_url="http://test")
        opened.append(client)
        return client

    yield make
    for client in opened:
        await client.aclose()


@pytest.fixture
def limited_after(
    client_from: Callable[[str], httpx.AsyncClient],
) -> Callable[..., Awaitable[None]]:
    """`await limited_after(ip, url, allowed, **request)`: `allowed` POSTs to `url` from `ip`
    pass its rate limit, the next one is a 429."""

    async def check(ip: str, url: str, allowed: int, **request: Any) -> None:
        client = client_from(ip)
        statuses = [(await client.post(url, **request)).status_code for _ in range(allowed + 1)]
        assert 429 not in statuses[:allowed], f"Перші {allowed} запитів: {statuses[:allowed]}"
        assert statuses[allowed] == 429, f"Запит №{allowed + 1}: {statuses[allowed]}, очікували 429"

    return check


UserMaker = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
def make_user(api: httpx.AsyncClient, student_import: Importer) -> UserMaker:
    """Insert a user (verified where the model knows verification); return auth headers."""

    async def make(email: str = "alice@example.com", *, verified: bool = True) -> dict[str, str]:
        models = student_import("app.models")
        database = student_import("app.core.database")
        security = student_import("app.core.security")
        fields: dict[str, Any] = {
            "email": email,
            "hashed_password": await security.hash_password(PASSWORD),
            "full_name": "Alice",
        }
        if hasattr(models.User, "is_verified"):
            fields["is_verified"] = verified
        async with database.SessionLocal() as session:
            session.add(models.User(**fields))
            await session.commit()
        return {"Authorization": f"Bearer {security.create_access_token(email)}"}

    return make


def contact_payload(**overrides: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "first_name": "Taras",
        "last_name": "Shevchenko",
        "email": "taras@example.com",
        "phone": "+380501234567",
        "birthday": "1990-03-09",
    }
    return payload | overrides


@pytest.fixture
def contact() -> Callable[..., dict[str, object]]:
    return contact_payload


def sent_bodies(mailer: AsyncMock) -> list[str]:
    """The HTML bodies of every message the copy passed to FastMail.send_message."""
    bodies = []
    for call in mailer.send_message.call_args_list:
        message = call.args[0] if call.args else call.kwargs.get("message")
        bodies.append(str(getattr(message, "body", message)))
    return bodies


@pytest.fixture
def last_email_token(mailer: AsyncMock) -> Callable[[], str]:
    def token() -> str:
        bodies = sent_bodies(mailer)
        assert bodies, "Жодного листа не надіслано (FastMail.send_message не викликано)"
        match = re.search(r"/verify/([\w.\-]+)", bodies[-1])
        assert match, "У листі немає посилання виду …/auth/verify/<token>"
        return match.group(1)

    return token


@pytest.fixture
def emails(mailer: AsyncMock) -> Callable[[], list[str]]:
    return lambda: sent_bodies(mailer)
