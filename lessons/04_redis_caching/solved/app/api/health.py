from fastapi import APIRouter, Response, status

from app.api.deps import (
    RedisDep,
    SessionDep,
)
from app.services.health import check_health

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(
    session: SessionDep,
    response: Response,
    redis: RedisDep,
) -> dict[str, str]:
    report = await check_health(
        session,
        redis,
    )
    if report["status"] != "ok":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return report
