"""The error answers of each route, declared in OpenAPI with the body they really have."""

from typing import Any

from pydantic import BaseModel


class ErrorMessage(BaseModel):
    """`{"detail": "..."}`: every error this API raises itself."""

    detail: str


class ValidationErrors(BaseModel):
    """`{"detail": [...]}`: FastAPI's answer to a request that fails its schema."""

    detail: list[dict[str, Any]]


DESCRIPTIONS = {
    400: "A body that cannot be parsed, or an invalid, expired or wrong-purpose email token",
    401: "Missing, invalid, expired or revoked token, or wrong credentials",
    403: "The email is not verified yet",
    404: "Not found (another user's contact is not found either)",
    409: "Already exists",
    413: "The request body is too large",
    422: "The request or the uploaded file is not valid",
    429: "Too many requests from this address: see Retry-After",
    503: "A service this request needs is down: try again later",
}
# Every route with a body: it may not parse (400) or may be too large (413).
BODY_ERRORS = (400, 413)


def errors(*codes: int, **bodies: Any) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these status codes; `bodies` overrides a body, e.g. `c422=...`."""
    return {
        code: {"model": bodies.get(f"c{code}", ErrorMessage), "description": DESCRIPTIONS[code]}
        for code in codes
    }
