"""The GitHub Classroom workflow for a student's repository (course/classroom/classroom.yml).

Valid by the workflow schema, wired to the autograding reporter the way the reporter reads it
(`<RUNNER>_RESULTS`: the base64 of a runner's report, one per id in `runners`), and its grading
step, run here as the runner would run it (bash -e, the student's code and the course checked out
side by side), hands the reporter a report of the course's checkpoints.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from support import check_schema

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "course" / "classroom" / "classroom.yml"
REPORTER = "classroom-resources/autograding-grading-reporter@v1"


def workflow() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def steps() -> list[dict[str, Any]]:
    [job] = workflow()["jobs"].values()
    return list(job["steps"])


def step(step_id: str) -> dict[str, Any]:
    return next(item for item in steps() if item.get("id") == step_id)


def test_the_workflow_matches_the_github_workflow_schema() -> None:
    code, output = check_schema("vendor.github-workflows", WORKFLOW)
    assert code == 0, output
    assert "ok -- validation done" in output


def test_every_runner_hands_its_report_to_the_reporter() -> None:
    reporter = next(item for item in steps() if item.get("uses") == REPORTER)
    runners = [runner.strip() for runner in reporter["with"]["runners"].split(",")]
    assert runners
    for runner in runners:
        assert "course check" in step(runner)["run"]
        expected = f"${{{{ steps.{runner}.outputs.result }}}}"
        assert reporter["env"][f"{runner.upper()}_RESULTS"] == expected
    [job] = workflow()["jobs"].values()
    assert job["name"] == "Autograding Tests"  # the check run the reporter writes points to
    assert workflow()["permissions"]["checks"] == "write"


def test_the_grading_step_passes_the_course_report_on(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("COURSE_")}
    env |= {"UV_FROZEN": "1", "UV_OFFLINE": "1", "LESSON": "00"}
    env["GITHUB_OUTPUT"] = str(tmp_path / "github_output")
    started = subprocess.run(
        [sys.executable, "-m", "course", "start", "00", "workspace"],
        cwd=tmp_path,
        env=env | {"COURSE_ROOT": str(ROOT)},
        capture_output=True,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    (tmp_path / "course").symlink_to(ROOT)  # where the workflow checks the course out
    grade = step("course-check")
    done = subprocess.run(
        ["bash", "-e", "-c", grade["run"]],
        cwd=tmp_path / grade["working-directory"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [output] = (tmp_path / "github_output").read_text(encoding="utf-8").splitlines()
    name, _, encoded = output.partition("=")
    report = json.loads(base64.b64decode(encoded))
    assert name == "result"
    assert set(report) == {"version", "status", "max_score", "tests"}
    assert report["status"] == "fail" and report["max_score"] > 0  # the starter: TODOs open
    assert sum(test["score"] for test in report["tests"]) < report["max_score"]
    assert all(test["name"].startswith("00.") for test in report["tests"])
