"""The lesson notebooks are reviewable and reproducible; nbval (notebooks/conftest.py) proves
that their stored outputs are what the code prints today."""

import os
import socket
import tempfile
import tomllib
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from course.cli import app
from course.manifest import load_manifest
from course.notebook_commands import notebooks_dir
from course.notebook_kit import new_workdir, settings_names, use_embedded_defaults
from course.notebooks import (
    NOTEBOOK_METADATA,
    execute,
    jupyter_command,
    jupyter_url,
    lesson_notebooks,
    normalize,
    notebook_problems,
)

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = load_manifest()
NOTEBOOKS = lesson_notebooks(notebooks_dir(), MANIFEST)


def test_every_lesson_has_its_notebook() -> None:
    names = sorted(path.name for path in notebooks_dir().glob("*.ipynb"))
    assert names == sorted(f"{lesson.name}.ipynb" for lesson in MANIFEST.lessons)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_is_executed_in_order_and_free_of_machine_details(path: Path) -> None:
    assert notebook_problems(path) == []


def test_the_readme_test_command_runs_nbval_on_the_notebooks() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "notebooks" in config["tool"]["pytest"]["ini_options"]["testpaths"]
    hooks = (notebooks_dir() / "conftest.py").read_text(encoding="utf-8")
    assert "config.option.nbval = True" in hooks


def test_notebooks_start_from_the_apps_defaults_whatever_the_shell_exports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shell = {
        "JWT_SECRET_KEY": "s",
        "database_url": "postgresql://x/y",
        "HOME": "/h",
        "TEST_REDIS_URL": "r",
    }
    monkeypatch.setattr(os, "environ", dict(shell))
    monkeypatch.setattr(tempfile, "tempdir", tempfile.gettempdir())  # restored after the test

    workdir = use_embedded_defaults()

    assert not {"JWT_SECRET_KEY", "database_url", "TEST_REDIS_URL"} & set(os.environ)
    assert os.environ["HOME"] == "/h"  # not a setting of the app: left alone
    assert os.environ["DATABASE_URL"] == f"sqlite+aiosqlite:///{workdir.as_posix()}/contacts.db"
    assert os.environ["REDIS_URL"] == "memory://"
    assert workdir.is_dir()
    assert tempfile.gettempdir() == str(workdir)  # removed with it once the kernel is gone


def test_a_notebook_removes_the_folders_of_kernels_that_are_gone(tmp_path: Path) -> None:
    gone = tmp_path / "999999999-abc"  # above any pid_max: no such process
    alive = tmp_path / f"{os.getpid()}-def"
    for folder in (gone, alive):
        (folder / "media").mkdir(parents=True)

    workdir = new_workdir(tmp_path)

    assert not gone.exists() and alive.is_dir()
    assert workdir.parent == tmp_path and workdir.name.startswith(f"{os.getpid()}-")


def test_the_settings_names_are_the_fields_of_the_apps_settings() -> None:
    from app.core.config import Settings

    config = ROOT / "solution" / "app" / "core" / "config.py"
    assert settings_names(config) == set(Settings.model_fields)


# --- The checker finds each kind of problem ------------------------------------------------------


def _write(tmp_path: Path, *cells: nbformat.NotebookNode, **metadata: object) -> Path:
    notebook = nbformat.v4.new_notebook(cells=list(cells))
    normalize(notebook)
    notebook.metadata.update(metadata)
    path = tmp_path / "00_overview.ipynb"
    nbformat.write(notebook, path)
    return path


def _code(source: str, count: int | None, *outputs: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source, execution_count=count, outputs=list(outputs))


def _stdout(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def test_a_clean_notebook_has_no_problems(tmp_path: Path) -> None:
    path = _write(tmp_path, _code("print(1)", 1, _stdout("1\n")), _code("x = 2", 2))
    assert notebook_problems(path) == []


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ([_code("print(1)", None)], "cell 1: not executed"),
        ([_code("a = 1", 2), _code("b = 1", 1)], "execution counts [2, 1] are not 1..2 in order"),
        ([_code("a = 1", 1), _code("b = 1", 3)], "execution counts [1, 3] are not 1..2 in order"),
        ([_code("", 1)], "cell 1: empty code cell"),
        ([_code("p", 1, _stdout("/home/olena/x.db\n"))], "cell 1: an absolute path in the output"),
        ([_code("p", 1, _stdout("C:\\Users\\x\n"))], "cell 1: an absolute path in the output"),
        ([_code("p", 1, _stdout("\n" * 50))], "cell 1: output longer than 40 lines"),
        (
            [_code("p", 1, nbformat.v4.new_output("stream", name="stderr", text="Warn\n"))],
            "cell 1: output on stderr (a warning or a log line)",
        ),
        (
            [_code("1/0", 1, nbformat.v4.new_output("error", ename="ZeroDivisionError"))],
            "cell 1: an error output (ZeroDivisionError)",
        ),
        (
            [_code("# NBVAL_IGNORE_OUTPUT\nprint(time.time())", 1)],
            "cell 1: NBVAL_IGNORE_OUTPUT without a reason on the next comment line",
        ),
        (
            [_code("# NBVAL_SKIP\n# why\nprint(1)", 1)],
            "cell 1: NBVAL_SKIP without a reason on the next comment line",
        ),
    ],
)
def test_the_checker_names_the_problem(
    tmp_path: Path, cells: list[nbformat.NotebookNode], problem: str
) -> None:
    assert f"00_overview.ipynb: {problem}" in notebook_problems(_write(tmp_path, *cells))


def test_a_marker_with_its_reason_is_accepted(tmp_path: Path) -> None:
    cell = _code("# NBVAL_IGNORE_OUTPUT\n# Timings differ on every machine.\nprint(t)", 1)
    assert notebook_problems(_write(tmp_path, cell)) == []


def test_kernel_paths_in_the_metadata_are_a_problem(tmp_path: Path) -> None:
    kernel = {"name": "python3", "display_name": "venv", "argv": ["/home/olena/.venv/bin/python"]}
    path = _write(tmp_path, _code("a = 1", 1), kernelspec=kernel)
    assert "metadata is not normalized" in "\n".join(notebook_problems(path))


def test_this_machines_name_in_an_output_is_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = "olenas-laptop"
    monkeypatch.setattr(socket, "gethostname", lambda: host)
    path = _write(tmp_path, _code("p", 1, _stdout(f"served by {host}\n")))
    assert f"00_overview.ipynb: cell 1: {host!r} (this machine) in the output" in (
        notebook_problems(path)
    )


def test_a_missing_notebook_is_a_problem(tmp_path: Path) -> None:
    assert notebook_problems(tmp_path / "03_rate_limiting.ipynb") == [
        "03_rate_limiting.ipynb: missing"
    ]


# --- Executing and normalizing -------------------------------------------------------------------


def test_execute_writes_outputs_counts_and_normalized_metadata(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Title"),
            nbformat.v4.new_code_cell("import asyncio\nprint('a')\nawait asyncio.sleep(0)"),
            nbformat.v4.new_code_cell("print('b')\nprint('c')"),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "/home/x/.venv/bin/python"}},
    )
    path = tmp_path / "demo.ipynb"
    nbformat.write(notebook, path)

    execute(path)

    done = nbformat.read(path, as_version=4)
    assert done.metadata == NOTEBOOK_METADATA
    assert [cell.id for cell in done.cells] == ["cell-01", "cell-02", "cell-03"]
    assert [cell.execution_count for cell in done.cells[1:]] == [1, 2]
    assert [output.text for output in done.cells[2].outputs] == ["b\nc\n"]
    assert notebook_problems(path) == []


def test_normalize_merges_split_stdout_blocks() -> None:
    cell = _code("p", 1, _stdout("a\n"), _stdout("b\n"))
    notebook = nbformat.v4.new_notebook(cells=[cell])
    normalize(notebook)
    assert [output.text for output in notebook.cells[0].outputs] == ["a\nb\n"]


# --- The commands ----------------------------------------------------------------------------------


def test_course_notebooks_checks_every_lesson() -> None:
    result = CliRunner().invoke(app, ["notebooks"])
    assert result.exit_code == 0, result.output
    assert f"OK: ноутбуків — {len(MANIFEST.lessons)};" in result.output


def test_course_notebooks_fails_on_a_lesson_without_notebook(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["notebooks", "homework"])
    assert result.exit_code == 1
    assert "homework.ipynb: missing" in result.output


def test_course_notebook_rejects_an_unknown_lesson() -> None:
    result = CliRunner().invoke(app, ["notebook", "42"])
    assert result.exit_code == 2
    assert "unknown lesson '42'" in result.output


def test_jupyter_opens_the_lesson_notebook_headless_on_the_printed_url() -> None:
    path = notebooks_dir() / "04_redis_caching.ipynb"
    command = jupyter_command(path, 8899, "127.0.0.1", "abc123")
    assert command[1:4] == ["-m", "jupyter", "lab"]
    for option in ("--no-browser", "--port=8899", "--ip=127.0.0.1", "--ServerApp.port_retries=0"):
        assert option in command
    assert "--IdentityProvider.token=abc123" in command
    assert f"--ServerApp.root_dir={ROOT}" in command
    assert jupyter_url(path, 8899, "127.0.0.1", "abc123") == (
        "http://127.0.0.1:8899/lab/tree/notebooks/04_redis_caching.ipynb?token=abc123"
    )


def test_course_notebooks_execute_reports_a_failing_cell_and_keeps_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    broken = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")])
    path = folder / "00_overview.ipynb"
    nbformat.write(broken, path)
    before = path.read_text(encoding="utf-8")
    monkeypatch.setenv("COURSE_ROOT", str(tmp_path))

    result = CliRunner().invoke(app, ["notebooks", "00", "--execute"])

    assert result.exit_code == 1
    assert "00_overview.ipynb: клітинка впала, нічого не записано" in result.output
    assert "ZeroDivisionError" in result.output
    assert path.read_text(encoding="utf-8") == before
