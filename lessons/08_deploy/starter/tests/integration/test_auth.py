"""The register → email → verify → login flow of the lesson plan, and its failure cases."""

from collections.abc import Callable
from datetime import timedelta
from unittest.mock import AsyncMock

import pytest
from httpx import AsyncClient
from redis.asyncio import Redis

from app.core.security import (
    ACCESS,
    EMAIL_VERIFY,
    REFRESH,
    create_access_token,
    create_refresh_token,
    create_token,
    decode_token,
)
from app.models import User
from tests.conftest import UserFactory
from tests.helpers import (
    PASSWORD,
    extract_token_from_email,
)


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


async def test_users_me_without_token_is_401(client: AsyncClient) -> None:
    assert (await client.get(ME)).status_code == 401


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
