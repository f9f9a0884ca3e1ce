"""Redis: the client, the cache-aside helper and the token blacklist (tokens and sessions).

Cache failures never fail a request: a read or write that Redis cannot serve is logged and the
data comes from the loader. The blacklist is security state, so it fails closed instead.
"""

import logging

import fakeredis
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.core.config import settings

logger = logging.getLogger(__name__)

_client: Redis | None = None


class CacheUnavailableError(Exception):
    """Redis could not be reached for state that must not be guessed (the blacklist)."""


def create_redis(url: str) -> Redis:
    if url.startswith("memory://"):
        return fakeredis.FakeAsyncRedis(decode_responses=True)
    return Redis.from_url(url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2)


async def get_redis() -> Redis:
    """One client per process; `memory://` keeps its data for the life of the process."""
    global _client
    if _client is None:
        _client = create_redis(settings.REDIS_URL)
    return _client


async def close_redis() -> None:
    global _client
    if _client is not None:
        await _client.aclose()
        _client = None


# TODO(04) [чекпойнти 04.2, 04.3, 04.5]: cache-aside: get_or_set_cache(redis, key, field, ttl,
#   loader) над JSON-текстом: HGET → є? повернути текст як є (HIT); ні → text = await loader(),
#   HSET + EXPIRE ttl (MISS). Помилка Redis → warning у лог і дані з loader (кеш ніколи не ламає
#   запит). invalidate(redis, key): DELETE, теж без падіння.
async def read_text(redis: Redis, key: str) -> str | None:
    """One cached text, or None on a miss or when Redis cannot answer (logged): as above, a
    cache never fails a request."""
    try:
        return await redis.get(key)
    except RedisError as exc:
        logger.warning("Cache read of %s failed: %s", key, exc)
        return None


async def write_text(redis: Redis, key: str, text: str, ttl: int, *, only_if_absent: bool) -> None:
    """SET with a TTL; `only_if_absent` (NX) lets a fresher entry written meanwhile stand."""
    try:
        await redis.set(key, text, ex=ttl, nx=only_if_absent)
    except RedisError as exc:
        logger.warning("Cache write of %s failed: %s", key, exc)


# TODO(04) [чекпойнт 04.4]: blacklist_token(redis, jti, ttl) — SET blacklist:{jti} з EX=ttl;
#   is_token_blacklisted(redis, jti) — EXISTS; revoke_family / is_family_revoked — те саме для всієї
#   сесії (ключ revoked-family:{family}); is_session_revoked(redis, jti, family) — обидва ключі
#   одним EXISTS (перевірка access-токена на кожному запиті). Недоступний Redis →
#   CacheUnavailableError: чорний список — це безпека, тут «вгадувати» не можна.
