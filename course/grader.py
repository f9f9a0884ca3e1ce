"""`course check`: run a lesson's checkpoints against a student's copy in a pytest subprocess."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from course.files import TOOL_FOLDERS, locked, memory_temp_root, write_atomically
from course.manifest import Lesson, Manifest
from course.mutation import CACHE_ENV, UNUSED_PLUGINS, base_env, cache_dir
from course.paths import GRADED_ENV, ONLY_ENV, RESULTS_ENV, ROOT_ENV, SCRATCH_ENV, STUDENT_DIR_ENV
from course.processes import Run, read_events, start_idle_servers, start_pytest, stop_run
from course.todos import todo_locations, where_to_look

DEFAULT_TIMEOUT = 20.0
# pytest processes per grading run: the lessons' checkpoints are split between them.
SHARDS = max(1, min(2, os.cpu_count() or 1))
CHECKPOINT_SECONDS = 0.2  # a lesson folder's cost per checkpoint, until a grading times it
TIMINGS_FILE = "timings.json"  # in the mutation cache folder (see `timings`)
STARTUP_LIMIT = 60.0  # pytest start and collection, before any test timer runs
PER_TEST_SLACK = 5.0  # set-up and teardown around each test's own limit
EXIT_GRACE = 5.0  # after the last result: threads the student left running may block exit
POLL = 0.1
# The installed pytest plugins a grading run loads; no other is auto-loaded. pytest marks every
# package of an auto-loadable plugin's distribution for assertion rewriting (anyio, Faker, ...),
# so the app's imports of them would be rewritten in every process (~0.2-1 s of CPU each):
# PYTHONDONTWRITEBYTECODE keeps pytest from caching a rewrite.
PLUGINS = ("pytest_asyncio.plugin", "pytest_timeout", "course.grader_plugin")
# pytest's own plugins a grading run does not use: each costs start-up time in every check.
DISABLED_PLUGINS = (
    "cacheprovider",  # it would write .pytest_cache
    "doctest",
    "pastebin",
    "junitxml",
    "setuponly",
    "setupplan",
    "stepwise",
    "unraisableexception",  # its gc.collect() at exit alone costs 0.1-0.2 s
    "threadexception",
)
# What every pytest run over the checkpoints is given for its plugins (the site collects them so).
PLUGIN_ARGS = (
    "--disable-plugin-autoload",
    *(arg for name in PLUGINS for arg in ("-p", name)),
    *(arg for name in DISABLED_PLUGINS for arg in ("-p", f"no:{name}")),
)
PYTEST_INI = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
asyncio_default_test_loop_scope = function
"""
KILLED_HINT = (
    "Процес перевірки довелося зупинити: код завис так, що його не вдалося перервати "
    "(потік, C-розширення). Шукайте нескінченний цикл чи очікування без тайм-ауту."
)


class GradingError(RuntimeError):
    """The grading could not start (Ukrainian message for the student)."""


@dataclass
class CheckpointResult:
    lesson: str
    id: str
    title: str
    points: int
    hint: str
    filename: str
    line_no: int
    nodeids: list[str] = field(default_factory=list)
    passed: bool = True
    status: str = "pass"  # pass | fail | error (GitHub Classroom's words)
    kind: str = ""
    reason: str = ""
    duration: float = 0.0
    where: str = ""  # the TODO lines of the lesson's starter that name this checkpoint

    @property
    def score(self) -> int:
        return self.points if self.passed else 0

    def add(self, outcome: str, failure: dict[str, str] | None, duration: float) -> None:
        self.duration += duration
        if outcome != "passed" and self.passed:
            failure = failure or {}
            self.passed, self.status = False, "fail"
            self.kind, self.reason = failure.get("kind", "error"), failure.get("reason", "")
            self.hint = failure.get("hint") or self.hint


@dataclass
class GradeReport:
    lesson: Lesson
    results: list[CheckpointResult]
    regressions: list[CheckpointResult]
    errors: list[str]

    @property
    def score(self) -> int:
        return sum(result.score for result in self.results)

    @property
    def max_score(self) -> int:
        return sum(result.points for result in self.results)

    @property
    def failed_regressions(self) -> list[CheckpointResult]:
        return [result for result in self.regressions if not result.passed]

    @property
    def passed(self) -> bool:
        ok = all(result.passed for result in self.results)
        return ok and bool(self.results) and not self.errors and not self.failed_regressions

    @property
    def status(self) -> str:
        if self.errors:
            return "error"
        return "pass" if self.passed else "fail"


ProgressCallback = Callable[[int, int], None]


@dataclass
class _Run:
    """Events read so far from the plugin's JSON-lines file."""

    items: list[dict[str, Any]] | None = None
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    collect_errors: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False
    offset: int = 0

    def read(self, path: Path) -> None:
        events, self.offset = read_events(path, self.offset)
        for event in events:
            self.handle(event)

    def handle(self, event: dict[str, Any]) -> None:
        kind = event.pop("event")
        if kind == "collected":
            self.items = event["items"]
        elif kind == "result":
            self.results[event["nodeid"]] = event
        elif kind == "collect_error":
            self.collect_errors.append(event)
        elif kind == "done":
            self.done = True


def checkpoint_dirs(
    lesson: Lesson, manifest: Manifest, root: Path, regressions: bool
) -> list[Path]:
    target = root / lesson.name
    if not target.is_dir() or not any(target.glob("test_*.py")):
        raise GradingError(f"Для уроку {lesson.id} ще немає перевірок ({target}).")
    earlier = manifest.earlier(lesson) if regressions else ()
    folders = [root / item.name for item in earlier if (root / item.name).is_dir()]
    return [*folders, target]


def _pytest_args(folders: list[Path], root: Path, work: Path, timeout: float) -> list[str]:
    ini = work / "pytest.ini"
    ini.write_text(PYTEST_INI, encoding="utf-8")
    return [
        *map(str, folders),
        "-c",
        str(ini),  # our own config: a pyproject.toml up the tree must not add options
        f"--rootdir={root}",
        f"--confcutdir={root}",
        *PLUGIN_ARGS,
        "-q",
        "--import-mode=importlib",  # lessons may reuse test file names
        f"--timeout={timeout:g}",
        "--timeout-method=signal",
        f"--basetemp={work / 'tmp'}",
    ]


def _environment(
    student: Path, results: Path, root: Path, lesson: Lesson, scratch: str | None = None
) -> dict[str, str]:
    """The mutation runs' environment (`base_env`: the app's settings, TEST_*, PYTEST_* and
    COURSE_* dropped, mail to a port where nothing listens), and the grader's own settings.

    A student's shell often holds the app's settings (Cloudinary keys, RATE_LIMIT_ENABLED=false
    from writing tests): they must not change a score. The copy runs on the grading session's
    embedded defaults, as a forked shard does, whose server imported the libraries in this
    environment. The mutation cache's folder is kept: where the student's runs are.
    """
    package_parent = str(Path(__file__).resolve().parent.parent)  # `course` importable there
    env = base_env() | {
        "PYTHONPATH": package_parent,
        STUDENT_DIR_ENV: str(student),
        RESULTS_ENV: str(results),
        ROOT_ENV: str(root),
        GRADED_ENV: lesson.name,  # a shard may not hold the graded lesson's checkpoints
    }
    if CACHE_ENV in os.environ:
        env[CACHE_ENV] = os.environ[CACHE_ENV]
    if scratch is not None:
        env[SCRATCH_ENV] = scratch
    return env


def _scratch() -> AbstractContextManager[str | None]:
    """A temp folder in memory (tmpfs) for the run's database, removed after the run; or None."""
    root = memory_temp_root()
    if root is not None:
        with contextlib.suppress(OSError):
            return tempfile.TemporaryDirectory(
                prefix="course-check-", dir=root, ignore_cleanup_errors=True
            )
    return nullcontext(None)


def _deadline(run: _Run, started: float, collected_at: float | None, timeout: float) -> float:
    if run.items is None or collected_at is None:
        return started + STARTUP_LIMIT
    # STARTUP_LIMIT again after collection: the one `alembic upgrade head` runs then.
    return collected_at + len(run.items) * (timeout + PER_TEST_SLACK) + STARTUP_LIMIT


def _watch(
    process: Run,
    results: Path,
    timeout: float,
    on_progress: ProgressCallback | None,
) -> tuple[_Run, bool]:
    """Follow the subprocess until it exits, or kill it at the wall limit; (events, killed)."""
    run, started = _Run(), time.monotonic()
    collected_at: float | None = None
    done_at: float | None = None
    while True:
        exited = process.poll() is not None
        run.read(results)
        now = time.monotonic()
        if run.items is not None and collected_at is None:
            collected_at = now
        if on_progress and run.items is not None:
            on_progress(len(run.results), len(run.items))
        if exited:
            return run, False
        done_at = done_at or (now if run.done else None)
        late = done_at is not None and now - done_at > EXIT_GRACE
        if late or now > _deadline(run, started, collected_at, timeout):
            stop_run(process)  # its session, and whatever the student's code started
            run.read(results)
            return run, not run.done
        try:
            process.wait(timeout=POLL)
        except subprocess.TimeoutExpired:
            pass


def _lesson_of(path: str, lessons: list[Lesson], root: Path) -> Lesson | None:
    for lesson in lessons:
        if Path(path).is_relative_to(root / lesson.name):
            return lesson
    return None


def _group(run: _Run, killed: bool, lessons: list[Lesson], root: Path) -> list[CheckpointResult]:
    """One result per (lesson, checkpoint id): parametrized items must all pass."""
    grouped: dict[tuple[str, str], CheckpointResult] = {}
    for item in run.items or []:
        lesson = _lesson_of(item["path"], lessons, root)
        key = (lesson.id if lesson else "?", item["id"])
        if key not in grouped:
            filename = Path(item["path"]).relative_to(root.parent).as_posix()
            grouped[key] = CheckpointResult(
                key[0],
                item["id"],
                item["title"],
                item["points"],
                item["hint"],
                filename,
                item["line"],
            )
        result = grouped[key]
        result.nodeids.append(item["nodeid"])
        _record(result, run.results.get(item["nodeid"]), killed)
    return list(grouped.values())


def _record(result: CheckpointResult, event: dict[str, Any] | None, killed: bool) -> None:
    if event is not None:
        result.add(event["outcome"], event["failure"], event["duration"])
        return
    if killed:
        reason = "Перевірку зупинено: вичерпано загальний ліміт часу"
    else:
        reason = "Перевірка не завершилася: процес pytest впав"
    result.add("failed", {"kind": "timeout", "reason": reason, "hint": KILLED_HINT}, 0.0)


def _errors(run: _Run, killed: bool, returncode: int | None, log: str) -> list[str]:
    errors = [
        f"Помилка в перевірках {error['nodeid']}:\n{error['message']}"
        for error in run.collect_errors
    ]
    if run.items is None:
        if killed:
            errors.append(f"Перевірки не запустилися за {STARTUP_LIMIT:g} с.")
        errors.append(f"pytest завершився з кодом {returncode} без результатів:\n{log[-3000:]}")
    elif not run.items:
        errors.append("Не знайдено жодної перевірки.")
    return errors


def _copy_problem(exc: OSError) -> str:
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list):
        source, _, why = exc.args[0][0]
        return f"{source}: {why}"
    return str(exc)


def _rewrite(text: str, copy: Path, original: Path) -> str:
    return text.replace(str(copy), str(original))


def shards(
    folders: list[Path], count: int = SHARDS, seconds: Mapping[str, float] | None = None
) -> list[list[Path]]:
    """Split lesson folders between `count` pytest processes, balanced by cost.

    A folder's cost is what its checkpoints took the fastest time they all passed (`seconds`,
    by folder name; see `timings`), else its checkpoint count times CHECKPOINT_SECONDS. A folder
    stays whole: the checkpoints of one testing lesson share their runs of the student's tests,
    which a process keeps in memory. Each shard keeps the lessons' order.
    """
    known = seconds or {}
    costs = {
        folder: known.get(folder.name, _checkpoint_count(folder) * CHECKPOINT_SECONDS)
        for folder in folders
    }
    loads: list[tuple[float, list[Path]]] = [(0.0, []) for _ in range(min(count, len(folders)))]
    for folder in sorted(folders, key=lambda folder: -costs[folder]):
        lightest = min(range(len(loads)), key=lambda index: loads[index][0])
        cost, chosen = loads[lightest]
        loads[lightest] = (cost + costs[folder], [*chosen, folder])
    return [sorted(chosen, key=folders.index) for _, chosen in loads if chosen]


def _timings_file() -> Path | None:
    folder = cache_dir()
    return None if folder is None else folder / TIMINGS_FILE


def timings() -> dict[str, float]:
    """Per lesson folder, the fastest grading in which all its checkpoints passed (seconds).

    Kept beside the mutation runs: a warm check costs what its checkpoints cost, and a lesson
    whose tests ran cold, or whose checkpoints failed early, says little about the next check.
    """
    path = _timings_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path else {}
    except (OSError, ValueError):
        return {}  # none yet, or unreadable: the checkpoint counts decide
    return {str(k): float(v) for k, v in data.items()} if isinstance(data, dict) else {}


def remember_timings(results: list[CheckpointResult], lessons: list[Lesson]) -> None:
    path = _timings_file()
    if path is None:
        return
    with locked(path):  # another grading's timings, written meanwhile, are not lost
        known = timings()
        for lesson in lessons:
            mine = [result for result in results if result.lesson == lesson.id]
            if mine and all(result.passed for result in mine):
                spent = sum(result.duration for result in mine)
                known[lesson.name] = min(spent, known.get(lesson.name, spent))
        with contextlib.suppress(OSError):  # timings that cannot be kept only cost balance
            write_atomically(path, json.dumps(known, sort_keys=True))


def _checkpoint_count(folder: Path) -> int:
    texts = (path.read_text(encoding="utf-8") for path in folder.glob("test_*.py"))
    return sum(text.count("@checkpoint(") for text in texts) or 1


_gradings = itertools.count()  # grade() calls in this process


@dataclass
class _Shard:
    """One pytest process of a grading run, in a folder of its own."""

    work: Path
    folders: list[Path]

    @property
    def copy(self) -> Path:
        return self.work / "student"


def _prepare(shard: _Shard, student: Path) -> None:
    shard.work.mkdir()
    # A private copy: whatever the code writes next to itself stays out of the student's tree.
    try:
        shutil.copytree(
            student, shard.copy, ignore=shutil.ignore_patterns(*TOOL_FOLDERS), symlinks=True
        )
    except OSError as exc:  # shutil.Error too: a file vanished or is unreadable mid-copy
        raise GradingError(f"Не вдалося скопіювати {student}: {_copy_problem(exc)}") from exc


def grade(
    lesson: Lesson,
    student: Path,
    *,
    manifest: Manifest,
    checkpoints: Path,
    timeout: float = DEFAULT_TIMEOUT,
    regressions: bool = True,
    only: Collection[str] = (),
    on_progress: ProgressCallback | None = None,
) -> GradeReport:
    """Grade `student` (never written to) against lesson's checkpoints (+ earlier lessons').

    The lessons' checkpoints run in up to SHARDS pytest processes at once (the machine's cores).
    `only`: the ids of the checkpoints to run, when not all of them.
    """
    student, checkpoints = student.resolve(), checkpoints.resolve()
    if not student.is_dir():
        raise GradingError(f"Тека {student} не існує.")
    folders = checkpoint_dirs(lesson, manifest, checkpoints, regressions)
    progress = _CombinedProgress(on_progress)
    again = next(_gradings) > 0
    with tempfile.TemporaryDirectory(prefix="course-check-") as raw, _scratch() as scratch:
        groups = shards(folders, seconds=timings())
        parts = [_Shard(Path(raw) / f"shard{n}", group) for n, group in enumerate(groups)]
        for shard in parts:
            _prepare(shard, student)

        def run(index: int) -> tuple[_Run, bool, int | None, str]:
            shard = parts[index]
            env = _environment(
                shard.copy, shard.work / "results.jsonl", checkpoints.parent, lesson, scratch
            )
            if only:
                env[ONLY_ENV] = ",".join(only)
            args = _pytest_args(shard.folders, checkpoints, shard.work, timeout)
            return _execute(args, env, shard.work, timeout, progress.of(index), again)

        with ThreadPoolExecutor(len(parts), thread_name_prefix="course-check") as pool:
            finished = list(pool.map(run, range(len(parts))))
    lessons = [*manifest.earlier(lesson), lesson]
    order = {item.id: position for position, item in enumerate(lessons)}
    everything: list[CheckpointResult] = []
    errors: list[str] = []
    for shard, (events, killed, returncode, log) in zip(parts, finished, strict=True):
        found = _group(events, killed, lessons, checkpoints)
        for result in found:
            result.reason = _rewrite(result.reason, shard.copy, student)
        everything += found
        shard_errors = (
            _rewrite(e, shard.copy, student) for e in _errors(events, killed, returncode, log)
        )
        errors += [error for error in shard_errors if error not in errors]
    everything.sort(key=lambda result: order.get(result.lesson, len(order)))  # stable
    if not errors and not only:  # a subset of the checkpoints is not what a folder costs
        remember_timings(everything, lessons)
    _locate_todos(everything, lessons, checkpoints.parent / "lessons")
    return GradeReport(
        lesson=lesson,
        results=[result for result in everything if result.lesson == lesson.id],
        regressions=[result for result in everything if result.lesson != lesson.id],
        errors=errors,
    )


def warm_up() -> None:
    """Start a fork server per shard for this process's next grading (`course check --watch`
    waits for a save meanwhile): its pytest processes then start without the imports."""
    start_idle_servers(SHARDS, base_env(), UNUSED_PLUGINS)


def _locate_todos(results: list[CheckpointResult], lessons: list[Lesson], root: Path) -> None:
    """Each failed result's `where`: the files of the TODOs its lesson's starter names it in."""
    failed = {result.lesson for result in results if not result.passed}
    for lesson in lessons:
        if lesson.id in failed:
            locations = todo_locations(root / lesson.name / "starter", lesson.id)
            for result in results:
                if result.lesson == lesson.id and not result.passed:
                    result.where = where_to_look(lesson.id, locations.get(result.id, []))


class _CombinedProgress:
    """One progress callback over all shards: checkpoints done / collected, summed."""

    def __init__(self, report: ProgressCallback | None) -> None:
        self.report = report
        self.counts: dict[int, tuple[int, int]] = {}
        self.lock = threading.Lock()

    def of(self, index: int) -> ProgressCallback | None:
        report = self.report
        if report is None:
            return None

        def update(done: int, total: int) -> None:
            with self.lock:
                self.counts[index] = (done, total)
                counts = self.counts.values()
                report(sum(done for done, _ in counts), sum(total for _, total in counts))

        return update


def _execute(
    args: list[str],
    env: dict[str, str],
    work: Path,
    timeout: float,
    on_progress: ProgressCallback | None,
    again: bool,
) -> tuple[_Run, bool, int | None, str]:
    """Run pytest ARGS in a session of its own; (events, killed, exit code, its output).

    Forked from a warm server, as the mutation runs are, when one is idle or when this process
    has graded before (`again`): a server's preload (~2.5 s of CPU) costs more than one
    pytest start, so only a process that grades again (`course check --watch`, the package's
    tests) starts servers for its shards, and then pays the imports once per server.
    """
    log_file, cwd = work / "pytest.log", work / "cwd"
    cwd.mkdir()
    with log_file.open("wb") as log:
        process = start_pytest(
            args,
            cwd,
            env,
            log,
            server_env=base_env(),
            unused_plugins=UNUSED_PLUGINS,
            start_server=again,
        )
        run, killed = _watch(process, Path(env[RESULTS_ENV]), timeout, on_progress)
    output = log_file.read_text(encoding="utf-8", errors="replace")
    return run, killed, process.returncode, output
