"""standalone_examples/04_rate_limiting.py served for real: of 7 POSTs, 5 pass and 2 get 429.

The script runs as a child process on a free port, once with counters in memory and once in
Redis (127.0.0.1:6379, db 13), where two instances must share one limit. Waits are bounded polls
with a deadline. The Redis test skips when Redis is not there, except in CI (`CI` set).
"""

from __future__ import annotations

import re
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from child_processes import STOP_SECONDS, Output, child_env, poll, running
from redis import Redis
from support import load_script, reachable_redis

from course.processes import free_port, stop_tree

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "standalone_examples" / "04_rate_limiting.py"
REDIS_URL = "redis://127.0.0.1:6379/13"
CREDENTIALS = {"email": "x@x.com", "password": "123"}
STARTUP_SECONDS = 30.0
POLL_INTERVAL = 0.1
SCRUBBED = ("REDIS_URL", "RATE_LIMIT_PREFIX")  # the script's own settings


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[str]
    output: Output


def wait_ready(server: Server) -> None:
    def answers() -> bool | None:
        if server.process.poll() is not None:
            pytest.fail(f"exited with {server.process.returncode}:\n{server.output.text()}")
        try:
            return (
                httpx.get(f"{server.base_url}/openapi.json", timeout=2).status_code == 200 or None
            )
        except httpx.TransportError:
            return None

    poll(answers, STARTUP_SECONDS, f"{server.base_url} to answer", POLL_INTERVAL)


@contextmanager
def serving(env: dict[str, str]) -> Iterator[Server]:
    port = free_port()
    command = [sys.executable, str(SCRIPT), "--port", str(port)]
    with running(command, env=env, cwd=ROOT) as (process, output):
        server = Server(f"http://127.0.0.1:{port}", process, output)
        try:
            wait_ready(server)
            yield server
        finally:
            stop_tree(process, signal.SIGINT, STOP_SECONDS)  # Ctrl+C: uvicorn shuts down cleanly


def post(server: Server, path: str) -> httpx.Response:
    return httpx.post(f"{server.base_url}{path}", json=CREDENTIALS, timeout=5)


def assert_limited(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 429, response.text
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert response.json() == {"error": f"Rate limit exceeded: {limit} per 1 minute"}


def test_defaults_match_the_lesson_plan_and_hide_a_redis_password() -> None:
    example = load_script(SCRIPT, "example_04_rate_limiting")
    args = example.parse_args([])
    assert (args.host, args.port) == ("127.0.0.1", 8001)
    assert example.parse_args(["--host", "0.0.0.0", "--port", "9000"]).port == 9000
    assert "memory://" in example.describe_storage("memory://")
    described = example.describe_storage("redis://:s3cret@redis:6379/0")
    assert "redis://:***@redis:6379/0" in described and "s3cret" not in described


def test_in_memory_the_sixth_registration_gets_429_with_retry_after() -> None:
    with serving(child_env(drop=SCRUBBED)) as server:
        responses = [post(server, "/register") for _ in range(7)]
        logins = [post(server, "/login") for _ in range(11)]
        assert "у пам'яті процесу (memory://)" in server.output.text()

    assert [r.status_code for r in responses] == [201] * 5 + [429] * 2
    assert [r.headers["X-RateLimit-Remaining"] for r in responses[:5]] == ["4", "3", "2", "1", "0"]
    assert responses[0].json() == {"message": "x@x.com registered (demo: nothing is stored)"}
    for response in responses[5:]:
        assert_limited(response, 5)
    # /login has its own counter, and a larger limit.
    assert [r.status_code for r in logins] == [200] * 10 + [429]
    assert_limited(logins[-1], 10)
    assert server.process.returncode == 0, server.output.text()
    assert server.output.find(re.compile(r"Application shutdown complete")) is not None


@pytest.fixture
def redis_client() -> Iterator[Redis]:
    with reachable_redis(REDIS_URL) as client:
        yield client


def test_with_redis_two_instances_share_one_limit(redis_client: Redis) -> None:
    prefix = f"test04-{secrets.token_hex(6)}"  # this run's counters only
    env = child_env(drop=SCRUBBED, REDIS_URL=REDIS_URL, RATE_LIMIT_PREFIX=prefix)
    try:
        with ExitStack() as stack:
            first, second = (stack.enter_context(serving(env)) for _ in range(2))
            responses = [post(first, "/register") for _ in range(3)]
            responses += [post(second, "/register") for _ in range(4)]
            keys = [key.decode() for key in redis_client.scan_iter(match=f"*{prefix}*")]
            assert "у Redis (redis://127.0.0.1:6379/13)" in first.output.text()
    finally:
        redis_client.delete(*redis_client.scan_iter(match=f"*{prefix}*"))

    # The second instance knew about the first one's three requests: the counter is in Redis.
    assert [r.status_code for r in responses] == [201] * 5 + [429] * 2
    assert_limited(responses[-1], 5)
    assert len(keys) == 1 and "127.0.0.1" in keys[0] and "register" in keys[0], keys
