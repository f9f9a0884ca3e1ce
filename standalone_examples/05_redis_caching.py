"""Cache-aside in Redis for the upcoming-birthdays query, and birthdays across New Year.

Block 4 of the lesson plan ("Redis Caching"), steps 2-5. Runs with no settings:

    python standalone_examples/05_redis_caching.py
    python standalone_examples/05_redis_caching.py --today 2026-12-28 --contacts 200000
    REDIS_URL=redis://localhost:6379/0 python standalone_examples/05_redis_caching.py

The cache is the Redis at REDIS_URL, or fakeredis inside this process when it is unset. The
"slow query" scans N generated contacts (deterministic for a --seed) for birthdays in the next
7 days. The demo shows a MISS, then a HIT, the key `birthdays:{user_id}:{date}` and its TTL,
then adds a contact, drops the key, and the next call is a MISS again. Last, the year-rollover
cases: 28 December → 2 January, and 29 February in a common year.
"""

import argparse
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import fakeredis
from redis import Redis

CACHE_TTL = 3600  # one hour: the upper bound on a stale list if an invalidation is forgotten
WINDOW_DAYS = 7
NAMES = ("Олена", "Тарас", "Ірина", "Андрій", "Марта", "Богдан", "Софія", "Остап")
FIRST_BIRTHDAY, LAST_BIRTHDAY = date(1950, 1, 1), date(2008, 12, 31)


@dataclass(frozen=True)
class Contact:
    id: int
    name: str
    birthday: date


def generate_contacts(count: int, seed: int) -> list[Contact]:
    """The same `count` contacts for the same `seed`: the demo's stand-in for a table."""
    rng = random.Random(seed)
    first, last = FIRST_BIRTHDAY.toordinal(), LAST_BIRTHDAY.toordinal()
    return [
        Contact(i, f"{rng.choice(NAMES)} #{i}", date.fromordinal(rng.randint(first, last)))
        for i in range(1, count + 1)
    ]


def in_year(birthday: date, year: int) -> date:
    """The birthday in `year`; 29 February falls on 28 February in a common year."""
    try:
        return birthday.replace(year=year)
    except ValueError:
        return birthday.replace(year=year, day=28)


def next_birthday(birthday: date, today: date) -> date:
    """The next day it is celebrated, today included: past dates move to next year."""
    this_year = in_year(birthday, today.year)
    return this_year if this_year >= today else in_year(birthday, today.year + 1)


def days_until_birthday(birthday: date, today: date) -> int:
    return (next_birthday(birthday, today) - today).days


def upcoming_birthdays(
    contacts: list[Contact], today: date, days: int = WINDOW_DAYS
) -> list[dict[str, Any]]:
    """The "slow query": every contact is looked at, soonest birthdays first."""
    found = [
        {"id": c.id, "name": c.name, "birthday": c.birthday.isoformat(), "days_until": d}
        for c in contacts
        if (d := days_until_birthday(c.birthday, today)) <= days
    ]
    return sorted(found, key=lambda item: (item["days_until"], item["id"]))


def cache_key(user_id: int, today: date) -> str:
    """Per user and per day: tomorrow's key is new, so yesterday's list is never read again."""
    return f"birthdays:{user_id}:{today.isoformat()}"


def get_or_set_cache(
    redis: Redis, key: str, ttl: int, loader: Callable[[], Any]
) -> tuple[Any, bool]:
    """Cache-aside: the cached value if there is one (HIT), else load and store it (MISS)."""
    cached = redis.get(key)
    if cached is not None:
        return json.loads(cached), True
    data = loader()
    redis.set(key, json.dumps(data), ex=ttl)  # SET ... EX: value and TTL in one command
    return data, False


def connect(url: str | None) -> tuple[Redis, str]:
    """The Redis at `url`, or an in-process fakeredis; with words saying which one it is."""
    if not url:
        fake = fakeredis.FakeRedis(decode_responses=True)
        return fake, "fakeredis у цьому процесі (REDIS_URL не задано)"
    parts = urlsplit(url)
    safe = url.replace(f":{parts.password}@", ":***@") if parts.password else url
    client = Redis.from_url(url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2)
    return client, f"Redis ({safe})"


def timed_lookup(
    redis: Redis, key: str, loader: Callable[[], Any]
) -> tuple[list[dict[str, Any]], bool, float]:
    started = time.perf_counter()
    data, hit = get_or_set_cache(redis, key, CACHE_TTL, loader)
    return data, hit, (time.perf_counter() - started) * 1000


def rollover_lines() -> list[str]:
    """New Year and 29 February on fixed dates: where naive date arithmetic breaks."""
    cases = [
        (date(2026, 12, 28), date(1990, 1, 2), "через Новий рік"),
        (date(2027, 2, 25), date(2000, 2, 29), "2027 невисокосний"),
        (date(2028, 2, 25), date(2000, 2, 29), "2028 високосний"),
        # Moving the 29th of a leap year to next year: `.replace(year=2029)` raises ValueError.
        (date(2028, 3, 1), date(2000, 2, 29), "уже минуло, 2029 невисокосний"),
    ]
    return [
        f"  сьогодні {today}, народження {born} ({note}) → {next_birthday(born, today)}, "
        f"через {days_until_birthday(born, today)} дн."
        for today, born, note in cases
    ]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Cache-aside demo: upcoming birthdays in Redis")
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--user-id", type=int, default=42)
    return parser.parse_args()


def report(step: int, result: tuple[list[dict[str, Any]], bool, float]) -> None:
    data, hit, elapsed_ms = result
    source = "з кешу, без запиту" if hit else "запит по всіх контактах, результат → кеш"
    print(f"[{step}] {'HIT ' if hit else 'MISS'} | {elapsed_ms:8.2f} мс | іменинників: {len(data)}")
    print(f"    ({source})")


def main() -> None:
    args = parse_args()
    redis, where = connect(os.environ.get("REDIS_URL"))
    contacts = generate_contacts(args.contacts, args.seed)
    key = cache_key(args.user_id, args.today)
    print(f"Кеш: {where}; контактів: {len(contacts)}, сьогодні {args.today}")
    print(f"Ключ: {key}; завтра буде {cache_key(args.user_id, args.today + timedelta(days=1))}")
    print("  дата в ключі: вчорашній список ніхто не прочитає, а TTL прибере його з Redis")
    redis.delete(key)  # a clean start: a second run against a real Redis begins with a MISS too

    def loader() -> list[dict[str, Any]]:
        return upcoming_birthdays(contacts, args.today)

    report(1, timed_lookup(redis, key, loader))
    report(2, timed_lookup(redis, key, loader))
    print(f"TTL ключа: {redis.ttl(key)} с: якщо інвалідацію забули, старий список живе до години")

    born = in_year(args.today + timedelta(days=1), 1995)
    contacts.append(Contact(len(contacts) + 1, "Новий контакт", born))
    redis.delete(key)  # invalidation: every create/update/delete of a contact drops the key
    print(f"Додали контакт з днем народження {born}, видалили {key}")
    report(3, timed_lookup(redis, key, loader))

    print("Year-rollover і 29 лютого:")
    for line in rollover_lines():
        print(line)


if __name__ == "__main__":
    main()
