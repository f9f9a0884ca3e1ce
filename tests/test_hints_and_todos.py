"""A student finds every checkpoint's work from the starter, and every TODO's checkpoint.

(a) every `TODO(NN)` line of starter(NN) names checkpoints of lesson NN, and only real ones:
    `TODO(NN) [чекпойнт NN.K]: …` (course/todos.py reads that form);
(b) every checkpoint of lesson NN is named by a `TODO(NN)` line of starter(NN) — `course check`
    shows those files under its hint — or its hint names a file that is new in solved(NN)
    (a Dockerfile, a workflow: work with no starter line to hang a TODO on).

The homework too: lessons/homework/starter has `TODO(homework) [чекпойнт HW.K]: …` lines, and its
"solved" is solution/ itself (rendered at its own stage: markers cut out).

The checkpoints are collected the way `course check` and the site collect them (ids and hints as
the student sees them). And a failure reason quoting a settings error names the field, never
its value (`without_input_values`): the value may be a secret.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError, field_validator
from support import rendered_solution

from course.checkpoint import without_input_values
from course.files import list_files
from course.grader import CheckpointResult, GradeReport
from course.manifest import Lesson, load_manifest
from course.report import classroom_report
from course.site_directives import collected_checkpoints
from course.todos import named_checkpoints, todo_lines, todo_locations, where_to_look

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = load_manifest()


def snapshot(lesson: Lesson, kind: str) -> Path:
    return ROOT / "lessons" / lesson.name / kind


def solved_files(lesson: Lesson) -> set[str]:
    """The files of solved(NN); for the homework, of solution/ itself (its answers)."""
    if lesson.is_homework:
        return set(rendered_solution())
    return set(list_files(snapshot(lesson, "solved")))


@pytest.fixture(scope="module")
def checkpoints() -> dict[str, list[dict[str, Any]]]:
    return collected_checkpoints(ROOT)


def test_ids_and_ranges_are_read_from_the_todo_line() -> None:
    assert named_checkpoints("# TODO(04) [чекпойнт 04.3]: ключ") == ["04.3"]
    line = "- TODO(05) [чекпойнти 05.1, 05.3–05.5, 05.10]: тести"
    assert named_checkpoints(line) == ["05.1", "05.3", "05.4", "05.5", "05.10"]
    assert named_checkpoints("# TODO(04): ключ кешу (checkpoint 04.3)") == []
    assert where_to_look("04", [("a.py", 3), ("b.py", 1), ("a.py", 9)]) == "TODO(04) у a.py, b.py"
    assert where_to_look("04", []) == ""


@pytest.mark.parametrize("lesson", MANIFEST.graded, ids=lambda lesson: lesson.id)
def test_every_todo_names_checkpoints_of_its_lesson(
    lesson: Lesson, checkpoints: dict[str, list[dict[str, Any]]]
) -> None:
    known = {item["id"] for item in checkpoints.get(lesson.name, [])}
    found = todo_lines(snapshot(lesson, "starter"), lesson.id)
    assert found, f"starter({lesson.id}) has no TODO({lesson.id}) line"
    problems = []
    for path, number, line in found:
        named = named_checkpoints(line)
        unknown = [item for item in named if item not in known]
        if not named:
            problems.append(f"{path}:{number}: names no checkpoint: {line.strip()}")
        elif unknown:
            problems.append(f"{path}:{number}: not a checkpoint of {lesson.id}: {unknown}")
    assert not problems, (
        f"starter({lesson.id}): every TODO({lesson.id}) line names its checkpoints as "
        f"`TODO({lesson.id}) [чекпойнт {lesson.id}.K]: …` (checkpoints: {sorted(known)}):\n"
        + "\n".join(problems)
    )


@pytest.mark.parametrize("lesson", MANIFEST.graded, ids=lambda lesson: lesson.id)
def test_every_checkpoint_is_found_from_the_starter(
    lesson: Lesson, checkpoints: dict[str, list[dict[str, Any]]]
) -> None:
    items = checkpoints.get(lesson.name, [])
    assert items, f"checkpoints/{lesson.name}/ has no checkpoints"
    starter = snapshot(lesson, "starter")
    named = todo_locations(starter, lesson.id)
    new_files = solved_files(lesson) - set(list_files(starter))
    lost = [
        f"{item['id']} ({item['title']})"
        for item in items
        if item["id"] not in named and not any(path in item["hint"] for path in new_files)
    ]
    assert not lost, (
        f"lesson {lesson.id}: no TODO({lesson.id}) of the starter names these checkpoints, and "
        f"their hint names no file new in solved({lesson.id}) {sorted(new_files)}:\n"
        + "\n".join(lost)
    )


def test_a_failed_checkpoint_says_where_its_todos_are() -> None:
    """The grader's `where` (printed at 80 columns in tests/test_course_cli.py) and its JSON."""
    starter = snapshot(MANIFEST.get("04"), "starter")
    where = where_to_look("04", todo_locations(starter, "04")["04.3"])
    assert where.startswith("TODO(04) у ") and "app/services/contacts.py" in where, where
    result = CheckpointResult("04", "04.3", "Кеш інвалідовано", 2, "Видаліть ключ", "", 1)
    result.add("failed", {"kind": "assert", "reason": "Кеш не змінився"}, 0.1)
    result.where = where
    report = GradeReport(lesson=MANIFEST.get("04"), results=[result], regressions=[], errors=[])
    message = classroom_report(report)["tests"][0]["message"]
    assert message == f"Кеш не змінився\nПідказка: Видаліть ключ\nДе: {where}", message


class _Secrets(BaseModel):
    JWT_SECRET_KEY: int

    @field_validator("JWT_SECRET_KEY", mode="before")
    @classmethod
    def weak(cls, value: object) -> object:
        raise ValueError("JWT_SECRET_KEY is too short")


def test_a_reason_names_the_field_not_its_value() -> None:
    with pytest.raises(ValidationError) as caught:
        _Secrets(JWT_SECRET_KEY="s3cret-from-the-env")
    assert "s3cret-from-the-env" in str(caught.value)  # what pydantic itself prints
    reason = without_input_values(str(caught.value))
    assert "s3cret" not in reason and "JWT_SECRET_KEY is too short" in reason, reason
