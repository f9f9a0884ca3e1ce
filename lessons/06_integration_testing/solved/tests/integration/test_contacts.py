"""Contacts over HTTP: CRUD, validation, pagination, search, access rules and birthdays."""

from datetime import date

import pytest
from httpx import AsyncClient

from tests.conftest import UserFactory
from tests.helpers import TODAY, bearer, contact_payload

CONTACTS = "/api/v1/contacts"
Headers = dict[str, str]


async def post_contact(client: AsyncClient, headers: Headers, **fields: object) -> dict:
    resp = await client.post(CONTACTS, json=contact_payload(**fields), headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


# --- create ---------------------------------------------------------------------------------


async def test_create_returns_201_and_echoes_the_contact_with_an_id(
    client: AsyncClient, auth_headers: Headers
) -> None:
    payload = contact_payload()

    resp = await client.post(CONTACTS, json=payload, headers=auth_headers)

    assert resp.status_code == 201
    body = resp.json()
    assert isinstance(body["id"], int)
    assert {key: body[key] for key in payload} == payload


async def test_duplicate_email_for_the_same_owner_is_409(
    client: AsyncClient, auth_headers: Headers
) -> None:
    await post_contact(client, auth_headers, email="dup@example.com")

    resp = await client.post(
        CONTACTS,
        json=contact_payload(email="dup@example.com", first_name="Other"),
        headers=auth_headers,
    )

    assert resp.status_code == 409
    assert "detail" in resp.json()
    listing = await client.get(CONTACTS, headers=auth_headers)
    assert listing.json()["total"] == 1


@pytest.mark.parametrize(
    ("overrides", "missing", "bad_field"),
    [
        pytest.param({"email": "not-an-email"}, None, "email", id="bad-email"),
        pytest.param({}, "last_name", "last_name", id="missing-field"),
        pytest.param({"birthday": "1990-13-45"}, None, "birthday", id="bad-birthday"),
        pytest.param({"birthday": "yesterday"}, None, "birthday", id="birthday-not-a-date"),
        pytest.param({"phone": "call me maybe"}, None, "phone", id="bad-phone"),
        pytest.param({"phone": "1"}, None, "phone", id="phone-too-short"),
        pytest.param({"first_name": ""}, None, "first_name", id="empty-first-name"),
    ],
)
async def test_invalid_input_is_422_naming_the_field(
    client: AsyncClient,
    auth_headers: Headers,
    overrides: dict[str, object],
    missing: str | None,
    bad_field: str,
) -> None:
    payload = contact_payload(**overrides)
    if missing:
        del payload[missing]

    resp = await client.post(CONTACTS, json=payload, headers=auth_headers)

    assert resp.status_code == 422
    assert bad_field in {error["loc"][-1] for error in resp.json()["detail"]}
    assert (await client.get(CONTACTS, headers=auth_headers)).json()["total"] == 0


# --- read, update, delete ---------------------------------------------------------------------


async def test_get_by_id_returns_the_contact(client: AsyncClient, auth_headers: Headers) -> None:
    created = await post_contact(client, auth_headers)

    resp = await client.get(f"{CONTACTS}/{created['id']}", headers=auth_headers)

    assert resp.status_code == 200
    assert resp.json() == created


async def test_get_of_an_unknown_id_is_404(client: AsyncClient, auth_headers: Headers) -> None:
    resp = await client.get(f"{CONTACTS}/999999", headers=auth_headers)

    assert resp.status_code == 404
    assert resp.json() == {"detail": "Contact not found"}


async def test_put_replaces_the_fields_and_persists(
    client: AsyncClient, auth_headers: Headers
) -> None:
    created = await post_contact(client, auth_headers)
    changes = contact_payload(
        first_name="Lesya",
        last_name="Ukrainka",
        email="lesya@example.com",
        phone="+380 (44) 123-45-67",
        birthday="1971-02-25",
        notes=None,
    )

    resp = await client.put(f"{CONTACTS}/{created['id']}", json=changes, headers=auth_headers)

    assert resp.status_code == 200
    assert resp.json() == changes | {"id": created["id"]}
    reread = await client.get(f"{CONTACTS}/{created['id']}", headers=auth_headers)
    assert reread.json() == changes | {"id": created["id"]}


async def test_delete_is_204_then_the_contact_is_gone(
    client: AsyncClient, auth_headers: Headers
) -> None:
    created = await post_contact(client, auth_headers)
    url = f"{CONTACTS}/{created['id']}"

    resp = await client.delete(url, headers=auth_headers)

    assert resp.status_code == 204
    assert resp.content == b""
    assert (await client.get(url, headers=auth_headers)).status_code == 404
    assert (await client.delete(url, headers=auth_headers)).status_code == 404
    assert (await client.get(CONTACTS, headers=auth_headers)).json() == {"items": [], "total": 0}


# --- list: pagination and search ----------------------------------------------------------


async def test_list_answers_items_and_total(client: AsyncClient, auth_headers: Headers) -> None:
    created = await post_contact(client, auth_headers)

    resp = await client.get(CONTACTS, headers=auth_headers)

    assert resp.status_code == 200
    assert resp.json() == {"items": [created], "total": 1}


async def test_pagination_pages_through_in_creation_order_with_a_constant_total(
    client: AsyncClient, auth_headers: Headers
) -> None:
    ids = [
        (await post_contact(client, auth_headers, email=f"c{n}@example.com"))["id"]
        for n in range(5)
    ]

    pages = [
        (await client.get(CONTACTS, params={"skip": skip, "limit": 2}, headers=auth_headers))
        for skip in (0, 2, 4, 6)
    ]

    assert all(page.status_code == 200 for page in pages)
    assert [[item["id"] for item in page.json()["items"]] for page in pages] == [
        ids[0:2],
        ids[2:4],
        ids[4:5],
        [],
    ]
    assert {page.json()["total"] for page in pages} == {5}


@pytest.mark.parametrize("limit", [1, 100])
async def test_limit_bounds_are_inclusive(
    client: AsyncClient, auth_headers: Headers, limit: int
) -> None:
    resp = await client.get(CONTACTS, params={"limit": limit}, headers=auth_headers)

    assert resp.status_code == 200


@pytest.fixture
async def address_book(client: AsyncClient, auth_headers: Headers) -> dict[str, int]:
    people = {
        "taras": contact_payload(
            first_name="Taras", last_name="Shevchenko", email="taras@example.ua"
        ),
        "lesya": contact_payload(first_name="Lesya", last_name="Ukrainka", email="lesya@mail.com"),
        "ivan": contact_payload(first_name="Ivan", last_name="Franko", email="ivan@kobzar.org"),
    }
    return {
        name: (await post_contact(client, auth_headers, **p))["id"] for name, p in people.items()
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        pytest.param("taras", {"taras"}, id="first-name-lowercase"),
        pytest.param("LESYA", {"lesya"}, id="first-name-uppercase"),
        pytest.param("fRaNk", {"ivan"}, id="last-name-mixed-case"),
        pytest.param("KOBZAR.ORG", {"ivan"}, id="email-domain"),
        pytest.param("ko", {"ivan", "taras"}, id="substring-of-two-last-names"),
        pytest.param("nobody", set(), id="no-match"),
    ],
)
async def test_search_matches_names_and_email_case_insensitively(
    client: AsyncClient,
    auth_headers: Headers,
    address_book: dict[str, int],
    q: str,
    expected: set[str],
) -> None:
    resp = await client.get(CONTACTS, params={"q": q}, headers=auth_headers)

    assert resp.status_code == 200
    found = {item["id"] for item in resp.json()["items"]}
    assert found == {address_book[name] for name in expected}
    assert resp.json()["total"] == len(expected)


@pytest.mark.parametrize("q", ["Тарас", "тарас", "ТАРАС", "шевч", "ШЕВЧЕНКО"])
async def test_search_ignores_case_in_cyrillic_too(
    client: AsyncClient, auth_headers: Headers, q: str
) -> None:
    # SQLite's own lower() folds ASCII only; the app gives it a Unicode one (as PostgreSQL has).
    created = await post_contact(client, auth_headers, first_name="Тарас", last_name="Шевченко")
    await post_contact(client, auth_headers, first_name="Леся", email="lesya@example.com")

    resp = await client.get(CONTACTS, params={"q": q}, headers=auth_headers)

    assert resp.json() == {"items": [created], "total": 1}


# --- who may call the contacts routes ------------------------------------------------------

EVERY_CONTACTS_ROUTE = [
    pytest.param("POST", CONTACTS, id="create"),
    pytest.param("GET", CONTACTS, id="list"),
    pytest.param("GET", f"{CONTACTS}/birthdays", id="birthdays"),
    pytest.param("GET", f"{CONTACTS}/1", id="read"),
    pytest.param("PUT", f"{CONTACTS}/1", id="update"),
    pytest.param("DELETE", f"{CONTACTS}/1", id="delete"),
]


def _json_for(method: str) -> dict[str, object] | None:
    return contact_payload() if method in {"POST", "PUT"} else None


@pytest.mark.parametrize(("method", "url"), EVERY_CONTACTS_ROUTE)
async def test_unverified_user_gets_403_on_every_contacts_route(
    client: AsyncClient, make_user: UserFactory, method: str, url: str
) -> None:
    unverified = await make_user("new@example.com", verified=False)

    resp = await client.request(method, url, json=_json_for(method), headers=bearer(unverified))

    assert resp.status_code == 403
    assert resp.json() == {"detail": "Email not verified"}


@pytest.mark.parametrize(("method", "url"), EVERY_CONTACTS_ROUTE)
async def test_request_without_a_token_gets_401_on_every_contacts_route(
    client: AsyncClient, method: str, url: str
) -> None:
    resp = await client.request(method, url, json=_json_for(method))

    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"] == "Bearer"


# --- upcoming birthdays ------------------------------------------------------------------------


def birthday(month: int, day: int, year: int = 1990) -> str:
    return date(year, month, day).isoformat()


async def test_birthdays_lists_the_next_7_days_soonest_first_with_days_until(
    client: AsyncClient, auth_headers: Headers
) -> None:
    # TODAY is Saturday 21 Feb 2026: the default window is 21 Feb … 28 Feb.
    assert TODAY == date(2026, 2, 21)
    in_window = {
        "in3@example.com": (birthday(2, 24, 2000), 3),
        "today@example.com": (birthday(2, 21, 1985), 0),
        "leap@example.com": (birthday(2, 29, 1992), 7),  # 29 Feb → 28 Feb in 2026
    }
    outside = {
        "yesterday@example.com": birthday(2, 20),
        "in8@example.com": birthday(3, 1),
        "summer@example.com": birthday(7, 15),
    }
    for email, (born, _) in in_window.items():
        await post_contact(client, auth_headers, email=email, birthday=born)
    for email, born in outside.items():
        await post_contact(client, auth_headers, email=email, birthday=born)

    resp = await client.get(f"{CONTACTS}/birthdays", headers=auth_headers)

    assert resp.status_code == 200
    body = resp.json()
    assert [(item["email"], item["days_until"]) for item in body] == [
        ("today@example.com", 0),
        ("in3@example.com", 3),
        ("leap@example.com", 7),
    ]
    assert {item["birthday"] for item in body} == {born for born, _ in in_window.values()}
