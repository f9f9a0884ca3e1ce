"""Where the course's folders are; every function takes them explicitly so tests can inject."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT_ENV = "COURSE_ROOT"
# Set by the grader for its pytest subprocess (read by course.grader_plugin).
STUDENT_DIR_ENV = "COURSE_STUDENT_DIR"
RESULTS_ENV = "COURSE_RESULTS_FILE"
SCRATCH_ENV = "COURSE_SCRATCH_DIR"  # a folder in memory (tmpfs) for the run's database, if any
GRADED_ENV = "COURSE_GRADED_LESSON"  # the folder name of the lesson `course check` grades
ONLY_ENV = "COURSE_ONLY_CHECKPOINTS"  # comma-separated ids: grade just these checkpoints


@dataclass(frozen=True)
class CoursePaths:
    root: Path

    @classmethod
    def default(cls) -> CoursePaths:
        """$COURSE_ROOT, else the repository this package lives in."""
        raw = os.environ.get(ROOT_ENV)
        return cls(Path(raw).resolve() if raw else Path(__file__).resolve().parent.parent)

    @property
    def source(self) -> Path:
        return self.root / "solution"

    @property
    def lessons(self) -> Path:
        return self.root / "lessons"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    def is_course_copy(self, folder: Path) -> bool:
        """Whether `folder` is the course's own (solution/ or a lesson snapshot), not a student's."""
        resolved = folder.resolve()
        return any(resolved.is_relative_to(own) for own in (self.source, self.lessons))
