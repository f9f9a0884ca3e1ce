"""The snapshot generator: solution/ -> lessons/NN_name/{starter,solved}/.

Cutting marker regions out can leave Python that is valid but not formatted (three blank lines
where a region was, none before a `def` that followed one), so the rendered Python files of all
snapshots are passed through `ruff format` with the solution's own ruff settings: one subprocess
per build, on each distinct file content once.
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
    """Every snapshot folder, relative to lessons/ ("03_rate_limiting/starter"), rendered.

    With `ruff_config`, the Python files are formatted with those settings (`format_python`).
    """
    result: dict[str, Snapshot] = {}
    for lesson in manifest.lessons:
        for kind, stage in zip(SNAPSHOT_KINDS, (lesson.starter_stage, lesson.solved_stage)):
            result[f"{lesson.name}/{kind}"] = render_stage(sources, stage)
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
    """`ruff format --config CONFIG` over every Python file of `rendered`, in place.

    Each distinct content is written once into a temp tree and one ruff process formats them
    all. A file ruff cannot parse fails the build, named by its snapshot path and line.
    """
    first_use: dict[bytes, str] = {}  # content -> "03_rate_limiting/starter/app/main.py"
    for folder, snapshot in rendered.items():
        for path, file in snapshot.items():
            if path.endswith(PYTHON_SUFFIXES):
                first_use.setdefault(file.data, f"{folder}/{path}")
    if not first_use:
        return
    with tempfile.TemporaryDirectory(prefix="course-format-") as raw:
        tree = Path(raw)
        names: dict[str, bytes] = {}
        for number, (data, where) in enumerate(first_use.items()):
            name = f"{number}{Path(where).suffix}"
            (tree / name).write_bytes(data)
            names[name] = data
        settings = str(config.resolve())  # ruff runs in the temp tree
        command = [_ruff(config), "format", "--config", settings, "--no-cache", "."]
        result = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise _format_error(result.stderr or result.stdout, tree, names, first_use, config)
        formatted = {data: (tree / name).read_bytes() for name, data in names.items()}
    for snapshot in rendered.values():
        for path, file in snapshot.items():
            if path.endswith(PYTHON_SUFFIXES):
                snapshot[path] = replace(file, data=formatted[file.data])


def _format_error(
    output: str, tree: Path, names: dict[str, bytes], first_use: dict[bytes, str], config: Path
) -> SnapshotFormatError:
    match = RUFF_PARSE_ERROR.search(output)
    if match is not None:
        data = names.get(Path(match["file"]).name)
        if data is not None:
            where = first_use[data]
            message = f"not valid Python after rendering (ruff: {match['message']})"
            return SnapshotFormatError(where, int(match["line"]), message)
    first = next((line for line in output.splitlines() if line.strip()), "ruff format failed")
    return SnapshotFormatError(config.name, 0, first.replace(str(tree), "<snapshots>"))


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
    """Write (or with write=False only compare) all eighteen snapshot folders.

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
