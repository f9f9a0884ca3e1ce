"""A student's workspace: `start`, `catch-up` and the progress file under `.course/`."""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from course.files import is_executable, list_files, remove_empty_dirs, sha256, write_file

COURSE_DIR = ".course"
PROGRESS_FILE = "progress.json"


class WorkspaceError(RuntimeError):
    """A user-facing refusal (Ukrainian message)."""


def progress_path(workspace: Path) -> Path:
    return workspace / COURSE_DIR / PROGRESS_FILE


def read_progress(workspace: Path) -> dict[str, Any]:
    path = progress_path(workspace)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_progress(workspace: Path, data: dict[str, Any]) -> None:
    path = progress_path(workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def next_step(workspace: Path, root: Path, *args: str) -> str:
    """The shell line that runs `course ARGS` inside `workspace`, typed from the current folder.

    `uv run --project <root>` runs the course's own environment while the student stays in the
    workspace: a bare `course` is not on the PATH, and a bare `uv run` would take the workspace's
    pyproject.toml for the project (and create a .venv and uv.lock there).
    """
    root, folder = root.resolve(), workspace.resolve()
    project = os.path.relpath(root, folder) if folder.is_relative_to(root) else str(root)
    command = shlex.join(["uv", "run", "--project", project, "course", *args])
    return f"cd {shlex.quote(str(workspace))} && {command}"


def now_stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def record_score(workspace: Path, lesson_id: str, score: int, max_score: int, passed: bool) -> None:
    """Store the last score of a lesson; the only write `course check` does in a copy."""
    data = read_progress(workspace)
    scores = data.setdefault("scores", {})
    scores[lesson_id] = {
        "score": score,
        "max_score": max_score,
        "passed": passed,
        "checked_at": now_stamp(),
    }
    write_progress(workspace, data)


def snapshot_hashes(folder: Path) -> dict[str, str]:
    return {path: sha256((folder / path).read_bytes()) for path in list_files(folder)}


def _copy(src: Path, dest: Path) -> None:
    write_file(dest, src.read_bytes(), is_executable(src))


def _require_snapshot(starter: Path) -> None:
    if not starter.is_dir():
        raise WorkspaceError(f"Немає знімка {starter}: спершу виконайте `uv run course build`.")


def start(lesson_id: str, starter: Path, dest: Path) -> list[str]:
    """Copy a starter into an empty (or new) folder and record what was given."""
    _require_snapshot(starter)
    if dest.exists() and not dest.is_dir():
        raise WorkspaceError(f"{dest} — це файл, а потрібна тека.")
    if dest.exists() and any(dest.iterdir()):
        raise WorkspaceError(f"Тека {dest} не порожня: оберіть іншу або скористайтеся catch-up.")
    files = list_files(starter)
    for path in files:
        _copy(starter / path, dest / path)
    data = {"lesson": lesson_id, "files": snapshot_hashes(starter), "started_at": now_stamp()}
    write_progress(dest, data)
    return files


@dataclass
class CatchUp:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    backup: Path | None = None


def _current_hash(path: Path) -> str | None:
    return sha256(path.read_bytes()) if path.is_file() else None


def _plan(
    recorded: str | None, current: str | None, target: str | None, known: set[str], force: bool
) -> str:
    """What to do with one file, by content hashes: keep, add, update, remove or conflict.

    `known`: the file's versions in every snapshot the student passed through. A file equal to
    one of them (or absent) is the course's, not the student's work, so it is never kept.
    """
    if current == target:
        return "keep"
    if _is_theirs(recorded, current, known) and not force:
        return "conflict"
    if target is None:
        return "remove"
    return "add" if current is None else "update"


def _is_theirs(recorded: str | None, current: str | None, known: set[str]) -> bool:
    return current is not None and current != recorded and current not in known


def passed_snapshots(lessons: Path, passed: Iterable[str]) -> dict[str, set[str]]:
    """Per file, the content hashes of the starter and solved snapshots of the lessons passed."""
    versions: dict[str, set[str]] = {}
    for name in passed:
        for stage in ("starter", "solved"):
            for path, digest in snapshot_hashes(lessons / name / stage).items():
                versions.setdefault(path, set()).add(digest)
    return versions


def _backup(workspace: Path, path: str, stamp: str) -> Path:
    folder = workspace / COURSE_DIR / "backup" / stamp
    source = workspace / path
    if source.is_file():
        _copy(source, folder / path)
    return folder


def catch_up(
    lesson_id: str,
    starter: Path,
    workspace: Path,
    *,
    passed: dict[str, set[str]] | None = None,
    force: bool = False,
) -> CatchUp:
    """Bring a workspace to a lesson's starter without losing the student's edits.

    `passed` (see passed_snapshots): the versions of each file the course handed out before;
    a file equal to one of them is replaced like an untouched one.
    """
    _require_snapshot(starter)
    progress = read_progress(workspace)
    recorded: dict[str, str] = progress.get("files", {})
    targets, known = snapshot_hashes(starter), passed or {}
    result, stamp = CatchUp(), datetime.now().strftime("%Y%m%d-%H%M%S")
    for path in sorted(set(recorded) | set(targets)):
        current = _current_hash(workspace / path)
        versions = known.get(path, set())
        action = _plan(recorded.get(path), current, targets.get(path), versions, force)
        if action != "keep" and _is_theirs(recorded.get(path), current, versions):
            result.backup = _backup(workspace, path, stamp)  # only reached with --force
        _apply(action, path, starter, workspace, result)
    remove_empty_dirs(workspace, result.removed)
    progress.update(lesson=lesson_id, files=targets, caught_up_at=now_stamp())
    write_progress(workspace, progress)
    return result


def _apply(action: str, path: str, starter: Path, workspace: Path, result: CatchUp) -> None:
    if action in ("add", "update"):
        _copy(starter / path, workspace / path)
        (result.added if action == "add" else result.updated).append(path)
    elif action == "remove":
        (workspace / path).unlink(missing_ok=True)
        result.removed.append(path)
    elif action == "conflict":
        result.conflicts.append(path)
