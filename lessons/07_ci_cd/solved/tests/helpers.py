"""Helpers the tests import; the fixtures are in conftest.py."""

import re
from datetime import date
from unittest.mock import AsyncMock

from app.core.security import create_access_token
from app.models import User

# Saturday 21 Feb 2026, the date of the lesson plan's cache-key example. Never the real clock.
TODAY = date(2026, 2, 21)
PASSWORD = "secret123"


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_access_token(user.email)}"}


def extract_token_from_email(mock_mail: AsyncMock) -> str:
    """The token in the link of the last email the app 'sent'."""
    message = mock_mail.send_message.call_args.args[0]
    match = re.search(r"/auth/verify/([\w.\-]+)", message.body)
    assert match, f"no verification link in: {message.body}"
    return match.group(1)


def contact_payload(**overrides: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "first_name": "Taras",
        "last_name": "Shevchenko",
        "email": "taras@example.com",
        "phone": "+380501234567",
        "birthday": "1990-03-09",
        "notes": "poet",
    }
    return payload | overrides
