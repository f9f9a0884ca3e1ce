# >>> file lesson 03 todo
"""SlowAPI: per-IP limits on the auth endpoints, counted in Redis so instances share them."""

from slowapi import Limiter
from slowapi.util import get_remote_address

from app.core.config import settings

# >>> lesson 03
limiter = Limiter(
    key_func=get_remote_address,  # the client's IP (behind a proxy: see the start command)
    storage_uri=settings.REDIS_URL,  # memory:// or redis://…: the same counters API
    enabled=settings.RATE_LIMIT_ENABLED,
    headers_enabled=True,  # X-RateLimit-* and Retry-After on every limited answer
    in_memory_fallback_enabled=True,  # Redis down: count in memory rather than answer 500
)
# --- todo
# TODO(03): limiter = Limiter(...) — ключ = IP клієнта (get_remote_address), лічильники в
#   settings.REDIS_URL, enabled=settings.RATE_LIMIT_ENABLED, заголовки Retry-After увімкнені,
#   а коли Redis лежить — лічити в пам'яті, не 500 (checkpoints 03.1–03.4).
# <<< lesson 03
