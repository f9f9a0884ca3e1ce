"""The directives of the course site (see SITE_INTERFACE.md), expanded into Markdown.

A directive is an HTML comment on a line of its own, invisible on GitHub:
`<!-- course:checkpoints NN -->`, `<!-- course:diff NN -->`, `<!-- course:code PATH[::SYMBOL]
-->`, `<!-- course:env -->`, `<!-- course:timetable -->`. Everything it shows is read from the
real files, so a page cannot drift from the code.
"""

from __future__ import annotations

import importlib.util
import json
import os
import posixpath
import re
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from course.diff import file_diffs
from course.grader import PLUGIN_ARGS, PYTEST_INI
from course.manifest import Lesson, Manifest, ManifestError
from course.markers import MarkerError, parse, render
from course.paths import RESULTS_ENV, STUDENT_DIR_ENV
from course.site import SOLUTION, Problem, prose_lines, symbol_lines

DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)<!--\s*course:(?P<name>[\w-]+)(?P<args>.*?)\s*-->\s*$")
LANGUAGES = {
    ".py": "python",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".toml": "toml",
    ".ini": "ini",
    ".cfg": "ini",
    ".md": "markdown",
    ".html": "html",
    ".j2": "jinja",
    ".jinja": "jinja",
    ".sh": "bash",
    ".json": "json",
    ".txt": "text",
    ".mako": "mako",
}
FILE_LANGUAGES = {"Dockerfile": "dockerfile", ".env.example": "bash", ".dockerignore": "text"}
COLLECT_LIMIT = 120.0  # seconds for pytest to collect every checkpoint

# What each setting of solution/app/core/config.py is, for the environment table. A setting
# missing here fails the strict build, so a new one cannot go undocumented.
SETTING_DESCRIPTIONS = {
    "APP_NAME": "Назва застосунку (заголовок Swagger, ім'я відправника за замовчуванням)",
    "ENVIRONMENT": "`development`, `test` або `production`; у production слабкі секрети "
    "зупиняють старт",
    "DEBUG": "Режим налагодження (детальні помилки); у production — `false`",
    "DOCS_ENABLED": "Swagger (`/docs`), ReDoc і `/openapi.json`; `false` — там, де API ніхто "
    "не має переглядати",
    "DATABASE_URL": "Адреса бази даних; `postgres://…` від Render перетворюється на "
    "`postgresql+asyncpg://…`",
    "REDIS_URL": "Redis для лімітів, кешу й чорного списку токенів; `memory://` — Redis у процесі",
    "JWT_SECRET_KEY": "Секрет підпису access-токенів",
    "JWT_REFRESH_SECRET": "Окремий секрет refresh-токенів",
    "EMAIL_TOKEN_SECRET": "Окремий секрет токенів підтвердження email",
    "JWT_ALGORITHM": "Алгоритм підпису JWT",
    "JWT_ACCESS_TOKEN_EXPIRE_MINUTES": "Скільки хвилин живе access-токен",
    "JWT_REFRESH_TOKEN_EXPIRE_DAYS": "Скільки днів живе refresh-токен",
    "EMAIL_TOKEN_EXPIRE_HOURS": "Скільки годин дійсне посилання підтвердження email",
    "BCRYPT_ROUNDS": "Вартість bcrypt (12 у production, 4 у тестах)",
    "PUBLIC_BASE_URL": "Публічна адреса API: з неї листи будують посилання підтвердження",
    "MAIL_USERNAME": "Логін SMTP (Gmail); порожній — локальний SMTP без TLS і логіна (MailHog)",
    "MAIL_PASSWORD": "Пароль SMTP (для Gmail — пароль застосунку)",
    "MAIL_FROM": "Адреса відправника листів",
    "MAIL_FROM_NAME": "Ім'я відправника листів",
    "MAIL_SERVER": "SMTP-сервер (`smtp.gmail.com`, MailHog — `localhost`)",
    "MAIL_PORT": "Порт SMTP (587 — Gmail зі STARTTLS, 1025 — MailHog)",
    "MAIL_SSL_TLS": "SMTP одразу через TLS (порт 465)",
    "MAIL_STARTTLS": "STARTTLS; не задано — вмикається разом із логіном",
    "CLOUDINARY_CLOUD_NAME": "Cloudinary: назва хмари; без трьох ключів аватари зберігаються "
    "локально",
    "CLOUDINARY_API_KEY": "Cloudinary: API key",
    "CLOUDINARY_API_SECRET": "Cloudinary: API secret",
    "MEDIA_DIR": "Тека локальних аватарів (коли Cloudinary не налаштовано)",
    "MAX_AVATAR_BYTES": "Найбільший розмір аватара в байтах (більше — 413)",
    "ALLOWED_ORIGINS": "Дозволені CORS-джерела, через кому",
    "RATE_LIMIT_ENABLED": "Чи діє rate limiting (тести його вимикають)",
    "REGISTER_RATE_LIMIT": "Ліміт реєстрацій з однієї IP-адреси",
    "LOGIN_RATE_LIMIT": "Ліміт спроб входу з однієї IP-адреси",
    "RESEND_RATE_LIMIT": "Ліміт повторних листів підтвердження",
    "BIRTHDAYS_CACHE_TTL_SECONDS": "Скільки секунд живе кеш днів народження",
}


class DirectiveError(ValueError):
    """A directive that cannot be expanded (unknown lesson, file or symbol)."""


@dataclass
class SiteSources:
    """The repository the directives read from."""

    root: Path
    manifest: Manifest
    repo_url: str

    def lesson(self, key: str) -> Lesson:
        try:
            return self.manifest.get(key)
        except ManifestError as exc:
            raise DirectiveError(str(exc)) from exc

    def file(self, path: str) -> Path:
        file = self.root / path
        if not file.is_file():
            raise DirectiveError(f"no file {path} in the repository")
        return file

    def shown_text(self, path: str) -> str:
        """A file as the reader should see it: solution/ files without their marker lines."""
        text = self.file(path).read_text(encoding="utf-8")
        if not path.startswith(SOLUTION + "/"):
            return text
        try:
            shown = render(parse(text, path, self.manifest.order), self.manifest.source_stage)
        except MarkerError as exc:
            raise DirectiveError(str(exc)) from exc
        return text if shown is None else shown

    def checkpoints(self, folder: str) -> list[dict[str, Any]]:
        return collected_checkpoints(self.root).get(folder, [])


# `mkdocs serve` rebuilds on every save: collect again only when a checkpoint file changed.
_collected: dict[tuple[object, ...], dict[str, list[dict[str, Any]]]] = {}


def collected_checkpoints(root: Path) -> dict[str, list[dict[str, Any]]]:
    files = sorted((root / "checkpoints").rglob("*.py"))
    key = (root, *((path, path.stat().st_mtime_ns) for path in files))
    if key not in _collected:
        _collected.clear()
        _collected[key] = collect_checkpoints(root)
    return _collected[key]


def collect_checkpoints(root: Path) -> dict[str, list[dict[str, Any]]]:
    """Checkpoint folder -> its checkpoints (id, title, points, hint, path, line), collected by
    pytest with the grader's own plugin: the same data `course check` reports."""
    with tempfile.TemporaryDirectory(prefix="course-site-") as work:
        ini, results, student = Path(work, "pytest.ini"), Path(work, "results.jsonl"), Path(work)
        ini.write_text(PYTEST_INI, encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "pytest",
            str(root / "checkpoints"),
            "--collect-only",
            "-q",
            "-c",
            str(ini),
            f"--rootdir={root}",
            f"--confcutdir={root}",
            "--import-mode=importlib",
            *PLUGIN_ARGS,
        ]
        # An empty student folder: collection imports no student code and migrates nothing.
        env = {**os.environ, RESULTS_ENV: str(results), STUDENT_DIR_ENV: str(student)}
        done = subprocess.run(
            command,
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=COLLECT_LIMIT,
            check=False,
        )
        lines = results.read_text("utf-8").splitlines() if results.exists() else []
        events = [json.loads(line) for line in lines if line]
    collected = [event for event in events if event["event"] == "collected"]
    errors = [event["message"] for event in events if event["event"] == "collect_error"]
    if done.returncode != 0 or errors or not collected:
        output = "\n".join(errors) or (done.stdout + done.stderr)[-3000:]
        raise DirectiveError(f"collecting checkpoints failed:\n{output}")
    by_folder: dict[str, list[dict[str, Any]]] = {}
    for item in collected[0]["items"]:
        folder = Path(item["path"]).relative_to(root / "checkpoints").parts[0]
        known = by_folder.setdefault(folder, [])
        if all(other["id"] != item["id"] for other in known):  # parametrized: one checkpoint
            known.append(item)
    return by_folder


# ---------------------------------------------------------------------------------------------
# Markdown helpers


def cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]


def fenced(code: str, language: str) -> list[str]:
    """A fenced block that survives backticks inside the code."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", *code.rstrip("\n").split("\n"), fence]


def language_of(path: str) -> str:
    name = posixpath.basename(path)
    return FILE_LANGUAGES.get(name) or LANGUAGES.get(posixpath.splitext(name)[1], "text")


# ---------------------------------------------------------------------------------------------
# The directives


def checkpoints_table(sources: SiteSources, page: str, args: str) -> list[str]:
    lesson = sources.lesson(args)
    items = sources.checkpoints(lesson.name)
    if not items:
        raise DirectiveError(f"no checkpoints in checkpoints/{lesson.name}/")
    rows = []
    for item in items:
        path = Path(item["path"]).relative_to(sources.root).as_posix()
        source = f"{sources.repo_url.rstrip('/')}/blob/main/{path}#L{item['line']}"
        rows.append((f"[{item['id']}]({source})", item["title"], str(item["points"]), item["hint"]))
    total = sum(int(item["points"]) for item in items)
    header = ("Checkpoint", "Що перевіряє", "Бали", "Підказка")
    note = f"Разом: **{total}** балів. Перевірка: `uv run course check {lesson.id}`."
    return [*table(header, rows), "", note]


def diff_blocks(sources: SiteSources, page: str, args: str) -> list[str]:
    lesson = sources.lesson(args)
    if lesson.is_homework:
        raise DirectiveError("the homework has no snapshots to diff")
    folder = sources.root / "lessons" / lesson.name
    if not (folder / "starter").is_dir():
        raise DirectiveError(f"no snapshots in lessons/{lesson.name}: run `course build`")
    lines = []
    for path, text in file_diffs(folder / "starter", folder / "solved").items():
        added = sum(1 for line in text.splitlines() if line[:1] == "+" and line[:3] != "+++")
        removed = sum(1 for line in text.splitlines() if line[:1] == "-" and line[:3] != "---")
        lines.append(f'??? example "{path} (+{added} −{removed})"')
        lines += ["    " + line if line else "" for line in fenced(text, "diff")]
        lines.append("")
    if not lines:
        raise DirectiveError(f"starter and solved of lesson {lesson.id} do not differ")
    return lines


def yaml_block(text: str, key_path: str, path: str) -> str:
    """The lines of a YAML file under a dotted key path (`jobs.integration-tests`), comments
    and all, dedented."""
    node: yaml.Node = yaml.compose(text, Loader=yaml.SafeLoader)
    key_node: yaml.Node | None = None
    for key in key_path.split("."):
        if not isinstance(node, yaml.MappingNode):
            raise DirectiveError(f"{path}: {key_path!r}: {key!r} is not under a mapping")
        pairs = {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        if key not in pairs:
            known = ", ".join(pairs) or "nothing"
            raise DirectiveError(f"{path} has no key {key_path!r} ({key!r}; there: {known})")
        key_node, node = pairs[key]
    assert key_node is not None
    lines = text.split("\n")
    column = key_node.start_mark.column
    block = lines[key_node.start_mark.line : node.end_mark.line + 1]
    while len(block) > 1:  # what follows the value belongs to the next key
        last = block[-1]
        belongs = last.strip() and len(last) - len(last.lstrip()) > column
        if belongs and not last.lstrip().startswith("#"):
            break
        block.pop()
    return textwrap.dedent("\n".join(block))


def code_block(sources: SiteSources, page: str, args: str) -> list[str]:
    path, _, symbol = args.partition("::")
    if not path:
        raise DirectiveError("course:code needs a path: <!-- course:code solution/Dockerfile -->")
    text = sources.shown_text(path)
    if symbol and path.endswith(".py"):
        try:
            start, end = symbol_lines(text, symbol, path)
        except LookupError as exc:
            raise DirectiveError(str(exc)) from exc
        text = "\n".join(text.split("\n")[start - 1 : end])
    elif symbol and path.endswith((".yml", ".yaml")):
        text = yaml_block(text, symbol, path)
    elif symbol:
        raise DirectiveError(f"{path}: symbols work for .py and .yml files only")
    return fenced(text, language_of(path))


def _default(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list | tuple):
        return "`" + ",".join(map(str, value)) + "`"
    return f'`"{value}"`' if value == "" else f"`{value}`"


def settings_class(root: Path) -> Any:
    """The app's real Settings class, imported from solution/app/core/config.py."""
    path = root / SOLUTION / "app" / "core" / "config.py"
    spec = importlib.util.spec_from_file_location("_course_site_app_config", path)
    if spec is None or spec.loader is None:
        raise DirectiveError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the app's own validation: say which setting is wrong
        raise DirectiveError(f"importing {path} failed: {exc}") from exc
    return module.Settings


def env_table(sources: SiteSources, page: str, args: str) -> list[str]:
    fields = settings_class(sources.root).model_fields
    missing = [name for name in fields if name not in SETTING_DESCRIPTIONS]
    if missing:
        where = "SETTING_DESCRIPTIONS in course/site_directives.py"
        raise DirectiveError(f"settings without a description (add them to {where}): {missing}")
    rows = [
        (f"`{name}`", _default(info.default), SETTING_DESCRIPTIONS[name])
        for name, info in fields.items()
    ]
    return table(("Змінна", "За замовчуванням", "Що це"), rows)


def timetable(sources: SiteSources, page: str, args: str) -> list[str]:
    here = posixpath.dirname(page)
    rows, last_end = [], ""
    for lesson in sources.manifest.lessons:
        start, _, end = lesson.time.partition("–")
        if last_end and start != last_end:
            rows.append((f"{last_end}–{start}", "Перерва", ""))
        readme = f"lessons/{lesson.name}/README.md"
        title = f"{lesson.id} · {lesson.title}"
        if (sources.root / readme).is_file():
            title = f"[{title}]({posixpath.relpath(readme, here or '.')})"
        blocks = ", ".join(str(block) for block in lesson.blocks)
        rows.append((lesson.time, title, blocks))
        last_end = end
    return table(("Час", "Урок", "Блок плану"), rows)


DIRECTIVES: dict[str, Callable[[SiteSources, str, str], list[str]]] = {
    "checkpoints": checkpoints_table,
    "diff": diff_blocks,
    "code": code_block,
    "env": env_table,
    "timetable": timetable,
}


def expand(text: str, page: str, sources: SiteSources) -> tuple[str, list[Problem]]:
    """The page with every directive outside code blocks replaced by what it stands for; a
    directive that fails becomes a visible error box and a Problem (a warning of the build)."""
    lines = text.split("\n")
    problems: list[Problem] = []
    for index, line in reversed(list(prose_lines(text))):
        match = DIRECTIVE.match(line)
        if not match:
            continue
        indent, name, args = match["indent"], match["name"], match["args"].strip()
        try:
            if name not in DIRECTIVES:
                raise DirectiveError(f"unknown directive course:{name} (known: {list(DIRECTIVES)})")
            expansion = DIRECTIVES[name](sources, page, args)
        except DirectiveError as exc:
            problems.append(Problem(page, index + 1, str(exc)))
            expansion = ['!!! failure "Помилка директиви"', "", f"    {cell(exc)}"]
        lines[index : index + 1] = [indent + part if part else "" for part in expansion]
    return "\n".join(lines), sorted(problems, key=lambda problem: problem.line)
