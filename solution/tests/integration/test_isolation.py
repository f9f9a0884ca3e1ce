# >>> file lesson 06 todo
"""One user's address book is invisible to every other user, also under concurrent writes."""

import asyncio
from collections.abc import Awaitable
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.models import Contact, User
from tests.conftest import UserFactory
from tests.helpers import TODAY, bearer, contact_payload

# >>> lesson 06
CONTACTS = "/api/v1/contacts"


@pytest.fixture
async def alice(test_user: User) -> User:
    return test_user


@pytest.fixture
async def bob(make_user: UserFactory) -> User:
    return await make_user("bob@example.com", full_name="Bob")


@pytest.fixture
async def alices_contact(client: AsyncClient, alice: User) -> dict:
    # Alice's contact has a birthday today, so it would show in anybody's birthday list.
    payload = contact_payload(email="secret@example.com", birthday=f"1990-{TODAY:%m-%d}")
    resp = await client.post(CONTACTS, json=payload, headers=bearer(alice))
    assert resp.status_code == 201
    return resp.json()


@pytest.mark.parametrize(
    ("method", "with_body"),
    [("GET", False), ("PUT", True), ("DELETE", False)],
)
async def test_another_users_contact_is_404_never_403(
    client: AsyncClient,
    alice: User,
    bob: User,
    alices_contact: dict,
    method: str,
    with_body: bool,
) -> None:
    body = contact_payload(first_name="Hacked", email="hacked@example.com") if with_body else None

    resp = await client.request(
        method, f"{CONTACTS}/{alices_contact['id']}", json=body, headers=bearer(bob)
    )

    # Exactly what an id that does not exist answers: nothing tells Bob the contact exists.
    missing = await client.request(method, f"{CONTACTS}/999999", json=body, headers=bearer(bob))
    assert resp.status_code == 404
    assert resp.json() == missing.json() == {"detail": "Contact not found"}


async def test_contact_is_unchanged_after_another_users_update_and_delete(
    client: AsyncClient,
    alice: User,
    bob: User,
    alices_contact: dict,
    async_session: AsyncSession,
) -> None:
    url = f"{CONTACTS}/{alices_contact['id']}"
    hacked = contact_payload(first_name="Hacked", email="hacked@example.com")

    assert (await client.put(url, json=hacked, headers=bearer(bob))).status_code == 404
    assert (await client.delete(url, headers=bearer(bob))).status_code == 404

    resp = await client.get(url, headers=bearer(alice))
    assert resp.status_code == 200
    assert resp.json() == alices_contact
    row = await async_session.get(Contact, alices_contact["id"])
    assert row is not None
    assert (row.owner_id, row.first_name) == (alice.id, alices_contact["first_name"])


async def test_another_users_list_search_and_birthdays_never_include_the_contact(
    client: AsyncClient, alice: User, bob: User, alices_contact: dict
) -> None:
    bobs_own = await client.post(
        CONTACTS, json=contact_payload(email="bobs@example.com"), headers=bearer(bob)
    )
    assert bobs_own.status_code == 201

    listing = await client.get(CONTACTS, headers=bearer(bob))
    search = await client.get(CONTACTS, params={"q": "secret"}, headers=bearer(bob))
    birthdays = await client.get(f"{CONTACTS}/birthdays", params={"days": 366}, headers=bearer(bob))

    assert listing.json() == {"items": [bobs_own.json()], "total": 1}
    assert search.json() == {"items": [], "total": 0}
    assert [c["id"] for c in birthdays.json()] == [bobs_own.json()["id"]]
    # …while Alice sees her contact in each of them.
    alices_birthdays = await client.get(f"{CONTACTS}/birthdays", headers=bearer(alice))
    assert [c["id"] for c in alices_birthdays.json()] == [alices_contact["id"]]


async def test_update_with_an_email_another_user_has_is_not_a_conflict(
    client: AsyncClient, alice: User, bob: User, alices_contact: dict
) -> None:
    bobs = await client.post(
        CONTACTS, json=contact_payload(email="bobs@example.com"), headers=bearer(bob)
    )

    resp = await client.put(
        f"{CONTACTS}/{bobs.json()['id']}",
        json=contact_payload(email=alices_contact["email"]),
        headers=bearer(bob),
    )

    assert resp.status_code == 200


# >>> given homework
USERS = 4
CONTACTS_PER_USER = 25


@pytest.fixture
async def patient_sqlite(async_engine: AsyncEngine) -> None:
    """Let SQLite writers queue for the write lock for up to 30 s instead of 5.

    SQLite admits one writer at a time and by default gives up after 5 s ("database is
    locked"); on a loaded machine, with coverage on, 100 inserts at once can queue longer.
    That is a limit of the embedded database, not what the test is about. PostgreSQL locks
    rows and needs nothing.
    """
    if async_engine.dialect.name != "sqlite":
        return

    @event.listens_for(async_engine.sync_engine, "connect")
    def wait_for_the_write_lock(dbapi_connection: Any, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.close()

    await async_engine.dispose()  # pooled connections reconnect, with the pragma


async def test_100_concurrent_creations_by_4_users_each_land_with_their_owner(
    patient_sqlite: None, client: AsyncClient, make_user: UserFactory, async_session: AsyncSession
) -> None:
    users = [await make_user(f"user{n}@example.com") for n in range(USERS)]

    def create(user: User, n: int) -> Awaitable[Response]:
        payload = contact_payload(first_name=f"U{user.id}", email=f"c{n}.u{user.id}@example.com")
        return client.post(CONTACTS, json=payload, headers=bearer(user))

    # Interleaved: user0 #0, user1 #0, …, user3 #24 all in flight at once.
    requests = [create(user, n) for n in range(CONTACTS_PER_USER) for user in users]
    responses = await asyncio.gather(*requests)

    assert [r.status_code for r in responses] == [201] * USERS * CONTACTS_PER_USER
    assert len({r.json()["id"] for r in responses}) == USERS * CONTACTS_PER_USER

    rows = (await async_session.scalars(select(Contact))).all()
    assert len(rows) == USERS * CONTACTS_PER_USER
    for row in rows:
        # Each contact's email names the user that created it: c{n}.u{user_id}@…
        assert row.email.split("@")[0].endswith(f".u{row.owner_id}")
        assert row.first_name == f"U{row.owner_id}"
    for user in users:
        listing = await client.get(CONTACTS, params={"limit": 100}, headers=bearer(user))
        assert listing.json()["total"] == CONTACTS_PER_USER
        assert {item["first_name"] for item in listing.json()["items"]} == {f"U{user.id}"}


# <<< given homework


# --- todo
# TODO(06) [чекпойнт 06.2]: тести ізоляції користувачів (двоє: fixture `test_user` і
#   make_user("bob@…")):
#   - чужий контакт на GET/PUT/DELETE → 404, як неіснуючий id, ніколи 403 (чекпойнт 06.2);
#   - після чужих PUT/DELETE контакт не змінився;
#   - список, пошук і дні народження не показують чужих контактів.
# <<< lesson 06
