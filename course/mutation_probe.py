"""The pytest plugin the mutation harness loads into a run of the student's tests (`-p`).

It is copied beside the run (never imported from the course package there) and does three things:

- records what the harness needs to know (collected items, collection errors, each test's
  outcome) as JSON lines in $COURSE_PROBE_FILE;
- plants the run's mutant, when $COURSE_MUTANT names one, in memory: the app's modules are
  compiled from their source with the mutant's replacements, while the files on disk stay as
  they are. Tests that read the app's source instead of calling it see the correct code and
  catch nothing; only behaviour tells a mutant apart.
- keeps pytest's assertion rewriting of each test module, by its source, in $COURSE_REWRITTEN (a
  folder): a grading runs the same tests 10-25 times, and rewriting them is a good part of a
  short run's start.

Plugins named with `-p` are imported before any conftest, so before the app is imported.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import marshal
import os
import sys
import warnings
from pathlib import Path
from types import CodeType
from typing import Any

PROBE_ENV = "COURSE_PROBE_FILE"
MUTANT_ENV = "COURSE_MUTANT"  # JSON: {"app/services/contacts.py": [[old, new], ...]}
REWRITTEN_ENV = "COURSE_REWRITTEN"  # a folder for rewritten test modules (none: not kept)
REWRITTEN_FORMAT = 1  # bump when what a kept module holds changes


def _emit(event: dict[str, Any]) -> None:
    with open(os.environ[PROBE_ENV], "a", encoding="utf-8") as handle:
        handle.write(json.dumps(event) + "\n")


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


class _MutatedLoader(importlib.machinery.SourceFileLoader):
    """Compiles a module from its source file with the mutant's replacements applied."""

    def __init__(self, fullname: str, path: str, edits: list[list[str]]) -> None:
        super().__init__(fullname, path)
        self.edits = edits

    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        source = mutated_source(self.get_data(path).decode("utf-8"), self.edits)
        return compile(source, path, "exec", dont_inherit=True)


class _MutantFinder(importlib.abc.MetaPathFinder):
    """Gives the mutated files of the run's tree the mutating loader; leaves every other module
    to the finders after it, pytest's assertion rewriting among them: the student's tests run as
    they do on the unmutated app, down to their assertion messages."""

    def __init__(self, edits: dict[str, list[list[str]]], root: str) -> None:
        self.edits = {os.path.join(root, path): changes for path, changes in edits.items()}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        origin = os.path.realpath(spec.origin) if spec is not None and spec.origin else ""
        if origin not in self.edits:
            return None
        spec.loader = _MutatedLoader(fullname, origin, self.edits[origin])
        return spec


# Read, then dropped: the student's tests see the environment of the unmutated run.
_planted = os.environ.pop(MUTANT_ENV, "")
if _planted:
    root = os.path.realpath(os.getcwd())  # the run's tree: the harness starts pytest there
    sys.meta_path.insert(0, _MutantFinder(json.loads(_planted), root))


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
