"""Three ways to send an email from Python: smtplib, aiosmtplib and FastAPI-Mail.

Block 1 of the lesson plan ("Email верифікація"), step 3 "FastAPI-Mail vs smtplib". The plan
only shows the code, but it also runs:

    python standalone_examples/01_email_sending.py
    python standalone_examples/01_email_sending.py --host localhost --port 1025   # e.g. MailHog
    MAIL_SERVER=localhost MAIL_PORT=1025 python standalone_examples/01_email_sending.py

Without a host it starts an SMTP sink in this process (aiosmtpd on 127.0.0.1, a free port) and
prints what the sink received; with one it sends there, without TLS and without a login.

- Section 1, smtplib: blocks the event loop while it talks to the server.
- Section 2, aiosmtplib: async, but the message and the connection are configured by hand.
- Section 3, FastAPI-Mail: production-ready, a ConnectionConfig (built from Settings in
  app/services/email.py) and Jinja2 templates with autoescape: a `<script>` in the user's
  name arrives as text.

During each send a heartbeat task counts how many times the event loop got to run it.
"""

import argparse
import asyncio
import os
import smtplib
import socket
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi_mail import ConnectionConfig, FastMail, MessageSchema, MessageType

SENDER = "noreply@example.com"  # fastapi-mail rejects @localhost and .local senders
RECIPIENT = "student@example.com"
USER_NAME = "<script>alert('hi')</script> Alice"
VERIFY_URL = "http://localhost:8000/api/v1/auth/verify/<token>"
TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int


def plain_message(subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = RECIPIENT
    message["Subject"] = subject
    message.set_content(text)
    return message


# --- Section 1: smtplib — blocks the event loop ------------------------------------------------


async def send_with_smtplib(server: SmtpServer, message: EmailMessage) -> None:
    """The trap: an `async def` that calls a blocking client. Every other task waits meanwhile.

    (`await asyncio.to_thread(...)` would move it off the loop; the async clients need no thread.)
    """
    with smtplib.SMTP(server.host, server.port, timeout=10) as smtp:
        smtp.send_message(message)


# --- Section 2: aiosmtplib — async, configured by hand -----------------------------------------


async def send_with_aiosmtplib(server: SmtpServer, message: EmailMessage) -> None:
    await aiosmtplib.send(
        message, hostname=server.host, port=server.port, start_tls=False, timeout=10
    )


# --- Section 3: FastAPI-Mail — config object, Jinja2 templates ---------------------------------


def mail_config(server: SmtpServer) -> ConnectionConfig:
    """A local sink or MailHog: no TLS, no login. The app reads these from Settings (.env)."""
    return ConnectionConfig(
        MAIL_USERNAME="",
        MAIL_PASSWORD="",
        MAIL_FROM=SENDER,
        MAIL_FROM_NAME="Contacts API",
        MAIL_SERVER=server.host,
        MAIL_PORT=server.port,
        MAIL_STARTTLS=False,
        MAIL_SSL_TLS=False,
        USE_CREDENTIALS=False,
        VALIDATE_CERTS=False,
        TEMPLATE_FOLDER=TEMPLATES,
    )


async def send_with_fastapi_mail(server: SmtpServer, full_name: str) -> None:
    message = MessageSchema(
        subject="3/3 FastAPI-Mail",
        recipients=[RECIPIENT],
        template_body={"full_name": full_name, "verify_url": VERIFY_URL, "expire_hours": 24},
        subtype=MessageType.html,
    )
    await FastMail(mail_config(server)).send_message(
        message, template_name="verification_email.html"
    )


# --- The heartbeat: did the event loop keep running during a send? ----------------------------


async def ticks_during(send: Coroutine[Any, Any, None]) -> int:
    """Await `send` while a task counts its turns on the event loop: 0 means the loop was blocked."""
    ticks = 0

    async def beat() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    task = asyncio.create_task(beat())
    await asyncio.sleep(0)  # the heartbeat starts, waiting for its first turn
    await send
    during = ticks
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
    return during


async def send_all(server: SmtpServer) -> None:
    ticks = await ticks_during(
        send_with_smtplib(server, plain_message("1/3 smtplib", "Sent with smtplib."))
    )
    print(f"Секція 1 — smtplib: лист «1/3 smtplib» надіслано, тіків heartbeat: {ticks}")
    print("  синхронний клієнт у async def: event loop стояв, поки тривав SMTP-діалог")
    ticks = await ticks_during(
        send_with_aiosmtplib(server, plain_message("2/3 aiosmtplib", "Sent with aiosmtplib."))
    )
    print(f"Секція 2 — aiosmtplib: лист «2/3 aiosmtplib» надіслано, тіків heartbeat: {ticks}")
    print("  async: loop працював далі, але лист і з'єднання налаштовані вручну")
    ticks = await ticks_during(send_with_fastapi_mail(server, USER_NAME))
    print(f"Секція 3 — FastAPI-Mail: лист «3/3 FastAPI-Mail» надіслано, тіків heartbeat: {ticks}")
    print(f"  async + ConnectionConfig + Jinja2-шаблон; ім'я користувача: {USER_NAME}")


# --- The SMTP sink the default run sends to ----------------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_sink() -> Iterator[tuple[SmtpServer, Inbox]]:
    """The sink runs its own event loop in a thread: smtplib blocking ours cannot block it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield SmtpServer(controller.hostname, controller.port), inbox
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def print_inbox(inbox: Inbox) -> None:
    print(f"SMTP-сервер отримав листів: {len(inbox.messages)}")
    for message in inbox.messages:
        print(f"  📬 «{message['Subject']}» від {message['From']} для {message['To']}")
        html = message.get_body(preferencelist=("html",))
        if html is not None:
            print_greeting(html.get_content())


def print_greeting(html: str) -> None:
    greeting = next(line.strip() for line in html.splitlines() if "Hello" in line)
    print(f"     HTML: {greeting}")
    if "<script>" in greeting:
        print("     ⚠️ <script> з імені потрапив у HTML як тег!")
    else:
        print("     <script> з імені став текстом: Jinja2 autoescape у FastAPI-Mail")


# --- Command line ------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Send one email with each of three clients.")
    parser.add_argument(
        "--host",
        default=os.environ.get("MAIL_SERVER"),
        help="SMTP server (default: $MAIL_SERVER; neither host nor port: an in-process sink)",
    )
    parser.add_argument(
        "--port", type=int, default=os.environ.get("MAIL_PORT"), help="its port ($MAIL_PORT)"
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.host is None and args.port is None:
        with smtp_sink() as (server, inbox):
            print(f"SMTP-сервер у цьому процесі: {server.host}:{server.port}")
            asyncio.run(send_all(server))
            print_inbox(inbox)
        return
    server = SmtpServer(args.host or "localhost", args.port or 1025)
    print(f"Зовнішній SMTP-сервер: {server.host}:{server.port} (без TLS і логіну)")
    asyncio.run(send_all(server))
    print("Листи надіслано: дивіться їх у вашому SMTP-сервері (MailHog: http://localhost:8025)")


if __name__ == "__main__":
    main()
