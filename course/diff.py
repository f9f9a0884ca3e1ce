"""`course diff`: the unified diff of a lesson, starter -> solved."""

from __future__ import annotations

import difflib
from pathlib import Path

from course.files import list_files


def _text(path: Path) -> list[str] | None:
    """The file's lines, [] when absent, None when binary."""
    if not path.is_file():
        return []
    try:
        return path.read_text(encoding="utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def file_diff(
    path: str, before_root: Path, after_root: Path, labels: tuple[str, str] = ("starter", "solved")
) -> str:
    """The unified diff of one file between two trees, headed `labels[0]/path`, `labels[1]/path`."""
    a, b = before_root / path, after_root / path
    old = f"{labels[0]}/{path}" if a.exists() else "/dev/null"
    new = f"{labels[1]}/{path}" if b.exists() else "/dev/null"
    before, after = _text(a), _text(b)
    if before is None or after is None:
        same = a.is_file() and b.is_file() and a.read_bytes() == b.read_bytes()
        return "" if same else f"Binary files {old} and {new} differ\n"
    lines = difflib.unified_diff(before, after, old, new)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def file_diffs(starter: Path, solved: Path) -> dict[str, str]:
    """Path -> its unified diff, for every file that differs between the two trees."""
    paths = sorted(set(list_files(starter)) | set(list_files(solved)))
    diffs = {path: file_diff(path, starter, solved) for path in paths}
    return {path: text for path, text in diffs.items() if text}


def lesson_diff(starter: Path, solved: Path) -> str:
    return "".join(file_diffs(starter, solved).values())
