"""Lesson 08: Dockerfile, Alembic at start-up, production settings, the Render blueprint.

There is no Docker engine on the grading machine: the Dockerfile is read, and its start command
(scripts/start.sh or the CMD) is run for real on embedded defaults — it must migrate an empty
SQLite database and then answer GET /health. Settings are checked in fresh subprocesses, so the
values read at import time are the ones each case sets.
"""

import contextlib
import json
import re
import shlex
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from course import mutation
from course.checkpoint import checkpoint, without_input_values
from course.mutants import DEPLOY, RENDER_PROXY
from course.mutation import SCRUBBED, SCRUBBED_PREFIXES
from course.processes import PYTHON_BIN, free_port, scrubbed_env, stop_tree

SECRETS = ("JWT_SECRET_KEY", "JWT_REFRESH_SECRET", "EMAIL_TOKEN_SECRET")
ROOT_USERS = {"root", "0", "root:root", "0:0"}
# Seconds until /health must answer 200. Generous: the checkpoint asks whether the start
# command serves, not how fast; three Python starts (migrations, `alembic check`, the
# server) took over 20 s on a 2-core machine busy with two other gradings.
STARTUP_LIMIT = 60.0
HEALTH_POLL = 0.05  # seconds between two tries of /health (a refused try costs ~1 ms)
ALEMBIC_LIMIT = 60.0


def clean_env(**extra: str) -> dict[str, str]:
    """Our environment without the app's settings (a grader's DATABASE_URL must not leak in);
    the venv's `alembic` and `uvicorn` for start scripts that call them by name."""
    return scrubbed_env(
        SCRUBBED,
        SCRUBBED_PREFIXES,
        first_on={"PATH": PYTHON_BIN},
        PYTHONDONTWRITEBYTECODE="1",
        **extra,
    )


# --- Dockerfile -------------------------------------------------------------------------------


def instructions(student_dir: Path) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) of every Dockerfile instruction, continuations joined."""
    path = student_dir / "Dockerfile"
    if not path.is_file():
        pytest.fail("Немає Dockerfile у корені проєкту")
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        if whole:
            keyword, _, rest = whole.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def command_words(arguments: str) -> list[str]:
    """CMD/ENTRYPOINT arguments: the exec form (JSON list) or the shell form."""
    try:
        words = json.loads(arguments)
    except json.JSONDecodeError:
        return ["sh", "-c", arguments]
    if isinstance(words, list) and all(isinstance(word, str) for word in words):
        return words
    return ["sh", "-c", arguments]


def docker_command(student_dir: Path) -> list[str]:
    found = instructions(student_dir)
    entry = [command_words(args) for keyword, args in found if keyword == "ENTRYPOINT"]
    cmd = [command_words(args) for keyword, args in found if keyword == "CMD"]
    words = (entry[-1] if entry else []) + (cmd[-1] if cmd else [])
    if not words:
        pytest.fail("У Dockerfile немає CMD чи ENTRYPOINT")
    return words


def migrate_then_serve_problem(script: str) -> str:
    """ "" when `alembic upgrade head` runs before uvicorn and a failed migration stops it."""
    lines = [line.split("#")[0] for line in script.splitlines()]
    code = "\n".join(lines)
    migrate = re.search(r"\balembic\b[^\n]*\bupgrade\s+head\b", code)
    serve = re.search(r"\buvicorn\b|\bgunicorn\b|\bfastapi\s+run\b", code)
    if not migrate:
        return "немає `alembic upgrade head`"
    if not serve:
        return "немає запуску uvicorn"
    if migrate.start() > serve.start():
        return "uvicorn запускається раніше, ніж `alembic upgrade head`"
    between = code[migrate.end() : serve.start()]
    strict = re.search(r"^\s*set\s+-\w*e", code[: migrate.start()], re.MULTILINE)
    if "&&" not in between and not strict:
        return "невдала міграція не зупиняє старт: з'єднайте команди `&&` або додайте `set -e`"
    return ""


def script_of(words: list[str], student_dir: Path) -> tuple[str, str]:
    """(what it is, its text): the start script a command runs, or the command itself."""
    for word in words:
        candidate = student_dir / word.removeprefix("./").removeprefix("/app/")
        if word.endswith(".sh") and candidate.is_file():
            return word, candidate.read_text(encoding="utf-8")
    return "команда", " ".join(words)


@checkpoint(
    id="08.1",
    title="Dockerfile: multi-stage, не root, HEALTHCHECK, старт через alembic upgrade head",
    points=3,
    hint="Дві стадії (FROM … AS builder → COPY --from=builder), USER без прав root, "
    "HEALTHCHECK на /health, CMD: alembic upgrade head && uvicorn … (або scripts/start.sh).",
)
def test_dockerfile(student_dir: Path) -> None:
    found = instructions(student_dir)
    stages = [args for keyword, args in found if keyword == "FROM"]
    assert len(stages) >= 2, f"FROM у Dockerfile: {len(stages)} — потрібен multi-stage build"
    assert any(k == "COPY" and "--from=" in args for k, args in found), (
        "Жоден COPY не бере результат попередньої стадії (COPY --from=…)"
    )
    users = [args.split()[0] for keyword, args in found if keyword == "USER" and args]
    assert users, "У Dockerfile немає USER: застосунок працюватиме як root"
    assert users[-1] not in ROOT_USERS, f"Останній USER — {users[-1]}"
    checks = [args for keyword, args in found if keyword == "HEALTHCHECK"]
    assert checks and checks[-1].upper() != "NONE", "У Dockerfile немає HEALTHCHECK"
    assert "/health" in checks[-1], f"HEALTHCHECK не звертається до /health: {checks[-1]}"
    what, script = script_of(docker_command(student_dir), student_dir)
    problem = migrate_then_serve_problem(script)
    assert not problem, f"Старт контейнера ({what}): {problem}"


# --- Alembic ----------------------------------------------------------------------------------


def alembic(student_dir: Path, database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "alembic", "-c", str(student_dir / "alembic.ini"), *args]
    env = clean_env(DATABASE_URL=f"sqlite+aiosqlite:///{database}", REDIS_URL="memory://")
    return subprocess.run(
        command,
        cwd=student_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=ALEMBIC_LIMIT,
        check=False,
    )


def last_words(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    return without_input_values(lines[-1].strip())[:300] if lines else f"код {done.returncode}"


def alembic_check_problem(student_dir: Path, database: Path) -> str:
    """ "" when `alembic check` finds the migrated schema equal to the models."""
    check = alembic(student_dir, database, "check")
    return "" if check.returncode == 0 else f"alembic check: {last_words(check)}"


def migrated(database: Path) -> bool:
    """Whether migrations into `database` have committed: alembic_version holds its row."""
    try:
        with contextlib.closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as db:
            return db.execute("SELECT count(*) FROM alembic_version").fetchone()[0] > 0
    except sqlite3.Error:
        return False


def check_once_migrated(student_dir: Path, database: Path, stop: threading.Event) -> str | None:
    """`alembic check`'s problem as soon as the start command's migrations have committed, while
    its server starts; None when `stop` comes first (the server is up or gone, not migrated)."""
    while not migrated(database):
        if stop.wait(HEALTH_POLL):
            return None
    return alembic_check_problem(student_dir, database)


# --- .dockerignore ----------------------------------------------------------------------------

# What the build context must leave out (secrets, local state, tests) and what the image needs.
LEFT_OUT = (".env", ".venv/pyvenv.cfg", "tests/conftest.py", "contacts.db", "media/avatars/a.png")
KEPT = ("app/main.py", "alembic.ini", "alembic/env.py", "scripts/start.sh", "requirements.txt")


def dockerignore_pattern(pattern: str) -> re.Pattern[str]:
    """Docker's pattern syntax (Go's filepath.Match plus `**`) as a regular expression."""
    parts = re.split(r"(\*\*/?|\*|\?)", pattern.strip().strip("/"))
    wildcards = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcards.get(part, re.escape(part)) for part in parts))


def left_out(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's rule: the last matching line wins; a line that matches a folder covers its files."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    excluded = False
    for negated, pattern in rules:
        if any(pattern.fullmatch(prefix) for prefix in prefixes):
            excluded = not negated
    return excluded


@checkpoint(
    id="08.2",
    title=".dockerignore: секрети, локальний стан і тести не потрапляють в образ",
    points=2,
    hint="Усе, що не виключено в .dockerignore, потрапляє в контекст збірки (і може — в образ): "
    ".env, .venv/, tests/, *.db, media/ — геть; app/, alembic/, scripts/, requirements.txt — "
    "лишаються.",
)
def test_dockerignore(student_dir: Path) -> None:
    path = student_dir / ".dockerignore"
    assert path.is_file(), "Немає .dockerignore у корені проєкту"
    rules = [
        (line.startswith("!"), dockerignore_pattern(line.removeprefix("!")))
        for line in (raw.strip() for raw in path.read_text(encoding="utf-8").splitlines())
        if line and not line.startswith("#")
    ]
    leaking = [name for name in LEFT_OUT if not left_out(name, rules)]
    assert not leaking, f"В образ потрапить: {', '.join(leaking)}"
    lost = [name for name in KEPT if left_out(name, rules)]
    assert not lost, f".dockerignore виключає потрібне для запуску: {', '.join(lost)}"


# --- production settings ----------------------------------------------------------------------

SETTINGS_PROBE = textwrap.dedent(
    """
    import json, os, secrets, sys

    results = {}
    from app.core.config import Settings  # imported with development defaults

    def build(**env):
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            return Settings(), None
        except Exception as exc:  # a refusal is the expected outcome of some cases
            return None, f"{type(exc).__name__}: {exc}"
        finally:
            os.environ.clear()
            os.environ.update(saved)

    strong = {name: secrets.token_hex(32) for name in json.loads(sys.argv[1])}
    production = {
        "ENVIRONMENT": "production",
        "DATABASE_URL": "postgresql+asyncpg://user:pw@db.example.com:5432/contacts",
        "REDIS_URL": "redis://redis.example.com:6379/0",
    }
    for name in strong:
        others = {key: value for key, value in strong.items() if key != name}
        _, error = build(**production, **others)
        results[name] = error
    _, results["all_set"] = build(**production, **strong)
    converted, error = build(DATABASE_URL="postgres://user:pw@db.example.com:5432/contacts")
    results["converted"] = converted.DATABASE_URL if converted else error
    kept, error = build(DATABASE_URL="sqlite+aiosqlite:///./contacts.db")
    results["sqlite"] = kept.DATABASE_URL if kept else error
    print("RESULTS " + json.dumps(results))
    """
)


_settings_runs: dict[str, dict[str, Any]] = {}


def settings_results(student_dir: Path, tmp_path: Path) -> dict[str, Any]:
    """One subprocess per copy answers both 08.3 and 08.4."""
    assert (student_dir / "app" / "core" / "config.py").is_file(), "Немає app/core/config.py"
    key = f"{student_dir}:{(student_dir / 'app' / 'core' / 'config.py').stat().st_mtime_ns}"
    if key not in _settings_runs:
        _settings_runs[key] = _settings_probe(student_dir, tmp_path)
    return _settings_runs[key]


def _settings_probe(student_dir: Path, tmp_path: Path) -> dict[str, Any]:
    env = clean_env(PYTHONPATH=str(student_dir))
    done = subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE, json.dumps(SECRETS)],
        cwd=tmp_path,  # no .env here: only the variables each case sets
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULTS "):
            return json.loads(line.removeprefix("RESULTS "))
    pytest.fail(f"Не вдалося створити Settings з app/core/config.py: {last_words(done)}")


@checkpoint(
    id="08.3",
    title="У production застосунок не стартує з секретом за замовчуванням",
    points=2,
    hint="Валідатор Settings (model_validator): при ENVIRONMENT=production кожен із "
    "JWT_SECRET_KEY, JWT_REFRESH_SECRET, EMAIL_TOKEN_SECRET, що має dev-значення, — помилка "
    "з назвою змінної.",
)
@pytest.mark.timeout(70)
def test_production_refuses_default_secrets(student_dir: Path, tmp_path: Path) -> None:
    results = settings_results(student_dir, tmp_path)
    for name in SECRETS:
        error = results.get(name)
        assert error, f"ENVIRONMENT=production з {name} за замовчуванням: Settings() не відмовив"
        shown = without_input_values(error)[:200]  # the reason names fields, never values
        assert name in error, f"Помилка не називає змінну {name}: {shown}"
    assert results.get("all_set") is None, (
        "З усіма секретами заданими production однаково не стартує: "
        + without_input_values(results["all_set"])[:200]
    )


@checkpoint(
    id="08.4",
    title="DATABASE_URL виду postgres:// стає postgresql+asyncpg://",
    points=1,
    hint="Render дає URL postgres://…, а async-двигуну SQLAlchemy потрібен драйвер asyncpg: "
    "field_validator для DATABASE_URL.",
)
@pytest.mark.timeout(70)
def test_postgres_url_gets_the_async_driver(student_dir: Path, tmp_path: Path) -> None:
    results = settings_results(student_dir, tmp_path)
    expected = "postgresql+asyncpg://user:pw@db.example.com:5432/contacts"
    converted = without_input_values(str(results.get("converted")))
    assert results.get("converted") == expected, f"postgres://… стало {converted}"
    assert results.get("sqlite") == "sqlite+aiosqlite:///./contacts.db", (
        f"SQLite-URL змінився: {without_input_values(str(results.get('sqlite')))}"
    )


# --- the start command really serves --------------------------------------------------------


def start_command(student_dir: Path) -> list[str]:
    script = student_dir / "scripts" / "start.sh"
    if script.is_file():
        return ["sh", "scripts/start.sh"]
    if not (student_dir / "Dockerfile").is_file():
        pytest.fail("Немає ні scripts/start.sh, ні Dockerfile з CMD: нічим запустити сервер")
    return docker_command(student_dir)


def wait_for_health(process: subprocess.Popen[bytes], url: str, log: Path) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_LIMIT
    last = "немає відповіді"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            pytest.fail(
                f"Процес завершився з кодом {process.returncode}: {(tail or ['?'])[-1][:300]}"
            )
        try:
            response = httpx.get(url, timeout=2)
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        else:
            if response.status_code == 200:
                return response
            last = f"{response.status_code} {response.text[:200]}"
        time.sleep(HEALTH_POLL)
    pytest.fail(f"GET /health за {STARTUP_LIMIT:g} с не відповів 200 (останнє: {last})")


@checkpoint(
    id="08.5",
    title="Стартова команда мігрує порожню базу і піднімає сервер на $PORT",
    points=3,
    hint="scripts/start.sh (чи CMD): `alembic upgrade head`, потім "
    "`uvicorn app.main:app --host 0.0.0.0 --port $PORT` — Render задає PORT сам. Міграції мають "
    "створювати всю схему моделей (`alembic check` без розходжень).",
)
@pytest.mark.timeout(STARTUP_LIMIT + 2 * ALEMBIC_LIMIT)
def test_start_command_serves_health(student_dir: Path, tmp_path: Path) -> None:
    command = start_command(student_dir)
    port, database = free_port(), tmp_path / "prod.db"
    env = clean_env(
        PORT=str(port),
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        REDIS_URL="memory://",
        MEDIA_DIR=str(tmp_path / "media"),
    )
    log, stop = tmp_path / "server.log", threading.Event()
    with log.open("wb") as output, ThreadPoolExecutor(1) as pool:
        process = subprocess.Popen(
            command,
            cwd=student_dir,
            env=env,
            stdout=output,
            stderr=output,
            stdin=subprocess.DEVNULL,
        )
        checked = pool.submit(check_once_migrated, student_dir, database, stop)
        try:
            response = wait_for_health(process, f"http://127.0.0.1:{port}/health", log)
        finally:
            stop.set()
            # SIGTERM to the server and anything it started (a script without `exec`), then
            # SIGKILL to whatever is left, a child that ignored SIGTERM included.
            stop_tree(process, timeout=5)
    body = response.json()
    assert body.get("status") == "ok", f"/health відповів {body}"
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert "alembic_version" in tables, (
        f"`{shlex.join(command)}` не запустив міграції: у базі немає таблиці alembic_version"
    )
    problem = checked.result()
    if problem is None:  # migrated, but not before the server was up: checked now
        problem = alembic_check_problem(student_dir, database)
    assert not problem, f"Схема після міграцій розходиться з моделями: {problem}"


# --- render.yaml ------------------------------------------------------------------------------


def web_service(student_dir: Path) -> dict[str, Any]:
    path = student_dir / "render.yaml"
    if not path.is_file():
        pytest.fail("Немає render.yaml (Render Blueprint) у корені проєкту")
    try:
        blueprint = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        pytest.fail(f"render.yaml не читається як YAML: {str(exc).splitlines()[0]}")
    services = blueprint.get("services") if isinstance(blueprint, dict) else None
    webs = [s for s in services or [] if isinstance(s, dict) and s.get("type") == "web"]
    if not webs:
        pytest.fail("У render.yaml немає сервісу з type: web")
    return webs[0]


@checkpoint(
    id="08.6",
    title="render.yaml: web-сервіс з healthCheckPath /health і стартом через міграції",
    points=2,
    hint="services: - type: web … startCommand: той самий старт, що й у Docker "
    "(alembic upgrade head && uvicorn … або sh scripts/start.sh); healthCheckPath: /health.",
)
def test_render_blueprint_starts_and_checks_health(student_dir: Path) -> None:
    web = web_service(student_dir)
    assert web.get("healthCheckPath") == "/health", (
        f"healthCheckPath: {web.get('healthCheckPath')!r}, потрібно /health"
    )
    if web.get("runtime", web.get("env")) == "docker" and not web.get("dockerCommand"):
        words = docker_command(student_dir)  # Render runs the image's own CMD
    else:
        command = web.get("startCommand") or web.get("dockerCommand")
        assert command, "У web-сервісу немає startCommand"
        words = shlex.split(str(command))
    what, script = script_of(words, student_dir)
    problem = migrate_then_serve_problem(script)
    assert not problem, f"Старт на Render ({what}): {problem}"


@checkpoint(
    id="08.7",
    title="render.yaml: production, секрети не в репозиторії, база з Render",
    points=1,
    hint="envVars: ENVIRONMENT=production; JWT_SECRET_KEY, JWT_REFRESH_SECRET, EMAIL_TOKEN_SECRET "
    "через generateValue: true (або sync: false) — ніколи value:; DATABASE_URL через "
    "fromDatabase; FORWARDED_ALLOW_IPS — приватні мережі проксі Render, ніколи *.",
)
def test_render_blueprint_environment(student_dir: Path) -> None:
    variables = {
        str(item.get("key")): item
        for item in web_service(student_dir).get("envVars") or []
        if isinstance(item, dict)
    }
    environment = variables.get("ENVIRONMENT", {})
    assert environment.get("value") == "production", "ENVIRONMENT має бути production"
    for name in SECRETS:
        item = variables.get(name)
        assert item is not None, f"Немає змінної {name} в envVars"
        assert "value" not in item, f"{name} записано у render.yaml відкритим текстом"
        assert item.get("generateValue") is True or item.get("sync") is False, (
            f"{name}: потрібне generateValue: true або sync: false"
        )
    database = variables.get("DATABASE_URL", {})
    assert "fromDatabase" in database or database.get("sync") is False, (
        "DATABASE_URL має братися з бази Render (fromDatabase)"
    )
    trusted = str(variables.get("FORWARDED_ALLOW_IPS", {}).get("value", "")).strip()
    assert trusted, "Немає FORWARDED_ALLOW_IPS: за проксі Render ліміт бачитиме лише проксі"
    assert "*" not in trusted.split(","), (
        "FORWARDED_ALLOW_IPS: * довіряє підробленому X-Forwarded-For клієнта"
    )


# --- the student's unit tests of the production settings ----------------------------------


@pytest.fixture
def deploy_suite(request: pytest.FixtureRequest, student_dir: Path, course_root: Path):
    return DEPLOY.suite(request, student_dir, course_root)


@checkpoint(
    id="08.8",
    title="Unit-тести production-налаштувань ловлять зламані запобіжники",
    points=2,
    hint="У tests/unit/test_config.py: Settings(_env_file=None, ENVIRONMENT='production', ...) із "
    "секретом за замовчуванням → pytest.raises(ValidationError); postgres://… → "
    "postgresql+asyncpg://…",
)
@pytest.mark.timeout(mutation.CHECKPOINT_LIMIT)
def test_unit_tests_catch_broken_production_guards(deploy_suite: mutation.Suite) -> None:
    DEPLOY.assert_all_caught(deploy_suite)


@pytest.fixture
def proxy_suite(request: pytest.FixtureRequest, student_dir: Path, course_root: Path):
    return RENDER_PROXY.suite(request, student_dir, course_root)


@checkpoint(
    id="08.9",
    title="Тест ліміту за проксі Render ловить FORWARDED_ALLOW_IPS=*",
    points=1,
    hint="У tests/integration/test_rate_limit.py: застосунок за ProxyHeadersMiddleware з "
    "FORWARDED_ALLOW_IPS із render.yaml; шість реєстрацій з різною підробленою лівою адресою "
    "X-Forwarded-For → остання 429.",
)
@pytest.mark.timeout(mutation.CHECKPOINT_LIMIT)
def test_rate_limit_test_catches_a_proxy_trusting_everyone(proxy_suite: mutation.Suite) -> None:
    RENDER_PROXY.assert_all_caught(proxy_suite)
