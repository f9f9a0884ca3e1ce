"""The pytest plugin the mutation harness loads into a run of the student's tests (`-p`).

It is copied beside the run (never imported from the course package there) and does four things:

- records what the harness needs to know (collected items, collection errors, each test's
  outcome) as JSON lines in $COURSE_PROBE_FILE;
- plants the run's mutant, when $COURSE_MUTANT names one, in memory: the app's modules are
  compiled from their source with the mutant's replacements, while the files on disk stay as
  they are. Tests that read the app's source instead of calling it see the correct code and
  catch nothing; only behaviour tells a mutant apart.
- given many mutants in $COURSE_PLANTED, reports the first test that calls the code each changes
  and, given a plan as well, forks each mutant's run at that test (below);
- keeps pytest's assertion rewriting of each test module, by its source, in $COURSE_REWRITTEN (a
  folder): a grading runs the same tests 10-25 times, and rewriting them is a good part of a
  short run's start.

Plugins named with `-p` are imported before any conftest, so before the app is imported.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import json
import marshal
import os
import shutil
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FunctionType
from typing import Any

import pluggy

PROBE_ENV = "COURSE_PROBE_FILE"
MUTANT_ENV = "COURSE_MUTANT"  # JSON: {"app/services/contacts.py": [[old, new], ...]}
# JSON: {"mutants": {id: {file: [[old, new], ...]}}, "plan": {test id: [mutant id, ...]} or null}
PLANTED_ENV = "COURSE_PLANTED"
CRASHED = 70  # a forked mutant's run that ended before pytest's session did
REWRITTEN_ENV = "COURSE_REWRITTEN"  # a folder for rewritten test modules (none: not kept)
REWRITTEN_FORMAT = 1  # bump when what a kept module holds changes


def _emit(event: dict[str, Any], events: str | None = None) -> None:
    """One event, as a JSON line, into this run's events file (or `events`)."""
    with open(events or os.environ[PROBE_ENV], "a", encoding="utf-8") as handle:
        handle.write(json.dumps(event) + "\n")


def _flush() -> None:
    """Nothing buffered may reach another process's output: before a fork, before `_exit`."""
    sys.stdout.flush()
    sys.stderr.flush()


def _reason(report: Any) -> str:
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        return str(crash.message).strip().splitlines()[0][:500]
    text = getattr(report, "longreprtext", "") or ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    return (errors or lines or [""])[-1][:500]


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _emit({"event": "collect_error", "nodeid": report.nodeid, "reason": _reason(report)})


def pytest_collection_finish(session: Any) -> None:
    _emit({"event": "collected", "count": len(session.items)})


def pytest_runtest_logreport(report: Any) -> None:
    if report.when == "call" or not report.passed:
        reason = _reason(report) if report.failed else ""
        _emit(
            {
                "event": "report",
                "nodeid": report.nodeid,
                "when": report.when,
                "outcome": report.outcome,
                "reason": reason,
            }
        )


# --- the mutant, planted at import time --------------------------------------------------------


def mutated_source(source: str, edits: list[list[str]]) -> str:
    """The source with each (old, new) replacement of one file applied in turn."""
    for old, new in edits:
        source = source.replace(old, new, 1)
    return source


class _CompiledLoader(importlib.machinery.SourceFileLoader):
    """Loads a module of the run's tree from code compiled here instead of from its file."""

    def __init__(self, fullname: str, path: str, code: CodeType) -> None:
        super().__init__(fullname, path)
        self.code = code

    def get_code(self, fullname: str) -> CodeType:
        return self.code

    def exec_module(self, module: Any) -> None:
        module.__dict__[HOOK] = _called  # what the watched functions call first (below)
        super().exec_module(module)


class _Finder(importlib.abc.MetaPathFinder):
    """Gives the files it compiles (by path in the run's tree) their loader; leaves every other
    module to the finders after it, pytest's assertion rewriting among them: the student's tests
    run as they do on the unmutated app, down to their assertion messages."""

    def __init__(self, codes: dict[str, Callable[[str], CodeType]], root: str) -> None:
        self.codes = {os.path.join(root, path): compiled for path, compiled in codes.items()}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        origin = os.path.realpath(spec.origin) if spec is not None and spec.origin else ""
        if origin not in self.codes:
            return None
        spec.loader = _CompiledLoader(fullname, origin, self.codes[origin](origin))
        return spec


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _compiled(source: str, path: str) -> CodeType:
    return compile(source, path, "exec", dont_inherit=True)


def _mutated(edits: list[list[str]]) -> Callable[[str], CodeType]:
    return lambda path: _compiled(mutated_source(_read(path), edits), path)


# --- many mutants in one run: the first test that calls each, and a run forked there ----------
#
# Running every mutant's run from the start repeats, for each, the tests before the first one that
# calls the code it changes; those tests run alike with and without it. So the unmutated run
# watches the functions each mutant changes (a call to HOOK compiled in first) and reports the
# first test that calls one ("called"). Given those tests as a plan, a second run forks at the
# start of each: the child swaps the mutant's code into the live functions (`__code__`) and goes
# on as that mutant's run, from that test to its end; the parent waits for it (one run at a time:
# they share the tree's files), then goes on to the next. A change that runs at import (module or
# class level, a default, a decorator's argument) cannot be swapped in later: such a mutant, one
# called outside a test, or one that cannot be forked safely (a thread still running at its test;
# a run forked before it changed files that were there) gets a run of its own. Each forked run
# writes by a relative path into a copy of the tree of its own.

HOOK = "__course_called__"
# pytest's own marker, made here: the course package imports this module for its names, and
# importing pytest there would slow every `course` command.
hookimpl = pluggy.HookimplMarker("pytest")
_NESTED_CODE = "\0code"  # nested code in a comparison: it is compared on its own
_THREAD_WAIT = 0.1  # seconds for a thread of the last test to end before a fork
Place = tuple[int, ...]  # a code object's place: its indexes among the nested code, from the module


def _nested(code: CodeType) -> list[CodeType]:
    return [const for const in code.co_consts if isinstance(const, CodeType)]


def _at(code: CodeType, path: Place) -> CodeType:
    for index in path:
        code = _nested(code)[index]
    return code


def _essence(code: CodeType) -> tuple[Any, ...]:
    """What code does: everything but its lines and its nested code (compared on their own)."""
    consts = tuple(
        _NESTED_CODE if isinstance(const, CodeType) else (type(const).__name__, repr(const))
        for const in code.co_consts
    )
    return (
        code.co_code,
        consts,
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
        code.co_flags,
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        code.co_exceptiontable,
        code.co_qualname,
    )


def _changed(before: CodeType, after: CodeType, path: Place = ()) -> list[Place] | None:
    """Where `after` differs from `before`; None when their nesting differs."""
    inner_before, inner_after = _nested(before), _nested(after)
    if len(inner_before) != len(inner_after):
        return None
    found = [] if _essence(before) == _essence(after) else [path]
    for index, (old, new) in enumerate(zip(inner_before, inner_after, strict=True)):
        more = _changed(old, new, (*path, index))
        if more is None:
            return None
        found += more
    return found


def _runs_at_import(code: CodeType) -> bool:
    """A module or a class body (no optimized locals): run as its module is imported."""
    return not code.co_flags & inspect.CO_OPTIMIZED


def _same_signature(before: CodeType, after: CodeType) -> bool:
    """Parameters, kind (coroutine, generator) and closure alike: what FastAPI, pydantic and
    `__code__` assignment take from a function, some of it at import."""
    return (
        before.co_flags == after.co_flags
        and before.co_argcount == after.co_argcount
        and before.co_posonlyargcount == after.co_posonlyargcount
        and before.co_kwonlyargcount == after.co_kwonlyargcount
        and before.co_varnames[: before.co_argcount + before.co_kwonlyargcount]
        == after.co_varnames[: after.co_argcount + after.co_kwonlyargcount]
        and before.co_freevars == after.co_freevars
    )


def _swap_and_watch(before: CodeType, after: CodeType) -> tuple[set[Place], set[Place]] | None:
    """The code to swap in for a file's changes and the functions to watch for the first call
    (each change's outermost function, defined at import); None when a change runs at import or
    changes a function's signature."""
    changed = _changed(before, after)
    if changed is None:
        return None
    swap: set[Place] = set()
    watch: set[Place] = set()
    for path in changed:
        if not _same_signature(_at(before, path), _at(after, path)):
            return None
        depth = 0
        while depth <= len(path) and _runs_at_import(_at(before, path[:depth])):
            depth += 1
        if depth > len(path) or _at(before, path[:depth]).co_name.startswith("<"):
            return None  # run at import, or a lambda/comprehension: nowhere to watch its call
        watch.add(path[:depth])
        swap.update(path[:end] for end in range(depth, len(path) + 1))
    return swap, watch


class _Watcher(ast.NodeTransformer):
    """Compiles a call of HOOK first into each watched function, (qualname, first line)."""

    def __init__(self, watched: set[tuple[str, int]]) -> None:
        self.watched = watched
        self.scope: list[str] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()
        return node

    def visit_FunctionDef(self, node: Any) -> Any:
        first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        if (".".join([*self.scope, node.name]), first) in self.watched:
            after = 1 if ast.get_docstring(node, clean=False) is not None else 0
            where = node.body[min(after, len(node.body) - 1)]
            call = ast.Expr(ast.Call(ast.Name(HOOK, ast.Load()), [], []))
            node.body.insert(after, ast.fix_missing_locations(ast.copy_location(call, where)))
        self.scope += [node.name, "<locals>"]
        self.generic_visit(node)
        del self.scope[-2:]
        return node

    visit_AsyncFunctionDef = visit_FunctionDef


def _watched_code(source: str, path: str, original: CodeType, watch: set[Place]) -> CodeType | None:
    """The module as compiled from `source`, each function at `watch` calling HOOK first; None
    when the code that differs from `original` is not exactly those functions."""
    named = {
        (_at(original, where).co_qualname, _at(original, where).co_firstlineno) for where in watch
    }
    code = _compiled(_Watcher(named).visit(ast.parse(source, path)), path)
    return code if set(_changed(original, code) or ()) == watch else None


@dataclass
class _Planted:
    """This run's mutants, as compiled for watching and for swapping in."""

    events: str  # this run's events file: mutant N's run writes to `events`.N
    order: list[str]  # the mutants' ids, in the order the harness numbers them
    plan: dict[str, list[str]] | None  # test id -> the mutants forked at its start (2nd run)
    codes: dict[str, Callable[[str], CodeType]] = field(default_factory=dict)  # the watched files
    watch: dict[int, list[str]] = field(default_factory=dict)  # id(code) -> mutants it calls
    swaps: dict[str, list[tuple[CodeType, CodeType]]] = field(default_factory=dict)
    called: dict[str, str | None] = field(default_factory=dict)  # mutant -> first test (or None)
    test: str | None = None  # the test running now
    exit_status: int | None = None  # in a forked mutant's run: what it exits with


def _plant(mutants: dict[str, dict[str, list[list[str]]]], root: str, planted: _Planted) -> None:
    """Compile what `planted` watches and swaps for each mutant that can be forked."""
    sources = {
        path: _read(os.path.join(root, path)) for edits in mutants.values() for path in edits
    }
    originals = {
        path: _compiled(source, os.path.join(root, path)) for path, source in sources.items()
    }
    changes: dict[str, dict[str, tuple[CodeType, set[Place], set[Place]]]] = {}
    for mutant, edits in mutants.items():
        per_file = {}
        for path, replacements in edits.items():
            try:
                after = _compiled(
                    mutated_source(sources[path], replacements), os.path.join(root, path)
                )
            except SyntaxError:  # its own run reports the collection error
                break
            found = _swap_and_watch(originals[path], after)
            if found is None:
                break
            per_file[path] = (after, *found)
        else:
            changes[mutant] = per_file
    watched: dict[str, set[Place]] = {}
    for per_file in changes.values():
        for path, (_, _, watch) in per_file.items():
            watched.setdefault(path, set()).update(watch)
    codes = {
        path: _watched_code(sources[path], os.path.join(root, path), originals[path], watch)
        for path, watch in watched.items()
    }
    # A file whose watched functions do not compile apart: its mutants run on their own.
    changes = {
        mutant: per_file
        for mutant, per_file in changes.items()
        if all(codes[path] is not None for path in per_file)
    }
    for mutant, per_file in changes.items():
        for path, (after, swap, watch) in per_file.items():
            code = codes[path]
            assert code is not None
            planted.codes.setdefault(path, lambda _, code=code: code)
            for where in watch:
                planted.watch.setdefault(id(_at(code, where)), []).append(mutant)
            planted.swaps.setdefault(mutant, []).extend(
                (_at(code, where), _at(after, where)) for where in swap
            )
    _emit({"event": "planted", "mutants": sorted(changes)})


def _called() -> None:
    """HOOK: a watched function was called. The first call of a mutant's code names its test."""
    planted = _state
    if planted is None:
        return
    for mutant in planted.watch.get(id(sys._getframe(1).f_code), ()):
        if mutant not in planted.called:
            planted.called[mutant] = planted.test
            if planted.plan is None:
                _emit({"event": "called", "mutant": mutant, "test": planted.test})


def _alone() -> bool:
    """Whether this process has one thread (a fork copies only the forking thread), after
    giving the threads a test left behind (aiosqlite, anyio workers) a moment to end."""
    for thread in threading.enumerate():
        if thread is not threading.main_thread():
            thread.join(_THREAD_WAIT)
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return threading.active_count() == 1


def _files(root: str) -> dict[str, tuple[int, int]]:
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            with contextlib.suppress(OSError):
                status = os.stat(os.path.join(folder, name))
                found[os.path.join(folder, name)] = (status.st_size, status.st_mtime_ns)
    return found


def _untouched(tree: dict[str, tuple[int, int]], scratch: dict[str, tuple[int, int]]) -> bool:
    """Whether a forked run left the tree as it was, and every temp file that was there before:
    what the tests after it read must be what they would read without it."""
    now = _files(_tmp_root())
    return _files(_root) == tree and all(now.get(path) == seen for path, seen in scratch.items())


def _tmp_root() -> str:
    return os.environ.get("TMPDIR") or tempfile.gettempdir()


def _fork_planned(planted: _Planted, item: Any) -> None:
    """At a planned test: a forked run per mutant planned here, one at a time."""
    assert planted.plan is not None
    for mutant in planted.plan.pop(item.nodeid, ()):
        if mutant in planted.called or not _alone():
            continue  # called before its test after all, or not safe to fork: its own run
        tree, scratch = _files(_root), _files(_tmp_root())
        _flush()
        pid = os.fork()
        if pid == 0:
            _become(planted, mutant, item.config)
            return
        code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        _emit({"event": "exit", "code": code}, _events_of(planted, mutant))
        if not _untouched(tree, scratch):
            planted.plan.clear()  # the tests after this one would not run as in the mutants' runs
    if not planted.plan:  # nothing left to fork: the rest of this run is of no use
        _flush()
        os._exit(0)


def _events_of(planted: _Planted, mutant: str) -> str:
    return f"{planted.events}.{planted.order.index(mutant)}"


def _become(planted: _Planted, mutant: str, config: Any) -> None:
    """In the forked child: become `mutant`'s run from the test about to start."""
    global _state, _forked
    _state = None  # no more watching, no more forks
    # From here on it ends in pytest_unconfigure, whatever fails below (pytest's internal error,
    # exit 3, which the harness takes for no verdict): the exit handlers are the parent's.
    _forked = planted
    events = _events_of(planted, mutant)
    shutil.copyfile(planted.events, events)  # the tests before this one: as in its own run
    os.environ[PROBE_ENV] = events
    _redirect(config, f"{events}.log")
    tree = f"{events}.tree"  # files the tests write by a relative path: its own
    shutil.copytree(_root, tree, symlinks=True)
    os.chdir(tree)
    swaps = {id(old): new for old, new in planted.swaps[mutant]}
    for thing in gc.get_objects():
        if isinstance(thing, FunctionType) and id(thing.__code__) in swaps:
            thing.__code__ = swaps[id(thing.__code__)]
    config.option.tbstyle = "native"  # as the harness starts a mutant's own run


def _redirect(config: Any, log: str) -> None:
    """This process's output (pytest's saved copies of it included) to `log`."""
    output = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    capturing = getattr(config.pluginmanager.getplugin("capturemanager"), "_global_capturing", None)
    saved = [
        getattr(getattr(capturing, name, None), "targetfd_save", None) for name in ("out", "err")
    ]
    for target in (1, 2, *(fd for fd in saved if isinstance(fd, int))):
        os.dup2(output, target)
    os.close(output)


_root = os.path.realpath(os.getcwd())  # the run's tree: the harness starts pytest there
_state: _Planted | None = None  # a run that watches its mutants (and forks, given a plan)
_forked: _Planted | None = None  # set in a mutant's forked run

# Read, then dropped: the student's tests see the environment of the unmutated run.
_single = os.environ.pop(MUTANT_ENV, "")
_many = os.environ.pop(PLANTED_ENV, "")
if _single:
    edits = json.loads(_single)
    sys.meta_path.insert(
        0, _Finder({path: _mutated(changes) for path, changes in edits.items()}, _root)
    )
elif _many:
    request = json.loads(_many)
    _state = _Planted(os.environ[PROBE_ENV], list(request["mutants"]), request.get("plan"))
    _plant(request["mutants"], _root, _state)
    sys.meta_path.insert(0, _Finder(_state.codes, _root))


@hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Any:
    planted = _state
    if planted is not None:
        planted.test = item.nodeid
        if planted.plan is not None:
            _fork_planned(planted, item)
    try:
        return (yield)
    finally:
        if _state is not None:
            _state.test = None


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    if _forked is not None:
        _forked.exit_status = int(exitstatus)


@hookimpl(trylast=True)
def pytest_unconfigure(config: Any) -> None:
    """A forked mutant's run ends here: the exit handlers of the run it was forked from (which
    may remove files that run still uses) are not its own."""
    if _forked is not None:
        _flush()
        os._exit(CRASHED if _forked.exit_status is None else _forked.exit_status)


# --- pytest's assertion rewriting, kept per source ---------------------------------------------


def _relocated(code: CodeType, filename: str) -> CodeType:
    """`code` and the code nested in it, as compiled from `filename`."""
    consts = tuple(
        _relocated(const, filename) if isinstance(const, CodeType) else const
        for const in code.co_consts
    )
    return code.replace(co_filename=filename, co_consts=consts)


def _keep_rewrites(folder: Path) -> None:
    """Wrap pytest's rewrite of a test module: the same source (and pytest, Python, settings)
    gives the same code, so it is read from `folder` when a run before this one rewrote it."""
    import pytest
    from _pytest.assertion import rewrite

    rewrite_test = rewrite._rewrite_test
    versions = f"{REWRITTEN_FORMAT}\0{pytest.__version__}\0{sys.version}"

    def kept(fn: Path, config: Any) -> tuple[bytes, CodeType]:
        """(the source's hash, the rewritten code), as pytest's own `_rewrite_test` returns."""
        source = fn.read_bytes()
        hook = config.getini("enable_assertion_pass_hook")
        digest = hashlib.sha256(f"{versions}\0{hook}\0".encode() + source).hexdigest()
        path = folder / f"{digest}.code"
        try:
            code = _relocated(marshal.loads(path.read_bytes()), str(fn))
            return importlib.util.source_hash(source), code
        except (OSError, ValueError, EOFError, TypeError):
            pass  # not kept yet, or unreadable: rewritten below
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            source_hash, code = rewrite_test(fn, config)
        for warning in caught:  # as the rewrite warned; such a module is rewritten every time
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
        if not caught:
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            try:
                folder.mkdir(parents=True, exist_ok=True)
                partial.write_bytes(marshal.dumps(code))
                partial.replace(path)
            except OSError:
                pass  # a folder that cannot be written only costs time
        return source_hash, code

    rewrite._rewrite_test = kept


if os.environ.get(REWRITTEN_ENV):
    _keep_rewrites(Path(os.environ[REWRITTEN_ENV]))
