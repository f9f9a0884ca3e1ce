"""Benchmark of the contacts API through a real HTTP server (uvicorn on 127.0.0.1).

    cd /work/main && uv run python benchmarks/bench_api.py [--postgres URL] [--redis URL]

1. GET /api/v1/contacts/birthdays?days=7 over 10,000 contacts of one user: cache miss vs hit
   (HTTP, and the service functions called directly).
2. Authenticated GET /api/v1/contacts vs a bare endpoint: requests/s and the ratio.
3. /health latency while 8 logins verify cost-12 bcrypt hashes concurrently.

A benchmark, not a test: it prints PASS/MISS next to each target and exits 0. The server runs in
a child process (this script with --serve) that imports the app and mounts three bench-only routes
on the app object (/bench/bare, /bench/invalidate/{user_id}, /bench/cached/{user_id}); the app's
source is not changed.
"""

import argparse
import asyncio
import http.client
import json
import os
import platform
import random
import secrets
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import httpx

from course.processes import free_port

if TYPE_CHECKING:
    from fastapi import FastAPI
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncSession

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_DIR = ROOT / "solution"
HOST = "127.0.0.1"
PASSWORD = "bench-password-123"
BCRYPT_ROUNDS = 12
CONTACTS = 10_000
DAYS = 7
SPEEDUP_TARGET = 10.0
CONTACTS_RATIO_TARGET = 0.5  # authenticated GET /contacts (100 items) vs the bare route, req/s
HEALTH_P99_TARGET_MS = 50.0
MAX_LOGINS_PER_WORKER = 40  # bounds the login loops even if the poller dies early
BIRTHDAYS = "/api/v1/contacts/birthdays"
CONTACTS_PAGE = "/api/v1/contacts"
DEEPER_PAGE = "/api/v1/contacts?skip=100"


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Options:
    postgres: str | None
    redis: str | None
    uncached: int
    cached: int
    requests: int
    concurrency: int
    polls: int
    logins: int


def parse_args(argv: list[str]) -> tuple[Options, int | None]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="also run section 1 on PostgreSQL")
    parser.add_argument("--redis", metavar="URL", help="a real Redis instead of fakeredis")
    parser.add_argument("--uncached", type=int, default=50, help="rounds: one cache miss each")
    parser.add_argument("--cached", type=int, default=150, help="cache hits in all")
    parser.add_argument("--requests", type=int, default=600, help="requests per endpoint (2)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients (2)")
    parser.add_argument("--polls", type=int, default=200, help="/health polls (3)")
    parser.add_argument("--logins", type=int, default=8, help="concurrent logins (3)")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    ns = parser.parse_args(argv)
    opts = Options(
        ns.postgres,
        ns.redis,
        ns.uncached,
        ns.cached,
        ns.requests,
        ns.concurrency,
        ns.polls,
        ns.logins,
    )
    return opts, ns.serve


def async_db_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    return url


def configure_env(tmp: Path, opts: Options) -> None:
    """Settings are read once, at import (as in tests/conftest.py): set them before any import."""
    os.environ.update(
        ENVIRONMENT="development",
        DEBUG="false",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'bench.db'}",
        REDIS_URL=opts.redis or "memory://",
        BCRYPT_ROUNDS=str(BCRYPT_ROUNDS),
        RATE_LIMIT_ENABLED="false",  # 10 logins/minute per IP would turn section 3 into 429s
        MEDIA_DIR=str(tmp / "media"),
        JWT_SECRET_KEY=secrets.token_hex(16),
        JWT_REFRESH_SECRET=secrets.token_hex(16),
        EMAIL_TOKEN_SECRET=secrets.token_hex(16),
    )
    if str(SOLUTION_DIR) not in sys.path:
        sys.path.insert(0, str(SOLUTION_DIR))


# --------------------------------------------------------------------------- the server


def mount_bench_routes(app: "FastAPI") -> None:
    """Bench-only routes, added to the imported app object in the server process."""
    from app.api.deps import RedisDep, TodayDep
    from app.services.contacts import birthdays_cache_key
    from fastapi import Response

    @app.get("/bench/bare")
    async def bare() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/bench/invalidate/{user_id}")
    async def invalidate(user_id: int, redis: RedisDep, today: TodayDep) -> dict[str, int]:
        return {"deleted": await redis.delete(birthdays_cache_key(user_id, today))}

    @app.get("/bench/cached/{user_id}")
    async def cached(user_id: int, redis: RedisDep, today: TodayDep) -> Response:
        """The cached birthdays text after one Redis read and no authentication: what a hit
        costs at the least, so what bounds the HTTP speed-up on this machine and client."""
        text = await redis.hget(birthdays_cache_key(user_id, today), str(DAYS))
        return Response(content=text or "", media_type="application/json")


def die_with_parent() -> None:
    """Linux: the server gets SIGTERM when the benchmark dies without cleaning up (SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent was already gone
        sys.exit(1)


class ServerTiming:
    """Bench-only ASGI wrapper: `Server-Timing: app;dur=<ms>` on every response.

    The app's own time for a request, from its arrival to the start of the response (the
    routes measured build their whole body before that): no client, no network in it.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def send_timed(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                timing = f"app;dur={ms(time.perf_counter() - start):.3f}".encode()
                message["headers"] = [*message.get("headers", []), (b"server-timing", timing)]
            await send(message)

        await self.app(scope, receive, send_timed)


def serve(port: int) -> None:
    import uvicorn

    die_with_parent()
    sys.path.insert(0, str(SOLUTION_DIR))
    from app.main import app

    mount_bench_routes(app)
    uvicorn.run(ServerTiming(app), host=HOST, port=port, log_level="warning", access_log=False)


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int


async def wait_ready(proc: asyncio.subprocess.Process, base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as client:
        for _ in range(300):  # up to ~30 s
            if proc.returncode is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not become ready")


@asynccontextmanager
async def running_server(database_url: str, tmp: Path) -> AsyncIterator[Server]:
    """This script with --serve, in a child process: the server gets its own core."""
    port = free_port(HOST)
    env = os.environ | {"DATABASE_URL": database_url}
    script = str(Path(__file__).resolve())
    proc = await asyncio.create_subprocess_exec(
        sys.executable, script, "--serve", str(port), env=env, cwd=tmp
    )
    try:
        base_url = f"http://{HOST}:{port}"
        await wait_ready(proc, base_url)
        yield Server(base_url, proc.pid)
    finally:
        await stop(proc)


async def stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def server_cpu_seconds(pid: int) -> float | None:
    """utime + stime of the server process (all its threads), from /proc on Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class Seeded:
    db_url: str
    user_id: int
    email: str


def contact_rows(user_id: int) -> list[dict[str, Any]]:
    """10,000 contacts, birthdays spread over every day of the year (29 Feb included)."""
    rng = random.Random(14)
    names = ["Taras", "Lesya", "Ivan", "Olena", "Bohdan", "Marta", "Andriy", "Sofia"]
    rows = []
    for i in range(CONTACTS):
        year = rng.randrange(1950, 2010)
        birthday = date(year, 1, 1) + timedelta(days=rng.randrange(366 if year % 4 == 0 else 365))
        rows.append(
            {
                "first_name": rng.choice(names),
                "last_name": f"Bench{i:05d}",
                "email": f"contact{i}@bench.example.com",
                "phone": f"+38050{i:07d}",
                "birthday": birthday,
                "notes": None,
                "owner_id": user_id,
            }
        )
    return rows


async def seed(db_url: str, hashed_password: str) -> Seeded:
    """One verified user (cost-12 hash) and 10,000 contacts, inserted in one executemany."""
    from app.models import Base, Contact, User
    from sqlalchemy import insert
    from sqlalchemy.ext.asyncio import create_async_engine

    email = f"bench-{uuid.uuid4().hex[:12]}@bench.example.com"  # never collides with real data
    engine = create_async_engine(db_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)  # creates missing tables, drops nothing
            user = insert(User).values(
                email=email, hashed_password=hashed_password, full_name="Bench", is_verified=True
            )
            user_id = (await conn.execute(user.returning(User.id))).scalar_one()
            await conn.execute(insert(Contact), contact_rows(user_id))
    finally:
        await engine.dispose()
    return Seeded(db_url, user_id, email)


async def unseed(seeded: Seeded, redis_url: str) -> None:
    """Remove the bench user (contacts cascade) and its cache key: matters on real services."""
    from app.core.cache import create_redis
    from app.models import Contact, User
    from app.services.contacts import birthdays_cache_key
    from sqlalchemy import delete
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(seeded.db_url)
    async with engine.begin() as conn:
        await conn.execute(delete(Contact).where(Contact.owner_id == seeded.user_id))
        await conn.execute(delete(User).where(User.id == seeded.user_id))
    await engine.dispose()
    redis = create_redis(redis_url)
    await redis.delete(birthdays_cache_key(seeded.user_id, date.today()))
    await redis.aclose()


def auth_headers(email: str) -> dict[str, str]:
    from app.core.security import create_access_token

    return {"Authorization": f"Bearer {create_access_token(email)}"}


# --------------------------------------------------------------------------- statistics


def ms(seconds: float) -> float:
    return seconds * 1000


def pct(samples: list[float], q: int) -> float:
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


@dataclass(frozen=True)
class Latency:
    samples: list[float]
    server: list[float] = field(default_factory=list)  # the app's own part (Server-Timing), s

    @classmethod
    def joined(cls, parts: list["Latency"]) -> "Latency":
        return cls(
            [s for part in parts for s in part.samples], [s for part in parts for s in part.server]
        )

    @property
    def in_app(self) -> "Latency":
        return Latency(self.server)

    @property
    def p50(self) -> float:
        return ms(statistics.median(self.samples))

    @property
    def p95(self) -> float:
        return ms(pct(self.samples, 95))

    @property
    def p99(self) -> float:
        return ms(pct(self.samples, 99))

    @property
    def max(self) -> float:
        return ms(max(self.samples))

    def text(self, *tails: str) -> str:
        parts = [f"p50 {self.p50:7.2f} ms"] + [f"{t} {getattr(self, t):7.2f} ms" for t in tails]
        return "  ".join(parts)


def progress(text: str) -> None:
    """Progress goes to stderr: stdout keeps only the header and the table."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


@dataclass
class Report:
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def section(self, title: str) -> None:
        self.rows.append((title, "", "", ""))

    def add(self, label: str, value: str, target: str = "", result: str = "") -> None:
        self.rows.append(("  " + label, value, target, result))

    def note(self, text: str) -> None:
        self.rows.append(("  * " + text, "", "", ""))

    def print(self) -> None:
        body = [r for r in self.rows if r[1]]
        widths = [max(len(r[i]) for r in body) for i in range(3)]
        print(f"{'figure':<{widths[0]}}  {'value':<{widths[1]}}  {'target':<{widths[2]}}  result")
        print("-" * (sum(widths) + 14))
        for label, value, target, result in self.rows:
            if not value:
                print(("\n" if not label.startswith("  ") else "") + label)
                continue
            print(f"{label:<{widths[0]}}  {value:<{widths[1]}}  {target:<{widths[2]}}  {result}")


# --------------------------------------------------------------------------- HTTP helpers


def new_client(server: Server) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    return httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=60)


@dataclass(frozen=True)
class LeanResponse:
    status_code: int
    headers: dict[str, str]  # names in lower case
    content: bytes
    elapsed: timedelta  # request sent to body read, as httpx.Response.elapsed

    def json(self) -> Any:
        return json.loads(self.content)


class LeanClient:
    """Section 1's client: one keep-alive connection of the standard library's http.client.

    A latency figure holds the client's own cost. httpx's AsyncClient spends ~0.75 ms of Python
    on every request here, http.client ~0.2 ms: with httpx, that fixed cost alone would cap the
    measured speed-up of a cache hit, whatever the server did. Each request runs in a worker
    thread (the event loop stays free) and is timed there, so the hop is not in the figure.
    """

    def __init__(self, base_url: str) -> None:
        url = urlsplit(base_url)
        self._connection = http.client.HTTPConnection(url.hostname or HOST, url.port, timeout=60)

    def _send(self, method: str, target: str, headers: dict[str, str]) -> LeanResponse:
        start = time.perf_counter()
        self._connection.request(method, target, headers=headers)
        response = self._connection.getresponse()
        body = response.read()
        elapsed = timedelta(seconds=time.perf_counter() - start)
        names = {name.lower(): value for name, value in response.getheaders()}
        return LeanResponse(response.status, names, body, elapsed)

    async def get(
        self,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> LeanResponse:
        target = f"{path}?{urlencode(params)}" if params else path
        return await asyncio.to_thread(self._send, "GET", target, headers or {})

    async def post(self, path: str) -> LeanResponse:
        return await asyncio.to_thread(self._send, "POST", path, {"Content-Length": "0"})

    def close(self) -> None:
        self._connection.close()


Response = httpx.Response | LeanResponse


async def timed(call: Callable[[], Awaitable[httpx.Response]]) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    response = await call()
    return time.perf_counter() - start, response


def app_seconds(response: Response) -> float | None:
    """The app's own time from the bench server's `Server-Timing: app;dur=<ms>` header."""
    name, _, duration = response.headers.get("server-timing", "").partition(";dur=")
    return float(duration) / 1000 if name == "app" and duration else None


async def latencies(
    call: Callable[[], Awaitable[Response]], n: int, statuses: Counter[int]
) -> Latency:
    """Request to body read, as each client times it (`elapsed`): its own wait is not in it."""
    samples, server = [], []
    for _ in range(n):
        response = await call()
        statuses[response.status_code] += 1
        samples.append(response.elapsed.total_seconds())
        if (in_app := app_seconds(response)) is not None:
            server.append(in_app)
    return Latency(samples, server)


def status_text(statuses: Counter[int]) -> str:
    return ", ".join(f"{code}x{count}" for code, count in sorted(statuses.items()))


# --------------------------------------------------------------------------- 1. birthdays


@dataclass(frozen=True)
class BirthdayFigures:
    miss: Latency
    hit: Latency
    first_hit: Latency  # of which: the first hit after each miss
    misses_confirmed: int
    found: int
    body_kb: float
    statuses: Counter[int]


def hits_per_round(opts: Options) -> int:
    return max(1, round(opts.cached / max(opts.uncached, 1)))


async def bench_birthdays_http(
    client: LeanClient, seeded: Seeded, opts: Options
) -> BirthdayFigures:
    """Rounds of: invalidate (untimed), one miss, k hits; interleaved, so both see the same load."""
    headers = auth_headers(seeded.email)
    statuses: Counter[int] = Counter()

    def get() -> Awaitable[LeanResponse]:
        return client.get(BIRTHDAYS, params={"days": DAYS}, headers=headers)

    async def invalidate() -> int:
        return (await client.post(f"/bench/invalidate/{seeded.user_id}")).json()["deleted"]

    for _ in range(5):  # warm-up: connections, statement caches, imports
        await invalidate()
        await get()
    misses, miss, hit = 0, [], []
    for _ in range(opts.uncached):
        misses += await invalidate()  # 1 = the previous requests had written the key
        miss.append(await latencies(get, 1, statuses))
        hit.append(await latencies(get, hits_per_round(opts), statuses))
    last = await get()
    found, kb = len(last.json()), len(last.content) / 1024
    first = Latency([h.samples[0] for h in hit], [h.server[0] for h in hit if h.server])
    return BirthdayFigures(
        Latency.joined(miss), Latency.joined(hit), first, misses, found, kb, statuses
    )


@dataclass(frozen=True)
class FixedCost:
    bare: Latency  # a route that answers a constant
    me: Latency  # GET /users/me: the auth dependency and a tiny JSON
    floor: Latency  # the cached birthdays body after one Redis read, no auth
    floor_kb: float


async def bench_fixed_cost(client: LeanClient, seeded: Seeded) -> FixedCost:
    """Run after the birthdays rounds, which leave the cache key in place for the floor."""
    headers = auth_headers(seeded.email)
    statuses: Counter[int] = Counter()
    bare = await latencies(lambda: client.get("/bench/bare"), 100, statuses)
    me = await latencies(lambda: client.get("/api/v1/users/me", headers=headers), 100, statuses)
    floor_path = f"/bench/cached/{seeded.user_id}"
    floor = await latencies(lambda: client.get(floor_path), 100, statuses)
    floor_kb = len((await client.get(floor_path)).content) / 1024
    return FixedCost(bare, me, floor, floor_kb)


@dataclass(frozen=True)
class ServiceFigures:
    plain: Latency
    miss: Latency
    hit: Latency
    decode: Latency  # json.loads + model_validate of the cached list: a hit skips them
    emails: Latency  # of which: EmailStr validation of the cached emails alone


async def time_in_session(
    factory: Callable[[], "AsyncSession"], call: Callable[["AsyncSession"], Awaitable[object]]
) -> float:
    """One call in a fresh session, as in a request."""
    async with factory() as session:
        start = time.perf_counter()
        await call(session)
        return time.perf_counter() - start


def time_sync(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def decoders(cached_json: str) -> tuple[Callable[[], object], Callable[[], object]]:
    """What a hit saves by answering the cached text as it is: decoding, re-validating."""
    import json

    from app.schemas.contact import BirthdayContact
    from pydantic import EmailStr, TypeAdapter

    emails = [item["email"] for item in json.loads(cached_json)]
    email_list = TypeAdapter(list[EmailStr])

    def decode() -> object:
        return [BirthdayContact.model_validate(item) for item in json.loads(cached_json)]

    return decode, lambda: email_list.validate_python(emails)


SERVICE_FIGURES = ("plain", "miss", "hit", "decode", "emails")
SessionCall = Callable[["AsyncSession"], Awaitable[object]]


async def service_rounds(
    factory: Callable[[], "AsyncSession"],
    redis: "Redis",
    key: str,
    calls: tuple[SessionCall, SessionCall],
    opts: Options,
) -> dict[str, list[float]]:
    """Interleaved rounds, as over HTTP: plain, miss, k hits, then a hit's decoding alone."""
    plain, cached = calls
    samples: dict[str, list[float]] = {name: [] for name in SERVICE_FIGURES}
    for _ in range(5):  # warm-up
        await time_in_session(factory, plain)
    for _ in range(opts.uncached):
        samples["plain"].append(await time_in_session(factory, plain))
        await redis.delete(key)
        samples["miss"].append(await time_in_session(factory, cached))
        for _ in range(hits_per_round(opts)):
            samples["hit"].append(await time_in_session(factory, cached))
        decode, emails = decoders(await redis.hget(key, str(DAYS)))
        samples["decode"].append(time_sync(decode))
        samples["emails"].append(time_sync(emails))
    return samples


async def bench_birthdays_service(seeded: Seeded, redis_url: str, opts: Options) -> ServiceFigures:
    """upcoming_birthdays vs upcoming_birthdays_cached, called directly (no HTTP, no auth)."""
    from app.core.cache import create_redis
    from app.models import User
    from app.services.contacts import (
        birthdays_cache_key,
        upcoming_birthdays,
        upcoming_birthdays_cached,
    )
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    engine = create_async_engine(seeded.db_url)
    factory = async_sessionmaker(engine, expire_on_commit=False)
    redis = create_redis(redis_url)
    today = date.today()
    key = birthdays_cache_key(seeded.user_id, today)
    try:
        async with factory() as session:
            owner = await session.get(User, seeded.user_id)
        if owner is None:
            raise RuntimeError("the seeded user is missing")

        async def plain(s: "AsyncSession") -> object:
            return await upcoming_birthdays(s, owner, today, DAYS)

        async def cached(s: "AsyncSession") -> object:
            return await upcoming_birthdays_cached(s, redis, owner, today, DAYS)

        samples = await service_rounds(factory, redis, key, (plain, cached), opts)
        await redis.delete(key)
    finally:
        await redis.aclose()
        await engine.dispose()
    return ServiceFigures(*(Latency(samples[name]) for name in SERVICE_FIGURES))


def speedup(slow: Latency, fast: Latency) -> str:
    return f"{slow.p50 / fast.p50:5.1f}x / {slow.p95 / fast.p95:5.1f}x"


def meets(slow: Latency, fast: Latency) -> bool:
    """The target is judged on the medians; p95 is shown beside it."""
    return slow.p50 / fast.p50 >= SPEEDUP_TARGET


def report_birthdays(report: Report, name: str, http: BirthdayFigures, opts: Options) -> None:
    target = f">= {SPEEDUP_TARGET:.0f}x"
    report.section(f"1. Birthdays ?days={DAYS}, {CONTACTS:,} contacts of one user [{name}]")
    report.add("contacts in the window / body", f"{http.found} items, {http.body_kb:.1f} KiB")
    report.add("cache misses confirmed (HTTP)", f"{http.misses_confirmed}/{opts.uncached} deleted")
    report.add("HTTP statuses", status_text(http.statuses))
    report.add(f"HTTP uncached (n={len(http.miss.samples)})", http.miss.text("p95"))
    report.add(f"HTTP cached   (n={len(http.hit.samples)})", http.hit.text("p95"))
    report.add(
        "HTTP speed-up (p50 / p95)",
        speedup(http.miss, http.hit),
        target,
        verdict(meets(http.miss, http.hit)),
    )
    report.add(
        f"  of which the first hit after a miss (n={len(http.first_hit.samples)})",
        f"{http.first_hit.text('p95')}  {http.miss.p50 / http.first_hit.p50:.1f}x",
    )
    report.add("  in the app, uncached", http.miss.in_app.text("p95"))
    report.add("  in the app, cached", http.hit.in_app.text("p95"))
    report.add(
        "  in the app: speed-up (p50 / p95)",
        speedup(http.miss.in_app, http.hit.in_app),
        target,
        verdict(meets(http.miss.in_app, http.hit.in_app)),
    )
    report.note(
        "'in the app': the server's own time per request (Server-Timing), without the client "
        "and the network"
    )


def report_service(report: Report, svc: ServiceFigures) -> None:
    target = f">= {SPEEDUP_TARGET:.0f}x"
    report.add(f"service upcoming_birthdays (n={len(svc.plain.samples)})", svc.plain.text("p95"))
    report.add(f"service cached, miss (n={len(svc.miss.samples)})", svc.miss.text("p95"))
    report.add(f"service cached, hit  (n={len(svc.hit.samples)})", svc.hit.text("p95"))
    report.add("  skipped by a hit: loads + validate", svc.decode.text("p95"))
    report.add("  EmailStr of those items alone", svc.emails.text("p95"))
    for label, slow in (("plain", svc.plain), ("miss", svc.miss)):
        report.add(
            f"service {label} / hit (p50 / p95)",
            speedup(slow, svc.hit),
            target,
            verdict(meets(slow, svc.hit)),
        )


def report_fixed_cost(report: Report, fixed: FixedCost, http: BirthdayFigures) -> None:
    bare, me, floor = fixed.bare, fixed.me, fixed.floor
    report.add("fixed cost: GET /bench/bare", bare.text("p95"))
    report.add("fixed cost: GET /users/me (auth)", me.text("p95"))
    report.add(
        "  of which in the app: bare / users/me", f"{bare.in_app.p50:.2f} / {me.in_app.p50:.2f} ms"
    )
    report.note(
        f"a cached birthdays request = /users/me ({me.p50:.2f} ms) + "
        f"{http.hit.p50 - me.p50:.2f} ms for the cache read and {http.found} items at p50"
    )
    report.add(
        f"floor of a hit: 1 Redis read, no auth, {fixed.floor_kb:.1f} KiB", floor.text("p95")
    )
    report.add(
        "  HTTP speed-up that floor allows (p50)",
        f"{http.miss.p50 / floor.p50:5.1f}x  (in the app {http.miss.in_app.p50 / floor.in_app.p50:.1f}x)",
    )
    report.note(
        "a hit over HTTP cannot be faster than that floor: the client and the transfer of the body "
        "are in both, so a speed-up above it needs a cheaper client, not a cheaper hit"
    )
    report.note(
        "section 1 over HTTP: one keep-alive connection of http.client (stdlib), ~0.2 ms of client "
        "per request; sections 2 and 3: httpx.AsyncClient, ~0.75 ms"
    )


def report_conclusion(report: Report, http: BirthdayFigures, svc: ServiceFigures) -> None:
    levels = {
        "HTTP": meets(http.miss, http.hit),
        "HTTP in the app": meets(http.miss.in_app, http.hit.in_app),
        "service plain/hit": meets(svc.plain, svc.hit),
        "service miss/hit": meets(svc.miss, svc.hit),
    }
    met = [name for name, ok in levels.items() if ok]
    text = ", ".join(met) if met else "none of " + ", ".join(levels)
    report.note(f"the >= {SPEEDUP_TARGET:.0f}x target is met by: {text}")


# --------------------------------------------------------------------------- 2. throughput


@dataclass(frozen=True)
class Throughput:
    rps: float
    wall: float
    server_cpu_ms: float | None
    client_cpu_pct: float
    statuses: Counter[int]


async def throughput(
    client: httpx.AsyncClient, server: Server, path: str, headers: dict[str, str], opts: Options
) -> Throughput:
    """`opts.concurrency` workers share a fixed budget of `opts.requests` requests."""
    budget = iter(range(opts.requests))
    statuses: Counter[int] = Counter()

    async def worker() -> None:
        for _ in budget:  # the shared iterator bounds the whole run
            statuses[(await client.get(path, headers=headers)).status_code] += 1

    for _ in range(20):  # warm-up
        await client.get(path, headers=headers)
    cpu0, proc0, start = server_cpu_seconds(server.pid), time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(opts.concurrency)))
    wall = time.perf_counter() - start
    cpu1 = server_cpu_seconds(server.pid)
    server_ms = None if cpu0 is None or cpu1 is None else ms(cpu1 - cpu0) / opts.requests
    client_pct = 100 * (time.process_time() - proc0) / wall
    return Throughput(opts.requests / wall, wall, server_ms, client_pct, statuses)


def report_throughput(
    report: Report, bare: Throughput, auth: Throughput, deeper: Throughput, opts: Options
) -> None:
    report.section(
        f"2. Throughput: {opts.requests} requests per endpoint, {opts.concurrency} concurrent"
    )
    rows = (
        ("GET /bench/bare", bare),
        (f"GET {CONTACTS_PAGE} (auth, 100 items)", auth),
        (f"  GET {DEEPER_PAGE} (not cached)", deeper),
    )
    for label, t in rows:
        cpu = "n/a" if t.server_cpu_ms is None else f"{t.server_cpu_ms:.2f} ms"
        report.add(
            label,
            f"{t.rps:7.1f} req/s  in {t.wall:5.2f} s  server CPU {cpu}/req  "
            f"client CPU {t.client_cpu_pct:3.0f}%  [{status_text(t.statuses)}]",
        )
    ratio = auth.rps / bare.rps
    report.add(
        "ratio contacts / bare (req/s)",
        f"{ratio:.3f}",
        f">= {CONTACTS_RATIO_TARGET}",
        verdict(ratio >= CONTACTS_RATIO_TARGET),
    )
    if bare.server_cpu_ms and auth.server_cpu_ms:
        report.add(
            "ratio of server CPU per request", f"{auth.server_cpu_ms / bare.server_cpu_ms:.1f}x"
        )
    if bare.client_cpu_pct > 80:
        report.note("the bare run is client-bound (client CPU ~100%): its req/s is a floor")
    report.note(
        f"{CONTACTS_PAGE} is the first page, cached with the day's birthdays (first_page_cached): "
        "the warm-up request fills it, the timed ones are hits; a later page always reads the "
        "database"
    )


# --------------------------------------------------------------------------- 3. health + bcrypt


@dataclass(frozen=True)
class HealthFigures:
    idle: Latency
    busy: Latency
    login: Latency
    min_in_flight: int
    login_statuses: Counter[int]
    health_statuses: Counter[int]


async def bench_health_under_bcrypt(
    client: httpx.AsyncClient, seeded: Seeded, opts: Options
) -> HealthFigures:
    health_statuses: Counter[int] = Counter()
    idle = await latencies(lambda: client.get("/health"), opts.polls, health_statuses)
    done = asyncio.Event()
    in_flight = [0]
    login_samples: list[float] = []
    login_statuses: Counter[int] = Counter()
    form = {"username": seeded.email, "password": PASSWORD}

    async def login_loop() -> None:
        for _ in range(MAX_LOGINS_PER_WORKER):
            if done.is_set():
                return
            in_flight[0] += 1
            elapsed, response = await timed(lambda: client.post("/api/v1/auth/login", data=form))
            in_flight[0] -= 1
            login_statuses[response.status_code] += 1
            login_samples.append(elapsed)

    async def poll() -> tuple[Latency, int]:
        try:
            await asyncio.sleep(0.3)  # let the first hashes start
            samples, low = [], opts.logins
            for _ in range(opts.polls):
                low = min(low, in_flight[0])
                response = await client.get("/health")
                health_statuses[response.status_code] += 1
                samples.append(response.elapsed.total_seconds())  # as `latencies` times the idle
                await asyncio.sleep(0.02)
            return Latency(samples), low
        finally:
            done.set()

    logins = [asyncio.create_task(login_loop()) for _ in range(opts.logins)]
    busy, low = await poll()
    await asyncio.gather(*logins)
    return HealthFigures(idle, busy, Latency(login_samples), low, login_statuses, health_statuses)


def report_health(report: Report, h: HealthFigures, opts: Options) -> None:
    target = f"p99 < {HEALTH_P99_TARGET_MS:.0f} ms"
    report.section(f"3. /health while {opts.logins} logins verify cost-{BCRYPT_ROUNDS} bcrypt")
    report.add(f"/health idle (n={opts.polls})", h.idle.text("p99", "max"))
    report.add(
        f"/health under load (n={opts.polls})",
        h.busy.text("p99", "max"),
        target,
        verdict(h.busy.p99 < HEALTH_P99_TARGET_MS),
    )
    report.add(f"login (n={len(h.login.samples)})", h.login.text("p95", "max"))
    report.add("logins in flight at each poll", f">= {h.min_in_flight} of {opts.logins}")
    report.add(
        "statuses login / health",
        f"{status_text(h.login_statuses)} / {status_text(h.health_statuses)}",
    )


# --------------------------------------------------------------------------- the run


def versions() -> str:
    names = ["fastapi", "uvicorn", "sqlalchemy", "httpx", "bcrypt", "fakeredis", "uvloop"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(found)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def print_header(opts: Options, backends: list[tuple[str, str]]) -> None:
    from app.core.config import settings

    print("Contacts API benchmark")
    print(f"machine : nproc {os.cpu_count()}, {cpu_model()}, {platform.platform()}")
    print(f"load    : {load_average()} (1/5/15 min; other processes make the figures noisy)")
    print(f"python  : {platform.python_version()} ({sys.executable})")
    print(f"libs    : {versions()}")
    print(
        "server  : uvicorn, 1 worker, 127.0.0.1, log_level=warning, access_log off, child process"
    )
    for name, url in backends:
        print(f"database: {name}: {hide_password(url)}")
    print(
        f"redis   : {settings.REDIS_URL} ({'fakeredis, per process' if not opts.redis else 'real'})"
    )
    print(
        f"settings: BCRYPT_ROUNDS={settings.BCRYPT_ROUNDS}, "
        f"RATE_LIMIT_ENABLED={settings.RATE_LIMIT_ENABLED}, ENVIRONMENT={settings.ENVIRONMENT}, "
        f"BIRTHDAYS_CACHE_TTL_SECONDS={settings.BIRTHDAYS_CACHE_TTL_SECONDS}"
    )
    print(
        f"workload: {CONTACTS:,} contacts, days={DAYS}, uncached n={opts.uncached}, "
        f"cached n={opts.cached}, throughput {opts.requests} req x {opts.concurrency} clients, "
        f"{opts.polls} /health polls vs {opts.logins} logins"
    )
    print()


async def hash_bench_password() -> str:
    from app.core.security import hash_password

    hashed = await hash_password(PASSWORD)
    if not hashed.startswith(f"$2b${BCRYPT_ROUNDS}$"):
        raise RuntimeError(f"expected a cost-{BCRYPT_ROUNDS} bcrypt hash, got {hashed[:7]}")
    return hashed


async def run_backend(
    report: Report, name: str, db_url: str, tmp: Path, opts: Options, full: bool
) -> None:
    """Seed, start a server on this database, run section 1 (and 2 + 3 when `full`)."""
    redis_url = os.environ["REDIS_URL"]
    progress(f"[{name}] seeding {CONTACTS:,} contacts")
    seeded = await seed(db_url, await hash_bench_password())
    try:
        async with running_server(db_url, tmp) as server, new_client(server) as client:
            progress(f"[{name}] 1. birthdays over HTTP")
            with closing(LeanClient(server.base_url)) as lean:
                http = await bench_birthdays_http(lean, seeded, opts)
                fixed = await bench_fixed_cost(lean, seeded)
            if full:
                progress(f"[{name}] 2. throughput")
                bare = await throughput(client, server, "/bench/bare", {}, opts)
                headers = auth_headers(seeded.email)
                auth = await throughput(client, server, CONTACTS_PAGE, headers, opts)
                deeper = await throughput(client, server, DEEPER_PAGE, headers, opts)
                progress(f"[{name}] 3. /health under bcrypt")
                health = await bench_health_under_bcrypt(client, seeded, opts)
        progress(f"[{name}] 1. birthdays, service level")
        svc = await bench_birthdays_service(seeded, redis_url, opts)
    finally:
        await unseed(seeded, redis_url)
    report_birthdays(report, name, http, opts)
    report_service(report, svc)
    report_fixed_cost(report, fixed, http)
    report_conclusion(report, http, svc)
    if full:
        report_throughput(report, bare, auth, deeper, opts)
        report_health(report, health, opts)


async def run(opts: Options, tmp: Path) -> Report:
    task = asyncio.current_task()
    if task is not None:  # SIGTERM cancels like Ctrl-C does: the servers are stopped
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    backends = [("sqlite", os.environ["DATABASE_URL"])]
    if opts.postgres:
        backends.append(("postgresql", async_db_url(opts.postgres)))
    print_header(opts, backends)
    report = Report()
    for index, (name, url) in enumerate(backends):
        await run_backend(report, name, url, tmp, opts, full=index == 0)
    return report


def summary(report: Report) -> None:
    results = [r[3] for r in report.rows if r[3] in ("PASS", "MISS")]
    print(f"\ntargets: {results.count('PASS')} PASS, {results.count('MISS')} MISS")


@contextmanager
def temp_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="contacts-bench-") as name:
        yield Path(name)


def main(argv: list[str]) -> int:
    opts, serve_port = parse_args(argv)
    if serve_port is not None:
        serve(serve_port)
        return 0
    started = time.perf_counter()
    with temp_dir() as tmp:
        configure_env(tmp, opts)
        try:
            report = asyncio.run(run(opts, tmp))
        except (asyncio.CancelledError, KeyboardInterrupt):
            print("interrupted: servers stopped, temp dir removed", file=sys.stderr)
            return 130
    report.print()
    summary(report)
    print(f"load average at the end: {load_average()}")
    print(f"total run time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
