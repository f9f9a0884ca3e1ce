"""standalone_examples/07_github_actions_explained.py: the API's workflow plus comments (block 6)."""

from __future__ import annotations

import difflib
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import check_schema

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "standalone_examples" / "07_github_actions_explained.py"
WORKFLOW = ROOT / "lessons" / "08_deploy" / "solved" / ".github" / "workflows" / "ci.yml"
# The workflow's own lines that get an explanation right above them.
EXPLAINED = {
    "name: CI",
    "on:",
    "  push:",
    "  pull_request:",
    "permissions:",
    "jobs:",
    "  unit-tests:",
    "  integration-tests:",
    "    needs: [unit-tests]",
    "    services:",
    "      postgres:",
    "      redis:",
    "    env:",
    "        run: pytest tests/integration/ --cov=app --cov-fail-under=80",
    "  deploy:",
    "    if: github.ref == 'refs/heads/main' && github.event_name == 'push'",
    '        run: curl -X POST "${{ secrets.RENDER_DEPLOY_HOOK_URL }}"',
}


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(SCRIPT), *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def printed() -> str:
    done = run()
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def added_blocks(printed: str) -> dict[str, list[str]]:
    """The lines the script added, by the workflow line each block stands above."""
    original = WORKFLOW.read_text(encoding="utf-8").splitlines()
    lines = printed.splitlines()
    matcher = difflib.SequenceMatcher(a=original, b=lines, autojunk=False)
    blocks: dict[str, list[str]] = {}
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            assert tag == "insert", f"workflow lines changed: {original[i1:i2]}"
            blocks[original[i1]] = lines[j1:j2]
    return blocks


def test_printed_yaml_is_the_same_workflow(printed: str) -> None:
    assert yaml.safe_load(printed) == yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def test_printed_workflow_matches_the_github_workflow_schema(printed: str, tmp_path: Path) -> None:
    ci = tmp_path / "ci.yml"
    ci.write_text(printed, encoding="utf-8")

    code, output = check_schema("vendor.github-workflows", ci)

    assert code == 0, output
    assert "ok -- validation done" in output


def test_each_key_section_gets_a_ukrainian_comment(printed: str) -> None:
    blocks = added_blocks(printed)

    assert set(blocks) == EXPLAINED
    for target, block in blocks.items():
        indent = target[: len(target) - len(target.lstrip())]
        assert all(line.startswith(f"{indent}# ") for line in block), block
        assert all(len(line) <= 100 for line in block), block
        assert re.search("[а-яіїєґ]", " ".join(block), re.IGNORECASE), block


def test_a_missing_workflow_fails_clearly(tmp_path: Path) -> None:
    missing = tmp_path / "ci.yml"

    done = run("--workflow", str(missing), cwd=tmp_path)

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == f"Помилка: {missing}: немає файлу workflow\n"


def test_a_workflow_without_a_key_section_fails_clearly(tmp_path: Path) -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    no_deploy = tmp_path / "ci.yml"
    no_deploy.write_text(text[: text.index("\n  deploy:\n")], encoding="utf-8")

    done = run("--workflow", str(no_deploy), cwd=tmp_path)

    assert done.returncode == 1
    assert done.stdout == ""
    assert "Помилка" in done.stderr and "deploy" in done.stderr
    assert "Traceback" not in done.stderr
