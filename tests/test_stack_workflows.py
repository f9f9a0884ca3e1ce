"""The two GitHub Actions workflows: the course's own CI and the contacts API's CI/CD (block 6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from support import check_schema

ROOT = Path(__file__).resolve().parent.parent
COURSE_CI = ROOT / ".github" / "workflows" / "ci.yml"
API_CI = ROOT / "solution" / ".github" / "workflows" / "ci.yml"


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True.
    return workflow.get("on", workflow.get(True))  # type: ignore[call-overload]


def runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


def uses(job: dict[str, Any]) -> list[str]:
    return [step["uses"] for step in job.get("steps", []) if "uses" in step]


def test_both_workflows_match_the_github_workflow_schema() -> None:
    code, output = check_schema("vendor.github-workflows", COURSE_CI, API_CI)
    assert code == 0, output
    assert "ok -- validation done" in output


def test_api_ci_triggers_as_in_the_lesson_plan() -> None:
    on = triggers(load(API_CI))
    assert on["push"]["branches"] == ["main", "develop"]
    assert on["pull_request"]["branches"] == ["main"]


def test_api_ci_unit_job_needs_no_services() -> None:
    job = load(API_CI)["jobs"]["unit-tests"]
    assert "services" not in job
    assert "needs" not in job
    assert "pytest tests/unit/ --cov=app" in runs(job)


def test_api_ci_integration_job_runs_on_postgres_and_redis_after_the_unit_job() -> None:
    job = load(API_CI)["jobs"]["integration-tests"]
    assert job["needs"] == ["unit-tests"]

    postgres = job["services"]["postgres"]
    assert postgres["image"] == "postgres:16-alpine"
    assert postgres["env"]["POSTGRES_PASSWORD"] == "testpassword"
    assert "--health-cmd pg_isready" in postgres["options"]
    assert "--health-interval 10s" in postgres["options"]
    redis = job["services"]["redis"]
    assert redis["image"] == "redis:7-alpine"
    assert '--health-cmd "redis-cli ping"' in redis["options"]

    env = job["env"]
    assert env["TEST_DATABASE_URL"].startswith("postgresql+asyncpg://postgres:testpassword@")
    assert "localhost:5432" in env["TEST_DATABASE_URL"]
    assert env["TEST_REDIS_URL"].startswith("redis://localhost:6379")
    assert "pytest tests/integration/ --cov=app --cov-fail-under=80" in runs(job)


def test_api_ci_deploys_only_pushes_to_main_after_the_tests() -> None:
    job = load(API_CI)["jobs"]["deploy"]
    assert job["needs"] == ["integration-tests"]
    assert job["if"] == "github.ref == 'refs/heads/main' && github.event_name == 'push'"
    assert 'curl -X POST "${{ secrets.RENDER_DEPLOY_HOOK_URL }}"' in runs(job)


def test_api_ci_installs_from_the_files_it_ships() -> None:
    jobs = load(API_CI)["jobs"]
    for name in ("unit-tests", "integration-tests"):
        assert "pip install -r requirements.txt" in runs(jobs[name])
        assert any(action.startswith("actions/checkout@") for action in uses(jobs[name]))
    assert (API_CI.parent.parent.parent / "requirements.txt").is_file()


def test_course_ci_runs_the_ci_script_with_real_services() -> None:
    workflow = load(COURSE_CI)
    (job,) = workflow["jobs"].values()
    services = job["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert "--health-cmd pg_isready" in services["postgres"]["options"]
    assert services["redis"]["image"] == "redis:7"
    assert '--health-cmd "redis-cli ping"' in services["redis"]["options"]
    assert {"5432:5432"} <= set(services["postgres"]["ports"])
    assert {"6379:6379"} <= set(services["redis"]["ports"])
    assert any(action.startswith("astral-sh/setup-uv@") for action in uses(job))
    assert "uv sync" in runs(job)
    assert "bash .ci/run" in runs(job)
    assert (ROOT / ".ci" / "run").is_file()
