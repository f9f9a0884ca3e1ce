"""`course notebook NN` (Jupyter on a lesson's notebook) and `course notebooks` (execute, check).

Jupyter, nbclient and nbformat load only when one of these commands runs: the other `course`
commands (a `course check` is started often) do not pay for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from course.manifest import ManifestError, load_manifest
from course.paths import CoursePaths

NOTEBOOKS_DIR = "notebooks"


def notebooks_dir() -> Path:
    return CoursePaths.default().root / NOTEBOOKS_DIR


def notebook(
    lesson: Annotated[str, typer.Argument(help="Урок: 00..08.")],
    port: Annotated[int, typer.Option(help="Порт Jupyter.")] = 8888,
    ip: Annotated[str, typer.Option(help="Адреса, на якій слухає Jupyter.")] = "127.0.0.1",
) -> None:
    """JupyterLab (без браузера) на ноутбуці уроку NN; друкує адресу, яку відкрити."""
    from course.notebooks import notebook_path, run_jupyter

    try:
        chosen = load_manifest().get(lesson)
    except ManifestError as exc:
        raise typer.BadParameter(str(exc)) from exc
    path = notebook_path(notebooks_dir(), chosen)
    if not path.is_file():
        typer.echo(f"Для уроку {chosen.id} немає notebook: {path.name}", err=True)
        raise typer.Exit(2)
    typer.echo(f"Урок {chosen.id} · {chosen.title}: {NOTEBOOKS_DIR}/{path.name}")

    def show(url: str) -> None:
        typer.echo(f"Відкрийте в браузері (JupyterLab стартує кілька секунд):\n  {url}")
        typer.echo("Зупинити: Ctrl+C (Jupyter перепитає, ще раз Ctrl+C).")

    raise typer.Exit(run_jupyter(path, port=port, ip=ip, on_url=show))


def notebooks(
    lessons: Annotated[list[str] | None, typer.Argument(help="Уроки (типово: усі).")] = None,
    execute: Annotated[
        bool, typer.Option("--execute", help="Перевиконати на місці: збережені виходи = виконані.")
    ] = False,
) -> None:
    """Перевірити ноутбуки уроків (з --execute спершу перевиконати їх)."""
    from nbclient.exceptions import CellExecutionError

    from course.notebooks import execute as execute_notebook
    from course.notebooks import lesson_notebooks, notebook_path, notebook_problems

    manifest, folder = load_manifest(), notebooks_dir()
    try:
        chosen = [notebook_path(folder, manifest.get(key)) for key in lessons or ()]
    except ManifestError as exc:
        raise typer.BadParameter(str(exc)) from exc
    paths = chosen or lesson_notebooks(folder, manifest)
    problems = []
    for path in paths:
        if execute and path.is_file():
            typer.echo(f"виконую {NOTEBOOKS_DIR}/{path.name}")
            try:
                execute_notebook(path)
            except CellExecutionError as exc:  # the notebook is left as it was
                problems.append(f"{path.name}: клітинка впала, нічого не записано\n{exc}")
                continue
        problems += notebook_problems(path)
    for problem in problems:
        typer.echo(problem)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"OK: ноутбуків — {len(paths)}; виконані по порядку, без шляхів машини")


def register_notebook_commands(app: typer.Typer) -> None:
    app.command("notebook")(notebook)
    app.command("notebooks")(notebooks)
