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
    # The multipart body may exceed the file limit by its headers and boundaries.
    "/api/v1/users/me/avatar": settings.MAX_AVATAR_BYTES + 64 * 1024,
}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await close_redis()
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
    app.state.limiter = limiter  # SlowAPI finds the limiter here
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

    app.include_router(health.router)
    app.include_router(api_router)
    if not settings.uses_cloudinary:
        # Development without Cloudinary: avatars are files the app serves itself.
        media = Path(settings.MEDIA_DIR)
        media.mkdir(parents=True, exist_ok=True)
        files = StaticFiles(directory=media)
        media_app = SecurityHeadersMiddleware(files, hsts=False, extra=MEDIA_HEADERS)
        app.mount("/media", media_app, name="media")
    return app


app = create_app()
