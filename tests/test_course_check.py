"""`course check` end to end: a tiny synthetic app and checkpoint suite, graded in subprocesses.

All scenarios run in parallel (one `python -m course check` each) so the module stays fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from course.cli import app
from course.grader import SHARDS, CheckpointResult, remember_timings, shards, timings
from course.manifest import load_manifest

TIMEOUT = 4  # seconds per checkpoint in these runs
WALL_LIMIT = 60  # a whole `course check` run, hangs included
PARALLEL_CHECKS = 3  # `course check` runs of the scenarios at the same time

CHECKPOINTS = {
    "00_overview/test_overview.py": """
from course.checkpoint import checkpoint


@checkpoint(id="00.1", title="GET /health відповідає 200", points=1, hint="Додайте GET /health")
async def test_health(student_client):
    response = await student_client.get("/health")
    assert response.status_code == 200, f"GET /health повернув {response.status_code}"
""",
    "01_email_verification/test_hello.py": """
import os
from pathlib import Path

import pytest

from course.checkpoint import checkpoint


@checkpoint(id="01.1", title="GET /hello вітається", points=2, hint="Поверніть {'msg': 'hi'}")
async def test_hello(student_client):
    response = await student_client.get("/hello")
    assert response.json() == {"msg": "hi"}, "GET /hello має повернути {'msg': 'hi'}"


@checkpoint(id="01.2", title="Є app/main.py", points=1, hint="Створіть app/main.py")
def test_layout(student_dir):
    assert (student_dir / "app" / "main.py").is_file(), "Немає app/main.py"


@checkpoint(id="01.3", title="VALUE і вбудовані налаштування", points=1, hint="VALUE = 2")
@pytest.mark.parametrize("part", ["value", "defaults"])
def test_module(student_import, student_dir, part):
    module = student_import("app.main")
    if part == "value":
        assert module.VALUE == 2, "VALUE має дорівнювати 2"
    else:
        assert os.environ["DATABASE_URL"].startswith("sqlite+aiosqlite:///")
        scratch = os.environ.get("COURSE_SCRATCH_DIR")  # in memory where the machine has tmpfs
        if scratch:
            assert os.environ["DATABASE_URL"].startswith(f"sqlite+aiosqlite:///{scratch}/")
        assert os.environ["REDIS_URL"] == "memory://"
        assert not Path.cwd().is_relative_to(student_dir)


@checkpoint(id="01.4", title="Міграції створюють notes", points=1, hint="alembic upgrade head")
def test_migrated(student_db):
    import sqlite3
    from contextlib import closing

    assert student_db.is_file(), "База даних не створена"
    with closing(sqlite3.connect(student_db)) as db:
        names = {row[0] for row in db.execute("select name from sqlite_master")}
    assert "notes" in names, "Немає таблиці notes"
""",
    "03_rate_limiting/test_state.py": """
import os
from pathlib import Path

from course.checkpoint import checkpoint

SEEN = {}


async def count_items(student_client, student_import):
    models, database = student_import("app.models"), student_import("app.core.database")
    async with database.engine.begin() as conn:
        await conn.run_sync(models.Base.metadata.create_all)
    return (await student_client.get("/items")).json()


@checkpoint(id="03.1", title="Перша залишає стан", points=1, hint="-")
async def test_first_leaves_state_behind(student_client, student_app, student_import):
    main = student_import("app.main")
    SEEN["main"] = main
    assert await count_items(student_client, student_import) == 0
    assert (await student_client.post("/items")).status_code == 201
    assert await count_items(student_client, student_import) == 1
    student_app.dependency_overrides[main.get_flag] = lambda: "overridden"
    assert (await student_client.get("/flag")).json() == "overridden"
    redis = await student_import("app.core.cache").get_redis()
    await redis.set("left", "behind")
    assert (await student_client.get("/limited")).status_code == 200
    assert (await student_client.get("/limited")).status_code == 429
    main.limiter.enabled = False
    (Path(os.environ["MEDIA_DIR"]) / "avatar.png").write_bytes(b"png")


@checkpoint(id="03.2", title="Друга бачить чистий стан", points=1, hint="-")
async def test_second_sees_a_clean_copy(student_client, student_import):
    main = student_import("app.main")
    assert main is SEEN["main"], "the copy was imported again"
    assert main.IMPORTS == 1, main.IMPORTS
    assert await count_items(student_client, student_import) == 0, "a row survived"
    assert (await student_client.get("/flag")).json() == "real", "an override leaked"
    redis = await student_import("app.core.cache").get_redis()
    assert await redis.get("left") is None, "Redis was not flushed"
    assert main.limiter.enabled, "the limiter stayed off"
    assert (await student_client.get("/limited")).status_code == 200, "the counter survived"
    assert not list(Path(os.environ["MEDIA_DIR"]).iterdir()), "media files survived"


@checkpoint(id="03.3", title="Свіжий імпорт", points=1, hint="-")
def test_fresh_import_runs_the_module_again(student_import, monkeypatch):
    monkeypatch.setenv("GREETING", "fresh")
    fresh = student_import("app.main", fresh=True)
    assert fresh is not SEEN["main"] and fresh.IMPORTS == 2 and fresh.GREETING == "fresh"
    assert student_import("app.core.cache") is not SEEN["main"].cache


@checkpoint(id="03.4", title="Після свіжого — спільний знову", points=1, hint="-")
def test_shared_modules_come_back(student_import):
    main = student_import("app.main")
    assert main is SEEN["main"] and main.IMPORTS == 1 and main.GREETING == "shared"
""",
}

GOOD = """import asyncio
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request

VALUE = 2
(Path(__file__).parent / "uploads").mkdir(exist_ok=True)  # writes next to itself


@asynccontextmanager
async def lifespan(app):
    yield {"greeting": "hi"}


app = FastAPI(lifespan=lifespan)


@app.get("/health")
async def health():
    return {"status": "ok"}


@app.get("/hello")
async def hello(request: Request):
    return {"msg": request.state.greeting}
"""
WRONG = (
    GOOD.replace("VALUE = 2", "VALUE = 1")
    .replace('{"msg": request.state.greeting}', '{"msg": "bye"}')
    .replace('return {"status": "ok"}', "raise HTTPException(500)")
)
HANGING_ENDPOINT = GOOD.replace(
    'return {"msg": request.state.greeting}', "await asyncio.Event().wait()"
)
SYNTAX = "from fastapi import FastAPI\n\napp = FastAPI()\n\ndef broken(:\n    pass\n"
IMPORT_ERROR = "from app.missing import thing\n"
ALEMBIC = {
    "alembic.ini": "[alembic]\nscript_location = %(here)s/alembic\n",
    "alembic/env.py": """
import os

from sqlalchemy import create_engine

from alembic import context

engine = create_engine(os.environ["DATABASE_URL"].replace("+aiosqlite", ""))
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
""",
    "alembic/versions/0001_notes.py": """
import sqlalchemy as sa

from alembic import op

revision, down_revision = "0001", None


def upgrade():
    op.create_table("notes", sa.Column("id", sa.Integer, primary_key=True))
""",
}
STATEFUL = {
    "app/models.py": """
from sqlalchemy import Column, Integer
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Item(Base):
    __tablename__ = "items"
    id = Column(Integer, primary_key=True)
""",
    "app/core/__init__.py": "",
    "app/core/database.py": """
import os

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

engine = create_async_engine(os.environ["DATABASE_URL"])
SessionLocal = async_sessionmaker(engine)
""",
    "app/core/cache.py": """
import fakeredis

_client = None


async def get_redis():
    global _client
    if _client is None:
        _client = fakeredis.FakeAsyncRedis(decode_responses=True)
    return _client
""",
    "app/stateful.py": """
import os

from fastapi import Depends, Request
from slowapi import Limiter, _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address
from sqlalchemy import func, select

from app.core import cache
from app.core.database import SessionLocal
from app.models import Item

GREETING = os.environ.get("GREETING", "shared")
limiter = Limiter(key_func=get_remote_address, storage_uri=os.environ["REDIS_URL"])


def get_flag():
    return "real"


def install(app):
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)

    @app.get("/items")
    async def count():
        async with SessionLocal() as session:
            return await session.scalar(select(func.count()).select_from(Item))

    @app.post("/items", status_code=201)
    async def add():
        async with SessionLocal() as session:
            session.add(Item())
            await session.commit()

    @app.get("/flag")
    async def flag(value: str = Depends(get_flag)):
        return value

    @app.get("/limited")
    @limiter.limit("1/minute")
    async def limited(request: Request):
        return "ok"
""",
}
STATEFUL_MAIN = (
    "import builtins\n\n"
    "builtins.course_imports = getattr(builtins, 'course_imports', 0) + 1  # per process\n"
    "IMPORTS = builtins.course_imports\n"
    + GOOD
    + "\nfrom app.stateful import GREETING, cache, get_flag, install, limiter  # noqa: E402\n"
    + "\ninstall(app)\n"
)
# Where the hanging copies write a line (their process id) each time the hang starts: a name of
# the copy's own, which reaches it (the grader drops COURSE_* and the app's settings).
CALLS_ENV = "HANG_CALLS_LOG"
HANGING_CACHE = f"""
import asyncio
import os


async def get_redis():  # called by the grader's reset before every test: it must not stall all
    with open(os.environ["{CALLS_ENV}"], "a") as log:
        log.write(f"{{os.getpid()}}\\n")
    await asyncio.Event().wait()
"""
IMPORT_HANG = f"""import os

from fastapi import FastAPI

with open(os.environ["{CALLS_ENV}"], "a") as log:
    log.write(f"{{os.getpid()}}\\n")
while True:
    pass

app = FastAPI()
"""

COPIES: dict[str, dict[str, str]] = {
    "good": {"app/__init__.py": "", "app/main.py": GOOD, **ALEMBIC},
    "wrong": {"app/__init__.py": "", "app/main.py": WRONG},
    "syntax": {"app/__init__.py": "", "app/main.py": SYNTAX},
    "import_error": {"app/__init__.py": "", "app/main.py": IMPORT_ERROR},
    "import_hang": {"app/__init__.py": "", "app/main.py": IMPORT_HANG},
    "endpoint_hang": {"app/__init__.py": "", "app/main.py": HANGING_ENDPOINT},
    "missing_app": {"README.md": "no app here\n"},
    "stateful": {"app/__init__.py": "", "app/main.py": STATEFUL_MAIN, **STATEFUL, **ALEMBIC},
    "reset_hang": {
        "app/__init__.py": "",
        "app/main.py": GOOD + "\nfrom app.core import cache  # noqa: E402, F401\n",
        "app/core/__init__.py": "",
        "app/core/cache.py": HANGING_CACHE,
        **ALEMBIC,
    },
}
LESSON_OF = {"stateful": "03"}  # the others are graded as lesson 01
BROKEN_REASONS = {
    "syntax": "Синтаксична помилка в app/main.py, рядок 5",
    "import_error": "Модуль app.missing не знайдено (app/main.py:1)",
    "import_hang": f"Імпорт app.main не завершився за {TIMEOUT} с",
    "endpoint_hang": f"Перевищено ліміт часу {TIMEOUT / 2:g} с: GET /hello не відповів",
    "missing_app": "немає пакета app/",
}


def write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text.lstrip("\n"), encoding="utf-8")


def tree(folder: Path) -> dict[str, str]:
    """Every file and folder of a copy (but the course's own .course/), with content hashes."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if relative.split("/")[0] == ".course":
            continue
        found[relative] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "/"
    return found


@dataclass
class Run:
    folder: Path
    code: int
    output: str
    report: dict[str, Any]
    before: dict[str, str]
    hangs: list[str]  # the process id of each start of a hang in the copy's code

    def entry(self, checkpoint_id: str) -> dict[str, Any]:
        return next(t for t in self.report["tests"] if t["name"].startswith(f"{checkpoint_id} "))


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    course = tmp_path_factory.mktemp("course")
    write(course / "checkpoints", CHECKPOINTS)
    return course


@pytest.fixture(scope="module")
def runs(root: Path) -> dict[str, Run]:
    env = {**os.environ, "COURSE_ROOT": str(root), "COLUMNS": "200"}

    def check(name: str) -> Run:
        calls = root / f"{name}.calls"
        calls.touch()
        folder = root / "copies" / name
        before = tree(folder)
        lesson = LESSON_OF.get(name, "01")
        command = [sys.executable, "-m", "course", "check", lesson, "--path", str(folder)]
        command += ["--json", str(root / f"{name}.json"), "--timeout", str(TIMEOUT)]
        done = subprocess.run(
            command,
            env=env | {CALLS_ENV: str(calls)},
            cwd=root,
            capture_output=True,
            timeout=WALL_LIMIT * 2,
            check=False,
        )
        report = json.loads((root / f"{name}.json").read_text(encoding="utf-8"))
        output = (done.stdout + done.stderr).decode()
        hangs = calls.read_text(encoding="utf-8").split()
        return Run(folder, done.returncode, output, report, before, hangs)

    for name, files in COPIES.items():
        write(root / "copies" / name, files)
    # A few at a time: each check runs SHARDS pytest processes, and a checkpoint's time limit
    # (TIMEOUT) must measure the copy's code, not a queue for the machine's two cores.
    with ThreadPoolExecutor(max_workers=PARALLEL_CHECKS) as pool:
        return dict(zip(COPIES, pool.map(check, COPIES), strict=True))


def test_passing_copy_scores_full_marks(runs: dict[str, Run]) -> None:
    run = runs["good"]
    assert run.code == 0, run.output
    assert run.report["status"] == "pass" and run.report["max_score"] == 5
    assert sum(test["score"] for test in run.report["tests"]) == 5
    assert "Бали: 5/5" in run.output
    progress = json.loads((run.folder / ".course/progress.json").read_text(encoding="utf-8"))
    assert progress["scores"]["01"]["score"] == 5 and progress["scores"]["01"]["passed"] is True


def test_failing_copy_gets_reasons_hints_and_regressions(runs: dict[str, Run]) -> None:
    run = runs["wrong"]
    assert run.code == 1 and run.report["status"] == "fail"
    hello = run.entry("01.1")
    assert hello["status"] == "fail" and hello["score"] == 0
    assert "GET /hello має повернути" in hello["message"]
    assert "Підказка: Поверніть {'msg': 'hi'}" in hello["message"]
    assert run.entry("01.3")["status"] == "fail"  # one of its two parametrized cases failed
    assert run.entry("01.2")["status"] == "pass"
    regression = next(t for t in run.report["tests"] if t["name"].startswith("Регресія · 00.1"))
    assert regression["score"] == 0 and "GET /health повернув 500" in regression["message"]
    assert "Регресії" in run.output and "Бали: 1/5" in run.output


@pytest.mark.parametrize("name", sorted(BROKEN_REASONS))
def test_broken_copies_fail_cleanly_with_a_hint(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    assert run.code == 1 and run.report["status"] == "fail", run.output
    hello = run.entry("01.1")
    assert hello["status"] == "fail"
    assert BROKEN_REASONS[name] in hello["message"], hello["message"]
    assert "\nПідказка: " in hello["message"]
    assert "Traceback" not in run.output and "course/grader" not in run.output


def test_missing_app_names_the_students_folder(runs: dict[str, Run]) -> None:
    run = runs["missing_app"]
    assert str(run.folder) in run.entry("01.1")["message"]  # not the grader's private copy
    assert run.entry("01.2")["status"] == "fail"


def test_a_hang_at_import_costs_one_timeout_per_process_only(runs: dict[str, Run]) -> None:
    hangs = runs["import_hang"].hangs
    # Each of the grader's pytest processes (they run at the same time) imports the copy once;
    # the import failure is remembered there, so no other checkpoint waits for it again.
    assert 1 <= len(hangs) <= SHARDS and len(set(hangs)) == len(hangs), hangs


def test_an_endpoint_hang_spares_other_checkpoints(runs: dict[str, Run]) -> None:
    run = runs["endpoint_hang"]
    assert run.entry("01.3")["status"] == "pass"
    assert not any(test["name"].startswith("Регресія") for test in run.report["tests"])


def test_student_files_never_change(runs: dict[str, Run]) -> None:
    for name, run in runs.items():
        assert tree(run.folder) == run.before, name
        assert [p.name for p in (run.folder / ".course").iterdir()] == ["progress.json"]


def test_json_report_has_the_classroom_shape(runs: dict[str, Run]) -> None:
    fields = {
        "name": str,
        "status": str,
        "message": str,
        "test_code": str,
        "filename": str,
        "line_no": int,
        "execution_time": str,
        "score": int,
    }
    for name, run in runs.items():
        report = run.report
        assert set(report) == {"version", "status", "max_score", "tests"}
        assert report["version"] == 3 and report["status"] in {"pass", "fail", "error"}
        assert isinstance(report["max_score"], int) and report["tests"]
        for test in report["tests"]:
            assert set(test) == set(fields)
            assert all(isinstance(test[key], kind) for key, kind in fields.items())
            assert test["status"] in {"pass", "fail", "error"}
        if LESSON_OF.get(name, "01") != "01":
            continue
        first = run.entry("01.1")
        assert first["filename"] == "checkpoints/01_email_verification/test_hello.py"
        assert first["line_no"] > 0 and first["test_code"].endswith("::test_hello")


def test_checkpoints_of_one_run_see_independent_state(runs: dict[str, Run]) -> None:
    """One import per run, yet no row, override, key, counter or file crosses checkpoints."""
    run = runs["stateful"]
    for checkpoint_id in ("03.1", "03.2", "03.3", "03.4"):
        entry = run.entry(checkpoint_id)
        assert entry["status"] == "pass", entry["message"]
    assert run.code == 0 and run.report["status"] == "pass", run.output


def test_a_reset_step_that_hangs_costs_one_limit_only(runs: dict[str, Run]) -> None:
    run = runs["reset_hang"]
    assert run.code == 0 and run.report["status"] == "pass", run.output
    # Once the step has hung, the process skips it: it costs the limit (RESET_LIMIT) once.
    assert run.hangs and len(set(run.hangs)) == len(run.hangs), run.hangs


def test_grading_a_snapshot_of_the_course_writes_nothing_into_it(root: Path) -> None:
    snapshot = root / "lessons" / "01_email_verification" / "solved"
    write(snapshot, COPIES["good"])
    before = tree(snapshot)
    result = CliRunner().invoke(
        app, ["check", "01", "--path", str(snapshot)], env={"COURSE_ROOT": str(root)}
    )
    assert result.exit_code == 0, result.output
    assert tree(snapshot) == before and not (snapshot / ".course").exists()


def test_a_lesson_without_checkpoints_is_an_error(root: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["check", "02", "--path", str(tmp_path)], env={"COURSE_ROOT": str(root)}
    )
    assert result.exit_code == 2 and "ще немає перевірок" in result.output


def test_shards_keep_lessons_whole_in_order_and_balanced(tmp_path: Path) -> None:
    sizes = {"00_a": 5, "01_b": 8, "02_c": 5, "03_d": 5, "04_e": 5}
    folders = []
    for name, count in sizes.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "test_it.py").write_text("@checkpoint(id='x')\n" * count)
        folders.append(folder)
    parts = shards(folders, 2)
    assert len(parts) == 2
    assert sorted(folder for part in parts for folder in part) == folders  # each exactly once
    assert all(part == sorted(part, key=folders.index) for part in parts)
    loads = sorted(sum(sizes[folder.name] for folder in part) for part in parts)
    assert loads == [13, 15]
    assert shards(folders[:1], 2) == [folders[:1]]


def test_shards_balance_by_the_seconds_a_lesson_took(tmp_path: Path) -> None:
    folders = []
    for name in ("00_a", "01_b", "02_c", "03_d"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "test_it.py").write_text("@checkpoint(id='x')\n" * 5)
        folders.append(folder)
    # By count all four weigh the same; by time 03_d alone outweighs the other three.
    parts = shards(folders, 2, seconds={"00_a": 0.5, "01_b": 0.5, "02_c": 0.5, "03_d": 3.0})
    assert parts == [[folders[3]], folders[:3]]


def test_timings_keep_the_fastest_grading_in_which_a_lesson_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COURSE_MUTATION_CACHE", str(tmp_path / "cache"))
    manifest = load_manifest()
    first, second = manifest.lessons[0], manifest.lessons[1]

    def result(lesson: str, duration: float, passed: bool = True) -> CheckpointResult:
        done = CheckpointResult(lesson, "x", "t", 1, "", "f.py", 1, duration=duration)
        done.passed = passed
        return done

    remember_timings(
        [result(first.id, 4.0), result(second.id, 1.0, passed=False)], manifest.lessons
    )
    assert timings() == {first.name: 4.0}  # a lesson that failed a checkpoint is not timed
    remember_timings([result(first.id, 1.5), result(first.id, 1.0)], manifest.lessons)
    remember_timings([result(first.id, 9.0)], manifest.lessons)  # a cold run: slower
    assert timings() == {first.name: 2.5}
    monkeypatch.setenv("COURSE_MUTATION_CACHE", "off")
    remember_timings([result(first.id, 0.1)], manifest.lessons)
    assert timings() == {}


@pytest.mark.skipif(os.name != "posix", reason="the lock is fcntl's")
def test_timings_are_read_and_written_under_a_lock_so_concurrent_gradings_lose_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    from course import grader

    monkeypatch.setenv("COURSE_MUTATION_CACHE", str(tmp_path / "cache"))
    lesson = load_manifest().lessons[0]
    read = grader.timings

    def read_under_the_lock() -> dict[str, float]:
        # Another grading that wants to merge its timings now: it cannot take the lock, so it
        # reads only once this one has written.
        lock = tmp_path / "cache" / f"{Path(grader.TIMINGS_FILE).stem}.lock"
        with lock.open("a") as other, pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return read()

    monkeypatch.setattr(grader, "timings", read_under_the_lock)
    done = CheckpointResult(lesson.id, "x", "t", 1, "", "f.py", 1, duration=2.0)
    done.passed = True
    remember_timings([done], [lesson])
    assert read() == {lesson.name: 2.0}
