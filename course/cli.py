"""The `course` command: build, start, catch-up, diff, check, status, demo."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated

import typer
import watchfiles
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.syntax import Syntax
from rich.table import Table

from course.build import build as build_snapshots
from course.diff import lesson_diff
from course.grader import DEFAULT_TIMEOUT, GradeReport, GradingError, grade
from course.manifest import Lesson, ManifestError, load_manifest
from course.markers import MarkerError
from course.notebook_commands import register_notebook_commands
from course.paths import CoursePaths
from course.report import classroom_report, print_report
from course.workspace import (
    COURSE_DIR,
    WorkspaceError,
    catch_up,
    read_progress,
    record_score,
    start,
)

app = typer.Typer(
    help="Module 14 course tooling: snapshots, workspaces, grading, the demo.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()

LessonArg = Annotated[str, typer.Argument(help="Lesson id: 00..08 (or `homework` for check).")]


def _lesson(key: str, *, allow_homework: bool = False) -> Lesson:
    try:
        lesson = load_manifest().get(key)
    except ManifestError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if lesson.is_homework and not allow_homework:
        raise typer.BadParameter("the homework has no snapshots")
    return lesson


def _fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[bold red]{message}[/]", highlight=False)
    return typer.Exit(code)


@app.command()
def build(
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if stale.")] = False,
) -> None:
    """Generate lessons/NN_name/{starter,solved}/ from solution/."""
    paths = CoursePaths.default()
    try:
        problems = build_snapshots(paths.source, paths.lessons, load_manifest(), write=not check)
    except MarkerError as exc:
        raise _fail(f"marker error: {exc}") from exc
    if check and problems:
        for line in problems.lines():
            typer.echo(line)
        raise _fail(f"{len(problems.lines())} snapshot file(s) out of date: run `course build`", 1)
    verb = "OK: snapshots match solution/" if check else "Built snapshots"
    changed = "" if check else f" ({len(problems.lines())} file(s) written or removed)"
    typer.echo(f"{verb} in {paths.lessons}{changed}")


@app.command("start")
def start_command(
    lesson: LessonArg,
    directory: Annotated[Path, typer.Argument(help="Workspace folder.")] = Path("workspace"),
) -> None:
    """Copy lesson NN's starter into an empty workspace folder."""
    chosen = _lesson(lesson)
    starter = CoursePaths.default().lessons / chosen.name / "starter"
    try:
        files = start(chosen.id, starter, directory)
    except WorkspaceError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"Урок {chosen.id} · {chosen.title}: {len(files)} файлів у {directory}")
    console.print(f"Далі: cd {directory} && course check {chosen.id}", highlight=False)


@app.command("catch-up")
def catch_up_command(
    lesson: LessonArg,
    directory: Annotated[Path, typer.Argument(help="Workspace folder.")] = Path("workspace"),
    force: Annotated[bool, typer.Option(help="Overwrite edited files (backed up first).")] = False,
) -> None:
    """Bring a workspace to lesson NN's starter, keeping files the student edited."""
    chosen = _lesson(lesson)
    starter = CoursePaths.default().lessons / chosen.name / "starter"
    try:
        result = catch_up(chosen.id, starter, directory, force=force)
    except WorkspaceError as exc:
        raise _fail(str(exc)) from exc
    labelled = [("додано", result.added), ("оновлено", result.updated)]
    for label, paths in [*labelled, ("видалено", result.removed)]:
        for path in paths:
            console.print(f"{label}: {path}", highlight=False)
    if result.backup:
        console.print(f"Ваші версії збережено в {result.backup}", highlight=False)
    if result.conflicts:
        console.print("[yellow]Ви змінювали ці файли, тож їх не чіпали (--force замінить):[/]")
        for path in result.conflicts:
            console.print(f"  конфлікт: {path}", highlight=False)
        raise typer.Exit(1)
    console.print(f"Теку {directory} підтягнуто до уроку {chosen.id}.", highlight=False)


@app.command()
def diff(lesson: LessonArg) -> None:
    """Print the unified diff starter(NN) -> solved(NN)."""
    chosen = _lesson(lesson)
    folder = CoursePaths.default().lessons / chosen.name
    if not (folder / "starter").is_dir():
        raise _fail(f"no snapshots in {folder}: run `course build`")
    text = lesson_diff(folder / "starter", folder / "solved")
    if console.is_terminal:
        console.print(Syntax(text, "diff", theme="ansi_dark", word_wrap=True))
    else:
        typer.echo(text, nl=False)


def _grade(lesson: Lesson, path: Path, timeout: float) -> GradeReport:
    paths, manifest = CoursePaths.default(), load_manifest()
    if not console.is_terminal:
        return grade(
            lesson, path, manifest=manifest, checkpoints=paths.checkpoints, timeout=timeout
        )
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"Перевіряю урок {lesson.id}…", total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return grade(
            lesson,
            path,
            manifest=manifest,
            checkpoints=paths.checkpoints,
            timeout=timeout,
            on_progress=update,
        )


def _check_once(lesson: Lesson, path: Path, json_file: Path | None, timeout: float) -> int:
    try:
        report = _grade(lesson, path, timeout)
    except GradingError as exc:
        console.print(f"[bold red]{exc}[/]", highlight=False)
        return 2
    print_report(console, report)
    if json_file is not None:
        data = json.dumps(classroom_report(report), ensure_ascii=False, indent=2)
        json_file.write_text(data + "\n", encoding="utf-8")
    record_score(path, lesson.id, report.score, report.max_score, report.passed)
    return 0 if report.passed else 1


def save_filter() -> watchfiles.DefaultFilter:
    """What a save is: any change but those under .course/, which every check writes itself."""
    ignored = (*watchfiles.DefaultFilter.ignore_dirs, COURSE_DIR)
    return watchfiles.DefaultFilter(ignore_dirs=ignored)


def watch_and_regrade(path: Path, run_once: Callable[[], int], saves: Iterable[object]) -> int:
    """Grade now and again after every batch of saves (rustlings' watch mode); the last code."""
    hint = f"[dim]Стежу за змінами в {path} (Ctrl+C — вихід)…[/]"
    code = run_once()
    console.print(hint, highlight=False)
    for _batch in saves:
        console.clear()
        code = run_once()
        console.print(hint, highlight=False)
    return code


@app.command()
def check(
    lesson: LessonArg,
    path: Annotated[Path, typer.Option(help="The copy to grade.")] = Path("."),
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write a GitHub Classroom report.")
    ] = None,
    watch: Annotated[bool, typer.Option(help="Re-grade on every save.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds per checkpoint.")] = DEFAULT_TIMEOUT,
) -> None:
    """Grade a copy against lesson NN's checkpoints (and re-check earlier lessons)."""
    chosen = _lesson(lesson, allow_homework=True)

    def run_once() -> int:
        return _check_once(chosen, path, json_file, timeout)

    if not watch:
        raise typer.Exit(run_once())
    saves = watchfiles.watch(path, watch_filter=save_filter(), raise_interrupt=False)
    raise typer.Exit(watch_and_regrade(path, run_once, saves))


@app.command()
def status(
    directory: Annotated[Path, typer.Argument(help="Workspace folder.")] = Path("."),
) -> None:
    """Show the last score of every lesson from the workspace's progress file."""
    progress = read_progress(directory)
    scores, current = progress.get("scores", {}), progress.get("lesson")
    table = Table(title=f"Прогрес: {directory}", title_justify="left")
    for column in ("", "Урок", "Назва", "Час", "Бали", "Перевірено"):
        table.add_column(column)
    for lesson in load_manifest().graded:
        score = scores.get(lesson.id)
        points = f"{score['score']}/{score['max_score']}" if score else "—"
        mark = ("✅ " if score["passed"] else "❌ ") if score else ""
        checked = score["checked_at"] if score else ""
        pointer = "▶" if lesson.id == current else ""
        table.add_row(pointer, lesson.id, lesson.title, lesson.time, mark + points, checked)
    console.print(table)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    seed: Annotated[bool, typer.Option("--seed/--no-seed", help="Load demo data.")] = True,
) -> None:
    """Run the finished API on embedded defaults (no services needed)."""
    from course.demo import run  # lazy: the app's imports are not needed by other commands

    run(host=host, port=port, seed=seed)


register_notebook_commands(app)
