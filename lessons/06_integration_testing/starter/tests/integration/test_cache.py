"""Cache-aside on upcoming birthdays: the key, the TTL, hits, misses and invalidation."""


# TODO(06) [чекпойнти 06.3, 06.11]: інтеграційні тести кешу GET /api/v1/contacts/birthdays (fixture
#   `client`, `redis`):
#   - перший запит — промах (дані з бази), другий — влучання з тією самою відповіддю
#     (підмініть contact_service.upcoming_birthdays шпигуном через monkeypatch);
#   - ключ birthdays:{user_id}:{date} з TTL не більше години, окремий для кожного користувача;
#   - новий день (app.dependency_overrides[get_today]) читає новий ключ;
#   - створення і зміна контакту видаляють кеш цього користувача (чекпойнт 06.3).
