"""The pytest plugin the mutation harness loads into a run of the student's tests (`-p`).

It is copied beside the run (never imported from the course package there) and does two things:

- records what the harness needs to know (collected items, collection errors, each test's
  outcome) as JSON lines in $COURSE_PROBE_FILE;
- plants the run's mutant, when $COURSE_MUTANT names one, in memory: the app's modules are
  compiled from their source with the mutant's replacements, while the files on disk stay as
  they are. Tests that read the app's source instead of calling it see the correct code and
  catch nothing; only behaviour tells a mutant apart.

Plugins named with `-p` are imported before any conftest, so before the app is imported.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import os
import sys
from types import CodeType
from typing import Any

PROBE_ENV = "COURSE_PROBE_FILE"
MUTANT_ENV = "COURSE_MUTANT"  # JSON: {"app/services/contacts.py": [[old, new], ...]}


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
    """Finds modules as usual; gives the mutated files of the run's tree the mutating loader."""

    def __init__(self, edits: dict[str, list[list[str]]], root: str) -> None:
        self.edits = {os.path.join(root, path): changes for path, changes in edits.items()}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        origin = os.path.realpath(spec.origin) if spec is not None and spec.origin else ""
        if origin in self.edits:
            spec.loader = _MutatedLoader(fullname, origin, self.edits[origin])
        return spec


if os.environ.get(MUTANT_ENV):
    root = os.path.realpath(os.getcwd())  # the run's tree: the harness starts pytest there
    sys.meta_path.insert(0, _MutantFinder(json.loads(os.environ[MUTANT_ENV]), root))
