"""The checkpoints of lessons 07 (CI/CD) and 08 (deploy) tell the truth.

They pass on the solved snapshot, fail on the starter, and a copy with a few planted faults
fails exactly the checkpoints that look at those faults. Every grading runs without the earlier
lessons (regressions=False) and all of them run at once.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from course.grader import GradeReport, grade
from course.manifest import load_manifest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"


def break_ci(copy: Path) -> None:
    """No `needs` between the jobs, a deploy that runs for every branch, and a job timeout that
    GitHub's schema rejects (no other checkpoint reads it)."""
    workflow = copy / ".github" / "workflows" / "ci.yml"
    text = workflow.read_text(encoding="utf-8")
    text = text.replace("  unit-tests:\n", "  unit-tests:\n    timeout-minutes: soon\n", 1)
    text = text.replace("    needs: [unit-tests]\n", "", 1)
    text = text.replace(
        "    if: github.ref == 'refs/heads/main' && github.event_name == 'push'\n", ""
    )
    workflow.write_text(text, encoding="utf-8")


def break_deploy(copy: Path) -> None:
    """The container runs as root, and a secret is written into the blueprint."""
    dockerfile = copy / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text(encoding="utf-8").replace("USER app", "USER root"))
    blueprint = copy / "render.yaml"
    text = blueprint.read_text(encoding="utf-8")
    text = text.replace(
        "      - key: JWT_SECRET_KEY\n        generateValue: true\n",
        "      - key: JWT_SECRET_KEY\n        value: my-secret\n",
    )
    blueprint.write_text(text, encoding="utf-8")


CASES: dict[str, tuple[str, str, Callable[[Path], None] | None]] = {
    "07-solved": ("07", "07_ci_cd/solved", None),
    "07-starter": ("07", "07_ci_cd/starter", None),
    "07-broken": ("07", "07_ci_cd/solved", break_ci),
    "08-solved": ("08", "08_deploy/solved", None),
    "08-starter": ("08", "08_deploy/starter", None),
    "08-broken": ("08", "08_deploy/solved", break_deploy),
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GradeReport]:
    manifest = load_manifest()

    def run(name: str) -> GradeReport:
        lesson, folder, fault = CASES[name]
        path = LESSONS / folder
        if fault is not None:
            path = tmp_path_factory.mktemp(name) / "copy"
            shutil.copytree(LESSONS / folder, path)
            fault(path)
        return grade(
            manifest.get(lesson),
            path,
            manifest=manifest,
            checkpoints=ROOT / "checkpoints",
            regressions=False,
        )

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip(CASES, pool.map(run, CASES), strict=True))


def failed(report: GradeReport) -> set[str]:
    return {result.id for result in report.results if not result.passed}


def explain(report: GradeReport) -> str:
    lines = [f"{r.id} {r.status}: {r.reason}" for r in report.results if not r.passed]
    return "\n".join([*lines, *report.errors])


@pytest.mark.parametrize("lesson", ["07", "08"])
def test_solved_snapshot_passes_every_checkpoint(
    lesson: str, reports: dict[str, GradeReport]
) -> None:
    report = reports[f"{lesson}-solved"]
    assert report.passed, explain(report)
    assert len(report.results) >= (7 if lesson == "07" else 5)


def test_starter_07_fails_every_checkpoint(reports: dict[str, GradeReport]) -> None:
    report = reports["07-starter"]
    assert not report.errors, report.errors
    assert failed(report) == {result.id for result in report.results}  # no ci.yml at all
    assert all("ci.yml" in result.reason for result in report.results)


def test_starter_08_fails_what_the_lesson_adds(reports: dict[str, GradeReport]) -> None:
    report = reports["08-starter"]
    assert not report.errors, report.errors
    # Every checkpoint grades what the lesson adds: no free point on the untouched starter.
    assert failed(report) == {result.id for result in report.results}, explain(report)


def test_planted_ci_faults_fail_exactly_their_checkpoints(reports: dict[str, GradeReport]) -> None:
    report = reports["07-broken"]
    assert failed(report) == {"07.1", "07.4", "07.7"}, explain(report)
    reasons = {result.id: result.reason for result in report.results}
    assert "unit-tests" in reasons["07.1"]
    assert "needs" in reasons["07.4"]
    assert "main" in reasons["07.7"]


def test_planted_deploy_faults_fail_exactly_their_checkpoints(
    reports: dict[str, GradeReport],
) -> None:
    report = reports["08-broken"]
    assert failed(report) == {"08.1", "08.7"}, explain(report)
    reasons = {result.id: result.reason for result in report.results}
    assert "USER" in reasons["08.1"]
    assert "JWT_SECRET_KEY" in reasons["08.7"]
