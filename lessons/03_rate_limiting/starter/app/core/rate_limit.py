"""SlowAPI: per-IP limits on the auth endpoints, counted in Redis so instances share them."""


# TODO(03): limiter = Limiter(...) — ключ = IP клієнта (get_remote_address), лічильники в
#   settings.REDIS_URL, enabled=settings.RATE_LIMIT_ENABLED, заголовки Retry-After увімкнені,
#   а коли Redis лежить — лічити в пам'яті, не 500 (checkpoints 03.1–03.4).
