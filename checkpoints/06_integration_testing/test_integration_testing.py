"""Lesson 06: the student's integration tests pass on the solved app and catch seeded bugs.

The tests run in a subprocess on embedded defaults (SQLite, in-process Redis) with mail pointed
at a port where no SMTP server listens: a suite that needs a real mail server, PostgreSQL or
Redis fails 06.1. Every mutant checkpoint plants one bug (course/mutants.py) into a copy of the
solved app; the student's tests must fail there.
"""

import tomllib
from pathlib import Path

import pytest

from course import mutation
from course.checkpoint import checkpoint
from course.mutants import INTEGRATION

MIN_TESTS = 5
MIN_COVERAGE = 80.0  # the lesson plan's "contractual minimum"
slow = pytest.mark.timeout(mutation.CHECKPOINT_LIMIT)


@checkpoint(
    id="06.1",
    title="Інтеграційні тести проходять на готовому застосунку без зовнішніх сервісів",
    points=2,
    hint="`pytest tests/integration -x` має бути зеленим без Docker: SQLite замість PostgreSQL, "
    "in-process Redis, AsyncMock замість пошти — через фікстури conftest.py.",
)
@slow
def test_integration_tests_pass_on_the_solved_app(
    integration_suite: mutation.Suite, coverage_suite: mutation.Suite
) -> None:
    mutation.start_coverage(coverage_suite)  # the longest run (06.8): start it first
    run = mutation.baseline(integration_suite)
    assert run.green, run.problem()
    assert run.passed >= MIN_TESTS, (
        f"Пройшло лише {run.passed} інтеграційних тестів, а потрібно щонайменше {MIN_TESTS}"
    )
    mutation.prefetch(integration_suite, INTEGRATION.mutants)


@checkpoint(
    id="06.2",
    title="Тести перевіряють ізоляцію контактів між користувачами",
    points=2,
    hint="Створіть контакт одним користувачем і зверніться до нього (GET/PUT/DELETE) іншим: "
    "яку відповідь має дати API за контрактом?",
)
@slow
def test_catches_missing_isolation(integration_suite: mutation.Suite) -> None:
    INTEGRATION.assert_caught(integration_suite, "no-owner-filter")


@checkpoint(
    id="06.3",
    title="Тести перевіряють інвалідацію кешу днів народження",
    points=2,
    hint="Запитайте /contacts/birthdays, змініть контакти (створення, оновлення) і запитайте "
    "знову: чи бачить відповідь зміну?",
)
@slow
def test_catches_stale_cache(integration_suite: mutation.Suite) -> None:
    INTEGRATION.assert_caught(integration_suite, "cache-not-invalidated")


@checkpoint(
    id="06.4",
    title="Тести перевіряють, що неверифікований користувач не входить",
    points=2,
    hint="Повний flow з плану: register → login до верифікації (який код?) → verify → login.",
)
@slow
def test_catches_unverified_login(integration_suite: mutation.Suite) -> None:
    INTEGRATION.assert_caught(integration_suite, "unverified-login")


@checkpoint(
    id="06.5",
    title="Тести перевіряють чорний список refresh-токенів",
    points=2,
    hint="Після /auth/logout спробуйте /auth/refresh з тим самим refresh-токеном.",
)
@slow
def test_catches_unchecked_blacklist(integration_suite: mutation.Suite) -> None:
    INTEGRATION.assert_caught(integration_suite, "blacklist-not-checked")


@checkpoint(
    id="06.6",
    title="Тести перевіряють ліміт реєстрацій (limiter вмикається лише для них)",
    points=1,
    hint="У фікстурі client limiter вимкнено, інакше шоста реєстрація за прогін отримає 429; "
    "для тесту rate limit увімкніть його окремо (limiter.reset(), enabled = True) і перевірте, "
    "що 6-та реєстрація з однієї IP — 429, а з іншої IP — ні.",
)
@slow
def test_catches_missing_register_limit(integration_suite: mutation.Suite) -> None:
    INTEGRATION.assert_caught(integration_suite, "register-not-limited")
    INTEGRATION.assert_caught(integration_suite, "limit-shared-by-all-ips")


@checkpoint(
    id="06.7",
    title="Пошта підмінена AsyncMock, і тести перевіряють лист",
    points=2,
    hint="app.dependency_overrides[get_email_service] = lambda: mock_mail (AsyncMock); "
    "перевірте, що після реєстрації send_message викликано, і дістаньте токен з листа.",
)
@slow
def test_mail_is_mocked_and_checked(integration_suite: mutation.Suite) -> None:
    INTEGRATION.assert_caught(integration_suite, "no-verification-email")


@checkpoint(
    id="06.8",
    title=f"Покриття коду тестами ≥ {MIN_COVERAGE:g}%",
    points=2,
    hint="`pytest tests/ --cov=app --cov-report=term-missing` покаже непокриті рядки: "
    "допишіть тести на них (помилкові відповіді теж код). Рахуються тести, що перевіряють "
    "відповіді, а не лише викликають код.",
)
@slow
def test_coverage_reaches_the_minimum(
    coverage_suite: mutation.Suite, integration_suite: mutation.Suite
) -> None:
    run = mutation.coverage(coverage_suite)
    assert run.green, f"Тести tests/unit + tests/integration не проходять: {run.problem()}"
    assert run.coverage is not None, "Покриття не виміряно (pytest-cov не записав звіт)"
    assert run.coverage >= MIN_COVERAGE, (
        f"Покриття app/ вашими тестами: {run.coverage:.1f}%, потрібно ≥ {MIN_COVERAGE:g}%"
    )
    # Lines a test runs but checks nothing about are not covered by it: no points for calls alone.
    # One caught mutant is enough: the generator stops at it.
    verdicts = (mutation.verdict(integration_suite, mutant) for mutant in INTEGRATION.mutants)
    assert any(verdict.caught for verdict in verdicts), (
        "Тести виконують код, але не ловлять жодної із засіяних помилок: покриття без перевірок "
        "не рахується"
    )


@checkpoint(
    id="06.9",
    title="Тести перевіряють ліміт розміру аватара",
    points=1,
    hint="Файл рівно на MAX_AVATAR_BYTES → 200, на 1 байт більший → 413 і нічого не збережено.",
)
@slow
def test_catches_avatar_limit(integration_suite: mutation.Suite) -> None:
    INTEGRATION.assert_caught(integration_suite, "avatar-limit-off-by-one")


@checkpoint(
    id="06.10",
    title="Тести перевіряють SQL-вікно днів народження в будь-який день року",
    points=1,
    hint="Пройдіть «сьогодні» через увесь рік (і через Новий рік) з різними days і порівняйте "
    "upcoming_birthdays з простим розрахунком у Python.",
)
@slow
def test_catches_window_that_does_not_wrap(integration_suite: mutation.Suite) -> None:
    INTEGRATION.assert_caught(integration_suite, "window-not-wrapped")


@checkpoint(
    id="06.11",
    title="Тести перевіряють, що кеш днів народження — свій у кожного користувача",
    points=1,
    hint="Два користувачі з різними контактами запитують /contacts/birthdays: чи не бачить "
    "другий закешований список першого? Який ключ у Redis?",
)
@slow
def test_catches_shared_cache_key(integration_suite: mutation.Suite) -> None:
    INTEGRATION.assert_caught(integration_suite, "cache-key-shared")


@checkpoint(
    id="06.12",
    title="Тести перевіряють пошук контактів без урахування регістру",
    points=1,
    hint="GET /contacts?q=… має знаходити «Тарас» і за «тарас»: перевірте і кирилицю.",
)
@slow
def test_catches_case_sensitive_search(integration_suite: mutation.Suite) -> None:
    INTEGRATION.assert_caught(integration_suite, "search-case-sensitive")


@checkpoint(
    id="06.13",
    title="Тести перевіряють роботу без Redis",
    points=1,
    hint="Підмініть get_redis клієнтом Redis, що не відповідає (порт 1): дні народження мають "
    "прийти з бази (200), а не 500.",
)
@slow
def test_catches_cache_that_fails_closed(integration_suite: mutation.Suite) -> None:
    INTEGRATION.assert_caught(integration_suite, "cache-read-fails-closed")


@checkpoint(
    id="06.14",
    title="Coverage налаштовано в pyproject.toml: гілки, app/, greenlet",
    points=1,
    hint='[tool.coverage.run]: branch = true, source = ["app"], concurrency = ["greenlet", '
    '"thread"] — без greenlet рядки після await у SQLAlchemy рахуються непокритими.',
)
def test_coverage_is_configured(student_dir: Path) -> None:
    path = student_dir / "pyproject.toml"
    assert path.is_file(), "Немає pyproject.toml"
    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise AssertionError(f"pyproject.toml не читається: {exc}") from exc
    run = settings.get("tool", {}).get("coverage", {}).get("run", {})
    assert run, "У pyproject.toml немає [tool.coverage.run]"
    assert run.get("branch") is True, "branch = true: рахуйте і гілки, не лише рядки"
    assert "app" in run.get("source", []), 'source = ["app"]: покриття саме застосунку'
    assert "greenlet" in run.get("concurrency", []), (
        'concurrency = ["greenlet", "thread"]: інакше код після await у SQLAlchemy «непокритий»'
    )
