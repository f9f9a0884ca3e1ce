"""Lesson 06 grades the student's tests/integration: on the solved app, then on seeded bugs."""

from pathlib import Path

import pytest

from course import mutation
from course.mutants import INTEGRATION

COVERED = ("tests/unit", "tests/integration")


@pytest.fixture
def integration_suite(request: pytest.FixtureRequest, student_dir: Path, course_root: Path):
    return INTEGRATION.suite(request, student_dir, course_root)


@pytest.fixture
def coverage_suite(request: pytest.FixtureRequest, student_dir: Path, course_root: Path):
    """Unit and integration tests together, as `pytest tests/ --cov=app` runs them."""
    lesson = INTEGRATION.lesson
    return mutation.suite_for(request.session, student_dir, course_root, lesson, COVERED)
