"""`course start`, `catch-up`, `diff`, `status` and the watch loop on synthetic snapshots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import watchfiles
from typer.testing import CliRunner

from course.cli import app, save_filter, watch_and_regrade
from course.workspace import catch_up, next_step, read_progress, record_score, start


def write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")


@pytest.fixture
def course_root(tmp_path: Path) -> Path:
    lessons = tmp_path / "lessons"
    write(
        lessons / "00_overview/starter",
        {"app/main.py": "v0\n", "app/gone.py": "old\n", "app/edited.py": "e0\n"},
    )
    write(lessons / "00_overview/solved", {"app/main.py": "v0 solved\n", "app/gone.py": "old\n"})
    write(
        lessons / "01_email_verification/starter",
        {"app/main.py": "v1\n", "app/new.py": "new\n", "app/edited.py": "e1\n"},
    )
    return tmp_path


def invoke(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COURSE_ROOT": str(root)})
    return result.exit_code, result.output


def test_start_copies_the_starter_and_records_it(course_root: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    code, output = invoke(course_root, "start", "00", str(workspace))
    assert code == 0 and "3" in output
    assert (workspace / "app/main.py").read_text() == "v0\n"
    progress = json.loads((workspace / ".course/progress.json").read_text())
    assert progress["lesson"] == "00" and set(progress["files"]) == {
        "app/main.py",
        "app/gone.py",
        "app/edited.py",
    }


def test_start_refuses_a_non_empty_folder(course_root: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    write(workspace, {"mine.py": "keep\n"})
    code, output = invoke(course_root, "start", "00", str(workspace))
    assert code == 2 and "не порожня" in " ".join(output.split())
    assert [p.name for p in workspace.iterdir()] == ["mine.py"]


def test_catch_up_keeps_edited_files_and_lists_them(course_root: Path, tmp_path: Path) -> None:
    lessons, workspace = course_root / "lessons", tmp_path / "ws"
    start("00", lessons / "00_overview/starter", workspace)
    (workspace / "app/edited.py").write_text("my work\n")
    write(workspace, {"notes.txt": "student's own file\n"})
    code, output = invoke(course_root, "catch-up", "01", str(workspace))
    assert code == 1 and "конфлікт: app/edited.py" in output
    assert (workspace / "app/main.py").read_text() == "v1\n"  # untouched -> replaced
    assert (workspace / "app/new.py").read_text() == "new\n"  # added
    assert not (workspace / "app/gone.py").exists()  # removed
    assert (workspace / "app/edited.py").read_text() == "my work\n"  # kept
    assert (workspace / "notes.txt").exists()
    assert read_progress(workspace)["lesson"] == "01"


def test_catch_up_force_backs_up_and_overwrites(course_root: Path, tmp_path: Path) -> None:
    lessons, workspace = course_root / "lessons", tmp_path / "ws"
    start("00", lessons / "00_overview/starter", workspace)
    (workspace / "app/edited.py").write_text("my work\n")
    result = catch_up("01", lessons / "01_email_verification/starter", workspace, force=True)
    assert result.conflicts == [] and "app/edited.py" in result.updated
    assert (workspace / "app/edited.py").read_text() == "e1\n"
    assert result.backup is not None
    assert (result.backup / "app/edited.py").read_text() == "my work\n"


def test_diff_prints_a_unified_diff(course_root: Path) -> None:
    code, output = invoke(course_root, "diff", "00")
    assert code == 0
    assert "--- starter/app/edited.py\n+++ /dev/null" in output
    assert "-v0\n+v0 solved\n" in output


def test_status_shows_recorded_scores(course_root: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    start("00", course_root / "lessons/00_overview/starter", workspace)
    record_score(workspace, "00", 3, 4, False)
    code, output = invoke(course_root, "status", str(workspace))
    assert code == 0 and "3/4" in output and "Огляд і запуск" in output


def test_watch_grades_now_and_after_every_batch_of_saves(tmp_path: Path) -> None:
    codes = iter([1, 1, 0])
    runs: list[int] = []

    def run_once() -> int:
        runs.append(next(codes))
        return runs[-1]

    saves = [{(watchfiles.Change.modified, "app/main.py")}, {(watchfiles.Change.added, "x.py")}]
    assert watch_and_regrade(tmp_path, run_once, saves) == 0
    assert runs == [1, 1, 0]


def test_watch_ignores_the_progress_file_every_check_writes(tmp_path: Path) -> None:
    accepts = save_filter()
    assert accepts(watchfiles.Change.modified, str(tmp_path / "app" / "main.py"))
    assert not accepts(watchfiles.Change.modified, str(tmp_path / ".course" / "progress.json"))
    assert not accepts(watchfiles.Change.modified, str(tmp_path / "app" / "__pycache__" / "m.pyc"))


def test_next_step_runs_the_course_of_the_root_from_inside_the_workspace(tmp_path: Path) -> None:
    root = tmp_path / "course"
    inside = next_step(root / "workspace", root, "check", "00")
    assert inside == "cd " + str(root / "workspace") + " && uv run --project .. course check 00"
    outside = next_step(Path(tmp_path / "my work"), root, "check", "00")
    assert outside == f"cd '{tmp_path}/my work' && uv run --project {root} course check 00"


def test_catch_up_replaces_what_any_earlier_snapshot_gave_and_diffs_what_it_keeps(
    course_root: Path, tmp_path: Path
) -> None:
    lessons, workspace = course_root / "lessons", tmp_path / "ws"
    start("00", lessons / "00_overview/starter", workspace)
    (workspace / "app/main.py").write_text("v0 solved\n")  # finished like solved(00): not theirs
    (workspace / "app/edited.py").write_text("my work\n")
    code, output = invoke(course_root, "catch-up", "01", str(workspace))
    assert code == 1
    assert (workspace / "app/main.py").read_text() == "v1\n"
    assert "конфлікт: app/edited.py" in output and "конфлікт: app/main.py" not in output
    assert "--- starter/app/edited.py\n+++ ваше/app/edited.py\n" in output
    assert "-e1\n+my work\n" in output  # what they keep, against the new starter


def test_catch_up_of_a_finished_lesson_leaves_the_new_starter_and_the_next_step(
    course_root: Path, tmp_path: Path
) -> None:
    lessons, workspace = course_root / "lessons", tmp_path / "ws"
    start("00", lessons / "00_overview/starter", workspace)
    (workspace / "app/main.py").write_text("v0 solved\n")
    code, output = invoke(course_root, "catch-up", "01", str(workspace))
    assert code == 0, output
    assert {path: (workspace / path).read_text() for path in ("app/main.py", "app/new.py")} == {
        "app/main.py": "v1\n",
        "app/new.py": "new\n",
    }
    assert f"Далі: cd {workspace} && uv run --project .. course check 01" in output
