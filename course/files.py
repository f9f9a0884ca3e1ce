"""Listing the files of a tree the way git sees it, and small file helpers."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import subprocess
import threading
from collections.abc import Iterable, Iterator, Sequence
from fnmatch import fnmatch
from pathlib import Path

# Build and run artefacts never belong to a snapshot, whatever .gitignore says.
SKIP_PARTS = frozenset(
    {"__pycache__", ".venv", "media", ".git", ".course", ".pytest_cache", ".ruff_cache"}
)
SKIP_SUFFIXES = (".db", ".pyc")
# Environments, version control and tools' caches: no copy of a student's project takes them.
TOOL_FOLDERS = (
    ".venv",
    "venv",
    ".git",
    "__pycache__",
    ".course",
    "node_modules",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    "htmlcov",
)
# A tmpfs where the machine has one: each SQLite commit is an fsync, ~10 ms on a disk and next to
# nothing in memory, and test runs commit thousands of times.
MEMORY_TMP = Path("/dev/shm")


def _git_files(root: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files, or None outside a git work tree."""
    command = ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others"]
    try:
        done = subprocess.run(
            [*command, "--exclude-standard", "--", "."], capture_output=True, check=False
        )
    except OSError:
        return None
    if done.returncode != 0:
        return None
    return [item for item in done.stdout.decode("utf-8").split("\0") if item]


def _walk(root: Path) -> list[str]:
    found: list[str] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [name for name in dirs if name not in SKIP_PARTS]
        base = Path(folder).relative_to(root)
        found.extend((base / name).as_posix() for name in names)
    return found


def read_patterns(path: Path) -> list[str]:
    """Glob patterns of an ignore file: one a line, `#` comments and blank lines skipped."""
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _matches(path: str, pattern: str) -> bool:
    parts = path.split("/")
    if pattern.endswith("/"):  # a folder: any of the path's parent folders
        folder = pattern.rstrip("/")
        return any(_matches("/".join(parts[: i + 1]), folder) for i in range(len(parts) - 1))
    if "/" in pattern.lstrip("/"):  # anchored at the root
        anchored = pattern.lstrip("/")
        return fnmatch(path, anchored) or path.startswith(anchored.rstrip("/") + "/")
    return any(fnmatch(part, pattern) for part in parts)


def is_skipped(path: str, patterns: Sequence[str] = ()) -> bool:
    parts = path.split("/")
    if SKIP_PARTS.intersection(parts) or path.endswith(SKIP_SUFFIXES):
        return True
    return any(_matches(path, pattern) for pattern in patterns)


def list_files(root: Path, patterns: Sequence[str] = ()) -> list[str]:
    """Relative posix paths of the files under `root` that git would track, minus artefacts."""
    if not root.is_dir():
        return []
    found = _git_files(root)
    candidates = found if found is not None else _walk(root)
    return sorted(
        path
        for path in set(candidates)
        if not is_skipped(path, patterns) and (root / path).is_file()
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_executable(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IXUSR)


def write_file(path: Path, data: bytes, executable: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    mode = path.stat().st_mode
    exec_bits = stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
    path.chmod(mode | exec_bits if executable else mode & ~exec_bits)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` (and its folders) so that a concurrent reader, another grading
    included, sees the old file or the new one, never half of one. OSError when it cannot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the lock of `path` (a `.lock` file beside it) against other processes: of two
    gradings that read, compute and write `path` at once, the second waits for the first.

    An advisory lock of the kernel's (POSIX): it dies with its holder, so a grading killed
    mid-way leaves nothing to clean up. Without fcntl (Windows), or where the folder cannot be
    written, nothing is locked: each grading does its own work, as it would anyway.
    """
    if os.name != "posix":
        yield
        return
    import fcntl  # POSIX only

    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = path.with_suffix(".lock").open("a")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def remove_empty_dirs(root: Path, paths: Iterable[str]) -> None:
    """Remove the now-empty parent folders of removed files, up to (not including) root."""
    for path in sorted(paths, key=lambda item: -item.count("/")):
        folder = (root / path).parent
        while folder != root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


def memory_temp_root() -> str | None:
    """The folder for short-lived test databases: MEMORY_TMP when writable, else None (the
    system's temp folder)."""
    if MEMORY_TMP.is_dir() and os.access(MEMORY_TMP, os.W_OK | os.X_OK):
        return str(MEMORY_TMP)
    return None
