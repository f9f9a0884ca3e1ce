# >>> file lesson 00 todo
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
# >>> lesson 04
PROBE_ERRORS = (SQLAlchemyError, RedisError, OSError, TimeoutError)
# --- todo
# TODO(04) [чекпойнт 04.6]: /health перевіряє і Redis: RedisError — теж відповідь "unavailable", а
#   не 500 (додайте до PROBE_ERRORS), а check_health нижче пінгує Redis.
# <<< lesson 04
# >>> until 04
#| PROBE_ERRORS = (SQLAlchemyError, OSError, TimeoutError)
# <<< until 04


# >>> lesson 00
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
    # >>> lesson 04
    redis: Redis,
    # --- todo
    # TODO(04) [чекпойнт 04.6]: параметр `redis: Redis` і пункт "redis": await _probe("redis",
    #   redis.ping()); Redis лежить — {"status": "degraded", ...}: API ще працює (кеш і ліміти мають
    #   запасний шлях), тож /health відповідає 200, а 503 — лише без бази.
    # <<< lesson 04
) -> dict[str, str]:
    report = {
        "database": await _probe("database", session.execute(text("SELECT 1"))),
        # >>> lesson 04
        "redis": await _probe("redis", redis.ping()),
        # <<< lesson 04
    }
    if report["database"] != "ok":
        return {"status": "error", **report}  # nothing can be served without the database
    # >>> lesson 04
    if report["redis"] != "ok":
        # Cache and rate limits fall back to the database and memory: the API still serves.
        return {"status": "degraded", **report}
    # <<< lesson 04
    return {"status": "ok", **report}


# --- todo
# TODO(00) [чекпойнти 00.3, 00.4]: check_health(session) виконує `SELECT 1` з тайм-аутом
#   CHECK_TIMEOUT_SECONDS і повертає {"status": "ok"|"error", "database": "ok"|"unavailable"};
#   помилка бази — це відповідь, а не 500.
# <<< lesson 00
