"""The seeded bugs the testing checkpoints plant into a reference app (see course.mutation).

Every `old` text is copied from the reference it mutates and must occur there exactly once;
tests/test_mutants.py proves that each mutant applies to its lesson's solved snapshot (and to
every later one), and that the reference's own test suite passes unmutated and fails on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from course.mutation import Edit, Mutant, Suite, verdict


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

    def assert_caught(self, suite: Suite, mutant_id: str) -> None:
        """Fail with the student's reason unless `suite` catches this mutant (the set's other
        mutants start beside it: they share the runs)."""
        result = verdict(suite, self.get(mutant_id), self.mutants)
        if not result.caught:
            raise AssertionError(result.reason)


CONTACTS = "app/services/contacts.py"
SECURITY = "app/core/security.py"
CACHE = "app/core/cache.py"
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
            old="    except ValueError:  # 29 February in a common year is celebrated on the 28th\n"
            "        this_year = birthday.replace(year=today.year, day=28)\n",
            new="    except ValueError:  # 29 February in a common year is celebrated on the 28th\n"
            "        this_year = birthday.replace(year=today.year, month=3, day=1)\n",
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
            old="    if not user.is_verified:\n"
            "        # 403, not 401: we know who this is, they may not log in yet.\n"
            '        raise PermissionDeniedError("Email not verified")\n',
            new="",
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
            old="    # Sent after the response: registration does not wait for (or fail on) the "
            "SMTP server.\n"
            "    background.add_task(send_verification_email, mailer, user.email, "
            "user.full_name, token)\n",
            new="",
            description="реєстрація не надсилає листа з посиланням для верифікації",
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
            old="    # Homework, level 2: a deleted contact must leave the cached birthday list at "
            "once.\n"
            "    await invalidate(redis, birthdays_cache_key(owner.id, today))\n",
            new="",
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
                    old="        await _revoke(redis, payload)  # first: a token store that is "
                    "down changes nothing\n"
                    "    except InvalidCredentialsError as exc:\n"
                    '        raise InvalidInputError("Token has already been used") from exc\n',
                    new="        await _revoke(redis, payload)\n"
                    "    except InvalidCredentialsError:\n"
                    "        pass\n",
                ),
            ),
            description="токен скидання пароля можна використати вдруге",
        ),
    ),
)

ALL = (UNIT, INTEGRATION, HOMEWORK)
