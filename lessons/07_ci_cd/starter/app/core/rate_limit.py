"""SlowAPI: per-IP limits on the auth endpoints, counted in Redis so instances share them."""

from slowapi import Limiter
from slowapi.util import get_remote_address

from app.core.config import settings

limiter = Limiter(
    key_func=get_remote_address,  # the client's IP (behind a proxy: see the start command)
    storage_uri=settings.REDIS_URL,  # memory:// or redis://…: the same counters API
    enabled=settings.RATE_LIMIT_ENABLED,
    headers_enabled=True,  # X-RateLimit-* and Retry-After on every limited answer
    in_memory_fallback_enabled=True,  # Redis down: count in memory rather than answer 500
)
