"""The deployable parts agree with each other and with the app's settings.

docker-compose.yml (schema + services), the Dockerfile and its build context, scripts/start.sh,
requirements.txt (exported from uv.lock, no drift), render.yaml, .env.example and the README.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from support import check_schema, load_script, service_missing

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solution"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = SOLUTION / "Dockerfile"
DOCKERIGNORE = SOLUTION / ".dockerignore"
START = SOLUTION / "scripts" / "start.sh"
REQUIREMENTS = SOLUTION / "requirements.txt"
RENDER = SOLUTION / "render.yaml"
ENV_EXAMPLE = SOLUTION / ".env.example"
README = SOLUTION / "README.md"
CONFIG = SOLUTION / "app" / "core" / "config.py"
EXPORT = ["uv", "export", "--package", "contacts-api", "--no-dev", "--no-hashes", "--frozen"]
START_SCRIPT_VARS = {"PORT", "FORWARDED_ALLOW_IPS"}  # read by scripts/start.sh, not by Settings


@cache
def solution_config() -> ModuleType:
    """solution/app/core/config.py itself, whatever `app` other tests may have imported."""
    return load_script(CONFIG, "stack_solution_config")


def settings_fields() -> frozenset[str]:
    return frozenset(solution_config().Settings.model_fields)


def load_yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name} is not a mapping"
    return data


# --- docker-compose.yml ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_yaml(COMPOSE)


def test_compose_file_matches_the_compose_spec() -> None:
    code, output = check_schema("vendor.compose-spec", COMPOSE)
    assert code == 0, output
    assert "ok -- validation done" in output


def test_compose_has_the_stack_of_the_lesson_plan(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"app", "db", "redis", "mailhog", "adminer"}
    assert services["db"]["image"] == "postgres:16-alpine"
    assert services["redis"]["image"] == "redis:7-alpine"
    assert services["mailhog"]["image"].startswith("mailhog/mailhog")
    assert services["adminer"]["image"].startswith("adminer")
    assert "8000:8000" in services["app"]["ports"]
    assert {"1025:1025", "8025:8025"} <= set(services["mailhog"]["ports"])
    assert "8080:8080" in services["adminer"]["ports"]


def test_compose_app_is_built_from_the_solution_and_waits_for_healthy_services(
    compose: dict[str, Any],
) -> None:
    app = compose["services"]["app"]
    build = app["build"]
    context = build if isinstance(build, str) else build["context"]
    assert (ROOT / context).resolve() == SOLUTION
    assert (SOLUTION / "Dockerfile").is_file()
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["depends_on"]["redis"]["condition"] == "service_healthy"
    env_files = [item if isinstance(item, str) else item["path"] for item in app["env_file"]]
    assert env_files == ["solution/.env.example"]
    assert all((ROOT / path).is_file() for path in env_files)


def test_compose_healthchecks(compose: dict[str, Any]) -> None:
    services = compose["services"]

    def command(name: str) -> str:
        test = services[name]["healthcheck"]["test"]
        return " ".join(test) if isinstance(test, list) else test

    assert "pg_isready" in command("db")
    assert "redis-cli ping" in command("redis")
    assert "/health" in command("app")
    assert "curl" not in command("app")  # python:3.11-slim has no curl


def test_compose_app_points_at_the_compose_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    environment = services["app"]["environment"]
    assert set(environment) <= settings_fields(), "a setting name the app does not know"

    database = urlsplit(environment["DATABASE_URL"])
    db_env = services["db"]["environment"]
    assert database.scheme == "postgresql+asyncpg"
    assert (database.hostname, database.port) == ("db", 5432)
    assert database.username == db_env["POSTGRES_USER"]
    assert database.password == db_env["POSTGRES_PASSWORD"]
    assert database.path == "/" + db_env["POSTGRES_DB"]
    assert urlsplit(environment["REDIS_URL"]).hostname == "redis"
    assert environment["MAIL_SERVER"] == "mailhog"
    assert str(environment["MAIL_PORT"]) == "1025"


def test_compose_keeps_postgres_data_in_a_named_volume(compose: dict[str, Any]) -> None:
    mounts = compose["services"]["db"]["volumes"]
    named = [m.split(":")[0] for m in mounts if m.endswith(":/var/lib/postgresql/data")]
    assert named, "PostgreSQL data is not on a volume"
    assert named[0] in compose["volumes"], "the volume is not a named (top-level) volume"


# --- Dockerfile, .dockerignore, scripts/start.sh -----------------------------------------------


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) with line continuations joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, arguments = full.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def stages(instructions: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, arguments in instructions:
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, arguments))
    return found


@pytest.fixture(scope="module")
def docker_stages() -> list[list[tuple[str, str]]]:
    return stages(dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8")))


def test_dockerfile_is_multi_stage_on_python_slim(docker_stages: list[list[Any]]) -> None:
    assert len(docker_stages) >= 2
    first_from = docker_stages[0][0][1].split()
    assert first_from[0].startswith("python:3.11")
    assert first_from[-1] == "builder"
    assert docker_stages[-1][0][1].split()[0] == "python:3.11-slim"
    final = docker_stages[-1]
    assert any(k == "COPY" and a.startswith("--from=builder") for k, a in final)
    builder = docker_stages[0]
    assert any(k == "RUN" and "-r requirements.txt" in a for k, a in builder)


def test_dockerfile_runs_as_a_non_root_user(docker_stages: list[list[Any]]) -> None:
    users = [arguments for keyword, arguments in docker_stages[-1] if keyword == "USER"]
    assert users, "the final stage has no USER"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_dockerfile_runs_in_production_mode(docker_stages: list[list[Any]]) -> None:
    # The image refuses to start with weak secrets; compose's .env.example says development.
    env = " ".join(arguments for keyword, arguments in docker_stages[-1] if keyword == "ENV")
    assert "ENVIRONMENT=production" in env.split()


def test_dockerfile_healthcheck_exposes_and_starts_with_the_start_script(
    docker_stages: list[list[Any]],
) -> None:
    final = dict(docker_stages[-1])
    options, _, probe = final["HEALTHCHECK"].partition("CMD ")
    assert "--interval=" in options
    probe_command = json.loads(probe)  # exec form: no shell needed in the image
    assert probe_command[:2] == ["python", "-c"]
    assert "/health" in probe_command[2] and "urllib" in probe_command[2]
    assert "8000" in final["EXPOSE"].split()
    command = json.loads(final["CMD"])  # exec form: signals reach the process
    assert "scripts/start.sh" in command


def _dockerignore_regex(pattern: str) -> re.Pattern[str]:
    """Go's filepath.Match plus Docker's `**` (any number of folders), as a regex."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[" and "]" in pattern[i:]:
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its folders wins."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    ignored = False
    for raw in patterns:
        negate = raw.startswith("!")
        regex = _dockerignore_regex((raw[1:] if negate else raw).strip().strip("/"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            ignored = not negate
    return ignored


def copied_sources(docker_stages: list[list[Any]]) -> list[str]:
    sources = []
    for stage in docker_stages:
        for keyword, arguments in stage:
            if keyword == "COPY" and not arguments.startswith("--from"):
                words = [word for word in arguments.split() if not word.startswith("--")]
                sources.extend(words[:-1])
    return sources


def test_the_build_context_has_what_the_dockerfile_copies(docker_stages: list[list[Any]]) -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources = copied_sources(docker_stages)
    assert {"requirements.txt", "app", "alembic", "alembic.ini", "scripts"} <= set(sources)
    for source in sources:
        target = SOLUTION / source
        assert target.exists(), f"COPY {source}: not in solution/"
        files = [target] if target.is_file() else [p for p in target.rglob("*") if p.is_file()]
        kept = [p for p in files if not dockerignored(p.relative_to(SOLUTION).as_posix(), patterns)]
        assert kept, f"COPY {source}: everything is excluded by .dockerignore"
        for needed in ("app/main.py", "scripts/start.sh", "alembic/env.py", "requirements.txt"):
            assert not dockerignored(needed, patterns), f".dockerignore drops {needed}"
    for secret_or_junk in (".env", ".env.production", "tests/conftest.py", ".venv/bin/python"):
        assert dockerignored(secret_or_junk, patterns), f"{secret_or_junk} would be in the image"


def test_start_script_is_the_one_start_command() -> None:
    assert os.access(START, os.X_OK), "scripts/start.sh is not executable"
    text = START.read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
    assert lines[0] in ("#!/bin/sh", "#!/usr/bin/env sh")
    assert "set -e" in lines
    assert "alembic upgrade head" in lines
    command = " ".join(text[text.index("exec uvicorn") :].replace("\\\n", " ").split())
    assert command.startswith("exec uvicorn app.main:app --host 0.0.0.0 --port")
    assert '"${PORT:-8000}"' in command
    assert '--proxy-headers --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"' in command
    syntax = subprocess.run(["sh", "-n", str(START)], capture_output=True, text=True, check=False)
    assert syntax.returncode == 0, syntax.stderr


# --- requirements.txt --------------------------------------------------------------------------


def _without_header(text: str) -> list[str]:
    lines = text.splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return lines


def test_requirements_are_exported_from_the_lock_without_drift() -> None:
    if shutil.which("uv") is None:
        service_missing("uv is not on PATH")
    exported = subprocess.run(
        EXPORT, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert exported.returncode == 0, exported.stderr
    committed = REQUIREMENTS.read_text(encoding="utf-8")
    regenerate = " ".join([*EXPORT, "-o", "solution/requirements.txt"])
    assert regenerate in committed.splitlines()[1], "the header names another command"
    assert _without_header(committed) == _without_header(exported.stdout), (
        f"solution/requirements.txt is stale: run `{regenerate}`"
    )


def test_requirements_pin_everything_the_image_needs() -> None:
    pins = {
        line.split("==")[0].lower()
        for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.startswith((" ", "#"))
    }
    assert {"fastapi", "uvicorn", "alembic", "asyncpg", "redis", "faker"} <= pins
    assert not {"pytest", "ruff", "httpx-dev"} & pins, "dev tools in the production image"


# --- render.yaml -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def render() -> dict[str, Any]:
    return load_yaml(RENDER)


def _web(render: dict[str, Any]) -> dict[str, Any]:
    webs = [service for service in render["services"] if service["type"] == "web"]
    assert len(webs) == 1
    return webs[0]


def test_render_blueprint_starts_with_the_start_script(render: dict[str, Any]) -> None:
    web = _web(render)
    assert web["healthCheckPath"] == "/health"
    if web.get("runtime") == "docker":
        assert (SOLUTION / web.get("dockerfilePath", "Dockerfile")).is_file()
        assert "scripts/start.sh" in web.get("dockerCommand", "scripts/start.sh")
    else:
        assert "scripts/start.sh" in web["startCommand"]
        assert "requirements.txt" in web["buildCommand"]


def test_render_blueprint_environment(render: dict[str, Any]) -> None:
    variables = {item["key"]: item for item in _web(render)["envVars"]}
    assert variables["ENVIRONMENT"]["value"] == "production"
    for secret in ("JWT_SECRET_KEY", "JWT_REFRESH_SECRET", "EMAIL_TOKEN_SECRET"):
        assert variables[secret].get("generateValue") is True, secret
    for credential in (
        "MAIL_USERNAME",
        "MAIL_PASSWORD",
        "CLOUDINARY_CLOUD_NAME",
        "CLOUDINARY_API_KEY",
        "CLOUDINARY_API_SECRET",
    ):
        assert variables[credential].get("sync") is False, credential
        assert "value" not in variables[credential], f"{credential} committed in render.yaml"

    database = variables["DATABASE_URL"]["fromDatabase"]
    assert database["property"] == "connectionString"
    assert database["name"] in {db["name"] for db in render["databases"]}
    redis = variables["REDIS_URL"]["fromService"]
    assert (redis["type"], redis["name"]) in {(s["type"], s["name"]) for s in render["services"]}
    assert "FORWARDED_ALLOW_IPS" in variables

    unknown = set(variables) - settings_fields() - START_SCRIPT_VARS - {"PYTHON_VERSION"}
    assert not unknown, f"render.yaml sets what nothing reads: {sorted(unknown)}"


# --- .env.example and README -------------------------------------------------------------------

ASSIGNMENT = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def env_example() -> tuple[dict[str, str], set[str]]:
    """(active NAME=value pairs, names that only appear commented out)."""
    active: dict[str, str] = {}
    commented: set[str] = set()
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = ASSIGNMENT.match(line.strip())
        if match:
            if match[1]:
                commented.add(match[2])
            else:
                active[match[2]] = match[3]
    return active, commented


def test_env_example_lists_every_setting() -> None:
    active, commented = env_example()
    missing = settings_fields() - set(active) - commented
    assert not missing, f".env.example lacks {sorted(missing)}"
    unknown = set(active) - settings_fields()
    assert not unknown, f".env.example sets what the app does not read: {sorted(unknown)}"
    assert START_SCRIPT_VARS <= set(active) | commented


def test_env_example_values_are_valid_settings() -> None:
    active, _ = env_example()
    settings = solution_config().Settings(_env_file=None, **active)
    assert settings.ENVIRONMENT == "development"


def test_env_example_targets_the_compose_stack_and_keeps_default_secrets() -> None:
    active, _ = env_example()
    assert urlsplit(active["DATABASE_URL"]).hostname == "db"
    assert urlsplit(active["REDIS_URL"]).hostname == "redis"
    assert (active["MAIL_SERVER"], active["MAIL_PORT"]) == ("mailhog", "1025")
    # Copied to production unchanged, the secrets make the app refuse to start.
    for name, default in solution_config().DEFAULT_SECRETS.items():
        assert active[name] == default
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert 'python -c "import secrets; print(secrets.token_urlsafe(48))"' in text
    assert "App Password" in text


def test_readme_documents_settings_tests_and_deployment() -> None:
    text = README.read_text(encoding="utf-8")
    missing = {name for name in settings_fields() if f"`{name}`" not in text}
    assert not missing, f"the README's settings table lacks {sorted(missing)}"
    for command in (
        "docker-compose up -d",
        "alembic upgrade head",
        "pytest tests/unit/ -v",
        "pytest tests/integration/ -v",
        "pytest tests/ --cov=app --cov-report=term-missing --cov-fail-under=80",
        "scripts/start.sh",
        "FORWARDED_ALLOW_IPS",
        "App Password",
    ):
        assert command in text, command
