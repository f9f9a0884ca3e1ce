"""The contacts API: app factory, middleware and routers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from app.api import health
from app.api.errors import register_error_handlers
from app.api.v1 import api_router
from app.core.cache import close_redis
from app.core.config import settings
from app.core.database import engine
from app.core.middleware import MEDIA_HEADERS, BodySizeLimitMiddleware, SecurityHeadersMiddleware
from app.core.rate_limit import limiter

# JSON bodies are small; uploads get their own, larger limit.
MAX_JSON_BODY_BYTES = 1024 * 1024
BODY_LIMITS_BY_PATH = {
    # >>> lesson 02
    # The multipart body may exceed the file limit by its headers and boundaries.
    "/api/v1/users/me/avatar": settings.MAX_AVATAR_BYTES + 64 * 1024,
    # --- todo
    # TODO(02) [чекпойнти 02.1, 02.3]: запит на /api/v1/users/me/avatar більший за JSON-ліміт (1
    #   МБ): дозвольте йому MAX_AVATAR_BYTES + 64 КБ на заголовки multipart.
    # <<< lesson 02
}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    # >>> lesson 04
    await close_redis()
    # --- todo
    # TODO(04) [чекпойнт 04.7]: при зупинці закрийте клієнт Redis (close_redis з app.core.cache).
    # <<< lesson 04
    await engine.dispose()


def create_app() -> FastAPI:
    app = FastAPI(
        title=settings.APP_NAME,
        version="14.0.0",
        debug=settings.DEBUG,
        lifespan=lifespan,
        docs_url="/docs" if settings.DOCS_ENABLED else None,
        redoc_url="/redoc" if settings.DOCS_ENABLED else None,
        openapi_url="/openapi.json" if settings.DOCS_ENABLED else None,
    )
    # >>> lesson 03
    app.state.limiter = limiter  # SlowAPI finds the limiter here
    # --- todo
    # TODO(03) [чекпойнт 03.1]: app.state.limiter = limiter (з app/core/rate_limit.py).
    # <<< lesson 03
    register_error_handlers(app)

    app.add_middleware(
        BodySizeLimitMiddleware, default=MAX_JSON_BODY_BYTES, per_path=BODY_LIMITS_BY_PATH
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.ENVIRONMENT == "production")
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.ALLOWED_ORIGINS,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )

    # >>> lesson 00
    app.include_router(health.router)
    # --- todo
    # TODO(00) [чекпойнти 00.1, 00.3]: підключіть router з app/api/health.py — GET /health.
    # <<< lesson 00
    app.include_router(api_router)
    # >>> lesson 02
    if not settings.uses_cloudinary:
        # Development without Cloudinary: avatars are files the app serves itself.
        media = Path(settings.MEDIA_DIR)
        media.mkdir(parents=True, exist_ok=True)
        files = StaticFiles(directory=media)
        media_app = SecurityHeadersMiddleware(files, hsts=False, extra=MEDIA_HEADERS)
        app.mount("/media", media_app, name="media")
    # --- todo
    # TODO(02) [чекпойнт 02.1]: без Cloudinary (settings.uses_cloudinary is False) аватари —
    #   локальні файли: створіть теку MEDIA_DIR і змонтуйте її на /media через StaticFiles.
    # <<< lesson 02
    return app


app = create_app()
