"""Grading a student's TESTS: run them on a reference app, then on seeded faulty versions of it.

The testing lessons (05, 06) and the homework ask two questions of the tests a student wrote:
do they pass on a correct app, and do they fail once a known bug is planted in it (a mutant)?
Tests that catch nothing score nothing.

One run builds a temporary tree: the reference app (``app/``, ``alembic/``, ``pyproject.toml``,
...) with the student's ``tests/`` folder in place of the reference's own, and runs
``python -m pytest <paths> -x`` there in a process of its own, on embedded defaults (the
environment is scrubbed of ``DATABASE_URL``, ``REDIS_URL``, ``TEST_*`` and the app's settings;
mail goes to a port where no SMTP server listens). Where the system can fork, that process is
forked from a warm server that has imported pytest and the app's libraries already
(course/forkserver.py; course/processes.py shares the servers): a run then starts in a fraction
of the ~1.5 s of CPU those imports cost. A mutant is one or more exact text replacements in the
reference, planted in memory as the app is imported (course/mutation_probe.py): the files stay
correct, so tests that read them instead of calling the app catch nothing. Edits of data files
(render.yaml) are the exception: reading them is what the app's deployment does, so they are
written into the run's copy of the reference. A mutant is *caught*
when the run ends with test failures (exit code 1). A collection error, a crash or a timeout is
not a clean catch.

A grading of every checkpoint does not run each mutant from the first test. The unmutated run
watches the functions each mutant changes and notes the first test that calls one: a mutant no
test calls cannot be caught, and that run is its run. One more run forks each of the others at
the start of its first calling test, the mutant's code swapped into the live functions; the tests
before that one call none of it, so they run alike with and without the mutant (the probe says
when a fork is not safe). A mutant whose change runs at import (module or class level), that
edits a data file, or that is first called outside a test has a run of its own from the start.
When only some checkpoints are graded, the forked run forks the mutant asked for only.

Runs are cached per (student's tests digest, reference digest, paths, mutant): in memory for
one grading run, whose checkpoints share them, and on disk under $COURSE_MUTATION_CACHE
(default ~/.cache/module14-course/mutation; "off" for none), so a later `course check` with the
same tests and the same reference reuses the finished runs instead of repeating them; of two
gradings that need the same run at once, one computes it while the other waits on its lock. Every
input of a run is in its key, the harness and the installed packages included; runs that hung,
were killed or timed out are never stored. Runs go two at a time (a 2-core machine); mutants
after the unmutated run has passed.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from course import forkserver
from course.files import TOOL_FOLDERS, locked, memory_temp_root, write_atomically
from course.mutation_probe import MUTANT_ENV, PLANTED_ENV, PROBE_ENV, REWRITTEN_ENV
from course.paths import GRADED_ENV, ONLY_ENV
from course.processes import (
    Target,
    close_servers,
    kill_tree,
    read_events,
    scrubbed_env,
    start_pytest,
    stop_run,
)

WORKERS = 2
RUN_LIMIT = 300.0  # wall seconds for one pytest run of the student's tests
TEST_LIMIT = 30  # pytest-timeout per test inside a run: a hanging test fails, the run goes on
# What a checkpoint may wait for: its unmutated run, then its mutant behind the others.
CHECKPOINT_LIMIT = 900
OUTPUT_TAIL = 4000
TIMEOUT_MARK = "Timeout (>"  # how pytest-timeout words the failure of a test it stopped

COPY_IGNORE = (
    *TOOL_FOLDERS,
    "*.pyc",
    "media",
    "*.db",
    ".coverage",
    ".coverage.*",
    ".env",  # a developer's local settings must not change how the tests run
)
# Left out of the reference at its top level: its own tests (the student's replace them), and the
# prose and CI files no test run reads. Lessons 06 and 07 differ only in those, so a run of the
# same tests on either reference is one run, and `course check 07` reuses what 06 ran.
REFERENCE_SKIP = frozenset({"tests", "README.md", ".github"})
# The app's settings and pytest's own knobs: the student's tests run on embedded defaults.
SCRUBBED = frozenset(
    {
        "DATABASE_URL",
        "REDIS_URL",
        "ENVIRONMENT",
        "DEBUG",
        "BCRYPT_ROUNDS",
        "MEDIA_DIR",
        "PUBLIC_BASE_URL",
        "ALLOWED_ORIGINS",
        "RATE_LIMIT_ENABLED",
        "PYTHONPATH",
        "PYTHONSTARTUP",
    }
)
SCRUBBED_PREFIXES = (
    "TEST_",
    "PYTEST_",
    "COURSE_",
    "COV_CORE_",
    "COVERAGE_",
    "MAIL_",
    "JWT_",
    "EMAIL_TOKEN_",
    "CLOUDINARY_",
)
HARNESS_ENV = {
    "PYTHONDONTWRITEBYTECODE": "1",
    # Nothing listens on port 1: a suite that really sent mail would not get it delivered.
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": "1",
}
# Plugins installed for the package's own tests that no grading run uses. Each is loaded by
# every pytest start unless switched off: schemathesis and hypothesis alone cost 2.5 s of CPU a
# start, more than the rest of a run of unit tests. (Hypothesis's @given works without its plugin.)
UNUSED_PLUGINS = ("cacheprovider", "nbval", "faker", "schemathesis", "hypothesispytest")
PYTEST_OPTIONS = ("-q", *(arg for name in UNUSED_PLUGINS for arg in ("-p", f"no:{name}")))
CACHE_ENV = "COURSE_MUTATION_CACHE"  # a folder for runs that outlive a grading run, or "off"
CACHE_FORMAT = 2  # bump when what a stored run holds changes
PROBE_MODULE = "course_mutation_probe"  # course/mutation_probe.py, as the run imports it
PROBE_FILE = Path(__file__).with_name("mutation_probe.py")


class MutantError(RuntimeError):
    """A mutant does not apply to its reference: a bug in the course, never the student's."""


@dataclass(frozen=True)
class Edit:
    file: str  # relative to the reference's root, e.g. "app/services/contacts.py"
    old: str  # must occur exactly once in that file
    new: str


@dataclass(frozen=True)
class Mutant:
    """A seeded bug: `old` → `new` in `file` (plus any `also` edits), described in Ukrainian."""

    id: str
    file: str
    old: str
    new: str
    description: str
    also: tuple[Edit, ...] = ()

    @property
    def edits(self) -> tuple[Edit, ...]:
        return (Edit(self.file, self.old, self.new), *self.also)


@dataclass(frozen=True)
class Suite:
    """The student's tests at `paths` (inside `student`), run on the app of `reference`; the
    unmutated run watches which tests call the code each of `mutants` changes."""

    student: Path
    reference: Path
    paths: tuple[str, ...]
    mutants: tuple[Mutant, ...] = ()

    @property
    def planted(self) -> tuple[Mutant, ...]:
        """The mutants a run can plant in memory: those that edit Python files only."""
        return tuple(m for m in self.mutants if all(e.file.endswith(".py") for e in m.edits))


@dataclass
class RunResult:
    """One pytest run of the student's tests in a temporary tree."""

    exit_code: int | None
    timed_out: bool = False
    collected: int = 0
    passed: int = 0
    failed: list[str] = field(default_factory=list)  # "nodeid: reason", failures and errors
    collect_errors: list[str] = field(default_factory=list)
    skipped: int = 0
    coverage: float | None = None
    duration: float = 0.0
    output: str = ""
    missing: tuple[str, ...] = ()  # test paths the student's copy does not have
    paths: tuple[str, ...] = ()  # the test paths that ran
    limit: float = RUN_LIMIT
    planted: tuple[str, ...] = ()  # the mutants whose code the run watched
    called: dict[str, str | None] = field(default_factory=dict)  # mutant -> first test to call it
    forked: dict[str, RunResult] = field(default_factory=dict)  # mutant -> its run, forked

    @property
    def green(self) -> bool:
        """Everything collected passed, and there was something to pass."""
        return (
            self.exit_code == 0
            and not self.timed_out
            and not self.failed
            and not self.collect_errors
            and self.passed >= 1
        )

    @property
    def hung(self) -> bool:
        """Every failure is pytest-timeout stopping a test: a hang, not a failed check."""
        return bool(self.failed) and all(TIMEOUT_MARK in line for line in self.failed)

    @property
    def red(self) -> bool:
        """A clean catch: tests ran and at least one failed a check (pytest's exit code 1)."""
        return self.exit_code == 1 and not self.timed_out and bool(self.failed) and not self.hung

    def problem(self) -> str:
        """Why the run is not green, in one Ukrainian line ("" when it is)."""
        if self.missing:
            return f"У вашій копії немає {', '.join(self.missing)}"
        if self.timed_out:
            return f"Тести не завершилися за {self.limit:g} с (зависання?)"
        if self.collect_errors:
            return f"Помилка під час збору тестів: {self.collect_errors[0]}"
        if self.failed:
            more = f" (і ще {len(self.failed) - 1})" if len(self.failed) > 1 else ""
            return f"Тест падає: {self.failed[0]}{more}"
        if self.exit_code not in (0, 1, 5):  # a conftest that does not load, a usage error
            return startup_error(self.output, self.exit_code)
        if self.exit_code == 5 or self.collected == 0:
            return f"Не знайдено жодного тесту в {' '.join(self.paths) or 'tests/'}"
        if self.exit_code != 0:
            return f"pytest завершився з кодом {self.exit_code}: {last_line(self.output)}"
        if self.passed == 0:
            return "Жоден тест не пройшов (усі пропущені?)"
        return ""


@dataclass
class Verdict:
    mutant: Mutant
    caught: bool
    reason: str
    run: RunResult | None = None


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "?"


_CONFTEST = re.compile(r"while loading conftest '([^']+)'")


def startup_error(output: str, exit_code: int | None) -> str:
    """pytest stopped before running anything: which file, and the exception it raised."""
    errors = [line[1:].strip() for line in output.splitlines() if line.startswith("E ")]
    error = errors[-1][:300] if errors else last_line(output)
    conftest = _CONFTEST.search(output)
    if conftest:
        return f"Не вдалося завантажити {conftest.group(1)}: {error}"
    return f"pytest завершився з кодом {exit_code}: {error}"


# --- the trees ------------------------------------------------------------------------------


# COPY_IGNORE as one pattern (what shutil.ignore_patterns matches, name by name).
_IGNORED_NAME = re.compile("|".join(fnmatch.translate(pattern) for pattern in COPY_IGNORE))


def _digest(folder: Path, *, skip_top: frozenset[str] = frozenset()) -> str:
    """A hash of the names and bytes of the files build_tree would copy from `folder`."""
    found: list[tuple[str, ...]] = []
    for current, dirs, names in os.walk(folder):
        base = Path(current).relative_to(folder).parts
        skipped = skip_top if not base else frozenset()
        # Pruned in place: an ignored folder (.venv, __pycache__, ...) is never walked.
        dirs[:] = [name for name in dirs if name not in skipped and not _IGNORED_NAME.match(name)]
        found += [
            (*base, name) for name in names if name not in skipped and not _IGNORED_NAME.match(name)
        ]
    digest = hashlib.sha256()
    for parts in sorted(found):
        digest.update("/".join(parts).encode() + b"\0")
        digest.update((folder.joinpath(*parts)).read_bytes() + b"\0")
    return digest.hexdigest()


def tests_digest(student: Path) -> str:
    """A hash of the student's tests/ folder: the cache key of everything run on it."""
    return _digest(student / "tests")


def reference_digest(reference: Path) -> str:
    """A hash of the reference app as build_tree copies it (REFERENCE_SKIP left out)."""
    return _digest(reference, skip_top=REFERENCE_SKIP)


def check_mutants(reference: Path, mutants: Iterable[Mutant]) -> None:
    """Raise MutantError unless every edit of every mutant matches exactly once."""
    for mutant in mutants:
        for edit in mutant.edits:
            path = reference / edit.file
            if not path.is_file():
                raise MutantError(f"mutant {mutant.id}: {path} does not exist")
            count = path.read_text(encoding="utf-8").count(edit.old)
            if count != 1:
                raise MutantError(
                    f"mutant {mutant.id}: the text to replace occurs {count} times in {path} "
                    f"(must be exactly once):\n{edit.old}"
                )


def build_tree(suite: Suite, destination: Path) -> None:
    """The reference without REFERENCE_SKIP, plus the student's tests/."""
    ignore = shutil.ignore_patterns(*COPY_IGNORE)

    def reference_ignore(folder: str, names: list[str]) -> set[str]:
        skipped = set(ignore(folder, names))
        if Path(folder).resolve() == suite.reference.resolve():
            skipped |= REFERENCE_SKIP
        return skipped

    shutil.copytree(suite.reference, destination, ignore=reference_ignore, symlinks=True)
    student_tests = suite.student / "tests"
    if student_tests.is_dir():
        shutil.copytree(student_tests, destination / "tests", ignore=ignore, symlinks=True)


def base_env() -> dict[str, str]:
    """Every run's environment, without what is its own: the student's tests here, the
    grader's pytest processes (`grader._environment`); the fork servers start in it."""
    return scrubbed_env(SCRUBBED, SCRUBBED_PREFIXES, **HARNESS_ENV)


def harness_env(
    probe_dir: Path,
    events: Path,
    mutant: Mutant | None = None,
    planted: Sequence[Mutant] = (),
    plan: Mapping[str, list[str]] | None = None,
) -> dict[str, str]:
    env = base_env() | {"PYTHONPATH": str(probe_dir), PROBE_ENV: str(events)}
    kept = cache_dir()
    if kept is not None:  # the probe keeps pytest's rewrite of each test module there
        env[REWRITTEN_ENV] = str(kept / "rewritten")
    if mutant is not None:
        env[MUTANT_ENV] = json.dumps(edits_by_file(mutant))
    elif planted:
        mutants = {each.id: edits_by_file(each) for each in planted}
        env[PLANTED_ENV] = json.dumps({"mutants": mutants, "plan": plan})
    return env


def edits_by_file(mutant: Mutant) -> dict[str, list[list[str]]]:
    """The mutant as the probe plants it: per Python file, its replacements in order."""
    edits: dict[str, list[list[str]]] = {}
    for edit in mutant.edits:
        if edit.file.endswith(".py"):
            edits.setdefault(edit.file, []).append([edit.old, edit.new])
    return edits


def write_data_edits(tree: Path, mutant: Mutant) -> None:
    """Write the mutant's edits of files that are read, not imported, into the run's copy."""
    for edit in mutant.edits:
        if not edit.file.endswith(".py"):
            path = tree / edit.file
            path.write_text(
                path.read_text(encoding="utf-8").replace(edit.old, edit.new, 1), encoding="utf-8"
            )


# --- running pytest -------------------------------------------------------------------------


def _result(exit_code: int | None, timed_out: bool, events: list[dict[str, Any]]) -> RunResult:
    result = RunResult(exit_code=exit_code, timed_out=timed_out)
    for event in events:
        kind = event.get("event")
        if kind == "planted":
            result.planted = tuple(event["mutants"])
        elif kind == "called":
            result.called[event["mutant"]] = event["test"]
        elif kind == "collected":
            result.collected = int(event.get("count", 0))
        elif kind == "collect_error":
            result.collect_errors.append(f"{event['nodeid'] or '?'}: {event.get('reason', '')}")
        elif kind == "report":
            if event["outcome"] == "passed":
                result.passed += 1
            elif event["outcome"] == "skipped":
                result.skipped += 1
            else:
                where = "" if event["when"] == "call" else f" ({event['when']})"
                result.failed.append(f"{event['nodeid']}{where}: {event.get('reason', '')}")
    return result


def run_pytest(
    suite: Suite,
    args: Sequence[str],
    *,
    mutant: Mutant | None = None,
    coverage: bool = False,
    limit: float | None = None,
    plan: Mapping[str, list[str]] | None = None,
) -> RunResult:
    """One `python -m pytest` of the student's tests on the (mutated) reference (forked).

    Without a mutant or coverage, the run watches the suite's planted mutants (`.called`); given
    a `plan` as well, it forks each planted mutant's run at its test (`.forked`).
    """
    missing = tuple(path for path in suite.paths if not (suite.student / path).exists())
    if missing == suite.paths:
        return RunResult(exit_code=None, missing=missing)
    paths = tuple(path for path in suite.paths if path not in missing)
    limit = limit or RUN_LIMIT
    # In memory where possible: the student's tmp_path databases go there too (TMPDIR below).
    work = Path(tempfile.mkdtemp(prefix="course-mutation-", dir=memory_temp_root()))
    started = time.monotonic()
    try:
        tree, probe, scratch = work / "tree", work / "probe", work / "tmp"
        build_tree(suite, tree)
        scratch.mkdir()
        if mutant is not None:
            check_mutants(tree, [mutant])
            write_data_edits(tree, mutant)  # the code edits: in memory, by the probe
        probe.mkdir()
        shutil.copyfile(PROBE_FILE, probe / f"{PROBE_MODULE}.py")
        events = work / "events.jsonl"
        report = work / "coverage.json"
        argv = [
            *paths,
            *PYTEST_OPTIONS,
            "-p",
            PROBE_MODULE,
            f"--rootdir={tree}",
            f"--timeout={TEST_LIMIT}",
            *args,
        ]
        argv += _config(tree)
        if coverage:
            argv += ["--cov=app", f"--cov-report=json:{report}", "--cov-fail-under=0"]
        else:
            argv.append("--no-cov")
        planted = suite.planted if mutant is None and not coverage else ()
        env = harness_env(probe, events, mutant, planted, plan) | {"TMPDIR": str(scratch)}
        exit_code, timed_out, output = _execute(argv, tree, env, limit)
        result = _result(exit_code, timed_out, read_events(events)[0])
        _tidy(result, tree, output, missing, paths, limit)
        for index, each in enumerate(planted if plan is not None else ()):
            found = _forked_run(events, index)
            if found is not None:
                forked, log = found
                _tidy(forked, tree, log, missing, paths, limit)
                result.forked[each.id] = forked
        if coverage and report.is_file():
            totals = json.loads(report.read_text(encoding="utf-8")).get("totals", {})
            result.coverage = float(totals.get("percent_covered", 0.0))
        result.duration = time.monotonic() - started
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _forked_run(events: Path, index: int) -> tuple[RunResult, str] | None:
    """The run forked for planted mutant `index` and its log; None when it gave no verdict.

    Its events end with its exit code. Only a run that ended with its tests (0 or 1) is a
    verdict; after any other exit the mutant has a run of its own from the start.
    """
    found = read_events(Path(f"{events}.{index}"))[0]
    if not found or found[-1].get("event") != "exit" or found[-1]["code"] not in (0, 1):
        return None
    log = Path(f"{events}.{index}.log")
    text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
    return _result(int(found[-1]["code"]), False, found), text


def _tidy(
    result: RunResult,
    tree: Path,
    output: str,
    missing: tuple[str, ...],
    paths: tuple[str, ...],
    limit: float,
) -> None:
    """The run's paths as the student knows them (tests/…, not /tmp/…/tree/tests/…)."""
    prefix = f"{tree}{os.sep}"
    result.failed = [line.replace(prefix, "") for line in result.failed]
    result.collect_errors = [line.replace(prefix, "") for line in result.collect_errors]
    result.output = output.replace(prefix, "")[-OUTPUT_TAIL:]
    result.missing, result.paths, result.limit = missing, paths, limit


def _execute(
    args: list[str], cwd: Path, env: dict[str, str], limit: float
) -> tuple[int | None, bool, str]:
    """`python -m pytest ARGS` in `cwd`: (exit code, timed out, output)."""
    log = cwd.parent / "output.log"
    with log.open("wb") as handle:
        run = start_pytest(
            args, cwd, env, handle, server_env=base_env(), unused_plugins=UNUSED_PLUGINS
        )
        _running.add(run.target)
        try:
            exit_code: int | None = run.wait(timeout=limit)
            timed_out = False
        except subprocess.TimeoutExpired:
            stop_run(run)
            exit_code, timed_out = None, True
        except forkserver.ServerGone:  # killed under the run (shutdown()): the run is lost
            stop_run(run)
            exit_code, timed_out = None, False
        except BaseException:  # the grader's own timeout: never leave the run behind
            stop_run(run)
            raise
        finally:
            _running.discard(run.target)
    return exit_code, timed_out, log.read_text(encoding="utf-8", errors="replace")


# --- the cache and the pool -----------------------------------------------------------------

_pool: ThreadPoolExecutor | None = None
_cache: dict[str, Future[Any]] = {}
_running: set[Target] = set()
_lock = threading.Lock()


def _frozen(key: tuple[Any, ...]) -> str:
    return json.dumps(key, ensure_ascii=False)


def _submit(key: tuple[Any, ...], job: Callable[[], Any]) -> Future[Any]:
    global _pool
    with _lock:
        future = _cache.get(_frozen(key))
        if future is None or future.cancelled():
            if _pool is None:
                _pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="course-mutation")
            future = _cache[_frozen(key)] = _pool.submit(_kept, key, job)
        return future


def shutdown() -> None:
    """Drop queued runs and kill running ones (end of a grading session: nobody will wait)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
        _cache.clear()
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
    for process in list(_running):
        kill_tree(process)
    close_servers()


def _edits(mutant: Mutant) -> list[tuple[str, str, str]]:
    return [(edit.file, edit.old, edit.new) for edit in mutant.edits]


def _key(suite: Suite, kind: str, mutant: Mutant | None = None, *more: Any) -> tuple[Any, ...]:
    """Everything a run's outcome depends on, as plain data (it also names the file on disk):
    a mutant's own run, or the mutants the run plants (in memory, watched or forked)."""
    planted = [] if mutant else [(each.id, _edits(each)) for each in suite.planted]
    return (
        kind,
        reference_digest(suite.reference),
        tests_digest(suite.student),
        list(suite.paths),
        mutant.id if mutant else "",
        _edits(mutant) if mutant else planted,
        *more,
    )


# --- results that outlive a grading run ------------------------------------------------------


def cache_dir() -> Path | None:
    """Where finished runs are kept between `course check` runs; None when switched off."""
    configured = os.environ.get(CACHE_ENV, "")
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "module14-course" / "mutation"


@cache
def _harness_digest() -> str:
    """What else decides an outcome: this harness, Python and every installed package."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}\0{sys.version}\0".encode())
    for harness in (Path(__file__), PROBE_FILE, Path(forkserver.__file__)):
        digest.update(harness.read_bytes())
    installed = sorted(
        f"{dist.metadata['Name']}=={dist.version}" for dist in importlib.metadata.distributions()
    )
    digest.update("\n".join(installed).encode())
    return digest.hexdigest()


def _cache_file(key: tuple[Any, ...]) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    text = json.dumps([_harness_digest(), *key], ensure_ascii=False)
    return folder / f"{hashlib.sha256(text.encode()).hexdigest()}.json"


def _keepable(result: object) -> bool:
    """Only outcomes that the same inputs give again: no hang, no kill, no timeout."""
    return (
        isinstance(result, RunResult)
        and result.exit_code is not None
        and 0 <= result.exit_code <= 5
        and not result.timed_out
        and not result.hung
        and all(_keepable(run) for run in result.forked.values())
    )


def _store(path: Path, result: RunResult) -> None:
    data = {"type": type(result).__name__, "value": asdict(result)}
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
        write_atomically(path, json.dumps(data, ensure_ascii=False))


def _load(path: Path) -> RunResult | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["type"] == "RunResult":
            return _run_from(data["value"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # unreadable or of another format: run again
    return None


def _run_from(value: dict[str, Any]) -> RunResult:
    """A RunResult from its `asdict` (the JSON on disk)."""
    tuples = {name: tuple(value[name]) for name in ("missing", "paths", "planted")}
    forked = {mutant: _run_from(run) for mutant, run in value["forked"].items()}
    return RunResult(**(value | tuples | {"forked": forked}))


def _kept(key: tuple[Any, ...], job: Callable[[], Any]) -> Any:
    """The stored outcome of `key` if there is one, else `job()`'s (stored when it can be)."""
    path = _cache_file(key)
    if path is None:
        return job()
    # Of two gradings that need the same run at once, one computes it, the other then loads it.
    with locked(path):
        if (found := _load(path)) is not None:
            return found
        result = job()
        if _keepable(result):
            _store(path, result)
        return result


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _baseline(suite: Suite) -> Future[RunResult]:
    return _submit(_key(suite, "baseline"), lambda: run_pytest(suite, ["-x"]))


def _coverage(suite: Suite) -> Future[RunResult]:
    return _submit(_key(suite, "coverage"), lambda: run_pytest(suite, ["-x"], coverage=True))


def baseline(suite: Suite) -> RunResult:
    """The student's tests on the unmutated reference (must pass, >= 1 test)."""
    return _baseline(suite).result()


def coverage(suite: Suite) -> RunResult:
    """The student's tests with `--cov=app` on the reference; `.coverage` is the total in %."""
    return _coverage(suite).result()


def start_baseline(suite: Suite) -> None:
    """Start the unmutated run in the background (`baseline` then waits for it)."""
    _baseline(suite)


def start_coverage(suite: Suite) -> None:
    """Start the coverage run early: it is the longest (coverage of async code is slow).

    Not when only some checkpoints run (see `prefetch`): the one that needs it starts it.
    """
    if _grading_all():
        _coverage(suite)


def _grading_all() -> bool:
    """Whether every checkpoint runs: `grade(only=...)` wants no runs started for the others,
    which would compete for the cores with the runs it waits for."""
    return not os.environ.get(ONLY_ENV)


def _mutant_job(suite: Suite, mutant: Mutant) -> Callable[[], RunResult]:
    # A caught mutant's report needs the failing test and its message (the crash line), which
    # every traceback style keeps; pytest's own style, with source and locals, costs far more.
    return lambda: run_pytest(suite, ["-x", "--tb=native"], mutant=mutant)


def _plan(base: RunResult, only: Collection[str] | None = None) -> dict[str, list[str]]:
    """Test id -> the mutants (of `only`, if given) whose runs fork at its start: where each is
    first called."""
    plan: dict[str, list[str]] = {}
    for mutant, test in base.called.items():
        if test is not None and (only is None or mutant in only):
            plan.setdefault(test, []).append(mutant)
    return plan


def _forked(
    suite: Suite, base: RunResult, only: Collection[str] | None = None
) -> Future[RunResult]:
    """The run that forks each planted mutant's run (of `only`, if given) at the first test to
    call its code."""
    plan = _plan(base, only)
    key = _key(suite, "forked", None, sorted(plan.items()))
    return _submit(key, lambda: run_pytest(suite, ["-x"], plan=plan))


def _own_run(mutant: Mutant, base: RunResult) -> bool:
    """Whether a mutant needs a run of its own: it edits a data file, changes code that runs
    at import (module or class level) or a function's signature, or is first called outside a
    test. (A forked run that gives no verdict falls back to one as well: `_mutant_run`.)"""
    return mutant.id not in base.planted or (
        mutant.id in base.called and base.called[mutant.id] is None
    )


def prefetch(suite: Suite, mutants: Sequence[Mutant]) -> None:
    """Start every mutant's run in the background (call once the baseline is green): one run
    forks those it can, the others run on their own.

    Not when the grader runs some checkpoints only (`grade(only=...)`, see `_grading_all`).
    """
    check_mutants(suite.reference, mutants)
    if not _grading_all():
        return
    base = _baseline(suite).result()
    if not base.green:
        return
    if _plan(base):
        _forked(suite, base)
    for mutant in mutants:
        if _own_run(mutant, base):
            _submit(_key(suite, "mutant", mutant), _mutant_job(suite, mutant))


def _mutant_run(suite: Suite, mutant: Mutant, base: RunResult) -> RunResult:
    """The suite's run with `mutant` planted, once the unmutated `base` is green: the unmutated
    run itself when no test calls the code the mutant changes (the tests run alike with it),
    the run forked at the first test that does, else a run of its own."""
    if not _own_run(mutant, base):
        if mutant.id not in base.called:
            return base
        # All checkpoints graded: one run forks every mutant of the suite; some: this one only.
        only = None if _grading_all() else {mutant.id}
        forked = _forked(suite, base, only).result().forked.get(mutant.id)
        if forked is not None:
            return forked
    return _submit(_key(suite, "mutant", mutant), _mutant_job(suite, mutant)).result()


def verdict(suite: Suite, mutant: Mutant, siblings: Sequence[Mutant] = ()) -> Verdict:
    """Is `mutant` caught by the student's tests? Starts the `siblings` too (shared runs)."""
    check_mutants(suite.reference, [mutant, *siblings])  # a course bug: raise before anything
    base = _baseline(suite).result()
    if not base.green:
        reason = (
            "Мутацію не перевіряли: ваші тести не проходять на правильному застосунку "
            f"({base.problem()})"
        )
        return Verdict(mutant, False, reason, base)
    prefetch(suite, [mutant, *siblings])
    run = _mutant_run(suite, mutant, base)
    return Verdict(mutant, run.red, describe(mutant, run), run)


def describe(mutant: Mutant, run: RunResult) -> str:
    """The student's one-line reason for a mutant's outcome."""
    bug = f"«{mutant.description}»"
    if run.red:
        return f"Помилку {bug} спіймано: {run.failed[0]}"
    if run.timed_out or run.hung:
        limit = f"{run.limit:g}" if run.timed_out else f"{TEST_LIMIT}"
        return f"З помилкою {bug} тести зависли (ліміт {limit} с): це не чистий провал"
    if run.collect_errors:
        return (
            f"З помилкою {bug} тести впали ще під час збору ({run.collect_errors[0]}): "
            "тест має падати на перевірці, а не на імпорті"
        )
    if run.exit_code == 0:
        return f"Помилку {bug} не спіймано: усі {run.passed} тестів пройшли з нею"
    return f"З помилкою {bug} pytest завершився з кодом {run.exit_code}: {last_line(run.output)}"


def _config(tree: Path) -> list[str]:
    """The reference's own pytest settings (asyncio mode, pythonpath), never a parent's."""
    config = tree / "pyproject.toml"
    return ["-c", str(config)] if config.is_file() else []


# --- which reference a checkpoint grades against --------------------------------------------


def suite_for(
    session: Any,
    student: Path,
    root: Path,
    own: str,
    paths: Sequence[str],
    mutants: Sequence[Mutant] = (),
) -> Suite:
    """The suite a checkpoint of lesson folder `own` grades in this session."""
    graded = graded_lesson(session, root / "checkpoints")
    return Suite(student, reference_dir(root, own, graded), tuple(paths), tuple(mutants))


def graded_lesson(session: Any, checkpoints: Path) -> str | None:
    """The lesson a grading run is for: as the grader says, else the last checkpoint folder
    among the collected items (a pytest run started by hand).

    `course check 07` also runs the checkpoints of 00-06 (regressions); their tests of the
    student's copy then run on the app of lesson 07, the app that copy is meant to be.
    """
    if os.environ.get(GRADED_ENV):
        return os.environ[GRADED_ENV]
    names = []
    for item in getattr(session, "items", ()):
        path = Path(str(item.path)).resolve()
        if path.is_relative_to(checkpoints.resolve()):
            names.append(path.relative_to(checkpoints.resolve()).parts[0])
    return names[-1] if names else None


def reference_dir(root: Path, own: str, graded: str | None) -> Path:
    """The reference app for the checkpoints of lesson folder `own` when `graded` is graded.

    The solved snapshot of the graded lesson if it comes after `own`, solution/ for the
    homework (whose answers are in no snapshot), else `own`'s solved snapshot.
    """
    from course.manifest import HOMEWORK, load_manifest

    if graded == HOMEWORK or own == HOMEWORK:
        return root / "solution"
    order = {lesson.name: lesson.ordinal for lesson in load_manifest().lessons}
    chosen = own
    if graded in order and own in order and order[graded] > order[own]:
        chosen = graded
    return root / "lessons" / chosen / "solved"
