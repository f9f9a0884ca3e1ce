"""The SQLite pool: a connection is rolled back on its return only if a transaction is open."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import Engine, func, select, text
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.util import greenlet_spawn

from app.core.database import create_engine_for
from app.models import Base, Contact, User
from app.schemas.contact import ContactCreate
from app.services import contacts as contact_service
from app.services.errors import ConflictError
from tests.helpers import TODAY, contact_payload


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """The app's engine on a SQLite file, whatever database the other tests use."""
    engine = create_engine_for(f"sqlite+aiosqlite:///{tmp_path}/pool.db")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        await conn.execute(text("CREATE TABLE probe (n INTEGER)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def rollbacks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every rollback sent to aiosqlite: whether a transaction was open at that moment."""
    calls: list[bool] = []
    rollback = AsyncAdapt_aiosqlite_connection.rollback

    def counted(connection: AsyncAdapt_aiosqlite_connection) -> None:
        calls.append(connection.driver_connection.in_transaction)
        rollback(connection)

    monkeypatch.setattr(AsyncAdapt_aiosqlite_connection, "rollback", counted)
    return calls


async def test_a_read_only_session_is_returned_without_the_pools_rollback(
    sqlite_engine: AsyncEngine, rollbacks: list[bool]
) -> None:
    async with AsyncSession(sqlite_engine) as session:
        await session.execute(text("select 1"))
    # The session ends its (empty) transaction itself; the pool adds no second trip.
    assert rollbacks == [False]


def _insert_and_return(engine: Engine) -> bool:
    """A DBAPI connection handed back to the pool in the middle of a write."""
    raw = engine.raw_connection()
    cursor = raw.cursor()
    cursor.execute("INSERT INTO probe VALUES (1)")
    cursor.close()
    was_open = raw.driver_connection.in_transaction
    raw.close()  # back to the pool
    return was_open


async def test_a_connection_returned_in_a_transaction_is_rolled_back(
    sqlite_engine: AsyncEngine, rollbacks: list[bool]
) -> None:
    assert await greenlet_spawn(_insert_and_return, sqlite_engine.sync_engine)

    assert rollbacks == [True]
    async with sqlite_engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM probe")) == 0


async def test_a_failed_write_leaves_no_transaction_open(
    sqlite_engine: AsyncEngine, redis: Redis
) -> None:
    sessions = async_sessionmaker(sqlite_engine, expire_on_commit=False)
    async with sessions() as session:
        owner = User(email="alice@example.com", hashed_password="x", full_name="Alice")
        session.add(owner)
        await session.commit()
        data = ContactCreate(**contact_payload())
        await contact_service.create_contact(session, owner, data, redis, TODAY)
        with pytest.raises(ConflictError):  # the same email again: IntegrityError, rolled back
            await contact_service.create_contact(session, owner, data, redis, TODAY)

    async with sqlite_engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert not raw.driver_connection.in_transaction
        assert await conn.scalar(select(func.count()).select_from(Contact)) == 1


def test_postgresql_keeps_the_default_reset() -> None:
    engine = create_engine_for("postgresql+asyncpg://user:pw@localhost/db")  # never connects
    assert not engine.sync_engine.pool.dispatch.reset
    assert engine.sync_engine.pool._reset_on_return is not None
