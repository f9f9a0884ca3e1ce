from fastapi import APIRouter, Response, status

from app.api.deps import (
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
    # TODO(04) [чекпойнт 04.6]: `redis: RedisDep` — і передайте його в check_health: /health звітує
    #   про Redis.
) -> dict[str, str]:
    report = await check_health(
        session,
    )
    # "degraded" (Redis down) still serves: a 503 would make Docker and Render kill a working
    # instance. Only a database that is down makes the API unable to answer.
    if report["status"] == "error":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return report
