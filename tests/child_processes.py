"""Helpers for the child processes the tests start: environment, output, waits."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest

from course.processes import PYTHON_BIN, kill_tree, scrubbed_env

# pytest-cov's, pytest's and the API suite's own variables must not steer a child.
NOT_INHERITED = ("TEST_", "COV_CORE", "PYTEST_")
STOP_SECONDS = 15.0

T = TypeVar("T")


def child_env(*, drop: Iterable[str] = (), **settings: str) -> dict[str, str]:
    """This environment without NOT_INHERITED and `drop` (names or prefixes), plus `settings`;
    this interpreter's bin/ first on PATH, output unbuffered."""
    return scrubbed_env(
        (),
        (*NOT_INHERITED, *drop),
        first_on={"PATH": PYTHON_BIN},
        PYTHONUNBUFFERED="1",
        **settings,
    )


class Output:
    """Collects a child's merged stdout/stderr in a thread, so the pipe never fills up."""

    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def find(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        with self._lock:
            for line in self.lines:
                match = pattern.search(line)
                if match:
                    return match
        return None

    def count(self, needle: str) -> int:
        with self._lock:
            return sum(line.count(needle) for line in self.lines)

    def text(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def close(self) -> None:
        self._thread.join(timeout=5)


def poll(check: Callable[[], T | None], seconds: float, what: str, interval: float = 0.2) -> T:
    """Call `check` until it returns something other than None, at most `seconds` long."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(interval)  # the poll interval of a bounded loop, not a fixed wait


@contextmanager
def running(
    command: list[str], *, env: dict[str, str], cwd: Path
) -> Iterator[tuple[subprocess.Popen[str], Output]]:
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: cleanup cannot touch anything else
    )
    assert process.stdout is not None
    output = Output(process.stdout)
    try:
        yield process, output
    finally:
        kill_tree(process)
        output.close()
