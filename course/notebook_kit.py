"""What every lesson notebook does before and around the real app (notebooks/NN_name.ipynb).

The app reads its settings once, at import: `use_embedded_defaults()` must run before the first
`import app`. Everything here is the app's own code wired the way its tests wire it
(solution/tests/conftest.py): a SQLite file, an in-process Redis, mail captured by an AsyncMock,
"today" pinned through the app's `get_today` dependency.
"""

from __future__ import annotations

import ast
import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path
from unittest.mock import AsyncMock

from httpx import ASGITransport, AsyncClient

from course.paths import CoursePaths

API = "/api/v1"
# solution/tests/conftest.py's switches to a real PostgreSQL and Redis: notebooks stay embedded.
SUITE_SWITCHES = ("TEST_DATABASE_URL", "TEST_REDIS_URL")
BASE_URL = "http://test"


def use_embedded_defaults() -> Path:
    """Make `import app` find solution/ and point the app at embedded parts in a fresh
    temporary folder; return that folder.

    Whatever the shell exports for the app is dropped first: every other setting is the
    app's default, so outputs are the same on every machine and a notebook never touches a
    real database, Redis, SMTP server or Cloudinary account.
    """
    solution = CoursePaths.default().source
    if str(solution) not in sys.path:
        sys.path.insert(0, str(solution))  # as pytest's `pythonpath = ["solution"]` does
    names = settings_names(solution / "app" / "core" / "config.py") | set(SUITE_SWITCHES)
    for variable in list(os.environ):
        if variable.upper() in names:  # pydantic-settings ignores the case of variable names
            del os.environ[variable]
    workdir = new_workdir(Path(tempfile.gettempdir()) / "course-notebooks")
    # What the notebook's code puts in the temp folder (tests/conftest.py's media folder, say)
    # goes with the workdir: a kernel is often killed, and its exit handlers never run.
    tempfile.tempdir = str(workdir)
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


def new_workdir(parent: Path) -> Path:
    """A folder named after this process; folders of processes that are gone are removed.

    nbval stops each kernel with a kill, so no exit handler of the kernel ever runs: the next
    notebook cleans up after the previous ones instead.
    """
    parent.mkdir(parents=True, exist_ok=True)
    for folder in parent.iterdir():
        pid = folder.name.split("-", 1)[0]
        if pid.isdigit() and not _process_exists(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=parent))


def _process_exists(pid: int) -> bool:
    if os.name != "posix":  # on Windows os.kill terminates the process: keep every folder
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def settings_names(config_file: Path) -> set[str]:
    """The fields of the app's Settings class, read from its source (importing it would read
    the environment before we have set it)."""
    tree = ast.parse(config_file.read_text(encoding="utf-8"))
    [settings] = [node for node in tree.body if getattr(node, "name", "") == "Settings"]
    return {
        statement.target.id
        for statement in settings.body
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
    }


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
