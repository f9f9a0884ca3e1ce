# >>> file lesson 06 todo
"""Avatar uploads: magic-byte validation, size limits, local storage and the Cloudinary service."""

import io
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import cloudinary
import cloudinary.exceptions
import cloudinary.uploader
import pytest
from httpx import AsyncClient, Response
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import settings
from app.main import app
from app.models import User
from app.services.cloudinary_service import (
    CloudinaryAvatarStorage,
    LocalAvatarStorage,
    get_avatar_storage,
)
from tests.conftest import UserFactory
from tests.helpers import bearer

# >>> lesson 06
AVATAR = "/api/v1/users/me/avatar"
Headers = dict[str, str]
SessionFactory = async_sessionmaker[AsyncSession]


def image(image_format: str, size: tuple[int, int] = (8, 8), **options: object) -> bytes:
    """A real picture: the app decodes every upload, magic bytes alone do not pass."""
    output = io.BytesIO()
    Image.new("RGB", size, "teal").save(output, format=image_format, **options)
    return output.getvalue()


def decoded(data: bytes) -> tuple[str | None, tuple[int, int]]:
    with Image.open(io.BytesIO(data)) as picture:
        picture.load()
        return picture.format, picture.size


JPEG = image("JPEG")
PNG = image("PNG")
GIF87A = image("GIF")
GIF89A = image("GIF", transparency=0)
WEBP = image("WEBP")
TINY_GIF = image("GIF", (1, 1))  # 43 bytes
# A GIF header, then HTML: magic bytes say "image", a browser sniffing it may run the script.
GIF_WITH_SCRIPT = b"GIF89a<script>alert(document.cookie)</script>" + b"\x00" * 16
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 32


async def upload(
    client: AsyncClient,
    headers: Headers,
    data: bytes,
    filename: str = "avatar.jpg",
    content_type: str = "image/jpeg",
) -> Response:
    return await client.post(
        AVATAR, files={"file": (filename, data, content_type)}, headers=headers
    )


def stored_files(media_dir: Path) -> list[Path]:
    return sorted(p for p in media_dir.rglob("*") if p.is_file()) if media_dir.exists() else []


async def avatar_url_in_db(session_factory: SessionFactory, user_id: int) -> str | None:
    async with session_factory() as session:  # a fresh session: no identity-map leftovers
        user = await session.get(User, user_id)
        assert user is not None
        return user.avatar_url


# --- accepted images -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "extension"),
    [
        pytest.param(JPEG, "me.jpg", "image/jpeg", "jpg", id="jpeg"),
        pytest.param(PNG, "me.png", "image/png", "png", id="png"),
        pytest.param(GIF87A, "me.gif", "image/gif", "gif", id="gif87a"),
        pytest.param(GIF89A, "me.gif", "image/gif", "gif", id="gif89a"),
        pytest.param(WEBP, "me.webp", "image/webp", "webp", id="webp"),
        # What the client says is ignored both ways: the bytes decide.
        pytest.param(PNG, "me.txt", "text/plain", "png", id="png-named-as-text"),
    ],
)
async def test_valid_image_is_stored_and_its_url_saved(
    client: AsyncClient,
    test_user: User,
    auth_headers: Headers,
    media_dir: Path,
    session_factory: SessionFactory,
    data: bytes,
    filename: str,
    content_type: str,
    extension: str,
) -> None:
    resp = await upload(client, auth_headers, data, filename, content_type)

    assert resp.status_code == 200, resp.text
    expected_url = f"http://test/media/avatars/user_{test_user.id}.{extension}"
    assert resp.json()["avatar_url"] == expected_url
    assert resp.json()["email"] == test_user.email
    stored = media_dir / "avatars" / f"user_{test_user.id}.{extension}"
    assert stored_files(media_dir) == [stored]
    assert decoded(stored.read_bytes()) == decoded(data)  # re-encoded: the same picture
    assert await avatar_url_in_db(session_factory, test_user.id) == expected_url


# >>> given homework
async def test_new_avatar_replaces_the_old_file(
    client: AsyncClient, test_user: User, auth_headers: Headers, media_dir: Path
) -> None:
    assert (await upload(client, auth_headers, PNG, "a.png", "image/png")).status_code == 200

    resp = await upload(client, auth_headers, JPEG)

    assert resp.status_code == 200
    assert stored_files(media_dir) == [media_dir / "avatars" / f"user_{test_user.id}.jpg"]
    me = await client.get("/api/v1/users/me", headers=auth_headers)
    assert me.json()["avatar_url"].endswith(f"user_{test_user.id}.jpg")


# <<< given homework


# --- rejected files: nothing is stored ---------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "content_type"),
    [
        pytest.param(b"just some text, not a picture\n", "notes.txt", "text/plain", id="text"),
        pytest.param(EXE, "avatar.jpg", "image/jpeg", id="exe-renamed-jpg"),
        pytest.param(WAV, "avatar.webp", "image/webp", id="wav-is-riff-but-not-webp"),
        pytest.param(b"RIFF", "avatar.webp", "image/webp", id="bare-riff"),
        pytest.param(b"", "avatar.png", "image/png", id="empty"),
        pytest.param(GIF_WITH_SCRIPT, "avatar.gif", "image/gif", id="gif-header-then-script"),
        pytest.param(PNG[:40], "avatar.png", "image/png", id="truncated-png"),
        pytest.param(JPEG[:4] + b"\x00" * 64, "avatar.jpg", "image/jpeg", id="jpeg-magic-only"),
        pytest.param(
            b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32,
            "a.webp",
            "image/webp",
            id="webp-magic-only",
        ),
        pytest.param(
            b"<svg xmlns='http://www.w3.org/2000/svg'/>", "a.svg", "image/svg+xml", id="svg"
        ),
    ],
)
async def test_non_image_is_422_and_nothing_is_stored(
    client: AsyncClient,
    test_user: User,
    auth_headers: Headers,
    media_dir: Path,
    session_factory: SessionFactory,
    data: bytes,
    filename: str,
    content_type: str,
) -> None:
    resp = await upload(client, auth_headers, data, filename, content_type)

    assert resp.status_code == 422
    assert resp.json() == {"detail": "File must be a JPEG, PNG, GIF or WebP image"}
    assert stored_files(media_dir) == []
    assert await avatar_url_in_db(session_factory, test_user.id) is None


# >>> given homework
async def test_rejected_upload_keeps_the_previous_avatar(
    client: AsyncClient,
    test_user: User,
    auth_headers: Headers,
    media_dir: Path,
    session_factory: SessionFactory,
) -> None:
    first = await upload(client, auth_headers, JPEG)
    kept = [p.read_bytes() for p in stored_files(media_dir)]

    resp = await upload(client, auth_headers, EXE)

    assert resp.status_code == 422
    assert await avatar_url_in_db(session_factory, test_user.id) == first.json()["avatar_url"]
    assert [p.read_bytes() for p in stored_files(media_dir)] == kept


async def test_media_files_are_served_with_a_restrictive_csp(
    client: AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The folder the app mounted at /media (the client fixture's storage writes elsewhere).
    served = Path(settings.MEDIA_DIR) / f"csp-{tmp_path.name}.png"
    served.write_bytes(PNG)
    try:
        resp = await client.get(f"/media/{served.name}")
    finally:
        served.unlink()

    assert resp.status_code == 200
    assert resp.content == PNG
    assert resp.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    missing = await client.get("/media/no-such-file.png")
    assert missing.status_code == 404


async def test_request_without_a_file_is_422(client: AsyncClient, auth_headers: Headers) -> None:
    resp = await client.post(AVATAR, data={"other": "field"}, headers=auth_headers)

    assert resp.status_code == 422


# <<< given homework


# --- size limits -----------------------------------------------------------------------------


def image_of_size(size: int) -> bytes:
    """A real (tiny) picture padded to `size` bytes: decoders stop at the image's end."""
    return TINY_GIF + b"\x00" * (size - len(TINY_GIF))


async def test_file_one_byte_over_the_limit_is_413_and_nothing_is_stored(
    client: AsyncClient,
    test_user: User,
    auth_headers: Headers,
    media_dir: Path,
    session_factory: SessionFactory,
) -> None:
    resp = await upload(client, auth_headers, image_of_size(settings.MAX_AVATAR_BYTES + 1))

    assert resp.status_code == 413
    assert resp.json() == {"detail": f"File is larger than {settings.MAX_AVATAR_BYTES} bytes"}
    assert stored_files(media_dir) == []
    assert await avatar_url_in_db(session_factory, test_user.id) is None


async def test_file_of_exactly_the_limit_is_accepted(
    client: AsyncClient, auth_headers: Headers, media_dir: Path
) -> None:
    resp = await upload(client, auth_headers, image_of_size(settings.MAX_AVATAR_BYTES))

    assert resp.status_code == 200
    assert len(stored_files(media_dir)) == 1


# >>> given homework
class CountingBody:
    """A request body that counts how much of it the server pulled."""

    def __init__(self, chunks: int, chunk_size: int = 1024 * 1024) -> None:
        self.chunks, self.chunk_size, self.sent = chunks, chunk_size, 0
        self.total = chunks * chunk_size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
        for _ in range(self.chunks):
            self.sent += 1
            yield JPEG[:4] + b"\x00" * (self.chunk_size - 4)


async def test_declared_length_far_over_the_limit_is_413_before_the_body_is_read(
    client: AsyncClient,
    test_user: User,
    auth_headers: Headers,
    media_dir: Path,
    session_factory: SessionFactory,
) -> None:
    body = CountingBody(chunks=100)  # declares 100 MiB

    resp = await client.post(
        AVATAR,
        content=body,
        headers=auth_headers
        | {"Content-Type": "multipart/form-data; boundary=b", "Content-Length": str(body.total)},
    )

    assert resp.status_code == 413
    assert body.sent == 0  # refused on the header alone: not one chunk was read
    assert stored_files(media_dir) == []
    assert await avatar_url_in_db(session_factory, test_user.id) is None


async def test_streamed_body_over_the_limit_is_cut_off_soon_after_the_limit(
    client: AsyncClient, test_user: User, auth_headers: Headers, media_dir: Path
) -> None:
    body = CountingBody(chunks=100)  # chunked transfer: no Content-Length to check up front

    resp = await client.post(
        AVATAR,
        content=body,
        headers=auth_headers | {"Content-Type": "multipart/form-data; boundary=b"},
    )

    assert resp.status_code == 413
    limit_in_chunks = settings.MAX_AVATAR_BYTES // body.chunk_size
    assert body.sent <= limit_in_chunks + 2, f"read {body.sent} MiB of a 100 MiB body"
    assert stored_files(media_dir) == []


async def test_json_routes_keep_the_small_app_wide_body_limit(
    client: AsyncClient, auth_headers: Headers
) -> None:
    # Only the avatar route raises the limit; a 2 MiB JSON body elsewhere is refused.
    resp = await client.put(
        "/api/v1/users/me", json={"full_name": "x" * 2 * 1024 * 1024}, headers=auth_headers
    )

    assert resp.status_code == 413


async def test_max_avatar_bytes_is_read_from_settings(
    client: AsyncClient,
    test_user: User,
    auth_headers: Headers,
    media_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "MAX_AVATAR_BYTES", 64)

    too_big = await upload(client, auth_headers, image_of_size(65))
    assert too_big.status_code == 413
    assert too_big.json() == {"detail": "File is larger than 64 bytes"}
    assert stored_files(media_dir) == []

    just_fits = await upload(client, auth_headers, image_of_size(64))
    assert just_fits.status_code == 200
    assert len(stored_files(media_dir)) == 1


# <<< given homework


# --- who may upload ------------------------------------------------------------------------


async def test_unverified_user_gets_403_and_nothing_is_stored(
    client: AsyncClient,
    make_user: UserFactory,
    media_dir: Path,
    session_factory: SessionFactory,
) -> None:
    unverified = await make_user("new@example.com", verified=False)

    resp = await upload(client, bearer(unverified), JPEG)

    assert resp.status_code == 403
    assert resp.json() == {"detail": "Email not verified"}
    assert stored_files(media_dir) == []
    assert await avatar_url_in_db(session_factory, unverified.id) is None


async def test_upload_without_a_token_is_401(client: AsyncClient, media_dir: Path) -> None:
    resp = await upload(client, {}, JPEG)

    assert resp.status_code == 401
    assert stored_files(media_dir) == []


# --- Cloudinary (no network: the SDK's upload is replaced) -----------------------------------


class FakeUpload:
    """Stands in for cloudinary.uploader.upload and records how it was called."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, dict[str, object]]] = []
        self.thread_ids: list[int] = []

    def __call__(self, file: object, **options: object) -> dict[str, object]:
        self.calls.append((file, options))
        self.thread_ids.append(threading.get_ident())
        return {"public_id": options["public_id"], "version": 1771632000}


@pytest.fixture
def cloudinary_configured(monkeypatch: pytest.MonkeyPatch) -> FakeUpload:
    monkeypatch.setattr(settings, "CLOUDINARY_CLOUD_NAME", "demo")
    monkeypatch.setattr(settings, "CLOUDINARY_API_KEY", "key")
    monkeypatch.setattr(settings, "CLOUDINARY_API_SECRET", "secret")
    # CloudinaryAvatarStorage writes the SDK's global config: give it a throwaway one.
    monkeypatch.setattr(cloudinary, "_config", cloudinary.Config())
    fake = FakeUpload()
    monkeypatch.setattr(cloudinary.uploader, "upload", fake)
    return fake


def transformation_of(url: str) -> set[str]:
    # https://res.cloudinary.com/demo/image/upload/<transformation>/v<version>/<public_id>
    return set(url.split("/image/upload/")[1].split("/")[0].split(","))


# >>> given homework
async def test_cloudinary_storage_uploads_the_bytes_off_the_event_loop(
    cloudinary_configured: FakeUpload,
) -> None:
    storage = CloudinaryAvatarStorage()

    url = await storage.save(42, JPEG, "image/jpeg")

    [(file, options)] = cloudinary_configured.calls
    assert file == JPEG
    assert options["public_id"] == "contacts_api/avatar_42"
    assert options["overwrite"] is True
    assert cloudinary_configured.thread_ids != [threading.get_ident()]  # a worker thread
    assert url.startswith("https://res.cloudinary.com/demo/image/upload/")
    # The SDK writes the lesson's w_200,h_200,c_fill in alphabetical order; the order is free.
    assert transformation_of(url) == {"w_200", "h_200", "c_fill"}
    assert url.endswith("/v1771632000/contacts_api/avatar_42")


# <<< given homework


async def test_avatar_route_uses_cloudinary_when_it_is_configured(
    client: AsyncClient,
    test_user: User,
    auth_headers: Headers,
    media_dir: Path,
    session_factory: SessionFactory,
    cloudinary_configured: FakeUpload,
) -> None:
    del app.dependency_overrides[get_avatar_storage]  # let the app choose from the settings

    resp = await upload(client, auth_headers, PNG, "me.png", "image/png")

    assert resp.status_code == 200
    url = resp.json()["avatar_url"]
    assert f"contacts_api/avatar_{test_user.id}" in url
    assert transformation_of(url) == {"w_200", "h_200", "c_fill"}
    assert [decoded(file) for file, _ in cloudinary_configured.calls] == [decoded(PNG)]
    assert stored_files(media_dir) == []  # nothing written locally
    assert await avatar_url_in_db(session_factory, test_user.id) == url


# >>> given homework
async def test_invalid_file_never_reaches_cloudinary(
    client: AsyncClient, auth_headers: Headers, cloudinary_configured: FakeUpload
) -> None:
    del app.dependency_overrides[get_avatar_storage]

    resp = await upload(client, auth_headers, EXE)

    assert resp.status_code == 422
    assert cloudinary_configured.calls == []


async def test_cloudinary_failure_is_503_and_nothing_is_stored(
    client: AsyncClient,
    test_user: User,
    auth_headers: Headers,
    session_factory: SessionFactory,
    cloudinary_configured: FakeUpload,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(file: object, **options: object) -> dict[str, object]:
        raise cloudinary.exceptions.Error("Server returned unexpected status code - 502")

    monkeypatch.setattr(cloudinary.uploader, "upload", refuse)
    del app.dependency_overrides[get_avatar_storage]

    resp = await upload(client, auth_headers, PNG, "me.png", "image/png")

    assert resp.status_code == 503
    assert resp.json() == {"detail": "Avatar storage is unavailable, try again later"}
    assert await avatar_url_in_db(session_factory, test_user.id) is None


def test_get_avatar_storage_picks_cloudinary_when_configured(
    cloudinary_configured: FakeUpload,
) -> None:
    assert isinstance(get_avatar_storage(), CloudinaryAvatarStorage)


@pytest.mark.parametrize(
    ("cloud_name", "api_key", "api_secret"),
    [("", "", ""), ("demo", "", "secret"), ("", "key", "secret"), ("demo", "key", "")],
)
def test_get_avatar_storage_falls_back_to_local_files(
    monkeypatch: pytest.MonkeyPatch, cloud_name: str, api_key: str, api_secret: str
) -> None:
    monkeypatch.setattr(settings, "CLOUDINARY_CLOUD_NAME", cloud_name)
    monkeypatch.setattr(settings, "CLOUDINARY_API_KEY", api_key)
    monkeypatch.setattr(settings, "CLOUDINARY_API_SECRET", api_secret)

    storage = get_avatar_storage()

    assert isinstance(storage, LocalAvatarStorage)
    assert storage.avatars_dir == Path(settings.MEDIA_DIR) / "avatars"


# <<< given homework


# --- todo
# TODO(06) [чекпойнт 06.9]: інтеграційні тести POST /api/v1/users/me/avatar (fixture `client`,
#   `auth_headers`, `media_dir` — локальне сховище у тимчасовій теці замість Cloudinary):
#   - JPEG/PNG/GIF/WebP (перевірка за magic bytes) → 200 і avatar_url у відповіді та в базі;
#   - не картинка (навіть з content_type image/jpeg) → 422, файл не збережено;
#   - більше за MAX_AVATAR_BYTES → 413; неверифікований користувач → 403, без токена → 401;
#   - Cloudinary: замініть cloudinary.uploader.upload через monkeypatch, мережі в тестах немає.
# <<< lesson 06
