"""The contacts API: app factory, middleware and routers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.api import health
from app.api.errors import register_error_handlers
from app.api.v1 import api_router
from app.core.config import settings
from app.core.database import engine
from app.core.middleware import BodySizeLimitMiddleware, SecurityHeadersMiddleware

# JSON bodies are small; uploads get their own, larger limit.
MAX_JSON_BODY_BYTES = 1024 * 1024
BODY_LIMITS_BY_PATH = {
    # TODO(02) [чекпойнти 02.1, 02.3]: запит на /api/v1/users/me/avatar більший за JSON-ліміт (1
    #   МБ): дозвольте йому MAX_AVATAR_BYTES + 64 КБ на заголовки multipart.
}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
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
    # TODO(02) [чекпойнт 02.1]: без Cloudinary (settings.uses_cloudinary is False) аватари —
    #   локальні файли: створіть теку MEDIA_DIR і змонтуйте її на /media через StaticFiles.
    return app


app = create_app()
