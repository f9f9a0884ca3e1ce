"""Helpers the tests import; the fixtures are in conftest.py."""

import re
from collections.abc import Sequence
from datetime import date
from unittest.mock import AsyncMock

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import create_access_token
from app.models import Contact, User

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


# TODO(homework) [чекпойнт HW.6]: хелпер, що дістає токен із листа скидання пароля: лист — у
#   mock_mail.send_message.call_args.args[0] (AsyncMock), токен — у його body.
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


async def add_contacts(
    session: AsyncSession, owner: User, birthdays: Sequence[date]
) -> list[Contact]:
    """Contacts named L000, L001, … in birthday-list order (the tie-break of the sort)."""
    contacts = [
        Contact(
            first_name=f"F{i:03d}",
            last_name=f"L{i:03d}",
            email=f"c{i}@example.com",
            phone="+380501234567",
            birthday=birthday,
            owner_id=owner.id,
        )
        for i, birthday in enumerate(birthdays)
    ]
    session.add_all(contacts)
    await session.commit()
    return contacts
