"""The lesson notebooks: execute them in place, check what a reviewer needs, open one in Jupyter.

`course notebooks --execute` re-runs every notebook so its stored outputs are the executed ones
(nbval compares them on every test run); `course notebooks --check` reports what makes a notebook
hard to review or non-reproducible; `course notebook NN` starts Jupyter on one lesson's notebook.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from course.manifest import Lesson, Manifest

KERNEL = "python3"
CELL_TIMEOUT = 60  # seconds per cell while executing
MAX_OUTPUT_LINES = 40  # "outputs short": a cell that prints more belongs in a script
NBVAL_MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP", "NBVAL_RAISES_EXCEPTION")
# All the metadata a notebook keeps: no kernel paths, no Python version, no widget state.
NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": KERNEL},
    "language_info": {"name": "python"},
}
# An absolute path in an output ties it to one machine: homes, temp folders, this machine's
# /work, or a Windows drive. Paths inside a container (/opt/venv, /app) are the same everywhere.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])/(?:home|tmp|root|Users|work|private|var/folders)/")
_WINDOWS_PATH = re.compile(r"\b[A-Za-z]:\\\\?[\w.-]")


def notebook_path(folder: Path, lesson: Lesson) -> Path:
    return folder / f"{lesson.name}.ipynb"


def lesson_notebooks(folder: Path, manifest: Manifest) -> list[Path]:
    """Every lesson's notebook, in lesson order (missing ones included: --check names them)."""
    return [notebook_path(folder, lesson) for lesson in manifest.lessons]


# --- Executing ---------------------------------------------------------------------------------


def normalize(notebook: nbformat.NotebookNode) -> None:
    """Strip what depends on the machine or the run: kernel paths, versions, timings, ids."""
    notebook.metadata = nbformat.from_dict(NOTEBOOK_METADATA)
    for number, cell in enumerate(notebook.cells, start=1):
        cell.id = f"cell-{number:02d}"  # stable ids: a re-run does not rewrite every cell
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = _coalesce_streams(cell.outputs)


def _coalesce_streams(outputs: list[nbformat.NotebookNode]) -> list[nbformat.NotebookNode]:
    """One stdout block per run of prints: the kernel splits them wherever an await flushed."""
    merged: list[nbformat.NotebookNode] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and output.output_type == previous.output_type == "stream"
            and output.name == previous.name
        ):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def execute(path: Path, timeout: int = CELL_TIMEOUT) -> None:
    """Run every cell in a fresh kernel started in the notebook's folder; write the outputs."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    client.execute()
    normalize(notebook)
    nbformat.validate(notebook)
    path.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")


# --- Checking ----------------------------------------------------------------------------------


def _output_text(output: nbformat.NotebookNode) -> str:
    if output.get("output_type") == "stream":
        return str(output.get("text", ""))
    data = output.get("data", {})
    return "\n".join(str(value) for value in data.values())


def _machine_strings() -> list[str]:
    """Strings that only this machine prints: where the repository, temp files and home are."""
    candidates = {
        str(Path(__file__).resolve().parent.parent),
        tempfile.gettempdir(),
        str(Path.home()),
        socket.gethostname(),
    }
    return sorted(value for value in candidates if len(value) > 3)


def _marker_problems(source: str) -> list[str]:
    """An nbval marker must be followed by a comment line saying why the output may vary."""
    lines = [line.strip() for line in source.splitlines()]
    problems = []
    for index, line in enumerate(lines):
        if line.lstrip("#").strip() not in NBVAL_MARKERS or not line.startswith("#"):
            continue
        reason = lines[index + 1] if index + 1 < len(lines) else ""
        if not reason.startswith("#") or len(reason.lstrip("#").strip()) < 10:
            problems.append(f"{line.lstrip('# ')} without a reason on the next comment line")
    return problems


def _output_problems(cell: nbformat.NotebookNode, machine: list[str]) -> list[str]:
    problems = []
    text = "\n".join(_output_text(output) for output in cell.get("outputs", ()))
    for output in cell.get("outputs", ()):
        if output.get("output_type") == "error":
            problems.append(f"an error output ({output.get('ename')})")
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            problems.append("output on stderr (a warning or a log line)")
    if len(text.splitlines()) > MAX_OUTPUT_LINES:
        problems.append(f"output longer than {MAX_OUTPUT_LINES} lines")
    if _ABSOLUTE_PATH.search(text) or _WINDOWS_PATH.search(text):
        problems.append("an absolute path in the output")
    problems.extend(f"{value!r} (this machine) in the output" for value in machine if value in text)
    return problems


def notebook_problems(path: Path) -> list[str]:
    """What keeps a notebook from being reviewable and reproducible; [] when it is fine."""
    if not path.is_file():
        return [f"{path.name}: missing"]
    notebook = nbformat.read(path, as_version=4)
    problems = []
    if notebook.metadata != NOTEBOOK_METADATA:
        problems.append("notebook metadata is not normalized (run `course notebooks --execute`)")
    machine = _machine_strings()
    counts = []
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code":
            continue
        where = f"cell {number}"
        if not cell.source.strip():
            problems.append(f"{where}: empty code cell")
        if cell.get("execution_count") is None:
            problems.append(f"{where}: not executed")
        counts.append(cell.get("execution_count"))
        problems.extend(f"{where}: {problem}" for problem in _marker_problems(cell.source))
        problems.extend(f"{where}: {problem}" for problem in _output_problems(cell, machine))
    if counts != list(range(1, len(counts) + 1)):
        problems.append(f"execution counts {counts} are not 1..{len(counts)} in order")
    metadata_text = json.dumps(notebook.metadata)
    if _ABSOLUTE_PATH.search(metadata_text) or any(value in metadata_text for value in machine):
        problems.append("a path of this machine in the notebook metadata")
    return [f"{path.name}: {problem}" for problem in problems]


# --- Jupyter -----------------------------------------------------------------------------------


def jupyter_url(path: Path, port: int, ip: str, token: str) -> str:
    """The link that opens this notebook in JupyterLab (the server's root is the repository)."""
    host = f"[{ip}]" if ":" in ip else ip
    return f"http://{host}:{port}/lab/tree/{path.parent.name}/{path.name}?token={token}"


def jupyter_command(path: Path, port: int, ip: str, token: str) -> list[str]:
    """JupyterLab serving the repository, no browser, on exactly this port and token."""
    # Containers and CI machines often run as root, which Jupyter refuses without this flag.
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        f"--ip={ip}",
        f"--port={port}",
        "--ServerApp.port_retries=0",  # a busy port is an error, not a silently different URL
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={path.parent.parent}",
        *as_root,
    ]


def run_jupyter(path: Path, port: int, ip: str, on_url: Callable[[str], None]) -> int:
    """Start Jupyter and wait for it; Ctrl-C stops it (Jupyter asks, a second Ctrl-C confirms)."""
    token = secrets.token_hex(24)
    on_url(jupyter_url(path, port, ip, token))
    try:
        return subprocess.call(jupyter_command(path, port, ip, token))
    except KeyboardInterrupt:
        return 0
