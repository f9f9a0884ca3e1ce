"""Cache-aside and the refresh-token blacklist: hits, misses, TTLs, and Redis going away."""

import json
import logging
from collections.abc import AsyncIterator
from unittest.mock import AsyncMock

import fakeredis
import pytest
from redis.asyncio import Redis

from app.core import cache
from app.core.cache import (
    CacheUnavailableError,
    blacklist_token,
    create_redis,
    get_or_set_cache,
    invalidate,
    is_token_blacklisted,
    read_text,
    write_text,
)

KEY, FIELD, TTL = "birthdays:1:2026-02-21", "7", 3600
# The cache keeps text: the JSON the route answers with.
DATA = json.dumps([{"id": 1, "first_name": "Тарас", "days_until": 0}], ensure_ascii=False)


@pytest.fixture
def server() -> fakeredis.FakeServer:
    return fakeredis.FakeServer()


@pytest.fixture
async def flaky_redis(server: fakeredis.FakeServer) -> AsyncIterator[Redis]:
    """A fake Redis the test can take down with `server.connected = False`."""
    client = fakeredis.FakeAsyncRedis(server=server, decode_responses=True)
    yield client
    await client.aclose()


# --- cache-aside ------------------------------------------------------------------------------


async def test_miss_calls_the_loader_once_and_stores_with_the_ttl(redis: Redis) -> None:
    loader = AsyncMock(return_value=DATA)

    assert await get_or_set_cache(redis, KEY, FIELD, TTL, loader) == DATA

    loader.assert_awaited_once()
    assert await redis.hget(KEY, FIELD) == DATA
    assert TTL - 10 < await redis.ttl(KEY) <= TTL


async def test_hit_does_not_call_the_loader(redis: Redis) -> None:
    await redis.hset(KEY, FIELD, DATA)
    loader = AsyncMock(return_value='["fresh from the database"]')

    assert await get_or_set_cache(redis, KEY, FIELD, TTL, loader) == DATA
    loader.assert_not_awaited()


async def test_hit_returns_the_stored_text_as_it_is(redis: Redis) -> None:
    # Not decoded and encoded again: the spacing of the stored text survives.
    stored = '[ {"id" : 1} ]'
    await redis.hset(KEY, FIELD, stored)

    assert await get_or_set_cache(redis, KEY, FIELD, TTL, AsyncMock(return_value="[]")) == stored


async def test_second_call_is_served_from_the_cache(redis: Redis) -> None:
    loader = AsyncMock(return_value=DATA)
    first = await get_or_set_cache(redis, KEY, FIELD, TTL, loader)
    second = await get_or_set_cache(redis, KEY, FIELD, TTL, loader)
    assert first == second == DATA
    assert loader.await_count == 1


async def test_fields_of_one_key_are_cached_separately(redis: Redis) -> None:
    await get_or_set_cache(redis, KEY, "7", TTL, AsyncMock(return_value='["week"]'))
    month = AsyncMock(return_value='["month"]')
    assert await get_or_set_cache(redis, KEY, "30", TTL, month) == '["month"]'


async def test_invalidate_drops_every_field_of_the_key(redis: Redis) -> None:
    await redis.hset(KEY, mapping={"7": "[]", "30": "[]"})
    await invalidate(redis, KEY)
    assert await redis.exists(KEY) == 0


async def test_read_error_falls_back_to_the_loader_with_a_warning(
    server: fakeredis.FakeServer, flaky_redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    server.connected = False
    loader = AsyncMock(return_value=DATA)

    with caplog.at_level(logging.WARNING, logger=cache.__name__):
        assert await get_or_set_cache(flaky_redis, KEY, FIELD, TTL, loader) == DATA

    loader.assert_awaited_once()
    assert any(
        r.levelno == logging.WARNING and "Cache read" in r.getMessage() for r in caplog.records
    )


async def test_write_error_still_returns_the_loaded_data_with_a_warning(
    server: fakeredis.FakeServer, flaky_redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    async def load_then_lose_redis() -> str:
        server.connected = False  # the read worked; Redis goes away before the write
        return DATA

    with caplog.at_level(logging.WARNING, logger=cache.__name__):
        assert await get_or_set_cache(flaky_redis, KEY, FIELD, TTL, load_then_lose_redis) == DATA

    assert any(
        r.levelno == logging.WARNING and "Cache write" in r.getMessage() for r in caplog.records
    )
    server.connected = True
    assert await flaky_redis.exists(KEY) == 0


async def test_invalidate_with_redis_down_logs_and_does_not_raise(
    server: fakeredis.FakeServer, flaky_redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    server.connected = False
    with caplog.at_level(logging.WARNING, logger=cache.__name__):
        await invalidate(flaky_redis, KEY)
    assert any("invalidation" in r.getMessage() for r in caplog.records)


# --- blacklist --------------------------------------------------------------------------------


async def test_a_fill_leaves_a_fresher_entry_standing(redis: Redis) -> None:
    # A request that read the database before a change must not put its older copy back.
    await write_text(redis, "principal:a@example.com", "fresh", TTL, only_if_absent=False)
    await write_text(redis, "principal:a@example.com", "stale", TTL, only_if_absent=True)
    assert await redis.get("principal:a@example.com") == "fresh"


async def test_a_text_read_with_redis_down_is_a_miss_with_a_warning(
    flaky_redis: Redis, server: fakeredis.FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.connected = False
    with caplog.at_level(logging.WARNING, logger="app.core.cache"):
        assert await read_text(flaky_redis, "principal:a@example.com") is None
    assert "Cache read of principal:a@example.com failed" in caplog.text


async def test_blacklisted_token_is_reported_with_its_ttl(redis: Redis) -> None:
    await blacklist_token(redis, "jti-1", ttl=600)

    assert await is_token_blacklisted(redis, "jti-1") is True
    assert 590 < await redis.ttl("blacklist:jti-1") <= 600


async def test_blacklisting_is_atomic_first_caller_wins(redis: Redis) -> None:
    # SET NX: of two requests revoking the same jti (a refresh race), exactly one succeeds.
    assert await blacklist_token(redis, "jti-1", ttl=600) is True
    assert await blacklist_token(redis, "jti-1", ttl=600) is False


async def test_unknown_token_is_not_blacklisted(redis: Redis) -> None:
    await blacklist_token(redis, "jti-1", ttl=600)
    assert await is_token_blacklisted(redis, "jti-2") is False


@pytest.mark.parametrize("ttl", [0, -5])
async def test_blacklist_keeps_a_token_at_its_last_second(redis: Redis, ttl: int) -> None:
    # A token about to expire is still stored (for a second), never rejected by Redis.
    await blacklist_token(redis, "jti-1", ttl=ttl)
    assert await is_token_blacklisted(redis, "jti-1") is True


async def test_blacklist_write_with_redis_down_raises(
    server: fakeredis.FakeServer, flaky_redis: Redis
) -> None:
    server.connected = False
    with pytest.raises(CacheUnavailableError):
        await blacklist_token(flaky_redis, "jti-1", ttl=600)


async def test_blacklist_read_with_redis_down_fails_closed(
    server: fakeredis.FakeServer, flaky_redis: Redis
) -> None:
    # Security state is never guessed: "unknown" must not become "not revoked".
    server.connected = False
    with pytest.raises(CacheUnavailableError):
        await is_token_blacklisted(flaky_redis, "jti-1")


# --- the client -------------------------------------------------------------------------------


async def test_memory_url_gives_an_in_process_redis() -> None:
    client = create_redis("memory://")
    assert isinstance(client, fakeredis.FakeAsyncRedis)
    await client.set("k", "v")
    assert await client.get("k") == "v"  # decode_responses: str, not bytes
    await client.aclose()


async def test_redis_url_gives_a_real_client_without_connecting() -> None:
    client = create_redis("redis://cache.example.com:6379/0")
    assert not isinstance(client, fakeredis.FakeAsyncRedis)
    assert client.connection_pool.connection_kwargs["host"] == "cache.example.com"
    await client.aclose()


async def test_get_redis_returns_one_client_until_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "_client", None)
    monkeypatch.setattr(cache.settings, "REDIS_URL", "memory://")
    first = await cache.get_redis()
    assert await cache.get_redis() is first
    await cache.close_redis()
    assert cache._client is None
