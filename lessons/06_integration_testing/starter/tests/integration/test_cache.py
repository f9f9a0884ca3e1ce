"""Cache-aside on upcoming birthdays: the key, the TTL, hits, misses and invalidation."""

import json
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

import pytest
from httpx import AsyncClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import get_today
from app.core.config import settings
from app.main import app
from app.models import Contact, User
from app.schemas.contact import BirthdayContact
from app.services import contacts as contact_service
from tests.conftest import UserFactory
from tests.helpers import TODAY, bearer, contact_payload

# TODO(06): інтеграційні тести кешу GET /api/v1/contacts/birthdays (fixture `client`, `redis`):
#   - перший запит — промах (дані з бази), другий — влучання з тією самою відповіддю
#     (підмініть contact_service.upcoming_birthdays шпигуном через monkeypatch);
#   - ключ birthdays:{user_id}:{date} з TTL не більше години, окремий для кожного користувача;
#   - новий день (app.dependency_overrides[get_today]) читає новий ключ;
#   - створення і зміна контакту видаляють кеш цього користувача (checkpoint 06.3).
