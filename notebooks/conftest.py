"""Every notebook here is a test: nbval runs its cells and compares the stored outputs.

`uv run pytest` reaches this folder through `testpaths`; these settings make it collect the
notebooks as if `--nbval` had been given, and only here (no other folder holds notebooks, and
a run of other paths never loads this file).
"""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.option.nbval = True
    # The kernel of this environment (the one `uv run` set up), whatever kernels are installed.
    config.option.nbval_current_env = True
    # nbval would start coverage inside every kernel and wait a minute for it; the coverage
    # gate counts solution/app under the tests, not under the notebooks.
    config.option.cov_source = None
