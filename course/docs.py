"""`course docs`: the course site served locally (`mkdocs serve`) or built into a folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from course.paths import CoursePaths

# Material 9.7+ prints a banner about MkDocs 2.0 on every run; it says nothing about this site.
QUIET = {"NO_MKDOCS_2_WARNING": "1"}


def mkdocs_command(root: Path, build_dir: Path | None, address: str) -> list[str]:
    config = ["-f", str(root / "mkdocs.yml")]
    if build_dir is not None:
        return [sys.executable, "-m", "mkdocs", "build", "--strict", *config, "-d", str(build_dir)]
    return [sys.executable, "-m", "mkdocs", "serve", *config, "-a", address]


def run_docs(build_dir: Path | None, address: str = "127.0.0.1:8000") -> int:
    """Build (strict: any broken link or path fails) or serve the site; mkdocs' exit code."""
    root = CoursePaths.default().root
    target = build_dir.resolve() if build_dir is not None else None
    command = mkdocs_command(root, target, address)
    return subprocess.run(command, cwd=root, env={**os.environ, **QUIET}, check=False).returncode
