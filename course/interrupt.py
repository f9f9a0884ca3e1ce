"""Ctrl-C during a grading: every process `course` started is killed before the interrupt unwinds.

The grader runs pytest in sessions of their own (so a hang can be killed as a group), which also
means a terminal's Ctrl-C never reaches them: without this they would grade on after `course`
exited, and the grader's temp folders, still written to, would fail to be removed (a traceback).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType

import psutil

REAP_INTERVAL = 0.05  # seconds between sweeps, while the interrupted grading unwinds


def kill_descendants() -> None:
    """SIGKILL every process below this one, with the process groups they lead (their children,
    even those already re-parented away from us)."""
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error, OSError):
            _kill_group_it_leads(child.pid)
            child.kill()


def _kill_group_it_leads(pid: int) -> None:
    if not hasattr(os, "killpg"):  # Windows: no process groups to kill
        return
    group = os.getpgid(pid)
    if group == pid and group != os.getpgid(0):
        os.killpg(group, signal.SIGKILL)


class _Reaper:
    """Sweeps for descendants until stopped: a grading thread may start one after the Ctrl-C."""

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="course-reaper", daemon=True)

    def _run(self) -> None:
        while True:
            kill_descendants()
            if self.stopped.wait(REAP_INTERVAL):
                return

    def stop(self) -> None:
        """After an interrupt: the last sweep, once the grading has unwound."""
        if self.thread.ident is None:  # never started: no interrupt, nothing to kill
            return
        self.stopped.set()
        self.thread.join()
        kill_descendants()


@contextlib.contextmanager
def children_die_on_interrupt() -> Iterator[None]:
    """Inside: the first SIGINT kills all descendants and raises KeyboardInterrupt; later ones
    are ignored, so nothing interrupts the clean-up the first one started."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # started to ignore it (nohup, `&`)
        yield
        return
    reaper = _Reaper()

    def interrupted(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        reaper.thread.start()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        reaper.stop()
        signal.signal(signal.SIGINT, previous)
