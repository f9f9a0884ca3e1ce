"""Pure ASGI middleware (no per-request task overhead): security headers, body size limit."""

from fastapi import HTTPException, status
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",  # no MIME sniffing of uploads or JSON
    "X-Frame-Options": "DENY",  # no clickjacking through frames
    "Referrer-Policy": "no-referrer",  # tokens in URLs (/verify/{token}) never leak onwards
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=63072000; includeSubDomains"
# Uploaded files: nothing in them may run, load or be framed, even if one slipped through.
MEDIA_HEADERS = {"Content-Security-Policy": "default-src 'none'; sandbox"}


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool, extra: dict[str, str] | None = None) -> None:
        self.app = app
        self.headers = SECURITY_HEADERS | ({"Strict-Transport-Security": HSTS} if hsts else {})
        self.headers |= extra or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except StarletteHTTPException:
            raise  # an answer, not a crash (a mounted app's 404): the app's handler sends it
        except Exception:
            # Starlette answers a crash outside every middleware, without these headers: answer
            # it here, then re-raise so the server still logs the traceback.
            if not started:
                error = JSONResponse({"detail": "Internal Server Error"}, status_code=500)
                await error(scope, receive, send_with_headers)
            raise


class RequestTooLargeError(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE, f"Request body is larger than {limit} bytes"
        )


class BodySizeLimitMiddleware:
    """413 in FastAPI's `{"detail": ...}` shape before a too-large body is read into memory.

    A declared Content-Length over the limit is refused without reading a byte; a streamed body
    is counted as it arrives and cut off once it passes the limit.
    """

    def __init__(self, app: ASGIApp, *, default: int, per_path: dict[str, int]) -> None:
        self.app = app
        self.default = default
        self.per_path = per_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.default)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            error = RequestTooLargeError(limit)
            response = JSONResponse({"detail": error.detail}, status_code=error.status_code)
            await response(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise RequestTooLargeError(limit)  # FastAPI answers it like any HTTPException
            return message

        await self.app(scope, receive_within_limit, send)
