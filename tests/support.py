"""What several of the package's tests need: scripts as modules, schema checks, real services."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from redis import Redis
from redis.exceptions import RedisError

from course.build import Snapshot, load_sources, render_stage
from course.manifest import load_manifest

ROOT = Path(__file__).resolve().parent.parent


def load_script(path: Path, name: str) -> ModuleType:
    """A script (not part of any package) imported as the module `name`."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@cache
def rendered_solution() -> Snapshot:
    """solution/ at its own stage, the markers cut out: the homework's answers, its "solved"."""
    manifest = load_manifest()
    return render_stage(load_sources(ROOT / "solution", manifest), manifest.source_stage)


def service_missing(reason: str) -> None:
    """Skip a test whose real service is not there, except in CI (`CI` set): fail there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@contextmanager
def reachable_redis(url: str, *, decode_responses: bool = False) -> Iterator[Redis]:
    """A client of the real Redis at `url`; the test skips (fails in CI) when it does not answer."""
    client = Redis.from_url(
        url, decode_responses=decode_responses, socket_connect_timeout=2, socket_timeout=2
    )
    try:
        try:
            client.ping()
        except RedisError as exc:
            service_missing(f"Redis is not reachable at {url}: {exc!r}")
        yield client
    finally:
        client.close()


def check_schema(schema: str, *files: Path) -> tuple[int, str]:
    """`check-jsonschema --builtin-schema SCHEMA FILES`, in-process (its import costs seconds)."""
    try:
        from check_jsonschema import main
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("check-jsonschema is not installed")
        pytest.skip("check-jsonschema is not installed")
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["--builtin-schema", schema, *map(str, files)])
    return result.exit_code, result.output


class Background:
    """Two workers for the module's slow jobs; results are awaited by the tests that need them."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="background")
        self.jobs: dict[Any, Future[Any]] = {}

    def submit(self, key: Any, job: Callable[[], Any]) -> None:
        if key not in self.jobs:
            self.jobs[key] = self.pool.submit(job)

    def result(self, key: Any, job: Callable[[], Any], timeout: float) -> Any:
        self.submit(key, job)
        return self.jobs[key].result(timeout=timeout)

    def close(self) -> None:
        for future in self.jobs.values():
            future.cancel()
        self.pool.shutdown(wait=True)


def selected(request: pytest.FixtureRequest, test: str, param: str) -> set[Any]:
    """The values of `param` of the selected items of test function `test` in this module."""
    return {
        item.callspec.params[param]
        for item in request.session.items
        if item.path == request.path
        and getattr(item, "originalname", "") == test
        and hasattr(item, "callspec")
    }
