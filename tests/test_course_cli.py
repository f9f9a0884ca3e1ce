"""The `course` command's words: bad arguments refused in Ukrainian (exit 2), --help in Ukrainian,
and a --json report written even when grading cannot start."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from course.cli import app
from course.grader import CheckpointResult, GradeReport
from course.manifest import load_manifest
from course.report import print_report, progress_table
from course.ukrainian import MESSAGES, translate
from course.workspace import start

# Words of Typer's and Click's own English that must never reach a student.
ENGLISH = re.compile(
    r"\b(Usage|Options|Arguments|Commands|Error|Invalid|Missing|No such|Try|Show this|default|"
    r"required|unknown|folder|does not|is not|Input should|Got unexpected|Did you mean)\b"
)


@pytest.fixture
def course_root(tmp_path: Path) -> Path:
    """A course whose lesson 00 has a starter but no checkpoints yet."""
    starter = tmp_path / "course/lessons/00_overview/starter"
    (starter / "app").mkdir(parents=True)
    (starter / "app/main.py").write_text("app = None\n", encoding="utf-8")
    return tmp_path / "course"


def invoke(root: Path, *args: str) -> tuple[int, str]:
    # Wide enough for any temp path: rich would break a long one inside the error box.
    env = {"COURSE_ROOT": str(root), "COLUMNS": "400"}
    result = CliRunner().invoke(app, list(args), env=env, prog_name="course")
    return result.exit_code, " ".join(result.output.replace("│", " ").split())


def bad_arguments(tmp: Path) -> dict[str, tuple[list[str], str]]:
    (tmp / "a-file").write_text("x", encoding="utf-8")
    missing, a_file = str(tmp / "missing"), str(tmp / "a-file")
    return {
        "unknown lesson": (["check", "9"], "невідомий урок '9'"),
        "no lesson": (["check"], "Бракує аргументу"),
        "missing folder": (["check", "00", "--path", missing], f"теки {missing} немає"),
        "a file for a folder": (["check", "00", "--path", a_file], "це файл, а потрібна тека"),
        "zero timeout": (["check", "00", "--timeout", "0"], "більше за 0, а не '0'"),
        "negative timeout": (["check", "00", "--timeout", "-5"], "більше за 0, а не '-5'"),
        "not a number": (["check", "00", "--timeout", "abc"], "більше за 0, а не 'abc'"),
        "the course itself": (["check", "00", "--path", str(tmp / "course")], "корінь курсу"),
        "json nowhere": (["check", "00", "--json", f"{missing}/r.json"], "нікуди записати"),
        "status of nothing": (["status", missing], f"теки {missing} немає"),
        "status of a file": (["status", a_file], "це файл"),
        "status of a plain folder": (["status", str(tmp)], "не робоча тека курсу"),
        "catch-up of nothing": (["catch-up", "01", missing], f"теки {missing} немає"),
        "start into a file": (["start", "00", a_file], "це файл, а потрібна тека"),
        "homework diff": (["diff", "homework"], "у домашнього завдання є лише starter"),
        "unknown command": (["chek"], "Немає команди 'chek'. Можливо, 'check'"),
        "unknown option": (["check", "00", "--bogus"], "Немає параметра --bogus"),
        "option without value": (["check", "00", "--json"], "'--json' потребує значення"),
        "extra argument": (["status", ".", "more"], "Зайві аргументи: more"),
        "not an integer": (["demo", "--port", "x"], "'--port': потрібне ціле число"),
    }


@pytest.mark.parametrize("case", sorted(bad_arguments(Path("/tmp"))))
def test_bad_arguments_are_refused_in_ukrainian(case: str, course_root: Path) -> None:
    args, message = bad_arguments(course_root.parent)[case]
    code, output = invoke(course_root, *args)
    assert code == 2, output
    assert message in output, output
    assert not ENGLISH.search(output), output
    assert "Traceback" not in output


def app_command_names() -> list[str]:
    names = [info.name or info.callback.__name__ for info in app.registered_commands]
    assert {"check", "start", "catch-up", "status"} <= set(names)
    return names


def test_every_help_page_is_ukrainian(course_root: Path) -> None:
    for command in ([], *([name] for name in app_command_names())):
        code, output = invoke(course_root, *command, "--help")
        assert code == 0 and "Використання: course" in output, output
        assert "Показати цю довідку й вийти" in output
        assert not ENGLISH.search(output), output


def test_every_parser_sentence_has_a_translation() -> None:
    samples = {
        "Invalid value for '--x': Input should be a valid number": "Неправильне значення '--x': "
        "потрібне число",
        "Invalid value: boom": "Неправильне значення: boom",
        "Missing option '--x'.": "Бракує параметра '--x'.",
        "Missing parameter: lesson": "Бракує параметра lesson",
        "No such option: --x (Possible options: --y, --z)": "Немає параметра --x (можливо, --y, --z)",
        "Option '--x' requires 2 arguments.": "Параметр '--x': потрібно 2.",
        "Option '--x' does not take a value.": "Параметр '--x' не приймає значення.",
        "No such command 'x'.": "Немає команди 'x'.",
        "Missing command.": "Бракує команди.",
        "Invalid value for 'x': Input should be a valid boolean": "Неправильне значення 'x': "
        "потрібно так чи ні (true/false)",
    }
    for english, ukrainian in samples.items():
        assert translate(english) == ukrainian
    assert len(MESSAGES) <= len(samples) + 8  # every pattern is exercised here or above
    assert translate("Something new") == "Something new"  # unknown sentences pass unchanged


def test_json_report_is_written_when_the_arguments_are_bad(course_root: Path) -> None:
    report = course_root.parent / "report.json"
    code, _ = invoke(course_root, "check", "00", "--path", "/nonexistent", "--json", str(report))
    assert code == 2
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["status"] == "error" and data["max_score"] == 0
    [entry] = data["tests"]
    assert entry["status"] == "error" and "теки /nonexistent немає" in entry["message"]


def test_json_report_is_written_when_grading_cannot_start(course_root: Path) -> None:
    workspace, report = course_root.parent / "ws", course_root.parent / "report.json"
    start("00", course_root / "lessons/00_overview/starter", workspace)
    code, output = invoke(
        course_root, "check", "00", "--path", str(workspace), "--json", str(report)
    )
    assert code == 2 and "ще немає перевірок" in output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["status"] == "error" and "ще немає перевірок" in data["tests"][0]["message"]


def test_the_homework_starts_like_a_lesson(course_root: Path) -> None:
    """`course start homework` copies lessons/homework/starter; the next step is its check."""
    starter = course_root / "lessons/homework/starter"
    (starter / "app").mkdir(parents=True)
    (starter / "app/main.py").write_text("# TODO(homework) [чекпойнт HW.1]: …\n", encoding="utf-8")
    workspace = course_root.parent / "hw"
    code, output = invoke(course_root, "start", "homework", str(workspace))
    assert code == 0, output
    assert (workspace / "app/main.py").read_text(encoding="utf-8").startswith("# TODO(homework)")
    assert json.loads((workspace / ".course/progress.json").read_text())["lesson"] == "homework"
    assert "course check homework" in output, output


def failed(checkpoint_id: str, title: str, reason: str, hint: str) -> CheckpointResult:
    result = CheckpointResult(
        lesson="04", id=checkpoint_id, title=title, points=2, hint=hint, filename="", line_no=1
    )
    result.add("failed", {"kind": "assert", "reason": reason}, 0.5)
    return result


def test_results_and_progress_read_whole_at_80_columns(tmp_path: Path) -> None:
    manifest = load_manifest()
    results = [
        failed(
            "04.2",
            "Cache-aside: другий запит з Redis, ключ birthdays:{user_id}:{дата}",
            "Ключі: [] — очікували birthdays:{user_id}:{дата} після першого запиту",
            "get_or_set_cache: спершу Redis, при промаху — база і запис у кеш з TTL 1 год. "
            "Ключ містить дату, тож завтра кеш «протухне» сам.",
        ),
        failed(
            "04.4",
            "Logout кладе refresh-токен у blacklist",
            "Logout: 404",
            "POST /auth/logout {refresh_token} з access-токеном → 204; jti токена — у Redis з TTL "
            "до кінця його життя; /auth/refresh з ним → 401 'Token has been revoked'.",
        ),
    ]
    results[1].where = "TODO(04) у app/api/deps.py, app/api/v1/auth.py, app/core/cache.py"
    report = GradeReport(lesson=manifest.get("04"), results=results, regressions=[], errors=[])
    progress = {"lesson": "04", "scores": {"04": {"score": 0, "max_score": 12, "passed": False}}}
    progress["scores"]["04"]["checked_at"] = "2026-12-02T09:41:00+00:00"
    console = Console(file=io.StringIO(), width=80, color_system=None)
    print_report(console, report)
    console.print(progress_table("Прогрес", progress, manifest))
    output = console.file.getvalue()  # type: ignore[attr-defined]

    assert max(len(line) for line in output.splitlines()) <= 80
    assert "…" not in output  # nothing cut off
    words = set(output.replace("│", " ").split())
    for result in results:
        for text in (result.title, result.reason, result.hint, result.where):
            assert set(text.split()) <= words, text  # each word whole, wrapped between words
    checked = datetime.fromisoformat("2026-12-02T09:41:00+00:00").astimezone()
    assert checked.strftime("%d.%m %H:%M") in output
