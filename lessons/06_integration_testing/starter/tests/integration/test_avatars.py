"""Avatar uploads: magic-byte validation, size limits, local storage and the Cloudinary service."""

import io
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import cloudinary
import cloudinary.exceptions
import cloudinary.uploader
import pytest
from httpx import AsyncClient, Response
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import settings
from app.main import app
from app.models import User
from app.services.cloudinary_service import (
    CloudinaryAvatarStorage,
    LocalAvatarStorage,
    get_avatar_storage,
)
from tests.conftest import UserFactory
from tests.helpers import bearer

# TODO(06): інтеграційні тести POST /api/v1/users/me/avatar (fixture `client`, `auth_headers`,
#   `media_dir` — локальне сховище у тимчасовій теці замість Cloudinary):
#   - JPEG/PNG/GIF/WebP (перевірка за magic bytes) → 200 і avatar_url у відповіді та в базі;
#   - не картинка (навіть з content_type image/jpeg) → 422, файл не збережено;
#   - більше за MAX_AVATAR_BYTES → 413; неверифікований користувач → 403, без токена → 401;
#   - Cloudinary: замініть cloudinary.uploader.upload через monkeypatch, мережі в тестах немає.
