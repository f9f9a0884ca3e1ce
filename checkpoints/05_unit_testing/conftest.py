"""Lesson 05 grades the student's tests/unit: on the solved app, then on seeded bugs."""

from pathlib import Path

import pytest

from course import mutation
from course.mutants import UNIT


@pytest.fixture
def unit_suite(request: pytest.FixtureRequest, student_dir: Path, course_root: Path):
    return mutation.suite_for(request.session, student_dir, course_root, UNIT.lesson, UNIT.paths)
