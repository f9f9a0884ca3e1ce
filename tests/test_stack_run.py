"""The runnable parts really run: the start command on PostgreSQL + Redis, the demo end to end,
and the seed script.

Waits are bounded polls with a deadline, never fixed sleeps. Tests that need PostgreSQL
(127.0.0.1:5432, user postgres, trust auth) and Redis (127.0.0.1:6379) skip when they are not
there, except in CI (`CI` set), where they must run.
"""

from __future__ import annotations

import asyncio
import calendar
import os
import random
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType

import asyncpg
import httpx
import pytest
from child_processes import STOP_SECONDS, Output, child_env, poll, running
from support import load_script, reachable_redis, service_missing

from course.processes import free_port

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solution"
START = SOLUTION / "scripts" / "start.sh"
SEED = SOLUTION / "scripts" / "seed_data.py"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
REDIS_URL = "redis://127.0.0.1:6379/14"
STARTUP_SECONDS = 30.0


def wait_healthy(base_url: str, process: subprocess.Popen[str], output: Output) -> dict[str, str]:
    def check() -> dict[str, str] | None:
        if process.poll() is not None:
            pytest.fail(f"exited with {process.returncode} before serving:\n{output.text()}")
        try:
            response = httpx.get(f"{base_url}/health", timeout=2)
        except httpx.TransportError:
            return None
        return response.json() if response.status_code == 200 else None

    return poll(check, STARTUP_SECONDS, f"{base_url}/health to answer 200")


def stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=STOP_SECONDS)


# --- PostgreSQL and Redis for the start command ------------------------------------------------


async def _pg(query: str, database: str = "postgres") -> list[tuple[object, ...]]:
    connection = await asyncpg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, database=database, timeout=3
    )
    try:
        return [tuple(row) for row in await connection.fetch(query)]
    finally:
        await connection.close()


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh, uniquely named database, dropped afterwards."""
    name = f"stack_{secrets.token_hex(6)}"
    try:
        asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        service_missing(f"cannot create a database on {PG_HOST}:{PG_PORT}: {exc!r}")
    try:
        yield name
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def redis_url() -> str:
    with reachable_redis(REDIS_URL):
        return REDIS_URL


def alembic_head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(SOLUTION / "alembic"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_start_script_migrates_and_serves_on_postgres_and_redis(
    postgres_database: str, redis_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = child_env(
        PORT=str(port),
        # Render's style of URL: the app turns postgres:// into postgresql+asyncpg:// itself.
        DATABASE_URL=f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{postgres_database}",
        REDIS_URL=redis_url,
        ENVIRONMENT="production",
        JWT_SECRET_KEY=secrets.token_urlsafe(48),
        JWT_REFRESH_SECRET=secrets.token_urlsafe(48),
        EMAIL_TOKEN_SECRET=secrets.token_urlsafe(48),
        MEDIA_DIR=str(tmp_path / "media"),
    )
    env.pop("FORWARDED_ALLOW_IPS", None)
    with running([str(START)], env=env, cwd=tmp_path) as (process, output):
        health = wait_healthy(f"http://127.0.0.1:{port}", process, output)
        assert health == {"status": "ok", "database": "ok", "redis": "ok"}
        applied = asyncio.run(_pg("SELECT version_num FROM alembic_version", postgres_database))
        assert applied == [(alembic_head(),)]

        # `exec`: SIGTERM reaches uvicorn itself (PID of the script), which shuts down cleanly.
        stop(process)
        output.close()
        assert "Application shutdown complete" in output.text(), output.text()


# --- The demo ----------------------------------------------------------------------------------

VERIFY_LINK = re.compile(r"(http://\S+/api/v1/auth/verify/[\w.-]+)")


def demo_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "course",
        "demo",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-seed",
    ]


def birthday_today(years_ago: int = 32) -> date:
    today = date.today()
    return today.replace(year=today.year - years_ago)  # 32 years: 29 Feb stays a leap day


def test_demo_serves_the_block_0_walkthrough_end_to_end(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workdir = tmp_path / "demo"
    env = child_env(COURSE_DEMO_DIR=str(workdir))
    with running(demo_command(port), env=env, cwd=ROOT) as (process, output):
        assert wait_healthy(base, process, output) == {
            "status": "ok",
            "database": "ok",
            "redis": "ok",
        }
        assert (workdir / "contacts.db").is_file()
        with httpx.Client(base_url=base, timeout=10) as client:
            assert client.get("/docs").status_code == 200

            # 1. register
            email = f"e2e-{secrets.token_hex(4)}@example.com"
            password = "secret123"
            registered = client.post(
                "/api/v1/auth/register",
                json={"email": email, "password": password, "full_name": "End To End"},
            )
            assert registered.status_code == 201, registered.text
            assert registered.json()["is_verified"] is False

            # 2. the SMTP sink prints the email and its link
            def link() -> str | None:
                if process.poll() is not None:
                    pytest.fail(f"the demo exited:\n{output.text()}")
                match = output.find(VERIFY_LINK)
                return match[1] if match else None

            url = poll(link, 15, "the verification link in the demo's output")
            assert url.startswith(f"{base}/api/v1/auth/verify/")
            assert email in output.text()

            # 3. verify
            verified = client.get(url)
            assert verified.status_code == 200, verified.text
            assert verified.json()["is_verified"] is True

            # 4. log in
            login = client.post(
                "/api/v1/auth/login", data={"username": email, "password": password}
            )
            assert login.status_code == 200, login.text
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

            # 5. create a contact whose birthday is today
            contact = {
                "first_name": "Olena",
                "last_name": "Demo",
                "email": "olena@example.com",
                "phone": "+380 50 123 45 67",
                "birthday": birthday_today().isoformat(),
            }
            created = client.post("/api/v1/contacts", json=contact, headers=headers)
            assert created.status_code == 201, created.text

            # 6. birthdays: found, and the same from the cache
            for _ in range(2):
                birthdays = client.get(
                    "/api/v1/contacts/birthdays", params={"days": 7}, headers=headers
                )
                assert birthdays.status_code == 200, birthdays.text
                (found,) = birthdays.json()
                assert found["id"] == created.json()["id"]
                assert found["days_until"] in (0, 1)  # 1: the clock passed midnight meanwhile

        stop(process)
        output.close()
        assert "Demo stopped." in output.text(), output.text()


# --- The seed script ---------------------------------------------------------------------------


def days_until(birthday: date, today: date) -> int:
    def on(year: int) -> date:
        leap_day = (birthday.month, birthday.day) == (2, 29) and not calendar.isleap(year)
        return birthday.replace(year=year, day=28 if leap_day else birthday.day)

    upcoming = on(today.year)
    if upcoming < today:
        upcoming = on(today.year + 1)
    return (upcoming - today).days


def age_on(birthday: date, today: date) -> int:
    return today.year - birthday.year - ((today.month, today.day) < (birthday.month, birthday.day))


# The seed's clock and randomness are pinned: a week that crosses New Year, then a later day.
SEED_DAY, LATER_DAY = date(2026, 12, 28), date(2027, 2, 25)


@pytest.fixture(scope="module")
def seed_data() -> ModuleType:
    return load_script(SEED, "seed_data")


@pytest.mark.parametrize(
    "today",
    [
        date(2026, 12, 28),
        date(2027, 12, 31),
        date(2028, 2, 25),
        date(2028, 2, 29),
        date(2027, 3, 1),
    ],
    ids=str,
)
def test_seeded_birth_dates_are_adults_in_the_asked_window(
    seed_data: ModuleType, today: date
) -> None:
    rng = random.Random(today.toordinal())
    for _ in range(500):
        soon = seed_data.upcoming_birthday(today, rng)
        assert 0 <= days_until(soon, today) <= 7, (today, soon)
        assert 18 <= age_on(soon, today) <= 80, (today, soon)
        later = seed_data.later_birthday(today, rng)
        assert days_until(later, today) > 7, (today, later)
        assert 18 <= age_on(later, today) <= 80, (today, later)


def test_seed_script_is_idempotent_and_seeds_birthdays_this_week(tmp_path: Path) -> None:
    database = tmp_path / "seed.db"
    env = child_env(
        DATABASE_URL=f"sqlite+aiosqlite:///{database.as_posix()}",
        REDIS_URL="memory://",
        BCRYPT_ROUNDS="4",
        PYTHONPATH=str(SOLUTION),
    )

    def run(*command: str) -> str:
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def seed(today: date) -> str:
        return run(
            sys.executable, str(SEED), "--count", "12", "--random-seed", "7", "--today", str(today)
        )

    def birthdays() -> list[tuple[str, date]]:
        with sqlite3.connect(database) as connection:
            users = connection.execute(
                "SELECT id, is_verified FROM users WHERE email = 'demo@example.com'"
            ).fetchall()
            assert len(users) == 1 and users[0][1] == 1
            rows = connection.execute(
                "SELECT email, birthday FROM contacts WHERE owner_id = ?", (users[0][0],)
            ).fetchall()
        return [(email, date.fromisoformat(birthday)) for email, birthday in rows]

    not_migrated = subprocess.run(
        [sys.executable, str(SEED)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert not_migrated.returncode != 0
    assert "alembic upgrade head" in not_migrated.stdout + not_migrated.stderr

    alembic_ini = str(SOLUTION / "alembic.ini")
    run(sys.executable, "-m", "alembic", "-c", alembic_ini, "upgrade", "head")
    first, second = seed(SEED_DAY), seed(SEED_DAY)
    assert "demo@example.com / demo12345" in first
    assert "created" in first and "already there" in second
    assert "(0 added, 0 birthdays moved" in second

    seeded = birthdays()
    assert len(seeded) == 12
    assert len({email for email, _ in seeded}) == 12
    assert all(18 <= age_on(birthday, SEED_DAY) <= 80 for _, birthday in seeded), seeded
    soon = [b for _, b in seeded if days_until(b, SEED_DAY) <= 7]
    assert len(soon) >= 2  # a fifth of 12, rounded

    # A re-run on a later day moves birthdays into that week instead of adding contacts.
    later = seed(LATER_DAY)
    assert "(0 added," in later
    moved = birthdays()
    assert len(moved) == 12
    assert len([b for _, b in moved if days_until(b, LATER_DAY) <= 7]) >= 2
    assert all(18 <= age_on(birthday, LATER_DAY) <= 80 for _, birthday in moved), moved


# --- The demo's parts, in-process (fast) -------------------------------------------------------


def test_demo_mail_parser_finds_the_verification_link_in_encoded_html() -> None:
    from email.message import EmailMessage

    from course.demo import parse_mail

    link = "http://127.0.0.1:8000/api/v1/auth/verify/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"
    message = EmailMessage()
    message["Subject"] = "Confirm your email"
    message.set_content(
        f'<p><a href="{link}">Confirm</a> or open {link}</p>',
        subtype="html",
        cte="quoted-printable",
    )
    mail = parse_mail(["alice@example.com"], message.as_bytes())
    assert mail.recipients == ("alice@example.com",)
    assert mail.subject == "Confirm your email"
    assert mail.links == (link,)  # decoded, unescaped, once
    assert mail.tokens == ()


def test_demo_refuses_a_busy_port_with_a_clear_message(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = os.environ | {"COURSE_DEMO_DIR": str(tmp_path / "demo")}
        result = subprocess.run(
            demo_command(port), env=env, capture_output=True, text=True, timeout=60, check=False
        )
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is busy" in result.stdout
    assert not (tmp_path / "demo").exists()  # nothing was prepared


def test_the_solution_suite_leaves_no_media_folder_behind(tmp_path: Path) -> None:
    """Its conftest makes the folder the app mounts at import; a run removes it when it ends."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-cov"]
    run = subprocess.run(
        [*command, "tests/unit/test_security.py"],
        check=False,
        cwd=SOLUTION,
        env=child_env(TMPDIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
    assert not list(tmp_path.glob("contacts-media-*"))
