# >>> file given 04
"""Redis: the client, the cache-aside helper and the token blacklist (tokens and sessions).

Cache failures never fail a request: a read or write that Redis cannot serve is logged and the
data comes from the loader. The blacklist is security state, so it fails closed instead.
"""

import logging
from collections.abc import Awaitable, Callable

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


# >>> lesson 04
async def get_or_set_cache(
    redis: Redis, key: str, field: str, ttl: int, loader: Callable[[], Awaitable[str]]
) -> str:
    """Cache-aside on one field of a Redis hash: deleting `key` drops every variant at once.

    The value is text (the caller's JSON): a hit returns it as it was stored, so answering it
    costs one HGET, with no decoding and no re-encoding.
    """
    try:
        cached = await redis.hget(key, field)
    except RedisError as exc:
        logger.warning("Cache read of %s failed, serving from the database: %s", key, exc)
        return await loader()
    if cached is not None:
        return cached  # cache hit

    text = await loader()  # cache miss: load fresh data
    try:
        async with redis.pipeline(transaction=True) as pipe:
            await pipe.hset(key, field, text).expire(key, ttl).execute()
    except RedisError as exc:
        logger.warning("Cache write of %s failed: %s", key, exc)
    return text


async def invalidate(redis: Redis, key: str) -> None:
    try:
        await redis.delete(key)
    except RedisError as exc:
        # The entry expires by its TTL; a stale list for at most that long beats a failed write.
        logger.warning("Cache invalidation of %s failed: %s", key, exc)


# --- todo
# TODO(04) [чекпойнти 04.2, 04.3, 04.5]: cache-aside: get_or_set_cache(redis, key, field, ttl,
#   loader) над JSON-текстом: HGET → є? повернути текст як є (HIT); ні → text = await loader(),
#   HSET + EXPIRE ttl (MISS). Помилка Redis → warning у лог і дані з loader (кеш ніколи не ламає
#   запит). invalidate(redis, key): DELETE, теж без падіння.
# <<< lesson 04
# >>> given 04
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


# <<< given 04
# >>> lesson 04
def _blacklist_key(jti: str) -> str:
    return f"blacklist:{jti}"


async def blacklist_token(redis: Redis, jti: str, ttl: int) -> bool:
    """Blacklist a jti; False if it already was (SET NX: of two concurrent calls, one wins)."""
    try:
        return bool(await redis.set(_blacklist_key(jti), "1", ex=max(ttl, 1), nx=True))
    except RedisError as exc:
        raise CacheUnavailableError("Token store unavailable") from exc


async def is_token_blacklisted(redis: Redis, jti: str) -> bool:
    try:
        return bool(await redis.exists(_blacklist_key(jti)))
    except RedisError as exc:
        raise CacheUnavailableError("Token store unavailable") from exc


def _family_key(family: str) -> str:
    return f"revoked-family:{family}"


async def revoke_family(redis: Redis, family: str, ttl: int) -> None:
    """End every token of one login session (its refresh chain and their access tokens)."""
    try:
        await redis.set(_family_key(family), "1", ex=max(ttl, 1))
    except RedisError as exc:
        raise CacheUnavailableError("Token store unavailable") from exc


async def is_family_revoked(redis: Redis, family: str | None) -> bool:
    if family is None:  # a token from before families (or made by hand): nothing to look up
        return False
    try:
        return bool(await redis.exists(_family_key(family)))
    except RedisError as exc:
        raise CacheUnavailableError("Token store unavailable") from exc


async def is_session_revoked(redis: Redis, jti: str, family: str | None) -> bool:
    """The per-request check of an access token: its jti or its family, one round trip."""
    keys = [_blacklist_key(jti)] + ([_family_key(family)] if family else [])
    try:
        return bool(await redis.exists(*keys))
    except RedisError as exc:
        raise CacheUnavailableError("Token store unavailable") from exc


# --- todo
# TODO(04) [чекпойнт 04.4]: blacklist_token(redis, jti, ttl) — SET blacklist:{jti} з EX=ttl;
#   is_token_blacklisted(redis, jti) — EXISTS; revoke_family / is_family_revoked — те саме для всієї
#   сесії (ключ revoked-family:{family}); is_session_revoked(redis, jti, family) — обидва ключі
#   одним EXISTS (перевірка access-токена на кожному запиті). Недоступний Redis →
#   CacheUnavailableError: чорний список — це безпека, тут «вгадувати» не можна.
# <<< lesson 04
