"""Upcoming birthdays: the date arithmetic and the service on an in-memory database."""


# TODO(05) [чекпойнти 05.1, 05.3–05.5]: unit-тести днів народження (app/services/contacts.py),
#   `today` — завжди параметр:
#   - точне число днів: days_until_birthday / next_birthday з @pytest.mark.parametrize:
#     звичайний (7 днів), 29 лютого → 28-ме у невисокосний рік (6), перехід через Новий рік (1);
#   - upcoming_birthdays на базі з fixture `async_session`: вікно 0…days включно, найближчі
#     першими, лише контакти власника;
#   - upcoming_birthdays_cached кладе відповідь під ключ birthdays:{user_id}:{date}.
