"""mkdocs hooks of the course site (`hooks:` in mkdocs.yml).

- the navigation: home, lessons 00 -> 08 with their notebooks, the guides — whatever exists;
- the lesson READMEs and notebooks, which live outside docs/, added as pages (not copied);
- every page: directives expanded, links to repository files turned into GitHub links, broken
  links and missing named paths reported as warnings (so `mkdocs build --strict` fails).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from course.manifest import load_manifest
from course.site import (
    DEFAULT_BRANCH,
    DOCS_DIR,
    LinkContext,
    Problem,
    check_named_paths,
    navigation,
    rewrite_links,
    site_pages,
)
from course.site_directives import SiteSources, expand

log = logging.getLogger("mkdocs.plugins.course")
# nbconvert's template loads MathJax from a CDN on every notebook page; the notebooks have no
# formulas and the site works offline.
MATHJAX_SCRIPT = re.compile(
    r'<script src="https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/[^"]*">\s*</script>'
)

_state: dict[str, object] = {}


def _root(config: MkDocsConfig) -> Path:
    return Path(config.config_file_path).resolve().parent


def _sources() -> SiteSources:
    sources = _state["sources"]
    assert isinstance(sources, SiteSources)
    return sources


def _pages() -> dict[str, str]:
    pages = _state["pages"]
    assert isinstance(pages, dict)
    return pages


def _report(problems: list[Problem]) -> None:
    for problem in problems:
        log.warning(str(problem))


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    root, manifest = _root(config), load_manifest()
    if not config.repo_url:
        raise ValueError("mkdocs.yml needs repo_url: links to repository files point there")
    _state["sources"] = SiteSources(root=root, manifest=manifest, repo_url=config.repo_url)
    _state["pages"] = site_pages(root, manifest)
    config.nav = navigation(root, manifest)
    return config


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns notebooks into pages
def on_files(files: Files, config: MkDocsConfig) -> Files:
    root = _sources().root
    docs = Path(config.docs_dir).resolve()
    for repo_path, site_path in _pages().items():
        source = root / repo_path
        if source.is_relative_to(docs):
            continue  # mkdocs found it itself
        if source.suffix == ".ipynb":
            # mkdocs-jupyter wraps the File and reads abs_src_path through the class property,
            # which a generated File does not have: a File rooted at the repository does.
            file = File(repo_path, str(root), config.site_dir, config.use_directory_urls)
        else:
            file = File.generated(config, site_path, abs_src_path=str(source))
        files.append(file)
    return files


def _repo_path(page: Page) -> str:
    assert page.file.abs_src_path is not None
    return Path(page.file.abs_src_path).resolve().relative_to(_sources().root).as_posix()


def on_pre_page(page: Page, config: MkDocsConfig, files: Files) -> Page:
    """The edit button of a page from outside docs/ opens its real file (mkdocs-jupyter's
    wrapper of a notebook's File hides any edit_uri set on the File itself)."""
    repo_path = _repo_path(page)
    if not repo_path.startswith(DOCS_DIR + "/"):
        page.edit_url = f"{_sources().repo_url.rstrip('/')}/edit/{DEFAULT_BRANCH}/{repo_path}"
    return page


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    sources, repo_path = _sources(), _repo_path(page)
    _report(check_named_paths(markdown, repo_path, sources.root))
    expanded, problems = expand(markdown, repo_path, sources)
    _report(problems)
    context = LinkContext(root=sources.root, pages=_pages(), repo_url=sources.repo_url)
    rewritten, problems = rewrite_links(expanded, repo_path, context)
    _report(problems)
    return rewritten


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    if page.file.src_uri.endswith(".ipynb"):
        return MATHJAX_SCRIPT.sub("", output)
    return output
