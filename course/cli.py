"""The `course` command: build, start, catch-up, diff, check, status, checklist, demo, docs."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated

import typer
import watchfiles
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.syntax import Syntax

from course.build import build as build_snapshots
from course.checklist import DEFAULT_URL, checklist
from course.diff import file_diff, lesson_diff
from course.grader import DEFAULT_TIMEOUT, GradeReport, GradingError, grade, warm_up
from course.manifest import Lesson, ManifestError, load_manifest
from course.markers import MarkerError
from course.notebook_commands import register_notebook_commands
from course.paths import CoursePaths
from course.processes import children_die_on_interrupt
from course.report import (
    checklist_table,
    classroom_report,
    error_report,
    print_report,
    progress_table,
)
from course.ukrainian import UkrainianTyper
from course.workspace import (
    COURSE_DIR,
    WorkspaceError,
    catch_up,
    next_step,
    passed_snapshots,
    progress_path,
    read_progress,
    record_score,
    start,
)

app = UkrainianTyper(
    help="Інструменти курсу Module 14: знімки уроків, робочі теки, перевірка, демо.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()

LessonArg = Annotated[str, typer.Argument(metavar="NN", help="Урок: 00…08 або homework.")]
WorkspaceArg = Annotated[Path, typer.Argument(metavar="DIR", help="Робоча тека.")]
INTERRUPTED = "Перевірку перервано (Ctrl+C)."


def _lesson(key: str, *, allow_homework: bool = False) -> Lesson:
    manifest = load_manifest()
    try:
        lesson = manifest.get(key)
    except ManifestError as exc:
        known = ", ".join(
            item.id for item in manifest.graded if allow_homework or item in manifest.lessons
        )
        raise typer.BadParameter(f"невідомий урок {key!r}; є: {known}", param_hint="NN") from exc
    if lesson.is_homework and not allow_homework:
        message = "у домашнього завдання є лише starter: його відповіді — у solution/"
        raise typer.BadParameter(message, param_hint="NN")
    return lesson


def _folder(path: Path, hint: str) -> Path:
    """A folder the student named; a missing one or a file is refused (exit 2)."""
    if not path.exists():
        raise typer.BadParameter(f"теки {path} немає", param_hint=hint)
    if not path.is_dir():
        raise typer.BadParameter(f"{path} — це файл, а потрібна тека", param_hint=hint)
    return path


def _student_folder(path: Path) -> Path:
    """The copy to grade; the course's own root is refused (a `course check` typed there)."""
    folder = _folder(path, "'--path'")
    if folder.resolve() == CoursePaths.default().root:
        message = f"{path} — це корінь курсу, а не ваша робоча тека: додайте --path workspace"
        raise typer.BadParameter(message, param_hint="'--path'")
    return folder


def _seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        message = f"потрібне число секунд, більше за 0, а не {raw!r}"
        raise typer.BadParameter(message, param_hint="'--timeout'")
    return value


def _report_target(json_file: Path | None) -> Path | None:
    """Where --json goes: its folder must exist, so the report of every run can be written."""
    if json_file is not None and not json_file.parent.is_dir():
        message = f"теки {json_file.parent} немає, звіт {json_file.name} нікуди записати"
        raise typer.BadParameter(message, param_hint="'--json'")
    return json_file


def _write_report(json_file: Path | None, data: dict[str, object]) -> None:
    if json_file is not None:
        text = json.dumps(data, ensure_ascii=False, indent=2)
        json_file.write_text(text + "\n", encoding="utf-8")


def _fail(message: str, code: int = 2) -> typer.Exit:
    console.print(message, style="bold red", markup=False, highlight=False)
    return typer.Exit(code)


@app.command()
def build(
    check: Annotated[
        bool, typer.Option("--check", help="Нічого не писати; код 1, якщо знімки застарілі.")
    ] = False,
) -> None:
    """Згенерувати lessons/NN_name/{starter,solved}/ із solution/."""
    paths = CoursePaths.default()
    try:
        problems = build_snapshots(paths.source, paths.lessons, load_manifest(), write=not check)
    except MarkerError as exc:
        raise _fail(f"Помилка маркерів: {exc}") from exc
    if check and problems:
        for line in problems.lines():
            typer.echo(line)
        stale = len(problems.lines())
        raise _fail(f"Застарілих файлів у знімках: {stale}; виконайте `uv run course build`", 1)
    if check:
        typer.echo(f"OK: знімки в {paths.lessons} відповідають solution/")
    else:
        changed = len(problems.lines())
        typer.echo(f"Знімки записано в {paths.lessons} (записано чи видалено файлів: {changed})")


@app.command("start")
def start_command(
    lesson: LessonArg,
    directory: WorkspaceArg = Path("workspace"),
) -> None:
    """Скопіювати стартовий код уроку NN (чи домашнього завдання) у порожню робочу теку."""
    chosen, paths = _lesson(lesson, allow_homework=True), CoursePaths.default()
    try:
        files = start(chosen.id, paths.lessons / chosen.name / "starter", directory)
    except WorkspaceError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"Урок {chosen.id} · {chosen.title}: {len(files)} файлів у {directory}")
    _print_next_step(directory, paths.root, chosen)


def _print_next_step(directory: Path, root: Path, lesson: Lesson) -> None:
    command = next_step(directory, root, "check", lesson.id)
    console.print(f"Далі: {command}", highlight=False, markup=False, soft_wrap=True)


@app.command("catch-up")
def catch_up_command(
    lesson: LessonArg,
    directory: WorkspaceArg = Path("workspace"),
    force: Annotated[
        bool, typer.Option(help="Замінити й змінені вами файли (спершу зберігши копію).")
    ] = False,
) -> None:
    """Підтягнути робочу теку до стартового коду уроку NN, зберігши вашу роботу."""
    chosen, paths = _lesson(lesson, allow_homework=True), CoursePaths.default()
    starter = paths.lessons / chosen.name / "starter"
    passed = passed_snapshots(paths.lessons, _lessons_passed(chosen, _folder(directory, "DIR")))
    try:
        result = catch_up(chosen.id, starter, directory, passed=passed, force=force)
    except WorkspaceError as exc:
        raise _fail(str(exc)) from exc
    labelled = [("додано", result.added), ("оновлено", result.updated)]
    for label, files in [*labelled, ("видалено", result.removed)]:
        for path in files:
            console.print(f"{label}: {path}", highlight=False)
    if result.backup:
        console.print(f"Ваші версії збережено в {result.backup}", highlight=False)
    if result.conflicts:
        _print_conflicts(result.conflicts, starter, directory)
        raise typer.Exit(1)
    console.print(f"Теку {directory} підтягнуто до уроку {chosen.id}.", highlight=False)
    _print_next_step(directory, paths.root, chosen)


def _lessons_passed(target: Lesson, directory: Path) -> list[str]:
    """The lessons whose snapshots the student has had: those before `target` and up to the
    lesson the workspace is at (a catch-up may also go back)."""
    manifest = load_manifest()
    current = manifest.order.get(str(read_progress(directory).get("lesson")), -1)
    last = max(target.ordinal - 1, current)
    return [lesson.name for lesson in manifest.lessons if lesson.ordinal <= last]


def _print_conflicts(conflicts: list[str], starter: Path, directory: Path) -> None:
    console.print(
        "[yellow]Ці файли ви змінювали, тож їх не чіпали (--force замінить, зберігши копію). "
        "Що у вас інакше, ніж у новому стартовому коді:[/]"
    )
    for path in conflicts:
        console.print(f"  конфлікт: {path}", highlight=False)
    _print_diff(
        "".join(file_diff(path, starter, directory, ("starter", "ваше")) for path in conflicts)
    )


def _print_diff(text: str) -> None:
    if console.is_terminal:
        console.print(Syntax(text, "diff", theme="ansi_dark", word_wrap=True))
    else:
        typer.echo(text, nl=False)


@app.command()
def diff(lesson: LessonArg) -> None:
    """Показати різницю між стартовим і готовим кодом уроку NN."""
    chosen = _lesson(lesson)
    folder = CoursePaths.default().lessons / chosen.name
    if not (folder / "starter").is_dir():
        raise _fail(f"Немає знімків у {folder}: виконайте `uv run course build`")
    _print_diff(lesson_diff(folder / "starter", folder / "solved"))


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
        _write_report(json_file, error_report(str(exc)))
        console.print(str(exc), style="bold red", markup=False, highlight=False)
        return 2
    print_report(console, report)
    _write_report(json_file, classroom_report(report))
    if not CoursePaths.default().is_course_copy(path):  # the course's snapshots stay untouched
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
    # While the student edits: the next grading's pytest processes fork from warm servers.
    threading.Thread(target=warm_up, name="course-warm-up", daemon=True).start()
    for _batch in saves:
        console.clear()
        code = run_once()
        console.print(hint, highlight=False)
    return code


@app.command()
def check(
    lesson: LessonArg,
    path: Annotated[Path, typer.Option(metavar="DIR", help="Тека, яку перевірити.")] = Path("."),
    json_file: Annotated[
        Path | None,
        typer.Option("--json", metavar="FILE", help="Записати звіт для GitHub Classroom."),
    ] = None,
    watch: Annotated[bool, typer.Option(help="Перевіряти знову після кожного збереження.")] = False,
    timeout: Annotated[
        str, typer.Option(metavar="СЕК", help="Ліміт часу на одну перевірку, секунд.")
    ] = f"{DEFAULT_TIMEOUT:g}",
) -> None:
    """Перевірити теку перевірками уроку NN (і знову — попередніх уроків)."""
    json_file = _report_target(json_file)
    try:
        chosen = _lesson(lesson, allow_homework=True)
        folder, seconds = _student_folder(path), _seconds(timeout)
    except typer.BadParameter as exc:  # the report says why there is no grade
        _write_report(json_file, error_report(f"{exc.param_hint}: {exc.message}"))
        raise

    def run_once() -> int:
        return _check_once(chosen, folder, json_file, seconds)

    try:
        with children_die_on_interrupt():
            if not watch:
                code = run_once()
            else:
                saves = watchfiles.watch(folder, watch_filter=save_filter())
                code = watch_and_regrade(folder, run_once, saves)
    except KeyboardInterrupt:
        _write_report(json_file, error_report(INTERRUPTED))
        console.print(INTERRUPTED, style="yellow", highlight=False)
        raise typer.Exit(130) from None
    raise typer.Exit(code)


@app.command()
def status(
    directory: WorkspaceArg = Path("."),
) -> None:
    """Показати останні бали за кожен урок у робочій теці."""
    if not progress_path(_folder(directory, "DIR")).is_file():
        message = f"{directory} — не робоча тека курсу (немає {progress_path(Path())})"
        raise typer.BadParameter(message, param_hint="DIR")
    table = progress_table(f"Прогрес: {directory}", read_progress(directory), load_manifest())
    console.print(table)


@app.command("checklist")
def checklist_command(
    directory: WorkspaceArg = Path("."),
    url: Annotated[str, typer.Option(help="Адреса запущеного стека.")] = DEFAULT_URL,
) -> None:
    """Домашнє завдання, рівень 1: перевірити, що можна (стек, Swagger, звіт покриття)."""
    items = checklist(_folder(directory, "DIR"), url)
    console.print(checklist_table(items))
    raise typer.Exit(1 if any(item.verified is False for item in items) else 0)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Адреса, на якій слухати.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Порт.")] = 8000,
    seed: Annotated[
        bool, typer.Option("--seed/--no-seed", help="Заповнити базу демо-даними.")
    ] = True,
) -> None:
    """Запустити готовий API на вбудованих замінниках (без сервісів)."""
    from course.demo import run  # lazy: the app's imports are not needed by other commands

    run(host=host, port=port, seed=seed)


@app.command()
def docs(
    build: Annotated[
        Path | None,
        typer.Option(
            "--build", help="Зібрати сайт у теку DIR (строго: кожне попередження — помилка)."
        ),
    ] = None,
    address: Annotated[
        str, typer.Option(help="Адреса, на якій слухає `mkdocs serve`.")
    ] = "127.0.0.1:8000",
) -> None:
    """Сайт курсу локально (mkdocs serve) або його збірка в теку з --build DIR."""
    from course.docs import run_docs

    raise typer.Exit(run_docs(build, address))


register_notebook_commands(app)
