"""A student's lesson with the real snapshots, checkpoints and `course` command, in subprocesses.

`course start 03` → `course check 03` (not yet: below the maximum) → the edits the instructor's
`course diff 03` shows, applied with `patch` → `course check 03` passes with full marks →
`course status` shows it. Every hunk of that diff is led by a TODO(03) line of the starter
(tests/test_snapshots.py (b)), so these are edits at the TODO places only.

`course check --watch` re-grades when a file is saved. Waits are bounded polls with a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from child_processes import Output

from course.files import list_files
from course.mutation import CACHE_ENV

ROOT = Path(__file__).resolve().parent.parent
LESSON, LESSON_DIR = "03", ROOT / "lessons" / "03_rate_limiting"
COMMAND_SECONDS = 300
WATCH_SECONDS = 120.0


def course_env() -> dict[str, str]:
    """This repository's course, and no result of an earlier check reused."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("COURSE_")}
    return env | {"COURSE_ROOT": str(ROOT), CACHE_ENV: "off"}


def course(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "course", *args],
        cwd=cwd,
        env=course_env(),
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    )


def files_of(folder: Path) -> dict[str, bytes]:
    return {path: (folder / path).read_bytes() for path in list_files(folder)}


def score(workspace: Path, lesson: str) -> dict[str, object]:
    progress = json.loads((workspace / ".course" / "progress.json").read_text(encoding="utf-8"))
    return progress["scores"][lesson]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("student") / "workspace"
    started = course("start", LESSON, str(folder), cwd=folder.parent)
    assert started.returncode == 0, started.stdout + started.stderr
    return folder


def test_start_then_todo_edits_reach_full_marks(workspace: Path, tmp_path: Path) -> None:
    assert files_of(workspace) == files_of(LESSON_DIR / "starter")

    before = course("check", LESSON, "--path", str(workspace), cwd=tmp_path)
    assert before.returncode == 1, before.stdout + before.stderr
    first = score(workspace, LESSON)
    assert first["passed"] is False and first["score"] < first["max_score"], first

    diff = course("diff", LESSON, cwd=tmp_path)
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
    assert files_of(workspace) == files_of(LESSON_DIR / "solved")

    after = course("check", LESSON, "--path", str(workspace), cwd=tmp_path)
    assert after.returncode == 0, after.stdout + after.stderr
    final = score(workspace, LESSON)
    assert final["passed"] is True and final["score"] == final["max_score"], final

    status = course("status", str(workspace), cwd=tmp_path)
    assert status.returncode == 0
    assert f"{final['score']}/{final['max_score']}" in status.stdout, status.stdout


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
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


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
