"""standalone_examples/01_email_sending.py: three clients, one sink, escaped user input."""

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from fastapi_mail import ConnectionConfig
from support import load_script

from course.processes import free_port

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "standalone_examples" / "01_email_sending.py"
SUBJECTS = ("1/3 smtplib", "2/3 aiosmtplib", "3/3 FastAPI-Mail")
ESCAPED_GREETING = "<h2>Hello, &lt;script&gt;alert(&#39;hi&#39;)&lt;/script&gt; Alice!</h2>"
# ConnectionConfig is a BaseSettings: any field the script leaves out (SUPPRESS_SEND!) and the
# script's own MAIL_SERVER/MAIL_PORT are read from the environment, case-insensitively.
SCRUBBED = {name.upper() for name in ConnectionConfig.model_fields}


ex = load_script(SCRIPT, "example_01_email_sending")


def run_script(*args: str, **env: str) -> str:
    clean = {key: value for key, value in os.environ.items() if key.upper() not in SCRUBBED}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        check=False,
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def ticks(output: str, section: str) -> int:
    match = re.search(
        rf"^Секція \d — {re.escape(section)}: .* тіків heartbeat: (\d+)$", output, re.MULTILINE
    )
    assert match, output
    return int(match.group(1))


@pytest.fixture(scope="module")
def output() -> str:
    return run_script()


@pytest.fixture
def external_sink() -> Iterator[tuple[int, ex.Inbox]]:
    inbox = ex.Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


def test_the_in_process_sink_receives_one_message_from_each_client(output: str) -> None:
    assert "SMTP-сервер отримав листів: 3" in output
    assert "📬 «1/3 smtplib» від noreply@example.com для student@example.com" in output
    assert "📬 «2/3 aiosmtplib» від noreply@example.com для student@example.com" in output
    assert (
        "📬 «3/3 FastAPI-Mail» від Contacts API <noreply@example.com>"
        " для student <student@example.com>"
    ) in output


def test_the_user_name_arrives_escaped_in_the_fastapi_mail_html(output: str) -> None:
    assert f"HTML: {ESCAPED_GREETING}" in output
    assert "<script> з імені став текстом: Jinja2 autoescape у FastAPI-Mail" in output
    assert "⚠️" not in output


def test_smtplib_blocks_the_event_loop_and_the_async_clients_do_not(output: str) -> None:
    # Not timing: no task can run while a coroutine does not await, and a network send through
    # asyncio always awaits (the connect at least), so the heartbeat gets at least one turn.
    assert ticks(output, "smtplib") == 0
    assert ticks(output, "aiosmtplib") > 0
    assert ticks(output, "FastAPI-Mail") > 0


@pytest.mark.parametrize("how", ["arguments", "environment"])
def test_an_external_server_receives_the_three_messages(
    how: str, external_sink: tuple[int, ex.Inbox]
) -> None:
    port, inbox = external_sink
    if how == "arguments":
        out = run_script("--host", "127.0.0.1", "--port", str(port))
    else:
        out = run_script(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port))
    assert f"Зовнішній SMTP-сервер: 127.0.0.1:{port} (без TLS і логіну)" in out
    assert "SMTP-сервер отримав листів" not in out
    assert tuple(message["Subject"] for message in inbox.messages) == SUBJECTS
    assert all(message["To"].addresses[0].addr_spec == ex.RECIPIENT for message in inbox.messages)
    assert ESCAPED_GREETING in html_of(inbox.messages[2])


def html_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return body.get_content()


def test_the_fastapi_mail_config_needs_no_tls_and_no_login() -> None:
    config = ex.mail_config(ex.SmtpServer("127.0.0.1", 1025))
    assert (config.MAIL_SERVER, config.MAIL_PORT) == ("127.0.0.1", 1025)
    assert not (config.MAIL_STARTTLS or config.MAIL_SSL_TLS)
    assert not (config.USE_CREDENTIALS or config.VALIDATE_CERTS)


def test_the_heartbeat_counts_zero_for_blocking_code_and_turns_for_awaiting_code() -> None:
    async def blocking() -> None:
        sum(range(1000))

    async def awaiting() -> None:
        for _ in range(3):
            await asyncio.sleep(0)

    assert asyncio.run(ex.ticks_during(blocking())) == 0
    assert asyncio.run(ex.ticks_during(awaiting())) > 0
