"""standalone_examples/05_redis_caching.py: the birthday arithmetic, cache-aside, and real runs.

The runs pin --today, so nothing here reads the clock. One run uses the real Redis
(127.0.0.1:6379, db 13) and skips when it is not there, except in CI (`CI` set).
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import fakeredis
import pytest
from child_processes import child_env
from redis import Redis
from support import load_script, reachable_redis

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "standalone_examples" / "05_redis_caching.py"
REDIS_URL = "redis://127.0.0.1:6379/13"
TODAY = date(2026, 12, 28)
CONTACTS, SEED = 3000, 7
RUN_SECONDS = 60
STEP = re.compile(r"^\[(\d)\] (MISS|HIT ) \| +[\d.]+ мс \| іменинників: (\d+)$", re.MULTILINE)


example = load_script(SCRIPT, "example_05_redis_caching")


def run_script(*args: str, **settings: str) -> str:
    env = child_env(drop=["REDIS_URL"], **settings)
    command = [sys.executable, str(SCRIPT), "--today", TODAY.isoformat()]
    command += ["--contacts", str(CONTACTS), "--seed", str(SEED), *args]
    result = subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=RUN_SECONDS
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def expected_count() -> int:
    return len(example.upcoming_birthdays(example.generate_contacts(CONTACTS, SEED), TODAY))


def assert_miss_hit_miss(out: str) -> None:
    steps = [(int(n), kind.strip(), int(count)) for n, kind, count in STEP.findall(out)]
    found = expected_count()
    assert found > 0
    assert steps == [(1, "MISS", found), (2, "HIT", found), (3, "MISS", found + 1)], out


# --- the birthday arithmetic --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birthday", "today", "expected", "days"),
    [
        (date(1990, 1, 2), date(2026, 12, 30), date(2027, 1, 2), 3),  # across New Year
        (date(1990, 1, 2), date(2026, 12, 28), date(2027, 1, 2), 5),
        (date(1990, 12, 31), date(2026, 12, 31), date(2026, 12, 31), 0),  # today
        (date(2000, 2, 29), date(2027, 2, 20), date(2027, 2, 28), 8),  # common year
        (date(2000, 2, 29), date(2028, 2, 20), date(2028, 2, 29), 9),  # leap year
        (date(2000, 2, 29), date(2027, 2, 28), date(2027, 2, 28), 0),
        (date(2000, 2, 29), date(2027, 3, 1), date(2028, 2, 29), 365),
        (date(2000, 2, 29), date(2028, 3, 1), date(2029, 2, 28), 364),  # passed in a leap year
        (date(1985, 6, 14), date(2026, 6, 15), date(2027, 6, 14), 364),  # yesterday
    ],
)
def test_next_birthday(birthday: date, today: date, expected: date, days: int) -> None:
    assert example.next_birthday(birthday, today) == expected
    assert example.days_until_birthday(birthday, today) == days


def test_upcoming_birthdays_is_a_seven_day_window_soonest_first() -> None:
    contact = example.Contact
    contacts = [
        contact(1, "day 8", date(1990, 1, 5)),
        contact(2, "day 7", date(1990, 1, 4)),
        contact(3, "today", date(1990, 12, 28)),
        contact(4, "yesterday", date(1990, 12, 27)),
        contact(5, "day 5", date(1990, 1, 2)),
    ]
    found = example.upcoming_birthdays(contacts, TODAY)
    assert found == [
        {"id": 3, "name": "today", "birthday": "1990-12-28", "days_until": 0},
        {"id": 5, "name": "day 5", "birthday": "1990-01-02", "days_until": 5},
        {"id": 2, "name": "day 7", "birthday": "1990-01-04", "days_until": 7},
    ]


def test_generated_contacts_depend_on_the_seed_only() -> None:
    first = example.generate_contacts(200, seed=1)
    assert first == example.generate_contacts(200, seed=1)
    assert first != example.generate_contacts(200, seed=2)
    assert [c.id for c in first] == list(range(1, 201))
    assert all(date(1950, 1, 1) <= c.birthday <= date(2008, 12, 31) for c in first)


def test_rollover_lines() -> None:
    expected = [
        ("сьогодні 2026-12-28", "народження 1990-01-02", "→ 2027-01-02, через 5 дн."),
        ("сьогодні 2027-02-25", "(2027 невисокосний)", "→ 2027-02-28, через 3 дн."),
        ("сьогодні 2028-02-25", "(2028 високосний)", "→ 2028-02-29, через 4 дн."),
        ("сьогодні 2028-03-01", "(уже минуло, 2029 невисокосний)", "→ 2029-02-28, через 364 дн."),
    ]
    for line, parts in zip(example.rollover_lines(), expected, strict=True):
        assert all(part in line for part in parts), (line, parts)


# --- cache-aside --------------------------------------------------------------------------------


def test_cache_key_has_the_user_and_the_day() -> None:
    assert example.cache_key(42, date(2026, 2, 21)) == "birthdays:42:2026-02-21"
    assert example.cache_key(42, date(2026, 2, 22)) != example.cache_key(42, date(2026, 2, 21))


def test_get_or_set_cache_loads_once_until_the_key_is_dropped() -> None:
    redis = fakeredis.FakeRedis(decode_responses=True)
    calls: list[int] = []

    def loader() -> list[dict[str, int]]:
        calls.append(1)
        return [{"id": len(calls)}]

    assert example.get_or_set_cache(redis, "k", 60, loader) == ([{"id": 1}], False)
    assert example.get_or_set_cache(redis, "k", 60, loader) == ([{"id": 1}], True)
    assert 0 < redis.ttl("k") <= 60
    redis.delete("k")
    assert example.get_or_set_cache(redis, "k", 60, loader) == ([{"id": 2}], False)
    assert len(calls) == 2


def test_an_empty_list_is_cached_too() -> None:
    redis = fakeredis.FakeRedis(decode_responses=True)
    example.get_or_set_cache(redis, "k", 60, list)
    assert example.get_or_set_cache(redis, "k", 60, lambda: ["loaded again"]) == ([], True)


# --- the script, run for real -------------------------------------------------------------------


def test_the_script_with_fakeredis_shows_miss_hit_miss_and_the_rollover() -> None:
    out = run_script()
    assert "Кеш: fakeredis у цьому процесі" in out
    assert "Ключ: birthdays:42:2026-12-28; завтра буде birthdays:42:2026-12-29" in out
    assert "TTL ключа: 3600 с" in out
    assert "Додали контакт з днем народження 1995-12-29" in out
    assert_miss_hit_miss(out)
    assert "→ 2027-01-02, через 5 дн." in out
    assert "(2027 невисокосний) → 2027-02-28" in out


@pytest.fixture
def redis_client() -> Iterator[Redis]:
    with reachable_redis(REDIS_URL, decode_responses=True) as client:
        yield client


def test_the_script_against_a_real_redis(redis_client: Redis) -> None:
    user_id = 10**9 + secrets.randbelow(10**9)  # a key no other run uses
    key = f"birthdays:{user_id}:{TODAY.isoformat()}"
    redis_client.set(key, "[]", ex=60)  # left over from an earlier run: must not be served
    try:
        out = run_script("--user-id", str(user_id), REDIS_URL=REDIS_URL)
        cached = json.loads(redis_client.get(key) or "null")
        ttl = redis_client.ttl(key)
    finally:
        redis_client.delete(key)

    assert f"Кеш: Redis ({REDIS_URL})" in out
    assert_miss_hit_miss(out)
    assert len(cached) == expected_count() + 1
    assert {"id": CONTACTS + 1, "name": "Новий контакт", "birthday": "1995-12-29"}.items() <= (
        next(item for item in cached if item["id"] == CONTACTS + 1).items()
    )
    assert 3500 < ttl <= 3600
