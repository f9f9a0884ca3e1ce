# >>> file lesson 00 todo
from fastapi import APIRouter, Response, status

from app.api.deps import (
    RedisDep,
    SessionDep,
)
from app.services.health import check_health

router = APIRouter(tags=["health"])


# >>> lesson 00
# 503 answers the same report: which part is down.
UNAVAILABLE = {503: {"model": dict[str, str], "description": "The database is down"}}


@router.get("/health", responses=UNAVAILABLE)
async def health(
    session: SessionDep,
    response: Response,
    # >>> lesson 04
    redis: RedisDep,
    # --- todo
    # TODO(04) [чекпойнт 04.6]: `redis: RedisDep` — і передайте його в check_health: /health звітує
    #   про Redis.
    # <<< lesson 04
) -> dict[str, str]:
    report = await check_health(
        session,
        # >>> lesson 04
        redis,
        # <<< lesson 04
    )
    # "degraded" (Redis down) still serves: a 503 would make Docker and Render kill a working
    # instance. Only a database that is down makes the API unable to answer.
    if report["status"] == "error":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return report


# --- todo
# TODO(00) [чекпойнти 00.1, 00.3, 00.4]: GET /health → {"status": "ok", "database": "ok"} через
#   check_health(session); якщо база недоступна — 503 і {"status": "error", "database":
#   "unavailable"}. Статус відповіді змінюйте через параметр `response: Response`.
# <<< lesson 00
