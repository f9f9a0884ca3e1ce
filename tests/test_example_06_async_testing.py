"""standalone_examples/06_async_testing.py runs its own tests, and they catch a real bug (block 5)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "standalone_examples" / "06_async_testing.py"
UNIT = (
    "test_register_user_mails_a_verification_link",
    "test_register_user_rejects_a_taken_email_without_mail",
)
INTEGRATION = (
    "test_register_endpoint_mails_through_the_overridden_mailer",
    "test_register_then_verify_with_the_token_from_the_mail",
    "test_register_twice_is_409_and_one_mail",
    "test_invalid_email_is_422_before_any_mail",
)
AWAIT_MAIL = "    await mailer.send_message("


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def outcomes(output: str) -> dict[str, str]:
    """Test name → PASSED or FAILED, from the lines of `pytest -v`."""
    return dict(re.findall(r"::(test_\w+) (PASSED|FAILED)", output))


def test_self_run_from_the_repo_root_passes_every_example() -> None:
    done = run([sys.executable, str(SCRIPT)], ROOT)

    assert done.returncode == 0, done.stdout + done.stderr
    assert outcomes(done.stdout) == dict.fromkeys(UNIT + INTEGRATION, "PASSED")
    assert "Блок 5" in done.stdout
    assert "Mode.STRICT" in done.stdout  # its own asyncio mode, not the repo's "auto"
    assert "coverage" not in done.stdout.lower()  # the repo's --cov addopts are off


def test_pytest_runs_the_file_by_its_path() -> None:
    command = [sys.executable, "-m", "pytest", str(SCRIPT), "-q", "--no-cov"]
    done = run([*command, "-p", "no:cacheprovider"], ROOT)

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(UNIT + INTEGRATION)} passed" in done.stdout


def test_a_forgotten_await_fails_the_tests_that_assert_the_await(tmp_path: Path) -> None:
    source = SCRIPT.read_text(encoding="utf-8")
    assert source.count(AWAIT_MAIL) == 1
    broken = tmp_path / SCRIPT.name
    broken.write_text(source.replace(AWAIT_MAIL, "    mailer.send_message("), encoding="utf-8")

    done = run([sys.executable, str(broken)], tmp_path)

    assert done.returncode == 1, done.stdout + done.stderr
    failed = {name for name, outcome in outcomes(done.stdout).items() if outcome == "FAILED"}
    assert failed == {
        "test_register_user_mails_a_verification_link",
        "test_register_endpoint_mails_through_the_overridden_mailer",
        "test_register_twice_is_409_and_one_mail",
    }
    assert "was never awaited" in done.stdout
