"""The async engine and the per-request session."""

import sqlite3
from collections.abc import AsyncIterator

from sqlalchemy import event
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.core.config import settings


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


@event.listens_for(Engine, "connect")
def _case_insensitive_search_on_sqlite(dbapi_connection: object, _record: object) -> None:
    """Search ignores case in every alphabet on SQLite too, as it does on PostgreSQL.

    On SQLite `ilike` becomes lower(x) LIKE lower(y), and SQLite's own lower() folds ASCII
    only: "тарас" would not find "Тарас". Python's str.lower() folds all of Unicode.
    """
    if isinstance(dbapi_connection, sqlite3.Connection | AsyncAdapt_aiosqlite_connection):
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


IS_SQLITE = settings.DATABASE_URL.startswith("sqlite")
# SQLite lets one writer in at a time; others wait up to this many seconds instead of failing.
SQLITE_CONNECT_ARGS = {"timeout": 30}
engine = create_async_engine(
    settings.DATABASE_URL,
    # A server (PostgreSQL) may drop a pooled connection: test it before use. A file cannot,
    # and the test query would cost every SQLite request a round trip to aiosqlite's thread.
    pool_pre_ping=not IS_SQLITE,
    connect_args=SQLITE_CONNECT_ARGS if IS_SQLITE else {},
)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


async def get_db() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session
