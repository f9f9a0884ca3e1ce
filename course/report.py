"""How a grade is shown: rich tables for people, GitHub Classroom JSON for machines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from course.checklist import Item
from course.grader import CheckpointResult, GradeReport
from course.manifest import Manifest

PASS_MARK, FAIL_MARK = "✅", "❌"


def _details(result: CheckpointResult) -> Text:
    """The title, then for a failure its reason and hint: one column gets the table's width."""
    text = Text(result.title, style="" if result.passed else "bold")
    if not result.passed:
        text.append(f"\n{result.reason or 'Перевірка не пройшла'}", style="red")
        if result.hint:
            text.append(f"\n💡 {result.hint}", style="yellow")
        if result.where:
            text.append(f"\n📍 {result.where}", style="yellow")
    return text


def results_table(title: str, results: list[CheckpointResult]) -> Table:
    table = Table(title=title, title_justify="left", show_lines=True, expand=True)
    table.add_column("ID", no_wrap=True)
    table.add_column("", no_wrap=True, justify="center")
    table.add_column("Бали", no_wrap=True, justify="right")
    # Words longer than a line are folded, never cut off with an ellipsis.
    table.add_column("Перевірка, причина і підказка", ratio=1, overflow="fold")
    for result in results:
        mark = PASS_MARK if result.passed else FAIL_MARK
        table.add_row(result.id, mark, f"{result.score}/{result.points}", _details(result))
    return table


def print_report(console: Console, report: GradeReport) -> None:
    lesson = report.lesson
    if report.results:
        console.print(results_table(f"Урок {lesson.id} · {lesson.title}", report.results))
    broken = report.failed_regressions
    if broken:
        title = "Регресії: перевірки попередніх уроків, які зламалися (балів не додають)"
        console.print(results_table(title, broken))
    elif report.regressions:
        console.print(f"Попередні уроки: усі {len(report.regressions)} перевірок проходять ✅")
    for error in report.errors:
        console.print(Panel(Text(error), title="Помилка перевірки", border_style="red"))
    _print_score(console, report)


def _print_score(console: Console, report: GradeReport) -> None:
    score = f"Бали: {report.score}/{report.max_score}"
    if report.passed:
        console.print(f"[bold green]{score} — усе пройдено! 🎉[/]")
    elif report.failed_regressions and all(result.passed for result in report.results):
        console.print(f"[bold yellow]{score} — але зламалися попередні уроки.[/]")
    else:
        console.print(f"[bold red]{score} — виправте позначене ❌ і запустіть знову.[/]")


def _entry(result: CheckpointResult, prefix: str = "") -> dict[str, Any]:
    message = "" if result.passed else result.reason
    if not result.passed and result.hint:
        message += f"\nПідказка: {result.hint}"
    if not result.passed and result.where:
        message += f"\nДе: {result.where}"
    return {
        "name": f"{prefix}{result.id} {result.title}",
        "status": result.status,
        "message": message,
        "test_code": " ".join(result.nodeids),
        "filename": result.filename,
        "line_no": result.line_no,
        "execution_time": f"{result.duration:.2f}s",
        "score": 0 if prefix else result.score,
    }


def _error_entry(error: str) -> dict[str, Any]:
    return {
        "name": "Помилка перевірки",
        "status": "error",
        "message": error,
        "test_code": "",
        "filename": "",
        "line_no": 0,
        "execution_time": "0.00s",
        "score": 0,
    }


def error_report(reason: str) -> dict[str, Any]:
    """The report of a run that could not grade: GitHub Classroom's format, status `error`."""
    return {"version": 3, "status": "error", "max_score": 0, "tests": [_error_entry(reason)]}


def classroom_report(report: GradeReport) -> dict[str, Any]:
    """GitHub Classroom autograding reporter format; failed regressions score nothing."""
    tests = [_entry(result) for result in report.results]
    tests += [_entry(result, "Регресія · ") for result in report.failed_regressions]
    tests += [_error_entry(error) for error in report.errors]
    return {
        "version": 3,
        "status": report.status,
        "max_score": report.max_score,
        "tests": tests,
    }


def _when(stamp: str) -> str:
    """A check's UTC time stamp as the student's local day and time (short: no wrap needed)."""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%d.%m %H:%M")
    except ValueError:
        return stamp


def progress_table(title: str, progress: dict[str, Any], manifest: Manifest) -> Table:
    """`course status`: the last score of every lesson; ▶ marks the lesson the folder is at."""
    scores, current = progress.get("scores", {}), progress.get("lesson")
    table = Table(title=title, title_justify="left")
    table.add_column("")
    table.add_column("Урок", no_wrap=True)
    table.add_column("Назва", ratio=1)
    for column in ("Час", "Бали", "Перевірено"):
        table.add_column(column, no_wrap=True)
    for lesson in manifest.graded:
        score = scores.get(lesson.id)
        points = f"{score['score']}/{score['max_score']}" if score else "—"
        mark = ("✅ " if score["passed"] else "❌ ") if score else ""
        checked = _when(score["checked_at"]) if score else ""
        pointer = "▶" if lesson.id == current else ""
        table.add_row(pointer, lesson.id, lesson.title, lesson.time, mark + points, checked)
    return table


def checklist_table(items: list[Item]) -> Table:
    """`course checklist`: ✅ verified, ❌ not (with what to do), ☐ for the student to tick off."""
    table = Table(title="Домашнє завдання · рівень 1", title_justify="left", show_lines=True)
    table.add_column("№", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("Завдання і що перевірено", ratio=1, overflow="fold")
    for number, item in enumerate(items, start=1):
        mark = {True: PASS_MARK, False: FAIL_MARK, None: "☐"}[item.verified]
        text = Text(item.task, style="bold")
        text.append(f"\n{item.detail}", style="red" if item.verified is False else "")
        table.add_row(str(number), mark, text)
    return table
