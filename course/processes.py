"""Process plumbing for the grader, the mutation harness, the demo, the checkpoints and the tests.

- `kill_tree` / `stop_tree`: end a process with everything below it, the process groups they
  lead included (a grading pytest runs in a session of its own, so a hang can be killed whole);
- `children_die_on_interrupt`: Ctrl-C during a grading kills every process `course` started
  before the interrupt unwinds. The pytest processes run in sessions of their own, so a
  terminal's Ctrl-C never reaches them: without this they would grade on after `course` exited,
  and the grader's temp folders, still written to, would fail to be removed (a traceback);
- `free_port`, `scrubbed_env`: a port and an environment for a child process;
- `append_event` / `read_events`: the JSON-lines file a pytest plugin writes for its parent
  (course/mutation_probe.py writes the same format on its own: it runs where `course` is not
  importable);
- `start_pytest` / `stop_run` / `start_idle_servers` / `close_servers`: a `python -m pytest`
  run (a mutation run, a grading shard), forked from a warm server (course/forkserver.py) where
  the system can fork.
  The servers are shared by every thread of the process: a run takes an idle one, or starts
  one, and gives it back when it ends. A process that starts many runs (the package's tests,
  a grading's mutation pool) pays the imports of pytest and the app's libraries once per server.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO

import psutil

from course import forkserver

KILL = getattr(signal, "SIGKILL", signal.SIGTERM)  # psutil's SIGTERM on Windows terminates
STOP_GRACE = 10.0  # seconds a stopped process gets to exit before it is killed
REAP_INTERVAL = 0.05  # seconds between sweeps, while an interrupted grading unwinds
FORKING = hasattr(os, "fork")  # where runs are forked from warm servers
REPLY_GRACE = 10.0  # seconds for a server to report a child it was told to kill
PYTHON_BIN = str(Path(sys.executable).parent)  # this environment's scripts (alembic, uvicorn)

Target = subprocess.Popen[Any] | psutil.Process | int


# --- ending processes -------------------------------------------------------------------------


def _family(target: Target) -> list[psutil.Process]:
    """The process and every process below it now; [] when it is gone."""
    if isinstance(target, subprocess.Popen):
        if target.returncode is not None:  # reaped: its pid may be another process's by now
            return []
        target = target.pid
    try:
        root = target if isinstance(target, psutil.Process) else psutil.Process(target)
        return [root, *root.children(recursive=True)] if root.is_running() else []
    except psutil.Error:
        return []


def _send(processes: Iterable[psutil.Process], signum: int) -> None:
    """`signum` to each process, or to the whole process group it leads (unless it is ours)."""
    ours = os.getpgid(0) if hasattr(os, "killpg") else None
    for process in processes:
        with contextlib.suppress(psutil.Error, OSError):
            if not process.is_running():  # gone (a reused pid is another process)
                continue
            group = os.getpgid(process.pid) if ours is not None else None
            if group == process.pid and group != ours:
                os.killpg(group, signum)
            else:
                process.send_signal(signum)


def kill_tree(target: Target) -> None:
    """SIGKILL a process, the process group it leads and every process below it (with the groups
    they lead: their children, even those already re-parented away). A Popen is reaped."""
    _send(_family(target), KILL)
    if isinstance(target, subprocess.Popen):
        target.wait()


def stop_tree(
    process: subprocess.Popen[Any], signum: int = signal.SIGTERM, timeout: float = STOP_GRACE
) -> int:
    """`signum` to a process and everything below it (as a terminal's Ctrl-C reaches its whole
    foreground group), up to `timeout` s for it to exit, then kill_tree of whatever is left,
    what was below it before the signal included; its exit code."""
    family = _family(process)
    _send(family, signum)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)
    _send([*family, *_family(process)], KILL)
    return process.wait()


def kill_descendants() -> None:
    """SIGKILL every process below this one, with the process groups they lead."""
    with contextlib.suppress(psutil.Error):
        _send(psutil.Process().children(recursive=True), KILL)


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


# --- what a child process gets ----------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port of `host` that nothing listens on at the moment (the system's pick)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def scrubbed_env(
    drop_names: Iterable[str] = (),
    drop_prefixes: Iterable[str] = (),
    *,
    first_on: Mapping[str, str] | None = None,
    **extra: str,
) -> dict[str, str]:
    """This process's environment without `drop_names` and the names that start with one of
    `drop_prefixes`; each `first_on` folder put first on its search path (PATH, PYTHONPATH);
    then `extra`."""
    names, prefixes = frozenset(drop_names), tuple(drop_prefixes)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in names and not key.startswith(prefixes)
    }
    for name, folder in (first_on or {}).items():
        env[name] = os.pathsep.join(part for part in (folder, env.get(name, "")) if part)
    env.update(extra)
    return env


# --- JSON-lines events from a child process ---------------------------------------------------


def append_event(path: Path, event: Mapping[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(event, ensure_ascii=False) + "\n")


def read_events(path: Path, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The events of the complete lines after byte `offset`, and the offset past them: a line
    still being written waits for the next read; one cut short by a kill is never complete."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
    except FileNotFoundError:
        return [], offset
    complete = chunk[: chunk.rfind(b"\n") + 1]
    events = []
    # Not splitlines(): the JSON may hold U+2028.
    for line in complete.decode("utf-8", errors="replace").split("\n"):
        if line.strip():
            with contextlib.suppress(json.JSONDecodeError):
                events.append(json.loads(line))
    return events, offset + len(complete)


# --- pytest runs, forked from warm servers ----------------------------------------------------


class Forked:
    """A run forked by a fork server: waited for through the server, killed by its pid."""

    def __init__(self, server: forkserver.Server, target: psutil.Process | int) -> None:
        self.server = server
        self.target = target
        self.returncode: int | None = None

    def wait(self, timeout: float) -> int:
        """The run's exit code; subprocess.TimeoutExpired after `timeout` seconds. Once it has
        one, the server goes back to the idle ones; ServerGone drops the server."""
        if self.returncode is None:
            try:
                self.returncode = self.server.wait(timeout)
            except forkserver.ServerGone:
                _drop(self.server)
                raise
            _give_back(self.server)
        return self.returncode

    def poll(self) -> int | None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.wait(0)
        return None


class Spawned(subprocess.Popen[bytes]):
    """A run started as a process of its own (no fork server)."""

    @property
    def target(self) -> subprocess.Popen[bytes]:
        return self


Run = Forked | Spawned

_idle: list[forkserver.Server] = []  # started, alive when last seen, forking nothing now
_servers: set[forkserver.Server] = set()  # every server started and not dropped
_servers_lock = threading.Lock()


def start_pytest(
    args: list[str],
    cwd: Path,
    env: Mapping[str, str],
    log: BinaryIO,
    *,
    server_env: Mapping[str, str],
    unused_plugins: tuple[str, ...],
    start_server: bool = True,
) -> Run:
    """`python -m pytest ARGS` in `cwd` with `env`, output to `log`, in a session of its own
    (a hang is killed whole; a terminal's Ctrl-C reaches `course`, which kills it).

    Forked from an idle server, or (`start_server`) from one started now, in `server_env`, its
    preload skipping `unused_plugins`; a process of its own where there is no fork or no server.
    """
    server = _take(server_env, unused_plugins, start_server)
    if server is not None:
        try:
            pid = server.start(args, str(cwd), dict(env), str(log.name))
        except forkserver.ServerGone:  # died since its last run: a new one for the next run
            _drop(server)
        except BaseException:  # the fork under way is lost with its server
            _drop(server)
            raise
        else:
            with contextlib.suppress(psutil.Error):  # gone already: its exit is on its way
                return Forked(server, psutil.Process(pid))  # no kill reaches a reused pid
            return Forked(server, pid)
    command = [sys.executable, "-m", "pytest", *args]
    return Spawned(
        command,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )


def stop_run(run: Run) -> None:
    """Kill the run with everything it started; its server too, unless it reports the kill."""
    kill_tree(run.target)
    if isinstance(run, Forked):
        try:
            run.wait(REPLY_GRACE)
        except (subprocess.TimeoutExpired, forkserver.ServerGone):
            _drop(run.server)


def close_servers() -> None:
    """Kill every server with its runs (the end of a grading: nobody will wait for them)."""
    with _servers_lock:
        servers = list(_servers)
    for server in servers:
        _drop(server)


def _take(
    server_env: Mapping[str, str], unused_plugins: tuple[str, ...], start: bool
) -> forkserver.Server | None:
    """An idle server that is alive, else (`start`) a new one; None without fork or when none
    starts."""
    while True:
        with _servers_lock:
            if not _idle:
                break
            server = _idle.pop()  # the one used last: its memory is the warmest
        if server.process.poll() is None:
            return server
        _drop(server)  # died idle: its children, if any, with it
    return _new_server(server_env, unused_plugins) if start else None


def _new_server(
    server_env: Mapping[str, str], unused_plugins: tuple[str, ...]
) -> forkserver.Server | None:
    if not FORKING:
        return None
    try:
        server = forkserver.Server(server_env, unused_plugins)
    except OSError:  # no server this time (the run starts on its own); another next run
        return None
    with _servers_lock:
        _servers.add(server)
    return server


def start_idle_servers(
    count: int, server_env: Mapping[str, str], unused_plugins: tuple[str, ...]
) -> None:
    """Start servers until `count` are idle: the next runs fork at once (a process that waits
    for its next grading starts them meanwhile)."""
    while len(_idle) < count:
        server = _new_server(server_env, unused_plugins)
        if server is None:
            return
        _give_back(server)


def _give_back(server: forkserver.Server) -> None:
    with _servers_lock:
        if server in _servers and server not in _idle:
            _idle.append(server)


def _drop(server: forkserver.Server) -> None:
    """Kill a server with its children; it forks nothing more."""
    kill_tree(server.process)
    with _servers_lock:
        _servers.discard(server)
        if server in _idle:
            _idle.remove(server)
