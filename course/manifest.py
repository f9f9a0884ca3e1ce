"""The lesson manifest (`lessons.toml`) loaded into small dataclasses."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MANIFEST_PATH = Path(__file__).with_name("lessons.toml")
HOMEWORK = "homework"


class ManifestError(ValueError):
    """The manifest is malformed or a lesson reference is unknown."""


@dataclass(frozen=True)
class Lesson:
    id: str
    name: str
    title: str
    ordinal: int
    time: str = ""
    blocks: tuple[int, ...] = ()

    @property
    def is_homework(self) -> bool:
        return self.id == HOMEWORK

    @property
    def starter_stage(self) -> int:
        return 2 * self.ordinal

    @property
    def solved_stage(self) -> int:
        return 2 * self.ordinal + 1


@dataclass(frozen=True)
class Manifest:
    lessons: tuple[Lesson, ...]
    homework: Lesson

    @property
    def graded(self) -> tuple[Lesson, ...]:
        """Everything `course check` accepts: the lessons, then the homework."""
        return (*self.lessons, self.homework)

    @property
    def order(self) -> dict[str, int]:
        """Lesson id -> ordinal, as marker lines reference them."""
        return {lesson.id: lesson.ordinal for lesson in self.graded}

    @property
    def source_stage(self) -> int:
        """The stage of solution/ itself: everything, homework answers included."""
        return self.homework.solved_stage

    def get(self, key: str) -> Lesson:
        """Find a lesson by id ("03"), number ("3"), name ("03_rate_limiting")."""
        wanted = key.strip().lower()
        if wanted.isdigit():
            wanted = f"{int(wanted):02d}"
        for lesson in self.graded:
            if wanted in (lesson.id, lesson.name):
                return lesson
        known = ", ".join(lesson.id for lesson in self.graded)
        raise ManifestError(f"unknown lesson {key!r} (known: {known})")

    def earlier(self, lesson: Lesson) -> tuple[Lesson, ...]:
        """Snapshot lessons before `lesson` (the homework comes after all of them)."""
        return tuple(item for item in self.lessons if item.ordinal < lesson.ordinal)


def _lesson(raw: dict[str, object], ordinal: int) -> Lesson:
    blocks = raw.get("blocks", [])
    try:
        return Lesson(
            id=str(raw["id"]),
            name=str(raw["name"]),
            title=str(raw["title"]),
            ordinal=ordinal,
            time=str(raw.get("time", "")),
            blocks=tuple(int(block) for block in blocks) if isinstance(blocks, list) else (),
        )
    except KeyError as exc:
        raise ManifestError(f"lesson #{ordinal} lacks {exc.args[0]!r}") from exc


def parse_manifest(data: dict[str, object]) -> Manifest:
    raw_lessons = data.get("lesson")
    if not isinstance(raw_lessons, list) or not raw_lessons:
        raise ManifestError("the manifest has no [[lesson]] entries")
    lessons = tuple(_lesson(raw, index) for index, raw in enumerate(raw_lessons))
    raw_homework = data.get("homework")
    if not isinstance(raw_homework, dict):
        raise ManifestError("the manifest has no [homework] table")
    homework = _lesson(raw_homework, len(lessons))
    ids = [lesson.id for lesson in (*lessons, homework)]
    if len(set(ids)) != len(ids) or homework.id != HOMEWORK:
        raise ManifestError(f"lesson ids must be unique and end with {HOMEWORK!r}: {ids}")
    return Manifest(lessons=lessons, homework=homework)


@cache
def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    with path.open("rb") as handle:
        return parse_manifest(tomllib.load(handle))
