"""The generated snapshots (lessons/NN_name/{starter,solved}, lessons/homework/starter) are what
the course promises. The homework has a starter only: its "solved" is solution/ itself.

(a) they are in sync with solution/ (`course build --check`) and clean for ruff (lint, import
    order and format, as a student runs it inside one);
(b) every change a lesson makes (starter → solved; for the homework, its starter → solution/ as
    rendered at its own stage) is led by a `TODO(NN)` of that lesson: each hunk
    of the unified diff (3 lines of context) has a `TODO(NN)` line on its starter side, unless it
    only adds or removes imports (the generator drops those the starter does not use: the code
    that needs them is asked for by a TODO), and every new file is named in a `TODO(NN)` line
    of the starter;
(c) nothing leaks: no marker text, no `TODO(MM)` outside starter(MM), no homework code (the
    homework's starter names it in its TODO comments only);
(d) each one starts on its own from inside its folder (`alembic upgrade head`, then uvicorn on
    embedded defaults): /docs answers, and /health too once the lesson is solved;
(e) the tests a snapshot carries pass inside it (solved 05: tests/unit; solved 06 and 08: tests/),
    and starter(05) brings no unit tests of its own;
(f) the checkpoints tell them apart, one by one: EVERY checkpoint of lesson NN fails on
    starter(NN) (no free points) and passes on solved(NN); `course check NN` passes on solved(NN)
    with every earlier lesson re-checked there too (so each lesson's checkpoints pass on every
    later snapshot); every homework checkpoint fails on the homework's starter and passes on
    solution/, with every lesson re-checked. Each snapshot is graded once; the
    per-checkpoint tests read its report.

The slow parts run in the background from the start of the module, two at a time (these machines
have two cores), while the quick checks go on. Grading a testing lesson (05, 06) runs the
snapshot's tests against seeded bugs, a minute or two each (on two cores the module takes 6-8 min).
For a quicker local run, SNAPSHOTS_QUICK_GRADING=1 re-checks solved(06), solved(07) and solved(08)
against lessons 00-04 and their own lesson only, not against 05 and 06 again, and grades the
homework's starter without re-checking the lessons.
"""

from __future__ import annotations

import ast
import difflib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import Background, rendered_solution, selected

from course import mutation
from course.files import list_files
from course.grader import GradeReport, grade
from course.manifest import Lesson, load_manifest
from course.processes import free_port, scrubbed_env, stop_tree
from course.todos import TODO_TAG

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
CHECKPOINTS = ROOT / "checkpoints"
MANIFEST = load_manifest()
KINDS = ("starter", "solved")
SNAPSHOTS = [(lesson, kind) for lesson in MANIFEST.lessons for kind in KINDS]
SNAPSHOTS.append((MANIFEST.homework, "starter"))  # its answers are solution/: no solved snapshot
FULL_GRADING = os.environ.get("SNAPSHOTS_QUICK_GRADING") != "1"
# Lessons whose checkpoints grade tests (mutation runs): expensive to repeat as regressions.
TESTING_LESSONS = {"05", "06"}
CHEAP_REGRESSIONS = "04"  # grading this lesson with regressions re-checks 00..04, in seconds

STARTUP_SECONDS = 20.0
STOP_SECONDS = 10.0
SUITE_SECONDS = 300.0
GRADING_SECONDS = 900.0
GRADING_TEST = "test_checkpoints_tell_starter_from_solved"
CHECKPOINT_TEST = "test_checkpoint_fails_on_starter_and_passes_on_solved"
HOMEWORK_TEST = "test_homework_checkpoints_tell_its_starter_from_the_solution"

# What must never reach a snapshot.
MARKER_TEXT = re.compile(r">>>|<<<|---\s*todo\b|^[ \t]*#\|", re.MULTILINE)
HOMEWORK_TEXT = re.compile(r"password[-_]reset", re.IGNORECASE)

# A snapshot runs on embedded defaults only: the settings and knobs the mutation harness scrubs
# for a student's tests (the app's settings, TEST_*, PYTEST_*, ...), and any COV_* besides.
SCRUBBED = mutation.SCRUBBED
SCRUBBED_PREFIXES = (*mutation.SCRUBBED_PREFIXES, "COV_")


def folder(lesson: Lesson, kind: str) -> Path:
    return LESSONS / lesson.name / kind


def snapshot_id(value: object) -> str:
    if isinstance(value, tuple):
        lesson, kind = value
        return f"{lesson.id}-{kind}"
    return value.id if isinstance(value, Lesson) else str(value)


def clean_env(**extra: str) -> dict[str, str]:
    # PYTHONDONTWRITEBYTECODE: nothing written into the snapshot.
    return scrubbed_env(SCRUBBED, SCRUBBED_PREFIXES, PYTHONDONTWRITEBYTECODE="1", **extra)


def decoded(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


@cache
def texts(lesson: Lesson, kind: str) -> dict[str, str | None]:
    """Every file of a snapshot (as the build lists them): its text, None when binary.

    The homework's "solved" is solution/ rendered at its own stage (the markers cut out).
    """
    if lesson.is_homework and kind == "solved":
        return {path: decoded(file.data) for path, file in rendered_solution().items()}
    root = folder(lesson, kind)
    found: dict[str, str | None] = {}
    for path in list_files(root):
        try:
            found[path] = (root / path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            found[path] = None
    return found


# --- the slow parts, started in the background ---------------------------------------------------


@dataclass
class Finished:
    returncode: int
    output: str
    seconds: float

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


def run(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Finished:
    started = time.monotonic()
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout
        return Finished(-1, f"{output or ''}\n[timed out after {timeout:g} s]", timeout)
    return Finished(done.returncode, done.stdout + done.stderr, time.monotonic() - started)


def run_suite(lesson_id: str, kind: str, *paths: str) -> Finished:
    command = [sys.executable, "-m", "pytest", *paths, *mutation.PYTEST_OPTIONS]
    return run(command, folder(MANIFEST.get(lesson_id), kind), clean_env(), SUITE_SECONDS)


SUITES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "06-solved": ("06", "solved", ("tests",)),
    "08-solved": ("08", "solved", ("tests",)),
    "05-solved": ("05", "solved", ("tests/unit",)),
    "05-starter": ("05", "starter", ("tests/unit",)),
}


@dataclass(frozen=True)
class Grading:
    graded: str  # the lesson whose checkpoints run
    kind: str  # the snapshot graded ("starter", "solved"), or "solution" for solution/
    of: str  # the lesson the snapshot belongs to
    regressions: bool

    @property
    def path(self) -> Path:
        if self.kind == "solution":
            return ROOT / "solution"
        return folder(MANIFEST.get(self.of), self.kind)

    @property
    def label(self) -> str:
        scope = f"{self.graded} and earlier" if self.regressions else f"{self.graded} only"
        where = "solution/" if self.kind == "solution" else f"{self.of}/{self.kind}"
        return f"course check {scope} on {where}"


# The homework starts from its starter (the finished course app with its TODOs); its answers live
# in solution/ only.
HOMEWORK_GRADINGS = (
    Grading("homework", "starter", "homework", regressions=FULL_GRADING),
    Grading("homework", "solution", "homework", regressions=FULL_GRADING),
)


def has_checkpoints(lesson: Lesson) -> bool:
    return any((CHECKPOINTS / lesson.name).glob("test_*.py"))


def checkpoint_ids(lesson: Lesson) -> list[str]:
    """The id of every `@checkpoint(id=...)` in the lesson's folder, read from the source."""
    found: list[str] = []
    for path in sorted((CHECKPOINTS / lesson.name).glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "checkpoint":
                ids = [kw.value for kw in node.keywords if kw.arg == "id"]
                found += [item.value for item in ids if isinstance(item, ast.Constant)]
    return sorted(set(found), key=found.index)


# (lesson, checkpoint id) of every checkpoint of the course, the homework's included.
CHECKPOINTS_OF_COURSE = [
    (lesson, checkpoint) for lesson in MANIFEST.graded for checkpoint in checkpoint_ids(lesson)
]


def gradings() -> list[Grading]:
    """What (f) grades; the slowest first, so they start as early as possible."""
    planned: list[Grading] = []
    for lesson in MANIFEST.lessons:
        if not has_checkpoints(lesson):
            continue
        planned.append(Grading(lesson.id, "starter", lesson.id, regressions=False))
        expensive = any(earlier.id in TESTING_LESSONS for earlier in MANIFEST.earlier(lesson))
        if FULL_GRADING or not expensive:
            planned.append(Grading(lesson.id, "solved", lesson.id, regressions=True))
        else:
            planned.append(Grading(lesson.id, "solved", lesson.id, regressions=False))
            planned.append(Grading(CHEAP_REGRESSIONS, "solved", lesson.id, regressions=True))

    def cost(item: Grading) -> int:
        """0: runs the tests of a testing lesson against its mutants; 1: the rest."""
        last_testing = max(TESTING_LESSONS)
        testing = item.graded in TESTING_LESSONS or (
            item.regressions and item.graded > last_testing
        )
        return 0 if testing and item.kind == "solved" else 1

    return sorted(planned, key=cost)


def run_grading(item: Grading) -> tuple[GradeReport, float]:
    started = time.monotonic()
    report = grade(
        MANIFEST.get(item.graded),
        item.path,
        manifest=MANIFEST,
        checkpoints=CHECKPOINTS,
        regressions=item.regressions,
    )
    return report, time.monotonic() - started


@pytest.fixture(scope="module")
def background(request: pytest.FixtureRequest) -> Iterator[Background]:
    jobs = Background()
    # Only what the selected tests need: the long gradings first, then the suites, the rest.
    lessons = {lesson.id for lesson in selected(request, GRADING_TEST, "lesson")}
    lessons |= {lesson.id for lesson, _ in selected(request, CHECKPOINT_TEST, "checkpoint")}
    planned = [item for item in gradings() if item.of in lessons]
    names = {
        getattr(item, "originalname", "")
        for item in request.session.items
        if item.path == request.path
    }
    if HOMEWORK_TEST in names or MANIFEST.homework.id in lessons:
        planned = [*HOMEWORK_GRADINGS, *planned]  # re-checks every lesson: the longest jobs
    suites = selected(request, "test_snapshot_tests_pass_inside_it", "key")
    if "test_starter_05_brings_no_unit_tests" in names:
        suites.add("05-starter")
    long = [item for item in planned[:2] if item.kind == "solved"]
    for item in long:
        jobs.submit(item, lambda item=item: run_grading(item))
    for key in (key for key in SUITES if key in suites):
        lesson_id, kind, paths = SUITES[key]
        jobs.submit(key, lambda args=(lesson_id, kind, *paths): run_suite(*args))
    for item in planned:  # the long ones again: already submitted, kept once
        jobs.submit(item, lambda item=item: run_grading(item))
    yield jobs
    jobs.close()


@pytest.fixture(scope="module", autouse=True)
def _start_background_jobs(background: Background) -> None:
    """Requested by every test, so the slow jobs start with the first one."""


# --- (a) in sync -----------------------------------------------------------------------------


def test_build_check_is_clean() -> None:
    done = run([sys.executable, "-m", "course", "build", "--check"], ROOT, dict(os.environ), 120)
    assert done.returncode == 0, f"`course build --check`:\n{done.tail(60)}"


@pytest.mark.parametrize(("lesson", "kind"), SNAPSHOTS, ids=snapshot_id)
def test_snapshot_is_clean_for_ruff(lesson: Lesson, kind: str) -> None:
    """A student's `ruff check` (import order too) and `ruff format --check` find nothing to say
    about code they did not write: run from inside the snapshot, with its own settings."""
    ruff = [sys.executable, "-m", "ruff"]
    for command in (["check", "--extend-select", "F401,I"], ["format", "--check"]):
        done = run([*ruff, *command, "--no-cache", "."], folder(lesson, kind), clean_env(), 60)
        assert done.returncode == 0, f"ruff {command[0]} in {lesson.name}/{kind}:\n{done.tail()}"


# --- (b) every change is led by a TODO -------------------------------------------------------


@dataclass(frozen=True)
class Hunk:
    header: str
    starter_lines: list[str]  # the starter side, context included
    imports_only: bool  # every changed line is blank or part of an import statement


def import_lines(text: str, path: str) -> set[int]:
    """0-based numbers of the lines of every import statement of a Python file."""
    if not path.endswith(".py"):
        return set()
    return {
        number
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for number in range(node.lineno - 1, (node.end_lineno or node.lineno))
    }


def hunks(before: str, after: str, path: str) -> list[Hunk]:
    """The hunks of the unified diff starter → solved (3 lines of context)."""
    old, new = before.splitlines(), after.splitlines()
    imports_before, imports_after = import_lines(before, path), import_lines(after, path)
    found: list[Hunk] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for group in matcher.get_grouped_opcodes(3):
        starter = [line for _, i1, i2, _, _ in group for line in old[i1:i2]]
        changed_old = [i for tag, i1, i2, _, _ in group if tag != "equal" for i in range(i1, i2)]
        changed_new = [j for tag, _, _, j1, j2 in group if tag != "equal" for j in range(j1, j2)]
        imports_only = all(i in imports_before or not old[i].strip() for i in changed_old) and all(
            j in imports_after or not new[j].strip() for j in changed_new
        )
        header = f"@@ -{group[0][1] + 1} +{group[0][3] + 1} @@"
        found.append(Hunk(header, starter, imports_only))
    return found


def unled_changes(lesson: Lesson) -> list[str]:
    starter, solved = texts(lesson, "starter"), texts(lesson, "solved")
    tag = f"TODO({lesson.id})"
    todo_lines = [
        line for text in starter.values() if text for line in text.splitlines() if tag in line
    ]
    unled: list[str] = []
    for path in sorted(starter.keys() | solved.keys()):
        if path not in starter:
            if not any(path in line for line in todo_lines):
                unled.append(f"{path}: a new file that no {tag} line of the starter names")
            continue
        before, after = starter[path], solved.get(path, "")
        if before is None or after is None:
            continue  # binary: copied unchanged into every snapshot
        for hunk in hunks(before, after, path):
            # An import the solved code needs follows from the TODO that asks for that code.
            if not hunk.imports_only and not any(tag in line for line in hunk.starter_lines):
                context = "\n    ".join(hunk.starter_lines[:8])
                unled.append(f"{path} {hunk.header}: no {tag} in\n    {context}")
    return unled


@pytest.mark.parametrize("lesson", MANIFEST.graded, ids=snapshot_id)
def test_every_change_of_the_lesson_is_led_by_a_todo(lesson: Lesson) -> None:
    unled = unled_changes(lesson)
    assert not unled, (
        f"starter → solved of lesson {lesson.id}: {len(unled)} change(s) a student cannot find "
        "from a TODO:\n" + "\n".join(unled)
    )


# --- (c) nothing leaks -----------------------------------------------------------------------


def is_comment(line: str, path: str) -> bool:
    """A comment line of Python or YAML, or an HTML/Jinja comment: where a TODO is written."""
    stripped = line.strip()
    if path.endswith((".md", ".html")):
        return stripped.startswith(("<!--", "{#"))
    return stripped.startswith("#")


def leaks(lesson: Lesson, kind: str) -> list[str]:
    allowed = {lesson.id} if kind == "starter" else set()
    found: list[str] = []
    for path, text in texts(lesson, kind).items():
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            where = f"{path}:{number}: {line.strip()[:90]}"
            if MARKER_TEXT.search(line):
                found.append(f"marker text at {where}")
            for tag in TODO_TAG.findall(line):
                if tag not in allowed:
                    found.append(f"TODO({tag}) at {where}")
            asked_for = lesson.is_homework and kind == "starter" and is_comment(line, path)
            if HOMEWORK_TEXT.search(line) and not asked_for:
                found.append(f"homework code at {where}")
    return found


@pytest.mark.parametrize(("lesson", "kind"), SNAPSHOTS, ids=snapshot_id)
def test_nothing_leaks_into_the_snapshot(lesson: Lesson, kind: str) -> None:
    found = leaks(lesson, kind)
    assert not found, f"{lesson.name}/{kind}:\n" + "\n".join(found[:40])


def test_every_snapshot_is_complete() -> None:
    for lesson, kind in SNAPSHOTS:
        files = texts(lesson, kind)
        for needed in ("app/main.py", "README.md", ".env.example", "requirements.txt"):
            assert needed in files, f"{lesson.name}/{kind} lacks {needed}"
        assert "alembic.ini" in files and "pyproject.toml" in files


# --- (d) every snapshot starts on its own ----------------------------------------------------


def start_snapshot(lesson: Lesson, kind: str) -> str:
    """Migrate and start one snapshot from inside its folder; '' when it works, else why not."""
    root = folder(lesson, kind)
    with tempfile.TemporaryDirectory(prefix=f"snapshot-{lesson.id}-{kind}-") as raw:
        tmp = Path(raw)
        env = clean_env(
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/s.db",
            REDIS_URL="memory://",
            MEDIA_DIR=str(tmp / "media"),  # the solved apps create it: not inside the snapshot
        )
        migrate = run([sys.executable, "-m", "alembic", "upgrade", "head"], root, env, 60)
        if migrate.returncode != 0:
            return f"`alembic upgrade head` failed:\n{migrate.tail()}"
        port = free_port()
        log = tmp / "uvicorn.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)],
                cwd=root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop_tree reaches all of it
            )
        try:
            problem = probe(f"http://127.0.0.1:{port}", process, health=kind == "solved")
        finally:
            stop_tree(process, timeout=STOP_SECONDS)  # SIGTERM; SIGKILL if it lingers
        if problem:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            return f"{problem}\n--- uvicorn output ---\n{tail}"
    return ""


def probe(base: str, process: subprocess.Popen[Any], *, health: bool) -> str:
    deadline = time.monotonic() + STARTUP_SECONDS
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"uvicorn exited with code {process.returncode}"
        try:
            docs = httpx.get(f"{base}/docs", timeout=2)
        except httpx.HTTPError as exc:
            last = repr(exc)
        else:
            if docs.status_code != 200:
                return f"GET /docs answered {docs.status_code}"
            if not health:
                return ""
            answer = httpx.get(f"{base}/health", timeout=5)
            if answer.status_code != 200:
                return f"GET /health answered {answer.status_code}: {answer.text[:300]}"
            return ""
        time.sleep(0.2)
    return f"GET /docs did not answer within {STARTUP_SECONDS:g} s ({last})"


@pytest.mark.parametrize("lesson", MANIFEST.lessons, ids=snapshot_id)
def test_starter_and_solved_start_on_their_own(lesson: Lesson) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:  # the two snapshots of a lesson at once
        problems = dict(zip(KINDS, pool.map(lambda kind: start_snapshot(lesson, kind), KINDS)))
    failed = {kind: why for kind, why in problems.items() if why}
    assert not failed, "\n\n".join(f"{lesson.name}/{kind}: {why}" for kind, why in failed.items())


# --- (e) the snapshots' own tests ------------------------------------------------------------


@pytest.mark.timeout(SUITE_SECONDS + 60)
@pytest.mark.parametrize("key", ["05-solved", "06-solved", "08-solved"])
def test_snapshot_tests_pass_inside_it(background: Background, key: str) -> None:
    lesson_id, kind, paths = SUITES[key]
    done: Finished = background.result(
        key, lambda: run_suite(lesson_id, kind, *paths), SUITE_SECONDS + 30
    )
    where = f"{MANIFEST.get(lesson_id).name}/{kind}"
    assert done.returncode == 0, f"`pytest {' '.join(paths)}` inside {where}:\n{done.tail()}"
    assert re.search(r"\d+ passed", done.output), done.tail()


@pytest.mark.timeout(SUITE_SECONDS + 60)
def test_starter_05_brings_no_unit_tests(background: Background) -> None:
    lesson_id, kind, paths = SUITES["05-starter"]
    done: Finished = background.result(
        "05-starter", lambda: run_suite(lesson_id, kind, *paths), SUITE_SECONDS + 30
    )
    # Exit code 5: pytest collected nothing. The student writes every unit test.
    assert done.returncode == 5, f"`pytest tests/unit` inside starter(05):\n{done.tail()}"
    assert not re.search(r"\d+ passed", done.output), done.tail()


# --- (f) the checkpoints tell starter from solved --------------------------------------------


def describe(report: GradeReport) -> str:
    lines = [f"score {report.score}/{report.max_score}, passed={report.passed}"]
    lines += [f"error: {error[:500]}" for error in report.errors]
    for result in [*report.results, *report.regressions]:
        if not result.passed:
            lines.append(f"  {result.lesson} {result.id} {result.title}: {result.reason[:300]}")
    return "\n".join(lines)


def graded_report(background: Background, item: Grading) -> tuple[GradeReport, str]:
    """The report of one grading (each runs once per module) and a summary for failures."""
    report, seconds = background.result(item, lambda: run_grading(item), 3 * GRADING_SECONDS)
    return report, f"{item.label} ({seconds:.0f} s): {describe(report)}"


@pytest.mark.timeout(3 * GRADING_SECONDS)
@pytest.mark.parametrize("lesson", MANIFEST.lessons, ids=snapshot_id)
def test_checkpoints_tell_starter_from_solved(background: Background, lesson: Lesson) -> None:
    if not has_checkpoints(lesson):
        pytest.skip(f"checkpoints/{lesson.name}/ has no checkpoints yet")
    for item in (item for item in gradings() if item.of == lesson.id):
        report, summary = graded_report(background, item)
        assert not report.errors, summary
        if item.graded == lesson.id:
            # Every checkpoint graded is one CHECKPOINT_TEST knows (and proves one by one).
            graded = [result.id for result in report.results]
            assert graded == checkpoint_ids(lesson), summary
        if item.kind == "solved":
            # `course check NN` exits 0 on lessons/NN/solved, earlier lessons re-checked there.
            assert report.passed, summary


def report_of(background: Background, grading: Grading, checkpoint: str) -> tuple[bool, str]:
    """(passed, why) of one checkpoint in one grading's report."""
    report, summary = graded_report(background, grading)
    found = [result for result in report.results if result.id == checkpoint]
    assert len(found) == 1, f"{checkpoint} not graded once by {summary}"
    return found[0].passed, f"{grading.label}: {checkpoint} {found[0].reason}\n{summary}"


def tells_apart(lesson: Lesson) -> tuple[Grading, Grading]:
    """(where the lesson starts, where it is done): the gradings a checkpoint must tell apart."""
    if lesson.is_homework:
        return HOMEWORK_GRADINGS
    mine = [item for item in gradings() if item.of == lesson.id and item.graded == lesson.id]
    starter = next(item for item in mine if item.kind == "starter")
    return starter, next(item for item in mine if item.kind == "solved")


@pytest.mark.timeout(3 * GRADING_SECONDS)
@pytest.mark.parametrize(
    "checkpoint",
    CHECKPOINTS_OF_COURSE,
    ids=[checkpoint for _, checkpoint in CHECKPOINTS_OF_COURSE],
)
def test_checkpoint_fails_on_starter_and_passes_on_solved(
    background: Background, checkpoint: tuple[Lesson, str]
) -> None:
    """No free points, no impossible ones: the untouched starter fails it, the solved passes."""
    lesson, checkpoint_id = checkpoint
    start, done = tells_apart(lesson)
    passed, why = report_of(background, start, checkpoint_id)
    assert not passed, f"a free point: {why}"
    passed, why = report_of(background, done, checkpoint_id)
    assert passed, why


@pytest.mark.timeout(3 * GRADING_SECONDS)
def test_homework_checkpoints_tell_its_starter_from_the_solution(background: Background) -> None:
    start, answers = HOMEWORK_GRADINGS
    report, seconds = background.result(start, lambda: run_grading(start), 3 * GRADING_SECONDS)
    summary = f"{start.label} ({seconds:.0f} s): {describe(report)}"
    # Not done yet: the homework's score is below its maximum, the lessons all still pass.
    assert not report.errors and not report.failed_regressions, summary
    assert not report.passed and report.score < report.max_score, summary

    report, seconds = background.result(answers, lambda: run_grading(answers), 3 * GRADING_SECONDS)
    summary = f"{answers.label} ({seconds:.0f} s): {describe(report)}"
    assert report.passed and report.score == report.max_score > 0, summary
