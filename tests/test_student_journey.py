"""A student's way through the course with the real snapshots, checkpoints and `course` command.

Every command runs in a subprocess, and every next step `course` prints is run exactly as printed,
from where the student is (`bash -c`): `course start 00` → the printed `course check 00` (not yet)
→ the edits the instructor's `course diff 00` shows, applied with `patch` → the printed check
passes with full marks → `course catch-up 04` (01-03 skipped: the finished files are the course's,
none is kept) → the printed `course check 04`: its own TODOs open, lessons 00-03 green, readable
at 80 columns → `course status` shows both → `course checklist` (homework level 1) →
`course catch-up homework` (its starter, the printed next step its check). Every hunk
of the diff is led by a TODO(00) line of the starter (tests/test_snapshots.py (b)), so these are
edits at the TODO places only.

Ctrl-C mid-grade (and during a hang) stops everything at once: exit 130, no traceback, no process
left behind. `course check --watch` re-grades when a file is saved. Waits are bounded polls with
a deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import psutil
import pytest
from child_processes import Output

from course.files import list_files
from course.grader import SHARDS
from course.mutation import CACHE_ENV
from course.processes import free_port, kill_tree, stop_tree

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
COMMAND_SECONDS = 300
WATCH_SECONDS = 120.0
NEXT_STEP = "Далі: "


# What a student's shell holds after lessons 02-03: Cloudinary keys exported to try real
# uploads, the limiter switched off while writing tests. A grading runs the copy on embedded
# defaults: with these set, a copy that is right still passes (02 and 03 are re-checked by 04).
STUDENT_SHELL = {
    "CLOUDINARY_CLOUD_NAME": "my-cloud",
    "CLOUDINARY_API_KEY": "123456789012345",
    "CLOUDINARY_API_SECRET": "not-a-real-secret",
    "RATE_LIMIT_ENABLED": "false",
    "JWT_SECRET_KEY": "my-own-secret",
}


def course_env() -> dict[str, str]:
    """The course of this repository (where `uv run --project` finds it), no earlier result
    reused, in a student's shell (STUDENT_SHELL).

    uv may use only the lock file and its cache: the test needs no network.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("COURSE_")}
    return (
        env
        | STUDENT_SHELL
        | {CACHE_ENV: "off", "UV_FROZEN": "1", "UV_OFFLINE": "1", "COLUMNS": "80"}
    )


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env=course_env(),
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    )


def course(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "course", *args], cwd)


def as_printed(
    done: subprocess.CompletedProcess[str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run the next step a `course` command printed, as the student would paste it."""
    return run(["bash", "-c", next_step(done)], cwd)


def next_step(done: subprocess.CompletedProcess[str]) -> str:
    """The one command after `Далі: ` that a `course` command printed."""
    steps = [line for line in done.stdout.splitlines() if line.startswith(NEXT_STEP)]
    assert len(steps) == 1, done.stdout + done.stderr
    return steps[0].removeprefix(NEXT_STEP)


def files_of(folder: Path) -> dict[str, bytes]:
    return {path: (folder / path).read_bytes() for path in list_files(folder)}


def everything_in(folder: Path) -> set[str]:
    """Every file under `folder`, whatever git or the course would skip (.venv, uv.lock...)."""
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def score(workspace: Path, lesson: str) -> dict[str, object]:
    progress = json.loads((workspace / ".course" / "progress.json").read_text(encoding="utf-8"))
    return progress["scores"][lesson]


def apply_lesson_diff(lesson: str, workspace: Path, cwd: Path) -> None:
    """The edits the instructor live-codes: `course diff NN` applied with `patch`."""
    diff = course("diff", lesson, cwd=cwd)
    assert diff.returncode == 0 and diff.stdout.startswith("--- "), diff.stderr
    patched = subprocess.run(
        ["patch", "-p1", "-E", "--no-backup-if-mismatch", "-d", str(workspace)],
        input=diff.stdout,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert patched.returncode == 0, patched.stdout + patched.stderr


class Started(NamedTuple):
    here: Path  # where the student typed `course start`
    workspace: Path
    done: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> Started:
    """`course start 00` in an empty folder, as the student types it."""
    here = tmp_path_factory.mktemp("student")
    done = course("start", "00", cwd=here)
    assert done.returncode == 0, done.stdout + done.stderr
    return Started(here, here / "workspace", done)


@pytest.fixture(scope="module")
def workspace(started: Started) -> Path:
    return started.workspace


def test_the_way_from_lesson_00_to_04(started: Started) -> None:
    here, workspace = started.here, started.workspace
    given = {*list_files(LESSONS / "00_overview/starter"), ".course/progress.json"}
    assert everything_in(workspace) == given

    before = as_printed(started.done, here)
    assert before.returncode == 1 and "Бали:" in before.stdout, before.stdout + before.stderr
    first = score(workspace, "00")
    assert first["passed"] is False and first["score"] < first["max_score"], first
    # Graded where it stands: nothing written there but the progress file (no .venv, no uv.lock).
    assert everything_in(workspace) == given

    apply_lesson_diff("00", workspace, here)
    assert files_of(workspace) == files_of(LESSONS / "00_overview/solved")
    after = as_printed(started.done, here)
    assert after.returncode == 0, after.stdout + after.stderr
    final = score(workspace, "00")
    assert final["passed"] is True and final["score"] == final["max_score"], final

    # Lessons 01-03 missed: every finished file is what solved(00) gave, none is kept.
    caught_up = course("catch-up", "04", "workspace", cwd=here)
    assert caught_up.returncode == 0, caught_up.stdout + caught_up.stderr
    assert "конфлікт" not in caught_up.stdout
    assert files_of(workspace) == files_of(LESSONS / "04_redis_caching/starter")
    checked = as_printed(caught_up, here)
    assert checked.returncode == 1, checked.stdout + checked.stderr  # 04's own TODOs are open
    assert "Попередні уроки: усі" in checked.stdout and "Регресії" not in checked.stdout
    lines = checked.stdout.splitlines()  # COLUMNS=80: wrapped between words, nothing cut off
    assert max(map(len, lines)) <= 80 and "…" not in checked.stdout, checked.stdout

    status = course("status", "workspace", cwd=here)
    assert status.returncode == 0
    assert f"{final['score']}/{final['max_score']}" in status.stdout, status.stdout
    assert f"0/{score(workspace, '04')['max_score']}" in status.stdout, status.stdout

    # The homework's level 1: no stack running here, no coverage report yet.
    silent = f"http://127.0.0.1:{free_port()}"
    homework = course("checklist", "workspace", "--url", silent, cwd=here)
    assert homework.returncode == 1 and "docker-compose up" in homework.stdout, homework.stdout

    # On to levels 2 and 3: the homework's starter replaces 04's untouched files. Its printed
    # check is not run here: it re-grades all nine lessons (tests/test_snapshots.py grades it).
    onward = course("catch-up", "homework", "workspace", cwd=here)
    assert onward.returncode == 0, onward.stdout + onward.stderr
    assert files_of(workspace) == files_of(LESSONS / "homework/starter")
    assert next_step(onward) == next_step(caught_up).removesuffix(" 04") + " homework"


@pytest.fixture
def watching(workspace: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Output]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "course", "check", "00", "--path", str(workspace), "--watch"],
        cwd=tmp_path,
        env=course_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the cleanup stops it and its graders
    )
    assert process.stdout is not None
    try:
        yield process, Output(process.stdout)
    finally:
        stop_tree(process, timeout=15)


def test_watch_regrades_after_a_save(
    watching: tuple[subprocess.Popen[str], Output], workspace: Path
) -> None:
    process, output = watching
    deadline = time.monotonic() + WATCH_SECONDS
    saved = 0
    while output.count("Бали:") < 2:
        assert process.poll() is None, f"`course check --watch` exited:\n{output.text()}"
        assert time.monotonic() < deadline, f"no second grading after a save:\n{output.text()}"
        if output.count("Стежу за змінами"):
            # Saved until the watcher (which starts after the first grading) sees one.
            saved += 1
            (workspace / "notes.md").write_text(f"save {saved}\n", encoding="utf-8")
        time.sleep(0.5)  # the poll interval of a bounded loop, not a fixed wait
    assert output.count("Стежу за змінами") >= 1


def grading_processes(pid: int) -> list[psutil.Process]:
    with contextlib.suppress(psutil.Error):
        children = psutil.Process(pid).children(recursive=True)
        return [child for child in children if "course.grader_plugin" in child.cmdline()]
    return []


def results_written(temp: Path) -> bool:
    files = temp.glob("course-check-*/shard*/results.jsonl")
    return any('"event": "result"' in path.read_text(encoding="utf-8") for path in files)


def is_gone(process: psutil.Process) -> bool:
    with contextlib.suppress(psutil.Error):
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    return True


HANG = "import time\n\nwhile True:  # the student's code hangs at import\n    time.sleep(0.05)\n"


@pytest.fixture(params=["checkpoints running", "the code hangs"])
def interrupted(
    request: pytest.FixtureRequest, workspace: Path, tmp_path: Path
) -> tuple[str, Path]:
    """A copy to grade at the moment of the Ctrl-C: the real workspace mid-grade, or one whose
    code hangs (with a 10-minute limit per checkpoint only Ctrl-C can end that grading)."""
    if request.param == "checkpoints running":
        return request.param, workspace
    copy = tmp_path / "hanging"
    shutil.copytree(workspace, copy)
    main = copy / "app" / "main.py"
    main.write_text(HANG + main.read_text(encoding="utf-8"), encoding="utf-8")
    return request.param, copy


def test_ctrl_c_stops_the_grading_at_once_and_cleanly(
    interrupted: tuple[str, Path], tmp_path: Path
) -> None:
    moment, copy = interrupted
    temp, report = tmp_path / "tmp", tmp_path / "report.json"
    temp.mkdir()
    command = [sys.executable, "-m", "course", "check", "04", "--path", str(copy)]
    process = subprocess.Popen(
        [*command, "--json", str(report), "--timeout", "600"],
        cwd=tmp_path,
        env=course_env() | {"TMPDIR": str(temp)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a terminal's foreground group: Ctrl-C goes to all of it
    )
    assert process.stdout is not None
    output, graders = Output(process.stdout), []
    try:
        deadline = time.monotonic() + WATCH_SECONDS
        while len(graders) < SHARDS or (moment != "the code hangs" and not results_written(temp)):
            assert process.poll() is None, output.text()
            assert time.monotonic() < deadline, f"no grading to interrupt:\n{output.text()}"
            time.sleep(0.05)  # the poll interval of a bounded loop, not a fixed wait
            graders = grading_processes(process.pid)
        os.killpg(process.pid, signal.SIGINT)
        os.killpg(process.pid, signal.SIGINT)  # impatient: a second one mid clean-up
        assert process.wait(timeout=60) == 130, output.text()
        left_behind = [grader for grader in graders if not is_gone(grader)]
    finally:
        for leftover in [process, *graders]:
            kill_tree(leftover)
    text = output.text()
    assert "Перевірку перервано" in text and "Traceback" not in text, text
    assert not left_behind, left_behind  # nothing grades on after `course` exited
    assert not list(temp.glob("course-check-*")), list(temp.iterdir())  # temp folders removed
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["status"] == "error" and "перервано" in data["tests"][0]["message"]
