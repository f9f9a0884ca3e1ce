"""Lesson 05 grades the student's tests/unit: on the solved app, then on seeded bugs."""

from pathlib import Path

import pytest

from course.mutants import UNIT


@pytest.fixture
def unit_suite(request: pytest.FixtureRequest, student_dir: Path, course_root: Path):
    return UNIT.suite(request, student_dir, course_root)
