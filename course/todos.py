"""Where a checkpoint's work is: the `TODO(NN)` lines of a lesson's starter that name it.

Every `TODO(NN)` line of solution/ names its checkpoints in one form, right after the tag:
`# TODO(04) [чекпойнт 04.3]: …`, `[чекпойнти 04.2, 04.8]`, `[чекпойнти 07.1–07.7]` (a range).
`course check` adds the files of a failed checkpoint's TODOs to its hint.
"""

from __future__ import annotations

import re
from pathlib import Path

from course.files import list_files

TODO_TAG = re.compile(r"TODO\((?P<lesson>[^)\s]*)\)")  # an empty tag too: a leak to report
NAMED = re.compile(r"TODO\((?P<lesson>[^)\s]+)\) \[чекпойнти? (?P<ids>[^\]]+)\]")
RANGE = re.compile(r"(?P<lesson>\w+)\.(?P<first>\d+)–(?P=lesson)\.(?P<last>\d+)")


def named_checkpoints(line: str) -> list[str]:
    """The checkpoint ids a `TODO(NN) [чекпойнт …]` line names, ranges expanded; [] if none."""
    match = NAMED.search(line)
    if match is None:
        return []
    ids: list[str] = []
    for item in match["ids"].split(", "):
        span = RANGE.fullmatch(item)
        if span is None:
            ids.append(item)
        else:
            first, last = int(span["first"]), int(span["last"])
            ids += [f"{span['lesson']}.{number}" for number in range(first, last + 1)]
    return ids


def todo_lines(starter: Path, lesson_id: str) -> list[tuple[str, int, str]]:
    """(relative path, line number, line) of every `TODO(lesson_id)` line under `starter`."""
    found: list[tuple[str, int, str]] = []
    for path in list_files(starter):
        try:
            text = (starter / path).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if any(tag == lesson_id for tag in TODO_TAG.findall(line)):
                found.append((path, number, line))
    return found


def todo_locations(starter: Path, lesson_id: str) -> dict[str, list[tuple[str, int]]]:
    """Checkpoint id -> [(relative path, line)] of the starter's TODO lines that name it."""
    where: dict[str, list[tuple[str, int]]] = {}
    for path, number, line in todo_lines(starter, lesson_id):
        for checkpoint_id in named_checkpoints(line):
            where.setdefault(checkpoint_id, []).append((path, number))
    return where


def where_to_look(lesson_id: str, locations: list[tuple[str, int]]) -> str:
    """`TODO(04) у app/api/deps.py, app/core/cache.py` — the files once each, in order; or ''."""
    files = list(dict.fromkeys(path for path, _ in locations))
    return f"TODO({lesson_id}) у {', '.join(files)}" if files else ""
