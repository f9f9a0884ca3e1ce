"""Lesson 01: three purpose-scoped tokens, register → email → verify → login, FastAPI-Mail."""

from collections.abc import Callable

import httpx
from jose import jwt

from course.checkpoint import checkpoint

PASSWORD = "secret123"


async def register(api: httpx.AsyncClient, email: str = "new@example.com", **extra: str):
    return await api.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, **extra}
    )


async def login(api: httpx.AsyncClient, email: str = "new@example.com") -> httpx.Response:
    return await api.post("/api/v1/auth/login", data={"username": email, "password": PASSWORD})


@checkpoint(
    id="01.1",
    title="Реєстрація: 201 без токенів і лист із посиланням",
    points=2,
    hint="POST /auth/register створює користувача з is_verified=False і надсилає лист через "
    "FastMail (залежність get_email_service); токени видаються лише після верифікації.",
)
async def test_register_sends_verification_email(
    api: httpx.AsyncClient, last_email_token: Callable[[], str]
) -> None:
    response = await register(api)
    assert response.status_code == 201, f"Реєстрація: {response.status_code} {response.text[:200]}"
    body = response.json()
    assert body.get("is_verified") is False, "Новий користувач має бути is_verified=false"
    assert "access_token" not in body, "Реєстрація не повинна повертати токени"
    assert last_email_token(), "У листі немає токена"


@checkpoint(
    id="01.2",
    title="Три токени, три секрети, claim purpose",
    points=2,
    hint="Кожен токен несе свій purpose (access / refresh / email_verify) і підписаний своїм "
    "секретом: JWT_SECRET_KEY, JWT_REFRESH_SECRET, EMAIL_TOKEN_SECRET.",
)
def test_three_tokens_three_secrets(student_import) -> None:
    security = student_import("app.core.security")
    settings = student_import("app.core.config").settings
    kinds = {
        "access": (security.create_access_token, settings.JWT_SECRET_KEY),
        "refresh": (security.create_refresh_token, settings.JWT_REFRESH_SECRET),
        "email_verify": (security.create_email_token, settings.EMAIL_TOKEN_SECRET),
    }
    assert len({secret for _, secret in kinds.values()}) == 3, "Секрети мають бути різними"
    for purpose, (create, secret) in kinds.items():
        claims = jwt.decode(create("alice@example.com"), secret, algorithms=["HS256"])
        assert claims.get("purpose") == purpose, (
            f"{create.__name__}: purpose={claims.get('purpose')}"
        )
        assert claims.get("sub") == "alice@example.com"


@checkpoint(
    id="01.3",
    title="Верифікація: 200, а чужий токен — 400 Wrong token purpose",
    points=3,
    hint="GET /auth/verify/{token}: токен декодується як email-токен; токен іншого призначення "
    "(наприклад, access) має дати 400 з detail 'Wrong token purpose'.",
)
async def test_verify_checks_purpose(
    api: httpx.AsyncClient, student_import, last_email_token: Callable[[], str]
) -> None:
    await register(api)
    access = student_import("app.core.security").create_access_token("new@example.com")
    wrong = await api.get(f"/api/v1/auth/verify/{access}")
    assert wrong.status_code == 400, f"Access-токен на /verify: {wrong.status_code}"
    assert wrong.json().get("detail") == "Wrong token purpose", wrong.json()
    response = await api.get(f"/api/v1/auth/verify/{last_email_token()}")
    assert response.status_code == 200, f"Верифікація: {response.status_code} {response.text[:200]}"
    assert response.json().get("is_verified") is True


@checkpoint(
    id="01.4",
    title="Вхід до верифікації — 403, після — 200",
    points=2,
    hint="401 — не знаємо, хто ви; 403 — знаємо, але ще не можна. Перевірте is_verified "
    "після перевірки пароля.",
)
async def test_login_requires_verification(
    api: httpx.AsyncClient, last_email_token: Callable[[], str]
) -> None:
    await register(api)
    before = await login(api)
    assert before.status_code == 403, f"Вхід до верифікації: {before.status_code}"
    await api.get(f"/api/v1/auth/verify/{last_email_token()}")
    after = await login(api)
    assert after.status_code == 200, f"Вхід після верифікації: {after.status_code}"
    assert {"access_token", "refresh_token"} <= after.json().keys()


@checkpoint(
    id="01.5",
    title="Контакти лише для верифікованих (require_verified), CRUD для них працює",
    points=2,
    hint="Залежність require_verified поверх get_current_user: валідний токен, але "
    "is_verified=False → 403; верифікований працює з контактами як і раніше (чужий id — 404).",
)
async def test_contacts_require_verified_user(api: httpx.AsyncClient, make_user, contact) -> None:
    headers = await make_user("unverified@example.com", verified=False)
    me = await api.get("/api/v1/users/me", headers=headers)
    assert me.status_code == 200, "GET /users/me доступний і неверифікованому"
    contacts = await api.get("/api/v1/contacts", headers=headers)
    assert contacts.status_code == 403, f"/contacts для неверифікованого: {contacts.status_code}"
    # The verified keep the Module 12 CRUD: 401 without a token, 404 for another's contact.
    verified = await make_user()
    assert (await api.get("/api/v1/contacts")).status_code == 401, "Без токена має бути 401"
    created = await api.post("/api/v1/contacts", json=contact(), headers=verified)
    assert created.status_code == 201, f"Створення: {created.status_code} {created.text[:200]}"
    listed = (await api.get("/api/v1/contacts", headers=verified)).json()
    assert listed["total"] == 1 and len(listed["items"]) == 1, f"Список: {listed}"
    other = await make_user("bob@example.com")
    stolen = await api.get(f"/api/v1/contacts/{created.json()['id']}", headers=other)
    assert stolen.status_code == 404, "Чужий контакт має бути 404 (не 403 і не 200)"


@checkpoint(
    id="01.6",
    title="Повторний лист: 202 завжди, лист лише неверифікованому",
    points=1,
    hint="POST /auth/resend-verification {email}: однакова відповідь для будь-якої адреси — "
    "не підказуйте, хто зареєстрований.",
)
async def test_resend_verification(api: httpx.AsyncClient, emails: Callable[[], list[str]]) -> None:
    await register(api)
    sent = len(emails())
    unknown = await api.post("/api/v1/auth/resend-verification", json={"email": "x@example.com"})
    assert unknown.status_code == 202 and len(emails()) == sent, (
        "Для невідомої адреси: 202, без листа"
    )
    known = await api.post("/api/v1/auth/resend-verification", json={"email": "new@example.com"})
    assert known.status_code == 202 and len(emails()) == sent + 1, "Неверифікованому — новий лист"


@checkpoint(
    id="01.7",
    title="Access-токен не працює як refresh",
    points=1,
    hint="/auth/refresh має декодувати саме refresh-токен: інший purpose чи секрет → 401.",
)
async def test_access_token_is_not_a_refresh_token(
    api: httpx.AsyncClient, make_user, student_import
) -> None:
    await make_user()
    access = student_import("app.core.security").create_access_token("alice@example.com")
    response = await api.post("/api/v1/auth/refresh", json={"refresh_token": access})
    assert response.status_code == 401, f"Access-токен на /refresh: {response.status_code}"


@checkpoint(
    id="01.8",
    title="Ім'я в листі екрановане (HTML)",
    points=1,
    hint="full_name приходить від користувача: у HTML-листі він має бути текстом, а не розміткою "
    "(Jinja2 autoescape).",
)
async def test_email_escapes_full_name(
    api: httpx.AsyncClient, emails: Callable[[], list[str]]
) -> None:
    await register(api, full_name="<script>alert(1)</script>")
    body = emails()[-1]
    assert "<script>" not in body and "&lt;script&gt;" in body, "full_name вставлено як HTML"
