"""When a part fails: Redis or the database down, a slow password hash, plus headers and CORS."""

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import fakeredis
import pytest
from httpx import ASGITransport, AsyncClient, Response
from redis.asyncio import Redis
from slowapi import Limiter
from slowapi.util import get_remote_address
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.core import security
from app.core.cache import get_redis
from app.core.config import settings
from app.core.database import get_db
from app.core.rate_limit import limiter
from app.api.deps import get_today
from app.main import app, create_app
from app.models import User
from app.services import health as health_service
from tests.helpers import PASSWORD, TODAY, contact_payload

# TODO(06): тести відмов і заголовків:
#   - Redis недоступний (app.dependency_overrides[get_redis] → «мертвий» клієнт): дні народження
#     з бази, запис контактів працює, /health → 200 "degraded" з назвою redis, чорний список
#     → 503;
#   - /health → 200, коли все працює; база недоступна → 503 з назвою database;
#   - заголовки безпеки на кожній відповіді; CORS лише для дозволених origins.
