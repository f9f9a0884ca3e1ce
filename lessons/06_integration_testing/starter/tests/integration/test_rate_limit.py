"""SlowAPI limits on the auth routes: per client IP, 429 with Retry-After, proxies handled."""

from collections.abc import AsyncIterator, Callable

from unittest.mock import AsyncMock

import pytest

from httpx import ASGITransport, AsyncClient, Response
from limits import parse
from slowapi import Limiter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.core.config import settings
from app.main import app
from app.models import User
from tests.helpers import PASSWORD


# TODO(06): інтеграційні тести rate limiting (fixture `limiter_on` вмикає SlowAPI зі свіжими
#   лічильниками; `client` його вимикає):
#   - 6-та реєстрація з однієї IP за хвилину → 429 з заголовком Retry-After;
#   - 11-й логін → 429 навіть з правильним паролем;
#   - лічильники окремі для кожного маршруту і кожної IP (ASGITransport(client=(host, port))).
