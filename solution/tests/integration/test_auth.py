# >>> file lesson 06 todo
"""The register → email → verify → login flow of the lesson plan, and its failure cases."""

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from unittest.mock import AsyncMock

import pytest
from httpx import AsyncClient
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import security
from app.core.security import (
    ACCESS,
    EMAIL_VERIFY,
    REFRESH,
    create_access_token,
    create_email_token,
    create_password_reset_token,
    create_refresh_token,
    create_token,
    decode_token,
)
from app.models import User
from tests.conftest import UserFactory
from tests.helpers import (
    PASSWORD,
    bearer,
    extract_token_from_email,
    reset_token_from_email,
)


# >>> lesson 06
async def test_full_auth_flow(client: AsyncClient, mock_mail: AsyncMock) -> None:
    # 1. Register
    resp = await client.post(
        "/api/v1/auth/register", json={"email": "test@example.com", "password": PASSWORD}
    )
    assert resp.status_code == 201
    assert resp.json()["is_verified"] is False
    assert "access_token" not in resp.json()

    # 2. Login before verification → 403
    credentials = {"username": "test@example.com", "password": PASSWORD}
    resp = await client.post("/api/v1/auth/login", data=credentials)
    assert resp.status_code == 403

    # 3. Verify with the token the AsyncMock caught in the "email"
    token = extract_token_from_email(mock_mail)
    resp = await client.get(f"/api/v1/auth/verify/{token}")
    assert resp.status_code == 200
    assert resp.json()["is_verified"] is True

    # 4. Login after verification → 200
    resp = await client.post("/api/v1/auth/login", data=credentials)
    assert resp.status_code == 200
    assert "access_token" in resp.json()
    assert resp.json()["token_type"] == "bearer"


# --- helpers ------------------------------------------------------------------------------------

AUTH = "/api/v1/auth"
ME = "/api/v1/users/me"


async def login(client: AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    resp = await client.post(f"{AUTH}/login", data={"username": email, "password": password})
    assert resp.status_code == 200, resp.text
    return resp.json()


# --- register -----------------------------------------------------------------------------------


async def test_register_sends_one_verification_email(
    client: AsyncClient, mock_mail: AsyncMock
) -> None:
    resp = await client.post(
        f"{AUTH}/register",
        json={"email": "new@example.com", "password": PASSWORD, "full_name": "New"},
    )
    assert resp.status_code == 201
    assert resp.json() | {"id": 0} == {
        "id": 0,
        "email": "new@example.com",
        "full_name": "New",
        "is_verified": False,
        "avatar_url": None,
    }
    mock_mail.send_message.assert_awaited_once()
    assert [r.email for r in mock_mail.send_message.call_args.args[0].recipients] == [
        "new@example.com"
    ]


async def test_register_duplicate_email_is_409(client: AsyncClient, test_user: User) -> None:
    resp = await client.post(
        f"{AUTH}/register", json={"email": test_user.email, "password": PASSWORD}
    )
    assert resp.status_code == 409
    assert resp.json()["detail"] == "Email already registered"


# >>> given homework
async def test_register_lower_cases_the_email(client: AsyncClient) -> None:
    resp = await client.post(
        f"{AUTH}/register", json={"email": "Bob.Smith@Example.COM", "password": PASSWORD}
    )
    assert resp.status_code == 201
    assert resp.json()["email"] == "bob.smith@example.com"

    # The same address in other letters is the same account.
    resp = await client.post(
        f"{AUTH}/register", json={"email": "BOB.SMITH@example.com", "password": PASSWORD}
    )
    assert resp.status_code == 409


# <<< given homework


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"email": "not-an-email", "password": PASSWORD}, id="bad-email"),
        pytest.param({"email": "short@example.com", "password": "12345"}, id="short-password"),
        pytest.param({"email": "nopass@example.com"}, id="no-password"),
    ],
)
async def test_register_invalid_input_is_422(
    client: AsyncClient, mock_mail: AsyncMock, body: dict[str, str]
) -> None:
    resp = await client.post(f"{AUTH}/register", json=body)
    assert resp.status_code == 422
    mock_mail.send_message.assert_not_awaited()


# --- verify -------------------------------------------------------------------------------------


@pytest.mark.parametrize("create", [create_access_token, create_refresh_token])
async def test_verify_with_another_kind_of_token_is_wrong_purpose(
    client: AsyncClient, make_user: UserFactory, create: Callable[[str], str]
) -> None:
    user = await make_user("new@example.com", verified=False)
    resp = await client.get(f"{AUTH}/verify/{create(user.email)}")
    assert resp.status_code == 400
    assert resp.json()["detail"] == "Wrong token purpose"


async def test_verify_with_garbage_is_400(client: AsyncClient) -> None:
    resp = await client.get(f"{AUTH}/verify/not-a-token")
    assert resp.status_code == 400
    assert resp.json()["detail"] == "Invalid token"


async def test_verify_with_expired_token_is_400(
    client: AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user("new@example.com", verified=False)
    token = create_token(user.email, EMAIL_VERIFY, expires_delta=timedelta(seconds=-1))
    resp = await client.get(f"{AUTH}/verify/{token}")
    assert resp.status_code == 400
    assert resp.json()["detail"] == "Token has expired"


# >>> given homework
async def test_verify_twice_is_200_and_changes_nothing(
    client: AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user("new@example.com", verified=False)
    token = create_email_token(user.email)

    first = await client.get(f"{AUTH}/verify/{token}")
    second = await client.get(f"{AUTH}/verify/{token}")

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert second.json()["is_verified"] is True


# --- resend-verification ------------------------------------------------------------------------


async def test_resend_for_unknown_email_is_202_and_sends_nothing(
    client: AsyncClient, mock_mail: AsyncMock
) -> None:
    resp = await client.post(f"{AUTH}/resend-verification", json={"email": "ghost@example.com"})
    assert resp.status_code == 202
    mock_mail.send_message.assert_not_awaited()


async def test_resend_for_unverified_user_sends_a_working_link(
    client: AsyncClient, mock_mail: AsyncMock, make_user: UserFactory
) -> None:
    await make_user("new@example.com", verified=False)

    resp = await client.post(f"{AUTH}/resend-verification", json={"email": "new@example.com"})

    assert resp.status_code == 202
    mock_mail.send_message.assert_awaited_once()
    verified = await client.get(f"{AUTH}/verify/{extract_token_from_email(mock_mail)}")
    assert verified.json()["is_verified"] is True


async def test_resend_for_verified_user_is_202_and_sends_nothing(
    client: AsyncClient, mock_mail: AsyncMock, test_user: User
) -> None:
    resp = await client.post(f"{AUTH}/resend-verification", json={"email": test_user.email})
    assert resp.status_code == 202
    mock_mail.send_message.assert_not_awaited()


async def test_resend_answers_the_same_for_every_email(
    client: AsyncClient, make_user: UserFactory, test_user: User
) -> None:
    # No user enumeration: unknown, unverified and verified look alike.
    await make_user("new@example.com", verified=False)
    answers = [
        (await client.post(f"{AUTH}/resend-verification", json={"email": email})).json()
        for email in ("ghost@example.com", "new@example.com", test_user.email)
    ]
    assert answers[0] == answers[1] == answers[2]


# <<< given homework


# --- login --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice@example.com", "wrong-password"), ("ghost@example.com", PASSWORD)],
    ids=["wrong-password", "unknown-user"],
)
async def test_login_with_bad_credentials_is_401(
    client: AsyncClient, test_user: User, username: str, password: str
) -> None:
    resp = await client.post(f"{AUTH}/login", data={"username": username, "password": password})
    assert resp.status_code == 401
    # One message for both: the answer does not tell which emails are registered.
    assert resp.json()["detail"] == "Incorrect email or password"


# >>> given homework
async def test_an_unknown_email_costs_a_password_check_like_a_wrong_password(
    client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Timing: answering "no such user" without bcrypt's ~0.3 s would tell which emails exist.
    checks: list[str] = []
    real_verify = security._pwd_context.verify

    def counting_verify(password: str, hashed: str) -> bool:
        checks.append(password)
        return real_verify(password, hashed)

    monkeypatch.setattr(security._pwd_context, "verify", counting_verify)
    resp = await client.post(
        f"{AUTH}/login", data={"username": "ghost@example.com", "password": PASSWORD}
    )

    assert resp.status_code == 401
    assert checks == [PASSWORD]


@pytest.mark.parametrize("length", [73, 4097, 100_000])
async def test_login_with_an_overlong_password_is_401_not_500(
    client: AsyncClient, test_user: User, length: int
) -> None:
    resp = await client.post(
        f"{AUTH}/login", data={"username": test_user.email, "password": "x" * length}
    )
    assert resp.status_code == 401
    assert resp.json()["detail"] == "Incorrect email or password"


async def test_a_nul_in_the_password_is_refused_not_a_500(
    client: AsyncClient, test_user: User
) -> None:
    # passlib's bcrypt raises on a NUL: registration refuses it (422), so no account has one (401).
    resp = await client.post(
        f"{AUTH}/register", json={"email": "new@example.com", "password": "abc\x00defg"}
    )
    assert resp.status_code == 422
    assert "NUL" in resp.json()["detail"][0]["msg"]
    for email in (test_user.email, "nobody@example.com"):
        resp = await client.post(
            f"{AUTH}/login", data={"username": email, "password": "ab\x00cdef"}
        )
        assert resp.status_code == 401
        assert resp.json()["detail"] == "Incorrect email or password"


@pytest.mark.parametrize(
    ("password", "status_code"),
    [("😀" * 18, 201), ("😀" * 19, 422), ("ї" * 36, 201), ("ї" * 37, 422), ("x" * 73, 422)],
    ids=["72-bytes-of-emoji", "76-bytes-of-emoji", "72-bytes", "74-bytes", "73-ascii"],
)
async def test_register_limits_the_password_in_bytes(
    client: AsyncClient, password: str, status_code: int
) -> None:
    # bcrypt ignores everything after 72 bytes: 18 emoji + junk would log in as 72 emoji.
    resp = await client.post(
        f"{AUTH}/register", json={"email": "new@example.com", "password": password}
    )
    assert resp.status_code == status_code
    if status_code == 422:
        assert "at most 72 bytes" in resp.json()["detail"][0]["msg"]


async def test_token_answers_are_never_cached(client: AsyncClient, test_user: User) -> None:
    resp = await client.post(
        f"{AUTH}/login", data={"username": test_user.email, "password": PASSWORD}
    )
    assert resp.headers["Cache-Control"] == "no-store"
    refresh_token = resp.json()["refresh_token"]

    resp = await client.post(f"{AUTH}/refresh", json={"refresh_token": refresh_token})
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"


# <<< given homework


async def test_login_gives_an_access_and_a_refresh_token(
    client: AsyncClient, test_user: User
) -> None:
    tokens = await login(client, "ALICE@example.com")  # any letter case
    assert tokens["token_type"] == "bearer"
    assert decode_token(tokens["access_token"], ACCESS).sub == test_user.email
    assert decode_token(tokens["refresh_token"], REFRESH).sub == test_user.email


# --- /users/me ----------------------------------------------------------------------------------


async def test_access_token_opens_users_me(client: AsyncClient, test_user: User) -> None:
    tokens = await login(client, test_user.email)
    resp = await client.get(ME, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert resp.status_code == 200
    assert resp.json()["email"] == test_user.email


# >>> given homework
@pytest.mark.parametrize("create", [create_refresh_token, create_email_token])
async def test_other_tokens_do_not_open_users_me(
    client: AsyncClient, test_user: User, create: Callable[[str], str]
) -> None:
    resp = await client.get(ME, headers={"Authorization": f"Bearer {create(test_user.email)}"})
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"] == "Bearer"


# <<< given homework


async def test_users_me_without_token_is_401(client: AsyncClient) -> None:
    assert (await client.get(ME)).status_code == 401


# >>> given homework
async def test_update_me_changes_the_full_name(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    resp = await client.put(ME, json={"full_name": "Alice Cooper"}, headers=auth_headers)
    assert resp.status_code == 200
    assert resp.json()["full_name"] == "Alice Cooper"
    assert (await client.get(ME, headers=auth_headers)).json()["full_name"] == "Alice Cooper"


async def test_a_request_reads_its_user_from_redis_once_it_is_cached(
    client: AsyncClient,
    test_user: User,
    auth_headers: dict[str, str],
    async_session: AsyncSession,
    redis: Redis,
) -> None:
    assert (await client.get(ME, headers=auth_headers)).json()["full_name"] == "Alice"
    assert await redis.exists(f"principal:{test_user.email}") == 1

    # Written behind the API's back, so nothing rewrites the cached user: no query sees it.
    test_user.full_name = "Changed in the database"
    await async_session.commit()

    assert (await client.get(ME, headers=auth_headers)).json()["full_name"] == "Alice"


async def test_a_cached_user_of_another_model_version_is_read_from_the_database(
    client: AsyncClient, test_user: User, auth_headers: dict[str, str], redis: Redis
) -> None:
    # Cached before a deploy whose migration dropped a column: a miss, not a 500.
    old_entry = {"id": test_user.id, "email": test_user.email, "nickname": "dropped"}
    await redis.set(f"principal:{test_user.email}", json.dumps(old_entry))

    resp = await client.get(ME, headers=auth_headers)

    assert resp.status_code == 200
    assert resp.json()["full_name"] == "Alice"


async def test_an_unverified_user_is_not_cached(
    client: AsyncClient, make_user: UserFactory, redis: Redis
) -> None:
    # /verify changes a user where no cache is at hand: only verified users may be cached.
    user = await make_user("new@example.com", verified=False)
    assert (await client.get(ME, headers=bearer(user))).status_code == 200
    assert await redis.exists(f"principal:{user.email}") == 0


async def test_update_me_without_token_is_401(client: AsyncClient) -> None:
    resp = await client.put(ME, json={"full_name": "Mallory"})
    assert resp.status_code == 401


# <<< given homework


# --- refresh ------------------------------------------------------------------------------------


async def test_refresh_rotates_and_revokes_the_old_token(
    client: AsyncClient, test_user: User
) -> None:
    old = await login(client, test_user.email)

    resp = await client.post(f"{AUTH}/refresh", json={"refresh_token": old["refresh_token"]})
    assert resp.status_code == 200
    new = resp.json()
    assert new["refresh_token"] != old["refresh_token"]
    assert decode_token(new["access_token"], ACCESS).sub == test_user.email

    again = await client.post(f"{AUTH}/refresh", json={"refresh_token": new["refresh_token"]})
    assert again.status_code == 200

    reused = await client.post(f"{AUTH}/refresh", json={"refresh_token": old["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["detail"] == "Token has been revoked"


async def test_reusing_a_rotated_refresh_token_ends_its_whole_family(
    client: AsyncClient, test_user: User
) -> None:
    # RFC 9700, 4.14.2: a rotated token that comes back was stolen; end every token of the login.
    stolen = await login(client, test_user.email)
    other_login = await login(client, test_user.email)  # another device: not this family
    rotated = (
        await client.post(f"{AUTH}/refresh", json={"refresh_token": stolen["refresh_token"]})
    ).json()

    reused = await client.post(f"{AUTH}/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert reused.status_code == 401

    resp = await client.post(f"{AUTH}/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert resp.status_code == 401
    assert resp.json()["detail"] == "Token has been revoked"
    for access in (rotated["access_token"], stolen["access_token"]):
        resp = await client.get(ME, headers={"Authorization": f"Bearer {access}"})
        assert resp.status_code == 401
    other = {"Authorization": f"Bearer {other_login['access_token']}"}
    assert (await client.get(ME, headers=other)).status_code == 200
    resp = await client.post(
        f"{AUTH}/refresh", json={"refresh_token": other_login["refresh_token"]}
    )
    assert resp.status_code == 200


# >>> given homework
async def test_same_refresh_token_twice_at_once_works_only_once(
    client: AsyncClient, test_user: User
) -> None:
    # Rotation must hold under concurrency: a stolen copy raced against the owner loses.
    token = (await login(client, test_user.email))["refresh_token"]
    answers = await asyncio.gather(
        *(client.post(f"{AUTH}/refresh", json={"refresh_token": token}) for _ in range(2))
    )
    assert sorted(resp.status_code for resp in answers) == [200, 401]


async def test_access_token_at_refresh_is_401(client: AsyncClient, test_user: User) -> None:
    tokens = await login(client, test_user.email)
    resp = await client.post(f"{AUTH}/refresh", json={"refresh_token": tokens["access_token"]})
    assert resp.status_code == 401
    assert resp.json()["detail"] == "Invalid refresh token"


async def test_expired_refresh_token_is_401(client: AsyncClient, test_user: User) -> None:
    token = create_token(test_user.email, REFRESH, expires_delta=timedelta(seconds=-1))
    resp = await client.post(f"{AUTH}/refresh", json={"refresh_token": token})
    assert resp.status_code == 401


async def test_refresh_for_a_deleted_user_is_401(
    client: AsyncClient, test_user: User, async_session: AsyncSession
) -> None:
    refresh_token = (await login(client, test_user.email))["refresh_token"]
    await async_session.delete(test_user)
    await async_session.commit()

    resp = await client.post(f"{AUTH}/refresh", json={"refresh_token": refresh_token})
    assert resp.status_code == 401
    assert resp.json()["detail"] == "Invalid refresh token"


async def test_refresh_is_503_without_a_new_pair_when_revoking_fails(
    client: AsyncClient, test_user: User, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rotation fails closed: if the old token cannot be revoked, no new pair is issued.
    refresh_token = (await login(client, test_user.email))["refresh_token"]

    async def store_down(*args: object, **kwargs: object) -> None:
        raise RedisConnectionError("Redis went away")

    monkeypatch.setattr(redis, "set", store_down)
    resp = await client.post(f"{AUTH}/refresh", json={"refresh_token": refresh_token})
    assert resp.status_code == 503
    assert "access_token" not in resp.json()


# <<< given homework


# --- logout -------------------------------------------------------------------------------------


async def test_logout_revokes_the_refresh_token(
    client: AsyncClient, test_user: User, redis: Redis
) -> None:
    tokens = await login(client, test_user.email)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}

    resp = await client.post(
        f"{AUTH}/logout", json={"refresh_token": tokens["refresh_token"]}, headers=headers
    )
    assert resp.status_code == 204

    # Blacklisted in Redis until the token would have expired anyway (7 days).
    jti = decode_token(tokens["refresh_token"], REFRESH).jti
    assert 7 * 86400 - 60 < await redis.ttl(f"blacklist:{jti}") <= 7 * 86400

    resp = await client.post(f"{AUTH}/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert resp.status_code == 401
    assert resp.json()["detail"] == "Token has been revoked"


# >>> given homework
async def test_logout_ends_the_access_token_that_called_it(
    client: AsyncClient, test_user: User
) -> None:
    tokens = await login(client, test_user.email)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get(ME, headers=headers)).status_code == 200

    await client.post(
        f"{AUTH}/logout", json={"refresh_token": tokens["refresh_token"]}, headers=headers
    )

    # The blacklist is checked on every request, not only at /refresh.
    resp = await client.get(ME, headers=headers)
    assert resp.status_code == 401
    assert resp.json()["detail"] == "Token has been revoked"


async def test_logout_with_another_users_refresh_token_is_401(
    client: AsyncClient, test_user: User, make_user: UserFactory
) -> None:
    bob = await make_user("bob@example.com")
    bobs_refresh = (await login(client, bob.email))["refresh_token"]

    resp = await client.post(
        f"{AUTH}/logout", json={"refresh_token": bobs_refresh}, headers=bearer(test_user)
    )
    assert resp.status_code == 401
    # Alice could not log Bob out: his token still works.
    resp = await client.post(f"{AUTH}/refresh", json={"refresh_token": bobs_refresh})
    assert resp.status_code == 200


async def test_logout_without_access_token_is_401(client: AsyncClient, test_user: User) -> None:
    refresh_token = (await login(client, test_user.email))["refresh_token"]
    resp = await client.post(f"{AUTH}/logout", json={"refresh_token": refresh_token})
    assert resp.status_code == 401
    # Nothing was revoked by the refused call.
    resp = await client.post(f"{AUTH}/refresh", json={"refresh_token": refresh_token})
    assert resp.status_code == 200


# <<< given homework


# >>> lesson homework
# --- password reset (homework, level 3) ---------------------------------------------------------


async def test_password_reset_request_is_202_and_mails_only_known_users(
    client: AsyncClient, mock_mail: AsyncMock, test_user: User
) -> None:
    unknown = await client.post(f"{AUTH}/password-reset/request", json={"email": "x@example.com"})
    assert unknown.status_code == 202
    mock_mail.send_message.assert_not_awaited()

    known = await client.post(f"{AUTH}/password-reset/request", json={"email": test_user.email})
    assert known.status_code == 202
    assert known.json() == unknown.json()  # no user enumeration
    mock_mail.send_message.assert_awaited_once()
    message = mock_mail.send_message.call_args.args[0]
    assert [r.email for r in message.recipients] == [test_user.email]


async def test_password_reset_flow(
    client: AsyncClient, mock_mail: AsyncMock, test_user: User
) -> None:
    await client.post(f"{AUTH}/password-reset/request", json={"email": test_user.email})
    token = reset_token_from_email(mock_mail)
    confirm = {"token": token, "new_password": "new-secret-456"}

    resp = await client.post(f"{AUTH}/password-reset/confirm", json=confirm)
    assert resp.status_code == 200

    old = await client.post(
        f"{AUTH}/login", data={"username": test_user.email, "password": PASSWORD}
    )
    assert old.status_code == 401
    await login(client, test_user.email, "new-secret-456")

    # One token, one reset.
    reused = await client.post(
        f"{AUTH}/password-reset/confirm", json=confirm | {"new_password": "third-pass-789"}
    )
    assert reused.status_code == 400
    await login(client, test_user.email, "new-secret-456")


async def test_password_reset_ends_every_earlier_session(
    client: AsyncClient, test_user: User
) -> None:
    before = await login(client, test_user.email)
    old_access = {"Authorization": f"Bearer {before['access_token']}"}
    assert (await client.get(ME, headers=old_access)).status_code == 200  # the user is cached
    confirm = {"token": create_password_reset_token(test_user.email), "new_password": "new-456789"}
    assert (await client.post(f"{AUTH}/password-reset/confirm", json=confirm)).status_code == 200

    resp = await client.get(ME, headers=old_access)
    assert resp.status_code == 401
    resp = await client.post(f"{AUTH}/refresh", json={"refresh_token": before["refresh_token"]})
    assert resp.status_code == 401
    assert resp.json()["detail"] == "Token has been revoked"
    # A session started after the reset works.
    after = await login(client, test_user.email, "new-456789")
    assert (
        await client.get(ME, headers={"Authorization": f"Bearer {after['access_token']}"})
    ).status_code == 200
    resp = await client.post(f"{AUTH}/refresh", json={"refresh_token": after["refresh_token"]})
    assert resp.status_code == 200


async def test_same_reset_token_twice_at_once_resets_only_once(
    client: AsyncClient, test_user: User
) -> None:
    token = create_password_reset_token(test_user.email)
    answers = await asyncio.gather(
        *(
            client.post(
                f"{AUTH}/password-reset/confirm", json={"token": token, "new_password": password}
            )
            for password in ("first-pass-123", "second-pass-456")
        )
    )
    assert sorted(resp.status_code for resp in answers) == [200, 400]
    winner = "first-pass-123" if answers[0].status_code == 200 else "second-pass-456"
    await login(client, test_user.email, winner)


async def test_password_reset_for_a_deleted_user_is_400(
    client: AsyncClient, test_user: User, async_session: AsyncSession
) -> None:
    token = create_password_reset_token(test_user.email)
    await async_session.delete(test_user)
    await async_session.commit()

    resp = await client.post(
        f"{AUTH}/password-reset/confirm", json={"token": token, "new_password": "new-secret-456"}
    )
    assert resp.status_code == 400
    assert resp.json()["detail"] == "Invalid token"


async def test_password_reset_with_email_verification_token_is_wrong_purpose(
    client: AsyncClient, test_user: User
) -> None:
    resp = await client.post(
        f"{AUTH}/password-reset/confirm",
        json={"token": create_email_token(test_user.email), "new_password": "new-secret-456"},
    )
    assert resp.status_code == 400
    assert resp.json()["detail"] == "Wrong token purpose"
    await login(client, test_user.email)  # the password did not change


async def test_password_reset_token_does_not_verify_an_email(
    client: AsyncClient, make_user: UserFactory
) -> None:
    # Both travel by email and share a secret; only the purpose claim keeps them apart.
    user = await make_user("new@example.com", verified=False)
    resp = await client.get(f"{AUTH}/verify/{create_password_reset_token(user.email)}")
    assert resp.status_code == 400
    assert resp.json()["detail"] == "Wrong token purpose"


# --- todo
# TODO(homework) [чекпойнт HW.6]: integration-тести скидання пароля (fixtures client, mock_mail,
#   test_user): request → 202 і для невідомого email (лист лише відомому); повний flow: request →
#   токен з листа → confirm → старий пароль 401, новий — логін → той самий токен удруге → 400;
#   токен верифікації email на /password-reset/confirm → 400.
# <<< lesson homework
# --- todo
# TODO(06) [чекпойнти 06.4, 06.5, 06.7]: інтеграційні тести auth через HTTP (fixture `client`,
#   `mock_mail` з tests/conftest.py):
#   - повний flow з плану: register → 201 без токенів; login до верифікації → 403;
#     verify з токеном із "листа" (extract_token_from_email(mock_mail)) → 200; login → 200
#     (чекпойнти 06.4, 06.7);
#   - register: дубль email → 409, погані дані → 422; verify чужим, зіпсованим
#     і простроченим токеном → 400;
#   - /users/me з access-токеном → 200, без токена → 401;
#   - refresh видає нову пару і відкликає старий токен; після logout refresh → 401
#     (чекпойнт 06.5).
# <<< lesson 06
