"""Upcoming birthdays: the date arithmetic and the service on an in-memory database."""

from datetime import date, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User
from app.services.contacts import (
    birthdays_cache_key,
    days_until_birthday,
    next_birthday,
    upcoming_birthdays,
    upcoming_birthdays_cached,
)
from tests.conftest import UserFactory
from tests.helpers import TODAY, add_contacts

# TODO(05): unit-тести днів народження (app/services/contacts.py), `today` — завжди параметр
#   (checkpoints 05.1, 05.3–05.5):
#   - точне число днів: days_until_birthday / next_birthday з @pytest.mark.parametrize:
#     звичайний (7 днів), 29 лютого → 28-ме у невисокосний рік (6), перехід через Новий рік (1);
#   - upcoming_birthdays на базі з fixture `async_session`: вікно 0…days включно, найближчі
#     першими, лише контакти власника;
#   - upcoming_birthdays_cached кладе відповідь під ключ birthdays:{user_id}:{date}.
