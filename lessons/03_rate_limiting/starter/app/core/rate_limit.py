"""SlowAPI: per-IP limits on the auth endpoints, counted in Redis so instances share them."""

from slowapi import Limiter
from starlette.responses import Response


class RateLimiter(Limiter):
    """SlowAPI's Limiter, with Retry-After only where it means "wait": on a 429."""

    def _inject_headers(self, response: Response, current_limit: object) -> Response:
        response = super()._inject_headers(response, current_limit)
        if response.status_code != 429 and "Retry-After" in response.headers:
            del response.headers["Retry-After"]
        return response


# TODO(03) [чекпойнти 03.1–03.4]: limiter = RateLimiter(...) — ключ = IP клієнта
#   (get_remote_address), лічильники в settings.REDIS_URL, enabled=settings.RATE_LIMIT_ENABLED,
#   заголовки Retry-After увімкнені, а коли Redis лежить — лічити в пам'яті, не 500.
