"""The package's tests grade for real: no mutation run is reused from an earlier `course check`.

Set at import, before any test: the grading subprocesses the tests start inherit it.
"""

import os

from course.mutation import CACHE_ENV

os.environ[CACHE_ENV] = "off"
