"""How `uv run pytest` spreads the run: two pytest-xdist workers, each taking whole files.

The README's one test command runs the API's suite, the package's tests and the notebooks. Much
of it waits on one core (a notebook's kernel, a server starting, a browser) while the grading
tests keep two busy; two workers, each with whole files (module fixtures, a notebook's cells in
order), fill the idle core. Against real services (TEST_DATABASE_URL, TEST_REDIS_URL) the tests
share one database and one Redis: one worker then, as before.
"""

import os

import pytest

WORKERS = 2  # the machines this course runs on have two cores
SHARED_SERVICES = ("TEST_DATABASE_URL", "TEST_REDIS_URL")


@pytest.hookimpl(optionalhook=True)  # runs that switch xdist off (-p no:xdist) load this too
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (pyproject's addopts): 0, no workers at all, when the tests share services."""
    return 0 if any(os.environ.get(name) for name in SHARED_SERVICES) else WORKERS
