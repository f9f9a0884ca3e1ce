"""Readiness of the parts the API uses: each is probed and named, a failure is not a 500."""

import asyncio
import logging
from collections.abc import Awaitable

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

logger = logging.getLogger(__name__)
CHECK_TIMEOUT_SECONDS = 2.0
PROBE_ERRORS = (SQLAlchemyError, RedisError, OSError, TimeoutError)


async def _probe(name: str, check: Awaitable[object]) -> str:
    """Return ok or unavailable (logged): a failing part is an answer, not a 500."""
    try:
        await asyncio.wait_for(check, CHECK_TIMEOUT_SECONDS)
    except PROBE_ERRORS as exc:
        logger.warning("Health check of %s failed: %r", name, exc)
        return "unavailable"
    return "ok"


async def check_health(
    session: AsyncSession,
    redis: Redis,
) -> dict[str, str]:
    report = {
        "database": await _probe("database", session.execute(text("SELECT 1"))),
        "redis": await _probe("redis", redis.ping()),
    }
    if report["database"] != "ok":
        return {"status": "error", **report}  # nothing can be served without the database
    if report["redis"] != "ok":
        # Cache and rate limits fall back to the database and memory: the API still serves.
        return {"status": "degraded", **report}
    return {"status": "ok", **report}
