"""Unit tests run on an in-memory SQLite database: no file, no disk sync, a few ms per test.

With TEST_DATABASE_URL set, the engine of tests/conftest.py (PostgreSQL) is used unchanged.
"""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from app.models import Base
from tests.conftest import TEST_DATABASE_URL


@pytest.fixture
async def async_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if TEST_DATABASE_URL:
        engine = create_async_engine(TEST_DATABASE_URL)
    else:
        # One connection shared by every session: an in-memory database lives in its connection.
        engine = create_async_engine("sqlite+aiosqlite://", poolclass=StaticPool)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    await engine.dispose()
