"""Service errors → HTTP answers: services raise what went wrong, only this module knows HTTP."""

import functools
import re

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from slowapi.errors import RateLimitExceeded
from starlette.routing import compile_path

from app.services.errors import (
    ConflictError,
    InvalidCredentialsError,
    InvalidImageError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    ServiceError,
    ServiceUnavailableError,
)

STATUS_BY_ERROR: dict[type[ServiceError], int] = {
    NotFoundError: status.HTTP_404_NOT_FOUND,
    ConflictError: status.HTTP_409_CONFLICT,
    InvalidCredentialsError: status.HTTP_401_UNAUTHORIZED,
    PermissionDeniedError: status.HTTP_403_FORBIDDEN,
    InvalidInputError: status.HTTP_400_BAD_REQUEST,
    InvalidImageError: status.HTTP_422_UNPROCESSABLE_CONTENT,
    PayloadTooLargeError: status.HTTP_413_CONTENT_TOO_LARGE,
    ServiceUnavailableError: status.HTTP_503_SERVICE_UNAVAILABLE,
}


async def service_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    code = STATUS_BY_ERROR.get(type(exc), status.HTTP_400_BAD_REQUEST)
    headers = {"WWW-Authenticate": "Bearer"} if code == status.HTTP_401_UNAUTHORIZED else None
    return JSONResponse({"detail": exc.detail}, status_code=code, headers=headers)


async def rate_limit_exceeded_handler(request: Request, exc: Exception) -> JSONResponse:
    """429 in FastAPI's error shape, with Retry-After and the X-RateLimit-* headers."""
    assert isinstance(exc, RateLimitExceeded)
    response = JSONResponse(
        {"detail": f"Rate limit exceeded: {exc.detail}"},
        status_code=status.HTTP_429_TOO_MANY_REQUESTS,
    )
    return request.app.state.limiter._inject_headers(response, request.state.view_rate_limit)


@functools.cache
def _methods_by_path(app: FastAPI) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each documented path as a regex, with the methods it answers (from the OpenAPI schema)."""
    return tuple(
        (compile_path(path)[0], ", ".join(sorted(method.upper() for method in operations)))
        for path, operations in app.openapi()["paths"].items()
    )


async def method_not_allowed_handler(request: Request, exc: Exception) -> JSONResponse:
    """405 with every method of the path in Allow; Starlette names only the first route's."""
    allow = next(
        (
            methods
            for pattern, methods in _methods_by_path(request.app)
            if pattern.match(request.url.path)
        ),
        "",
    )
    return JSONResponse(
        {"detail": "Method Not Allowed"},
        status_code=status.HTTP_405_METHOD_NOT_ALLOWED,
        headers={"Allow": allow},
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, service_error_handler)
    app.add_exception_handler(status.HTTP_405_METHOD_NOT_ALLOWED, method_not_allowed_handler)
    app.add_exception_handler(RateLimitExceeded, rate_limit_exceeded_handler)
