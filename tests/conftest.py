"""The package's tests grade for real: no mutation run is reused from an earlier `course check`.

The mutation cache (course/mutation.py) is a fresh, empty folder for this test session, set at
import, before any test: the grading subprocesses the tests start inherit it. Within the session
it is shared, as a student's cache is between two checks: a run's key holds every input of the
run (the reference, the student's tests, the mutant, the harness and the installed packages), so
two gradings that need the same run get the same outcome, and the second one reads it instead of
repeating it. Runs that hung or were killed are never stored.
"""

import os
import shutil
import tempfile

from course.mutation import CACHE_ENV

SESSION_CACHE = tempfile.mkdtemp(prefix="course-test-mutation-cache-")
os.environ[CACHE_ENV] = SESSION_CACHE


def pytest_unconfigure() -> None:
    shutil.rmtree(SESSION_CACHE, ignore_errors=True)
