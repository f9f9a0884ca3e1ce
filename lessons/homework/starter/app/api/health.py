from fastapi import APIRouter, Response, status

from app.api.deps import (
    RedisDep,
    SessionDep,
)
from app.services.health import check_health

router = APIRouter(tags=["health"])


# 503 answers the same report: which part is down.
UNAVAILABLE = {503: {"model": dict[str, str], "description": "The database is down"}}


@router.get("/health", responses=UNAVAILABLE)
async def health(
    session: SessionDep,
    response: Response,
    redis: RedisDep,
) -> dict[str, str]:
    report = await check_health(
        session,
        redis,
    )
    # "degraded" (Redis down) still serves: a 503 would make Docker and Render kill a working
    # instance. Only a database that is down makes the API unable to answer.
    if report["status"] == "error":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return report
