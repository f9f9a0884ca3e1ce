"""`course demo`: the finished contacts API on embedded defaults, with nothing else running.

- a working folder `.course/demo/` at the repository root (gitignored; `$COURSE_DEMO_DIR`
  overrides it) holds the SQLite database `contacts.db` and the avatars in `media/`;
- `alembic upgrade head` migrates it, exactly as the start command does in production;
- Redis is `memory://` (an in-process fakeredis behind the same API);
- mail goes to a local SMTP sink on a free port that prints every message and its link here,
  in place of MailHog;
- uvicorn serves `app.main:app` of solution/ until Ctrl-C (or SIGTERM) stops everything.
"""

from __future__ import annotations

import email
import html
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.message import Message
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from course.paths import CoursePaths
from course.processes import free_port, scrubbed_env

DEMO_DIR_ENV = "COURSE_DEMO_DIR"
DEMO_EMAIL = "demo@example.com"  # created by solution/scripts/seed_data.py
DEMO_PASSWORD = "demo12345"
API = "/api/v1"

_URL = re.compile(r"https?://[^\s\"'<>]+")
_JWT = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+")

console = Console(highlight=False)


class DemoError(RuntimeError):
    """The demo cannot start (busy port, failed migration, missing solution/)."""


@dataclass(frozen=True)
class DemoConfig:
    host: str
    port: int
    seed: bool
    solution: Path
    workdir: Path
    smtp_port: int

    @property
    def base_url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.port}"

    @property
    def database(self) -> Path:
        return self.workdir / "contacts.db"

    @property
    def media(self) -> Path:
        return self.workdir / "media"

    def environment(self) -> dict[str, str]:
        """The app's settings for the demo: every part embedded, nothing from a `.env`."""
        return {
            "ENVIRONMENT": "development",
            "DEBUG": "false",
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.database.as_posix()}",
            "REDIS_URL": "memory://",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(self.smtp_port),
            "MAIL_USERNAME": "",  # no login and no TLS: the sink takes plain SMTP
            "MAIL_PASSWORD": "",
            "MAIL_SSL_TLS": "false",
            "MAIL_STARTTLS": "false",
            "MEDIA_DIR": str(self.media),
            "CLOUDINARY_CLOUD_NAME": "",  # avatars stay local even if the shell has credentials
            "CLOUDINARY_API_KEY": "",
            "CLOUDINARY_API_SECRET": "",
            "PUBLIC_BASE_URL": self.base_url,
        }


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0", "::"):  # listening everywhere: links point at this machine
        return "localhost"
    return f"[{host}]" if ":" in host else host


def default_workdir(paths: CoursePaths) -> Path:
    raw = os.environ.get(DEMO_DIR_ENV)
    return Path(raw).resolve() if raw else paths.root / ".course" / "demo"


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


# --- The SMTP sink ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    recipients: tuple[str, ...]
    subject: str
    links: tuple[str, ...]
    tokens: tuple[str, ...]


def _body_text(message: Message) -> str:
    parts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                charset = part.get_content_charset() or "utf-8"
                parts.append(payload.decode(charset, errors="replace"))
    return "\n".join(parts)


def parse_mail(recipients: list[str], raw: bytes) -> ReceivedMail:
    """Who, what, and the links (and bare tokens) a message carries, in order of appearance."""
    message = email.message_from_bytes(raw, policy=policy.default)
    body = _body_text(message)
    links = list(dict.fromkeys(html.unescape(url) for url in _URL.findall(body)))
    in_links = "".join(links)
    tokens = [token for token in dict.fromkeys(_JWT.findall(body)) if token not in in_links]
    return ReceivedMail(
        recipients=tuple(recipients),
        subject=str(message.get("subject", "")),
        links=tuple(links),
        tokens=tuple(tokens),
    )


def show_mail(mail: ReceivedMail, number: int) -> None:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("To", ", ".join(mail.recipients))
    grid.add_row("Subject", mail.subject)
    verify = [link for link in mail.links if f"{API}/auth/verify/" in link]
    if verify:
        grid.add_row("Next", "open the verification link below (step 3)")
    console.print(Panel(grid, title=f"Email #{number} received", border_style="cyan", expand=False))
    # Links are printed whole, outside the panel: a wrapped link cannot be copied or clicked.
    for link in mail.links:
        label = "Verification link:" if link in verify else "Link:"
        console.print(label, style="bold cyan")
        console.print(link, soft_wrap=True, markup=False, style=f"link {link}")
    for token in mail.tokens:
        console.print("Token:", style="bold cyan")
        console.print(token, soft_wrap=True, markup=False)


class MailSink:
    """An aiosmtpd handler: accept every message and print it."""

    def __init__(self, on_mail: Callable[[ReceivedMail, int], None] = show_mail) -> None:
        self._on_mail = on_mail
        self._count = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        mail = parse_mail(list(envelope.rcpt_tos), raw)
        with self._lock:
            self._count += 1
            number = self._count
        self._on_mail(mail, number)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_sink(port: int, host: str = "127.0.0.1") -> Iterator[Controller]:
    controller = Controller(MailSink(), hostname=host, port=port, ready_timeout=10)
    controller.start()  # its own thread and event loop
    try:
        yield controller
    finally:
        controller.stop()


# --- Preparing the working folder ------------------------------------------------------------


def _child_env(config: DemoConfig) -> dict[str, str]:
    return scrubbed_env(
        first_on={"PYTHONPATH": str(config.solution)},
        PYTHONUNBUFFERED="1",
        **config.environment(),
    )


def migrate(config: DemoConfig) -> None:
    """`alembic upgrade head` on the demo database (cwd: the working folder, so no `.env`)."""
    command = [
        sys.executable,
        "-m",
        "alembic",
        "-c",
        str(config.solution / "alembic.ini"),
        "upgrade",
        "head",
    ]
    done = subprocess.run(
        command,
        cwd=config.workdir,
        env=_child_env(config),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise DemoError(f"alembic upgrade head failed:\n{done.stdout}{done.stderr}")


def seed_data(config: DemoConfig) -> None:
    script = config.solution / "scripts" / "seed_data.py"
    console.print(f"[bold]Seeding demo data[/] (python {script.relative_to(config.solution)})")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=config.workdir, env=_child_env(config), check=False
    )
    if done.returncode != 0:
        raise DemoError(f"{script.name} failed with exit code {done.returncode}")


# --- What the console shows ------------------------------------------------------------------


def walkthrough(config: DemoConfig) -> Table:
    """The Block 0 demo, step by step."""
    steps = Table(title="Walkthrough (lesson plan, block 0)", show_lines=False, expand=False)
    steps.add_column("#", justify="right", style="bold")
    steps.add_column("Step", style="bold")
    steps.add_column("How")
    steps.add_row(
        "1",
        "Register",
        f"Swagger: POST {API}/auth/register with "
        '{"email": "you@example.com", "password": "secret123", "full_name": "You"} '
        "→ 201, is_verified: false",
    )
    steps.add_row(
        "2",
        "Read the email",
        "the verification email is printed right here by the SMTP sink (no MailHog needed)",
    )
    steps.add_row(
        "3", "Verify", f"open its link (GET {API}/auth/verify/{{token}}) → 200, is_verified: true"
    )
    steps.add_row(
        "4",
        "Log in",
        f"Swagger's Authorize button (username = your email) or POST {API}/auth/login "
        "→ access and refresh tokens",
    )
    steps.add_row(
        "5",
        "Create a contact",
        f"POST {API}/contacts with a birthday in the coming week → 201",
    )
    steps.add_row(
        "6",
        "Birthdays",
        f"GET {API}/contacts/birthdays?days=7 → your contact with days_until; "
        "the second call is served from the cache",
    )
    return steps


def show_banner(config: DemoConfig) -> None:
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("Swagger UI", f"{config.base_url}/docs")
    facts.add_row("Health check", f"{config.base_url}/health")
    facts.add_row("Mail", f"SMTP sink on 127.0.0.1:{config.smtp_port}: emails are printed here")
    facts.add_row("Data", f"{config.workdir} (SQLite + media; delete it to start over)")
    if config.seed:
        facts.add_row("Demo user", f"{DEMO_EMAIL} / {DEMO_PASSWORD} (verified, with contacts)")
    facts.add_row("Stop", "Ctrl+C")
    console.print(
        Panel(facts, title="Contacts API demo is running", border_style="green", expand=False)
    )
    console.print(walkthrough(config))


class DemoServer(uvicorn.Server):
    """uvicorn, plus the banner once the socket is listening."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            self._on_started()


# --- Process state that the in-process server needs ------------------------------------------


@contextmanager
def app_process_state(config: DemoConfig) -> Iterator[None]:
    """Settings in os.environ, cwd in the working folder, solution/ importable; all undone after."""
    saved_env = {name: os.environ.get(name) for name in config.environment()}
    saved_cwd = Path.cwd()
    os.environ.update(config.environment())
    os.chdir(config.workdir)  # app/core/config.py and SlowAPI read `.env` from the cwd
    sys.path.insert(0, str(config.solution))
    try:
        yield
    finally:
        sys.path.remove(str(config.solution))
        os.chdir(saved_cwd)
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the demo the way Ctrl-C does: through the `finally` blocks."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _check_app_not_imported(modules: Mapping[str, object]) -> None:
    if "app.core.config" in modules:
        raise DemoError("the contacts API is already imported in this process: run the demo alone")


def run(host: str, port: int, seed: bool, *, workdir: Path | None = None) -> None:
    """Serve the finished API on embedded defaults until Ctrl-C."""
    paths = CoursePaths.default()
    folder = (workdir or default_workdir(paths)).resolve()
    try:
        with sigterm_as_interrupt():
            _run(host, port, seed, paths.source, folder)
    except DemoError as exc:
        console.print(f"course demo: {exc}", style="bold red", markup=False)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        pass
    console.print("[bold]Demo stopped.[/]")


def _run(host: str, port: int, seed: bool, solution: Path, workdir: Path) -> None:
    if not (solution / "app" / "main.py").is_file():
        raise DemoError(f"no contacts API in {solution}")
    _check_app_not_imported(sys.modules)
    if not port_is_free(host, port):
        raise DemoError(f"port {port} on {host} is busy: choose another one with --port")

    config = DemoConfig(host, port, seed, solution, workdir, smtp_port=free_port())
    config.media.mkdir(parents=True, exist_ok=True)
    console.rule("[bold]course demo: the finished contacts API, no services needed")
    console.print(f"Database: {config.database} (alembic upgrade head) ...")
    migrate(config)
    if seed:
        seed_data(config)

    with smtp_sink(config.smtp_port), app_process_state(config):
        server = DemoServer(
            uvicorn.Config("app.main:app", host=host, port=port, log_level="info"),
            on_started=lambda: show_banner(config),
        )
        server.run()
