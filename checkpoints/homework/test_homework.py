"""The homework, levels 2 and 3: the API behaviour, and the student's own tests of it.

Level 1 (run the stack, walk the flow in Swagger, read a coverage report) is no checkpoint:
`course checklist` verifies what it can of it.

The API checkpoints run against the student's app; the test checkpoints run the student's tests/
on solution/ (the reference answers) and on it with one bug planted (course/mutants.py).
"""

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock

import httpx
import pytest

from course import mutation
from course.checkpoint import checkpoint
from course.mutants import HOMEWORK, HOMEWORK_UNIT

BIRTHDAYS = "/api/v1/contacts/birthdays"
RESET = "/api/v1/auth/password-reset"
EMAIL = "alice@example.com"
OLD_PASSWORD = "secret123"  # what make_user gives every user
NEW_PASSWORD = "brand-new-456"
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
slow = pytest.mark.timeout(mutation.CHECKPOINT_LIMIT)


def messages(mailer: AsyncMock) -> list[Any]:
    found = []
    for call in mailer.send_message.call_args_list:
        found.append(call.args[0] if call.args else call.kwargs.get("message"))
    return found


def token_in(message: Any) -> str:
    match = JWT.search(str(getattr(message, "body", message)))
    assert match, "У листі про скидання пароля немає токена (JWT)"
    return match.group(0)


async def request_reset(api: httpx.AsyncClient, email: str = EMAIL) -> httpx.Response:
    return await api.post(f"{RESET}/request", json={"email": email})


async def reset_token(api: httpx.AsyncClient, mailer: AsyncMock) -> str:
    before = len(messages(mailer))
    response = await request_reset(api)
    assert response.status_code == 202, f"{RESET}/request: {response.status_code}"
    sent = messages(mailer)[before:]
    assert len(sent) == 1, f"Після запиту на скидання надіслано листів: {len(sent)}"
    return token_in(sent[0])


async def confirm(api: httpx.AsyncClient, token: str, password: str) -> httpx.Response:
    return await api.post(f"{RESET}/confirm", json={"token": token, "new_password": password})


async def login(api: httpx.AsyncClient, password: str) -> int:
    form = {"username": EMAIL, "password": password}
    return (await api.post("/api/v1/auth/login", data=form)).status_code


# --- level 2 ------------------------------------------------------------------------------------


@checkpoint(
    id="HW.1",
    title="Рівень 2: DELETE /contacts/{id} інвалідовує кеш днів народження",
    points=2,
    hint="Після видалення контакту видаліть ключ кешу birthdays:{user_id}:{дата} — так само, "
    "як це роблять створення й оновлення. У тому ж хеші — і перша сторінка GET /contacts.",
)
async def test_delete_invalidates_the_birthdays_cache(
    api: httpx.AsyncClient, make_user, contact, pinned_today: date
) -> None:
    headers = await make_user()
    birthday = (pinned_today + timedelta(days=2)).replace(year=1990)
    payload = contact(first_name="Soon", email="soon@example.com", birthday=str(birthday))
    created = await api.post("/api/v1/contacts", json=payload, headers=headers)
    assert created.status_code == 201, f"Створення контакту: {created.status_code}"
    first = await api.get(BIRTHDAYS, headers=headers)
    assert len(first.json()) == 1, f"Дні народження до видалення: {first.json()}"
    deleted = await api.delete(f"/api/v1/contacts/{created.json()['id']}", headers=headers)
    assert deleted.status_code == 204, f"DELETE: {deleted.status_code}"
    after = (await api.get(BIRTHDAYS, headers=headers)).json()
    assert after == [], (
        "Після видалення /contacts/birthdays віддає старий кеш з видаленим контактом"
    )


@checkpoint(
    id="HW.2",
    title="Рівень 2: ваші тести ловлять видалення без інвалідації кешу",
    points=2,
    hint="Integration-тест verify → login → create → birthdays → delete → birthdays: "
    "після видалення контакту в списку бути не повинно.",
)
@slow
def test_tests_catch_delete_without_invalidation(homework_suite: mutation.Suite) -> None:
    HOMEWORK.assert_caught(homework_suite, "delete-not-invalidated")


@checkpoint(
    id="HW.7",
    title="Рівень 2: ваш unit-тест delete_contact перевіряє, який ключ кешу видалено",
    points=2,
    hint="Unit-тест у tests/unit (наприклад, tests/unit/test_contact_service.py): redis = "
    "AsyncMock(), контакт у базі, delete_contact(...), потім "
    "redis.delete.assert_awaited_once_with(ключ birthdays:{id власника}:{дата}).",
)
@slow
def test_unit_tests_catch_a_delete_that_misses_the_cache(
    homework_unit_suite: mutation.Suite,
) -> None:
    HOMEWORK_UNIT.assert_all_caught(homework_unit_suite)


# --- level 3 ------------------------------------------------------------------------------------


@checkpoint(
    id="HW.3",
    title="Рівень 3: запит на скидання пароля — 202 завжди, лист лише відомому email",
    points=2,
    hint="POST /auth/password-reset/request {email} відповідає 202 і для невідомої адреси "
    "(не видаємо, хто зареєстрований), а лист із токеном надсилає тільки існуючому користувачу.",
)
async def test_reset_request_answers_202_and_mails_known_users(
    api: httpx.AsyncClient, make_user, mailer: AsyncMock
) -> None:
    await make_user()
    unknown = await request_reset(api, "nobody@example.com")
    assert unknown.status_code == 202, f"Невідомий email: {unknown.status_code}"
    assert not messages(mailer), "Лист надіслано на адресу, якої немає серед користувачів"
    known = await request_reset(api)
    assert known.status_code == 202, f"Відомий email: {known.status_code}"
    sent = messages(mailer)
    assert len(sent) == 1, f"Для відомого email надіслано листів: {len(sent)}"
    assert EMAIL in str(getattr(sent[0], "recipients", "")), "Лист адресовано не користувачу"
    token_in(sent[0])


@checkpoint(
    id="HW.8",
    title="Рівень 3: 4-й запит на скидання пароля з однієї IP за хвилину → 429",
    points=1,
    hint="@limiter.limit(settings.RESEND_RATE_LIMIT) і параметри request, response, як на "
    "/resend-verification: інакше листи скидання пароля можна слати комусь без кінця.",
)
async def test_reset_request_is_limited(limited_after: Any) -> None:
    body = {"email": "nobody@example.com"}
    await limited_after("203.0.113.11", f"{RESET}/request", 3, json=body)


@checkpoint(
    id="HW.4",
    title="Рівень 3: токен з листа змінює пароль: старий більше не працює, новий — так",
    points=2,
    hint="POST /auth/password-reset/confirm {token, new_password} → 200: декодуйте токен "
    "(purpose password_reset), захешуйте новий пароль і збережіть.",
)
async def test_reset_confirm_changes_the_password(
    api: httpx.AsyncClient, make_user, mailer: AsyncMock
) -> None:
    await make_user()
    token = await reset_token(api, mailer)
    response = await confirm(api, token, NEW_PASSWORD)
    assert response.status_code == 200, f"confirm: {response.status_code} {response.text[:200]}"
    assert await login(api, OLD_PASSWORD) == 401, "Старий пароль після скидання все ще працює"
    assert await login(api, NEW_PASSWORD) == 200, "Новий пароль не дає увійти"


@checkpoint(
    id="HW.5",
    title="Рівень 3: токен скидання одноразовий і лише свого призначення",
    points=2,
    hint="Використаний токен вдруге → 400 (запам'ятайте його jti, як blacklist при logout); "
    "токен верифікації email на /password-reset/confirm → 400 (claim purpose).",
)
async def test_reset_token_is_one_time_and_purpose_bound(
    api: httpx.AsyncClient, make_user, mailer: AsyncMock, student_import
) -> None:
    await make_user()
    verification = student_import("app.core.security").create_email_token(EMAIL)
    wrong = await confirm(api, verification, NEW_PASSWORD)
    assert wrong.status_code == 400, f"Токен верифікації email на confirm: {wrong.status_code}"
    assert await login(api, OLD_PASSWORD) == 200, "Чужий токен змінив пароль"
    token = await reset_token(api, mailer)
    first = await confirm(api, token, NEW_PASSWORD)
    assert first.status_code == 200, f"Перше використання токена: {first.status_code}"
    again = await confirm(api, token, "third-password-789")
    assert again.status_code == 400, f"Повторне використання токена: {again.status_code}"
    assert await login(api, NEW_PASSWORD) == 200, "Повторний confirm усе ж змінив пароль"


@checkpoint(
    id="HW.6",
    title="Рівень 3: ваш integration-тест скидання пароля ловить багаторазовий токен",
    points=2,
    hint="Напишіть повний flow: request → токен з листа (AsyncMock) → confirm → логін новим "
    "паролем → повторний confirm тим самим токеном.",
)
@slow
def test_tests_catch_a_reusable_reset_token(
    homework_suite: mutation.Suite, student_dir: Path
) -> None:
    mutant = HOMEWORK.get("reset-token-reusable")
    verdict = mutation.verdict(homework_suite, mutant, HOMEWORK.mutants)
    if not verdict.caught and not mentions(student_dir / "tests", "password-reset"):
        pytest.fail("У tests/ немає тесту, що звертається до /auth/password-reset/…")
    assert verdict.caught, verdict.reason


def mentions(folder: Path, text: str) -> bool:
    return folder.is_dir() and any(
        text in path.read_text(encoding="utf-8", errors="replace")
        for path in folder.rglob("test_*.py")
    )
