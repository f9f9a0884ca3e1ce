"""SlowAPI limits on the auth routes: per client IP, 429 with Retry-After, proxies handled."""


# TODO(06) [чекпойнт 06.6]: інтеграційні тести rate limiting (fixture `limiter_on` вмикає SlowAPI зі
#   свіжими лічильниками; `client` його вимикає):
#   - 6-та реєстрація з однієї IP за хвилину → 429 з заголовком Retry-After;
#   - 11-й логін → 429 навіть з правильним паролем;
#   - лічильники окремі для кожного маршруту і кожної IP (ASGITransport(client=(host, port))).
