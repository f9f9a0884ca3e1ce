"""Only behaviour earns points in the lessons that grade tests (05, 06) and in the homework.

Each case grades a copy whose tests/ is a cheat, with `course.grader.grade`, and asserts its score:

- a suite that asserts nothing earns at most the "tests exist and pass" gate (2 points);
- a suite that reads the app's source (its files, or `inspect.getsource` of its modules) and
  compares it with the reference instead of calling the app catches no planted bug: the
  mutants are planted in memory as the app is imported (course/mutation_probe.py), so the
  files and the source they show stay correct;
- a suite that tests the harness instead of the app (its environment, pytest's assertion
  rewriting) catches no planted bug either: a run with a mutant looks to the tests like the run
  without one.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from course.grader import GradeReport, grade
from course.manifest import load_manifest
from course.mutants import HOMEWORK, HOMEWORK_UNIT, INTEGRATION, UNIT, MutantSet

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = load_manifest()
GRADING_SECONDS = 900

NOTHING = "".join(f"def test_nothing_{n}():\n    pass\n\n\n" for n in range(6))
# Tests that pass in the unmutated run and would fail in any run that differs from it but in
# the app: one that names its mutant in the environment, or loads the tests without pytest's
# assertion rewriting (a plain `assert` then raises an AssertionError without a message).
HARNESS_PROBE = """import os

import pytest


def test_no_mutant_is_named_in_the_environment():
    assert not [name for name in os.environ if "MUTANT" in name]


def test_assertions_are_rewritten():
    with pytest.raises(AssertionError, match="assert 1 == 2"):
        assert 1 == 2
"""


def source_reader(reference: Path, mutant_set: MutantSet) -> str:
    """Tests that pin the text of every file a mutant touches, read two ways."""
    files = sorted({edit.file for mutant in mutant_set.mutants for edit in mutant.edits})
    lines = ["import hashlib", "import importlib", "import inspect", "from pathlib import Path"]
    for number, file in enumerate(files):
        digest = hashlib.sha256((reference / file).read_bytes()).hexdigest()
        module = file.removesuffix(".py").replace("/", ".")
        lines += [
            "",
            "",
            f"def test_file_{number}_is_the_reference():",
            f"    data = Path({file!r}).read_bytes()",
            f"    assert hashlib.sha256(data).hexdigest() == {digest!r}",
            "",
            "",
            f"def test_module_{number}_shows_the_reference_source():",
            f"    source = inspect.getsource(importlib.import_module({module!r}))",
            f"    assert hashlib.sha256(source.encode()).hexdigest() == {digest!r}",
        ]
    return "\n".join(lines) + "\n"


def graded_copy(tmp_path: Path, base: Path, tests: dict[str, str]) -> Path:
    """`base` (the lesson's starter: the student wrote nothing but the cheat) with the cheat as
    its tests/."""
    copy = tmp_path / "copy"
    shutil.copytree(
        base,
        copy,
        ignore=shutil.ignore_patterns("tests", "__pycache__", ".venv", "media", "*.db"),
    )
    for path, text in tests.items():
        (copy / path).parent.mkdir(parents=True, exist_ok=True)
        (copy / path).write_text(text, encoding="utf-8")
    return copy


def grade_cheat(tmp_path: Path, lesson_id: str, base: Path, tests: dict[str, str]):
    lesson = MANIFEST.get(lesson_id)
    copy = graded_copy(tmp_path, base, tests)
    report = grade(
        lesson, copy, manifest=MANIFEST, checkpoints=ROOT / "checkpoints", regressions=False
    )
    assert not report.errors, report.errors
    return report


def passed(report: GradeReport) -> set[str]:
    return {result.id for result in report.results if result.passed}


LESSONS = ROOT / "lessons"
CASES = {
    # lesson: (its snapshots' folder, the folder its suite is graded in, the mutant set, the gate)
    "05": (LESSONS / "05_unit_testing", "tests/unit", UNIT, {"05.1"}),
    "06": (LESSONS / "06_integration_testing", "tests/integration", INTEGRATION, {"06.1"}),
}


@pytest.mark.timeout(GRADING_SECONDS)
@pytest.mark.parametrize("lesson_id", sorted(CASES))
def test_a_suite_that_asserts_nothing_earns_the_gate_only(tmp_path: Path, lesson_id: str) -> None:
    snapshots, folder, _, gate = CASES[lesson_id]
    cheat = {f"{folder}/test_nothing.py": NOTHING}
    report = grade_cheat(tmp_path, lesson_id, snapshots / "starter", cheat)
    assert passed(report) == gate and report.score == 2, passed(report)


@pytest.mark.timeout(GRADING_SECONDS)
@pytest.mark.parametrize("lesson_id", sorted(CASES))
def test_a_suite_that_reads_the_source_catches_no_bug(tmp_path: Path, lesson_id: str) -> None:
    snapshots, folder, mutant_set, gate = CASES[lesson_id]
    cheat = {f"{folder}/test_source.py": source_reader(snapshots / "solved", mutant_set)}
    report = grade_cheat(tmp_path, lesson_id, snapshots / "starter", cheat)
    assert passed(report) == gate and report.score == 2, passed(report)


@pytest.mark.timeout(GRADING_SECONDS)
@pytest.mark.parametrize("lesson_id", sorted(CASES))
def test_a_suite_that_tests_the_harness_catches_no_bug(tmp_path: Path, lesson_id: str) -> None:
    snapshots, folder, _, gate = CASES[lesson_id]
    cheat = {f"{folder}/test_harness.py": HARNESS_PROBE, f"{folder}/test_nothing.py": NOTHING}
    report = grade_cheat(tmp_path, lesson_id, snapshots / "starter", cheat)
    assert passed(report) == gate and report.score == 2, passed(report)


@pytest.mark.timeout(GRADING_SECONDS)
def test_homework_suites_that_assert_nothing_or_read_the_source_catch_no_bug(
    tmp_path: Path,
) -> None:
    """The homework's test checkpoints (HW.2, HW.6, HW.7) fail; its app checkpoints pass on the
    answers, as they would with any tests."""
    solution = ROOT / "solution"
    tests = {
        "tests/test_nothing.py": NOTHING,
        "tests/test_source.py": source_reader(solution, HOMEWORK),
        "tests/unit/test_nothing.py": NOTHING,
        "tests/unit/test_source.py": source_reader(solution, HOMEWORK_UNIT),
    }
    report = grade_cheat(tmp_path, "homework", solution, tests)
    assert passed(report) == {"HW.1", "HW.3", "HW.4", "HW.5", "HW.8"}, passed(report)
