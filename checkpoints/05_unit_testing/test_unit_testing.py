"""Lesson 05: the student's unit tests pass on the solved app and catch seeded bugs in it.

Each mutant checkpoint runs the student's tests/unit on a copy of the solved app with one bug
planted (course/mutants.py): the tests must fail there. A suite that passes everything catches
nothing and scores nothing.
"""

import pytest

from course import mutation
from course.checkpoint import checkpoint
from course.mutants import UNIT

MIN_TESTS = 5
slow = pytest.mark.timeout(mutation.CHECKPOINT_LIMIT)


@checkpoint(
    id="05.1",
    title="Unit-тести проходять на готовому застосунку",
    points=2,
    hint="Запустіть `pytest tests/unit -x`: усі тести мають бути зелені на правильному коді, "
    f"і їх має бути щонайменше {MIN_TESTS} (parametrize теж рахується).",
)
@slow
def test_unit_tests_pass_on_the_solved_app(unit_suite: mutation.Suite) -> None:
    run = mutation.baseline(unit_suite)
    assert run.green, run.problem()
    assert run.passed >= MIN_TESTS, (
        f"Пройшло лише {run.passed} unit-тестів, а потрібно щонайменше {MIN_TESTS}"
    )
    mutation.prefetch(unit_suite, UNIT.mutants)  # the mutant runs start while others are checked


@checkpoint(
    id="05.2",
    title="Тести перевіряють Redis-помічники: cache-aside і атомарний blacklist",
    points=2,
    hint="get_or_set_cache з loader-AsyncMock двічі з тим самим ключем: скільки разів викликано "
    "loader? blacklist_token двічі з тим самим jti: що поверне другий виклик (SET NX)?",
)
@slow
def test_catches_cache_helper_bugs(unit_suite: mutation.Suite) -> None:
    UNIT.assert_caught(unit_suite, "cache-hit-reloads")
    UNIT.assert_caught(unit_suite, "blacklist-not-atomic")


@checkpoint(
    id="05.3",
    title="Тести помічають помилку на один день у days_until",
    points=2,
    hint="Перевіряйте точне число днів до дня народження (а не лише те, що контакт є у списку): "
    "сьогодні → 0, через тиждень → 7.",
)
@slow
def test_catches_off_by_one(unit_suite: mutation.Suite) -> None:
    UNIT.assert_caught(unit_suite, "birthday-off-by-one")


@checkpoint(
    id="05.4",
    title="Тести перевіряють 29 лютого в невисокосний рік",
    points=2,
    hint="Параметризуйте випадок date(1992, 2, 29) у невисокосному році: на яку дату він "
    "припадає і скільки до нього днів?",
)
@slow
def test_catches_leap_day(unit_suite: mutation.Suite) -> None:
    UNIT.assert_caught(unit_suite, "leap-day-wrong")


@checkpoint(
    id="05.5",
    title="Тести перевіряють перехід через Новий рік",
    points=2,
    hint="Що буде з днем народження, який цього року вже минув? Візьміть «сьогодні» наприкінці "
    "грудня і день народження на початку січня.",
)
@slow
def test_catches_year_rollover(unit_suite: mutation.Suite) -> None:
    UNIT.assert_caught(unit_suite, "no-year-rollover")


@checkpoint(
    id="05.6",
    title="Тести перевіряють claim purpose при декодуванні",
    points=2,
    hint="Недостатньо перевірити, що токен містить purpose: переконайтеся, що decode_token "
    "відмовляє токену іншого призначення (pytest.raises).",
)
@slow
def test_catches_purpose_confusion(unit_suite: mutation.Suite) -> None:
    UNIT.assert_caught(unit_suite, "purpose-not-checked")


@checkpoint(
    id="05.7",
    title="Тести перевіряють час життя access-токена",
    points=2,
    hint="`exp > now` пройде і для токена, що живе місяць: перевірте, скільки саме живе "
    "access-токен (claims exp та iat).",
)
@slow
def test_catches_access_ttl(unit_suite: mutation.Suite) -> None:
    UNIT.assert_caught(unit_suite, "access-ttl-days")


@checkpoint(
    id="05.8",
    title="Тести перевіряють розбір ALLOWED_ORIGINS",
    points=2,
    hint="Settings(_env_file=None, ALLOWED_ORIGINS='https://a.example.com, ') — які джерела "
    "CORS мають вийти? Порожніх бути не повинно.",
)
@slow
def test_catches_empty_origin(unit_suite: mutation.Suite) -> None:
    UNIT.assert_caught(unit_suite, "origins-keep-empty")


@checkpoint(
    id="05.9",
    title="Тести перевіряють, що ім'я в листі екрановане",
    points=2,
    hint="Викличте send_verification_email з full_name='<script>…' і AsyncMock-поштою: що "
    "лежить у body надісланого листа?",
)
@slow
def test_catches_unescaped_email(unit_suite: mutation.Suite) -> None:
    UNIT.assert_caught(unit_suite, "email-not-escaped")
