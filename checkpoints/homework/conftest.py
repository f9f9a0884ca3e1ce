"""The homework grades the student's tests against solution/ (its answers are in no snapshot)."""

from pathlib import Path

import pytest

from course.mutants import HOMEWORK, HOMEWORK_UNIT


@pytest.fixture
def homework_suite(request: pytest.FixtureRequest, student_dir: Path, course_root: Path):
    return HOMEWORK.suite(request, student_dir, course_root)


@pytest.fixture
def homework_unit_suite(request: pytest.FixtureRequest, student_dir: Path, course_root: Path):
    """The student's tests/unit alone: HW.7 is earned by a unit test, not by the integration one."""
    return HOMEWORK_UNIT.suite(request, student_dir, course_root)
