"""Lesson 07: .github/workflows/ci.yml — unit job → integration job with PostgreSQL and Redis
service containers, a coverage gate, and a deploy hook that fires only for main.

The workflow is read with PyYAML (where `on:` becomes the key True) and validated against
GitHub's workflow schema by check-jsonschema; nothing here runs GitHub Actions.
"""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from course.checkpoint import checkpoint

WORKFLOW = ".github/workflows/ci.yml"
UNIT, INTEGRATION = "unit-tests", "integration-tests"
MIN_GATE = 80
SECRET = "secrets.RENDER_DEPLOY_HOOK_URL"
MAIN_ONLY = re.compile(r"refs/heads/main\b|ref_name\s*==\s*['\"]main['\"]")
GATE = re.compile(r"--cov-fail-under[= ](\d+(?:\.\d+)?)")
# `python -m check_jsonschema`, minus 1.6 s: jsonschema imports rfc3987_syntax where it is
# installed (Jupyter brings it), and that module builds an Earley parser at import, for the
# "iri" formats that GitHub's workflow schema never uses.
CHECK_JSONSCHEMA = (
    "import sys; sys.modules['rfc3987_syntax'] = None; from check_jsonschema import main; main()"
)


def load_workflow(student_dir: Path) -> dict[Any, Any]:
    path = student_dir / WORKFLOW
    if not path.is_file():
        pytest.fail(f"Немає файлу {WORKFLOW}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        pytest.fail(f"{WORKFLOW} не читається як YAML: {str(exc).splitlines()[0]}")
    if not isinstance(data, dict):
        pytest.fail(f"{WORKFLOW} має бути словником (name, on, jobs)")
    return data


def jobs_of(workflow: dict[Any, Any]) -> dict[str, Any]:
    jobs = workflow.get("jobs")
    return jobs if isinstance(jobs, dict) else {}


def job(workflow: dict[Any, Any], name: str) -> dict[str, Any]:
    found = jobs_of(workflow).get(name)
    if not isinstance(found, dict):
        known = ", ".join(map(str, jobs_of(workflow))) or "жодного"
        pytest.fail(f"У workflow немає job-а `{name}` (є: {known})")
    return found


def steps_of(job_: dict[str, Any]) -> list[dict[str, Any]]:
    steps = job_.get("steps")
    return [step for step in steps if isinstance(step, dict)] if isinstance(steps, list) else []


def commands(job_: dict[str, Any]) -> list[str]:
    """The `run:` scripts of a job, with shell line continuations joined."""
    return [str(step.get("run", "")).replace("\\\n", " ") for step in steps_of(job_)]


def runs_pytest_on(job_: dict[str, Any], folder: str) -> bool:
    pattern = re.compile(rf"\bpytest\b[^\n]*\b{re.escape(folder)}\b")
    return any(pattern.search(command) for command in commands(job_))


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


def text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


@checkpoint(
    id="07.1",
    title="ci.yml — валідний GitHub Actions workflow",
    points=2,
    hint="Перевірте локально: `check-jsonschema --builtin-schema vendor.github-workflows "
    ".github/workflows/ci.yml` (відступи, назви ключів: runs-on, steps, needs, services).",
)
def test_workflow_matches_the_schema(student_dir: Path) -> None:
    load_workflow(student_dir)
    command = [sys.executable, "-c", CHECK_JSONSCHEMA, "--builtin-schema"]
    command += ["vendor.github-workflows", "-o", "JSON", str(student_dir / WORKFLOW)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode == 0:
        return
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"check-jsonschema: {(done.stderr or done.stdout).strip()[-300:]}")
    errors = report.get("errors") or report.get("parse_errors") or [{}]
    first = errors[0]
    best = first.get("best_match") or first
    where = best.get("path", "?")
    pytest.fail(f"Не відповідає схемі GitHub Actions у {where}: {best.get('message', '?')}")


@checkpoint(
    id="07.2",
    title="Тригери: push у main і develop, pull request у main",
    points=1,
    hint="Секція `on:` з push.branches і pull_request.branches, як у плані уроку.",
)
def test_triggers(student_dir: Path) -> None:
    workflow = load_workflow(student_dir)
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the bare key `on` as True
    assert isinstance(on, dict), f"`on:` має описувати push і pull_request з гілками, а не {on!r}"
    push, pull = on.get("push") or {}, on.get("pull_request") or {}
    push_branches = set(as_list(push.get("branches") if isinstance(push, dict) else None))
    pull_branches = set(as_list(pull.get("branches") if isinstance(pull, dict) else None))
    assert {"main", "develop"} <= push_branches, f"push.branches: {sorted(push_branches)}"
    assert "main" in pull_branches, f"pull_request.branches: {sorted(pull_branches)}"


@checkpoint(
    id="07.3",
    title="Job unit-tests: без сервісів, запускає pytest tests/unit",
    points=2,
    hint="Unit-тести не потребують PostgreSQL і Redis: окремий швидкий job `unit-tests` "
    "(checkout, setup-python, встановлення залежностей, pytest tests/unit/).",
)
def test_unit_job(student_dir: Path) -> None:
    unit = job(load_workflow(student_dir), UNIT)
    assert not unit.get("services"), f"Job {UNIT} не повинен мати services"
    assert steps_of(unit), f"Job {UNIT} не має steps"
    assert runs_pytest_on(unit, "tests/unit"), f"Жоден крок {UNIT} не запускає pytest tests/unit"


@checkpoint(
    id="07.4",
    title="Job integration-tests після unit-tests, з PostgreSQL 16 і Redis 7 зі health-check",
    points=3,
    hint="needs: [unit-tests]; services: postgres (image postgres:16-…, --health-cmd pg_isready) "
    'і redis (image redis:7-…, --health-cmd "redis-cli ping"); крок pytest tests/integration/.',
)
def test_integration_job(student_dir: Path) -> None:
    integration = job(load_workflow(student_dir), INTEGRATION)
    needs = as_list(integration.get("needs"))
    assert UNIT in needs, f"{INTEGRATION}.needs: {needs} — має чекати на {UNIT}"
    services = integration.get("services")
    assert isinstance(services, dict) and services, f"Job {INTEGRATION} не має services"
    for image_prefix, health in (("postgres:16", "pg_isready"), ("redis:7", "redis-cli ping")):
        service = next(
            (
                spec
                for spec in services.values()
                if isinstance(spec, dict) and str(spec.get("image", "")).startswith(image_prefix)
            ),
            None,
        )
        assert service is not None, f"Немає сервісу з image {image_prefix}*"
        options = " ".join(as_list(service.get("options")))
        assert "--health-cmd" in options and health in options, (
            f"Сервіс {service.get('image')}: немає --health-cmd з {health} в options"
        )
    assert runs_pytest_on(integration, "tests/integration"), (
        f"Жоден крок {INTEGRATION} не запускає pytest tests/integration"
    )


@checkpoint(
    id="07.5",
    title="Інтеграційні тести в CI ходять у PostgreSQL і Redis із services",
    points=1,
    hint="Передайте тестам адреси сервісів через env job-а чи кроку: URL з postgresql+asyncpg:// "
    "на localhost:5432 і redis://localhost:6379 — інакше тести тихо підуть у SQLite.",
)
def test_integration_job_uses_the_services(student_dir: Path) -> None:
    workflow = load_workflow(student_dir)
    integration = job(workflow, INTEGRATION)
    settings = text([workflow.get("env"), integration.get("env"), steps_of(integration)])
    assert re.search(r"postgres(?:ql)?(?:\+asyncpg)?://", settings), (
        f"Жоден env у {INTEGRATION} не містить URL PostgreSQL (postgresql+asyncpg://…)"
    )
    assert "redis://" in settings, f"Жоден env у {INTEGRATION} не містить URL Redis (redis://…)"


@checkpoint(
    id="07.6",
    title=f"Поріг покриття: --cov-fail-under ≥ {MIN_GATE}",
    points=1,
    hint="pytest … --cov=app --cov-fail-under=80: якщо покриття впаде нижче — CI червоний.",
)
def test_coverage_gate(student_dir: Path) -> None:
    workflow = load_workflow(student_dir)
    gates = [
        float(value)
        for job_ in jobs_of(workflow).values()
        if isinstance(job_, dict)
        for command in commands(job_)
        if "pytest" in command
        for value in GATE.findall(command)
    ]
    assert gates, "Жоден виклик pytest у workflow не має --cov-fail-under"
    assert max(gates) >= MIN_GATE, f"Найвищий поріг --cov-fail-under: {max(gates):g}"


def needs_closure(jobs: dict[str, Any], name: str) -> set[str]:
    """Every job `name` waits for, directly or through others."""
    seen: set[str] = set()
    stack = [name]
    while stack:
        current = jobs.get(stack.pop())
        for needed in as_list(current.get("needs") if isinstance(current, dict) else None):
            if needed not in seen:
                seen.add(needed)
                stack.append(needed)
    return seen


@checkpoint(
    id="07.7",
    title="Деплой на Render лише з main і лише після зелених тестів",
    points=2,
    hint="Окремий job з needs: [integration-tests] (або крок після тестів) з "
    "`if: github.ref == 'refs/heads/main'`, що робить curl -X POST на "
    "${{ secrets.RENDER_DEPLOY_HOOK_URL }}.",
)
def test_deploy_only_from_main(student_dir: Path) -> None:
    jobs = jobs_of(load_workflow(student_dir))
    places = [
        (name, index, step)
        for name, job_ in jobs.items()
        if isinstance(job_, dict)
        for index, step in enumerate(steps_of(job_))
        if SECRET in text(step).replace(" ", "")
    ]
    assert places, f"Жоден крок не використовує ${{{{ {SECRET} }}}}"
    problems = []
    for name, index, step in places:
        job_ = jobs[name]
        condition = f"{job_.get('if', '')} {step.get('if', '')}"
        if not MAIN_ONLY.search(condition):
            problems.append(f"{name}: немає умови if на гілку main (github.ref)")
            continue
        earlier = {"steps": steps_of(job_)[:index]}
        after_tests = INTEGRATION in needs_closure(jobs, name) or (
            name == INTEGRATION and runs_pytest_on(earlier, "tests")
        )
        if not after_tests:
            problems.append(f"{name}: деплой не чекає на {INTEGRATION}")
            continue
        return
    pytest.fail("; ".join(problems))
