"""The register → email → verify → login flow of the lesson plan, and its failure cases."""

import asyncio
from collections.abc import Callable
from datetime import timedelta
from unittest.mock import AsyncMock

import pytest
from httpx import AsyncClient
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import security
from app.core.security import (
    ACCESS,
    EMAIL_VERIFY,
    REFRESH,
    create_access_token,
    create_email_token,
    create_refresh_token,
    create_token,
    decode_token,
)
from app.models import User
from tests.conftest import UserFactory
from tests.helpers import (
    PASSWORD,
    bearer,
    extract_token_from_email,
)


# TODO(06): інтеграційні тести auth через HTTP (fixture `client`, `mock_mail` з tests/conftest.py):
#   - повний flow з плану: register → 201 без токенів; login до верифікації → 403;
#     verify з токеном із "листа" (extract_token_from_email(mock_mail)) → 200; login → 200
#     (checkpoints 06.4, 06.7);
#   - register: дубль email → 409, погані дані → 422; verify чужим, зіпсованим
#     і простроченим токеном → 400;
#   - /users/me з access-токеном → 200, без токена → 401;
#   - refresh видає нову пару і відкликає старий токен; після logout refresh → 401
#     (checkpoint 06.5).
