"""The seeded bugs the testing checkpoints plant into a reference app (see course.mutation).

Every `old` text is copied from the reference it mutates and must occur there exactly once. It is
code only, never a comment: rewording a comment of solution/ must not break grading
(tests/test_mutants.py rewrites every comment and applies every mutant again);
tests/test_mutants.py proves that each mutant applies to its lesson's solved snapshot (and to
every later one), and that the reference's own test suite passes unmutated and fails on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course.mutation import Edit, Mutant, Suite, suite_for, verdict


@dataclass(frozen=True)
class MutantSet:
    lesson: str  # the checkpoint folder, e.g. "05_unit_testing"
    paths: tuple[str, ...]  # the student's tests that must catch them
    mutants: tuple[Mutant, ...]

    def get(self, mutant_id: str) -> Mutant:
        for mutant in self.mutants:
            if mutant.id == mutant_id:
                return mutant
        raise KeyError(mutant_id)

    def suite(self, request: Any, student: Path, root: Path) -> Suite:
        """The student's tests at this set's paths, in the checkpoint session of `request`."""
        return suite_for(request.session, student, root, self.lesson, self.paths, self.mutants)

    def assert_all_caught(self, suite: Suite) -> None:
        for mutant in self.mutants:
            self.assert_caught(suite, mutant.id)

    def assert_caught(self, suite: Suite, mutant_id: str) -> None:
        """Fail with the student's reason unless `suite` catches this mutant (the set's other
        mutants start beside it: they share the runs)."""
        result = verdict(suite, self.get(mutant_id), self.mutants)
        if not result.caught:
            raise AssertionError(result.reason)


CONTACTS = "app/services/contacts.py"
SECURITY = "app/core/security.py"
CACHE = "app/core/cache.py"
CONFIG = "app/core/config.py"
EMAIL = "app/services/email.py"
AVATARS = "app/services/cloudinary_service.py"
USERS = "app/services/users.py"
AUTH_ROUTER = "app/api/v1/auth.py"
AUTH_SERVICE = "app/services/auth.py"

# --- lesson 05: unit tests of security and the birthday arithmetic ---------------------------

UNIT = MutantSet(
    lesson="05_unit_testing",
    paths=("tests/unit",),
    mutants=(
        Mutant(
            id="birthday-off-by-one",
            file=CONTACTS,
            old="    return (next_birthday(birthday, today) - today).days\n",
            new="    return (next_birthday(birthday, today) - today).days + 1\n",
            description="days_until на один день більший",
        ),
        Mutant(
            id="leap-day-wrong",
            file=CONTACTS,
            old="this_year = birthday.replace(year=today.year, day=28)",
            new="this_year = birthday.replace(year=today.year, month=3, day=1)",
            description="29 лютого в невисокосний рік святкується 1 березня, а не 28 лютого",
        ),
        Mutant(
            id="no-year-rollover",
            file=CONTACTS,
            old="            return birthday.replace(year=today.year + 1)\n",
            new="            return this_year\n",
            description="день народження, що вже минув цього року, не переноситься на наступний",
        ),
        Mutant(
            id="purpose-not-checked",
            file=SECURITY,
            old='    if claims.get("purpose") != purpose:\n'
            '        raise WrongTokenPurposeError("Wrong token purpose")\n',
            new="",
            also=(
                Edit(
                    SECURITY,
                    old="        if _is_token_of_another_purpose(token, purpose):\n"
                    '            raise WrongTokenPurposeError("Wrong token purpose") from exc\n',
                    new="        for secret in {get() for get in _SECRETS.values()}:\n"
                    "            try:\n"
                    "                claims = jwt.decode(\n"
                    "                    token, secret, algorithms=[settings.JWT_ALGORITHM]\n"
                    "                )\n"
                    "            except JWTError:\n"
                    "                continue\n"
                    "            return _payload(claims)\n",
                ),
            ),
            description="decode_token приймає токен будь-якого призначення (purpose не "
            "перевіряється)",
        ),
        Mutant(
            id="access-ttl-days",
            file=SECURITY,
            old="    lifetime = timedelta(minutes=settings.JWT_ACCESS_TOKEN_",
            new="    lifetime = timedelta(days=settings.JWT_ACCESS_TOKEN_",
            description="access-токен живе 30 днів замість 30 хвилин",
        ),
        Mutant(
            id="cache-hit-reloads",
            file=CACHE,
            old="return cached",
            new="return await loader()",
            description="cache-aside ходить у базу (loader) і тоді, коли значення вже є в кеші",
        ),
        Mutant(
            id="blacklist-not-atomic",
            file=CACHE,
            old="ex=max(ttl, 1), nx=True))",
            new="ex=max(ttl, 1)))",
            description="blacklist_token без NX: другий виклик для того самого jti теж «перший»",
        ),
        Mutant(
            id="origins-keep-empty",
            file=CONFIG,
            old='[origin.strip() for origin in value.split(",") if origin.strip()]',
            new='[origin.strip() for origin in value.split(",")]',
            description="ALLOWED_ORIGINS з комою в кінці дає порожнє джерело CORS",
        ),
        Mutant(
            id="email-not-escaped",
            file=EMAIL,
            old='autoescape=select_autoescape(["html"])',
            new="autoescape=False",
            description="ім'я в HTML-листі не екранується: <script> потрапляє в лист як розмітка",
        ),
    ),
)

# --- lesson 06: integration tests over HTTP ----------------------------------------------------

INTEGRATION = MutantSet(
    lesson="06_integration_testing",
    paths=("tests/integration",),
    mutants=(
        Mutant(
            id="no-owner-filter",
            file=CONTACTS,
            old="select(Contact).where(Contact.id == contact_id, Contact.owner_id == owner.id)",
            new="select(Contact).where(Contact.id == contact_id)",
            description="GET/PUT/DELETE /contacts/{id} не перевіряє власника: чужий контакт "
            "доступний",
        ),
        Mutant(
            id="cache-not-invalidated",
            file=CACHE,
            old="        await redis.delete(key)\n",
            new="        pass\n",
            description="кеш днів народження не інвалідовується після створення чи оновлення "
            "контакту",
        ),
        Mutant(
            id="unverified-login",
            file=USERS,
            old='raise PermissionDeniedError("Email not verified")',
            new="pass",
            description="login пускає користувача з неверифікованим email",
        ),
        Mutant(
            id="blacklist-not-checked",
            file=CACHE,
            old="        return bool(await redis.exists(_blacklist_key(jti)))\n",
            new="        return False\n",
            also=(
                Edit(
                    CACHE,
                    old='        return bool(await redis.set(_blacklist_key(jti), "1", '
                    "ex=max(ttl, 1), nx=True))\n",
                    new='        await redis.set(_blacklist_key(jti), "1", ex=max(ttl, 1))\n'
                    "        return True\n",
                ),
            ),
            description="чорний список refresh-токенів записується, але не перевіряється: "
            "токен після logout знову дає нову пару",
        ),
        Mutant(
            id="no-verification-email",
            file=AUTH_ROUTER,
            # The register route's call (4 spaces), not the resend route's (8).
            old="\n    background.add_task(send_verification_email, mailer, user.email, "
            "user.full_name, token)\n",
            new="\n",
            description="реєстрація не надсилає листа з посиланням для верифікації",
        ),
        Mutant(
            id="register-not-limited",
            file=AUTH_ROUTER,
            old="@limiter.limit(settings.REGISTER_RATE_LIMIT)",
            new="@limiter.limit(settings.LOGIN_RATE_LIMIT)",
            description="реєстрацію обмежено 10 запитами на хвилину з IP замість 5",
        ),
        Mutant(
            id="limit-shared-by-all-ips",
            file="app/core/rate_limit.py",
            old="key_func=get_remote_address,",
            new='key_func=lambda request: "everyone",',
            description="ліміт запитів спільний для всіх IP: один клієнт вичерпує його всім",
        ),
        Mutant(
            id="avatar-limit-off-by-one",
            file=AVATARS,
            old="if len(data) > settings.MAX_AVATAR_BYTES:",
            new="if len(data) > settings.MAX_AVATAR_BYTES + 1:",
            description="аватар на 1 байт більший за ліміт приймається",
        ),
        Mutant(
            id="window-not-wrapped",
            file=CONTACTS,
            old="month_day.between(start, end) if start <= end else "
            "(month_day >= start) | (month_day <= end)",
            new="month_day.between(start, end)",
            description="SQL-фільтр вікна днів народження не переходить через Новий рік",
        ),
        Mutant(
            id="cache-key-shared",
            file=CONTACTS,
            old='return f"birthdays:{user_id}:{today.isoformat()}"',
            new='return f"birthdays:{today.isoformat()}"',
            description="ключ кешу днів народження спільний для всіх користувачів",
        ),
        Mutant(
            id="search-case-sensitive",
            file=CONTACTS,
            old="Contact.first_name.ilike(pattern),\n"
            "            Contact.last_name.ilike(pattern),\n"
            "            Contact.email.ilike(pattern),",
            new="Contact.first_name.like(pattern),\n"
            "            Contact.last_name.like(pattern),\n"
            "            Contact.email.like(pattern),",
            description="пошук контактів (q) розрізняє регістр (кирилиця)",
        ),
        Mutant(
            id="cache-read-fails-closed",
            file=CACHE,
            old="        cached = await redis.hget(key, field)\n    except RedisError as exc:",
            new="        cached = await redis.hget(key, field)\n    except ValueError as exc:",
            description="коли Redis лежить, дні народження відповідають 500, а не даними з бази",
        ),
    ),
)

# --- lesson 08: unit tests of the production settings --------------------------------------

DEPLOY = MutantSet(
    lesson="08_deploy",
    paths=("tests/unit",),
    mutants=(
        Mutant(
            id="production-accepts-default-secrets",
            file=CONFIG,
            old='if self.ENVIRONMENT == "production":',
            new="if False:",
            description="у production застосунок стартує із секретами за замовчуванням",
        ),
        Mutant(
            id="postgres-url-kept",
            file=CONFIG,
            old='return "postgresql+asyncpg://" + value.removeprefix(prefix)',
            new="return value",
            description="DATABASE_URL виду postgres:// лишається без драйвера asyncpg",
        ),
    ),
)

# --- lesson 08: the rate limit behind Render's proxy -----------------------------------------

RENDER_PROXY = MutantSet(
    lesson="08_deploy",
    paths=("tests/integration/test_rate_limit.py",),
    mutants=(
        Mutant(
            id="render-trusts-every-proxy",
            file="render.yaml",
            old='value: "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"',
            new='value: "*"',
            description="render.yaml довіряє X-Forwarded-For від будь-кого: підроблена ліва "
            "адреса дає новий лічильник ліміту",
        ),
    ),
)

# --- the homework: its reference is solution/ itself ------------------------------------------

HOMEWORK = MutantSet(
    lesson="homework",
    paths=("tests",),
    mutants=(
        Mutant(
            id="delete-not-invalidated",
            file=CONTACTS,
            old="    await session.delete(contact)\n    await session.commit()\n",
            new="    await session.delete(contact)\n    await session.commit()\n    return\n",
            description="DELETE /contacts/{id} не інвалідовує кеш днів народження",
        ),
        Mutant(
            id="reset-token-reusable",
            file=AUTH_SERVICE,
            old="    try:\n"
            "        await _check_not_revoked(redis, payload)\n"
            "    except InvalidCredentialsError as exc:\n"
            '        raise InvalidInputError("Token has already been used") from exc\n',
            new="",
            also=(
                Edit(
                    AUTH_SERVICE,
                    old="    except InvalidCredentialsError as exc:\n"
                    '        raise InvalidInputError("Token has already been used") from exc\n'
                    "    await users.set_password(",
                    new="    except InvalidCredentialsError:\n"
                    "        pass\n"
                    "    await users.set_password(",
                ),
            ),
            description="токен скидання пароля можна використати вдруге",
        ),
    ),
)

# The homework's unit test (level 2, item 5): the service's delete, Redis an AsyncMock. Both bugs
# leave the data right and the cache stale; only a test that checks which key is deleted sees them.
DELETE_ANCHOR = "    await session.delete(contact)\n    await session.commit()\n"

HOMEWORK_UNIT = MutantSet(
    lesson="homework",
    paths=("tests/unit",),
    mutants=(
        Mutant(
            id="delete-skips-invalidation",
            file=CONTACTS,
            old=DELETE_ANCHOR,
            new=DELETE_ANCHOR + "    return\n",
            description="contact_service.delete_contact не видаляє ключ кешу днів народження",
        ),
        Mutant(
            id="delete-invalidates-another-user",
            file=CONTACTS,
            old=DELETE_ANCHOR,
            # The key is built from `owner.id` after this point: another user's key is deleted.
            new=DELETE_ANCHOR + "    owner = User(id=owner.id + 1)\n",
            description="contact_service.delete_contact видаляє кеш днів народження іншого "
            "користувача, а не власника контакту",
        ),
    ),
)

ALL = (UNIT, INTEGRATION, DEPLOY, RENDER_PROXY, HOMEWORK, HOMEWORK_UNIT)
