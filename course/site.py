"""The course site's model: which repository files are pages, links between them, path checks.

The site (mkdocs, `course/mkdocs_hooks.py`) renders pages that live all over the repository:
docs/*.md, lessons/NN_name/README.md and notebooks/NN_name.ipynb. Pages link to each other and
to real files with ordinary relative links (they work on GitHub as they are); on the site, links
to pages stay site links and links to other repository files go to the file on GitHub, a
`#symbol` fragment on a .py link becoming the symbol's line range. The same scan finds links and
backticked repository paths that do not exist: the build warns (and `--strict` fails), the tests
run it over every page.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from course.manifest import Manifest

DOCS_DIR = "docs"
SOLUTION = "solution"
# The lesson plan names the app's folder `contacts_api/`: here it is solution/.
PLAN_PREFIX = "contacts_api/"
DEFAULT_BRANCH = "main"

# The guides in the order of the navigation, with their titles (pages by site-content).
GUIDES = (
    ("ARCHITECTURE.md", "Архітектура"),
    ("TESTING_GUIDE.md", "Посібник із тестування"),
    ("DEPLOYMENT_GUIDE.md", "Посібник із деплою"),
    ("CHECKLIST.md", "Чек-лист заняття"),
    ("HOMEWORK.md", "Домашнє завдання"),
    ("COMMANDS.md", "Швидкі команди"),
    ("lesson-plan.md", "План заняття"),
)

FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
INLINE_LINK = re.compile(
    r"(!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\()(\s*<?)([^()\s<>]+)(>?(?:\s+\"[^\"]*\")?\s*\))"
)
REFERENCE_LINK = re.compile(r"^(\s*\[[^\]]+\]:\s*<?)(\S+?)(>?(?:\s.*)?)$")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
SYMBOL = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)?$")
LINE_FRAGMENT = re.compile(r"^L\d+(-L\d+)?$")  # GitHub's own line anchors, kept as they are
# Link text that names a graded checkpoint (`05.2`, `HW.3`): its link must reach that test.
CHECKPOINT_ID = re.compile(r"^(\d{2}|HW)\.\d+$")
CHECKPOINTS_DIR = "checkpoints/"
# What a backticked path ends with when it names a file.
FILE_SUFFIXES = frozenset(
    [
        ".py",
        ".md",
        ".yml",
        ".yaml",
        ".toml",
        ".txt",
        ".ini",
        ".cfg",
        ".html",
        ".jinja",
        ".j2",
        ".ipynb",
        ".sh",
        ".json",
        ".js",
        ".css",
        ".lock",
        ".example",
        ".mako",
    ]
)
FILE_NAMES = frozenset({"Dockerfile", ".env", ".dockerignore", ".gitignore"})
# A code span with any of these is code, a glob or a placeholder, not a path.
NOT_A_PATH = re.compile(r"[\s()\[\]{}<>=*?$@,;'\"|\\…]|\.\.\.|://|^-|\bNN\b|NN_")


@dataclass(frozen=True)
class Problem:
    """Something on a page that does not match the repository."""

    page: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line}: {self.message}"


# ---------------------------------------------------------------------------------------------
# Which files are pages


def lesson_pages(root: Path, manifest: Manifest) -> list[str]:
    """lessons/NN_name/README.md of every lesson whose README exists, in lesson order."""
    paths = (f"lessons/{lesson.name}/README.md" for lesson in manifest.lessons)
    return [path for path in paths if (root / path).is_file()]


def notebook_of(root: Path, lesson_name: str) -> str | None:
    path = f"notebooks/{lesson_name}.ipynb"
    return path if (root / path).is_file() else None


def site_pages(root: Path, manifest: Manifest) -> dict[str, str]:
    """Repository path -> the page's path in the site (mkdocs' src_uri), for every page."""
    docs = root / DOCS_DIR
    pages = {
        path.relative_to(root).as_posix(): path.relative_to(docs).as_posix()
        for path in sorted(docs.rglob("*.md"))
    }
    for path in lesson_pages(root, manifest):
        pages[path] = path
    for lesson in manifest.lessons:
        notebook = notebook_of(root, lesson.name)
        if notebook:
            pages[notebook] = notebook
    return pages


NavItem = dict[str, "str | list[NavItem]"]


def navigation(root: Path, manifest: Manifest) -> list[NavItem]:
    """Home, the lessons 00 -> 08 (each with its notebook when there is one), the guides."""
    lessons: list[NavItem] = []
    for lesson in manifest.lessons:
        page = f"lessons/{lesson.name}/README.md"
        if not (root / page).is_file():
            continue
        title = f"{lesson.id} · {lesson.title}"
        notebook = notebook_of(root, lesson.name)
        lessons.append({title: [page, {"Ноутбук": notebook}] if notebook else page})
    guides: list[NavItem] = [
        {title: name} for name, title in GUIDES if (root / DOCS_DIR / name).is_file()
    ]
    nav: list[NavItem] = [{"Головна": "index.md"}]
    if lessons:
        nav.append({"Уроки": lessons})
    if guides:
        nav.append({"Посібники": guides})
    return nav


# ---------------------------------------------------------------------------------------------
# Markdown outside code


def _closes(fence: str, run: str, line: str) -> bool:
    """A closing fence: the same character, at least as long, nothing after it."""
    return run[0] == fence[0] and len(run) >= len(fence) and not line.strip().lstrip(run[0])


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """(index, line) of every line outside fenced code blocks."""
    fence: str | None = None
    for index, line in enumerate(text.split("\n")):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
        elif fence is not None:
            if match and _closes(fence, match.group(1), line):
                fence = None
        else:
            yield index, line


def code_ranges(line: str) -> list[tuple[int, int]]:
    return [span.span() for span in CODE_SPAN.finditer(line)]


def code_spans(text: str) -> Iterator[tuple[int, str]]:
    """(line number, content) of every inline code span outside fenced blocks."""
    for index, line in prose_lines(text):
        for span in CODE_SPAN.finditer(line):
            yield index + 1, span.group(2).strip()


# ---------------------------------------------------------------------------------------------
# Python symbols and repository paths


def symbol_lines(source: str, symbol: str, path: str = "<source>") -> tuple[int, int]:
    """First and last line (1-based, decorators included) of a top-level function or class,
    or `Class.method`. LookupError naming what exists when there is no such symbol."""
    body: list[ast.stmt] = ast.parse(source, filename=path).body
    found: ast.stmt | None = None
    for part in symbol.split("."):
        named = {
            node.name: node
            for node in body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        }
        found = named.get(part)
        if found is None:
            known = ", ".join(sorted(named)) or "nothing"
            raise LookupError(f"{path} has no {symbol!r} (it defines: {known})")
        body = found.body if isinstance(found, ast.ClassDef) else []
    assert found is not None and found.end_lineno is not None
    decorators = getattr(found, "decorator_list", [])
    start = min([found.lineno, *(node.lineno for node in decorators)])
    return start, found.end_lineno


def checkpoint_id(source: str, function: str) -> str | None:
    """The id given to `@checkpoint(id=...)` on a top-level test function, None without one."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function:
            for decorator in node.decorator_list:
                for keyword in getattr(decorator, "keywords", []):
                    if keyword.arg == "id" and isinstance(keyword.value, ast.Constant):
                        return str(keyword.value.value)
    return None


def _checkpoint_problem(url: str, text: str, path: str, fragment: str, source: str) -> str:
    """A link whose text is a checkpoint id and whose target is a checkpoint file must name the
    test function carrying that id ("" when it does), so renumbered checkpoints cannot leave
    pages pointing at the wrong test."""
    if not (CHECKPOINT_ID.match(text) and path.startswith(CHECKPOINTS_DIR)):
        return ""
    if not fragment:
        return f"link [{text}]({url}): name the test function of checkpoint {text} after #"
    found = checkpoint_id(source, fragment)
    if found != text:
        carries = f"carries checkpoint {found}" if found else "is no checkpoint"
        return f"link [{text}]({url}): {fragment} {carries}, not {text}"
    return ""


def plan_candidates(path: str) -> list[str]:
    """The repository paths a path may mean: the plan's `contacts_api/X` is solution/X, or X
    at the top of the repository (docker-compose.yml, .github/)."""
    if path.startswith(PLAN_PREFIX):
        rest = path.removeprefix(PLAN_PREFIX)
        return [f"{SOLUTION}/{rest}", rest]
    return [path]


def resolve_named_path(root: Path, page: str, named: str) -> Path | None:
    """Where a repository path named on `page` is: repo root, solution/, the page's folder."""
    path = named.removeprefix("./")
    bases = (root, root / SOLUTION, root / posixpath.dirname(page))
    for candidate in plan_candidates(path):
        for base in bases:
            if (base / candidate).exists():
                return base / candidate
    return None


def looks_like_path(text: str, top_level: frozenset[str], in_command: bool = False) -> str | None:
    """The path a code span (or a word of a command in one) names, or None when it is code, a
    URL or a route.

    A span is a path when it has no spaces or code punctuation, does not start with `/` (API
    routes), and either ends in a known file suffix with a folder before it, or starts with a
    folder that exists at the top of the repository or of solution/ (`app/`, `tests/unit/`,
    `contacts_api/`), so that `image/jpeg` or `app.main:app` are never taken for paths. A word
    of a command (`uv run python standalone_examples/05_redis_caching.py`) counts only when it
    starts with such a folder (`--workflow path/to/ci.yml` is a placeholder).
    """
    candidate = re.sub(r"(::\w[\w.]*|:\d+(-\d+)?)$", "", text)  # pytest node ids, `file:line`
    if not candidate or NOT_A_PATH.search(candidate) or candidate.startswith(("/", "~", "#")):
        return None
    parts = candidate.removeprefix("./").split("/")
    if len(parts) < 2 or "" in parts[:-1]:
        return None
    name = parts[-1] or parts[-2]
    is_file = Path(name).suffix in FILE_SUFFIXES or name in FILE_NAMES
    if in_command:
        return candidate if parts[0] in top_level else None
    return candidate if is_file or parts[0] in top_level else None


def top_level_folders(root: Path) -> frozenset[str]:
    names = {PLAN_PREFIX.rstrip("/")}
    for base in (root, root / SOLUTION):
        names |= {path.name for path in base.iterdir() if path.is_dir()}
    return frozenset(names)


# ---------------------------------------------------------------------------------------------
# Links


@dataclass(frozen=True)
class LinkContext:
    """What rewriting a page's links needs to know."""

    root: Path
    pages: dict[str, str]  # repository path -> site path, as site_pages()
    repo_url: str

    def github(self, path: str, fragment: str, is_dir: bool) -> str:
        kind = "tree" if is_dir else "blob"
        url = f"{self.repo_url.rstrip('/')}/{kind}/{DEFAULT_BRANCH}/{path}"
        return f"{url}#{fragment}" if fragment else url


def _target(context: LinkContext, page: str, url: str, text: str = "") -> tuple[str | None, str]:
    """A link's new URL (None: leave it) and a problem ("" when none); `text` is the link's
    text, checked against the checkpoint the link points at."""
    if url.startswith(("#", "//")) or SCHEME.match(url):
        return None, ""
    raw_path, _, fragment = url.partition("#")
    raw_path = unquote(raw_path.split("?")[0])
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(page), raw_path))
    candidates = plan_candidates(joined)
    known = [path for path in candidates if path in context.pages or (context.root / path).exists()]
    joined = (known or candidates)[0]
    if joined.startswith("../") or joined == "..":
        return None, f"link {url!r} points outside the repository"
    if joined in context.pages:
        here = posixpath.dirname(context.pages[page]) if page in context.pages else ""
        relative = posixpath.relpath(context.pages[joined], here or ".")
        return relative + (f"#{fragment}" if fragment else ""), ""
    file = context.root / joined
    if not file.exists():
        return None, f"link {url!r}: no file {joined}"
    is_symbol = SYMBOL.match(fragment) and not LINE_FRAGMENT.match(fragment)
    problem = ""
    if file.suffix == ".py" and (is_symbol or not fragment):
        source = file.read_text(encoding="utf-8")
        problem = _checkpoint_problem(url, text, joined, fragment, source)
    if file.suffix == ".py" and is_symbol:
        try:
            start, end = symbol_lines(source, fragment, joined)
        except LookupError as exc:
            return None, f"link {url!r}: {exc}"
        fragment = f"L{start}-L{end}"
    return context.github(joined, fragment, file.is_dir()), problem


def rewrite_links(text: str, page: str, context: LinkContext) -> tuple[str, list[Problem]]:
    """The page with links to pages made site links and links to files made GitHub links."""
    problems: list[Problem] = []
    lines = text.split("\n")

    def replace(url: str, index: int, text: str = "") -> str:
        new, problem = _target(context, page, url, text)
        if problem:
            problems.append(Problem(page, index + 1, problem))
        return url if new is None else new

    for index, line in prose_lines(text):
        spans = code_ranges(line)

        def one(match: re.Match[str], index: int = index, spans: list = spans) -> str:
            if any(start <= match.start() < end for start, end in spans):
                return match.group(0)  # `[a](b)` inside a code span is code
            text = match.group(1).lstrip("!")[1:-2].strip()
            new = replace(match.group(3), index, text)
            return match.group(1) + match.group(2) + new + match.group(4)

        line = INLINE_LINK.sub(one, line)
        reference = REFERENCE_LINK.match(line)
        if reference:
            line = reference.group(1) + replace(reference.group(2), index) + reference.group(3)
        lines[index] = line
    return "\n".join(lines), problems


def check_named_paths(text: str, page: str, root: Path) -> list[Problem]:
    """Every repository path named in backticks on the page must exist."""
    folders = top_level_folders(root)
    problems = []
    where = "the repository root, solution/ or the page's folder"
    for line, span in code_spans(text):
        words = span.split()
        for word in words:
            named = looks_like_path(word, folders, in_command=len(words) > 1)
            if named and resolve_named_path(root, page, named) is None:
                problems.append(Problem(page, line, f"`{word}` names no file in {where}"))
    return problems


def check_page(root: Path, page: str, pages: dict[str, str]) -> list[Problem]:
    """Broken links and missing named paths of one page (a repository path, e.g. docs/X.md)."""
    if page.endswith(".ipynb"):
        return []  # notebooks are run by nbval against the real code
    text = (root / page).read_text(encoding="utf-8")
    context = LinkContext(root=root, pages=pages, repo_url="https://github.com/check/check")
    _, problems = rewrite_links(text, page, context)
    return problems + check_named_paths(text, page, root)
