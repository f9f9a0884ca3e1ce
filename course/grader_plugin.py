"""pytest plugin of the grader, loaded with `-p course.grader_plugin`.

Fixtures over the student's copy (`student_dir`, `student_env`, `student_db`, `student_import`,
`student_app`, `student_client`, `course_root`, `grading_session`) turn broken student code into
clean failures, and a JSON-lines stream (the file named by $COURSE_RESULTS_FILE) carries every
result with its checkpoint data.

The copy is imported once per run, under the embedded defaults of `grading_session` (settings
are read at import), and its state is reset before every test (`GradingSession.reset`): a
re-import per test would cost more than most checkpoints themselves.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import importlib
import inspect
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
import pytest_asyncio

from course.checkpoint import MARKER_NAME
from course.paths import ONLY_ENV, RESULTS_ENV, SCRATCH_ENV, STUDENT_DIR_ENV, CoursePaths
from course.processes import append_event, kill_tree

if TYPE_CHECKING:
    import httpx

SHUTDOWN_LIMIT = 5.0  # seconds for the app's shutdown; a hang there must not eat the run
WARM_UP = ("httpx", "fastapi")  # imported before any timer runs: not the student's cost

IMPORT_HINT = 'Запустіть `python -c "import {name}"` у своїй теці й виправте помилку.'
SYNTAX_HINT = "Виправте синтаксис у вказаному рядку (дужки, двокрапки, відступи)."
MODULE_HINT = "Перевірте назви файлів і шляхи імпортів та чи є `__init__.py` у пакетах."
PACKAGE_HINT = "Встановіть залежності проєкту (`uv sync` або `pip install -r requirements.txt`)."
MISSING_HINT = "Вкажіть `--path` до теки, у якій лежить `app/` (там, де `app/main.py`)."
HANG_HINT = (
    "Код завис: шукайте нескінченний цикл або блокуючий виклик (time.sleep, синхронний I/O) "
    "там, де виконується ця перевірка."
)
IMPORT_HANG_HINT = (
    "Код на рівні модуля не має чекати чи крутитися в циклі: перенесіть роботу у функції "
    "або в lifespan."
)
STARTUP_HINT = "Перевірте lifespan/старт застосунку: `uvicorn app.main:app` має запускатися."
APP_HINT = "У `app/main.py` має бути `app = FastAPI(...)`."
MIGRATION_HINT = "Перевірте міграції: `alembic upgrade head` має проходити на чистій базі."
MIGRATION_LIMIT = 60.0  # seconds for `alembic upgrade head`, once per run, before any test timer
RESET_LIMIT = 2.0  # seconds for one reset step between tests (student code: it may hang)
# Seconds for a request to an endpoint that already hung in this run: its later checkpoints fail
# fast instead of each waiting out the whole limit (one hang, not one per checkpoint).
HUNG_AGAIN_LIMIT = 1.0
IN_PROCESS_STORAGE = ("limits.storage.memory", "limits.aio.storage.memory")


@dataclass(frozen=True)
class Failure:
    kind: str  # missing | import | startup | timeout | assert | error | skipped
    reason: str
    hint: str = ""


FAILURE_KEY = pytest.StashKey[Failure]()
_import_failures: dict[str, Failure] = {}  # student code is fixed during a run: fail fast
_migrated: dict[str, Path | Failure] = {}  # the copy's migrated template database, once per run
_timeout: list[float] = [0.0]
_hung: set[str] = set()  # "METHOD /path" of the endpoints that did not answer in this run


class EndpointHungError(Exception):
    """A request to the student's app did not answer within its limit."""

    def __init__(self, endpoint: str, limit: float, *, again: bool) -> None:
        super().__init__(endpoint)
        self.endpoint, self.limit, self.again = endpoint, limit, again

    @property
    def reason(self) -> str:
        if self.again:
            return (
                f"Перевищено ліміт часу {self.limit:g} с: {self.endpoint} уже зависав у "
                "попередній перевірці й знову не відповів"
            )
        return f"Перевищено ліміт часу {self.limit:g} с: {self.endpoint} не відповів (код завис)"


def fail(node: pytest.Item | pytest.Collector, failure: Failure) -> NoReturn:
    """Fail the current test with a clean one-line message (no grader traceback)."""
    node.stash[FAILURE_KEY] = failure
    pytest.fail(failure.reason, pytrace=False)


def _student_root() -> Path | None:
    raw = os.environ.get(STUDENT_DIR_ENV)
    return _resolved(raw) if raw else None


@functools.cache
def _resolved(raw: str) -> Path:
    return Path(raw).resolve()  # asked for several times per test: resolve once


def _where(tb: TracebackType | None, root: Path | None) -> str:
    """` (app/main.py:3)`: the deepest frame inside the student's copy, if any."""
    found = ""
    for frame, lineno in traceback.walk_tb(tb):
        path = Path(frame.f_code.co_filename)
        if root is not None and path.is_relative_to(root):
            found = f" ({path.relative_to(root).as_posix()}:{lineno})"
    return found


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, pytest.fail.Exception) and str(exc).startswith("Timeout")


def _limit() -> str:
    return f"{_timeout[0]:g}"


def _relative(filename: str | None, root: Path) -> str:
    if not filename:
        return "?"
    path = Path(filename)
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else filename


def _module_failure(exc: ImportError, where: str, root: Path) -> Failure:
    missing = exc.name or "?"
    top = missing.split(".")[0]
    ours = (root / top).exists() or (root / f"{top}.py").exists()
    if isinstance(exc, ModuleNotFoundError) and not ours:
        return Failure("import", f"Пакет {missing} не встановлено{where}", PACKAGE_HINT)
    if isinstance(exc, ModuleNotFoundError):
        return Failure("import", f"Модуль {missing} не знайдено{where}", MODULE_HINT)
    return Failure("import", f"Помилка імпорту: {_first_line(str(exc))}{where}", MODULE_HINT)


def _import_failure(name: str, exc: BaseException, root: Path) -> Failure:
    where = _where(exc.__traceback__, root)
    if _is_timeout(exc):
        reason = f"Імпорт {name} не завершився за {_limit()} с{where}"
        return Failure("timeout", reason, IMPORT_HANG_HINT)
    if isinstance(exc, SyntaxError):
        place = f"{_relative(exc.filename, root)}, рядок {exc.lineno}"
        return Failure("import", f"Синтаксична помилка в {place}: {exc.msg}", SYNTAX_HINT)
    if isinstance(exc, ImportError):
        return _module_failure(exc, where, root)
    if isinstance(exc, SystemExit):
        reason = f"Імпорт {name} викликав sys.exit({exc.code!r}){where}"
        return Failure("import", reason, IMPORT_HINT.format(name=name))
    reason = f"Імпорт {name} впав: {type(exc).__name__}: {_first_line(str(exc))}{where}"
    return Failure("import", reason, IMPORT_HINT.format(name=name))


def _missing(name: str, root: Path) -> Failure | None:
    top = name.split(".")[0]
    if (root / top).is_dir() or (root / f"{top}.py").is_file():
        return None
    reason = f"У теці {root} немає пакета {top}/ (очікували {name.replace('.', '/')}.py)"
    return Failure("missing", reason, MISSING_HINT)


def _import_student(
    node: pytest.Item, name: str, root: Path, *, remember: bool = True
) -> ModuleType:
    failure = _import_failures.get(name) if remember else None
    failure = failure or _missing(name, root)
    if failure is None:
        try:
            module = importlib.import_module(name)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - student code may raise anything
            failure = _import_failure(name, exc, root)
        else:
            if remember:
                _remember_limiters()
            return module
        if remember:  # a fresh import runs under the test's own settings: not the run's verdict
            _import_failures[name] = failure
    fail(node, failure)


def _is_in(module: object, prefix: str) -> bool:
    """Whether a module comes from the copy (string prefixes: called for all of sys.modules)."""
    if getattr(module, "__file__", None) is None and not hasattr(module, "__path__"):
        return False  # built-in
    locations = [getattr(module, "__file__", None), *(getattr(module, "__path__", None) or ())]
    return any(isinstance(loc, str) and loc.startswith(prefix) for loc in locations)


def _student_modules(root: Path) -> dict[str, ModuleType]:
    prefix = os.path.join(root, "")
    return {
        name: module
        for name, module in list(sys.modules.items())
        if module is not None and _is_in(module, prefix)
    }


def _purge(root: Path) -> None:
    """Forget the student's modules so that the next import runs their code again."""
    for name in _student_modules(root):
        del sys.modules[name]


def _loaded(name: str) -> ModuleType | None:
    """A module of the copy that is already imported (never imports anything itself)."""
    module, root = sys.modules.get(name), _student_root()
    if module is None or root is None:
        return None
    return module if _is_in(module, os.path.join(root, "")) else None


# --- state of the copy, reset between tests ---------------------------------------------------
#
# The copy is imported once per run (its settings are read at import), so whatever a test leaves
# behind in it is wiped before the next one: the database file, the in-process Redis, the rate
# limiter's counters, dependency overrides, stored avatars.

_limiter_defaults: dict[int, tuple[Any, bool]] = {}  # id -> (limiter, `enabled` at import)


def _limiters() -> list[Any]:
    """SlowAPI limiters of the copy: app.state.limiter and app.core.rate_limit.limiter."""
    app = getattr(_loaded("app.main"), "app", None)
    state = getattr(app, "state", None)
    found = [
        getattr(state, "limiter", None) if state is not None else None,
        getattr(_loaded("app.core.rate_limit"), "limiter", None),
    ]
    return [item for item in found if hasattr(item, "reset") and hasattr(item, "enabled")]


def _remember_limiters() -> None:
    for limiter in _limiters():
        _limiter_defaults.setdefault(id(limiter), (limiter, bool(limiter.enabled)))


def _reset_limiters() -> None:
    _remember_limiters()
    for limiter, enabled in _limiter_defaults.values():
        with contextlib.suppress(Exception):
            limiter.enabled = enabled  # a checkpoint may have switched it off
            storage = getattr(limiter, "_storage", None)
            if type(storage).__module__.startswith(IN_PROCESS_STORAGE):
                limiter.reset()  # counters in this process only: a real Redis is not ours


def _clear_overrides() -> None:
    app = getattr(_loaded("app.main"), "app", None)
    overrides = getattr(app, "dependency_overrides", None)
    if isinstance(overrides, dict):
        overrides.clear()


_hung_steps: set[str] = set()  # reset steps whose student code hung once: skipped from then on


async def _bounded(step: str, make: Callable[[], Any]) -> Any:
    """Run a call of the student's code (sync or async) with a time limit; None on any error.

    A step that hangs once is not tried again in this run: it would cost every test the limit.
    """
    if step in _hung_steps:
        return None
    with contextlib.suppress(Exception):  # a broken copy must not break the reset
        try:
            async with asyncio.timeout(RESET_LIMIT):
                result = make()
                return await result if inspect.isawaitable(result) else result
        except TimeoutError:
            _hung_steps.add(step)
    return None


async def _flush_redis() -> None:
    """Empty the in-process Redis (fakeredis) behind app.core.cache.get_redis()."""
    get_redis = getattr(_loaded("app.core.cache"), "get_redis", None)
    if not callable(get_redis):
        return
    client = await _bounded("get_redis", get_redis)
    if type(client).__module__.split(".")[0] == "fakeredis":  # never a real server
        await _bounded("flushall", client.flushall)


def _engine() -> Any:
    engine = getattr(_loaded("app.core.database"), "engine", None)
    return engine if callable(getattr(engine, "dispose", None)) else None


async def _dispose_engine() -> None:
    engine = _engine()
    if engine is not None:
        await _bounded("dispose", engine.dispose)


def _unlink_database(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            path.with_name(path.name + suffix).unlink()


def _engine_file(engine: Any) -> Path | None:
    url = getattr(engine, "url", None)
    database = getattr(url, "database", None)
    if getattr(url, "drivername", "").startswith("sqlite") and database:
        path = Path(database)
        return path if path.is_absolute() else None  # relative: a new file in each test's cwd
    return None


@dataclass(frozen=True)
class GradingSession:
    """The run's embedded defaults: one SQLite file and one media folder, in temp dirs."""

    folder: Path
    database: Path
    media: Path

    def environment(self) -> dict[str, str]:
        return {
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.database}",
            "REDIS_URL": "memory://",
            "BCRYPT_ROUNDS": "4",
            "ENVIRONMENT": "test",
            "MEDIA_DIR": str(self.media),
            "PUBLIC_BASE_URL": "http://test",
        }

    async def reset(self) -> None:
        """Before a test: an empty database, Redis, limiter, media folder; no overrides."""
        _clear_overrides()
        _reset_limiters()
        await _flush_redis()
        await _dispose_engine()
        own = _engine_file(_engine())
        for path in {self.database, *([own] if own is not None else [])}:
            if self.owns(path):  # files of this run, never the student's
                _unlink_database(path)
        shutil.rmtree(self.media, ignore_errors=True)
        self.media.mkdir(parents=True, exist_ok=True)

    def owns(self, path: Path) -> bool:
        """Whether a file belongs to this run (pytest's temp dir or the scratch folder)."""
        return any(path.is_relative_to(top) for top in (self.folder.parent, self.database.parent))

    async def release(self) -> None:
        """After a test, on its event loop: close what is bound to it."""
        _clear_overrides()
        close_redis = getattr(_loaded("app.core.cache"), "close_redis", None)
        if callable(close_redis):
            await _bounded("close_redis", close_redis)
        await _dispose_engine()


@pytest.fixture
def student_dir() -> Path:
    """The student's copy (the grader's private copy of it), from $COURSE_STUDENT_DIR."""
    root = _student_root()
    if root is None:
        pytest.fail(f"{STUDENT_DIR_ENV} is not set: run through `course check`", pytrace=False)
    return root


@pytest.fixture
def course_root() -> Path:
    """The course repository (lessons/, solution/, checkpoints/), from $COURSE_ROOT."""
    return CoursePaths.default().root


@pytest.fixture(scope="session")
def grading_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GradingSession]:
    """Once per run: the embedded-default environment and the copy first on sys.path.

    The database goes to the grader's scratch folder when it has one (tmpfs: SQLite's fsync on
    every commit is free there), else next to the media folder under pytest's temp dir.
    """
    folder = tmp_path_factory.mktemp("session")
    scratch = os.environ.get(SCRATCH_ENV)
    data = Path(tempfile.mkdtemp(dir=scratch)) if scratch and Path(scratch).is_dir() else folder
    session = GradingSession(folder, data / "grade.db", folder / "media")
    session.media.mkdir()
    root = _student_root()
    with pytest.MonkeyPatch.context() as patch:
        for key, value in session.environment().items():
            patch.setenv(key, value)
        if root is not None:
            patch.syspath_prepend(str(root))
        yield session


@pytest_asyncio.fixture
async def student_env(
    tmp_path: Path, student_dir: Path, grading_session: GradingSession
) -> AsyncIterator[Path]:
    """The run's embedded defaults, the copy's state reset, cwd in this test's temp dir."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        await grading_session.reset()
        yield tmp_path
        await grading_session.release()


Importer = Callable[..., ModuleType]


@pytest.fixture
def student_import(
    request: pytest.FixtureRequest, student_env: Path, student_dir: Path
) -> Iterator[Importer]:
    """`student_import("app.services.cache")`: a module of the copy, or a clean failure.

    Imported once per run and shared by every test. `fresh=True` runs the module's code again
    (with this test's environment) in a separate set of modules, for checks of import-time
    behaviour; the shared modules come back after the test. Its failures are not remembered.
    """
    shared: dict[str, ModuleType] | None = None

    def load(name: str, *, fresh: bool = False) -> ModuleType:
        nonlocal shared
        if fresh:
            if shared is None:
                shared = _student_modules(student_dir)
            _purge(student_dir)
        # After a fresh import every import of this test belongs to the fresh set.
        return _import_student(request.node, name, student_dir, remember=shared is None)

    yield load
    if shared is not None:
        _purge(student_dir)
        sys.modules.update(shared)


@pytest.fixture
def student_app(request: pytest.FixtureRequest, student_import: Importer) -> Any:
    """`app.main:app` of the student's copy (imported once per run, state reset per test)."""
    app = getattr(student_import("app.main"), "app", None)
    if app is None:
        fail(request.node, Failure("import", "У app/main.py немає об'єкта app", APP_HINT))
    return app


def _run_migrations(root: Path, database: Path) -> Path | Failure:
    """`alembic upgrade head` of the copy into a template SQLite file, as a student would."""
    command = [sys.executable, "-m", "alembic", "-c", str(root / "alembic.ini"), "upgrade", "head"]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "REDIS_URL": "memory://",
    }
    process = subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        output, _ = process.communicate(timeout=MIGRATION_LIMIT)
    except BaseException as exc:  # a timeout, ours or pytest-timeout's, means a hang
        kill_tree(process)
        if isinstance(exc, KeyboardInterrupt):
            raise
        reason = f"Міграції Alembic не завершилися ({type(exc).__name__}): вони зависли?"
        return Failure("timeout", reason, MIGRATION_HINT)
    if process.returncode != 0:
        lines = output.decode("utf-8", "replace").strip().splitlines() or ["?"]
        return Failure("startup", f"Міграції Alembic не пройшли: {lines[-1]}", MIGRATION_HINT)
    return database


@pytest.fixture
def student_db(
    request: pytest.FixtureRequest,
    student_env: Path,
    student_dir: Path,
    grading_session: GradingSession,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """The run's SQLite file, migrated to the copy's Alembic head (if it has alembic.ini).

    Opt-in: `student_client` does not migrate; request this fixture before it to get the schema
    the way a student would (`alembic upgrade head`, then start the app).
    """
    database = grading_session.database
    if not (student_dir / "alembic.ini").is_file():
        return database
    key = str(student_dir)
    if key not in _migrated:  # normally done at collection time, outside the test's timer
        _migrated[key] = _run_migrations(student_dir, tmp_path_factory.mktemp("db") / "head.db")
    template = _migrated[key]
    if isinstance(template, Failure):
        fail(request.node, template)
    shutil.copyfile(template, database)  # the engine was disposed and the file removed
    return database


def _with_state(app: Any, state: dict[str, Any] | None) -> Any:
    """Pass lifespan state into each request, as a server would (ASGITransport does not)."""
    if not state:
        return app

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "state": dict(state)}
        await app(scope, receive, send)

    return wrapped


def _request_limit(endpoint: str) -> float | None:
    """Half the checkpoint's limit per request: a hang is named before pytest-timeout strikes."""
    if endpoint in _hung:
        return HUNG_AGAIN_LIMIT
    return _timeout[0] / 2 if _timeout[0] else None


def _watch_hangs(app: Any) -> Any:
    """Name an endpoint that does not answer; give it HUNG_AGAIN_LIMIT on every later request."""

    async def watched(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        endpoint = f"{scope['method']} {scope['path']}"
        limit = _request_limit(endpoint)
        deadline = asyncio.timeout(limit)
        try:
            async with deadline:
                await app(scope, receive, send)
        except TimeoutError:
            if not deadline.expired():
                raise  # the app's own TimeoutError: an error like any other
            again = endpoint in _hung
            _hung.add(endpoint)
            raise EndpointHungError(endpoint, limit or 0.0, again=again) from None
        except BaseException as exc:
            if _is_timeout(exc):  # pytest-timeout struck a busy loop inside the app
                _hung.add(endpoint)
            raise

    return watched


def _startup_failure(exc: BaseException, root: Path) -> Failure:
    where = _where(exc.__traceback__, root)
    if _is_timeout(exc):
        reason = f"Запуск застосунку (lifespan) не завершився за {_limit()} с{where}"
        return Failure("timeout", reason, HANG_HINT)
    reason = f"Застосунок не запустився: {type(exc).__name__}: {_first_line(str(exc))}{where}"
    return Failure("startup", reason, STARTUP_HINT)


async def _shutdown(lifespan: Any) -> None:
    with contextlib.suppress(Exception):
        async with asyncio.timeout(SHUTDOWN_LIMIT):
            await lifespan.__aexit__(None, None, None)


@pytest_asyncio.fixture
async def student_client(
    request: pytest.FixtureRequest, student_app: Any, student_dir: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx.AsyncClient on the student's app (lifespan run), base_url http://test."""
    import httpx

    lifespan_context = getattr(getattr(student_app, "router", None), "lifespan_context", None)
    if lifespan_context is None:
        fail(
            request.node, Failure("import", "app у app/main.py не є застосунком FastAPI", APP_HINT)
        )
    lifespan = lifespan_context(student_app)
    try:
        state = await lifespan.__aenter__()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - a broken startup fails the test
        fail(request.node, _startup_failure(exc, student_dir))
    transport = httpx.ASGITransport(app=_watch_hangs(_with_state(student_app, state)))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
    finally:
        await _shutdown(lifespan)


def _describe(item: pytest.Item, exc: BaseException, tb: TracebackType | None) -> Failure:
    """A failure of the test itself, in one line."""
    hint = str(_meta(item)["hint"])
    where = _where(tb, _student_root())
    if _is_timeout(exc):
        return Failure(
            "timeout", f"Перевищено ліміт часу {_limit()} с: код завис{where}", HANG_HINT
        )
    if isinstance(exc, EndpointHungError):
        return Failure("timeout", exc.reason, HANG_HINT)
    if isinstance(exc, pytest.skip.Exception):
        return Failure("skipped", f"Перевірку пропущено: {_first_line(str(exc))}", hint)
    if isinstance(exc, AssertionError | pytest.fail.Exception):
        return Failure("assert", _first_line(str(exc)) or "Перевірка не пройшла", hint)
    reason = f"{type(exc).__name__}: {_first_line(str(exc))}{where}"
    return Failure("error", reason, hint)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if not report.passed:
        failure = item.stash.get(FAILURE_KEY, None)
        if failure is None and call.excinfo is not None:
            failure = _describe(item, call.excinfo.value, call.excinfo.tb)
        report.course_failure = failure
    return report


def _meta(item: pytest.Item) -> dict[str, object]:
    marker = item.get_closest_marker(MARKER_NAME)
    data = dict(marker.kwargs) if marker else {}
    line = item.location[1]
    return {
        "nodeid": item.nodeid,
        "id": str(data.get("id", item.name)),
        "title": str(data.get("title", item.name)),
        "points": int(data.get("points", 0)),
        "hint": str(data.get("hint", "")),
        "path": str(item.path),
        "line": line + 1 if line is not None else 0,
    }


class ResultStream:
    """Writes JSON lines: collected, collect_error, result (one per test), done."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.running: dict[str, dict[str, Any]] = {}

    def emit(self, event: dict[str, Any]) -> None:
        if self.path is None:
            return
        append_event(self.path, event)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            message = report.longreprtext[-3000:]
            self.emit({"event": "collect_error", "nodeid": report.nodeid, "message": message})

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.emit({"event": "collected", "items": [_meta(item) for item in session.items]})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        state = self.running.setdefault(
            report.nodeid, {"outcome": "passed", "duration": 0.0, "failure": None}
        )
        state["duration"] += report.duration
        if not report.passed and state["failure"] is None:
            failure = getattr(report, "course_failure", None) or Failure(
                "error", "Невідома помилка"
            )
            state.update(outcome="failed", failure=asdict(failure))
        if report.when == "teardown":
            self.emit(
                {"event": "result", "nodeid": report.nodeid, **self.running.pop(report.nodeid)}
            )

    def pytest_sessionfinish(self, exitstatus: int) -> None:
        self.emit({"event": "done", "exitstatus": int(exitstatus)})
        if self.path is not None:  # a grading run: every result is written
            atexit.register(_leave, int(exitstatus))


def _leave(status: int) -> None:
    """Exit without the interpreter's teardown: its GC of everything costs ~0.5 s per run.

    Runs after pytest's own clean-up (exit handlers run once `pytest.main` has returned), and
    after the interpreter joined the threads: one the student left running still holds the
    exit, as before. Handlers registered earlier (logging's among them) do not run: hence the
    flushes here.
    """
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """$COURSE_ONLY_CHECKPOINTS: run just the checkpoints it names (grade(only=...))."""
    wanted = set(filter(None, os.environ.get(ONLY_ENV, "").split(",")))
    if not wanted:
        return
    kept: list[pytest.Item] = []
    skipped: list[pytest.Item] = []
    for item in items:
        (kept if _meta(item)["id"] in wanted else skipped).append(item)
    if skipped:
        config.hook.pytest_deselected(items=skipped)
        items[:] = kept


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Migrate once, before the first timer starts: a cold `alembic upgrade` is not the test's."""
    root = _student_root()
    wanted = any("student_db" in getattr(item, "fixturenames", ()) for item in session.items)
    if root is None or not wanted or not (root / "alembic.ini").is_file():
        return
    folder = Path(tempfile.mkdtemp(prefix="course-db-"))
    session.config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    _migrated[str(root)] = _run_migrations(root, folder / "head.db")


def pytest_configure(config: pytest.Config) -> None:
    sys.dont_write_bytecode = True  # never leave __pycache__ in the student's copy
    config.addinivalue_line(
        "markers", f"{MARKER_NAME}(id, title, points, hint): a graded checkpoint of the course"
    )
    _timeout[0] = float(config.getoption("timeout", None) or 0)
    for name in WARM_UP:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    raw = os.environ.get(RESULTS_ENV)
    config.pluginmanager.register(ResultStream(Path(raw) if raw else None), "course-results")
