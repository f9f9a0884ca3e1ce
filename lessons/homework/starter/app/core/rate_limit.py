"""SlowAPI: per-IP limits on the auth endpoints, counted in Redis so instances share them."""

from slowapi import Limiter
from slowapi.util import get_remote_address
from starlette.responses import Response

from app.core.config import settings


class RateLimiter(Limiter):
    """SlowAPI's Limiter, with Retry-After only where it means "wait": on a 429."""

    def _inject_headers(self, response: Response, current_limit: object) -> Response:
        response = super()._inject_headers(response, current_limit)
        if response.status_code != 429 and "Retry-After" in response.headers:
            del response.headers["Retry-After"]
        return response


limiter = RateLimiter(
    key_func=get_remote_address,  # the client's IP (behind a proxy: see the start command)
    storage_uri=settings.REDIS_URL,  # memory:// or redis://…: the same counters API
    enabled=settings.RATE_LIMIT_ENABLED,
    headers_enabled=True,  # X-RateLimit-* on every limited answer, Retry-After on a 429
    in_memory_fallback_enabled=True,  # Redis down: count in memory rather than answer 500
)
