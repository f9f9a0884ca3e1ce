"""A warm process that starts each mutation run by forking: the imports are paid once.

Every run of the student's tests (course/mutation.py) is a `python -m pytest` of its own, and
most of a start is importing pytest, its plugins and the app's libraries (FastAPI, SQLAlchemy,
pydantic, httpx, redis, ...): ~1.5 s of CPU, ~24 times per `course check 06`. This server
imports them once, then forks one child per run; the child becomes the run (its folder,
environment, output, sys.path) and calls `pytest.main`. The app under test and the probe plugin
are never imported here: each child imports them fresh, so the probe can plant its mutant. A
child is a copy: whatever a run changes (variables, patched modules, threads) dies with it.

Protocol, JSON lines: a request {"argv", "cwd", "env", "log"} on stdin; {"ready": pid} once the
imports are done, then per request {"pid": ...} once forked and {"exit": ...} once the child is
reaped (minus the signal's number when one killed it). One request at a time: the server has
a single thread, the only kind of process that may fork safely.

Run as a script, `python course/forkserver.py [PLUGIN ...]` (the pytest plugins the runs switch
off, never preloaded), not as `-m course.forkserver`: that would import the course package into
every run. Besides the preload, the server imports the standard library only.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Collection, Mapping, Sequence
from typing import IO, Any

# What the reference apps and their tests import (`grep -rhoE '^(from|import) [\w.]+'` over
# solution/ and the lessons' solved/ folders), plus what a run of them imports later, on first
# use: the database drivers, bcrypt, multipart forms, pydantic.v1 (FastAPI), pdb (pytest).
# pytest's own plugins and the installed pytest11 ones come on top (preload()). A module that
# does not import is skipped.
LIBRARIES = (
    "asyncio",
    "sqlite3",
    "unittest.mock",
    "pdb",
    "pytest",
    "alembic.config",
    "anyio",
    "cloudinary.exceptions",
    "cloudinary.uploader",
    "email_validator",
    "fakeredis",
    "fastapi",
    "fastapi.middleware.cors",
    "fastapi.responses",
    "fastapi.security",
    "fastapi.staticfiles",
    "fastapi_mail",
    "httpx",
    "jinja2",
    "jose.jwt",
    "cryptography.hazmat.backends.openssl",
    "limits",
    "passlib.context",
    "passlib.handlers.bcrypt",
    "bcrypt",
    "PIL.Image",
    "pydantic",
    "pydantic.v1",
    "pydantic_settings",
    "python_multipart",
    "redis.asyncio",
    "redis.exceptions",
    "slowapi",
    "slowapi.errors",
    "slowapi.util",
    "sqlalchemy",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "aiosqlite",
    "asyncpg",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.orm",
    "starlette.concurrency",
    "uvicorn.middleware.proxy_headers",
    "yaml",
)
CRASHED = 70  # the exit code of a child that failed outside pytest: never one of pytest's 0..5
START_LIMIT = 120.0  # seconds for the preload (a busy 2-core machine), and for a fork's pid
_exit_code = CRASHED  # what the child exits with (set once pytest.main returns)
_base_path: list[str] = []  # the server's sys.path without its script's folder


class ServerGone(OSError):
    """The server exited, closed its pipes, or did not answer in time."""


# --- the server -------------------------------------------------------------------------------


def preload(unused_plugins: Collection[str]) -> None:
    """Import LIBRARIES, pytest's built-in plugins and the installed ones, except `unused`."""
    import importlib.metadata

    for name in LIBRARIES:
        _try(importlib.import_module, name)
    if "PIL.Image" in sys.modules:  # its ~50 format plugins: imported on the first open
        _try(sys.modules["PIL.Image"].init)
    from _pytest.config import default_plugins

    for plugin in default_plugins:
        if plugin not in unused_plugins:
            _try(importlib.import_module, f"_pytest.{plugin}")
    for entry in importlib.metadata.entry_points(group="pytest11"):
        if entry.name not in unused_plugins:
            _try(entry.load)


def _try(load: Any, *args: Any) -> None:
    # An optional module, or one that fails: the run imports it (or fails on it) as before.
    with contextlib.suppress(Exception):
        load(*args)


def _threads() -> int:
    """This process's threads, those started by C code included where the OS tells."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def serve(requests: IO[bytes], replies: IO[bytes]) -> int | None:
    """Fork a child per request; in the server None at end of input, in a child its exit code."""
    _reply(replies, ready=os.getpid())
    for line in iter(requests.readline, b""):
        request = json.loads(line)
        if _threads() != 1:  # a fork copies only the forking thread: the others' locks stay held
            raise SystemExit("forkserver: more than one thread, refusing to fork")
        sys.stdout.flush()  # nothing buffered here may reach a run's output
        sys.stderr.flush()
        # The preloaded libraries' objects out of the child's garbage collections: pytest's
        # gc.collect() at the end of a run would otherwise walk all of them, ~0.13 s of a
        # run that catches its mutant in ~0.35 s. Nothing of the run is frozen: it is not born.
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            requests.close()
            replies.close()
            return _child(request)
        _reply(replies, pid=pid)
        _, status = os.waitpid(pid, 0)
        _reply(replies, exit=os.waitstatus_to_exitcode(status))
    return None


def _reply(replies: IO[bytes], **message: int) -> None:
    replies.write(json.dumps(message).encode() + b"\n")
    replies.flush()


def _child(request: Mapping[str, Any]) -> int:
    """Become the run `python -m pytest ARGV` would be, in `cwd` with `env`, output to `log`."""
    atexit.register(_leave)  # first registered of the run's: runs after the run's own
    try:
        _become(request["cwd"], request["env"], request["log"])
        import pytest

        sys.argv = [os.path.join(os.path.dirname(pytest.__file__), "__main__.py"), *request["argv"]]
        # The preload imported pytest's plugins before pytest could mark them for assertion
        # rewriting: it would warn about each. The warning is about this server, not the run.
        code = _exit(
            pytest.main(["-W", "ignore::pytest.PytestAssertRewriteWarning", *sys.argv[1:]])
        )
    except SystemExit as stop:  # sys.exit() during the run: what `python -m pytest` exits with
        code = _exit(stop.code)
    except BaseException:  # noqa: BLE001 - the run's crash goes to its log, not the server's
        traceback.print_exc()
        code = CRASHED
    global _exit_code
    _exit_code = code
    return code


def _become(cwd: str, env: Mapping[str, str], log: str) -> None:
    # A session of its own, as a grading's pytest always had: a hang is killed with its whole
    # process group, and a terminal's Ctrl-C goes to `course`, which kills the run.
    os.setsid()
    stdin = os.open(os.devnull, os.O_RDONLY)
    output = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    for fd, target in ((stdin, 0), (output, 1), (output, 2)):  # first: a failure below is logged
        os.dup2(fd, target)
    os.close(stdin)
    os.close(output)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    # As `python -m` sets it up: the current folder first, then $PYTHONPATH, then the rest.
    extra = [path for path in env.get("PYTHONPATH", "").split(os.pathsep) if path]
    sys.path[:] = [os.getcwd(), *extra, *_base_path]
    sys.dont_write_bytecode = bool(env.get("PYTHONDONTWRITEBYTECODE"))
    tempfile.tempdir = None  # computed again from $TMPDIR
    importlib.invalidate_caches()


def _exit(code: object) -> int:
    """The process exit status for `code`, as the interpreter turns a SystemExit into one."""
    if code is None:
        return 0
    if isinstance(code, int):
        return int(code)
    print(code, file=sys.stderr)
    return 1


def _leave() -> None:
    """The interpreter joined the run's threads and ran its exit handlers: exit now, without
    tearing down the server's modules (costly, and none of the run's business)."""
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_code)


def main(unused_plugins: Sequence[str]) -> int:
    # Run as a script, the first entry is its folder, course/: the preload and the runs must not
    # find `files`, `paths`, `mutation`, ... as top-level modules.
    _base_path[:] = sys.path[1:]
    sys.path[:] = _base_path
    # The protocol gets pipes of its own; fds 0 and 1 of the server are /dev/null and stderr,
    # so a print during the preload cannot garble a reply.
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    preload(unused_plugins)
    code = serve(requests, replies)
    return 0 if code is None else code  # a child goes on to the interpreter's exit


# --- the grading process's end ----------------------------------------------------------------


class Server:
    """One fork server, started and preloaded: `start` a run, then `wait` for it."""

    def __init__(self, env: Mapping[str, str], unused_plugins: Sequence[str] = ()) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, *unused_plugins],
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._pending = b""
        try:
            self._read("ready", START_LIMIT)
        except BaseException:
            self.close()
            raise

    def start(self, argv: Sequence[str], cwd: str, env: Mapping[str, str], log: str) -> int:
        """Fork a run of `pytest ARGV`; its pid."""
        request = {"argv": list(argv), "cwd": cwd, "env": dict(env), "log": log}
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        except (OSError, ValueError) as error:
            raise ServerGone(f"forkserver {self.process.pid}: {error}") from error
        return self._read("pid", START_LIMIT)

    def wait(self, timeout: float) -> int:
        """The run's exit code; subprocess.TimeoutExpired after `timeout` seconds."""
        return self._read("exit", timeout)

    def close(self) -> None:
        """Kill the server (not its children: course.processes.kill_tree does both)."""
        self.process.kill()
        self.process.wait()

    def _read(self, key: str, timeout: float) -> int:
        """The next reply, which must be `key`'s. No reply in `timeout` seconds: a run that goes
        on (subprocess.TimeoutExpired) or a server of no use (ServerGone)."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._pending:
            left = max(0.0, deadline - time.monotonic())  # 0: a poll, what is there is read
            if not select.select([fd], [], [], left)[0]:
                if key == "exit":
                    raise subprocess.TimeoutExpired(self.process.args, timeout)
                raise ServerGone(f"forkserver {self.process.pid}: no {key!r} in {timeout} s")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise ServerGone(f"forkserver {self.process.pid} exited")
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        reply = json.loads(line)
        if key not in reply:
            raise ServerGone(f"forkserver {self.process.pid}: {reply} instead of {key!r}")
        return int(reply[key])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
