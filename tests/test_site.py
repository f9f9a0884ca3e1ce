"""The course site: the strict build, links and named paths, directives, a real browser.

The browser tests drive Debian's Chromium (`/usr/bin/chromium`, or $COURSE_CHROMIUM) with
Playwright over the built site served on 127.0.0.1; every request elsewhere is recorded and
refused (the site must work offline), except GitHub's API, which Material's repository widget
asks for stars and the latest release: it gets a canned answer.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import check_schema, service_missing

from course.docs import mkdocs_command
from course.manifest import load_manifest
from course.site import (
    LinkContext,
    check_page,
    looks_like_path,
    rewrite_links,
    site_pages,
    symbol_lines,
    top_level_folders,
)
from course.site_directives import SiteSources, expand

ROOT = Path(__file__).resolve().parent.parent
REPO_URL = "https://github.com/goit-python/module14-testing-deployment"
SCREENSHOTS = ROOT / "screenshots"
PAGES_WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
MANIFEST = load_manifest()


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`course docs --build DIR`: the strict build, as CI and the Pages workflow run it."""
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "course", "docs", "--build", str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    return target


# ---------------------------------------------------------------------------------------------
# (a) the strict build


def test_strict_build_writes_every_page(built_site: Path) -> None:
    assert (built_site / "index.html").is_file()
    for lesson in MANIFEST.lessons:
        readme = f"lessons/{lesson.name}/README.md"
        if (ROOT / readme).is_file():
            html = (built_site / "lessons" / lesson.name / "index.html").read_text("utf-8")
            assert f'href="{REPO_URL}/edit/main/{readme}"' in html  # edits the real file
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        html = (built_site / "notebooks" / notebook.stem / "index.html").read_text("utf-8")
        assert f'href="{REPO_URL}/edit/main/notebooks/{notebook.name}"' in html
    home = (built_site / "index.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", home)  # highlighted code is split into spans
    assert "uv run course demo" in text and "uv run pytest" in text  # the README's, included
    assert "0:00–0:20" in text  # the timetable, generated
    assert "<!-- course:" not in home and "--8<--" not in text


def test_built_site_loads_nothing_from_a_cdn(built_site: Path) -> None:
    home = (built_site / "index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis.com" not in home
    assert 'src="assets/javascripts/mermaid.min.js"' in home
    for notebook in built_site.glob("notebooks/*/index.html"):
        assert "cdnjs.cloudflare.com/ajax/libs/mathjax" not in notebook.read_text("utf-8")


def test_course_docs_serves_or_builds_with_mkdocs(tmp_path: Path) -> None:
    serve = mkdocs_command(ROOT, None, "127.0.0.1:9000")
    assert serve[1:4] == ["-m", "mkdocs", "serve"] and serve[-2:] == ["-a", "127.0.0.1:9000"]
    build = mkdocs_command(ROOT, tmp_path, "unused")
    assert "--strict" in build and build[-2:] == ["-d", str(tmp_path)]


def test_strict_build_fails_on_an_unknown_symbol_with_a_clear_message(tmp_path: Path) -> None:
    """The hook's problems are build warnings: --strict stops on them and names the page."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "solution" / "app").mkdir(parents=True)
    (tmp_path / "solution" / "app" / "cache.py").write_text("def real():\n    pass\n", "utf-8")
    (tmp_path / "docs" / "index.md").write_text(
        "# Сторінка\n\n<!-- course:code solution/app/cache.py::imagined -->\n", "utf-8"
    )
    config = {
        "site_name": "fixture",
        "repo_url": REPO_URL,
        "hooks": [str(ROOT / "course" / "mkdocs_hooks.py")],
        "theme": {"name": "material", "language": "uk", "font": False},
    }
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    done = subprocess.run(
        mkdocs_command(tmp_path, tmp_path / "site", "unused"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "docs/index.md:3: solution/app/cache.py has no 'imagined' (it defines: real)" in output
    assert "Aborted with 1 warnings in strict mode!" in output


# ---------------------------------------------------------------------------------------------
# (b) links and named paths


def test_every_page_links_and_named_paths_resolve() -> None:
    pages = site_pages(ROOT, MANIFEST)
    assert "docs/index.md" in pages and "lessons/04_redis_caching/README.md" in pages
    problems = [str(item) for page in pages for item in check_page(ROOT, page, pages)]
    assert not problems, "\n".join(problems)


@pytest.fixture
def fixture_repo(tmp_path: Path) -> Path:
    """A small repository: a guide, a lesson page, a solution with one module."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "lessons" / "04_redis_caching").mkdir(parents=True)
    (tmp_path / "solution" / "app" / "core").mkdir(parents=True)
    (tmp_path / "solution" / "app" / "core" / "cache.py").write_text(
        "import functools\n\n\n@functools.cache\ndef cached():\n    return 1\n\n\n"
        "class Store:\n    def get(self):\n        return 2\n",
        encoding="utf-8",
    )
    (tmp_path / "docs" / "ARCHITECTURE.md").write_text("# A\n", encoding="utf-8")
    (tmp_path / "docker-compose.yml").write_text("services: {}\n", encoding="utf-8")
    return tmp_path


def lesson_page(repo: Path, text: str) -> list[str]:
    page = "lessons/04_redis_caching/README.md"
    (repo / page).write_text(text, encoding="utf-8")
    pages = {"docs/ARCHITECTURE.md": "ARCHITECTURE.md", page: page}
    return [item.message for item in check_page(repo, page, pages)]


def test_checker_passes_real_paths_and_code_that_is_not_a_path(fixture_repo: Path) -> None:
    text = """# Урок 04
Файли: `solution/app/core/cache.py`, `app/core/cache.py`, `contacts_api/app/core/`,
`./app/core/cache.py:12`, `docs/ARCHITECTURE.md`, `contacts_api/docker-compose.yml`, [гайд](../../docs/ARCHITECTURE.md),
[кеш](../../solution/app/core/cache.py#cached), [метод](../../solution/app/core/cache.py#Store.get),
[рядок](../../solution/app/core/cache.py#L3), [тека](../../solution/), <https://example.com>.
Код, а не шляхи: `app.main:app`, `image/jpeg`, `/api/v1/contacts`, `POST /auth/login`,
`redis://localhost:6379/0`, `lessons/NN_name/README.md`, `conftest.py`, `tests/*.py`,
`text/html`, `[x](missing.md)`, `actions/checkout@v4`, `{user_id}/{date}`, `birthdays:1:2026`,
`uv run python app/core/cache.py`, `act --workflow path/to/ci.yml`, `cd ../.. && ls`.

```bash
cat app/missing.py   # code blocks are code
```
"""
    assert lesson_page(fixture_repo, text) == []


def test_checker_fails_on_a_planted_broken_path(fixture_repo: Path) -> None:
    text = "Дивіться `app/core/cahce.py`, `solution/app/gone/`, `uv run python app/x.py -v`.\n"
    problems = lesson_page(fixture_repo, text)
    assert len(problems) == 3
    assert "`app/core/cahce.py` names no file" in problems[0]
    assert "`solution/app/gone/` names no file" in problems[1]
    assert "`app/x.py` names no file" in problems[2]  # a path inside a command


def test_checker_fails_on_broken_links_and_unknown_symbols(fixture_repo: Path) -> None:
    text = (
        "[a](../../docs/MISSING.md) [b](../../solution/app/core/cache.py#uncached)\n"
        "[c](../../../outside.md) [d](../05_unit_testing/README.md)\n"
    )
    problems = lesson_page(fixture_repo, text)
    assert len(problems) == 4, problems
    assert "no file docs/MISSING.md" in problems[0]
    assert "has no 'uncached' (it defines: Store, cached)" in problems[1]
    assert "outside the repository" in problems[2]
    assert "no file lessons/05_unit_testing/README.md" in problems[3]


def test_a_checkpoint_id_link_must_reach_the_test_with_that_id(fixture_repo: Path) -> None:
    folder = fixture_repo / "checkpoints" / "05_unit_testing"
    folder.mkdir(parents=True)
    (folder / "test_unit_testing.py").write_text(
        "from course.checkpoint import checkpoint\n\n\n"
        '@checkpoint(id="05.2", title="t", points=2)\ndef test_catches_cache_helper_bugs():\n'
        "    pass\n\n\ndef test_plain():\n    pass\n",
        encoding="utf-8",
    )
    test_file = "../../checkpoints/05_unit_testing/test_unit_testing.py"
    right = f"[05.2]({test_file}#test_catches_cache_helper_bugs), [файл]({test_file}#test_plain)\n"
    assert lesson_page(fixture_repo, right) == []
    wrong = (
        f"Текст.\n[05.3]({test_file}#test_catches_cache_helper_bugs)\n"
        f"[05.2]({test_file}#test_plain) [HW.1]({test_file})\n"
    )
    problems = lesson_page(fixture_repo, wrong)
    assert problems == [
        (
            f"link [05.3]({test_file}#test_catches_cache_helper_bugs): "
            "test_catches_cache_helper_bugs carries checkpoint 05.2, not 05.3"
        ),
        f"link [05.2]({test_file}#test_plain): test_plain is no checkpoint, not 05.2",
        f"link [HW.1]({test_file}): name the test function of checkpoint HW.1 after #",
    ]
    page = "lessons/04_redis_caching/README.md"
    lines = [item.line for item in check_page(fixture_repo, page, {page: page})]
    assert lines == [2, 3, 3]  # the page's line, for the build's warning


def test_links_to_pages_stay_on_the_site_and_files_go_to_github(fixture_repo: Path) -> None:
    page = "lessons/04_redis_caching/README.md"
    pages = {"docs/ARCHITECTURE.md": "ARCHITECTURE.md", page: page}
    context = LinkContext(root=fixture_repo, pages=pages, repo_url=REPO_URL)
    text = (
        "[гайд](../../docs/ARCHITECTURE.md#шари) [`cache.py`](../../solution/app/core/cache.py)\n"
        "[f](../../solution/app/core/cache.py#cached) [m](../../contacts_api/app/core/cache.py#Store.get)\n"
        "[тека](../../solution/app/) `[не посилання](../../x.md)`\n"
        "[compose](../../contacts_api/docker-compose.yml)\n"
    )
    rewritten, problems = rewrite_links(text, page, context)
    blob = f"{REPO_URL}/blob/main/solution/app/core/cache.py"
    assert problems == []
    assert rewritten.split("\n") == [
        f"[гайд](../../ARCHITECTURE.md#шари) [`cache.py`]({blob})",
        f"[f]({blob}#L4-L6) [m]({blob}#L10-L11)",
        f"[тека]({REPO_URL}/tree/main/solution/app) `[не посилання](../../x.md)`",
        f"[compose]({REPO_URL}/blob/main/docker-compose.yml)",  # the plan's contacts_api/ = root
        "",
    ]


def test_path_heuristic_takes_folders_of_the_repository(fixture_repo: Path) -> None:
    folders = top_level_folders(fixture_repo)
    assert looks_like_path("app/core", folders) == "app/core"  # solution/app
    assert looks_like_path("contacts_api/app", folders) == "contacts_api/app"
    assert looks_like_path("tests/unit/test_x.py::test_y", folders) == "tests/unit/test_x.py"
    assert looks_like_path("multipart/form-data", folders) is None
    assert looks_like_path("Dockerfile", folders) is None  # a bare name: no place to look


# ---------------------------------------------------------------------------------------------
# (c) directives


@pytest.fixture(scope="module")
def sources() -> SiteSources:
    return SiteSources(root=ROOT, manifest=MANIFEST, repo_url=REPO_URL)


def test_symbol_lines_include_decorators_and_methods() -> None:
    source = "import x\n\n@x.a\n@x.b(\n    1)\nasync def f():\n    pass\n\nclass C:\n    def m(self):\n        return 1\n"
    assert symbol_lines(source, "f") == (3, 7)
    assert symbol_lines(source, "C") == (9, 11)
    assert symbol_lines(source, "C.m") == (10, 11)
    with pytest.raises(LookupError, match="has no 'C.n'"):
        symbol_lines(source, "C.n")


def test_code_directive_shows_the_real_symbol_without_markers(sources: SiteSources) -> None:
    text = "!!! note\n    <!-- course:code solution/app/core/cache.py::get_or_set_cache -->\n"
    page, problems = expand(text, "docs/X.md", sources)
    assert problems == []
    lines = page.split("\n")
    assert lines[1] == "    ```python"
    assert lines[2].startswith("    async def get_or_set_cache(")
    assert all(line.startswith("    ") or not line for line in lines[1:-1])
    assert ">>> lesson" not in page and "<<< lesson" not in page
    shown = "\n".join(line.removeprefix("    ") for line in lines[2:-2])
    real = (ROOT / "solution/app/core/cache.py").read_text(encoding="utf-8")
    start, end = symbol_lines(real, "get_or_set_cache")
    assert "\n".join(real.split("\n")[start - 1 : end]) == shown


def test_a_link_to_a_symbol_points_at_its_lines() -> None:
    pages = site_pages(ROOT, MANIFEST)
    context = LinkContext(root=ROOT, pages=pages, repo_url=REPO_URL)
    text = "[кеш](../../solution/app/core/cache.py#get_or_set_cache)"
    rewritten, problems = rewrite_links(text, "lessons/04_redis_caching/README.md", context)
    assert problems == []
    start, end = map(int, re.findall(r"#L(\d+)-L(\d+)\)$", rewritten)[0])
    lines = (ROOT / "solution/app/core/cache.py").read_text(encoding="utf-8").split("\n")
    assert lines[start - 1].startswith("async def get_or_set_cache(")
    assert lines[end - 1].strip() and not lines[end].strip()  # the last line of the function


def test_unknown_symbol_file_lesson_or_directive_fail_with_a_clear_message(
    sources: SiteSources,
) -> None:
    text = (
        "<!-- course:code solution/app/core/cache.py::no_such_function -->\n"
        "<!-- course:code solution/app/missing.py -->\n"
        "<!-- course:diff 42 -->\n"
        "<!-- course:code solution/.github/workflows/ci.yml::jobs.nope -->\n"
        "<!-- course:unknown -->\n"
    )
    page, problems = expand(text, "docs/X.md", sources)
    messages = [f"{item.line}: {item.message}" for item in problems]
    assert messages[0].startswith("1: solution/app/core/cache.py has no 'no_such_function'")
    assert messages[1] == "2: no file solution/app/missing.py in the repository"
    assert messages[2].startswith("3: unknown lesson '42'")
    assert messages[3].startswith("4: solution/.github/workflows/ci.yml has no key 'jobs.nope'")
    assert messages[4].startswith("5: unknown directive course:unknown")
    assert page.count('!!! failure "Помилка директиви"') == 5


def test_directives_inside_code_blocks_are_left_alone(sources: SiteSources) -> None:
    text = "```markdown\n<!-- course:env -->\n```\n"
    assert expand(text, "docs/X.md", sources) == (text, [])


def test_yaml_directive_shows_one_job_with_its_comments(sources: SiteSources) -> None:
    text = "<!-- course:code solution/.github/workflows/ci.yml::jobs.integration-tests -->"
    page, problems = expand(text, "docs/X.md", sources)
    assert problems == []
    block = page.split("\n")[1:-1]
    assert block[0] == "integration-tests:"
    assert any(line.startswith("  services:") for line in block)
    assert not any(line.startswith(("deploy:", "unit-tests:")) for line in block)
    assert yaml.safe_load("\n".join(block))["integration-tests"]["needs"] == ["unit-tests"]


def test_env_table_lists_the_real_settings(sources: SiteSources) -> None:
    page, problems = expand("<!-- course:env -->", "docs/DEPLOYMENT_GUIDE.md", sources)
    assert problems == []
    assert "| `DATABASE_URL` | `sqlite+aiosqlite:///./contacts.db` |" in page
    assert "| `REDIS_URL` | `memory://` |" in page
    assert "| `ALLOWED_ORIGINS` | `http://localhost:3000` |" in page
    source = (ROOT / "solution/app/core/config.py").read_text(encoding="utf-8")
    declared = set(re.findall(r"^    ([A-Z][A-Z0-9_]+): ", source, re.MULTILINE))
    assert declared and {name for name in declared if f"| `{name}` |" not in page} == set()


def test_checkpoints_table_has_the_real_ids_titles_and_points(sources: SiteSources) -> None:
    page, problems = expand("<!-- course:checkpoints 04 -->", "docs/X.md", sources)
    assert problems == []
    source = (ROOT / "checkpoints/04_redis_caching/test_redis_caching.py").read_text("utf-8")
    declared = re.findall(r'id="(04\.\d+)",\s*title="([^"]+)",\s*points=(\d+)', source)
    assert declared
    rows = [line for line in page.split("\n") if line.startswith("| [04.")]
    assert len(rows) == len(declared)
    for (checkpoint_id, title, points), row in zip(declared, rows, strict=True):
        assert row.startswith(f"| [{checkpoint_id}]({REPO_URL}/blob/main/checkpoints/04_redis")
        assert f"| {title} | {points} |" in row
    total = sum(int(points) for _, _, points in declared)
    assert f"Разом: **{total}** балів" in page
    homework, problems = expand("<!-- course:checkpoints homework -->", "docs/X.md", sources)
    assert problems == [] and "| [HW.1](" in homework


def test_diff_directive_folds_each_changed_file(sources: SiteSources) -> None:
    page, problems = expand("<!-- course:diff 04 -->", "docs/X.md", sources)
    assert problems == []
    assert re.search(r'^\?\?\? example "app/core/cache\.py \(\+\d+ −\d+\)"$', page, re.MULTILINE)
    assert "    +async def get_or_set_cache(" in page


def test_timetable_links_lessons_and_shows_the_break(sources: SiteSources) -> None:
    page, problems = expand("<!-- course:timetable -->", "docs/index.md", sources)
    assert problems == []
    assert "| 0:00–0:20 | [00 · Огляд і запуск](../lessons/00_overview/README.md) | 0 |" in page
    assert "| 2:00–2:10 | Перерва |  |" in page


# ---------------------------------------------------------------------------------------------
# The Pages workflow


def test_pages_workflow_builds_strictly_and_deploys_from_main() -> None:
    code, output = check_schema("vendor.github-workflows", PAGES_WORKFLOW)
    assert code == 0, output
    workflow = yaml.safe_load(PAGES_WORKFLOW.read_text(encoding="utf-8"))
    on = workflow.get("on", workflow.get(True))
    assert on["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    runs = "\n".join(step.get("run", "") for step in build["steps"])
    assert "uv run course docs --build site" in runs
    uses = [step.get("uses", "") for step in (*build["steps"], *deploy["steps"])]
    assert any(action.startswith("actions/upload-pages-artifact@") for action in uses)
    assert any(action.startswith("actions/deploy-pages@") for action in uses)
    assert deploy["needs"] == "build"


# ---------------------------------------------------------------------------------------------
# (d) a real browser


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(built_site: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        service_missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        browser.close()


GITHUB_API = {
    "releases/latest": '{"tag_name": "v1.0.0"}',
    "": '{"stargazers_count": 1, "forks_count": 1}',
}


class Visit:
    """A browser page that records console errors and any request leaving the site."""

    def __init__(self, browser: Any, base: str) -> None:
        self.base = base
        self.errors: list[str] = []
        self.external: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        self.page.route("**/*", self._route)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url')})")

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(self.base):
            route.continue_()
        elif url.startswith("https://api.github.com/repos/"):
            body = next(body for end, body in GITHUB_API.items() if url.endswith(end))
            route.fulfill(status=200, content_type="application/json", body=body)
        else:
            self.external.append(url)
            route.abort()

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")

    def diagrams_rendered(self) -> int:
        """How many Mermaid diagrams are drawn (outside folded details); fails when one stays
        code or there is none.

        Material draws each diagram in a closed shadow root inside `div.mermaid`: the diagram is
        there when that element has a size (unrendered, it is a `pre.mermaid` with the code).
        """
        script = """() => {
            const shown = [...document.querySelectorAll('.mermaid')]
                .filter(element => !element.closest('details:not([open])'));
            return shown.every(element => {
                const box = element.getBoundingClientRect();
                return element.tagName === 'DIV' && box.width > 100 && box.height > 40;
            }) && shown.length;
        }"""
        return int(self.page.wait_for_function(script, timeout=20000).json_value())

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.external == [], f"requests leaving the site: {self.external}"

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / name), full_page=False)


def content_missing(reason: str) -> None:
    """The page this step needs is written in parallel; in CI (merged) it must be there."""
    service_missing(reason)


def test_home_to_lesson_04_shows_rendered_diagrams(browser: Any, site_url: str) -> None:
    visit = Visit(browser, site_url)
    visit.goto("")
    assert visit.diagrams_rendered() >= 1  # the home page's own flowchart
    visit.page.locator(".md-nav--primary a", has_text="04 · Кешування в Redis").first.click()
    visit.page.wait_for_load_state("networkidle")
    assert visit.page.url == site_url + "lessons/04_redis_caching/"
    readme = (ROOT / "lessons/04_redis_caching/README.md").read_text(encoding="utf-8")
    if "```mermaid" not in readme:
        visit.assert_clean()
        content_missing("lessons/04_redis_caching/README.md has no cache-aside diagram yet")
    assert visit.diagrams_rendered() >= 1
    visit.page.locator(".mermaid").first.scroll_into_view_if_needed()
    visit.screenshot("lesson-04.png")
    visit.assert_clean()


def test_search_finds_a_ukrainian_word_and_opens_the_result(browser: Any, site_url: str) -> None:
    visit = Visit(browser, site_url)
    visit.goto("")
    visit.page.locator("input[data-md-component=search-query]").click()
    # Cyrillic arrives as inserted text with no key events: a key press makes Material search.
    visit.page.keyboard.type("кешування")
    for key in ("End", "Space", "Backspace"):
        visit.page.keyboard.press(key)
    results = visit.page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=10000)
    assert results.count() >= 1
    results.first.click()
    visit.page.wait_for_load_state("networkidle")
    assert visit.page.url.startswith(site_url) and visit.page.url != site_url
    assert "кешуванн" in visit.page.locator("article").inner_text().lower()
    visit.screenshot("search-result.png")
    visit.assert_clean()


def test_a_notebook_page_renders(browser: Any, site_url: str) -> None:
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        content_missing("no notebooks/NN_name.ipynb yet")
    preferred = ROOT / "notebooks" / "04_redis_caching.ipynb"
    notebook = preferred if preferred in notebooks else notebooks[0]
    visit = Visit(browser, site_url)
    visit.goto(f"notebooks/{notebook.stem}/")
    assert visit.page.locator(".jp-Notebook .jp-Cell").count() >= 2
    assert visit.page.locator(".jp-CodeCell").count() >= 1
    visit.screenshot("notebook.png")
    visit.assert_clean()
