"""The snapshot generator: solution/ -> lessons/NN_name/{starter,solved}/, lessons/homework/starter/.

The homework gets no solved snapshot: its answers are solution/ itself, which no snapshot copies.

Cutting marker regions out can leave Python that is valid but not clean (an import that only the
removed code used, an import block out of order, three blank lines where a region was, none
before a `def` that followed one), so the rendered Python files of every snapshot get ruff's own
fixes for those and `ruff format`, with the solution's own ruff settings: each snapshot passes
`ruff check` (unused imports and import order included) and `ruff format --check` as generated.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from course.files import is_executable, list_files, read_patterns, remove_empty_dirs, write_file
from course.manifest import Manifest
from course.markers import Document, MarkerError, parse, render

COURSEIGNORE = ".courseignore"
SNAPSHOT_KINDS = ("starter", "solved")
PYTHON_SUFFIXES = (".py", ".pyi")
# ruff's fixes for what cut regions leave behind: unused imports, unsorted import blocks.
LINT_FIXES = ("F401", "I")
RUFF_PARSE_ERROR = re.compile(r"Failed to parse (?P<file>.+?):(?P<line>\d+):\d+: (?P<message>.*)")


@dataclass(frozen=True)
class SourceFile:
    path: str
    data: bytes
    executable: bool
    doc: Document | None  # None: a binary file, copied as it is into every stage

    def render(self, stage: int) -> bytes | None:
        if self.doc is None:
            return self.data
        text = render(self.doc, stage)
        return None if text is None else text.encode("utf-8")


@dataclass(frozen=True)
class RenderedFile:
    data: bytes
    executable: bool


Snapshot = dict[str, RenderedFile]


@dataclass
class Problems:
    """What `build --check` found, as paths relative to the lessons folder."""

    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    differs: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra or self.differs)

    def lines(self) -> list[str]:
        labelled = [("missing", self.missing), ("extra", self.extra), ("differs", self.differs)]
        return [f"{label}: {path}" for label, paths in labelled for path in paths]


def _load(path: str, source: Path, order: dict[str, int]) -> SourceFile:
    full = source / path
    data = full.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return SourceFile(path, data, is_executable(full), None)
    return SourceFile(path, data, is_executable(full), parse(text, path, order))


def load_sources(source: Path, manifest: Manifest) -> list[SourceFile]:
    """Parse every file of solution/ once; raises MarkerError on the first bad marker."""
    patterns = read_patterns(source / COURSEIGNORE)
    paths = [path for path in list_files(source, patterns) if path != COURSEIGNORE]
    return [_load(path, source, manifest.order) for path in paths]


def render_stage(sources: list[SourceFile], stage: int) -> Snapshot:
    snapshot: Snapshot = {}
    for source in sources:
        data = source.render(stage)
        if data is not None:
            snapshot[source.path] = RenderedFile(data, source.executable)
    return snapshot


def snapshots(
    sources: list[SourceFile], manifest: Manifest, *, ruff_config: Path | None = None
) -> dict[str, Snapshot]:
    """Every snapshot folder, relative to lessons/ ("03_rate_limiting/starter"), rendered:
    each lesson's starter and solved, then the homework's starter ("homework/starter").

    With `ruff_config`, the Python files are formatted with those settings (`format_python`).
    """
    result: dict[str, Snapshot] = {}
    for lesson in manifest.lessons:
        for kind, stage in zip(SNAPSHOT_KINDS, (lesson.starter_stage, lesson.solved_stage)):
            result[f"{lesson.name}/{kind}"] = render_stage(sources, stage)
    # The homework has a starter only: its solved stage is solution/ itself, the answers.
    homework = manifest.homework
    result[f"{homework.name}/starter"] = render_stage(sources, homework.starter_stage)
    if ruff_config is not None:
        format_python(result, ruff_config)
    return result


class SnapshotFormatError(MarkerError):
    """A rendered Python file ruff cannot format (the markers cut it into invalid code)."""


def ruff_config(source: Path) -> Path | None:
    """The solution's ruff settings, if it declares any: snapshots are formatted like it."""
    for name in ("ruff.toml", ".ruff.toml"):
        if (source / name).is_file():
            return source / name
    pyproject = source / "pyproject.toml"
    if pyproject.is_file():
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        if "ruff" in data.get("tool", {}):
            return pyproject
    return None


def _ruff(config: Path) -> str:
    try:
        from ruff.__main__ import find_ruff_bin

        return str(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("ruff")
    if found is None:
        message = "ruff is needed to format the snapshots like solution/ (`uv sync`)"
        raise SnapshotFormatError(config.name, 0, message)
    return found


def format_python(rendered: dict[str, Snapshot], config: Path) -> None:
    """Clean every Python file of `rendered` in place, with the solution's ruff settings.

    Cutting regions out can leave an import nothing uses any more and an import block out of
    order: ruff's own fixes for those (LINT_FIXES) run on each snapshot, then `ruff format` on
    all of them. Each snapshot is written at its own paths into a temp tree, so that ruff tells
    the app's first-party imports (`app`, `tests`) by the folders it sees, as in the snapshot
    itself. A file ruff cannot parse fails the build, named by its snapshot path and line.
    """
    python = {
        f"{folder}/{path}": file
        for folder, snapshot in rendered.items()
        for path, file in snapshot.items()
        if path.endswith(PYTHON_SUFFIXES)
    }
    if not python:
        return
    with tempfile.TemporaryDirectory(prefix="course-format-") as raw:
        tree = Path(raw)
        for where, file in python.items():
            (tree / where).parent.mkdir(parents=True, exist_ok=True)
            (tree / where).write_bytes(file.data)
        ruff, settings = _ruff(config), str(config.resolve())  # ruff runs in the temp tree
        fixes = ["check", "--fix-only", "--select", ",".join(LINT_FIXES)]
        for folder in rendered:
            if (tree / folder).is_dir():
                command = [ruff, *fixes, "--no-cache", "--config", settings, "."]
                _run_ruff(command, tree / folder, tree, list(rendered))
        command = [ruff, "format", "--no-cache", "--config", settings, "."]
        _run_ruff(command, tree, tree, list(rendered))
        for folder, snapshot in rendered.items():
            for path, file in snapshot.items():
                if path.endswith(PYTHON_SUFFIXES):
                    data = (tree / folder / path).read_bytes()
                    snapshot[path] = replace(file, data=data)


def _run_ruff(command: list[str], cwd: Path, tree: Path, folders: list[str]) -> None:
    """Run ruff in the temp tree; a file it cannot parse is named by its earliest snapshot."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode == 0:
        return
    output = result.stderr or result.stdout
    errors = []
    for match in RUFF_PARSE_ERROR.finditer(output):
        where = (cwd / match["file"]).resolve().relative_to(tree.resolve()).as_posix()
        stage = next((n for n, name in enumerate(folders) if where.startswith(f"{name}/")), 0)
        message = f"not valid Python after rendering (ruff: {match['message']})"
        errors.append((stage, where, int(match["line"]), message))
    if errors:
        _, where, line, message = min(errors)
        raise SnapshotFormatError(where, line, message)
    first = next((line for line in output.splitlines() if line.strip()), "ruff failed")
    raise SnapshotFormatError(Path(command[-2]).name, 0, first.replace(str(tree), "<snapshots>"))


def _differs(path: Path, expected: RenderedFile) -> bool:
    return path.read_bytes() != expected.data or is_executable(path) != expected.executable


def sync_snapshot(folder: Path, expected: Snapshot, *, write: bool) -> Problems:
    """Compare (and with write=True, make equal) one snapshot folder and its expected files."""
    actual = set(list_files(folder))
    problems = Problems(
        missing=sorted(set(expected) - actual),
        extra=sorted(actual - set(expected)),
        differs=sorted(p for p in actual & set(expected) if _differs(folder / p, expected[p])),
    )
    if write:
        for path in problems.missing + problems.differs:
            write_file(folder / path, expected[path].data, expected[path].executable)
        for path in problems.extra:
            (folder / path).unlink()
        remove_empty_dirs(folder, problems.extra)
    return problems


def build(source: Path, lessons: Path, manifest: Manifest, *, write: bool = True) -> Problems:
    """Write (or with write=False only compare) all snapshot folders (nineteen: two per lesson,
    and the homework's starter).

    Python files are compared and written as `ruff format` leaves them, with the solution's ruff
    settings (when it declares some: `ruff_config`).
    """
    found = Problems()
    rendered = snapshots(load_sources(source, manifest), manifest, ruff_config=ruff_config(source))
    for name, expected in rendered.items():
        problems = sync_snapshot(lessons / name, expected, write=write)
        for label in ("missing", "extra", "differs"):
            getattr(found, label).extend(f"{name}/{p}" for p in getattr(problems, label))
    return found
