"""`course checklist` (homework level 1) against a stack served here, on loopback only."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from course.checklist import checklist
from course.cli import app
from course.processes import free_port

ANSWERS = {
    "/health": (200, json.dumps({"status": "ok", "database": "ok", "redis": "ok"})),
    "/docs": (200, "<html><title>Swagger UI</title></html>"),
}


class Stack(BaseHTTPRequestHandler):
    """Answers GET with what the test's `answers` say (the server's attribute)."""

    def do_GET(self) -> None:
        answers: dict[str, tuple[int, str]] = self.server.answers  # type: ignore[attr-defined]
        status, body = answers.get(self.path, (404, ""))
        self.send_response(status)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return


@pytest.fixture
def answers() -> dict[str, tuple[int, str]]:
    return dict(ANSWERS)


@pytest.fixture
def stack(answers: dict[str, tuple[int, str]]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stack)
    server.answers = answers  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_running_stack_and_a_coverage_report_are_ticked_off(stack: str, tmp_path: Path) -> None:
    (tmp_path / "htmlcov").mkdir()
    (tmp_path / "htmlcov" / "index.html").write_text("<html></html>", encoding="utf-8")
    health, swagger, coverage = checklist(tmp_path, stack)
    assert health.verified is True and "status='ok'" in health.detail
    assert swagger.verified is None and "відмітьте самі" in swagger.detail  # the flow: theirs
    assert coverage.verified is True and "htmlcov/index.html" in coverage.detail
    result = CliRunner().invoke(app, ["checklist", str(tmp_path), "--url", stack])
    assert result.exit_code == 0, result.output


def test_what_is_missing_is_named_with_what_to_do(tmp_path: Path) -> None:
    silent = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    health, swagger, coverage = checklist(tmp_path, silent)
    assert health.verified is False and "docker-compose up" in health.detail
    assert swagger.verified is False
    assert coverage.verified is False and "--cov=app" in coverage.detail
    result = CliRunner().invoke(app, ["checklist", str(tmp_path), "--url", silent])
    assert result.exit_code == 1 and "❌" in result.output


def test_an_unhealthy_stack_is_not_ticked_off(
    stack: str, answers: dict[str, tuple[int, str]], tmp_path: Path
) -> None:
    answers["/health"] = (503, json.dumps({"status": "error"}))
    [health, *_] = checklist(tmp_path, stack)
    assert health.verified is False and "503" in health.detail
