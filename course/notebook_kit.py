"""What every lesson notebook does before and around the real app (notebooks/NN_name.ipynb).

The app reads its settings once, at import: `use_embedded_defaults()` must run before the first
`import app`. Everything here is the app's own code wired the way its tests wire it
(solution/tests/conftest.py): a SQLite file, an in-process Redis, mail captured by an AsyncMock,
"today" pinned through the app's `get_today` dependency.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from pathlib import Path
from unittest.mock import AsyncMock

from httpx import ASGITransport, AsyncClient

from course.paths import CoursePaths

API = "/api/v1"
BASE_URL = "http://test"


def use_embedded_defaults() -> Path:
    """Make `import app` find solution/ and point the app at embedded parts in a fresh
    temporary folder; return that folder.

    Explicit values override whatever the shell exports, so a notebook never touches a real
    database, Redis, SMTP server or Cloudinary account.
    """
    solution = str(CoursePaths.default().source)
    if solution not in sys.path:
        sys.path.insert(0, solution)  # as pytest's `pythonpath = ["solution"]` does
    workdir = Path(tempfile.mkdtemp(prefix="course-notebook-"))
    os.environ.update(
        ENVIRONMENT="development",
        DATABASE_URL=f"sqlite+aiosqlite:///{(workdir / 'contacts.db').as_posix()}",
        REDIS_URL="memory://",
        MEDIA_DIR=str(workdir / "media"),
        BCRYPT_ROUNDS="4",  # cost 12 takes ~0.3 s a hash; the algorithm is the same
        CLOUDINARY_CLOUD_NAME="",
        CLOUDINARY_API_KEY="",
        CLOUDINARY_API_SECRET="",
    )
    return workdir


async def create_tables() -> None:
    """The schema on the app's own engine (lesson 08 shows the same through Alembic)."""
    from app.core.database import engine
    from app.models import Base

    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


def api_client(mail: AsyncMock, today: date) -> AsyncClient:
    """An HTTP client on the app in this process: mail captured, "today" pinned."""
    from app.api.deps import get_today
    from app.main import app
    from app.services.email import get_email_service

    app.dependency_overrides[get_email_service] = lambda: mail
    app.dependency_overrides[get_today] = lambda: today
    return AsyncClient(transport=ASGITransport(app=app), base_url=BASE_URL)


def token_from_mail(mail: AsyncMock) -> str:
    """The verification token in the link of the last email the app sent."""
    body = mail.send_message.call_args.args[0].body
    marker = f"{API}/auth/verify/"
    return body.split(marker, 1)[1].split('"', 1)[0]


async def verified_headers(
    client: AsyncClient, mail: AsyncMock, email: str, password: str
) -> dict[str, str]:
    """register → the link from the email → login: the bearer header of a verified user."""
    user = {"email": email, "password": password, "full_name": email.split("@")[0]}
    (await client.post(f"{API}/auth/register", json=user)).raise_for_status()
    (await client.get(f"{API}/auth/verify/{token_from_mail(mail)}")).raise_for_status()
    form = {"username": email, "password": password}
    login = await client.post(f"{API}/auth/login", data=form)
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}
