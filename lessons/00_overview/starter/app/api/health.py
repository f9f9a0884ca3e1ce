from fastapi import APIRouter

router = APIRouter(tags=["health"])


# TODO(00) [чекпойнти 00.1, 00.3, 00.4]: GET /health → {"status": "ok", "database": "ok"} через
#   check_health(session); якщо база недоступна — 503 і {"status": "error", "database":
#   "unavailable"}. Статус відповіді змінюйте через параметр `response: Response`.
