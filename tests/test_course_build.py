"""The snapshot generator on synthetic source trees, and `course build [--check]`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from course.build import SnapshotFormatError, build, load_sources, render_stage
from course.cli import app
from course.manifest import load_manifest

MANIFEST = load_manifest()
PNG = b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary"


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for path, content in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        target.write_bytes(data)


@pytest.fixture
def course_root(tmp_path: Path) -> Path:
    source = tmp_path / "solution"
    write(
        source,
        {
            "app/main.py": (
                "app = 1\n# >>> lesson 01\nverify = True\n# --- todo\n# TODO(01)\n# <<< lesson 01\n"
            ),
            "app/limits.py": (
                "# >>> file lesson 03\nLIMIT = '5/minute'\n# >>> lesson homework\nRESET = 1\n"
                "# --- todo\n# TODO(homework)\n# <<< lesson homework\n"
            ),
            "app/old.py": "# >>> file until 02\nOLD = 1\n",
            "app/answers.py": "# >>> file lesson homework\nANSWER = 42\n",
            "app/static/logo.png": PNG,
            "README.md": "# API\n<!-- >>> lesson 08 -->\nDeployed.\n<!-- <<< lesson 08 -->\n",
            "app/__pycache__/main.cpython-311.pyc": b"junk",
            "contacts.db": b"junk",
            "media/avatar.png": PNG,
            "notes/private.txt": "not for students\n",
            ".courseignore": "# instructor-only\nnotes/\n",
        },
    )
    script = source / "scripts" / "start.sh"
    write(
        source,
        {"scripts/start.sh": "#!/bin/sh\n# >>> lesson 08\nalembic upgrade head\n# <<< lesson 08\n"},
    )
    script.chmod(0o755)
    return tmp_path


def snapshot(root: Path, name: str) -> dict[str, bytes]:
    folder = root / "lessons" / name
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_build_writes_every_snapshot(course_root: Path) -> None:
    build(course_root / "solution", course_root / "lessons", MANIFEST)
    folders = sorted(
        p.relative_to(course_root / "lessons").as_posix()
        for p in (course_root / "lessons").glob("*/*")
    )
    # Two per lesson, and the homework's starter (its answers are solution/ itself).
    assert len(folders) == 19 and folders[0] == "00_overview/solved"
    assert folders[-1] == "homework/starter"
    first = snapshot(course_root, "00_overview/starter")
    assert set(first) == {
        "app/main.py",
        "app/old.py",
        "app/static/logo.png",
        "README.md",
        "scripts/start.sh",
    }
    assert first["app/main.py"] == b"app = 1\n" and first["app/static/logo.png"] == PNG
    assert (
        snapshot(course_root, "01_email_verification/starter")["app/main.py"]
        == b"app = 1\n# TODO(01)\n"
    )
    assert (
        snapshot(course_root, "01_email_verification/solved")["app/main.py"]
        == b"app = 1\nverify = True\n"
    )
    assert "app/old.py" not in snapshot(course_root, "02_file_uploads/solved")
    assert "app/limits.py" not in snapshot(course_root, "03_rate_limiting/starter")
    final = snapshot(course_root, "08_deploy/solved")
    assert "app/limits.py" in final and "app/answers.py" not in final
    assert final["README.md"] == b"# API\nDeployed.\n"
    assert final["app/limits.py"] == b"LIMIT = '5/minute'\n"
    homework = snapshot(course_root, "homework/starter")
    assert homework["app/limits.py"] == b"LIMIT = '5/minute'\n# TODO(homework)\n"
    assert set(homework) == set(final) and "app/answers.py" not in homework
    assert os.access(course_root / "lessons/08_deploy/solved/scripts/start.sh", os.X_OK)
    assert not os.access(course_root / "lessons/08_deploy/solved/app/main.py", os.X_OK)


def test_build_removes_stale_files_but_keeps_lesson_readme(course_root: Path) -> None:
    lessons = course_root / "lessons"
    write(
        lessons,
        {"03_rate_limiting/README.md": "plan\n", "03_rate_limiting/starter/stale/x.py": "x\n"},
    )
    build(course_root / "solution", lessons, MANIFEST)
    assert (lessons / "03_rate_limiting/README.md").read_text() == "plan\n"
    assert not (lessons / "03_rate_limiting/starter/stale").exists()


def test_check_detects_changed_missing_and_extra(course_root: Path) -> None:
    source, lessons = course_root / "solution", course_root / "lessons"
    build(source, lessons, MANIFEST)
    assert not build(source, lessons, MANIFEST, write=False)
    (lessons / "02_file_uploads/solved/app/main.py").write_text("edited\n")
    (lessons / "04_redis_caching/starter/README.md").unlink()
    write(lessons, {"05_unit_testing/solved/extra.py": "x\n"})
    problems = build(source, lessons, MANIFEST, write=False)
    assert problems.differs == ["02_file_uploads/solved/app/main.py"]
    assert problems.missing == ["04_redis_caching/starter/README.md"]
    assert problems.extra == ["05_unit_testing/solved/extra.py"]
    assert (lessons / "05_unit_testing/solved/extra.py").exists()  # --check writes nothing


def test_cli_build_and_check(course_root: Path) -> None:
    runner, env = CliRunner(), {"COURSE_ROOT": str(course_root)}
    assert runner.invoke(app, ["build"], env=env).exit_code == 0
    ok = runner.invoke(app, ["build", "--check"], env=env)
    assert ok.exit_code == 0 and ok.output.startswith("OK") and ok.output.count("\n") == 1
    (course_root / "lessons/07_ci_cd/solved/app/main.py").write_text("edited\n")
    stale = runner.invoke(app, ["build", "--check"], env=env)
    assert stale.exit_code == 1 and "differs: 07_ci_cd/solved/app/main.py" in stale.output


def test_cli_build_reports_marker_errors(course_root: Path) -> None:
    write(course_root / "solution", {"app/bad.py": "# >>> lesson 01\n"})
    result = CliRunner().invoke(app, ["build"], env={"COURSE_ROOT": str(course_root)})
    assert result.exit_code == 2 and "app/bad.py:1" in result.output


def test_git_ignored_files_are_left_out(course_root: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    source = course_root / "solution"
    subprocess.run(["git", "init", "-q", str(source)], check=True)
    write(source, {".gitignore": "secret.txt\n", "secret.txt": "token\n"})
    paths = {item.path for item in load_sources(source, MANIFEST)}
    assert ".gitignore" in paths and "secret.txt" not in paths and "app/main.py" in paths


def test_a_hundred_files_build_and_then_check_clean(tmp_path: Path) -> None:
    body = "".join(
        f"# >>> lesson {n:02d}\nx{n} = {n}\n# --- todo\n# TODO({n:02d})\n# <<< lesson {n:02d}\n"
        f"# >>> until {n:02d}\ny{n} = 0\n# <<< until {n:02d}\n"
        for n in range(9)
    )
    write(tmp_path / "solution", {f"app/module_{i}.py": body * 3 for i in range(100)})
    build(tmp_path / "solution", tmp_path / "lessons", MANIFEST)
    assert not build(tmp_path / "solution", tmp_path / "lessons", MANIFEST, write=False)


def test_render_stage_of_source_includes_homework(course_root: Path) -> None:
    sources = load_sources(course_root / "solution", MANIFEST)
    everything = render_stage(sources, MANIFEST.source_stage)
    assert everything["app/answers.py"].data == b"ANSWER = 42\n"


RUFF_SETTINGS = '[project]\nname = "api"\n\n[tool.ruff]\nline-length = 100\n'
# Fits in 100 columns, not in ruff's default 88: stays on one line only with solution's settings.
LONG = "NAMES = [" + ", ".join(f'"name{n:02d}"' for n in range(9)) + "]\n"
SERVICE = (
    "import os\n\n\n"
    "# >>> lesson 01\n"
    "def added():\n"
    "    return os.sep\n"
    "# <<< lesson 01\n\n\n"
    "def kept():\n"
    "    return 'single quotes'\n"
    "# >>> lesson 02\n"
    "def crammed():\n"
    "    return 2\n"
    "# <<< lesson 02\n" + LONG
)


@pytest.fixture
def formatted_root(tmp_path: Path) -> Path:
    write(
        tmp_path / "solution",
        {"pyproject.toml": RUFF_SETTINGS, "app/service.py": SERVICE, "notes.txt": "a\n\n\n\nb\n"},
    )
    return tmp_path


def test_python_snapshots_are_formatted_with_the_solutions_ruff_settings(
    formatted_root: Path,
) -> None:
    source, lessons = formatted_root / "solution", formatted_root / "lessons"
    build(source, lessons, MANIFEST)
    before = snapshot(formatted_root, "00_overview/starter")["app/service.py"].decode()
    # The removed region left four blank lines and an import only it used: the import is gone,
    # two blank lines remain; quotes as ruff's style wants.
    assert before == 'def kept():\n    return "single quotes"\n\n\n' + LONG
    after = snapshot(formatted_root, "02_file_uploads/solved")["app/service.py"].decode()
    assert "return os.sep\n\n\ndef kept():" in after
    assert 'return "single quotes"\n\n\ndef crammed():\n    return 2\n\n\n' + LONG in after
    assert snapshot(formatted_root, "00_overview/starter")["notes.txt"] == b"a\n\n\n\nb\n"
    assert not build(source, lessons, MANIFEST, write=False)  # --check compares formatted files
    ruff = [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "--config"]
    checked = subprocess.run(
        [*ruff, str(source / "pyproject.toml"), str(lessons)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_without_ruff_settings_python_is_left_as_rendered(formatted_root: Path) -> None:
    source = formatted_root / "solution"
    (source / "pyproject.toml").write_text('[project]\nname = "api"\n', encoding="utf-8")
    build(source, formatted_root / "lessons", MANIFEST)
    before = snapshot(formatted_root, "00_overview/starter")["app/service.py"].decode()
    assert before.startswith("import os\n\n\n\n\ndef kept():\n    return 'single quotes'\n")


def test_a_snapshot_that_is_not_valid_python_is_named(formatted_root: Path) -> None:
    body = "def f():\n    # >>> lesson 01\n    return 1\n    # <<< lesson 01\n"
    write(formatted_root / "solution", {"app/broken.py": body})
    with pytest.raises(SnapshotFormatError, match=r"00_overview/starter/app/broken\.py:\d+: "):
        build(formatted_root / "solution", formatted_root / "lessons", MANIFEST)
    assert not (formatted_root / "lessons").exists()  # nothing written
