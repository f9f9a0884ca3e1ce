"""Schemathesis against the served contacts API: every answer is one the OpenAPI schema documents.

The finished API (solution/) runs under uvicorn on 127.0.0.1 with embedded defaults; a verified
user's access token authenticates the run. Bounded (a fixed seed, a few examples per operation)
so it fits the test suite; `.ci/run` runs it with everything else.

Every default check runs, in the coverage, fuzzing and stateful phases (the examples phase has none
to run: the schema carries no examples). FastAPI emits no OpenAPI links; schemathesis infers them
(the `id` that POST /contacts answers goes into the `{contact_id}` routes), so the stateful phase
has scenarios to run, and the test fails if it is skipped.

`positive_data_acceptance` expects schema-valid input to be accepted, and the API rejects some by
design where no OpenAPI keyword can say exactly what it accepts: a random string is not a signed
email token (400), random bytes are not an image (422), and special-use domains such as `.test`
are undeliverable (422). tests/schemathesis.toml allows that one status for just those operations,
each with its reason; everywhere else the check stays as it is.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from child_processes import child_env, running
from test_stack_run import wait_healthy

from course.processes import free_port

ROOT = Path(__file__).resolve().parent.parent
CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
SOLUTION = ROOT / "solution"
SEED = textwrap.dedent(
    """
    import asyncio
    from sqlalchemy.ext.asyncio import async_sessionmaker
    from app.core.database import engine
    from app.core.security import create_access_token, hash_password
    from app.models import User

    async def main() -> None:
        async with async_sessionmaker(engine)() as session:
            session.add(User(email="fuzz@example.com", full_name="Fuzz", is_verified=True,
                             hashed_password=await hash_password("fuzz-password-1")))
            await session.commit()
        await engine.dispose()

    asyncio.run(main())
    print(create_access_token("fuzz@example.com"))
    """
)


def run(command: list[str], env: dict[str, str], timeout: float) -> str:
    done = subprocess.run(
        command, cwd=SOLUTION, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{command[:3]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.timeout(300)
def test_schemathesis_finds_no_failing_operation(tmp_path: Path) -> None:
    port = free_port()
    env = child_env(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}",
        REDIS_URL="memory://",
        MEDIA_DIR=str(tmp_path / "media"),
        BCRYPT_ROUNDS="4",
        RATE_LIMIT_ENABLED="false",  # 429s are documented, but would hide everything else
        MAIL_PORT="1",  # nothing listens: mails fail after the response, logged
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        ENVIRONMENT="test",
    )
    run([sys.executable, "-m", "alembic", "upgrade", "head"], env, 120)
    token = run([sys.executable, "-c", SEED], env, 60).strip().splitlines()[-1]
    server = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1"]
    with running([*server, "--port", str(port)], env=env, cwd=SOLUTION) as (process, output):
        base_url = f"http://127.0.0.1:{port}"
        wait_healthy(base_url, process, output)
        fuzz = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "--config-file",
                str(CONFIG),
                "run",
                f"{base_url}/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--max-examples",
                "10",
                "--seed",
                "14",
                "--no-color",
            ],
            cwd=tmp_path,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    assert fuzz.returncode == 0, fuzz.stdout[-6000:] + fuzz.stderr[-2000:]
    assert "No issues found" in fuzz.stdout or " passed" in fuzz.stdout, fuzz.stdout[-2000:]
    # Each phase ran (none reported as skipped or not applicable), the stateful one included.
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in fuzz.stdout, fuzz.stdout[-2000:]
