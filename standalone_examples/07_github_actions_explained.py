"""The contacts API's GitHub Actions workflow, printed with explanations as YAML comments.

Lesson plan, block 6 ("CI/CD — GitHub Actions"):

    python standalone_examples/07_github_actions_explained.py > .github/workflows/ci.yml
    python standalone_examples/07_github_actions_explained.py --workflow path/to/ci.yml

One source: the workflow itself is the finished API's
lessons/08_deploy/solved/.github/workflows/ci.yml. This script only adds comment lines above the
key parts (triggers, jobs, needs, service containers, test env, coverage gate, deploy), so the
printed YAML is the same workflow, line for line, plus comments.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "lessons" / "08_deploy" / "solved" / ".github" / "workflows" / "ci.yml"
WIDTH = 100


class Note(NamedTuple):
    pattern: str  # a regex for the workflow line the note explains
    text: str  # printed above that line as comments, wrapped to the line's indent


# In the order the lines come in the workflow.
NOTES: tuple[Note, ...] = (
    Note(r"^name:", "Назва workflow: так він підписаний у вкладці Actions і в статусах PR."),
    Note(r"^on:", "Тригери: коли GitHub запускає цей workflow."),
    Note(
        r"^  push:",
        "push у main або develop: кожен коміт у ці гілки проходить тести "
        "(а push у main — ще й deploy, див. job deploy).",
    ),
    Note(
        r"^  pull_request:",
        "PR у main: тести йдуть ДО merge. Разом із branch protection (Settings → Branches → "
        "Require status checks: unit-tests, integration-tests) червоний PR не зливається в main.",
    ),
    Note(
        r"^permissions:",
        "GITHUB_TOKEN лише читає репозиторій: найменші права, яких досить для тестів.",
    ),
    Note(
        r"^jobs:",
        "Jobs: кожен job — окрема чиста VM (runs-on). Без needs вони йдуть паралельно; needs "
        "вибудовує ланцюжок unit-tests → integration-tests → deploy.",
    ),
    Note(
        r"^  unit-tests:",
        "Unit-тести: SQLite in-memory і Redis у процесі, без service containers — швидко. "
        "Якщо вони червоні, на запуск сервісів час не гаємо.",
    ),
    Note(
        r"^  integration-tests:",
        "Integration-тести: повний HTTP flow на справжніх PostgreSQL і Redis.",
    ),
    Note(r"^    needs: ", "needs: цей job стартує лише ПІСЛЯ успішного unit-tests."),
    Note(
        r"^    services:",
        "Service containers: Docker-контейнери поруч із job, доступні з steps на localhost "
        "через ports. PostgreSQL у CI, а не SQLite, бо справжній рушій ловить баги, яких "
        "SQLite не бачить: EXTRACT(), RETURNING, ILIKE, ON CONFLICT.",
    ),
    Note(
        r"^      postgres:",
        "PostgreSQL 16: пароль і тестова база — через env контейнера. options — health check "
        "(pg_isready): runner чекає, поки база відповідає, і лише тоді запускає steps.",
    ),
    Note(
        r"^      redis:",
        "Redis 7 з тим самим health check-підходом: redis-cli ping має відповісти PONG.",
    ),
    Note(
        r"^    env:",
        "Змінні середовища для всіх steps цього job: tests/conftest.py бачить TEST_DATABASE_URL "
        "і TEST_REDIS_URL та йде на справжні сервіси замість SQLite і fakeredis "
        "(Redis база 15 — окрема для тестів).",
    ),
    Note(
        r"--cov-fail-under=",
        "Coverage gate: --cov-fail-under=80 робить job червоним, якщо покриття app нижче 80%. "
        "80% — не магія, а contractual minimum.",
    ),
    Note(
        r"^  deploy:",
        "Deploy на Render: needs: [integration-tests] — лише після обох test jobs.",
    ),
    Note(
        r"^    if: ",
        "if: лише push у main (не PR і не develop). success() тут неявний: job з needs "
        "не стартує, якщо попередній job впав.",
    ),
    Note(
        r"curl -X POST",
        "Render Deploy Hook: його URL — секрет (Settings → Secrets → Actions → "
        "RENDER_DEPLOY_HOOK_URL); GitHub показує його в логах як ***.",
    ),
)


class ExplainError(Exception):
    """The workflow cannot be explained: no file, or a part the notes expect is missing."""


def comment(text: str, indent: str) -> list[str]:
    return [f"{indent}# {line}" for line in textwrap.wrap(text, WIDTH - len(indent) - 2)]


def explain(lines: list[str]) -> list[str]:
    """The lines with each note's comment block inserted above the line it explains."""
    notes = iter(NOTES)
    pending = next(notes, None)
    explained: list[str] = []
    for line in lines:
        if pending and re.search(pending.pattern, line):
            indent = line[: len(line) - len(line.lstrip())]
            explained += comment(pending.text, indent)
            pending = next(notes, None)
        explained.append(line)
    if pending:
        raise ExplainError(f"немає рядка, який має пояснити скрипт (шаблон {pending.pattern!r})")
    return explained


def read_workflow(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ExplainError("немає файлу workflow") from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Друкує ci.yml з поясненнями-коментарями.")
    parser.add_argument("--workflow", type=Path, default=WORKFLOW, help="шлях до ci.yml")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    path = parse_args(argv).workflow
    try:
        lines = explain(read_workflow(path))
    except ExplainError as error:
        print(f"Помилка: {path}: {error}", file=sys.stderr)
        return 1
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
