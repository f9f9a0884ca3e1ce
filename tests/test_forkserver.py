"""The fork server (course/forkserver.py) as the mutation harness (mutation._execute) and the
grader's shards use it, through course/processes.py.

Each run is a child forked from a warm server: it must behave as a fresh `python -m pytest`
would (exit code, output, environment, sys.path, TMPDIR), leave nothing behind for the next
run, and be killed, with the server surviving, when it hangs. A server that died is replaced,
and where there is no server the run starts as a process of its own.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from course import forkserver, grader, mutation, processes
from course.manifest import load_manifest
from course.processes import kill_tree

ROOT = Path(__file__).resolve().parent.parent
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"  # quiet: no warning
WAIT = 120.0  # bound of the polling loops below (a busy 2-core machine), never an expectation


def execute(
    tmp_path: Path, source: str, *, limit: float = 120, drop: str = "", **env: str
) -> tuple[int | None, bool, str]:
    """`python -m pytest test_run.py` of `source` in a fresh tree, as mutation runs it, in the
    servers' environment (mutation.base_env) with `env` and without `drop`."""
    tree = tmp_path / "tree"
    tree.mkdir(exist_ok=True)
    (tree / "pytest.ini").write_text(INI, encoding="utf-8")
    (tree / "test_run.py").write_text(textwrap.dedent(source), encoding="utf-8")
    args = ["test_run.py", *mutation.PYTEST_OPTIONS, "--no-cov"]
    request = {name: value for name, value in mutation.base_env().items() if name != drop}
    return mutation._execute(args, tree, request | env, limit)


def last_server() -> forkserver.Server:
    """The idle server a run gave back last: the one the next run takes."""
    server = processes._idle[-1]
    assert isinstance(server, forkserver.Server) and server.process.poll() is None
    return server


def is_gone(pid: int) -> bool:
    with contextlib.suppress(psutil.Error):
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    return True


def wait_for(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"no {what} in {WAIT} s"
        time.sleep(0.05)  # the poll interval of a bounded loop, not a fixed wait


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("def test_ok():\n    pass\n", 0),
        ("def test_bad():\n    assert 1 == 2\n", 1),
        ("import missing_module_of_no_one\n", 2),
        ("", 5),
        ("import os\n\ndef test_exits():\n    os._exit(42)\n", 42),
    ],
    ids=["passed", "failed", "collection error", "no tests", "os._exit"],
)
def test_exit_codes_pass_through(tmp_path: Path, source: str, code: int) -> None:
    exit_code, timed_out, output = execute(tmp_path, source)
    assert (exit_code, timed_out) == (code, False), output
    last_server()  # forked, not started on its own


def test_output_lands_in_the_log(tmp_path: Path) -> None:
    exit_code, _, output = execute(
        tmp_path,
        """
        import sys

        def test_speaks():
            print("to stdout", flush=True)
            print("to stderr", file=sys.stderr, flush=True)
            assert "expected" == "got"
        """,
    )
    assert exit_code == 1
    assert "to stdout" in output and "to stderr" in output, output
    assert "AssertionError" in output and "1 failed" in output, output


def test_the_run_has_the_requests_env_sys_path_and_tmpdir(tmp_path: Path) -> None:
    extra, scratch = tmp_path / "probe", tmp_path / "scratch"
    extra.mkdir()
    scratch.mkdir()
    own = {"PYTHONPATH": str(extra), "TMPDIR": str(scratch), "RUN_ONLY": "yes"}
    expected = {name: value for name, value in mutation.base_env().items() if name != "MAIL_PORT"}
    (tmp_path / "expected.json").write_text(json.dumps(expected | own))
    exit_code, _, output = execute(
        tmp_path,
        f"""
        import importlib.util, json, os, sys, tempfile

        def test_as_python_m_pytest_sets_it_up():
            expected = json.loads(open({str(tmp_path / "expected.json")!r}).read())
            env = {{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}}
            assert env == expected
            assert sys.path[:2] == [os.getcwd(), {str(extra)!r}]
            assert os.getcwd() == {str(tmp_path / "tree")!r}
            assert tempfile.gettempdir() == {str(scratch)!r}
            assert sys.dont_write_bytecode
            assert sys.argv[0].endswith("__main__.py") and "test_run.py" in sys.argv

        def test_preloaded_but_nothing_of_the_course_nor_unused_plugins():
            assert "fastapi" in sys.modules and "sqlalchemy.orm" in sys.modules
            for name in ("forkserver", "mutation", "files", "paths", "processes"):
                assert importlib.util.find_spec(name) is None, name
            unused = ("course", "schemathesis", "hypothesis", "nbval", "faker", "app")
            assert not [name for name in unused if name in sys.modules]
        """,
        drop="MAIL_PORT",  # the server has it: the run must not
        **own,
    )
    assert exit_code == 0, output


def test_what_a_run_changes_does_not_reach_the_next(tmp_path: Path) -> None:
    changes = """
        import os, sys, tempfile, threading
        import fastapi, pytest

        def test_changes_everything():
            os.environ["LEAKED"] = "1"
            fastapi.LEAKED = pytest.LEAKED = True
            sys.path.append("/leaked")
            sys.modules["leaked_module"] = sys
            tempfile.tempdir = "/leaked"
            threading.Thread(target=threading.Event().wait, daemon=True).start()
            assert threading.active_count() == 2
        """
    checks = """
        import os, sys, tempfile, threading
        import fastapi, pytest

        def test_sees_none_of_it():
            assert "LEAKED" not in os.environ
            assert not hasattr(fastapi, "LEAKED") and not hasattr(pytest, "LEAKED")
            assert "/leaked" not in sys.path and "leaked_module" not in sys.modules
            assert tempfile.gettempdir() != "/leaked"
            assert threading.active_count() == 1
        """
    assert execute(tmp_path, changes)[0] == 0
    server = last_server()
    exit_code, _, output = execute(tmp_path, checks)
    assert exit_code == 0, output
    assert last_server() is server  # the same server forked both


HANGS = """
    import os, threading

    def test_hangs():
        open("pid", "w").write(str(os.getpid()))
        threading.Event().wait()
    """


def test_a_hanging_run_is_killed_and_the_server_serves_on(tmp_path: Path) -> None:
    exit_code, timed_out, _ = execute(tmp_path, HANGS, limit=2)
    assert (exit_code, timed_out) == (None, True)
    assert is_gone(int((tmp_path / "tree" / "pid").read_text()))
    server = last_server()
    assert execute(tmp_path, "def test_ok():\n    pass\n")[:2] == (0, False)
    assert last_server() is server


def test_a_server_killed_between_runs_is_replaced(tmp_path: Path) -> None:
    assert execute(tmp_path, "def test_ok():\n    pass\n")[0] == 0
    killed = last_server()
    kill_tree(killed.process)
    exit_code, _, output = execute(tmp_path, "def test_ok():\n    pass\n")
    assert exit_code == 0, output
    assert last_server() is not killed and killed not in processes._servers


def test_shutdown_kills_running_runs_and_the_servers(tmp_path: Path) -> None:
    outcome: list[tuple[int | None, bool, str]] = []
    worker = threading.Thread(target=lambda: outcome.append(execute(tmp_path, HANGS)))
    worker.start()
    pid_file = tmp_path / "tree" / "pid"
    wait_for(lambda: pid_file.is_file() and pid_file.read_text(), "hanging run")
    pid = int(pid_file.read_text())
    server = next(server for server in processes._servers if server.process.pid == _parent(pid))
    mutation.shutdown()
    worker.join(WAIT)
    assert not worker.is_alive()
    exit_code, timed_out, _ = outcome[0]  # killed: by signal, or with its server before a reply
    assert exit_code in (None, -9) and not timed_out
    assert server.process.poll() is not None and not processes._servers  # reaped by shutdown
    # The run is its server's child, not ours: SIGKILL reaches it a moment after it is sent.
    wait_for(lambda: is_gone(pid), "end of the killed run")


def _parent(pid: int) -> int:
    return psutil.Process(pid).ppid()


def test_a_grading_after_warm_up_forks_its_shards_from_the_idle_servers() -> None:
    """`course check --watch` warms servers up while the student edits: the next grading starts
    its pytest processes from them, and gives them back."""
    processes.close_servers()
    grader.warm_up()
    warm = set(processes._idle)
    assert len(warm) == grader.SHARDS and all(server.process.poll() is None for server in warm)
    manifest = load_manifest()
    report = grader.grade(
        manifest.get("00"),
        ROOT / "lessons" / "00_overview" / "solved",
        manifest=manifest,
        checkpoints=ROOT / "checkpoints",
        regressions=False,
    )
    assert report.passed, [(result.id, result.reason) for result in report.results]
    assert processes._servers == warm and set(processes._idle) == warm  # none started, all back


def test_without_fork_a_run_is_a_process_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mutation.shutdown()  # no server left from the tests above
    monkeypatch.setattr(processes, "FORKING", False)
    source = "import sys\n\ndef test_fresh():\n    assert 'fastapi' not in sys.modules\n"
    exit_code, _, output = execute(tmp_path, source)
    assert exit_code == 0, output
    assert not processes._idle and not processes._servers


CTRL_C = """
import signal, sys, threading
from pathlib import Path

from course import mutation, processes
from course.processes import children_die_on_interrupt

# As `course` started from a terminal has it, even where this test's own runner was started in
# the background of a shell (`cmd &` ignores SIGINT, and children inherit that).
signal.signal(signal.SIGINT, signal.default_int_handler)
tree = Path(sys.argv[1])
args = ["test_run.py", *mutation.PYTEST_OPTIONS, "--no-cov"]
ended = []
run = threading.Thread(
    target=lambda: ended.append(mutation._execute(args, tree, mutation.base_env(), 600)),
    daemon=True,
)
try:
    with children_die_on_interrupt():
        run.start()
        while not (tree / "pid").is_file() or not (tree / "pid").read_text():
            run.join(0.05)
            if ended:  # the run did not get to its hang: say how it ended instead
                sys.exit(f"the run ended: {ended[0]}")
        print(*(server.process.pid for server in processes._servers), flush=True)
        signal.raise_signal(signal.SIGINT)
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def test_ctrl_c_kills_the_servers_and_their_runs(tmp_path: Path) -> None:
    """`course check` kills its descendants on Ctrl-C: the servers and their runs are ones."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "pytest.ini").write_text(INI, encoding="utf-8")
    (tree / "test_run.py").write_text(textwrap.dedent(HANGS), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", CTRL_C, str(tree)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    servers, said = done.stdout.splitlines()
    assert said == "interrupted", done.stdout + done.stderr
    pids = [int(pid) for pid in [*servers.split(), (tree / "pid").read_text()]]
    wait_for(lambda: all(is_gone(pid) for pid in pids), "end of the killed servers and runs")


def test_the_preload_covers_what_the_reference_apps_import() -> None:
    """Every library the apps and their tests import is imported once, by the server."""
    pattern = re.compile(r"^(?:from|import) ([\w.]+)", re.MULTILINE)
    folders = [ROOT / "solution", *sorted((ROOT / "lessons").glob("*/solved"))]
    imported = {
        match.split(".")[0]
        for folder in folders
        for part in ("app", "tests")
        for path in (folder / part).rglob("*.py")
        for match in pattern.findall(path.read_text(encoding="utf-8"))
    }
    third_party = imported - set(sys.stdlib_module_names) - {"app", "tests"}
    preloaded = {name.split(".")[0] for name in forkserver.LIBRARIES}
    assert third_party <= preloaded, third_party - preloaded
