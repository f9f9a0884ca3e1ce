"""A request the student's app never answers is named, and an endpoint hangs once per run.

The limits are shrunk to hundredths of a second: what is tested is which request gets which
limit and what the reason says, not how long a limit is.
"""

import asyncio
from typing import Any

import httpx
import pytest

from course import grader_plugin

PER_REQUEST = 0.02  # half the checkpoint's limit below
AGAIN = 0.01


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["path"] == "/hang":
        await asyncio.Event().wait()
    if scope["path"] == "/own-timeout":
        raise TimeoutError("the app's own time-out")
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture(autouse=True)
def short_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grader_plugin, "_timeout", [2 * PER_REQUEST])
    monkeypatch.setattr(grader_plugin, "HUNG_AGAIN_LIMIT", AGAIN)
    monkeypatch.setattr(grader_plugin, "_hung", set())


def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=grader_plugin._watch_hangs(app))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_the_first_hang_names_the_endpoint_the_next_one_fails_fast() -> None:
    async with client() as api:
        with pytest.raises(grader_plugin.EndpointHungError) as first:
            await api.post("/hang")
        with pytest.raises(grader_plugin.EndpointHungError) as again:
            await api.post("/hang")
    assert (first.value.limit, first.value.again) == (PER_REQUEST, False)
    assert first.value.reason == (
        f"Перевищено ліміт часу {PER_REQUEST:g} с: POST /hang не відповів (код завис)"
    )
    assert (again.value.limit, again.value.again) == (AGAIN, True)
    assert "POST /hang уже зависав у попередній перевірці" in again.value.reason


async def test_other_endpoints_keep_their_limit_and_answer() -> None:
    async with client() as api:
        with pytest.raises(grader_plugin.EndpointHungError):
            await api.get("/hang")
        assert grader_plugin._request_limit("GET /ok") == PER_REQUEST
        assert (await api.get("/ok")).text == "ok"
        assert grader_plugin._hung == {"GET /hang"}


async def test_the_apps_own_timeout_error_is_not_a_hang() -> None:
    async with client() as api:
        with pytest.raises(TimeoutError, match="the app's own time-out"):
            await api.get("/own-timeout")
    assert grader_plugin._hung == set()
