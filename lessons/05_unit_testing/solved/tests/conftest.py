"""The fixture chain: engine → session → client (dependency_overrides) → verified user → headers.

Runs on embedded defaults (a SQLite file per test, copied from a template with the schema; an
in-process Redis). Point it at the real services with TEST_DATABASE_URL=postgresql+asyncpg://…
and TEST_REDIS_URL=redis://…/15.
"""

import atexit
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from unittest.mock import AsyncMock

# Settings are read once, at import: configure the app for tests before importing it.
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
# The folder the app mounts at /media when imported (each test stores files in its own
# `media_dir`): gone when the run ends, not left in the temp folder after every run.
MEDIA_DIR = tempfile.mkdtemp(prefix="contacts-media-")
atexit.register(shutil.rmtree, MEDIA_DIR, ignore_errors=True)
os.environ.update(
    ENVIRONMENT="test",
    BCRYPT_ROUNDS="4",  # cost 12 takes ~0.3 s a hash; the algorithm is the same
    REDIS_URL=TEST_REDIS_URL or "memory://",
    MEDIA_DIR=MEDIA_DIR,
    DATABASE_URL=TEST_DATABASE_URL or "sqlite+aiosqlite:///:memory:",
)

import fakeredis
import pytest
from httpx import ASGITransport, AsyncClient
from redis.asyncio import Redis
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.api.deps import get_today
from app.core.cache import get_redis
from app.core.database import get_db
from app.core.rate_limit import limiter
from app.core.security import hash_password
from app.main import app
from app.models import Base, User
from app.services.cloudinary_service import LocalAvatarStorage, get_avatar_storage
from app.services.email import get_email_service
from tests.helpers import PASSWORD, TODAY, bearer


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database with the whole schema, built once for the whole run.

    Creating the tables costs each test ~30 ms (a trip to aiosqlite's thread per statement); a
    copy of this file costs well under 1 ms.
    """
    path = tmp_path_factory.mktemp("schema") / "template.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


# 1. async_engine → a fresh database for one test
@pytest.fixture
async def async_engine(tmp_path: Path, schema_template: Path) -> AsyncIterator[AsyncEngine]:
    if TEST_DATABASE_URL:  # a real server: every table dropped and created again
        engine = create_async_engine(TEST_DATABASE_URL)
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
            await conn.run_sync(Base.metadata.create_all)
    else:  # a file of its own, copied from the template
        database = shutil.copyfile(schema_template, tmp_path / "test.db")
        engine = create_async_engine(f"sqlite+aiosqlite:///{database}")
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(async_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(async_engine, expire_on_commit=False)


# 2. async_session → a session on that database, for the test's own reads and writes
@pytest.fixture
async def async_session(
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with session_factory() as session:
        yield session


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    if TEST_REDIS_URL:
        client = Redis.from_url(TEST_REDIS_URL, decode_responses=True)
        await client.flushdb()
    else:
        client = fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer(), decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
def mock_mail() -> AsyncMock:
    """Stands in for FastMail: every message the app sends is captured, none leaves."""
    return AsyncMock()


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    return tmp_path / "media"


# 3. client → AsyncClient on the app, every outside dependency replaced by the test's own
@pytest.fixture
async def client(
    session_factory: async_sessionmaker[AsyncSession],
    redis: Redis,
    mock_mail: AsyncMock,
    media_dir: Path,
) -> AsyncIterator[AsyncClient]:
    async def get_test_db() -> AsyncIterator[AsyncSession]:
        async with session_factory() as session:  # one session per request, as in production
            yield session

    app.dependency_overrides[get_db] = get_test_db
    app.dependency_overrides[get_redis] = lambda: redis
    app.dependency_overrides[get_email_service] = lambda: mock_mail
    app.dependency_overrides[get_today] = lambda: TODAY
    app.dependency_overrides[get_avatar_storage] = lambda: LocalAvatarStorage(
        media_dir, "http://test"
    )
    # Without this the 6th registration in a run answers 429 however correct it is.
    app.state.limiter.enabled = False
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as ac:
        yield ac
    app.dependency_overrides.clear()
    app.state.limiter.enabled = False
    limiter.reset()


@pytest.fixture
def limiter_on() -> object:
    """Rate limiting as in production, with fresh counters."""
    limiter.reset()
    app.state.limiter.enabled = True
    return limiter


UserFactory = Callable[..., Awaitable[User]]


@pytest.fixture
def make_user(async_session: AsyncSession) -> UserFactory:
    async def make(
        email: str = "alice@example.com", *, verified: bool = True, full_name: str = "Alice"
    ) -> User:
        user = User(
            email=email,
            hashed_password=await hash_password(PASSWORD),
            full_name=full_name,
            is_verified=verified,
        )
        async_session.add(user)
        await async_session.commit()
        return user

    return make


# 4. test_user → registered and verified
@pytest.fixture
async def test_user(make_user: UserFactory) -> User:
    return await make_user()


# 5. auth_headers → {"Authorization": "Bearer <token>"}
@pytest.fixture
def auth_headers(test_user: User) -> dict[str, str]:
    return bearer(test_user)
