from fastapi import APIRouter

router = APIRouter(tags=["health"])


# TODO(00): GET /health → {"status": "ok", "database": "ok"} через check_health(session);
#   якщо база недоступна — 503 і {"status": "error", "database": "unavailable"}
#   (checkpoint 00.3). Статус відповіді змінюйте через параметр `response: Response`.
