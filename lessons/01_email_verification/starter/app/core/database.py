"""The async engine and the per-request session."""

import sqlite3
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolResetState

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


def _rollback_only_an_open_transaction(
    dbapi_connection: Any, record: ConnectionPoolEntry, state: PoolResetState
) -> None:
    """The pool's reset on return, for SQLite: a rollback only when a transaction is open.

    The default rolls back every returned connection, and on aiosqlite each rollback is a trip
    to its thread. sqlite3 knows without one whether a transaction is open (`in_transaction`);
    usually the session has rolled back or committed it already.
    """
    if state.asyncio_safe and record.driver_connection.in_transaction:
        dbapi_connection.rollback()


# SQLite lets one writer in at a time; others wait up to this many seconds instead of failing.
SQLITE_CONNECT_ARGS = {"timeout": 30}


def create_engine_for(url: str) -> AsyncEngine:
    is_sqlite = url.startswith("sqlite")
    engine = create_async_engine(
        url,
        # A server (PostgreSQL) may drop a pooled connection: test it before use. A file cannot,
        # and the test query would cost every SQLite request a round trip to aiosqlite's thread.
        pool_pre_ping=not is_sqlite,
        # PostgreSQL keeps the default reset (a rollback); SQLite's is the listener below.
        pool_reset_on_return=None if is_sqlite else "rollback",
        connect_args=SQLITE_CONNECT_ARGS if is_sqlite else {},
    )
    if is_sqlite:
        event.listen(engine.sync_engine, "reset", _rollback_only_an_open_transaction)
    return engine


engine = create_engine_for(settings.DATABASE_URL)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


async def get_db() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session
