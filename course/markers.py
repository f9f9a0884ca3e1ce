"""The marker language of solution/: parse a file once into a region tree, render it per stage.

Stages are integers: starter(n) = 2n, solved(n) = 2n + 1, where n is a lesson's ordinal
(the homework is the last ordinal, so solved(homework) is solution/ itself). Region kinds:
`lesson n` from solved(n) on (starter(n) shows its `--- todo` part), `given n` from starter(n) on,
`until n` up to starter(n). In `until` regions and `--- todo` halves, `#| code` lines become code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Literal, cast

Kind = Literal["lesson", "until", "given"]

# A marker line is a whole comment; `m` captures the text inside the comment delimiters.
HASH_COMMENT = re.compile(r"#\s*(?P<m>(?:>>>|<<<|---)(?:\s.*)?)")
HTML_COMMENT = re.compile(r"<!--\s*(?P<m>(?:>>>|<<<|---)(?:\s.*?)?)\s*-->")
JINJA_COMMENT = re.compile(r"\{#-?\s*(?P<m>(?:>>>|<<<|---)(?:\s.*?)?)\s*-?#\}")
HTML_SUFFIXES = {".md", ".markdown", ".xml", ".svg"}
TEMPLATE_SUFFIXES = {".html", ".htm", ".jinja", ".jinja2", ".j2"}

MARKER = re.compile(
    r"(?P<dir>>>>|<<<)\s+(?P<file>file\s+)?(?P<kind>lesson|until|given)\s+(?P<lesson>\S+)"
    r"(?P<todo>\s+todo)?"
)
# Only comments that start like a marker are validated: `# >>> print(x)` stays a comment.
MARKER_START = re.compile(r"(?:>>>|<<<)\s+(?:lesson|until|given|file)\b|---\s+todo\b")
TODO = "--- todo"
# `#| code` in an `until` region or a `--- todo` half: commented in solution/ (where it cannot
# run beside the new code), live in snapshots. The text after `#| ` keeps its own indentation.
LIVE_COMMENT = re.compile(r"[ \t]*#\|(?: (?P<rest>.*))?")


class MarkerError(ValueError):
    """A malformed or unbalanced marker, with the file and line that caused it."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass
class Region:
    kind: Kind
    lesson: str
    ordinal: int
    line: int
    body: list[Node] = field(default_factory=list)
    todo: list[Node] | None = None


Node = str | Region


@dataclass(frozen=True)
class FileRule:
    kind: Kind
    lesson: str
    ordinal: int
    todo: bool


@dataclass
class Document:
    nodes: list[Node]
    file_rule: FileRule | None = None


@dataclass(frozen=True)
class _Marker:
    direction: str  # ">>>", "<<<" or "---" (the todo split)
    kind: Kind | None = None
    lesson: str = ""
    is_file: bool = False
    todo: bool = False


def comment_patterns(path: PurePath) -> tuple[re.Pattern[str], ...]:
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        return (HTML_COMMENT,)
    if suffix in TEMPLATE_SUFFIXES:
        return (HTML_COMMENT, JINJA_COMMENT)
    return (HASH_COMMENT,)


def split_lines(text: str) -> list[str]:
    """Split on "\\n" only, keeping every line ending (CRLF stays CRLF)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _uncomment(line: str) -> str:
    body = line.rstrip("\r\n")
    match = LIVE_COMMENT.fullmatch(body)
    return (match["rest"] or "") + line[len(body) :] if match else line


def _marker_text(line: str, patterns: tuple[re.Pattern[str], ...]) -> str | None:
    if ">>>" not in line and "<<<" not in line and "---" not in line:
        return None  # the common case, without any regex
    stripped = line.strip().lstrip("\ufeff")
    for pattern in patterns:
        match = pattern.fullmatch(stripped)
        if match and MARKER_START.match(match["m"].strip()):
            return " ".join(match["m"].split())
    return None


def _parse_marker(text: str, where: tuple[str, int]) -> _Marker:
    if text.startswith("---"):
        if text != TODO:
            raise MarkerError(*where, f"malformed todo split {text!r} (expected {TODO!r})")
        return _Marker("---")
    match = MARKER.fullmatch(text)
    if not match:
        raise MarkerError(*where, f"malformed marker {text!r}")
    marker = _Marker(
        direction=match["dir"],
        kind=cast(Kind, match["kind"]),
        lesson=match["lesson"],
        is_file=bool(match["file"]),
        todo=bool(match["todo"]),
    )
    if marker.todo and not (
        marker.is_file and marker.kind == "lesson" and marker.direction == ">>>"
    ):
        raise MarkerError(*where, f"`todo` only follows `>>> file lesson NN`: {text!r}")
    if marker.is_file and marker.direction == "<<<":
        raise MarkerError(*where, "file markers are not closed: drop this line")
    return marker


@dataclass
class _Parser:
    path: str
    order: Mapping[str, int]
    max_stage: int
    # (region, stages of its surroundings, stages of the part being filled)
    stack: list[tuple[Region, tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    file_rule: FileRule | None = None
    shebang: bool = False

    def ordinal(self, lesson: str, line: int) -> int:
        if lesson not in self.order:
            known = ", ".join(self.order)
            raise MarkerError(self.path, line, f"unknown lesson {lesson!r} (known: {known})")
        return self.order[lesson]

    def add_text(self, line: str, uncomment: bool) -> None:
        if uncomment and "#|" in line and self.in_old_code():
            line = _uncomment(line)
        self.target().append(line)

    def in_old_code(self) -> bool:
        """Inside an `until` region or a `--- todo` half (at any depth)."""
        return any(region.kind == "until" or region.todo is not None for region, *_ in self.stack)

    def target(self) -> list[Node]:
        if not self.stack:
            return self.nodes
        region = self.stack[-1][0]
        return region.body if region.todo is None else region.todo

    def span(self) -> tuple[int, int]:
        """Stages in which the current insertion point is rendered."""
        if self.stack:
            return self.stack[-1][2]
        rule = self.file_rule
        return _file_span(rule, self.max_stage) if rule else (0, self.max_stage)

    def feed(self, marker: _Marker, line: int) -> None:
        if marker.direction == "---":
            self.split_todo(line)
        elif marker.is_file:
            self.set_file_rule(marker, line)
        elif marker.direction == ">>>":
            self.open(marker, line)
        else:
            self.close(marker, line)

    def set_file_rule(self, marker: _Marker, line: int) -> None:
        # Line 2 is allowed after a shebang (`#!/bin/sh`), which must stay the first line.
        after_shebang = line == 2 and self.shebang
        if line != 1 and not after_shebang:
            raise MarkerError(self.path, line, "a file marker must be the first line of the file")
        assert marker.kind is not None
        ordinal = self.ordinal(marker.lesson, line)
        self.file_rule = FileRule(marker.kind, marker.lesson, ordinal, marker.todo)

    def open(self, marker: _Marker, line: int) -> None:
        assert marker.kind is not None
        region = Region(marker.kind, marker.lesson, self.ordinal(marker.lesson, line), line)
        outer = self.span()
        span = _intersect(outer, _region_span(region, self.max_stage))
        if span[0] > span[1]:
            raise MarkerError(self.path, line, "this region can never appear in any stage")
        self.target().append(region)
        self.stack.append((region, outer, span))

    def split_todo(self, line: int) -> None:
        if not self.stack:
            raise MarkerError(self.path, line, f"`{TODO}` outside of a region")
        region, outer, _ = self.stack[-1]
        if region.kind != "lesson" or region.todo is not None:
            raise MarkerError(self.path, line, f"`{TODO}` belongs once in a `lesson` region")
        span = _intersect(outer, (2 * region.ordinal, 2 * region.ordinal))
        if span[0] > span[1]:
            raise MarkerError(self.path, line, "this todo part can never appear in any stage")
        region.todo = []
        self.stack[-1] = (region, outer, span)

    def close(self, marker: _Marker, line: int) -> None:
        closing = f"<<< {marker.kind} {marker.lesson}"
        if not self.stack:
            raise MarkerError(self.path, line, f"`{closing}` closes nothing")
        region = self.stack[-1][0]
        if (region.kind, region.lesson) != (marker.kind, marker.lesson):
            opened = f"`>>> {region.kind} {region.lesson}` of line {region.line}"
            raise MarkerError(self.path, line, f"`{closing}` does not match {opened}")
        self.stack.pop()

    def finish(self) -> Document:
        if self.stack:
            region = self.stack[-1][0]
            opened = f">>> {region.kind} {region.lesson}"
            raise MarkerError(self.path, region.line, f"`{opened}` is never closed")
        return Document(self.nodes, self.file_rule)


def _intersect(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return max(a[0], b[0]), min(a[1], b[1])


def _region_span(region: Region, max_stage: int) -> tuple[int, int]:
    if region.kind == "until":
        return 0, 2 * region.ordinal
    if region.kind == "given":
        return 2 * region.ordinal, max_stage
    return 2 * region.ordinal + 1, max_stage


def _file_span(rule: FileRule, max_stage: int) -> tuple[int, int]:
    if rule.kind == "until":
        return 0, 2 * rule.ordinal
    return 2 * rule.ordinal + (0 if rule.todo or rule.kind == "given" else 1), max_stage


def parse(text: str, path: str, order: Mapping[str, int]) -> Document:
    """Parse one file's text; `order` maps lesson ids (and "homework") to ordinals."""
    patterns = comment_patterns(PurePath(path))
    uncomment = HASH_COMMENT in patterns
    parser = _Parser(path, order, max_stage=2 * max(order.values(), default=0) + 1)
    for number, line in enumerate(split_lines(text), start=1):
        parser.shebang = parser.shebang or (number == 1 and line.startswith("#!"))
        marker_text = _marker_text(line, patterns)
        if marker_text is None:
            parser.add_text(line, uncomment)
        else:
            parser.feed(_parse_marker(marker_text, (path, number)), number)
    return parser.finish()


def file_visible(rule: FileRule | None, stage: int) -> bool:
    if rule is None:
        return True
    if rule.kind == "until":
        return stage <= 2 * rule.ordinal
    shown_in_starter = rule.todo or rule.kind == "given"
    return stage > 2 * rule.ordinal or (shown_in_starter and stage == 2 * rule.ordinal)


def _region_part(region: Region, stage: int) -> list[Node] | None:
    if region.kind == "until":
        return region.body if stage <= 2 * region.ordinal else None
    if region.kind == "given":
        return region.body if stage >= 2 * region.ordinal else None
    if stage > 2 * region.ordinal:
        return region.body
    return region.todo if stage == 2 * region.ordinal else None


def _emit(nodes: list[Node], stage: int, out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
            continue
        part = _region_part(node, stage)
        if part:
            _emit(part, stage, out)


def render(doc: Document, stage: int) -> str | None:
    """The file's text at `stage`, or None when the file does not exist then."""
    if not file_visible(doc.file_rule, stage):
        return None
    out: list[str] = []
    _emit(doc.nodes, stage, out)
    return "".join(out)
