"""Readiness of the parts the API uses: each is probed and named, a failure is not a 500."""

import logging

from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)
CHECK_TIMEOUT_SECONDS = 2.0
PROBE_ERRORS = (SQLAlchemyError, OSError, TimeoutError)


# TODO(00) [чекпойнти 00.3, 00.4]: check_health(session) виконує `SELECT 1` з тайм-аутом
#   CHECK_TIMEOUT_SECONDS і повертає {"status": "ok"|"error", "database": "ok"|"unavailable"};
#   помилка бази — це відповідь, а не 500.
