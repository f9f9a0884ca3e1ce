"""When a part fails: Redis or the database down, a slow password hash, plus headers and CORS."""


# TODO(06) [чекпойнт 06.13]: тести відмов і заголовків:
#   - Redis недоступний (app.dependency_overrides[get_redis] → «мертвий» клієнт): дні народження
#     з бази, запис контактів працює, /health → 200 "degraded" з назвою redis, чорний список
#     → 503;
#   - /health → 200, коли все працює; база недоступна → 503 з назвою database;
#   - заголовки безпеки на кожній відповіді; CORS лише для дозволених origins.
