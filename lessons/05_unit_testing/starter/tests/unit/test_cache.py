"""Cache-aside and the refresh-token blacklist: hits, misses, TTLs, and Redis going away."""


# TODO(05) [чекпойнти 05.1, 05.2]: unit-тести app/core/cache.py на fixture `redis` (fakeredis з
#   tests/conftest.py):
#   - cache-aside get_or_set_cache: промах викликає loader один раз і зберігає з TTL,
#     влучання loader не викликає (AsyncMock(return_value=...) + assert_not_awaited);
#   - invalidate видаляє ключ; Redis недоступний (FakeServer.connected = False) → дані
#     з loader і попередження в лог, а не виняток;
#   - чорний список refresh-токенів: blacklist_token / is_token_blacklisted, TTL запису.
