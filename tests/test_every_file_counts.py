"""Every file of a lesson's work carries points.

For each lesson NN and each code, test or config file that starter(NN) and solved(NN) differ in
(prose such as README.md excepted): a copy of solved(NN) with that one file put back as
starter(NN) has it (or removed, where the starter has none) scores below the maximum of
`course check NN`. A file whose work no checkpoint notices would be work without points.

Only the checkpoints that the starter's `TODO(NN) [чекпойнт …]` lines name for the file (its
own TODOs, or for a new file the README's TODO that names its path) are graded, one at a time
until one loses points, and one of them must: so the proof also shows that the TODOs name the
checkpoints that really grade the file, and it stays fast enough for CI in the mutation-graded
lessons 05 and 06. A file no TODO names is graded by every checkpoint. The cases are graded in
the background from the start of the module, two at a time (a grading alone leaves a core idle
much of its time), the seeded-bug lessons first.
"""

from __future__ import annotations

import filecmp
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import Background, selected

from course.files import list_files
from course.grader import grade
from course.manifest import Lesson, load_manifest
from course.mutants import ALL
from course.todos import named_checkpoints, todo_lines

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = load_manifest()
PROSE_SUFFIXES = (".md",)
WAIT_SECONDS = 2700  # for a case's grading and those queued before it


def snapshot(lesson: Lesson, kind: str) -> Path:
    return ROOT / "lessons" / lesson.name / kind


def work_files(lesson: Lesson) -> list[str]:
    """The files the lesson's work changes, adds or removes, prose left out."""
    starter, solved = snapshot(lesson, "starter"), snapshot(lesson, "solved")
    before, after = set(list_files(starter)), set(list_files(solved))
    return sorted(
        path
        for path in before | after
        if not path.endswith(PROSE_SUFFIXES)
        and (
            path not in before
            or path not in after
            or not filecmp.cmp(starter / path, solved / path, shallow=False)
        )
    )


def checkpoints_named_for(starter: Path, path: str, lesson: Lesson) -> list[str]:
    """The ids the starter's `TODO(NN)` lines name: those in the file, or for a file the starter
    does not have, those that name its path (the lesson README's list of new files)."""
    present = (starter / path).is_file()
    return sorted(
        {
            checkpoint_id
            for found, _, line in todo_lines(starter, lesson.id)
            if (found == path if present else f"`{path}`" in line)
            for checkpoint_id in named_checkpoints(line)
        }
    )


CASES = [(lesson, path) for lesson in MANIFEST.lessons for path in work_files(lesson)]


def test_every_lesson_has_work_files() -> None:
    assert {lesson.id for lesson, _ in CASES} == {lesson.id for lesson in MANIFEST.lessons}


TEST = "test_putting_one_file_back_as_the_starter_has_it_costs_points"


# Lesson folders whose checkpoints run the student's tests against seeded bugs: the long cases.
MUTATION_GRADED = {mutant_set.lesson for mutant_set in ALL}


def slowest_first(case: tuple[Lesson, str]) -> tuple[bool, str]:
    lesson, _ = case
    return lesson.name not in MUTATION_GRADED, ids(case)


@pytest.fixture(scope="module")
def background(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Background]:
    """Every selected case graded from the start of the module, two at a time, the slowest
    first: a grading leaves a core idle much of its time (one checkpoint process, one run)."""
    jobs = Background()
    for case in sorted(selected(request, TEST, "case"), key=slowest_first):
        folder = tmp_path_factory.mktemp("case")
        jobs.submit(case, lambda case=case, folder=folder: full_marks_without(*case, folder))
    yield jobs
    jobs.close()


def ids(case: tuple[Lesson, str]) -> str:
    lesson, path = case
    return f"{lesson.id}:{path}"


@pytest.mark.timeout(WAIT_SECONDS)
@pytest.mark.parametrize("case", CASES, ids=ids)
def test_putting_one_file_back_as_the_starter_has_it_costs_points(
    case: tuple[Lesson, str], background: Background, tmp_path: Path
) -> None:
    problem = background.result(case, lambda: full_marks_without(*case, tmp_path), WAIT_SECONDS)
    assert not problem, problem


def full_marks_without(lesson: Lesson, path: str, folder: Path) -> str:
    """Why a copy of solved(NN) with `path` put back as starter(NN) has it keeps full marks,
    or "" when it loses points."""
    starter, copy = snapshot(lesson, "starter"), folder / "copy"
    shutil.copytree(snapshot(lesson, "solved"), copy)
    named = checkpoints_named_for(starter, path, lesson)
    if (starter / path).is_file():
        shutil.copyfile(starter / path, copy / path)
    else:
        (copy / path).unlink()
    # One named checkpoint at a time, up to the first that loses points: the same claim for
    # less work (each mutation-graded checkpoint of 05/06 runs the whole suite once or more).
    groups = [[checkpoint] for checkpoint in named] or [[]]
    if any(loses_points(lesson, copy, group) for group in groups):
        return ""
    return f"{path} as starter({lesson.id}) has it: full marks" + (
        f" in every checkpoint its TODOs name ({', '.join(named)})" if named else ""
    )


def loses_points(lesson: Lesson, copy: Path, only: list[str]) -> bool:
    """Whether `course check` of the copy scores below the maximum (in `only`, if given)."""
    report = grade(
        lesson,
        copy,
        manifest=MANIFEST,
        checkpoints=ROOT / "checkpoints",
        regressions=False,
        only=only,
    )
    assert not report.errors, report.errors
    return report.score < report.max_score
