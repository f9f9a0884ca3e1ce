"""One user's address book is invisible to every other user, also under concurrent writes."""

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Contact, User
from tests.conftest import UserFactory
from tests.helpers import TODAY, bearer, contact_payload

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
